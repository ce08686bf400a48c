/*
 * cancel_test.c - cancelling calls from another thread through the public C
 * ABI (zova_cancel_*, zova_thread_set_cancel; issue 13). Usage: cancel_test DIR
 * (an existing, empty directory); prints "ok" or exits 1 at the first failed
 * check. Built and run by tests/test_cancel.py against build/lib/libzova_c.a,
 * and by tests/run_sanitized.sh against the sanitizer build.
 *
 *  1. the token functions on their own (NULL handling, idempotent requests);
 *  2. a backup of a ~300 MiB database on a worker pthread, cancelled from a
 *     second pthread once the copy is under way: ZOVA_SQLITE_ERROR with the
 *     message "interrupted" within 0.5 s, no destination left; the handle and
 *     the thread work normally after unbinding;
 *  3. a token requested before the call: backup, compact, restore and
 *     conversion fail at once and create nothing;
 *  4. several threads, each with a token of its own, running long queries:
 *     only the cancelled ones stop; several threads requesting one token at
 *     once; freeing after the bound thread unbound it or ended.
 */
#define _POSIX_C_SOURCE 200809L
#include "check.h"
#include "sqlite3.h"
#include "zova.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *dir;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

static void path_in(char *out, size_t size, const char *name) { snprintf(out, size, "%s/%s", dir, name); }

static int exists(const char *path) { return access(path, F_OK) == 0; }

/* Neither the file nor any of its SQLite companions. */
static int absent(const char *path) {
    static const char *const suffixes[] = {"", "-journal", "-wal", "-shm"};
    char name[4200];
    size_t i;
    for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        snprintf(name, sizeof(name), "%s%s", path, suffixes[i]);
        if (exists(name)) return 0;
    }
    return 1;
}

static long long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static void exec_sql(zova_database *db, const char *sql) {
    zova_database_exec_request request;
    request.db = db;
    request.sql = sql;
    CHECK(zova_database_exec(&request) == ZOVA_OK);
}

static zova_status backup(zova_database *db, const char *destination, uint32_t flags) {
    zova_database_backup_request request;
    request.db = db;
    request.destination_path = destination;
    request.flags = flags;
    return zova_database_backup(&request);
}

static zova_status compact(zova_database *db, const char *destination) {
    zova_database_compact_request request;
    request.db = db;
    request.destination_path = destination;
    request.flags = 0;
    return zova_database_compact(&request);
}

/* Restore or conversion; *message gets the owned error message. */
static zova_status restore(const char *source, const char *destination, zova_message *message) {
    zova_database_restore_request request;
    request.source_path = source;
    request.destination_path = destination;
    request.flags = 0;
    request.out_error_message = message;
    return zova_database_restore(&request);
}

static zova_status convert(const char *source, const char *destination, zova_message *message) {
    zova_convert_sqlite_to_zova_request request;
    request.source_path = source;
    request.dest_path = destination;
    request.out_error_message = message;
    return zova_convert_sqlite_to_zova(&request);
}

static int is_interrupted_message(const zova_message *message) {
    return message->data && message->len == 11 && strcmp(message->data, "interrupted") == 0;
}

/* ---- 1. the token on its own ---- */

static void test_token_basics(void) {
    zova_cancel *token = NULL;
    CHECK(zova_cancel_create(NULL) == ZOVA_INVALID_ARGUMENT);
    CHECK(zova_cancel_create(&token) == ZOVA_OK && token);
    CHECK(zova_cancel_requested(token) == 0);
    CHECK(zova_cancel_requested(NULL) == 0);
    zova_cancel_request(NULL);
    zova_cancel_free(NULL);
    zova_cancel_request(token);
    zova_cancel_request(token);
    CHECK(zova_cancel_requested(token) == 1);
    CHECK(zova_thread_set_cancel(NULL) == ZOVA_OK);
    zova_cancel_free(token);
    /* No new status: 18 stays unassigned. */
    CHECK(strcmp(zova_status_name((zova_status)18), "ZOVA_UNKNOWN_STATUS") == 0);
    CHECK(strcmp(zova_status_name(ZOVA_SQLITE_ERROR), "ZOVA_SQLITE_ERROR") == 0);
}

/* ---- 2. a running backup cancelled from another pthread ---- */

typedef struct backup_job {
    zova_database *db;
    zova_cancel *token;
    const char *destination;
    zova_status status;
    char message[64];
    double finished_at;
    int finished; /* __atomic */
} backup_job;

static void *backup_worker(void *arg) {
    backup_job *job = (backup_job *)arg;
    CHECK(zova_thread_set_cancel(job->token) == ZOVA_OK);
    job->status = backup(job->db, job->destination, 0);
    job->finished_at = now();
    snprintf(job->message, sizeof(job->message), "%s", zova_database_last_error_message(job->db));
    CHECK(zova_thread_set_cancel(NULL) == ZOVA_OK);
    __atomic_store_n(&job->finished, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

typedef struct canceller_job {
    backup_job *backup;
    double requested_at;
    int was_running;
} canceller_job;

/* Waits until the copy has written 32 MiB (well under way, far from done),
 * then requests the token. */
static void *canceller(void *arg) {
    canceller_job *job = (canceller_job *)arg;
    double give_up = now() + 60.0;
    while (file_size(job->backup->destination) < (32ll << 20) && !__atomic_load_n(&job->backup->finished, __ATOMIC_SEQ_CST) &&
           now() < give_up) {
        sleep_ms(2);
    }
    job->was_running = !__atomic_load_n(&job->backup->finished, __ATOMIC_SEQ_CST);
    job->requested_at = now();
    zova_cancel_request(job->backup->token);
    return NULL;
}

/* Concurrent requests of one token while it is bound and used. */
static void *requester(void *arg) {
    int i;
    for (i = 0; i < 1000; i++) zova_cancel_request((zova_cancel *)arg);
    return NULL;
}

static void test_cancel_running_backup(zova_database *db) {
    char destination[4096], small[4096];
    backup_job job;
    canceller_job cancel_job;
    pthread_t worker, cancel_thread, requesters[3];
    int i;
    path_in(destination, sizeof(destination), "copy.zova");
    memset(&job, 0, sizeof(job));
    memset(&cancel_job, 0, sizeof(cancel_job));
    job.db = db;
    job.destination = destination;
    CHECK(zova_cancel_create(&job.token) == ZOVA_OK);
    cancel_job.backup = &job;
    CHECK(pthread_create(&worker, NULL, backup_worker, &job) == 0);
    CHECK(pthread_create(&cancel_thread, NULL, canceller, &cancel_job) == 0);
    CHECK(pthread_join(cancel_thread, NULL) == 0);
    for (i = 0; i < 3; i++) CHECK(pthread_create(&requesters[i], NULL, requester, job.token) == 0);
    CHECK(pthread_join(worker, NULL) == 0);
    for (i = 0; i < 3; i++) CHECK(pthread_join(requesters[i], NULL) == 0);
    CHECK(cancel_job.was_running);
    if (job.status != ZOVA_SQLITE_ERROR || strcmp(job.message, "interrupted") != 0) {
        fprintf(stderr, "backup returned %s (%s)\n", zova_status_name(job.status), job.message);
    }
    CHECK(job.status == ZOVA_SQLITE_ERROR);
    CHECK(strcmp(job.message, "interrupted") == 0);
    if (job.finished_at - cancel_job.requested_at >= 0.5) {
        fprintf(stderr, "backup took %.3f s to stop\n", job.finished_at - cancel_job.requested_at);
    }
    CHECK(job.finished_at - cancel_job.requested_at < 0.5);
    fprintf(stderr, "cancel_test: the backup stopped %.1f ms after the request\n",
            (job.finished_at - cancel_job.requested_at) * 1000.0);
    CHECK(absent(destination));
    /* The worker unbound it and ended, so it may go; later requests are the
     * caller's to avoid. */
    zova_cancel_request(job.token);
    zova_cancel_free(job.token);

    /* The handle and this thread are unaffected: a call after unbinding works. */
    exec_sql(db, "select count(*) from t");
    path_in(small, sizeof(small), "small.zova");
    {
        zova_database *small_db = open_new(dir, "small-source.zova");
        exec_sql(small_db, "create table s(x); insert into s values (1), (2)");
        CHECK(backup(small_db, small, 0) == ZOVA_OK);
        CHECK(exists(small));
        CHECK(zova_database_close(small_db) == ZOVA_OK);
    }
}

/* ---- 3. a token requested before the call ---- */

static void test_requested_before_the_call(zova_database *db, const char *source_path, const char *plain_path) {
    char destination[4096];
    zova_cancel *token = NULL;
    zova_message message = {NULL, 0};
    double start;
    path_in(destination, sizeof(destination), "never.zova");
    CHECK(zova_cancel_create(&token) == ZOVA_OK);
    zova_cancel_request(token);
    CHECK(zova_thread_set_cancel(token) == ZOVA_OK);

    start = now();
    CHECK(backup(db, destination, 0) == ZOVA_SQLITE_ERROR);
    CHECK(strcmp(zova_database_last_error_message(db), "interrupted") == 0);
    CHECK(compact(db, destination) == ZOVA_SQLITE_ERROR);
    CHECK(strcmp(zova_database_last_error_message(db), "interrupted") == 0);
    CHECK(restore(source_path, destination, &message) == ZOVA_SQLITE_ERROR);
    CHECK(is_interrupted_message(&message));
    CHECK(convert(plain_path, destination, &message) == ZOVA_SQLITE_ERROR);
    CHECK(is_interrupted_message(&message));
    zova_message_free(&message);
    CHECK(now() - start < 0.1);
    CHECK(absent(destination));

    CHECK(zova_thread_set_cancel(NULL) == ZOVA_OK);
    zova_cancel_free(token);
    /* Unbound: the same call works. */
    CHECK(convert(plain_path, destination, &message) == ZOVA_OK);
    CHECK(message.data == NULL);
    CHECK(exists(destination));
}

/* ---- 4. many threads, each with its own token ---- */

typedef struct query_job {
    zova_database *db;
    zova_cancel *token;
    int endless; /* cancelled by the main thread; the others must finish */
    zova_status status;
    int64_t count;
    char message[64];
} query_job;

static void *query_worker(void *arg) {
    query_job *job = (query_job *)arg;
    zova_statement *statement = NULL;
    zova_database_prepare_request prepare;
    zova_step_result result = ZOVA_STEP_DONE;
    zova_statement_step_request step;
    CHECK(zova_thread_set_cancel(job->token) == ZOVA_OK);
    prepare.db = job->db;
    prepare.sql = job->endless
                      ? "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
                      : "with recursive c(x) as (select 1 union all select x + 1 from c where x < 300000) "
                        "select count(*) from c";
    prepare.out_statement = &statement;
    CHECK(zova_database_prepare(&prepare) == ZOVA_OK);
    step.statement = statement;
    step.out_result = &result;
    job->status = zova_statement_step(&step);
    snprintf(job->message, sizeof(job->message), "%s", zova_database_last_error_message(job->db));
    if (job->status == ZOVA_OK && result == ZOVA_STEP_ROW) {
        zova_statement_column_int64_request column;
        column.statement = statement;
        column.index = 0;
        column.out_value = &job->count;
        CHECK(zova_statement_column_int64(&column) == ZOVA_OK);
    }
    CHECK(zova_statement_finalize(statement) == ZOVA_OK);
    /* No unbinding: the thread ends with its token bound, which is allowed. */
    return NULL;
}

static void test_threads_with_own_tokens(const char *source_path) {
    enum { THREADS = 6 };
    query_job jobs[THREADS];
    pthread_t threads[THREADS];
    int i;
    for (i = 0; i < THREADS; i++) {
        zova_database_open_options_request request;
        memset(&jobs[i], 0, sizeof(jobs[i]));
        request.path = source_path;
        request.flags = ZOVA_OPEN_READ_ONLY;
        request.busy_timeout_ms = 0;
        request.out_db = &jobs[i].db;
        request.out_error_message = NULL;
        CHECK(zova_database_open_with_options(&request) == ZOVA_OK);
        CHECK(zova_cancel_create(&jobs[i].token) == ZOVA_OK);
        jobs[i].endless = i % 2 == 0;
    }
    for (i = 0; i < THREADS; i++) CHECK(pthread_create(&threads[i], NULL, query_worker, &jobs[i]) == 0);
    sleep_ms(200);
    for (i = 0; i < THREADS; i += 2) zova_cancel_request(jobs[i].token);
    for (i = 0; i < THREADS; i++) CHECK(pthread_join(threads[i], NULL) == 0);
    for (i = 0; i < THREADS; i++) {
        if (jobs[i].endless) {
            CHECK(jobs[i].status == ZOVA_SQLITE_ERROR);
            CHECK(strcmp(jobs[i].message, "interrupted") == 0);
        } else {
            CHECK(jobs[i].status == ZOVA_OK);
            CHECK(jobs[i].count == 300000);
            CHECK(zova_cancel_requested(jobs[i].token) == 0);
        }
        /* Their threads ended: the tokens may be freed, requested or not. */
        zova_cancel_free(jobs[i].token);
        CHECK(zova_database_close(jobs[i].db) == ZOVA_OK);
    }
}

/* ---- the sources ---- */

/* A .zova file of ~300 MiB: a table of 1 MiB zero blobs (the backup copies
 * pages; what they hold does not matter). */
static zova_database *make_source(const char *path) {
    zova_database *db = NULL;
    zova_message message = {NULL, 0};
    zova_database_open_request request;
    request.path = path;
    request.out_db = &db;
    request.out_error_message = &message;
    CHECK(zova_database_create(&request) == ZOVA_OK);
    exec_sql(db, "create table t(b)");
    exec_sql(db, "insert into t select zeroblob(1048576) from "
                 "(with recursive n(i) as (select 1 union all select i + 1 from n where i < 300) select i from n)");
    return db;
}

static void make_plain_sqlite(const char *path) {
    sqlite3 *sql = NULL;
    CHECK(sqlite3_open(path, &sql) == SQLITE_OK);
    CHECK(sqlite3_exec(sql, "create table p(x); insert into p values (1), (2), (3)", NULL, NULL, NULL) == SQLITE_OK);
    CHECK(sqlite3_close(sql) == SQLITE_OK);
}

int main(int argc, char **argv) {
    char source_path[4096], plain_path[4096];
    zova_database *db;
    if (argc != 2) {
        fprintf(stderr, "usage: cancel_test DIR\n");
        return 2;
    }
    dir = argv[1];
    test_token_basics();
    path_in(source_path, sizeof(source_path), "source.zova");
    path_in(plain_path, sizeof(plain_path), "plain.db");
    make_plain_sqlite(plain_path);
    db = make_source(source_path);
    test_cancel_running_backup(db);
    test_requested_before_the_call(db, source_path, plain_path);
    CHECK(zova_database_close(db) == ZOVA_OK);
    test_threads_with_own_tokens(source_path);
    printf("ok\n");
    return 0;
}
