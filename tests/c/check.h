/*
 * check.h - the CHECK macro shared by the C test programs: a failed check
 * prints its file, line and expression and exits 1.
 */
#ifndef ZOVA_TEST_CHECK_H
#define ZOVA_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

#endif
