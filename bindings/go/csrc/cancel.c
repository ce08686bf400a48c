/*
 * cancel.c - cancelling a long call from another thread (issue 13): the
 * cancellation token (zova_cancel_create / _request / _requested / _free), its
 * binding to the calling thread (zova_thread_set_cancel), and the two ways the
 * core notices a request made on the bound token:
 *
 *  - the SQLite progress handler that zv_cancel_watch installs on every
 *    connection the core opens (handles, copy destinations, conversion
 *    sources): every ZV_CANCEL_PROGRESS_OPS virtual-machine steps it reads the
 *    calling thread's token and makes the running statement fail with
 *    SQLITE_INTERRUPT ("interrupted") once it is requested;
 *  - zv_cancel_point, called by C loops between steps that run no SQL of
 *    their own (backup page steps, verification of copies, deep check).
 *
 * Either way the thread's interrupt count goes up, and a call whose count
 * changed and that fails reports ZOVA_SQLITE_ERROR with the message
 * "interrupted" (docs/c-api.md §6.2 maps SQLITE_INTERRUPT to 17): zv_unlock does it for
 * handle calls, operations.c and database.c for the calls without a handle.
 *
 * A request is one atomic store into the token, so it is safe from any thread
 * and from a signal handler. The binding is a thread-local pointer; with no
 * token bound the progress handler costs a thread-local load per call of it.
 */
#include "zova_internal.h"

#include <stdlib.h>

/* How many SQLite VM steps between two looks at the token: often enough that
 * a statement stops well within 0.5 s, rarely enough to cost nothing. */
#define ZV_CANCEL_PROGRESS_OPS 1000

struct zova_cancel {
    int requested; /* __atomic builtins only */
};

static __thread zova_cancel *zv_thread_token;
static __thread unsigned long zv_thread_interrupts;

zova_status zova_cancel_create(zova_cancel **out) {
    if (!out) return ZOVA_INVALID_ARGUMENT;
    *out = (zova_cancel *)calloc(1, sizeof(**out));
    return *out ? ZOVA_OK : ZOVA_OUT_OF_MEMORY;
}

void zova_cancel_request(zova_cancel *token) {
    if (token) __atomic_store_n(&token->requested, 1, __ATOMIC_SEQ_CST);
}

int zova_cancel_requested(const zova_cancel *token) {
    return token && __atomic_load_n(&token->requested, __ATOMIC_SEQ_CST) ? 1 : 0;
}

void zova_cancel_free(zova_cancel *token) { free(token); }

zova_status zova_thread_set_cancel(zova_cancel *token) {
    zv_thread_token = token;
    return ZOVA_OK;
}

zova_cancel *zv_cancel_bound(void) { return zv_thread_token; }

int zv_cancel_requested(void) {
    zova_cancel *token = zv_thread_token;
    return token && __atomic_load_n(&token->requested, __ATOMIC_RELAXED);
}

int zv_cancel_point(void) {
    if (!zv_cancel_requested()) return 0;
    zv_thread_interrupts++;
    return 1;
}

unsigned long zv_cancel_mark(void) { return zv_thread_interrupts; }

int zv_cancel_since(unsigned long mark) { return zv_thread_interrupts != mark; }

static int zv_cancel_progress(void *unused) {
    (void)unused;
    return zv_cancel_point();
}

void zv_cancel_watch(sqlite3 *sql) {
    if (sql) sqlite3_progress_handler(sql, ZV_CANCEL_PROGRESS_OPS, zv_cancel_progress, NULL);
}
