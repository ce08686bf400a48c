/*
 * process.c - what the library's own threads and handles owe the process
 * they run in: helper threads start with every signal blocked, so signals
 * meant for the application's threads never land on ours; and fork()s are
 * counted, so a handle copied into a child can tell that its threads and
 * temporary files are the parent's (the object writer: its cutter's thread
 * and its staging spool).
 */
#define _POSIX_C_SOURCE 200809L /* pthread_sigmask */
#include "zova_internal.h"

#include <pthread.h>
#include <signal.h>

int zv_thread_start(pthread_t *thread, void *(*run)(void *), void *arg) {
    sigset_t all, saved;
    int started;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    started = pthread_create(thread, NULL, run, arg) == 0;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    return started;
}

/* Written only by the child's fork handler, while it is the child's only thread. */
static unsigned long zv_forks;
static pthread_once_t zv_forks_watched = PTHREAD_ONCE_INIT;

static void zv_count_fork(void) { zv_forks++; }

static void zv_watch_forks(void) { (void)pthread_atfork(NULL, NULL, zv_count_fork); }

unsigned long zv_process_generation(void) {
    (void)pthread_once(&zv_forks_watched, zv_watch_forks);
    return zv_forks;
}
