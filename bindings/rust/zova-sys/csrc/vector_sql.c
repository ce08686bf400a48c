/*
 * vector_sql.c - the SQL surface of docs/c-api.md §8, registered on every
 * connection (read-only ones included): the vector state with its hooks, the
 * scalar functions zova_vector_distance / zova_vector_distance_by_id and the
 * eponymous-only virtual table zova_vector_search. They use the raw connection
 * (never the handle lock: they run inside a step that already holds it) and
 * the same code as the C ABI (vectors.c, vector_search.c).
 */
#include "vector_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char ZV_SQL_ROW[] =
    "select rowid, dimensions, \"values\" from _zova_vectors where collection_name = ?1 and vector_id = ?2";

#define ZV_MSG_ARGUMENT "invalid Zova vector SQL argument"

static const char *zv_sql_message(zova_status status) {
    switch (status) {
    case ZOVA_VECTOR_COLLECTION_NOT_FOUND: return "Zova vector collection not found";
    case ZOVA_VECTOR_NOT_FOUND: return "Zova vector not found";
    case ZOVA_VECTOR_DIMENSION_MISMATCH: return "Zova vector dimension mismatch";
    case ZOVA_VECTOR_CORRUPT:
    case ZOVA_NOT_ZOVA_DATABASE: return "Zova vector row is corrupt";
    case ZOVA_VECTOR_INVALID: return "invalid Zova vector value";
    case ZOVA_OUT_OF_MEMORY: return "out of memory";
    default: return "Zova vector SQL error";
    }
}

/* Statements are cached only on connections whose zova_database finalizes them
 * before closing (the handle has made a vector call). */
static void zv_sql_ctx(zv_vec_ctx *ctx, sqlite3 *sql) {
    zv_vec_ctx_init(ctx, sql, 1);
    if (!ctx->state || !ctx->state->linked) ctx->cache_statements = 0;
}

/* Loads a stored row of coll into out (72 absent, 74 invalid incl. cosine zero). */
static zova_status zv_sql_row(zv_vec_ctx *ctx, const zv_vec_collection *coll, const char *id, float *out) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt = zv_vec_stmt(ctx, ZV_SQL_ROW, &status);
    int rc;
    if (!stmt) return status;
    sqlite3_bind_text(stmt, 1, coll->name, (int)coll->name_len, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) status = ZOVA_VECTOR_NOT_FOUND;
    else if (rc != SQLITE_ROW) status = zv_vec_sqlite_status(ctx, rc);
    else status = zv_vec_row_decode(coll, stmt, 1, 2, out);
    zv_vec_stmt_done(ctx, stmt);
    return status;
}

/* zova_vector_distance(collection, vector_id, query_blob) and
 * zova_vector_distance_by_id(collection, vector_id, source_vector_id). */
static void zv_sql_distance(sqlite3_context *context, int argc, sqlite3_value **argv, int by_id) {
    zv_vec_ctx ctx;
    zv_vec_collection coll;
    zova_status status;
    const char *name, *id, *source_id = NULL;
    float *a = NULL, *b = NULL;
    double distance = 0.0;
    if (argc != 3 || sqlite3_value_type(argv[0]) != SQLITE_TEXT || sqlite3_value_type(argv[1]) != SQLITE_TEXT ||
        sqlite3_value_type(argv[2]) != (by_id ? SQLITE_TEXT : SQLITE_BLOB)) {
        sqlite3_result_error(context, ZV_MSG_ARGUMENT, -1);
        return;
    }
    name = (const char *)sqlite3_value_text(argv[0]);
    id = (const char *)sqlite3_value_text(argv[1]);
    if (by_id) source_id = (const char *)sqlite3_value_text(argv[2]);
    if (!name || !id || (by_id && !source_id)) {
        sqlite3_result_error(context, "out of memory", -1);
        return;
    }
    zv_sql_ctx(&ctx, sqlite3_context_db_handle(context));
    if (!zv_vec_name_valid(name) || !zv_vec_name_valid(id) || (by_id && !zv_vec_name_valid(source_id))) {
        status = ZOVA_VECTOR_INVALID;
    } else {
        status = zv_vec_collection_load(&ctx, name, &coll, NULL);
    }
    if (status == ZOVA_OK) {
        a = (float *)malloc((size_t)coll.dims * sizeof(float));
        b = (float *)malloc((size_t)coll.dims * sizeof(float));
        if (!a || !b) status = ZOVA_OUT_OF_MEMORY;
    }
    if (status == ZOVA_OK && by_id) {
        status = zv_sql_row(&ctx, &coll, source_id, a);
    } else if (status == ZOVA_OK) {
        int bytes = sqlite3_value_bytes(argv[2]);
        const void *blob = sqlite3_value_blob(argv[2]);
        if ((size_t)bytes != (size_t)coll.dims * 4 || !blob) {
            status = ZOVA_VECTOR_DIMENSION_MISMATCH;
        } else {
            zv_f32_from_le(a, blob, coll.dims);
            status = zv_vec_values_check(&coll, a, coll.dims);
        }
    }
    if (status == ZOVA_OK) status = zv_sql_row(&ctx, &coll, id, b);
    if (status == ZOVA_OK) {
        distance = zv_vec_exact_distance(coll.metric, a, sqrt(zv_exact_sumsq(a, coll.dims)), b,
                                         sqrt(zv_exact_sumsq(b, coll.dims)), coll.dims);
        sqlite3_result_double(context, distance);
    } else {
        sqlite3_result_error(context, zv_sql_message(status), -1);
    }
    free(a);
    free(b);
}

static void zv_sql_distance_query(sqlite3_context *context, int argc, sqlite3_value **argv) {
    zv_sql_distance(context, argc, argv, 0);
}

static void zv_sql_distance_by_id(sqlite3_context *context, int argc, sqlite3_value **argv) {
    zv_sql_distance(context, argc, argv, 1);
}

/* ---- eponymous-only virtual table zova_vector_search (docs/c-api.md §8.2) ---- */

enum { ZV_COL_RANK, ZV_COL_ID, ZV_COL_DISTANCE, ZV_COL_COLLECTION, ZV_COL_QUERY, ZV_COL_SOURCE, ZV_COL_TOP_K,
       ZV_COL_MAX };

typedef struct zv_search_vtab {
    sqlite3_vtab base;
    sqlite3 *sql;
} zv_search_vtab;

typedef struct zv_search_cursor {
    sqlite3_vtab_cursor base;
    zova_vector_search_results results;
    size_t position;
} zv_search_cursor;

static int zv_vt_connect(sqlite3 *sql, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                         char **err) {
    zv_search_vtab *vtab;
    int rc;
    (void)aux;
    (void)argc;
    (void)argv;
    (void)err;
    rc = sqlite3_declare_vtab(sql,
                              "create table x(rank integer, vector_id text, distance real, collection text hidden, "
                              "query_vector blob hidden, source_vector_id text hidden, top_k integer hidden, "
                              "max_distance real hidden)");
    if (rc != SQLITE_OK) return rc;
    sqlite3_vtab_config(sql, SQLITE_VTAB_INNOCUOUS);
    vtab = (zv_search_vtab *)sqlite3_malloc(sizeof(*vtab));
    if (!vtab) return SQLITE_NOMEM;
    memset(vtab, 0, sizeof(*vtab));
    vtab->sql = sql;
    *out = &vtab->base;
    return SQLITE_OK;
}

static int zv_vt_disconnect(sqlite3_vtab *vtab) {
    sqlite3_free(vtab);
    return SQLITE_OK;
}

/* idxNum bit (column - ZV_COL_COLLECTION) set for each consumed hidden column;
 * arguments arrive in column order. */
static int zv_vt_best_index(sqlite3_vtab *vtab, sqlite3_index_info *info) {
    int slot[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
    int i, col, mask = 0, next = 1;
    (void)vtab;
    for (i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (!c->usable || c->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
        if (c->iColumn < ZV_COL_COLLECTION || c->iColumn > ZV_COL_MAX) continue;
        if (slot[c->iColumn] < 0) slot[c->iColumn] = i;
    }
    for (col = ZV_COL_COLLECTION; col <= ZV_COL_MAX; col++) {
        if (slot[col] < 0) continue;
        mask |= 1 << (col - ZV_COL_COLLECTION);
        info->aConstraintUsage[slot[col]].argvIndex = next++;
        info->aConstraintUsage[slot[col]].omit = 1;
    }
    {
        int has_collection = slot[ZV_COL_COLLECTION] >= 0;
        int inputs = (slot[ZV_COL_QUERY] >= 0) + (slot[ZV_COL_SOURCE] >= 0);
        int bounded = slot[ZV_COL_TOP_K] >= 0 || slot[ZV_COL_MAX] >= 0;
        if (!has_collection || inputs != 1 || !bounded) return SQLITE_CONSTRAINT;
    }
    if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == ZV_COL_RANK && !info->aOrderBy[0].desc) {
        info->orderByConsumed = 1;
    }
    info->idxNum = mask;
    info->estimatedCost = 1e6;
    info->estimatedRows = 100;
    return SQLITE_OK;
}

static int zv_vt_open(sqlite3_vtab *vtab, sqlite3_vtab_cursor **out) {
    zv_search_cursor *cursor = (zv_search_cursor *)sqlite3_malloc(sizeof(*cursor));
    (void)vtab;
    if (!cursor) return SQLITE_NOMEM;
    memset(cursor, 0, sizeof(*cursor));
    *out = &cursor->base;
    return SQLITE_OK;
}

static int zv_vt_close(sqlite3_vtab_cursor *base) {
    zv_search_cursor *cursor = (zv_search_cursor *)base;
    zova_vector_search_results_free(&cursor->results);
    sqlite3_free(cursor);
    return SQLITE_OK;
}

static int zv_vt_error(sqlite3_vtab_cursor *base, const char *message) {
    sqlite3_vtab *vtab = base->pVtab;
    sqlite3_free(vtab->zErrMsg);
    vtab->zErrMsg = sqlite3_mprintf("%s", message);
    return SQLITE_ERROR;
}

static int zv_vt_filter(sqlite3_vtab_cursor *base, int idx_num, const char *idx_str, int argc, sqlite3_value **argv) {
    zv_search_cursor *cursor = (zv_search_cursor *)base;
    zv_search_vtab *vtab = (zv_search_vtab *)base->pVtab;
    sqlite3_value *in[5] = {NULL, NULL, NULL, NULL, NULL};
    zv_vec_search_args args;
    zv_vec_ctx ctx;
    zova_status status;
    float *query = NULL;
    int i, next = 0;
    (void)idx_str;
    zova_vector_search_results_free(&cursor->results);
    cursor->position = 0;
    for (i = 0; i < 5; i++) {
        if (idx_num & (1 << i)) {
            if (next >= argc) return zv_vt_error(base, ZV_MSG_ARGUMENT);
            in[i] = argv[next++];
        }
    }
    memset(&args, 0, sizeof(args));
    args.limit = SIZE_MAX;
    if (!in[0] || sqlite3_value_type(in[0]) != SQLITE_TEXT) return zv_vt_error(base, ZV_MSG_ARGUMENT);
    args.collection_name = (const char *)sqlite3_value_text(in[0]);
    if (in[1]) {
        int bytes;
        const void *blob;
        if (sqlite3_value_type(in[1]) != SQLITE_BLOB) return zv_vt_error(base, ZV_MSG_ARGUMENT);
        bytes = sqlite3_value_bytes(in[1]);
        blob = sqlite3_value_blob(in[1]);
        if (bytes % 4 != 0) {
            args.query_len = SIZE_MAX; /* never equals the dimensions: 73 */
        } else if (bytes > 0) {
            query = (float *)malloc((size_t)bytes);
            if (!query) return zv_vt_error(base, "out of memory");
            zv_f32_from_le(query, blob, (size_t)bytes / 4);
            args.query = query;
            args.query_len = (size_t)bytes / 4;
        }
    } else {
        if (!in[2] || sqlite3_value_type(in[2]) != SQLITE_TEXT) return zv_vt_error(base, ZV_MSG_ARGUMENT);
        args.source_id = (const char *)sqlite3_value_text(in[2]);
    }
    if (in[3]) {
        sqlite3_int64 k;
        if (sqlite3_value_type(in[3]) != SQLITE_INTEGER || (k = sqlite3_value_int64(in[3])) < 0) {
            free(query);
            return zv_vt_error(base, ZV_MSG_ARGUMENT);
        }
        args.limit = (uint64_t)k > (uint64_t)SIZE_MAX ? SIZE_MAX : (size_t)k;
    }
    if (in[4]) {
        int type = sqlite3_value_type(in[4]);
        if (type != SQLITE_INTEGER && type != SQLITE_FLOAT) {
            free(query);
            return zv_vt_error(base, ZV_MSG_ARGUMENT);
        }
        args.max_distance = sqlite3_value_double(in[4]);
        args.has_max_distance = 1;
    }
    if (!args.collection_name || (in[2] && !args.source_id)) {
        free(query);
        return zv_vt_error(base, "out of memory");
    }
    zv_sql_ctx(&ctx, vtab->sql);
    status = zv_vec_search_run(&ctx, &args, &cursor->results);
    free(query);
    if (status != ZOVA_OK) return zv_vt_error(base, zv_sql_message(status));
    return SQLITE_OK;
}

static int zv_vt_next(sqlite3_vtab_cursor *base) {
    ((zv_search_cursor *)base)->position++;
    return SQLITE_OK;
}

static int zv_vt_eof(sqlite3_vtab_cursor *base) {
    zv_search_cursor *cursor = (zv_search_cursor *)base;
    return cursor->position >= cursor->results.len;
}

static int zv_vt_column(sqlite3_vtab_cursor *base, sqlite3_context *context, int column) {
    zv_search_cursor *cursor = (zv_search_cursor *)base;
    const zova_vector_search_result *item = &cursor->results.items[cursor->position];
    switch (column) {
    case ZV_COL_RANK: sqlite3_result_int64(context, (sqlite3_int64)cursor->position + 1); break;
    case ZV_COL_ID: sqlite3_result_text(context, item->id, (int)item->id_len, SQLITE_TRANSIENT); break;
    case ZV_COL_DISTANCE: sqlite3_result_double(context, item->distance); break;
    default: sqlite3_result_null(context); break; /* hidden inputs are consumed, never read back */
    }
    return SQLITE_OK;
}

static int zv_vt_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid) {
    *rowid = (sqlite3_int64)((zv_search_cursor *)base)->position + 1;
    return SQLITE_OK;
}

/* Eponymous-only: no xCreate/xDestroy. */
static sqlite3_module zv_search_module = {
    .iVersion = 0,
    .xConnect = zv_vt_connect,
    .xBestIndex = zv_vt_best_index,
    .xDisconnect = zv_vt_disconnect,
    .xOpen = zv_vt_open,
    .xClose = zv_vt_close,
    .xFilter = zv_vt_filter,
    .xNext = zv_vt_next,
    .xEof = zv_vt_eof,
    .xColumn = zv_vt_column,
    .xRowid = zv_vt_rowid,
};

int zv_vector_sql_register(sqlite3 *sql) {
    int rc = zv_vec_state_attach(sql);
    int flags = SQLITE_UTF8 | SQLITE_INNOCUOUS;
    if (rc == SQLITE_OK) {
        rc = sqlite3_create_function_v2(sql, "zova_vector_distance", 3, flags, NULL, zv_sql_distance_query, NULL,
                                        NULL, NULL);
    }
    if (rc == SQLITE_OK) {
        rc = sqlite3_create_function_v2(sql, "zova_vector_distance_by_id", 3, flags, NULL, zv_sql_distance_by_id,
                                        NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK) rc = sqlite3_create_module_v2(sql, "zova_vector_search", &zv_search_module, NULL, NULL);
    if (rc == SQLITE_OK) rc = zv_vindex_sql_register(sql); /* vector_index.c */
    return rc;
}
