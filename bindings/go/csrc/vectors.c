/*
 * vectors.c - vector collections and rows (docs/c-api.md §4.11-§4.12, §7.8): create,
 * exists, info, list and delete of collections; put, put_many, get, exists and
 * delete of vectors. Also owns the per-connection vector state (hooks that
 * tell the matrix cache about this connection's writes), the name/id and value
 * validation rules of docs/c-api.md §2.4, and the row decoding shared with search and
 * the SQL helpers. The eight search functions are in vector_search.c.
 */
#include "vector_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- SQL ---- */

static const char ZV_SQL_COLL_GET[] =
    "select dimensions, metric, element_type from _zova_vector_collections where name = ?1";
static const char ZV_SQL_COLL_EXISTS[] = "select 1 from _zova_vector_collections where name = ?1";
static const char ZV_SQL_COLL_INSERT[] =
    "insert into _zova_vector_collections (name, dimensions, metric, element_type) values (?1, ?2, ?3, 'f32')";
static const char ZV_SQL_COLL_COUNT[] = "select count(*) from _zova_vectors where collection_name = ?1";
static const char ZV_SQL_COLL_LIST[] =
    "select name, dimensions, metric, element_type from _zova_vector_collections order by name";
static const char ZV_SQL_COLL_DELETE_ROWS[] = "delete from _zova_vectors where collection_name = ?1";
static const char ZV_SQL_COLL_DELETE[] = "delete from _zova_vector_collections where name = ?1";
static const char ZV_SQL_VEC_UPSERT[] =
    "insert into _zova_vectors (collection_name, vector_id, dimensions, \"values\") values (?1, ?2, ?3, ?4) "
    "on conflict (collection_name, vector_id) do update set dimensions = excluded.dimensions, "
    "\"values\" = excluded.\"values\"";
static const char ZV_SQL_VEC_GET[] =
    "select vector_id, dimensions, \"values\" from _zova_vectors where collection_name = ?1 and vector_id = ?2";
static const char ZV_SQL_VEC_EXISTS[] =
    "select 1 from _zova_vectors where collection_name = ?1 and vector_id = ?2";
static const char ZV_SQL_VEC_DELETE[] = "delete from _zova_vectors where collection_name = ?1 and vector_id = ?2";

static const char *const zv_metric_names[3] = {"cosine", "l2", "dot"};

/* ---- per-connection state and hooks ---- */

static const char ZV_STATE_KEY[] = "zv_vector_state";

static int zv_vec_is_private_table(const char *table) {
    return table && (sqlite3_stricmp(table, "_zova_vectors") == 0 ||
                     sqlite3_stricmp(table, "_zova_vector_collections") == 0);
}

/* Called for every row change made on this connection. */
static void zv_vec_update_hook(void *arg, int op, const char *database, const char *table, sqlite3_int64 rowid) {
    zv_vec_state *state = (zv_vec_state *)arg;
    (void)op;
    if (!database || strcmp(database, "main") != 0 || !zv_vec_is_private_table(table)) return;
    state->generation++;
    state->dirty = 1;
    if (sqlite3_stricmp(table, "_zova_vectors") == 0 && state->generation == state->log_base + state->log_len + 1) {
        if (!state->log) state->log = (int64_t *)malloc(ZV_VEC_LOG_MAX * sizeof(int64_t));
        if (state->log && state->log_len < ZV_VEC_LOG_MAX) {
            state->log[state->log_len++] = rowid;
            return;
        }
    }
    /* Not patchable (collection table, full log): older matrices are rebuilt. */
    state->barrier = state->generation;
    state->log_base = state->generation;
    state->log_len = 0;
}

static void zv_vec_rollback_hook(void *arg) {
    zv_vec_state *state = (zv_vec_state *)arg;
    state->generation++;
    state->barrier = state->generation;
    state->log_base = state->generation;
    state->log_len = 0;
    state->dirty = 0;
}

/* The connection's authorizer. Schema changes are private_tables.c's to allow
 * (no DDL on private tables). DELETE without WHERE uses SQLite's truncate
 * optimization, which skips the update hook; answering SQLITE_IGNORE for our
 * tables makes SQLite delete row by row instead (documented effect), so the
 * cache always hears about it. */
static int zv_vec_authorizer(void *arg, int action, const char *a, const char *b, const char *database,
                             const char *trigger) {
    (void)arg;
    (void)trigger;
    if (action == SQLITE_DELETE && zv_vec_is_private_table(a)) return SQLITE_IGNORE;
    return zv_private_tables_authorize(action, a, b, database);
}

static void zv_vec_state_destroy(void *p) {
    zv_vec_state *state = (zv_vec_state *)p;
    size_t i;
    if (!state) return;
    /* sqlite3_close runs client-data destructors before rolling back an open
     * transaction, which would call the rollback hook: unhook first. */
    sqlite3_update_hook(state->sql, NULL, NULL);
    sqlite3_rollback_hook(state->sql, NULL, NULL);
    sqlite3_set_authorizer(state->sql, NULL, NULL);
    for (i = 0; i < state->stmt_count; i++) sqlite3_finalize(state->stmts[i].stmt);
    zv_vec_matrix_free_all(state);
    zv_vindex_free_all(state);
    free(state->log);
    free(state);
}

int zv_vec_state_attach(sqlite3 *sql) {
    zv_vec_state *state = (zv_vec_state *)calloc(1, sizeof(*state));
    int rc;
    if (!state) return SQLITE_NOMEM;
    state->sql = sql;
    rc = sqlite3_set_clientdata(sql, ZV_STATE_KEY, state, zv_vec_state_destroy);
    if (rc != SQLITE_OK) {
        free(state);
        return rc;
    }
    sqlite3_update_hook(sql, zv_vec_update_hook, state);
    sqlite3_rollback_hook(sql, zv_vec_rollback_hook, state);
    return sqlite3_set_authorizer(sql, zv_vec_authorizer, state);
}

zv_vec_state *zv_vec_state_of(sqlite3 *sql) { return (zv_vec_state *)sqlite3_get_clientdata(sql, ZV_STATE_KEY); }

/* Statements are finalized before the handle closes its connection. */
static void zv_vec_release_db(zova_database *db) {
    zv_vec_state *state = (zv_vec_state *)db->vector_state;
    size_t i;
    if (!state) return;
    for (i = 0; i < state->stmt_count; i++) sqlite3_finalize(state->stmts[i].stmt);
    state->stmt_count = 0;
    state->linked = 0;
    zv_vec_matrix_free_all(state);
    zv_vindex_free_all(state);
}

void zv_vec_ctx_init(zv_vec_ctx *ctx, sqlite3 *sql, int cache_statements) {
    ctx->sql = sql;
    ctx->state = zv_vec_state_of(sql);
    ctx->cache_statements = cache_statements && ctx->state != NULL;
    ctx->has_message = 0;
}

void zv_vec_db_ctx(zova_database *db, zv_vec_ctx *ctx) {
    zv_vec_ctx_init(ctx, db->sql, 1);
    if (!db->vector_state && ctx->state) {
        db->vector_state = ctx->state;
        db->release_vector_state = zv_vec_release_db;
        ctx->state->linked = 1;
    }
}

sqlite3_stmt *zv_vec_stmt(zv_vec_ctx *ctx, const char *sql, zova_status *status) {
    sqlite3_stmt *stmt = NULL;
    zv_vec_state *state = ctx->state;
    int rc;
    size_t i;
    if (ctx->cache_statements) {
        for (i = 0; i < state->stmt_count; i++) {
            if (state->stmts[i].sql != sql) continue;
            if (!sqlite3_stmt_busy(state->stmts[i].stmt)) return state->stmts[i].stmt;
            /* In use further up the stack (an SQL helper called while one of
             * our statements runs): use a one-shot statement instead. */
            rc = sqlite3_prepare_v2(ctx->sql, sql, -1, &stmt, NULL);
            if (rc != SQLITE_OK) {
                *status = zv_vec_sqlite_status(ctx, rc);
                sqlite3_finalize(stmt);
                return NULL;
            }
            return stmt;
        }
    }
    rc = sqlite3_prepare_v3(ctx->sql, sql, -1, ctx->cache_statements ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, NULL);
    if (rc != SQLITE_OK) {
        *status = zv_vec_sqlite_status(ctx, rc);
        sqlite3_finalize(stmt);
        return NULL;
    }
    if (ctx->cache_statements && state->stmt_count < ZV_VEC_STMT_CACHE) {
        state->stmts[state->stmt_count].sql = sql;
        state->stmts[state->stmt_count].stmt = stmt;
        state->stmt_count++;
    } else if (ctx->cache_statements) {
        /* Cache full (cannot happen with the fixed set of statements): fall back
         * to a one-shot statement. */
        sqlite3_finalize(stmt);
        ctx->cache_statements = 0;
        rc = sqlite3_prepare_v2(ctx->sql, sql, -1, &stmt, NULL);
        if (rc != SQLITE_OK) {
            *status = zv_vec_sqlite_status(ctx, rc);
            return NULL;
        }
    }
    return stmt;
}

void zv_vec_stmt_done(zv_vec_ctx *ctx, sqlite3_stmt *stmt) {
    size_t i;
    if (!stmt) return;
    if (ctx->state) {
        for (i = 0; i < ctx->state->stmt_count; i++) {
            if (ctx->state->stmts[i].stmt == stmt) {
                sqlite3_reset(stmt);
                sqlite3_clear_bindings(stmt);
                return;
            }
        }
    }
    sqlite3_finalize(stmt);
}

zova_status zv_vec_sqlite_status(zv_vec_ctx *ctx, int rc) {
    const char *message = sqlite3_errmsg(ctx->sql);
    zova_status status = zv_status_from_sqlite(rc);
    if (!message || strcmp(message, "not an error") == 0) message = zv_status_kind(status);
    ctx->has_message = 1;
    snprintf(ctx->message, sizeof(ctx->message), "%s", message);
    return status;
}

/* Ends an ABI call: SQLite's text for failures SQLite produced (docs/c-api.md §5.5). */
static zova_status zv_vec_finish(zova_database *db, zv_vec_ctx *ctx, zova_status status) {
    if (status != ZOVA_OK && ctx->has_message) zv_fail_message(db, status, ctx->message);
    return zv_unlock(db, status);
}

/* ---- validation (docs/c-api.md §2.4) ---- */

static int zv_utf8_valid(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
        } else if (c >= 0xC2 && c <= 0xDF) {
            if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80) return 0;
            i += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            unsigned char c1;
            if (i + 2 >= n) return 0;
            c1 = s[i + 1];
            if ((c1 & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80) return 0;
            if (c == 0xE0 && c1 < 0xA0) return 0; /* overlong */
            if (c == 0xED && c1 > 0x9F) return 0; /* surrogates */
            i += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            unsigned char c1;
            if (i + 3 >= n) return 0;
            c1 = s[i + 1];
            if ((c1 & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 || (s[i + 3] & 0xC0) != 0x80) return 0;
            if (c == 0xF0 && c1 < 0x90) return 0; /* overlong */
            if (c == 0xF4 && c1 > 0x8F) return 0; /* > U+10FFFF */
            i += 4;
        } else {
            return 0;
        }
    }
    return 1;
}

/* Why a collection name or vector id is refused (docs/c-api.md §2.4), or NULL. */
static const char *zv_vec_name_problem(const char *name) {
    size_t len = strlen(name);
    if (len == 0) return "is empty";
    if (len > ZV_VEC_MAX_NAME) return "is longer than 255 bytes";
    if (len >= 6 && sqlite3_strnicmp(name, "_zova_", 6) == 0) return "starts with the reserved prefix _zova_";
    if (!zv_utf8_valid((const unsigned char *)name, len)) return "is not valid UTF-8";
    return NULL;
}

int zv_vec_name_valid(const char *name) { return zv_vec_name_problem(name) == NULL; }

/* 75 for a refused name or id, with a message in out saying which (`what`,
 * e.g. "collection name") and why; else OK. */
static zova_status zv_vec_name_message(char *out, size_t size, const char *what, const char *name) {
    const char *problem = zv_vec_name_problem(name);
    if (!problem) return ZOVA_OK;
    snprintf(out, size, "%s %s; names and ids are 1-255 bytes of UTF-8 not starting with _zova_", what, problem);
    return ZOVA_VECTOR_INVALID;
}

/* zv_vec_name_message as the handle's last error (include/zova.h). */
static zova_status zv_vec_name_check(zova_database *db, const char *what, const char *name) {
    char message[2 * ZV_VEC_MAX_NAME + 200];
    zova_status status = zv_vec_name_message(message, sizeof(message), what, name);
    return status == ZOVA_OK ? ZOVA_OK : zv_fail_message(db, status, message);
}

zova_status zv_vec_refuse(zv_vec_ctx *ctx, zova_status status, const char *message) {
    ctx->has_message = 1;
    snprintf(ctx->message, sizeof(ctx->message), "%s", message);
    return status;
}

zova_status zv_vec_name_refused(zv_vec_ctx *ctx, const char *what, const char *name) {
    zova_status status = zv_vec_name_message(ctx->message, sizeof(ctx->message), what, name);
    if (status != ZOVA_OK) ctx->has_message = 1;
    return status;
}

static int zv_f32_finite(float f) {
    uint32_t bits;
    memcpy(&bits, &f, 4);
    return (bits & 0x7f800000u) != 0x7f800000u;
}

zova_status zv_vec_values_check(const zv_vec_collection *coll, const float *values, size_t len) {
    int non_finite = 0, nonzero = 0;
    if (len != coll->dims) return ZOVA_VECTOR_DIMENSION_MISMATCH;
    zv_kern_check_values(values, len, &non_finite, &nonzero);
    if (non_finite) return ZOVA_VECTOR_INVALID;
    if (coll->metric == ZOVA_VECTOR_METRIC_COSINE && !nonzero) return ZOVA_VECTOR_INVALID;
    return ZOVA_OK;
}

/* zv_vec_values_check for the values of `subject` ("the vector", "vector 2 of
 * the batch (id ...)"); a refusal writes a message saying what is wrong. */
static zova_status zv_vec_values_message(char *out, size_t size, const zv_vec_collection *coll,
                                         const float *values, size_t len, const char *subject) {
    zova_status status = zv_vec_values_check(coll, values, len);
    size_t i = 0;
    if (status == ZOVA_OK) return ZOVA_OK;
    if (status == ZOVA_VECTOR_DIMENSION_MISMATCH) {
        snprintf(out, size, "dimension mismatch: collection %s has %u dimensions, %s has %zu", coll->name,
                 (unsigned)coll->dims, subject, len);
        return status;
    }
    while (i < len && zv_f32_finite(values[i])) i++;
    if (i == len) {
        snprintf(out, size, "%s is all zeros: cosine vectors must not be all zeros", subject);
    } else {
        const char *value = values[i] != values[i] ? "NaN" : values[i] > 0 ? "+inf" : "-inf";
        snprintf(out, size, "%s has %s at index %zu; values must be finite", subject, value, i);
    }
    return status;
}

static zova_status zv_vec_values_fail(zova_database *db, const zv_vec_collection *coll, const float *values,
                                      size_t len, const char *subject) {
    char message[2 * ZV_VEC_MAX_NAME + 200];
    zova_status status = zv_vec_values_message(message, sizeof(message), coll, values, len, subject);
    return status == ZOVA_OK ? ZOVA_OK : zv_fail_message(db, status, message);
}

zova_status zv_vec_values_refused(zv_vec_ctx *ctx, const zv_vec_collection *coll, const float *values, size_t len,
                                  const char *subject) {
    zova_status status = zv_vec_values_message(ctx->message, sizeof(ctx->message), coll, values, len, subject);
    if (status != ZOVA_OK) ctx->has_message = 1;
    return status;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define ZV_BIG_ENDIAN 1
#else
#define ZV_BIG_ENDIAN 0
#endif

void zv_f32_from_le(float *dst, const void *src, size_t n) {
#if ZV_BIG_ENDIAN
    const unsigned char *p = (const unsigned char *)src;
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t bits = (uint32_t)p[4 * i] | ((uint32_t)p[4 * i + 1] << 8) | ((uint32_t)p[4 * i + 2] << 16) |
                        ((uint32_t)p[4 * i + 3] << 24);
        memcpy(&dst[i], &bits, 4);
    }
#else
    if (n) memcpy(dst, src, n * 4);
#endif
}

void zv_f32_to_le(void *dst, const float *src, size_t n) {
#if ZV_BIG_ENDIAN
    unsigned char *p = (unsigned char *)dst;
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &src[i], 4);
        p[4 * i] = (unsigned char)bits;
        p[4 * i + 1] = (unsigned char)(bits >> 8);
        p[4 * i + 2] = (unsigned char)(bits >> 16);
        p[4 * i + 3] = (unsigned char)(bits >> 24);
    }
#else
    if (n) memcpy(dst, src, n * 4);
#endif
}

zova_status zv_vec_row_decode(const zv_vec_collection *coll, sqlite3_stmt *stmt, int dims_col, int blob_col,
                              float *out) {
    const void *blob;
    size_t i;
    int nonzero = 0;
    if (sqlite3_column_type(stmt, dims_col) != SQLITE_INTEGER ||
        sqlite3_column_int64(stmt, dims_col) != (sqlite3_int64)coll->dims) {
        return ZOVA_VECTOR_CORRUPT;
    }
    if (sqlite3_column_type(stmt, blob_col) != SQLITE_BLOB) return ZOVA_VECTOR_CORRUPT;
    blob = sqlite3_column_blob(stmt, blob_col);
    if (!blob || (size_t)sqlite3_column_bytes(stmt, blob_col) != (size_t)coll->dims * 4) return ZOVA_VECTOR_CORRUPT;
    zv_f32_from_le(out, blob, coll->dims);
    for (i = 0; i < coll->dims; i++) {
        if (!zv_f32_finite(out[i])) return ZOVA_VECTOR_CORRUPT;
        if (out[i] != 0.0f) nonzero = 1;
    }
    if (coll->metric == ZOVA_VECTOR_METRIC_COSINE && !nonzero) return ZOVA_VECTOR_CORRUPT;
    return ZOVA_OK;
}

/* ---- collection lookup ---- */

static int zv_metric_from_text(const unsigned char *text, int len) {
    int m;
    if (!text) return -1;
    for (m = 0; m < 3; m++) {
        if ((size_t)len == strlen(zv_metric_names[m]) && memcmp(text, zv_metric_names[m], (size_t)len) == 0) return m;
    }
    return -1;
}

/* Reads dimensions/metric/element_type at columns first..first+2 (31 if invalid). */
static zova_status zv_vec_metadata(sqlite3_stmt *stmt, int first, uint32_t *dims, int *metric) {
    sqlite3_int64 d;
    const unsigned char *element;
    if (sqlite3_column_type(stmt, first) != SQLITE_INTEGER) return ZOVA_NOT_ZOVA_DATABASE;
    d = sqlite3_column_int64(stmt, first);
    if (d < 1 || d > (sqlite3_int64)ZV_VEC_MAX_DIMS) return ZOVA_NOT_ZOVA_DATABASE;
    if (sqlite3_column_type(stmt, first + 1) != SQLITE_TEXT) return ZOVA_NOT_ZOVA_DATABASE;
    *metric = zv_metric_from_text(sqlite3_column_text(stmt, first + 1), sqlite3_column_bytes(stmt, first + 1));
    if (*metric < 0) return ZOVA_NOT_ZOVA_DATABASE;
    element = sqlite3_column_text(stmt, first + 2);
    if (sqlite3_column_type(stmt, first + 2) != SQLITE_TEXT || !element ||
        sqlite3_column_bytes(stmt, first + 2) != 3 || memcmp(element, "f32", 3) != 0) {
        return ZOVA_NOT_ZOVA_DATABASE;
    }
    *dims = (uint32_t)d;
    return ZOVA_OK;
}

zova_status zv_vec_collection_load(zv_vec_ctx *ctx, const char *name, zv_vec_collection *coll, sqlite3_stmt **pin) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt = zv_vec_stmt(ctx, ZV_SQL_COLL_GET, &status);
    int rc;
    if (pin) *pin = NULL;
    if (!stmt) return status;
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        status = ZOVA_VECTOR_COLLECTION_NOT_FOUND;
    } else if (rc != SQLITE_ROW) {
        status = zv_vec_sqlite_status(ctx, rc);
    } else {
        status = zv_vec_metadata(stmt, 0, &coll->dims, &coll->metric);
        if (status == ZOVA_OK) {
            coll->name_len = strlen(name);
            memcpy(coll->name, name, coll->name_len + 1);
        }
    }
    if (status == ZOVA_OK && pin) *pin = stmt;
    else zv_vec_stmt_done(ctx, stmt);
    return status;
}

/* Runs a statement with bound parameters to completion (writes). */
static zova_status zv_vec_step_done(zv_vec_ctx *ctx, sqlite3_stmt *stmt) {
    int rc = sqlite3_step(stmt);
    zova_status status = ZOVA_OK;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) status = zv_vec_sqlite_status(ctx, rc);
    zv_vec_stmt_done(ctx, stmt);
    return status;
}

/* 1 if the statement (bound) yields a row, 0 if not, -1 on error (*status set). */
static int zv_vec_step_exists(zv_vec_ctx *ctx, sqlite3_stmt *stmt, zova_status *status) {
    int rc = sqlite3_step(stmt);
    int result = rc == SQLITE_ROW ? 1 : 0;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        *status = zv_vec_sqlite_status(ctx, rc);
        result = -1;
    }
    zv_vec_stmt_done(ctx, stmt);
    return result;
}

/* get, exists and delete: both names valid (else 75), then the collection (71). */
static zova_status zv_vec_load_keyed(zova_database *db, zv_vec_ctx *ctx, const char *collection_name,
                                     const char *vector_id, zv_vec_collection *coll) {
    zova_status status = zv_vec_name_check(db, "collection name", collection_name);
    if (status == ZOVA_OK) status = zv_vec_name_check(db, "vector id", vector_id);
    if (status != ZOVA_OK) return status;
    return zv_vec_collection_load(ctx, collection_name, coll, NULL);
}

/* A statement on one vector row: ?1 the collection, ?2 the vector id. */
static sqlite3_stmt *zv_vec_keyed_stmt(zv_vec_ctx *ctx, const char *sql, const zv_vec_collection *coll,
                                       const char *vector_id, zova_status *status) {
    sqlite3_stmt *stmt = zv_vec_stmt(ctx, sql, status);
    if (!stmt) return NULL;
    sqlite3_bind_text(stmt, 1, coll->name, (int)coll->name_len, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, vector_id, -1, SQLITE_STATIC);
    return stmt;
}

/* 1 if the vector is stored, 0 if not, -1 on error (*status set). */
static int zv_vec_stored(zv_vec_ctx *ctx, const zv_vec_collection *coll, const char *vector_id, zova_status *status) {
    sqlite3_stmt *stmt = zv_vec_keyed_stmt(ctx, ZV_SQL_VEC_EXISTS, coll, vector_id, status);
    return stmt ? zv_vec_step_exists(ctx, stmt, status) : -1;
}

static zova_status zv_vec_count(zv_vec_ctx *ctx, const char *name, uint64_t *out) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt = zv_vec_stmt(ctx, ZV_SQL_COLL_COUNT, &status);
    int rc;
    if (!stmt) return status;
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) *out = (uint64_t)sqlite3_column_int64(stmt, 0);
    else status = zv_vec_sqlite_status(ctx, rc);
    zv_vec_stmt_done(ctx, stmt);
    return status;
}

/* ---- ABI plumbing ---- */

#define ZV_VEC_BEGIN(request)                                              \
    zova_database *db;                                                     \
    zv_vec_ctx ctx;                                                        \
    zova_status status = ZOVA_OK;                                          \
    if (!(request) || !(request)->db) return ZOVA_INVALID_ARGUMENT;        \
    db = (request)->db;                                                    \
    zv_lock(db);                                                           \
    zv_vec_db_ctx(db, &ctx)

#define ZV_VEC_END() return zv_vec_finish(db, &ctx, status)

/* ---- collections (docs/c-api.md §4.11) ---- */

zova_status zova_vector_collection_create(const zova_vector_collection_create_request *request) {
    sqlite3_stmt *stmt;
    int exists;
    ZV_VEC_BEGIN(request);
    if (!request->name) {
        status = ZOVA_INVALID_ARGUMENT;
    } else if (request->options.metric < 0 || request->options.metric > 2) {
        char message[96];
        snprintf(message, sizeof(message), "metric must be 0 (cosine), 1 (l2) or 2 (dot), got %d",
                 (int)request->options.metric);
        status = zv_fail_message(db, ZOVA_INVALID_ARGUMENT, message);
    } else {
        status = zv_vec_name_check(db, "collection name", request->name);
    }
    if (status == ZOVA_OK && (request->options.dimensions == 0 || request->options.dimensions > ZV_VEC_MAX_DIMS)) {
        char message[96];
        snprintf(message, sizeof(message), "dimensions must be 1..%u, got %u", ZV_VEC_MAX_DIMS,
                 (unsigned)request->options.dimensions);
        status = zv_fail_message(db, ZOVA_VECTOR_INVALID, message);
    }
    if (status != ZOVA_OK) ZV_VEC_END();
    stmt = zv_vec_stmt(&ctx, ZV_SQL_COLL_EXISTS, &status);
    if (!stmt) ZV_VEC_END();
    sqlite3_bind_text(stmt, 1, request->name, -1, SQLITE_STATIC);
    exists = zv_vec_step_exists(&ctx, stmt, &status);
    if (exists < 0) ZV_VEC_END();
    if (exists) {
        status = ZOVA_VECTOR_COLLECTION_EXISTS;
        ZV_VEC_END();
    }
    status = zv_private_tables_guard(db); /* no foreign triggers in our writes */
    if (status != ZOVA_OK) ZV_VEC_END();
    stmt = zv_vec_stmt(&ctx, ZV_SQL_COLL_INSERT, &status);
    if (!stmt) ZV_VEC_END();
    sqlite3_bind_text(stmt, 1, request->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)request->options.dimensions);
    sqlite3_bind_text(stmt, 3, zv_metric_names[request->options.metric], -1, SQLITE_STATIC);
    status = zv_vec_step_done(&ctx, stmt);
    if (status == ZOVA_CONSTRAINT) {
        /* docs/c-api.md §6.2: a constraint failure here means the name exists. */
        status = ZOVA_VECTOR_COLLECTION_EXISTS;
        ctx.has_message = 0;
    }
    ZV_VEC_END();
}

zova_status zova_vector_collection_exists(const zova_vector_collection_exists_request *request) {
    sqlite3_stmt *stmt;
    int exists;
    ZV_VEC_BEGIN(request);
    if (!request->name || !request->out_exists) status = ZOVA_INVALID_ARGUMENT;
    else status = zv_vec_name_check(db, "collection name", request->name);
    if (status != ZOVA_OK) ZV_VEC_END();
    stmt = zv_vec_stmt(&ctx, ZV_SQL_COLL_EXISTS, &status);
    if (!stmt) ZV_VEC_END();
    sqlite3_bind_text(stmt, 1, request->name, -1, SQLITE_STATIC);
    exists = zv_vec_step_exists(&ctx, stmt, &status);
    if (exists >= 0) *request->out_exists = (uint8_t)exists;
    ZV_VEC_END();
}

static zova_status zv_vec_info_fill(zv_vec_ctx *ctx, const char *name, uint32_t dims, int metric,
                                    zova_vector_collection_info *info) {
    uint64_t count = 0;
    zova_status status = zv_vec_count(ctx, name, &count);
    if (status != ZOVA_OK) return status;
    info->name_len = strlen(name);
    info->name = zv_strndup(name, info->name_len);
    if (!info->name) {
        info->name_len = 0;
        return ZOVA_OUT_OF_MEMORY;
    }
    info->dimensions = dims;
    info->metric = metric;
    info->vector_count = count;
    return ZOVA_OK;
}

zova_status zova_vector_collection_info_get(const zova_vector_collection_info_get_request *request) {
    zv_vec_collection coll;
    ZV_VEC_BEGIN(request);
    if (!request->name || !request->out_info) {
        status = ZOVA_INVALID_ARGUMENT;
        ZV_VEC_END();
    }
    memset(request->out_info, 0, sizeof(*request->out_info));
    status = zv_vec_name_check(db, "collection name", request->name);
    if (status == ZOVA_OK) status = zv_vec_collection_load(&ctx, request->name, &coll, NULL);
    if (status == ZOVA_OK) status = zv_vec_info_fill(&ctx, coll.name, coll.dims, coll.metric, request->out_info);
    ZV_VEC_END();
}

zova_status zova_vector_collections_list(const zova_vector_collections_list_request *request) {
    sqlite3_stmt *stmt;
    zova_vector_collection_info *items = NULL;
    size_t len = 0, cap = 0, i;
    char **names = NULL;
    uint32_t *dims = NULL;
    int *metrics = NULL;
    int rc;
    ZV_VEC_BEGIN(request);
    if (!request->out_list) {
        status = ZOVA_INVALID_ARGUMENT;
        ZV_VEC_END();
    }
    request->out_list->items = NULL;
    request->out_list->len = 0;
    stmt = zv_vec_stmt(&ctx, ZV_SQL_COLL_LIST, &status);
    if (!stmt) ZV_VEC_END();
    /* First collect the rows, then count each (the list statement must be done). */
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_text(stmt, 0);
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            char **nn = (char **)realloc(names, ncap * sizeof(*nn));
            uint32_t *nd;
            int *nm;
            if (nn) names = nn;
            nd = nn ? (uint32_t *)realloc(dims, ncap * sizeof(*nd)) : NULL;
            if (nd) dims = nd;
            nm = nd ? (int *)realloc(metrics, ncap * sizeof(*nm)) : NULL;
            if (nm) metrics = nm;
            if (!nm) {
                status = ZOVA_OUT_OF_MEMORY;
                break;
            }
            cap = ncap;
        }
        status = zv_vec_metadata(stmt, 1, &dims[len], &metrics[len]);
        if (status != ZOVA_OK) break;
        names[len] = zv_strndup(name ? (const char *)name : "", name ? (size_t)sqlite3_column_bytes(stmt, 0) : 0);
        if (!names[len]) {
            status = ZOVA_OUT_OF_MEMORY;
            break;
        }
        len++;
    }
    if (status == ZOVA_OK && rc != SQLITE_DONE) status = zv_vec_sqlite_status(&ctx, rc);
    zv_vec_stmt_done(&ctx, stmt);
    if (status == ZOVA_OK && len) {
        items = (zova_vector_collection_info *)calloc(len, sizeof(*items));
        if (!items) status = ZOVA_OUT_OF_MEMORY;
        for (i = 0; status == ZOVA_OK && i < len; i++) {
            status = zv_vec_info_fill(&ctx, names[i], dims[i], metrics[i], &items[i]);
        }
        if (status == ZOVA_OK) {
            request->out_list->items = items;
            request->out_list->len = len;
        } else if (items) {
            zova_vector_collection_list list;
            list.items = items;
            list.len = len;
            zova_vector_collection_list_free(&list);
        }
    }
    for (i = 0; i < len; i++) free(names[i]);
    free(names);
    free(dims);
    free(metrics);
    ZV_VEC_END();
}

zova_status zova_vector_collection_delete(const zova_vector_collection_delete_request *request) {
    zv_vec_collection coll;
    sqlite3_stmt *stmt;
    int indexed = 0;
    ZV_VEC_BEGIN(request);
    if (!request->name) status = ZOVA_INVALID_ARGUMENT;
    else status = zv_vec_name_check(db, "collection name", request->name);
    if (status == ZOVA_OK) status = zv_vec_collection_load(&ctx, request->name, &coll, NULL);
    if (status != ZOVA_OK) ZV_VEC_END();
    status = zv_private_tables_guard(db); /* no foreign triggers in our writes */
    if (status == ZOVA_OK) status = zv_vindex_write_begin(&ctx, db, &indexed);
    if (status != ZOVA_OK) ZV_VEC_END();
    stmt = zv_vec_stmt(&ctx, ZV_SQL_COLL_DELETE_ROWS, &status);
    if (stmt) {
        sqlite3_bind_text(stmt, 1, request->name, -1, SQLITE_STATIC);
        status = zv_vec_step_done(&ctx, stmt);
    }
    if (status == ZOVA_OK && (stmt = zv_vec_stmt(&ctx, ZV_SQL_COLL_DELETE, &status)) != NULL) {
        sqlite3_bind_text(stmt, 1, request->name, -1, SQLITE_STATIC);
        status = zv_vec_step_done(&ctx, stmt);
    }
    status = zv_vindex_write_end(&ctx, request->name, status, indexed);
    ZV_VEC_END();
}

/* ---- rows (docs/c-api.md §4.12) ---- */

/* Upserts one validated row with the upsert statement. */
static zova_status zv_vec_upsert(zv_vec_ctx *ctx, sqlite3_stmt *stmt, const zv_vec_collection *coll, const char *id,
                                 const float *values, float *scratch) {
    int rc;
    const void *blob = values;
    zova_status status;
    if (ZV_BIG_ENDIAN) {
        zv_f32_to_le(scratch, values, coll->dims);
        blob = scratch;
    }
    sqlite3_bind_text(stmt, 1, coll->name, (int)coll->name_len, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, (sqlite3_int64)coll->dims);
    sqlite3_bind_blob(stmt, 4, blob, (int)(coll->dims * 4), SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    status = rc == SQLITE_DONE ? ZOVA_OK : zv_vec_sqlite_status(ctx, rc);
    sqlite3_reset(stmt);
    return status;
}

zova_status zova_vector_put(const zova_vector_put_request *request) {
    zv_vec_collection coll;
    sqlite3_stmt *stmt;
    float *scratch = NULL;
    int indexed = 0;
    ZV_VEC_BEGIN(request);
    if (!request->collection_name || !request->vector_id || (!request->values && request->values_len > 0)) {
        status = ZOVA_INVALID_ARGUMENT;
        ZV_VEC_END();
    }
    status = zv_vec_name_check(db, "collection name", request->collection_name);
    if (status == ZOVA_OK) status = zv_vec_collection_load(&ctx, request->collection_name, &coll, NULL);
    if (status == ZOVA_OK) status = zv_vec_name_check(db, "vector id", request->vector_id);
    if (status == ZOVA_OK) status = zv_vec_values_fail(db, &coll, request->values, request->values_len, "the vector");
    if (status != ZOVA_OK) ZV_VEC_END();
    if (ZV_BIG_ENDIAN && !(scratch = (float *)malloc((size_t)coll.dims * 4))) {
        status = ZOVA_OUT_OF_MEMORY;
        ZV_VEC_END();
    }
    status = zv_private_tables_guard(db); /* no foreign triggers in our writes */
    if (status == ZOVA_OK) status = zv_vindex_write_begin(&ctx, db, &indexed);
    stmt = status == ZOVA_OK ? zv_vec_stmt(&ctx, ZV_SQL_VEC_UPSERT, &status) : NULL;
    if (stmt) {
        status = zv_vec_upsert(&ctx, stmt, &coll, request->vector_id, request->values, scratch);
        zv_vec_stmt_done(&ctx, stmt);
    }
    status = zv_vindex_write_end(&ctx, coll.name, status, indexed);
    free(scratch);
    ZV_VEC_END();
}

/* By id bytes, then by position in the request (pointers into one array). */
static int zv_input_cmp(const void *pa, const void *pb) {
    const zova_vector_input *a = *(const zova_vector_input *const *)pa;
    const zova_vector_input *b = *(const zova_vector_input *const *)pb;
    int c = strcmp(a->id, b->id);
    if (c) return c;
    return a < b ? -1 : a > b;
}

zova_status zova_vector_put_many(const zova_vector_put_many_request *request) {
    zv_vec_collection coll;
    sqlite3_stmt *stmt;
    const zova_vector_input **order;
    float *scratch = NULL;
    size_t i;
    int own_transaction = 0, indexed = 0;
    ZV_VEC_BEGIN(request);
    if (!request->collection_name || (!request->vectors && request->vectors_len > 0)) {
        status = ZOVA_INVALID_ARGUMENT;
        ZV_VEC_END();
    }
    for (i = 0; i < request->vectors_len; i++) {
        const zova_vector_input *v = &request->vectors[i];
        if (!v->id || (!v->values && v->values_len > 0)) {
            status = ZOVA_INVALID_ARGUMENT;
            ZV_VEC_END();
        }
    }
    status = zv_vec_name_check(db, "collection name", request->collection_name);
    if (status == ZOVA_OK) status = zv_vec_collection_load(&ctx, request->collection_name, &coll, NULL);
    /* Validate every row before writing any (docs/c-api.md §4.12). */
    for (i = 0; status == ZOVA_OK && i < request->vectors_len; i++) {
        const zova_vector_input *v = &request->vectors[i];
        char subject[ZV_VEC_MAX_NAME + 64];
        snprintf(subject, sizeof(subject), "the id of vector %zu of the batch", i);
        status = zv_vec_name_check(db, subject, v->id);
        if (status != ZOVA_OK) break;
        snprintf(subject, sizeof(subject), "vector %zu of the batch (id %s)", i, v->id);
        status = zv_vec_values_fail(db, &coll, v->values, v->values_len, subject);
    }
    if (status != ZOVA_OK || request->vectors_len == 0) ZV_VEC_END();
    if (ZV_BIG_ENDIAN && !(scratch = (float *)malloc((size_t)coll.dims * 4))) {
        status = ZOVA_OUT_OF_MEMORY;
        ZV_VEC_END();
    }
    stmt = zv_vec_stmt(&ctx, ZV_SQL_VEC_UPSERT, &status);
    if (!stmt) {
        free(scratch);
        ZV_VEC_END();
    }
    /* Outside a caller transaction the batch runs in one transaction of its own
     * (docs/c-api.md §10 allows it): one commit instead of one per row, and atomic. */
    if (request->vectors_len > 1 && sqlite3_get_autocommit(db->sql)) {
        int rc = sqlite3_exec(db->sql, "begin", NULL, NULL, NULL);
        if (rc != SQLITE_OK) status = zv_vec_sqlite_status(&ctx, rc);
        else own_transaction = 1;
    }
    if (status == ZOVA_OK) status = zv_private_tables_guard(db); /* no foreign triggers in our writes */
    if (status == ZOVA_OK) status = zv_vindex_write_begin(&ctx, db, &indexed);
    /* Upsert in id order (stable, so a later duplicate still overwrites an
     * earlier one): the primary-key index then grows at its end instead of at
     * random places, which matters for random ids such as UUIDs. */
    order = (const zova_vector_input **)malloc(request->vectors_len * sizeof(*order));
    if (order) {
        for (i = 0; i < request->vectors_len; i++) order[i] = &request->vectors[i];
        qsort(order, request->vectors_len, sizeof(*order), zv_input_cmp);
    }
    for (i = 0; status == ZOVA_OK && i < request->vectors_len; i++) {
        const zova_vector_input *v = order ? order[i] : &request->vectors[i];
        status = zv_vec_upsert(&ctx, stmt, &coll, v->id, v->values, scratch);
    }
    free(order);
    zv_vec_stmt_done(&ctx, stmt);
    status = zv_vindex_write_end(&ctx, coll.name, status, indexed);
    if (own_transaction) {
        if (status == ZOVA_OK) {
            int rc = sqlite3_exec(db->sql, "commit", NULL, NULL, NULL);
            if (rc != SQLITE_OK) status = zv_vec_sqlite_status(&ctx, rc);
        }
        if (status != ZOVA_OK && !sqlite3_get_autocommit(db->sql)) sqlite3_exec(db->sql, "rollback", NULL, NULL, NULL);
    }
    free(scratch);
    ZV_VEC_END();
}

zova_status zova_vector_get(const zova_vector_get_request *request) {
    zv_vec_collection coll;
    sqlite3_stmt *stmt;
    float *values = NULL;
    char *id = NULL;
    int rc;
    ZV_VEC_BEGIN(request);
    if (!request->collection_name || !request->vector_id || !request->out_vector) {
        status = ZOVA_INVALID_ARGUMENT;
        ZV_VEC_END();
    }
    memset(request->out_vector, 0, sizeof(*request->out_vector));
    status = zv_vec_load_keyed(db, &ctx, request->collection_name, request->vector_id, &coll);
    if (status != ZOVA_OK) ZV_VEC_END();
    stmt = zv_vec_keyed_stmt(&ctx, ZV_SQL_VEC_GET, &coll, request->vector_id, &status);
    if (!stmt) ZV_VEC_END();
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        status = ZOVA_VECTOR_NOT_FOUND;
    } else if (rc != SQLITE_ROW) {
        status = zv_vec_sqlite_status(&ctx, rc);
    } else {
        values = (float *)malloc((size_t)coll.dims * sizeof(float));
        id = zv_strndup(request->vector_id, strlen(request->vector_id));
        if (!values || !id) status = ZOVA_OUT_OF_MEMORY;
        else status = zv_vec_row_decode(&coll, stmt, 1, 2, values);
    }
    zv_vec_stmt_done(&ctx, stmt);
    if (status == ZOVA_OK) {
        request->out_vector->id = id;
        request->out_vector->id_len = strlen(id);
        request->out_vector->values = values;
        request->out_vector->values_len = coll.dims;
    } else {
        free(values);
        free(id);
    }
    ZV_VEC_END();
}

zova_status zova_vector_exists(const zova_vector_exists_request *request) {
    zv_vec_collection coll;
    int exists;
    ZV_VEC_BEGIN(request);
    if (!request->collection_name || !request->vector_id || !request->out_exists) {
        status = ZOVA_INVALID_ARGUMENT;
        ZV_VEC_END();
    }
    status = zv_vec_load_keyed(db, &ctx, request->collection_name, request->vector_id, &coll);
    if (status != ZOVA_OK) ZV_VEC_END();
    exists = zv_vec_stored(&ctx, &coll, request->vector_id, &status);
    if (exists >= 0) *request->out_exists = (uint8_t)exists;
    ZV_VEC_END();
}

zova_status zova_vector_delete(const zova_vector_delete_request *request) {
    zv_vec_collection coll;
    sqlite3_stmt *stmt;
    int exists, indexed = 0;
    ZV_VEC_BEGIN(request);
    if (!request->collection_name || !request->vector_id) {
        status = ZOVA_INVALID_ARGUMENT;
        ZV_VEC_END();
    }
    status = zv_vec_load_keyed(db, &ctx, request->collection_name, request->vector_id, &coll);
    if (status != ZOVA_OK) ZV_VEC_END();
    /* Absent is 72 even on a read-only handle, so look before deleting. */
    exists = zv_vec_stored(&ctx, &coll, request->vector_id, &status);
    if (exists < 0) ZV_VEC_END();
    if (!exists) {
        status = ZOVA_VECTOR_NOT_FOUND;
        ZV_VEC_END();
    }
    status = zv_private_tables_guard(db); /* no foreign triggers in our writes */
    if (status == ZOVA_OK) status = zv_vindex_write_begin(&ctx, db, &indexed);
    if (status != ZOVA_OK) ZV_VEC_END();
    stmt = zv_vec_keyed_stmt(&ctx, ZV_SQL_VEC_DELETE, &coll, request->vector_id, &status);
    if (stmt) status = zv_vec_step_done(&ctx, stmt);
    if (status == ZOVA_OK && sqlite3_changes64(db->sql) == 0) status = ZOVA_VECTOR_NOT_FOUND;
    status = zv_vindex_write_end(&ctx, coll.name, status, indexed);
    ZV_VEC_END();
}
