/*
 * database.c - the database handle (docs/c-api.md §4.3-§4.6, §5.5-§5.8): create, open,
 * close, exec and the connection helpers, transactions and savepoints, vacuum,
 * the per-handle lock and last-error slot, and the cache of internal statements.
 */
#define _POSIX_C_SOURCE 200809L
#include "zova_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- lock and last error ---- */

void zv_lock(zova_database *db) {
    pthread_mutex_lock(&db->lock);
    db->error_set = 0;
    db->cancel_mark = zv_cancel_mark();
}

static void zv_store_error(zova_database *db, const char *message) {
    char *copy = message && *message ? zv_strndup(message, strlen(message)) : NULL;
    free(db->last_error);
    db->last_error = copy;
    db->error_set = 1;
}

/* The calling thread's copy of the message of its last failed call on any
 * handle. The handle's own slot (docs/c-api.md §5.5) is replaced by the next call from
 * any thread, so a binding that shares a handle between threads cannot read
 * it after the call returns; the thread's copy is taken (read and cleared) by
 * the Python binding with zv_thread_error_take. Freed at thread exit. */
static pthread_key_t zv_thread_error_key;
static pthread_once_t zv_thread_error_once = PTHREAD_ONCE_INIT;
static int zv_thread_error_ready;

static void zv_thread_error_init(void) { zv_thread_error_ready = pthread_key_create(&zv_thread_error_key, free) == 0; }

static void zv_thread_error_store(const char *message) {
    char *copy;
    pthread_once(&zv_thread_error_once, zv_thread_error_init);
    if (!zv_thread_error_ready) return;
    copy = zv_strndup(message, strlen(message));
    free(pthread_getspecific(zv_thread_error_key));
    pthread_setspecific(zv_thread_error_key, copy);
}

char *zv_thread_error_take(void) {
    char *message;
    pthread_once(&zv_thread_error_once, zv_thread_error_init);
    if (!zv_thread_error_ready) return NULL;
    message = (char *)pthread_getspecific(zv_thread_error_key);
    pthread_setspecific(zv_thread_error_key, NULL);
    return message;
}

zova_status zv_unlock(zova_database *db, zova_status status) {
    if (status != ZOVA_OK && zv_cancel_since(db->cancel_mark)) {
        /* Cut short by the thread's cancellation token (cancel.c): whatever the
         * failure became on its way up, the caller learns it was interrupted. */
        status = ZOVA_SQLITE_ERROR;
        zv_store_error(db, ZV_INTERRUPTED);
    }
    if (status == ZOVA_OK) {
        free(db->last_error);
        db->last_error = NULL;
    } else {
        if (!db->error_set) zv_store_error(db, zv_status_kind(status));
        zv_thread_error_store(db->last_error ? db->last_error : "");
    }
    db->error_set = 0;
    pthread_mutex_unlock(&db->lock);
    return status;
}

zova_status zv_fail_message(zova_database *db, zova_status status, const char *message) {
    zv_store_error(db, message);
    return status;
}

zova_status zv_sqlite_fail(zova_database *db, int rc) {
    zova_status status = zv_status_from_sqlite(rc);
    const char *message = sqlite3_errmsg(db->sql);
    /* Only SQLite's own text for a failure SQLite produced (docs/c-api.md §5.5), but
     * the authorizer's "not authorized" says which private table and why. */
    if ((rc & 0xff) == SQLITE_AUTH && zv_private_tables_refusal()) message = zv_private_tables_refusal();
    if (!message || strcmp(message, "not an error") == 0) message = zv_status_kind(status);
    return zv_fail_message(db, status, message);
}

const char *zova_database_last_error_message(zova_database *db) {
    const char *message;
    if (!db) return "invalid database handle";
    pthread_mutex_lock(&db->lock);
    message = db->last_error ? db->last_error : "";
    pthread_mutex_unlock(&db->lock);
    return message;
}

/* ---- cached internal statements ---- */

sqlite3_stmt *zv_stmt(zova_database *db, const char *sql, zova_status *status) {
    size_t i;
    sqlite3_stmt *stmt = NULL;
    int rc;
    for (i = 0; i < db->stmt_cache_len; i++) {
        if (db->stmt_cache[i].sql == sql) return db->stmt_cache[i].stmt;
    }
    rc = sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
    if (rc != SQLITE_OK) {
        *status = zv_sqlite_fail(db, rc);
        return NULL;
    }
    if (db->stmt_cache_len < ZV_STMT_CACHE_SIZE) {
        db->stmt_cache[db->stmt_cache_len].sql = sql;
        db->stmt_cache[db->stmt_cache_len].stmt = stmt;
        db->stmt_cache_len++;
    }
    return stmt;
}

void zv_stmt_release(sqlite3_stmt *stmt) {
    if (!stmt) return;
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
}

static void zv_stmt_cache_clear(zova_database *db) {
    size_t i;
    for (i = 0; i < db->stmt_cache_len; i++) sqlite3_finalize(db->stmt_cache[i].stmt);
    db->stmt_cache_len = 0;
}

/* ---- transactions used by the core ---- */

int zv_transaction_active(zova_database *db) {
    return !sqlite3_get_autocommit(db->sql) || sqlite3_txn_state(db->sql, NULL) != SQLITE_TXN_NONE;
}

static zova_status zv_exec_sql(zova_database *db, const char *sql) {
    int rc = sqlite3_exec(db->sql, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? ZOVA_OK : zv_sqlite_fail(db, rc);
}

/* Every object write starts here: the foreign-trigger guard runs inside it. */
zova_status zv_begin_immediate(zova_database *db) {
    zova_status status = zv_exec_sql(db, "begin immediate");
    if (status == ZOVA_OK) status = zv_private_tables_guard(db);
    if (status != ZOVA_OK) zv_rollback(db);
    return status;
}
zova_status zv_commit(zova_database *db) { return zv_exec_sql(db, "commit"); }

void zv_rollback(zova_database *db) {
    if (!sqlite3_get_autocommit(db->sql)) sqlite3_exec(db->sql, "rollback", NULL, NULL, NULL);
}

/* ---- create / open / close ---- */

static void zv_set_message(zova_message *out, const char *text) {
    size_t len;
    if (!out) return;
    len = strlen(text);
    out->data = zv_strndup(text, len);
    out->len = out->data ? len : 0;
}

static zova_database *zv_database_new(sqlite3 *sql, int read_only) {
    zova_database *db = (zova_database *)calloc(1, sizeof(*db));
    if (!db) return NULL;
    if (pthread_mutex_init(&db->lock, NULL) != 0) {
        free(db);
        return NULL;
    }
    db->sql = sql;
    db->read_only = read_only;
    return db;
}

/* docs/c-api.md §5.10: a missing file is 31 when its parent exists, else 13. */
static zova_status zv_open_path_status(const char *path) {
    struct stat st;
    if (stat(path, &st) == 0) return ZOVA_OK;
    if (errno != ENOENT) return ZOVA_CANT_OPEN;
    {
        const char *slash = strrchr(path, '/');
        zova_status status = ZOVA_NOT_ZOVA_DATABASE;
        if (slash && slash != path) {
            char *parent = zv_strndup(path, (size_t)(slash - path));
            if (!parent) return ZOVA_OUT_OF_MEMORY;
            if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode)) status = ZOVA_CANT_OPEN;
            free(parent);
        }
        return status;
    }
}

static zova_status zv_connection_open(const char *path, int flags, sqlite3 **out) {
    int rc = sqlite3_open_v2(path, out, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_close(*out);
        *out = NULL;
        return zv_status_from_sqlite(rc);
    }
    zv_cancel_watch(*out);
    return ZOVA_OK;
}

zova_status zv_database_open_path(const char *path, int read_only, uint32_t busy_timeout_ms,
                                  zova_database **out_db) {
    sqlite3 *sql = NULL;
    zova_database *db;
    zova_status status;
    if (!zv_has_zova_suffix(path)) return ZOVA_NOT_ZOVA_PATH;
    status = zv_open_path_status(path);
    if (status != ZOVA_OK) return status;
    status = zv_connection_open(path, read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE, &sql);
    if (status != ZOVA_OK) return status;
    if (busy_timeout_ms) sqlite3_busy_timeout(sql, (int)busy_timeout_ms);
    status = zv_schema_validate(sql);
    if (status == ZOVA_OK && zv_vector_sql_register(sql) != SQLITE_OK) status = ZOVA_SQLITE_ERROR;
    if (status == ZOVA_OK) {
        db = zv_database_new(sql, read_only);
        if (!db) status = ZOVA_OUT_OF_MEMORY;
    }
    if (status != ZOVA_OK) {
        sqlite3_close(sql);
        return status;
    }
    *out_db = db;
    return ZOVA_OK;
}

static zova_status zv_database_create_path(const char *path, zova_database **out_db) {
    sqlite3 *sql = NULL;
    zova_database *db = NULL;
    zova_status status;
    if (!zv_has_zova_suffix(path)) return ZOVA_NOT_ZOVA_PATH;
    status = zv_create_exclusive(path);
    if (status != ZOVA_OK) return status;
    status = zv_connection_open(path, SQLITE_OPEN_READWRITE, &sql);
    if (status == ZOVA_OK) status = zv_schema_create(sql);
    if (status == ZOVA_OK && zv_vector_sql_register(sql) != SQLITE_OK) status = ZOVA_SQLITE_ERROR;
    if (status == ZOVA_OK) {
        db = zv_database_new(sql, 0);
        if (!db) status = ZOVA_OUT_OF_MEMORY;
    }
    if (status != ZOVA_OK) {
        sqlite3_close(sql);
        zv_remove_database_files(path);
        return status;
    }
    *out_db = db;
    return ZOVA_OK;
}

/* Shared back half of create/open/open_with_options (docs/c-api.md §7.2 check order):
 * the failure-kind name as message, or "interrupted" (17) for a call that the
 * thread's cancellation token cut short after mark was taken. */
static zova_status zv_open_finish(unsigned long mark, zova_status status, zova_message *message) {
    if (status != ZOVA_OK && zv_cancel_since(mark)) {
        zv_set_message(message, ZV_INTERRUPTED);
        return ZOVA_SQLITE_ERROR;
    }
    if (status != ZOVA_OK) zv_set_message(message, zv_status_kind(status));
    return status;
}

zova_status zova_database_create(const zova_database_open_request *request) {
    unsigned long mark = zv_cancel_mark();
    if (!request) return ZOVA_INVALID_ARGUMENT;
    zova_message_free(request->out_error_message);
    if (!request->out_db) return zv_open_finish(mark, ZOVA_INVALID_ARGUMENT, request->out_error_message);
    *request->out_db = NULL;
    if (!request->path) return zv_open_finish(mark, ZOVA_INVALID_ARGUMENT, request->out_error_message);
    return zv_open_finish(mark, zv_database_create_path(request->path, request->out_db), request->out_error_message);
}

zova_status zova_database_open(const zova_database_open_request *request) {
    unsigned long mark = zv_cancel_mark();
    if (!request) return ZOVA_INVALID_ARGUMENT;
    zova_message_free(request->out_error_message);
    if (!request->out_db) return zv_open_finish(mark, ZOVA_INVALID_ARGUMENT, request->out_error_message);
    *request->out_db = NULL;
    if (!request->path) return zv_open_finish(mark, ZOVA_INVALID_ARGUMENT, request->out_error_message);
    return zv_open_finish(mark, zv_database_open_path(request->path, 0, 0, request->out_db),
                          request->out_error_message);
}

zova_status zova_database_open_with_options(const zova_database_open_options_request *request) {
    unsigned long mark = zv_cancel_mark();
    if (!request) return ZOVA_INVALID_ARGUMENT;
    zova_message_free(request->out_error_message);
    if (!request->out_db) return zv_open_finish(mark, ZOVA_INVALID_ARGUMENT, request->out_error_message);
    *request->out_db = NULL;
    if (!request->path || (request->flags & ~(uint32_t)ZOVA_OPEN_READ_ONLY) != 0 ||
        request->busy_timeout_ms > 2147483647u) {
        return zv_open_finish(mark, ZOVA_INVALID_ARGUMENT, request->out_error_message);
    }
    return zv_open_finish(mark,
                          zv_database_open_path(request->path, (request->flags & ZOVA_OPEN_READ_ONLY) != 0,
                                                request->busy_timeout_ms, request->out_db),
                          request->out_error_message);
}

zova_status zova_database_close(zova_database *db) {
    if (!db) return ZOVA_INVALID_ARGUMENT;
    zv_lock(db);
    if (db->live_statements || db->live_writers) {
        char message[128];
        snprintf(message, sizeof(message),
                 "cannot close database with live child handles: %zu statements, %zu object writers",
                 db->live_statements, db->live_writers);
        return zv_unlock(db, zv_fail_message(db, ZOVA_MISUSE, message));
    }
    if (db->release_vector_state) db->release_vector_state(db);
    zv_stmt_cache_clear(db);
    sqlite3_close(db->sql);
    free(db->last_error);
    pthread_mutex_unlock(&db->lock);
    pthread_mutex_destroy(&db->lock);
    free(db);
    return ZOVA_OK;
}

/* ---- exec and connection helpers ---- */

zova_status zova_database_exec(const zova_database_exec_request *request) {
    zova_database *db;
    zova_status status;
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    db = request->db;
    zv_lock(db);
    status = request->sql ? zv_exec_sql(db, request->sql) : ZOVA_INVALID_ARGUMENT;
    return zv_unlock(db, status);
}

zova_status zova_database_set_busy_timeout(const zova_database_busy_timeout_request *request) {
    zova_database *db;
    zova_status status = ZOVA_OK;
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    db = request->db;
    zv_lock(db);
    if (request->milliseconds > 2147483647u) status = ZOVA_INVALID_ARGUMENT;
    else sqlite3_busy_timeout(db->sql, (int)request->milliseconds);
    return zv_unlock(db, status);
}

#define ZV_INT64_GETTER(function, request_type, field, expression)  \
    zova_status function(const request_type *request) {            \
        zova_database *db;                                          \
        zova_status status = ZOVA_OK;                               \
        if (!request || !request->db) return ZOVA_INVALID_ARGUMENT; \
        db = request->db;                                           \
        zv_lock(db);                                                \
        if (!request->field) status = ZOVA_INVALID_ARGUMENT;        \
        else *request->field = (int64_t)(expression);               \
        return zv_unlock(db, status);                               \
    }

ZV_INT64_GETTER(zova_database_last_insert_rowid, zova_database_last_insert_rowid_request, out_rowid,
                sqlite3_last_insert_rowid(db->sql))
ZV_INT64_GETTER(zova_database_changes, zova_database_changes_request, out_changes, sqlite3_changes64(db->sql))
ZV_INT64_GETTER(zova_database_total_changes, zova_database_total_changes_request, out_total_changes,
                sqlite3_total_changes64(db->sql))

/* ---- transactions, savepoints, vacuum ---- */

static zova_status zv_simple(const zova_database_simple_request *request, const char *sql) {
    zova_database *db;
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    db = request->db;
    zv_lock(db);
    return zv_unlock(db, zv_exec_sql(db, sql));
}

zova_status zova_database_begin(const zova_database_simple_request *request) { return zv_simple(request, "begin"); }
zova_status zova_database_begin_immediate(const zova_database_simple_request *request) {
    return zv_simple(request, "begin immediate");
}
zova_status zova_database_commit(const zova_database_simple_request *request) { return zv_simple(request, "commit"); }
zova_status zova_database_rollback(const zova_database_simple_request *request) {
    return zv_simple(request, "rollback");
}
zova_status zova_database_vacuum(const zova_database_simple_request *request) { return zv_simple(request, "vacuum"); }

/* docs/c-api.md §2.4: 1-64 bytes of [A-Za-z_][A-Za-z0-9_]*, not starting with _zova_. */
static int zv_savepoint_name_valid(const char *name) {
    size_t i, len = strlen(name);
    if (len == 0 || len > 64) return 0;
    for (i = 0; i < len; i++) {
        char c = name[i];
        int alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return 0;
    }
    return !(len >= 6 && sqlite3_strnicmp(name, "_zova_", 6) == 0);
}

static zova_status zv_savepoint_op(const zova_database_savepoint_request *request, const char *verb) {
    zova_database *db;
    zova_status status;
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    db = request->db;
    zv_lock(db);
    if (!request->name || !zv_savepoint_name_valid(request->name)) {
        status = ZOVA_INVALID_ARGUMENT;
    } else {
        char sql[96];
        snprintf(sql, sizeof(sql), "%s %s", verb, request->name);
        status = zv_exec_sql(db, sql);
    }
    return zv_unlock(db, status);
}

zova_status zova_database_savepoint(const zova_database_savepoint_request *request) {
    return zv_savepoint_op(request, "savepoint");
}
zova_status zova_database_rollback_to_savepoint(const zova_database_savepoint_request *request) {
    return zv_savepoint_op(request, "rollback to");
}
zova_status zova_database_release_savepoint(const zova_database_savepoint_request *request) {
    return zv_savepoint_op(request, "release");
}
