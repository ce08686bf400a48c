/*
 * vector_cache.c - the per-collection matrix cache used by search: every row
 * of a collection as one contiguous float32 matrix (the stored values, so the
 * exact double distances can be recomputed from it without touching SQLite),
 * the double norm of each row, its rowid, and a rowid -> row map. Built on the
 * first search and kept valid for the current read snapshot:
 *  - other connections and processes: `PRAGMA data_version` (read while the
 *    caller holds a read snapshot) changes with every commit they make; the
 *    matrix is then rebuilt;
 *  - this connection: the update hook logs the rowid of every change to
 *    _zova_vectors (vectors.c); the next search re-reads just those rows and
 *    patches the matrix, then checks the row count against the table (a row
 *    deleted without the hook, by REPLACE conflict resolution, forces a
 *    rebuild). Rollbacks, collection-table changes and logs of more than
 *    ZV_VEC_LOG_MAX changes set a barrier: older matrices are rebuilt;
 *  - uncommitted vector changes of the current write transaction (which a
 *    ROLLBACK TO could undo without any hook) are never cached: such a search
 *    gets a matrix built for that call only.
 */
#define _DEFAULT_SOURCE /* madvise */
#include "vector_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static const char ZV_SQL_COUNT[] = "select count(*) from _zova_vectors where collection_name = ?1";
static const char ZV_SQL_SCAN[] =
    "select rowid, dimensions, \"values\" from _zova_vectors where collection_name = ?1";
/* The same rows in table order: sequential pages when the collection is most
 * of the table (the index order can be random, e.g. with UUID ids). */
static const char ZV_SQL_SCAN_TABLE[] =
    "select rowid, dimensions, \"values\" from _zova_vectors not indexed where collection_name = ?1";
static const char ZV_SQL_COUNT_ALL[] = "select count(*) from _zova_vectors";
static const char ZV_SQL_BY_ROWID[] =
    "select collection_name, dimensions, \"values\" from _zova_vectors where rowid = ?1";
static const char ZV_SQL_DATA_VERSION[] = "pragma main.data_version";

#define ZV_MAP_EMPTY UINT32_MAX

static void zv_matrix_free(zv_vec_matrix *m) {
    if (!m) return;
    free(m->values);
    free(m->norms);
    free(m->rowids);
    free(m->map_keys);
    free(m->map_rows);
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
        total += sizeof(*m) + m->capacity * ((size_t)m->dims * sizeof(float) + sizeof(double) + sizeof(int64_t));
        if (m->map_keys) total += (m->map_mask + 1) * (sizeof(int64_t) + sizeof(uint32_t));
    }
    return total;
}

/* ---- rowid -> row map (linear probing, backward-shift deletion) ---- */

static size_t zv_map_slot(const zv_vec_matrix *m, int64_t key) {
    uint64_t h = (uint64_t)key * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 17) & m->map_mask;
}

static int zv_map_alloc(zv_vec_matrix *m, size_t rows) {
    size_t cap = 16, i;
    while (cap < rows * 2 + 2) cap *= 2;
    m->map_keys = (int64_t *)malloc(cap * sizeof(int64_t));
    m->map_rows = (uint32_t *)malloc(cap * sizeof(uint32_t));
    if (!m->map_keys || !m->map_rows) return 0;
    for (i = 0; i < cap; i++) m->map_rows[i] = ZV_MAP_EMPTY;
    m->map_mask = cap - 1;
    return 1;
}

static uint32_t zv_map_get(const zv_vec_matrix *m, int64_t key) {
    size_t i = zv_map_slot(m, key);
    while (m->map_rows[i] != ZV_MAP_EMPTY) {
        if (m->map_keys[i] == key) return m->map_rows[i];
        i = (i + 1) & m->map_mask;
    }
    return ZV_MAP_EMPTY;
}

static void zv_map_set(zv_vec_matrix *m, int64_t key, uint32_t row) {
    size_t i = zv_map_slot(m, key);
    while (m->map_rows[i] != ZV_MAP_EMPTY && m->map_keys[i] != key) i = (i + 1) & m->map_mask;
    m->map_keys[i] = key;
    m->map_rows[i] = row;
}

static void zv_map_remove(zv_vec_matrix *m, int64_t key) {
    size_t i = zv_map_slot(m, key), j;
    while (m->map_rows[i] != ZV_MAP_EMPTY && m->map_keys[i] != key) i = (i + 1) & m->map_mask;
    if (m->map_rows[i] == ZV_MAP_EMPTY) return;
    m->map_rows[i] = ZV_MAP_EMPTY;
    j = i;
    for (;;) {
        size_t home;
        j = (j + 1) & m->map_mask;
        if (m->map_rows[j] == ZV_MAP_EMPTY) break;
        home = zv_map_slot(m, m->map_keys[j]);
        /* move j back to i unless its home lies cyclically in (i, j] */
        if ((i <= j) ? (i < home && home <= j) : (i < home || home <= j)) continue;
        m->map_keys[i] = m->map_keys[j];
        m->map_rows[i] = m->map_rows[j];
        m->map_rows[j] = ZV_MAP_EMPTY;
        i = j;
    }
}

static int zv_map_rebuild(zv_vec_matrix *m) {
    size_t r;
    free(m->map_keys);
    free(m->map_rows);
    m->map_keys = NULL;
    m->map_rows = NULL;
    if (!zv_map_alloc(m, m->capacity)) return 0;
    for (r = 0; r < m->rows; r++) zv_map_set(m, m->rowids[r], (uint32_t)r);
    return 1;
}

/* ---- building ---- */

/* Asks for transparent huge pages on a large matrix, as numpy does for its
 * arrays: a search streams the whole matrix, and with 4 KiB pages the
 * hardware prefetchers stop at every page boundary. Advisory only. */
static void zv_matrix_advise_huge_pages(void *start, size_t bytes) {
#ifdef MADV_HUGEPAGE
    uintptr_t first = ((uintptr_t)start + 4095) & ~(uintptr_t)4095;
    uintptr_t end = ((uintptr_t)start + bytes) & ~(uintptr_t)4095;
    if (bytes >= ((size_t)4 << 20) && end > first) (void)madvise((void *)first, end - first, MADV_HUGEPAGE);
#else
    (void)start;
    (void)bytes;
#endif
}

static int zv_matrix_reserve(zv_vec_matrix *m, size_t capacity) {
    size_t dims = m->dims;
    float *nv;
    double *nn;
    int64_t *nr;
    if (capacity <= m->capacity) return 1;
    /* The first build of a large (huge-page) matrix leaves room for about 3%
     * more rows, so the writes that follow patch it in place instead of
     * moving it: moving a huge-page matrix costs tens of milliseconds. */
    if (!m->values && capacity * dims * sizeof(float) >= ((size_t)4 << 20)) capacity += capacity / 32;
    if (capacity >= ZV_MAP_EMPTY) return 0;
    nv = (float *)realloc(m->values, capacity * dims * sizeof(float));
    if (!nv) return 0;
    if (!m->values) zv_matrix_advise_huge_pages(nv, capacity * dims * sizeof(float)); /* first build only */
    m->values = nv;
    nn = (double *)realloc(m->norms, capacity * sizeof(double));
    if (!nn) return 0;
    m->norms = nn;
    nr = (int64_t *)realloc(m->rowids, capacity * sizeof(int64_t));
    if (!nr) return 0;
    m->rowids = nr;
    m->capacity = capacity;
    if (m->map_keys && (m->map_mask + 1) < capacity * 2 + 2) return zv_map_rebuild(m);
    return 1;
}

static void zv_matrix_row_stats(zv_vec_matrix *m, size_t r) {
    const float *row = m->values + r * m->dims;
    double norm = sqrt(zv_exact_sumsq(row, m->dims));
    float max_abs = m->max_abs;
    size_t i;
    for (i = 0; i < m->dims; i++) {
        float a = fabsf(row[i]);
        if (a > max_abs) max_abs = a;
    }
    /* Extremes only widen (also when rows go away): they just choose between
     * the float32 pass and the exact fallback, conservatively. */
    m->max_abs = max_abs;
    if (norm > m->max_norm) m->max_norm = norm;
    if (norm < m->min_norm) m->min_norm = norm;
    m->norms[r] = norm;
}

static zova_status zv_collection_count(zv_vec_ctx *ctx, const zv_vec_collection *coll, size_t *out) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt = zv_vec_stmt(ctx, ZV_SQL_COUNT, &status);
    int rc;
    if (!stmt) return status;
    sqlite3_bind_text(stmt, 1, coll->name, (int)coll->name_len, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) *out = (size_t)sqlite3_column_int64(stmt, 0);
    else status = zv_vec_sqlite_status(ctx, rc);
    zv_vec_stmt_done(ctx, stmt);
    return status;
}

/* ---- filling a new matrix ----
 * One sequential pass over the rows: the calling thread steps the scan and
 * copies each row's blob into place (SQLite's page reads bound it); the row
 * checks of docs/file-format.md §4, the norms and the rowid map are computed
 * from the copied rows in chunks, by a helper thread when the matrix is large
 * (which also prefaults the matrix ahead of the copy), else after each chunk
 * on the calling thread. The matrix is allocated once from the row count of
 * the same read snapshot. */

#define ZV_FILL_CHUNK 1024u        /* rows handed over at a time */
#define ZV_FILL_THREAD_ROWS 4096u  /* smaller fills stay on the calling thread */
#define ZV_FILL_AHEAD ((size_t)64 << 20) /* bytes prefaulted ahead of the copy */
#define ZV_FILL_FAULT_STEP ((size_t)4 << 20)

typedef struct zv_fill {
    zv_vec_matrix *m;
    int threaded;    /* a helper thread runs (reader only) */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    size_t copied;   /* rows copied by the reader (lock) */
    int finished;    /* the reader stopped handing over rows (lock) */
    int failed;      /* ... because it failed: the helper stops early (lock) */
    int corrupt;     /* a row failed the value checks (lock while the helper runs) */
    size_t checked;  /* rows whose checks, norm and map entry are done (checker only) */
    size_t faulted;  /* bytes of m->values prefaulted (helper only) */
    size_t fault_end;
} zv_fill;

/* Checks, norms, extremes and map entries of rows [f->checked, to); 0 for a
 * row that fails the value checks. */
static int zv_fill_check(zv_fill *f, size_t to) {
    zv_vec_matrix *m = f->m;
    uint32_t bits[ZV_FILL_CHUNK];
    uint32_t max_bits;
    memcpy(&max_bits, &m->max_abs, 4);
    while (f->checked < to) {
        size_t from = f->checked, n = to - from < ZV_FILL_CHUNK ? to - from : ZV_FILL_CHUNK, i;
        zv_kern_row_stats(m->values + from * m->dims, n, m->dims, m->norms + from, bits);
        for (i = 0; i < n; i++) {
            double norm;
            /* non-finite values, or an all-zero cosine vector: docs/file-format.md §4 */
            if (bits[i] >= 0x7f800000u || (bits[i] == 0 && m->metric == ZOVA_VECTOR_METRIC_COSINE)) return 0;
            if (bits[i] > max_bits) max_bits = bits[i];
            norm = sqrt(m->norms[from + i]);
            if (norm > m->max_norm) m->max_norm = norm;
            if (norm < m->min_norm) m->min_norm = norm;
            m->norms[from + i] = norm;
            if (m->map_keys) zv_map_set(m, m->rowids[from + i], (uint32_t)(from + i));
        }
        f->checked = from + n;
        memcpy(&m->max_abs, &max_bits, 4);
    }
    return 1;
}

/* Prefaults the next step of the matrix: writable zero pages, and pages
 * already present (holding copied rows) stay as they are. */
static void zv_fill_fault(zv_fill *f) {
    size_t step = f->fault_end - f->faulted < ZV_FILL_FAULT_STEP ? f->fault_end - f->faulted : ZV_FILL_FAULT_STEP;
#ifdef MADV_POPULATE_WRITE
    uintptr_t from = (uintptr_t)f->m->values + f->faulted, start = from & ~(uintptr_t)4095;
    if (madvise((void *)start, step + (from - start), MADV_POPULATE_WRITE) != 0) {
        f->fault_end = f->faulted; /* not supported here: the copy faults the pages in */
        return;
    }
#endif
    f->faulted += step;
}

static void *zv_fill_helper(void *arg) {
    zv_fill *f = (zv_fill *)arg;
    size_t row_bytes = (size_t)f->m->dims * sizeof(float);
    pthread_mutex_lock(&f->lock);
    while (!f->failed && !f->corrupt) {
        size_t copied = f->copied;
        int finished = f->finished, ok = 1;
        pthread_mutex_unlock(&f->lock);
        if (f->faulted < copied * row_bytes) f->faulted = copied * row_bytes; /* the copy got there first */
        if (f->faulted > f->fault_end) f->faulted = f->fault_end;
        /* Prefaults while the copy is close behind, else the checks. */
        if (!finished && f->faulted < f->fault_end && f->faulted < copied * row_bytes + ZV_FILL_AHEAD) {
            zv_fill_fault(f);
        } else if (f->checked < copied) {
            ok = zv_fill_check(f, copied);
        } else if (!finished && f->faulted < f->fault_end) {
            zv_fill_fault(f);
        } else {
            pthread_mutex_lock(&f->lock);
            if (f->finished && f->checked == f->copied) break;
            if (f->copied == copied && !f->finished) pthread_cond_wait(&f->wake, &f->lock);
            continue;
        }
        pthread_mutex_lock(&f->lock);
        if (!ok) f->corrupt = 1;
    }
    pthread_mutex_unlock(&f->lock);
    return NULL;
}

static void zv_fill_start(zv_fill *f) {
    if (pthread_mutex_init(&f->lock, NULL) != 0) return;
    if (pthread_cond_init(&f->wake, NULL) != 0) {
        pthread_mutex_destroy(&f->lock);
        return;
    }
    f->threaded = zv_thread_start(&f->thread, zv_fill_helper, f);
    if (!f->threaded) {
        pthread_cond_destroy(&f->wake);
        pthread_mutex_destroy(&f->lock);
    }
}

/* Hands the helper the last rows and waits for it: it has checked every
 * copied row (unless failed or a row was corrupt). */
static void zv_fill_join(zv_fill *f, int failed) {
    pthread_mutex_lock(&f->lock);
    f->copied = f->m->rows;
    f->finished = 1;
    f->failed = failed;
    pthread_cond_signal(&f->wake);
    pthread_mutex_unlock(&f->lock);
    pthread_join(f->thread, NULL);
    pthread_cond_destroy(&f->wake);
    pthread_mutex_destroy(&f->lock);
    f->threaded = 0;
}

/* The stored row's blob when its dimensions column and blob are well formed
 * (docs/file-format.md §4), else NULL. */
static const void *zv_fill_blob(const zv_vec_collection *coll, sqlite3_stmt *stmt) {
    const void *blob;
    if (sqlite3_column_type(stmt, 1) != SQLITE_INTEGER || sqlite3_column_int64(stmt, 1) != (sqlite3_int64)coll->dims)
        return NULL;
    if (sqlite3_column_type(stmt, 2) != SQLITE_BLOB) return NULL;
    blob = sqlite3_column_blob(stmt, 2);
    if (!blob || (size_t)sqlite3_column_bytes(stmt, 2) != (size_t)coll->dims * 4) return NULL;
    return blob;
}

/* Steps the scan into m: OK, 74 or the SQLite failure. The rows copied are
 * handed to the helper, or checked here, every ZV_FILL_CHUNK rows. */
static zova_status zv_fill_rows(zv_vec_ctx *ctx, const zv_vec_collection *coll, sqlite3_stmt *stmt, zv_fill *f) {
    zv_vec_matrix *m = f->m;
    int rc = SQLITE_DONE, corrupt = 0;
    while (!corrupt && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const void *blob = zv_fill_blob(coll, stmt);
        if (!blob) return ZOVA_VECTOR_CORRUPT;
        if (m->rows == m->capacity) {
            /* More rows than the index counted (a damaged index): grow, with
             * the helper stopped, since it reads the matrix. */
            if (f->threaded) zv_fill_join(f, 0);
            if (f->corrupt || !zv_fill_check(f, m->rows)) return ZOVA_VECTOR_CORRUPT;
            if (!zv_matrix_reserve(m, m->capacity * 2)) return ZOVA_OUT_OF_MEMORY;
        }
        zv_f32_from_le(m->values + m->rows * m->dims, blob, m->dims);
        m->rowids[m->rows++] = sqlite3_column_int64(stmt, 0);
        if (m->rows % ZV_FILL_CHUNK == 0) {
            if (f->threaded) {
                pthread_mutex_lock(&f->lock);
                f->copied = m->rows;
                corrupt = f->corrupt;
                pthread_cond_signal(&f->wake);
                pthread_mutex_unlock(&f->lock);
            } else {
                corrupt = !zv_fill_check(f, m->rows);
            }
        }
    }
    if (corrupt) return ZOVA_VECTOR_CORRUPT;
    return rc == SQLITE_DONE ? ZOVA_OK : zv_vec_sqlite_status(ctx, rc);
}

static zova_status zv_matrix_build(zv_vec_ctx *ctx, const zv_vec_collection *coll, zv_vec_matrix *m) {
    zova_status status;
    sqlite3_stmt *stmt;
    size_t count = 0, total = 0;
    zv_fill f;
    int rc;
    status = zv_collection_count(ctx, coll, &count);
    if (status != ZOVA_OK) return status;
    if (count >= 1024) {
        stmt = zv_vec_stmt(ctx, ZV_SQL_COUNT_ALL, &status);
        if (!stmt) return status;
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) total = (size_t)sqlite3_column_int64(stmt, 0);
        else status = zv_vec_sqlite_status(ctx, rc);
        zv_vec_stmt_done(ctx, stmt);
        if (status != ZOVA_OK) return status;
    }
    if (!zv_matrix_reserve(m, count ? count : 1)) return ZOVA_OUT_OF_MEMORY;
    if (!m->ephemeral && !zv_map_alloc(m, m->capacity)) return ZOVA_OUT_OF_MEMORY;
    m->min_norm = HUGE_VAL;
    m->max_norm = 0.0;
    m->max_abs = 0.0f;
    stmt = zv_vec_stmt(ctx, count >= 1024 && count * 2 >= total ? ZV_SQL_SCAN_TABLE : ZV_SQL_SCAN, &status);
    if (!stmt) return status;
    sqlite3_bind_text(stmt, 1, coll->name, (int)coll->name_len, SQLITE_STATIC);
    memset(&f, 0, sizeof(f));
    f.m = m;
    f.fault_end = count * m->dims * sizeof(float);
    if (count >= ZV_FILL_THREAD_ROWS && zv_kern_threads() > 1) zv_fill_start(&f);
    status = zv_fill_rows(ctx, coll, stmt, &f);
    zv_vec_stmt_done(ctx, stmt);
    if (f.threaded) zv_fill_join(&f, status != ZOVA_OK);
    if (status == ZOVA_OK && (f.corrupt || !zv_fill_check(&f, m->rows))) status = ZOVA_VECTOR_CORRUPT;
    return status;
}

/* ---- patching after this connection's own writes ---- */

static int zv_int64_cmp(const void *pa, const void *pb) {
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return a < b ? -1 : a > b;
}

static void zv_matrix_remove_row(zv_vec_matrix *m, uint32_t r) {
    size_t last = m->rows - 1;
    zv_map_remove(m, m->rowids[r]);
    if (r != last) {
        memcpy(m->values + (size_t)r * m->dims, m->values + last * m->dims, m->dims * sizeof(float));
        m->norms[r] = m->norms[last];
        m->rowids[r] = m->rowids[last];
        zv_map_set(m, m->rowids[r], r);
    }
    m->rows--;
}

/* Applies the logged changes after m->generation. Returns OK (patched), 74 for
 * an invalid row, or ZOVA_SQLITE_ERROR with *rebuild set when the matrix must
 * be rebuilt (row count disagrees). */
static zova_status zv_matrix_patch(zv_vec_ctx *ctx, const zv_vec_collection *coll, zv_vec_matrix *m, int *rebuild) {
    zv_vec_state *state = ctx->state;
    size_t from = (size_t)(m->generation - state->log_base), n = state->log_len - from, unique = 0, i, count = 0;
    int64_t *ids = (int64_t *)malloc((n ? n : 1) * sizeof(int64_t));
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt;
    *rebuild = 0;
    if (!ids) return ZOVA_OUT_OF_MEMORY;
    memcpy(ids, state->log + from, n * sizeof(int64_t));
    qsort(ids, n, sizeof(int64_t), zv_int64_cmp);
    for (i = 0; i < n; i++) {
        if (unique == 0 || ids[unique - 1] != ids[i]) ids[unique++] = ids[i];
    }
    stmt = zv_vec_stmt(ctx, ZV_SQL_BY_ROWID, &status);
    for (i = 0; stmt && status == ZOVA_OK && i < unique; i++) {
        uint32_t r = zv_map_get(m, ids[i]);
        int rc, mine = 0;
        sqlite3_bind_int64(stmt, 1, ids[i]);
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            const unsigned char *name = sqlite3_column_text(stmt, 0);
            mine = name && (size_t)sqlite3_column_bytes(stmt, 0) == coll->name_len &&
                   memcmp(name, coll->name, coll->name_len) == 0;
        } else if (rc != SQLITE_DONE) {
            status = zv_vec_sqlite_status(ctx, rc);
        }
        if (status == ZOVA_OK && mine) {
            if (r == ZV_MAP_EMPTY) {
                if (m->rows == m->capacity && !zv_matrix_reserve(m, m->capacity + m->capacity / 32 + 16)) {
                    status = ZOVA_OUT_OF_MEMORY;
                } else {
                    r = (uint32_t)m->rows++;
                    m->rowids[r] = ids[i];
                    zv_map_set(m, ids[i], r);
                }
            }
            if (status == ZOVA_OK) status = zv_vec_row_decode(coll, stmt, 1, 2, m->values + (size_t)r * m->dims);
            if (status == ZOVA_OK) zv_matrix_row_stats(m, r);
        } else if (status == ZOVA_OK && r != ZV_MAP_EMPTY) {
            zv_matrix_remove_row(m, r);
        }
        sqlite3_reset(stmt);
    }
    if (stmt) zv_vec_stmt_done(ctx, stmt);
    free(ids);
    if (status == ZOVA_OK) status = zv_collection_count(ctx, coll, &count);
    if (status == ZOVA_OK && count != m->rows) {
        *rebuild = 1;
        status = ZOVA_SQLITE_ERROR;
    }
    return status;
}

/* ---- overlay for a write transaction with uncommitted vector changes ---- */

#define ZV_OVERLAY_MAX 4096u

/* The cached matrix m stays as it is (committed state); every rowid logged
 * since m->generation is masked out of it and its current row, if it belongs
 * to the collection, goes into a small call-only matrix. Re-reading the
 * current rows also covers changes a ROLLBACK TO undid. Returns OK with
 * *overlay NULL when this does not apply (the caller builds a full matrix). */
static zova_status zv_overlay_build(zv_vec_ctx *ctx, const zv_vec_collection *coll, zv_vec_matrix *m,
                                    zv_vec_matrix **overlay, unsigned char **mask) {
    zv_vec_state *state = ctx->state;
    size_t from = (size_t)(m->generation - state->log_base), n = state->log_len - from, unique = 0, i, count = 0;
    size_t masked = 0;
    int64_t *ids;
    unsigned char *bits;
    zv_vec_matrix *o;
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt;
    *overlay = NULL;
    *mask = NULL;
    if (n > ZV_OVERLAY_MAX || !m->map_keys) return ZOVA_OK;
    ids = (int64_t *)malloc((n ? n : 1) * sizeof(int64_t));
    bits = (unsigned char *)calloc(m->rows ? m->rows : 1, 1);
    o = (zv_vec_matrix *)calloc(1, sizeof(*o));
    if (!ids || !bits || !o) {
        free(ids);
        free(bits);
        free(o);
        return ZOVA_OUT_OF_MEMORY;
    }
    memcpy(o->name, coll->name, coll->name_len + 1);
    o->name_len = coll->name_len;
    o->dims = coll->dims;
    o->metric = coll->metric;
    o->ephemeral = 1;
    o->min_norm = HUGE_VAL;
    memcpy(ids, state->log + from, n * sizeof(int64_t));
    qsort(ids, n, sizeof(int64_t), zv_int64_cmp);
    for (i = 0; i < n; i++) {
        if (unique == 0 || ids[unique - 1] != ids[i]) ids[unique++] = ids[i];
    }
    if (!zv_matrix_reserve(o, unique ? unique : 1)) status = ZOVA_OUT_OF_MEMORY;
    stmt = status == ZOVA_OK ? zv_vec_stmt(ctx, ZV_SQL_BY_ROWID, &status) : NULL;
    for (i = 0; stmt && status == ZOVA_OK && i < unique; i++) {
        uint32_t r = zv_map_get(m, ids[i]);
        int rc;
        if (r != ZV_MAP_EMPTY) {
            bits[r] = 1;
            masked++;
        }
        sqlite3_bind_int64(stmt, 1, ids[i]);
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            const unsigned char *name = sqlite3_column_text(stmt, 0);
            if (name && (size_t)sqlite3_column_bytes(stmt, 0) == coll->name_len &&
                memcmp(name, coll->name, coll->name_len) == 0) {
                status = zv_vec_row_decode(coll, stmt, 1, 2, o->values + o->rows * o->dims);
                if (status == ZOVA_OK) {
                    o->rowids[o->rows] = ids[i];
                    zv_matrix_row_stats(o, o->rows);
                    o->rows++;
                }
            }
        } else if (rc != SQLITE_DONE) {
            status = zv_vec_sqlite_status(ctx, rc);
        }
        sqlite3_reset(stmt);
    }
    if (stmt) zv_vec_stmt_done(ctx, stmt);
    free(ids);
    if (status == ZOVA_OK) status = zv_collection_count(ctx, coll, &count);
    if (status != ZOVA_OK || count != m->rows - masked + o->rows) {
        /* An invalid row (74) or a row deleted without the hook: no overlay. */
        free(bits);
        zv_matrix_free(o);
        return status;
    }
    *overlay = o;
    *mask = bits;
    return ZOVA_OK;
}

/* ---- lookup ---- */

/* Forgets log entries every cached matrix has already applied. */
static void zv_log_trim(zv_vec_state *state) {
    zv_vec_matrix *m;
    for (m = state->matrices; m; m = m->next) {
        if (m->generation != state->generation) return;
    }
    state->log_base = state->generation;
    state->log_len = 0;
}

static zova_status zv_external_version(zv_vec_ctx *ctx, int64_t *out) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt = zv_vec_stmt(ctx, ZV_SQL_DATA_VERSION, &status);
    int rc;
    if (!stmt) return status;
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) *out = sqlite3_column_int64(stmt, 0);
    else status = zv_vec_sqlite_status(ctx, rc);
    zv_vec_stmt_done(ctx, stmt);
    return status;
}

/* Usable as is, or after patching with the log. */
static int zv_matrix_current(const zv_vec_state *state, const zv_vec_matrix *m, int64_t external) {
    return m->external_version == external && m->generation >= state->barrier && m->generation >= state->log_base &&
           m->generation <= state->generation;
}

zova_status zv_vec_matrix_get(zv_vec_ctx *ctx, const zv_vec_collection *coll, zv_vec_matrix **out,
                              zv_vec_matrix **overlay, unsigned char **mask) {
    zv_vec_state *state = ctx->state;
    int64_t external = 0;
    int writing = sqlite3_txn_state(ctx->sql, "main") == SQLITE_TXN_WRITE;
    int ephemeral;
    zv_vec_matrix *m, **link;
    zova_status status;
    *out = NULL;
    *overlay = NULL;
    *mask = NULL;
    status = zv_external_version(ctx, &external);
    if (status != ZOVA_OK) return status;
    if (state && !writing) state->dirty = 0;
    ephemeral = !state || (writing && state->dirty);
    if (state) {
        /* Drop every matrix that can no longer be brought up to date. */
        link = &state->matrices;
        while ((m = *link) != NULL) {
            if (!zv_matrix_current(state, m, external)) {
                *link = m->next;
                zv_matrix_free(m);
            } else {
                link = &m->next;
            }
        }
        for (link = &state->matrices; (m = *link) != NULL; link = &m->next) {
            if (m->name_len == coll->name_len && memcmp(m->name, coll->name, coll->name_len) == 0) break;
        }
        if (m && !ephemeral && m->dims == coll->dims && m->metric == coll->metric) {
            int rebuild = 0;
            status = ZOVA_OK;
            if (m->generation != state->generation) status = zv_matrix_patch(ctx, coll, m, &rebuild);
            if (status == ZOVA_OK) {
                if (m->generation != state->generation) state->patches++;
                m->generation = state->generation;
                zv_log_trim(state);
                *out = m;
                return ZOVA_OK;
            }
            *link = m->next;
            zv_matrix_free(m);
            if (!rebuild) return status;
            ctx->has_message = 0;
        } else if (m && ephemeral && m->dims == coll->dims && m->metric == coll->metric) {
            /* Uncommitted vector changes: committed matrix + overlay of the
             * changed rows, when few enough; else a full call-only matrix. */
            status = zv_overlay_build(ctx, coll, m, overlay, mask);
            if (status != ZOVA_OK) return status;
            if (*overlay) {
                *out = m;
                return ZOVA_OK;
            }
        } else if (m && !ephemeral) {
            *link = m->next; /* the collection was replaced */
            zv_matrix_free(m);
        }
    }
    m = (zv_vec_matrix *)calloc(1, sizeof(*m));
    if (!m) return ZOVA_OUT_OF_MEMORY;
    memcpy(m->name, coll->name, coll->name_len + 1);
    m->name_len = coll->name_len;
    m->dims = coll->dims;
    m->metric = coll->metric;
    m->external_version = external;
    m->generation = state ? state->generation : 0;
    m->ephemeral = ephemeral;
    status = zv_matrix_build(ctx, coll, m);
    if (state) state->builds++;
    if (status != ZOVA_OK) {
        zv_matrix_free(m);
        return status;
    }
    if (!ephemeral) {
        m->next = state->matrices;
        state->matrices = m;
        zv_log_trim(state);
    }
    *out = m;
    return ZOVA_OK;
}
