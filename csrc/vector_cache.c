/*
 * vector_cache.c - the per-collection matrix cache used by search: every row
 * of a collection as one contiguous float32 matrix (the stored values, so the
 * exact double distances can be recomputed from it without touching SQLite),
 * the double norm of each row and its rowid. Built on the first search and
 * reused while it is still valid:
 *  - other connections and processes: SQLITE_FCNTL_DATA_VERSION of "main"
 *    (read while the caller holds a read snapshot) changes on every commit;
 *  - this connection: the update/rollback hooks bump a generation counter on
 *    every change of a private vector table (vectors.c);
 *  - uncommitted vector changes of the current write transaction (which a
 *    ROLLBACK TO could undo without any hook) are never cached: such a search
 *    gets a matrix built for that call only.
 */
#include "vector_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char ZV_SQL_COUNT[] = "select count(*) from _zova_vectors where collection_name = ?1";
static const char ZV_SQL_SCAN[] =
    "select rowid, dimensions, \"values\" from _zova_vectors where collection_name = ?1";

static void zv_matrix_free(zv_vec_matrix *m) {
    if (!m) return;
    free(m->values);
    free(m->norms);
    free(m->rowids);
    free(m);
}

void zv_vec_matrix_free_all(zv_vec_state *state) {
    zv_vec_matrix *m;
    if (!state) return;
    m = state->matrices;
    while (m) {
        zv_vec_matrix *next = m->next;
        zv_matrix_free(m);
        m = next;
    }
    state->matrices = NULL;
}

void zv_vec_matrix_put(zv_vec_matrix *m) {
    if (m && m->ephemeral) zv_matrix_free(m);
}

size_t zv_vec_cache_bytes(zv_vec_state *state) {
    size_t total = 0;
    zv_vec_matrix *m;
    for (m = state ? state->matrices : NULL; m; m = m->next) {
        total += sizeof(*m) + m->rows * ((size_t)m->dims * sizeof(float) + sizeof(double) + sizeof(int64_t));
    }
    return total;
}

static zova_status zv_matrix_build(zv_vec_ctx *ctx, const zv_vec_collection *coll, zv_vec_matrix *m) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt;
    size_t cap = 0, dims = coll->dims;
    int rc;
    stmt = zv_vec_stmt(ctx, ZV_SQL_COUNT, &status);
    if (!stmt) return status;
    sqlite3_bind_text(stmt, 1, coll->name, (int)coll->name_len, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) cap = (size_t)sqlite3_column_int64(stmt, 0);
    else status = zv_vec_sqlite_status(ctx, rc);
    zv_vec_stmt_done(ctx, stmt);
    if (status != ZOVA_OK) return status;
    if (cap == 0) cap = 1;
    m->values = (float *)malloc(cap * dims * sizeof(float));
    m->norms = (double *)malloc(cap * sizeof(double));
    m->rowids = (int64_t *)malloc(cap * sizeof(int64_t));
    if (!m->values || !m->norms || !m->rowids) return ZOVA_OUT_OF_MEMORY;
    m->min_norm = HUGE_VAL;
    m->max_norm = 0.0;
    m->max_abs = 0.0f;
    stmt = zv_vec_stmt(ctx, ZV_SQL_SCAN, &status);
    if (!stmt) return status;
    sqlite3_bind_text(stmt, 1, coll->name, (int)coll->name_len, SQLITE_STATIC);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        float *row;
        size_t i;
        double norm;
        float max_abs = m->max_abs;
        if (m->rows == cap) { /* cannot happen inside one snapshot; stay safe */
            size_t ncap = cap * 2;
            float *nv = (float *)realloc(m->values, ncap * dims * sizeof(float));
            double *nn = nv ? (double *)realloc(m->norms, ncap * sizeof(double)) : NULL;
            int64_t *nr;
            if (nv) m->values = nv;
            if (nn) m->norms = nn;
            nr = nn ? (int64_t *)realloc(m->rowids, ncap * sizeof(int64_t)) : NULL;
            if (!nr) {
                status = ZOVA_OUT_OF_MEMORY;
                break;
            }
            m->rowids = nr;
            cap = ncap;
        }
        row = m->values + m->rows * dims;
        status = zv_vec_row_decode(coll, stmt, 1, 2, row, 1);
        if (status != ZOVA_OK) break;
        norm = sqrt(zv_exact_sumsq(row, dims));
        for (i = 0; i < dims; i++) {
            float a = fabsf(row[i]);
            if (a > max_abs) max_abs = a;
        }
        m->max_abs = max_abs;
        if (norm > m->max_norm) m->max_norm = norm;
        if (norm < m->min_norm) m->min_norm = norm;
        m->norms[m->rows] = norm;
        m->rowids[m->rows] = sqlite3_column_int64(stmt, 0);
        m->rows++;
    }
    if (status == ZOVA_OK && rc != SQLITE_DONE) status = zv_vec_sqlite_status(ctx, rc);
    zv_vec_stmt_done(ctx, stmt);
    return status;
}

zova_status zv_vec_matrix_get(zv_vec_ctx *ctx, const zv_vec_collection *coll, zv_vec_matrix **out) {
    zv_vec_state *state = ctx->state;
    unsigned data_version = 0;
    int writing = sqlite3_txn_state(ctx->sql, "main") == SQLITE_TXN_WRITE;
    int ephemeral;
    zv_vec_matrix *m, **link;
    zova_status status;
    *out = NULL;
    if (sqlite3_file_control(ctx->sql, "main", SQLITE_FCNTL_DATA_VERSION, &data_version) != SQLITE_OK) {
        state = NULL; /* no version: never reuse */
    }
    if (state && !writing) state->dirty = 0;
    ephemeral = !state || (writing && state->dirty);
    if (state) {
        for (link = &state->matrices; (m = *link) != NULL; link = &m->next) {
            if (m->name_len == coll->name_len && memcmp(m->name, coll->name, coll->name_len) == 0) break;
        }
        if (m) {
            if (!ephemeral && m->dims == coll->dims && m->metric == coll->metric &&
                m->data_version == data_version && m->generation == state->generation) {
                *out = m;
                return ZOVA_OK;
            }
            *link = m->next; /* stale: drop it */
            zv_matrix_free(m);
        }
    }
    m = (zv_vec_matrix *)calloc(1, sizeof(*m));
    if (!m) return ZOVA_OUT_OF_MEMORY;
    memcpy(m->name, coll->name, coll->name_len + 1);
    m->name_len = coll->name_len;
    m->dims = coll->dims;
    m->metric = coll->metric;
    m->data_version = data_version;
    m->generation = state ? state->generation : 0;
    m->ephemeral = ephemeral;
    status = zv_matrix_build(ctx, coll, m);
    if (status != ZOVA_OK) {
        zv_matrix_free(m);
        return status;
    }
    if (!ephemeral) {
        m->next = state->matrices;
        state->matrices = m;
    }
    *out = m;
    return ZOVA_OK;
}
