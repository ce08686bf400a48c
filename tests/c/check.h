/*
 * check.h - what the C test programs share: the CHECK macro (a failed check
 * prints its file, line and expression and exits 1) and open_new.
 */
#ifndef ZOVA_TEST_CHECK_H
#define ZOVA_TEST_CHECK_H

#include "zova.h"

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

/* DIR/NAME created as a new .zova file; exits 1 when that fails. */
static inline zova_database *open_new(const char *dir, const char *name) {
    char path[4096];
    zova_database *db = NULL;
    zova_message message = {NULL, 0};
    zova_database_open_request request;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    request.path = path;
    request.out_db = &db;
    request.out_error_message = &message;
    CHECK(zova_database_create(&request) == ZOVA_OK);
    return db;
}

#endif
