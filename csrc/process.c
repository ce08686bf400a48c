/*
 * process.c - counts the fork()s this process descends from, so a handle
 * copied into a child can tell that its threads and temporary files are the
 * parent's (the object writer: its cutter's thread and its staging spool).
 */
#include "zova_internal.h"

#include <pthread.h>

/* Written only by the child's fork handler, while it is the child's only thread. */
static unsigned long zv_forks;
static pthread_once_t zv_forks_watched = PTHREAD_ONCE_INIT;

static void zv_count_fork(void) { zv_forks++; }

static void zv_watch_forks(void) { (void)pthread_atfork(NULL, NULL, zv_count_fork); }

unsigned long zv_process_generation(void) {
    (void)pthread_once(&zv_forks_watched, zv_watch_forks);
    return zv_forks;
}
