/*
 * _native_shims.h - scalar-argument wrappers over the statement functions of
 * the C ABI, compiled only into the Python extension zova._native. They build
 * the request struct on the C stack so the hot path of Statement (bind, step,
 * reset, column reads) is one cffi call with plain arguments. Each shim calls the
 * public zova_* function; nothing here bypasses the ABI.
 */
/*
 * zv_py_guard: one handle (database, statement or object writer) as the Python
 * binding shares it between threads. It counts the calls in flight;
 * zv_py_guard_close marks it closed and waits until no call is in flight, and
 * only then does Python run the terminal call (release, finalize, destroy), so
 * a close racing with calls on other threads never frees a handle under them
 * (docs/c-api.md §5.7 "Terminal calls"). A call that finds it closed fails; the guarded
 * statement shims below return ZV_PY_CLOSED (step: -ZV_PY_CLOSED). The Python
 * object owns the struct, and every call holds a reference to that object.
 */
#include <sched.h>
#define ZV_PY_CLOSED 1000
typedef struct zv_py_guard {
    void *handle;
    int calls;  /* __atomic builtins only */
    int closed;
} zv_py_guard;

static int zv_py_guard_enter(zv_py_guard *g) {
    __atomic_add_fetch(&g->calls, 1, __ATOMIC_SEQ_CST);
    if (!__atomic_load_n(&g->closed, __ATOMIC_SEQ_CST)) return 1;
    __atomic_sub_fetch(&g->calls, 1, __ATOMIC_SEQ_CST);
    return 0;
}
static void zv_py_guard_leave(zv_py_guard *g) {
    __atomic_sub_fetch(&g->calls, 1, __ATOMIC_SEQ_CST);
}
/* 1 when this call closed the handle (no call is in flight any more; the
 * caller runs the terminal call), 0 when it was closed already. */
static int zv_py_guard_close(zv_py_guard *g) {
    if (__atomic_exchange_n(&g->closed, 1, __ATOMIC_SEQ_CST)) return 0;
    while (__atomic_load_n(&g->calls, __ATOMIC_SEQ_CST)) sched_yield();
    return 1;
}
#define ZV_PY_STMT(g) ((zova_statement *)(g)->handle)

static int zv_py_step(zv_py_guard *g) {
    zova_step_result result = ZOVA_STEP_DONE;
    zova_statement_step_request request = {ZV_PY_STMT(g), &result};
    zova_status status;
    if (!zv_py_guard_enter(g)) return -ZV_PY_CLOSED;
    status = zova_statement_step(&request);
    zv_py_guard_leave(g);
    return status == ZOVA_OK ? (int)result : -(int)status;
}
static int zv_py_reset(zv_py_guard *g) {
    zova_status status;
    if (!zv_py_guard_enter(g)) return ZV_PY_CLOSED;
    status = zova_statement_reset(ZV_PY_STMT(g));
    zv_py_guard_leave(g);
    return status;
}
#define ZV_PY_GUARDED(call)                           \
    zova_status status;                               \
    if (!zv_py_guard_enter(g)) return ZV_PY_CLOSED;    \
    status = call;                                    \
    zv_py_guard_leave(g);                              \
    return status
static int zv_py_bind_null(zv_py_guard *g, int index) {
    zova_statement_bind_null_request request = {ZV_PY_STMT(g), index};
    ZV_PY_GUARDED(zova_statement_bind_null(&request));
}
static int zv_py_bind_int64(zv_py_guard *g, int index, int64_t value) {
    zova_statement_bind_int64_request request = {ZV_PY_STMT(g), index, value};
    ZV_PY_GUARDED(zova_statement_bind_int64(&request));
}
static int zv_py_bind_double(zv_py_guard *g, int index, double value) {
    zova_statement_bind_double_request request = {ZV_PY_STMT(g), index, value};
    ZV_PY_GUARDED(zova_statement_bind_double(&request));
}
static int zv_py_bind_text(zv_py_guard *g, int index, const char *data, size_t len) {
    zova_statement_bind_text_request request = {ZV_PY_STMT(g), index, (const uint8_t *)data, len};
    ZV_PY_GUARDED(zova_statement_bind_text(&request));
}
static int zv_py_bind_blob(zv_py_guard *g, int index, const char *data, size_t len) {
    zova_statement_bind_blob_request request = {ZV_PY_STMT(g), index, (const uint8_t *)data, len};
    ZV_PY_GUARDED(zova_statement_bind_blob(&request));
}
/* Column reads. The C ABI answers NULL/0 for a column index out of range
 * (docs/c-api.md §0.2 item 10); these return ZV_PY_BAD_COLUMN for it instead, so Python
 * can tell a bad index from SQL NULL. */
#define ZV_PY_BAD_COLUMN 1001
static int zv_py_count_columns(zova_statement *s) {
    int count = 0;
    zova_statement_column_count_request request = {s, &count};
    zova_statement_column_count(&request);
    return count;
}
/* The count, or -ZV_PY_CLOSED. */
static int zv_py_column_count(zv_py_guard *g) {
    int count;
    if (!zv_py_guard_enter(g)) return -ZV_PY_CLOSED;
    count = zv_py_count_columns(ZV_PY_STMT(g));
    zv_py_guard_leave(g);
    return count;
}
#define ZV_PY_COLUMN(call)                                                         \
    zova_status status;                                                            \
    if (!zv_py_guard_enter(g)) return ZV_PY_CLOSED;                                 \
    if (index < 0 || index >= zv_py_count_columns(ZV_PY_STMT(g))) status = ZV_PY_BAD_COLUMN; \
    else status = call;                                                            \
    zv_py_guard_leave(g);                                                           \
    return status
static int zv_py_column_type(zv_py_guard *g, int index, int *out) {
    zova_statement_column_type_request request = {ZV_PY_STMT(g), index, (zova_column_type *)out};
    ZV_PY_COLUMN(zova_statement_column_type(&request));
}
static int zv_py_column_int64(zv_py_guard *g, int index, int64_t *out) {
    zova_statement_column_int64_request request = {ZV_PY_STMT(g), index, out};
    ZV_PY_COLUMN(zova_statement_column_int64(&request));
}
static int zv_py_column_double(zv_py_guard *g, int index, double *out) {
    zova_statement_column_double_request request = {ZV_PY_STMT(g), index, out};
    ZV_PY_COLUMN(zova_statement_column_double(&request));
}
static int zv_py_column_text(zv_py_guard *g, int index, zova_text *out) {
    zova_statement_column_text_request request = {ZV_PY_STMT(g), index, out};
    ZV_PY_COLUMN(zova_statement_column_text(&request));
}
/* The blob and its type, which tells SQL NULL from an empty blob (both are {NULL, 0}). */
static int zv_py_blob_and_type(zova_statement *s, int index, zova_buffer *out, int *out_type) {
    zova_statement_column_blob_request request = {s, index, out};
    zova_statement_column_type_request type = {s, index, (zova_column_type *)out_type};
    zova_status status = zova_statement_column_blob(&request);
    return status ? status : zova_statement_column_type(&type);
}
static int zv_py_column_blob(zv_py_guard *g, int index, zova_buffer *out, int *out_type) {
    ZV_PY_COLUMN(zv_py_blob_and_type(ZV_PY_STMT(g), index, out, out_type));
}

/*
 * Batched row fetch for Statement iteration: steps up to `capacity` rows under
 * one lock and stores them column by column, so Python turns whole columns into
 * lists with one call each. Payload pointers are copied into the batch, so the
 * rows stay valid after the statement moves on.
 */
#include "zova_internal.h"
#include <stdlib.h>
#include <string.h>

typedef struct zv_py_column {
    int *types;
    int64_t *ints;
    double *floats;
    size_t *offsets;  /* rows + 1 payload offsets into bytes */
    char *bytes;      /* text and blob payloads; each text is followed by NUL */
    size_t bytes_len;
    size_t bytes_cap;
    int uniform_type; /* SQLite type code (= zova_column_type) of every row, 0 when mixed */
    int text_has_nul; /* some text payload contains NUL */
} zv_py_column;

typedef struct zv_py_batch {
    int columns;
    int capacity;
    zv_py_column *cols;
} zv_py_batch;

static void zv_py_batch_free(zv_py_batch *batch) {
    int c;
    if (!batch) return;
    for (c = 0; c < batch->columns && batch->cols; c++) {
        zv_py_column *col = &batch->cols[c];
        free(col->types); free(col->ints); free(col->floats); free(col->offsets); free(col->bytes);
    }
    free(batch->cols);
    free(batch);
}

static zv_py_batch *zv_py_batch_new(int columns, int capacity) {
    int c;
    zv_py_batch *batch = (zv_py_batch *)calloc(1, sizeof(*batch));
    if (!batch) return NULL;
    batch->columns = columns;
    batch->capacity = capacity;
    batch->cols = (zv_py_column *)calloc(columns > 0 ? (size_t)columns : 1, sizeof(zv_py_column));
    if (!batch->cols) { free(batch); return NULL; }
    for (c = 0; c < columns; c++) {
        zv_py_column *col = &batch->cols[c];
        col->types = (int *)malloc(sizeof(int) * (size_t)capacity);
        col->ints = (int64_t *)malloc(sizeof(int64_t) * (size_t)capacity);
        col->floats = (double *)malloc(sizeof(double) * (size_t)capacity);
        col->offsets = (size_t *)malloc(sizeof(size_t) * ((size_t)capacity + 1));
        if (!col->types || !col->ints || !col->floats || !col->offsets) { zv_py_batch_free(batch); return NULL; }
    }
    return batch;
}

static int zv_py_append(zv_py_column *col, const void *data, size_t len, int terminate) {
    size_t need = col->bytes_len + len + 1;
    if (need > col->bytes_cap) {
        size_t cap = col->bytes_cap ? col->bytes_cap : 4096;
        char *grown;
        while (cap < need) cap *= 2;
        grown = (char *)realloc(col->bytes, cap);
        if (!grown) return 0;
        col->bytes = grown;
        col->bytes_cap = cap;
    }
    if (len) memcpy(col->bytes + col->bytes_len, data, len);
    col->bytes_len += len;
    if (terminate) col->bytes[col->bytes_len++] = '\0';
    return 1;
}

/* Returns the number of rows fetched (0 at the end) or -status. */
static int zv_py_fetch_batch(zova_statement *s, zv_py_batch *batch) {
    zova_database *db = s->db;
    int rows = 0, c, rc = SQLITE_ROW;
    zv_lock(db);
    for (c = 0; c < batch->columns; c++) {
        batch->cols[c].bytes_len = 0;
        batch->cols[c].text_has_nul = 0;
        batch->cols[c].offsets[0] = 0;
    }
    while (rows < batch->capacity) {
        rc = sqlite3_step(s->stmt);
        if (rc != SQLITE_ROW) break;
        for (c = 0; c < batch->columns; c++) {
            zv_py_column *col = &batch->cols[c];
            int type = sqlite3_column_type(s->stmt, c);
            col->types[rows] = type;
            if (rows == 0) col->uniform_type = type;
            else if (col->uniform_type != type) col->uniform_type = 0;
            if (type == SQLITE_INTEGER) {
                col->ints[rows] = sqlite3_column_int64(s->stmt, c);
            } else if (type == SQLITE_FLOAT) {
                col->floats[rows] = sqlite3_column_double(s->stmt, c);
            } else if (type == SQLITE_TEXT || type == SQLITE_BLOB) {
                const void *data = type == SQLITE_TEXT ? (const void *)sqlite3_column_text(s->stmt, c)
                                                       : sqlite3_column_blob(s->stmt, c);
                size_t len = (size_t)sqlite3_column_bytes(s->stmt, c);
                if ((len && !data) || !zv_py_append(col, data, len, type == SQLITE_TEXT)) {
                    rc = SQLITE_NOMEM;
                    break;
                }
                if (type == SQLITE_TEXT && len && memchr(data, 0, len)) col->text_has_nul = 1;
            }
            col->offsets[rows + 1] = col->bytes_len;
        }
        if (rc != SQLITE_ROW) break;
        rows++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return -(int)zv_unlock(db, rc == SQLITE_NOMEM ? ZOVA_OUT_OF_MEMORY : zv_sqlite_fail(db, rc));
    }
    zv_unlock(db, ZOVA_OK);
    return rows;
}

/* ---- errors: the calling thread's copy of its last failure message
 * (csrc/database.c), read by python/zova/errors.py call_error ---- */
static char *zv_py_take_error(void) {
    return zv_thread_error_take();
}
static void zv_py_free_error(char *message) {
    free(message);
}

/* ---- objects: the object row's claim checked before get_object allocates it ---- */
static int zv_py_object_claim_check(zova_database *db, const uint8_t *id) {
    uint64_t size = 0, count = 0;
    zova_status status;
    zv_lock(db);
    status = zv_object_meta(db, id, &size, &count);
    if (status == ZOVA_OK) status = zv_object_claim_check(db, id, size, count);
    return zv_unlock(db, status);
}

/* ---- objects: the fresh buffer get_object and read_object_range fill
 * (python/zova/objects.py _fill_buffer) asks for huge pages ---- */
static void zv_py_advise_huge_pages(uint8_t *data, size_t len) {
    zv_advise_huge_pages(data, len);
}

/* ---- objects: whether SHA-256 runs on the CPU's SHA extensions (benchmarks report it) ---- */
int zv_sha256_accelerated(void);
static int zv_py_sha256_accelerated(void) {
    return zv_sha256_accelerated();
}

/* ---- vectors: batch upsert from packed ids and a row-major float32 matrix,
 * and the size of the search matrix cache (python/zova/vectors.py) ---- */
#include "vector_internal.h"
static int zv_py_vector_put_matrix(zova_database *db, const char *collection, const char *ids, size_t n, const float *values, size_t dims) {
    zova_vector_input *inputs = (zova_vector_input *)malloc((n ? n : 1) * sizeof(*inputs));
    zova_vector_put_many_request request;
    const char *p = ids;
    size_t i;
    int status;
    if (!inputs) return ZOVA_OUT_OF_MEMORY;
    for (i = 0; i < n; i++) {
        inputs[i].id = p;
        inputs[i].values = dims ? values + i * dims : NULL;
        inputs[i].values_len = dims;
        p += strlen(p) + 1;
    }
    request.db = db;
    request.collection_name = collection;
    request.vectors = inputs;
    request.vectors_len = n;
    status = zova_vector_put_many(&request);
    free(inputs);
    return status;
}
static void zv_py_vector_cache_stats(zova_database *db, uint64_t *out) {
    zv_vec_state *state;
    zv_lock(db);
    state = zv_vec_state_of(db->sql);
    out[0] = zv_vec_cache_bytes(state);
    out[1] = state ? state->builds : 0;
    out[2] = state ? state->patches : 0;
    zv_unlock(db, ZOVA_OK);
}
static size_t zv_py_vector_cache_bytes(zova_database *db) {
    size_t bytes;
    zv_lock(db);
    bytes = zv_vec_cache_bytes(zv_vec_state_of(db->sql));
    zv_unlock(db, ZOVA_OK);
    return bytes;
}

/* ---- operations: deep-check fast path for zova.diagnostics (checks objects under the handle lock) ---- */
static int zv_py_deep_check_objects(zova_database *db, const char *ids, size_t n, char *out_ok, int64_t *out_chunks) {
    zova_status status;
    zv_lock(db);
    status = zv_deep_check_objects(db, (const uint8_t *)ids, n, (uint8_t *)out_ok, out_chunks);
    return zv_unlock(db, status);
}

/* ---- cancel: the token bound to the calling thread (csrc/cancel.c), which
 * zova.Cancel.bound() saves to restore it after its block ---- */
static zova_cancel *zv_py_thread_cancel(void) {
    return zv_cancel_bound();
}

/*
 * ---- records: parameters bound a column of rows at a time (python/zova/records.py;
 * README "Records"). Python turns each parameter's values over many rows into
 * one zv_py_param_column; zv_py_run_rows then binds, steps and resets every row
 * under one lock, and zv_py_bind_parameters binds one row for a statement whose
 * rows are read afterwards. ----
 */
typedef struct zv_py_param_column {
    int index;         /* the statement's parameter index, from 1 */
    int type;          /* the ZOVA_COLUMN_* type of every row, or 0: each row's is in types */
    int *types;
    int64_t *ints;     /* one per row (INTEGER rows) */
    double *floats;    /* one per row (FLOAT rows) */
    char *bytes;       /* TEXT and BLOB payloads back to back */
    size_t *offsets;   /* rows + 1 offsets into bytes; NULL: every row is TEXT followed by NUL */
    size_t position;   /* with offsets NULL: where the next row's text starts */
} zv_py_param_column;

static int zv_py_bind_value(zova_statement *s, zv_py_param_column *column, size_t row, int copy) {
    sqlite3_stmt *stmt = s->stmt;
    sqlite3_destructor_type destructor = copy ? SQLITE_TRANSIENT : SQLITE_STATIC;
    int type = column->type ? column->type : column->types[row];
    const char *data;
    size_t len;
    if (type == SQLITE_INTEGER) return sqlite3_bind_int64(stmt, column->index, column->ints[row]);
    if (type == SQLITE_FLOAT) return sqlite3_bind_double(stmt, column->index, column->floats[row]);
    if (type != SQLITE_TEXT && type != SQLITE_BLOB) return sqlite3_bind_null(stmt, column->index);
    if (column->offsets) {
        data = column->bytes + column->offsets[row];
        len = column->offsets[row + 1] - column->offsets[row];
    } else {
        data = column->bytes + column->position;
        len = strlen(data);
        column->position += len + 1;
    }
    /* As zova_statement_bind_text and _blob: an empty text is '' and an empty blob is zeroblob(0), never NULL. */
    if (type == SQLITE_TEXT) {
        if (len == 0) return sqlite3_bind_text(stmt, column->index, "", 0, SQLITE_STATIC);
        return sqlite3_bind_text64(stmt, column->index, data, len, destructor, SQLITE_UTF8);
    }
    if (len == 0) return sqlite3_bind_zeroblob(stmt, column->index, 0);
    return sqlite3_bind_blob64(stmt, column->index, data, len, destructor);
}

/* Binds row `row` of columns; copy: SQLite copies TEXT and BLOB values. An SQLite code. */
static int zv_py_bind_row(zova_statement *s, zv_py_param_column *columns, int count, size_t row, int copy) {
    int c, rc = SQLITE_OK;
    for (c = 0; c < count && rc == SQLITE_OK; c++) rc = zv_py_bind_value(s, &columns[c], row, copy);
    return rc;
}

/* Resets the statement, clears its bindings and binds row 0 of columns (SQLite
 * copies the values); the rows are read afterwards. Returns a status. */
static int zv_py_bind_parameters(zv_py_guard *g, zv_py_param_column *columns, int count) {
    zova_statement *s;
    zova_status status;
    int rc;
    if (!zv_py_guard_enter(g)) return ZV_PY_CLOSED;
    s = ZV_PY_STMT(g);
    zv_lock(s->db);
    sqlite3_reset(s->stmt);  /* a failure of an earlier run is not this call's */
    sqlite3_clear_bindings(s->stmt);
    rc = zv_py_bind_row(s, columns, count, 0, 1);
    status = zv_unlock(s->db, rc == SQLITE_OK ? ZOVA_OK : zv_sqlite_fail(s->db, rc));
    zv_py_guard_leave(g);
    return status;
}

/* Runs the statement once per row (rows >= 1; count may be 0 for a statement
 * without parameters) under one lock: reset, bind, step to the end. Adds each
 * row's changes to out[0] and stores the last insert rowid in out[1]; on a
 * failure out[2] is the failing row. The values are bound without a copy, so
 * the bindings are cleared before returning. Returns a status. */
static int zv_py_run_rows(zv_py_guard *g, zv_py_param_column *columns, int count, size_t rows, int64_t *out) {
    zova_statement *s;
    zova_status status = ZOVA_OK;
    size_t row;
    int rc = SQLITE_OK;
    if (!zv_py_guard_enter(g)) return ZV_PY_CLOSED;
    s = ZV_PY_STMT(g);
    zv_lock(s->db);
    for (row = 0; row < rows; row++) {
        if (zv_cancel_point()) {
            status = ZOVA_SQLITE_ERROR;  /* zv_unlock makes it "interrupted" */
            break;
        }
        sqlite3_reset(s->stmt);
        rc = zv_py_bind_row(s, columns, count, row, 0);
        while (rc == SQLITE_OK && (rc = sqlite3_step(s->stmt)) == SQLITE_ROW) rc = SQLITE_OK;
        if (rc != SQLITE_DONE) {
            status = zv_sqlite_fail(s->db, rc);
            break;
        }
        out[0] += sqlite3_changes64(s->db->sql);
    }
    out[1] = sqlite3_last_insert_rowid(s->db->sql);
    out[2] = (int64_t)row;
    sqlite3_reset(s->stmt);
    sqlite3_clear_bindings(s->stmt);
    status = zv_unlock(s->db, status);
    zv_py_guard_leave(g);
    return status;
}

/* The name of parameter index ("?NNN", ":name", "@name", "$name"), or NULL for
 * a plain "?". Valid while the statement lives: call it as a call in flight. */
static const char *zv_py_parameter_name(zova_statement *s, int index) {
    return sqlite3_bind_parameter_name(s->stmt, index);
}

/* The statement's SQL text; valid while the statement lives, like the names. */
static const char *zv_py_statement_sql(zova_statement *s) {
    return sqlite3_sql(s->stmt);
}

/* ---- records: transactions (README "Records"). In one locked call: BEGIN (or
 * BEGIN IMMEDIATE) when no transaction is open, else SAVEPOINT savepoint;
 * *out_nested tells which. ---- */
static int zv_py_transaction_begin(zova_database *db, int immediate, const char *savepoint, int *out_nested) {
    char sql[96];
    int rc;
    zv_lock(db);
    *out_nested = !sqlite3_get_autocommit(db->sql);
    if (*out_nested) snprintf(sql, sizeof(sql), "savepoint %s", savepoint);
    else snprintf(sql, sizeof(sql), "%s", immediate ? "begin immediate" : "begin");
    rc = sqlite3_exec(db->sql, sql, NULL, NULL, NULL);
    return zv_unlock(db, rc == SQLITE_OK ? ZOVA_OK : zv_sqlite_fail(db, rc));
}
static int zv_py_in_transaction(zova_database *db, int *out) {
    zv_lock(db);
    *out = !sqlite3_get_autocommit(db->sql);
    return zv_unlock(db, ZOVA_OK);
}

/* ---- vectors, batch search and kernels (issue 14): the distance kernels this
 * process picked at run time ("portable", "avx2-fma" or "avx512f"; see
 * ZOVA_VECTOR_KERNEL in the README), for tests of the dispatch ---- */
static const char *zv_py_vector_kernel_name(void) {
    return zv_kern_name();
}
