/*
 * vector_search.c - the eight search variants (docs/c-api.md §4.13, §7.9) and the one
 * engine behind them and behind the SQL helpers; its candidate ordering, id
 * reading and merging also finish the batch search (vector_batch.c).
 *
 * Exact results, fast path: a float32 pass (vector_kernels.c) over the cached
 * matrix (vector_cache.c) gives every row an approximate distance with a
 * proven error bound. Rows whose lower bound cannot beat the k-th smallest
 * upper bound (or exceeds max_distance) are dropped; the remaining candidates
 * get their exact double distance (Appendix B, index-order accumulation from
 * the stored f32 values), and only the winners' ids are read from SQLite to
 * order ties (each winner's stored bytes are compared with the cached row; a
 * mismatch means rowids moved behind the cache and the search is redone on a
 * fresh matrix). When the float32 pass could overflow or underflow badly the
 * bounds are replaced by the exact distances of every row.
 *
 * Error bound used (u = 2^-24, n = dimensions): a float32 dot product or sum of
 * squares of n terms, in any summation order, with inputs rounded at most once,
 * is within (n + 2) u sum|terms| of the exact value. We use
 * delta = (n + 16) 2^-23, twice that, plus absolute slack for subnormals.
 */
#include "vector_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char ZV_SQL_ROW_BY_ID[] =
    "select rowid, dimensions, \"values\" from _zova_vectors where collection_name = ?1 and vector_id = ?2";
static const char ZV_SQL_ID_BY_ROWID[] =
    "select vector_id, collection_name, \"values\" from _zova_vectors where rowid = ?1";

double zv_vec_exact_distance(int metric, const float *q, double q_norm, const float *v, double v_norm, size_t dims) {
    switch (metric) {
    case ZOVA_VECTOR_METRIC_COSINE:
        return 1.0 - zv_exact_dot(q, v, dims) / (q_norm * v_norm);
    case ZOVA_VECTOR_METRIC_L2:
        return sqrt(zv_exact_l2sq(q, v, dims));
    default:
        return -zv_exact_dot(q, v, dims);
    }
}

static int zv_finite(double d) { return d == d && d != HUGE_VAL && d != -HUGE_VAL; }

/* Bytewise id order, shorter prefix first (strcmp compares unsigned chars). */
int zv_vec_hit_cmp(const void *pa, const void *pb) {
    const zv_hit *a = (const zv_hit *)pa, *b = (const zv_hit *)pb;
    if (a->distance < b->distance) return -1;
    if (a->distance > b->distance) return 1;
    return strcmp(a->id, b->id);
}

static int zv_hit_cmp_row(const void *pa, const void *pb) {
    const zv_hit *a = (const zv_hit *)pa, *b = (const zv_hit *)pb;
    if (a->distance < b->distance) return -1;
    if (a->distance > b->distance) return 1;
    return a->row < b->row ? -1 : a->row > b->row;
}

static int zv_str_cmp(const void *pa, const void *pb) {
    return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

void zv_vec_hits_free(zv_hit *hits, size_t len) {
    size_t i;
    if (!hits) return;
    for (i = 0; i < len; i++) free(hits[i].id);
    free(hits);
}

zova_status zv_vec_hits_to_results(zv_hit *hits, size_t len, zova_vector_search_results *out) {
    size_t i;
    if (len == 0) return ZOVA_OK;
    out->items = (zova_vector_search_result *)malloc(len * sizeof(*out->items));
    if (!out->items) return ZOVA_OUT_OF_MEMORY;
    for (i = 0; i < len; i++) {
        out->items[i].id = hits[i].id;
        out->items[i].id_len = hits[i].id_len;
        out->items[i].distance = hits[i].distance;
        hits[i].id = NULL;
    }
    out->len = len;
    return ZOVA_OK;
}

/* ---- candidate-list path ("in" variants) ---- */

static zova_status zv_search_candidates(zv_vec_ctx *ctx, const zv_vec_collection *coll, const zv_vec_search_args *args,
                                        const float *query, double q_norm, zova_vector_search_results *out) {
    zova_status status = ZOVA_OK;
    const char **ids = NULL;
    zv_hit *hits = NULL;
    float *values = NULL;
    size_t n = args->candidate_count, unique = 0, nhits = 0, i;
    sqlite3_stmt *stmt = NULL;
    ids = (const char **)malloc(n * sizeof(*ids));
    hits = (zv_hit *)calloc(n, sizeof(*hits));
    values = (float *)malloc((size_t)coll->dims * sizeof(float));
    if (!ids || !hits || !values) {
        status = ZOVA_OUT_OF_MEMORY;
        goto done;
    }
    memcpy(ids, args->candidates, n * sizeof(*ids));
    qsort(ids, n, sizeof(*ids), zv_str_cmp);
    for (i = 0; i < n; i++) {
        if (unique == 0 || strcmp(ids[unique - 1], ids[i]) != 0) ids[unique++] = ids[i];
    }
    stmt = zv_vec_stmt(ctx, ZV_SQL_ROW_BY_ID, &status);
    if (!stmt) goto done;
    for (i = 0; i < unique && status == ZOVA_OK; i++) {
        int rc;
        if (args->source_id && strcmp(ids[i], args->source_id) == 0) continue;
        sqlite3_bind_text(stmt, 1, coll->name, (int)coll->name_len, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, ids[i], -1, SQLITE_STATIC);
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            status = zv_vec_row_decode(coll, stmt, 1, 2, values);
            if (status == ZOVA_OK) {
                double v_norm = sqrt(zv_exact_sumsq(values, coll->dims));
                double d = zv_vec_exact_distance(coll->metric, query, q_norm, values, v_norm, coll->dims);
                if (!args->has_max_distance || d <= args->max_distance) {
                    hits[nhits].distance = d;
                    hits[nhits].id_len = strlen(ids[i]);
                    hits[nhits].id = zv_strndup(ids[i], hits[nhits].id_len);
                    if (!hits[nhits].id) status = ZOVA_OUT_OF_MEMORY;
                    else nhits++;
                }
            }
        } else if (rc != SQLITE_DONE) {
            status = zv_vec_sqlite_status(ctx, rc);
        }
        sqlite3_reset(stmt);
    }
    if (status != ZOVA_OK) goto done;
    qsort(hits, nhits, sizeof(*hits), zv_vec_hit_cmp);
    status = zv_vec_hits_to_results(hits, nhits < args->limit ? nhits : args->limit, out);
done:
    if (stmt) zv_vec_stmt_done(ctx, stmt);
    zv_vec_hits_free(hits, nhits);
    free(ids);
    free(values);
    return status;
}

/* ---- k-th smallest of doubles ---- */

/* Max-heap of the k smallest values seen; heap[0] is the k-th smallest. */
void zv_vec_heap_push(double *heap, size_t *len, size_t k, double value) {
    size_t i;
    if (*len < k) {
        i = (*len)++;
        while (i > 0) {
            size_t parent = (i - 1) / 2;
            if (heap[parent] >= value) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = value;
    } else if (value < heap[0]) {
        i = 0;
        for (;;) {
            size_t child = 2 * i + 1;
            if (child >= k) break;
            if (child + 1 < k && heap[child + 1] > heap[child]) child++;
            if (heap[child] <= value) break;
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = value;
    }
}

static int zv_double_cmp(const void *pa, const void *pb) {
    double a = *(const double *)pa, b = *(const double *)pb;
    return a < b ? -1 : a > b;
}

/* k-th smallest (1-based k <= n) of a[0..n), reordering a (large k only). */
static double zv_select_kth(double *a, size_t n, size_t k) {
    qsort(a, n, sizeof(*a), zv_double_cmp);
    return a[k - 1];
}

/* ---- matrix path ---- */

typedef struct zv_bounds {
    int metric;
    int exact;        /* lb = ub = exact distance (float32 pass unsafe) */
    double delta;
    double q_norm;
    const double *norms;
    const float *scores; /* float32 pass result, or NULL when exact */
    const double *exact_d;
} zv_bounds;

static void zv_row_bounds(const zv_bounds *b, size_t i, double *lb, double *ub) {
    if (b->exact) {
        *lb = *ub = b->exact_d[i];
        return;
    }
    switch (b->metric) {
    case ZOVA_VECTOR_METRIC_COSINE: {
        double a = 1.0 - (double)b->scores[i] / b->norms[i];
        double e = b->delta + 1e-9;
        *lb = a - e;
        *ub = a + e;
        break;
    }
    case ZOVA_VECTOR_METRIC_DOT: {
        double scale = b->q_norm * b->norms[i];
        double a = -(double)b->scores[i];
        double e = (b->delta + 1e-9) * scale + 1e-36;
        *lb = a - e;
        *ub = a + e;
        break;
    }
    default: {
        double s = (double)b->scores[i];
        double e = (2.0 * b->delta + 1e-9) * s + 1e-36;
        *lb = sqrt(s - e > 0.0 ? s - e : 0.0);
        *ub = sqrt(s + e);
        break;
    }
    }
}

/* Reads the id of a winner, checking that the row still is the cached one
 * (same collection, same stored bytes). */
static zova_status zv_resolve_id(zv_vec_ctx *ctx, sqlite3_stmt *stmt, const zv_vec_collection *coll,
                                 const zv_vec_matrix *m, size_t row, zv_hit *hit) {
    int rc;
    zova_status status = ZOVA_OK;
    sqlite3_bind_int64(stmt, 1, m->rowids[row]);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        const unsigned char *text = sqlite3_column_text(stmt, 0);
        const unsigned char *name = sqlite3_column_text(stmt, 1);
        const void *blob = sqlite3_column_blob(stmt, 2);
        size_t bytes = (size_t)coll->dims * 4;
        float *stored = (float *)malloc(bytes);
        int same = stored && name && blob && (size_t)sqlite3_column_bytes(stmt, 1) == coll->name_len &&
                   memcmp(name, coll->name, coll->name_len) == 0 && (size_t)sqlite3_column_bytes(stmt, 2) == bytes;
        if (same) {
            zv_f32_from_le(stored, blob, coll->dims);
            same = memcmp(stored, m->values + row * coll->dims, bytes) == 0;
        }
        if (!stored) {
            status = ZOVA_OUT_OF_MEMORY;
        } else if (!same) {
            status = ZV_STALE_MATRIX;
        } else {
            hit->id_len = (size_t)sqlite3_column_bytes(stmt, 0);
            hit->id = zv_strndup(text ? (const char *)text : "", text ? hit->id_len : 0);
            if (!hit->id) status = ZOVA_OUT_OF_MEMORY;
        }
        free(stored);
    } else if (rc == SQLITE_DONE) {
        status = ZV_STALE_MATRIX;
    } else {
        status = zv_vec_sqlite_status(ctx, rc);
    }
    sqlite3_reset(stmt);
    return status;
}

/* The best `limit` of the candidates hits[0..ncand) (exact distance and row
 * of m set): ordered by exact distance, ids read only for the rows up to the
 * limit plus ties, then ordered by (distance, id). *out_len hits keep their
 * ids; the others have none. */
zova_status zv_vec_hits_finish(zv_vec_ctx *ctx, const zv_vec_collection *coll, const zv_vec_matrix *m, zv_hit *hits,
                               size_t ncand, size_t limit, size_t *out_len) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *id_stmt;
    size_t nres = ncand, keep, i;
    *out_len = 0;
    qsort(hits, ncand, sizeof(*hits), zv_hit_cmp_row);
    if (nres > limit) {
        double cut = hits[limit - 1].distance;
        nres = limit;
        while (nres < ncand && hits[nres].distance == cut) nres++;
    }
    id_stmt = zv_vec_stmt(ctx, ZV_SQL_ID_BY_ROWID, &status);
    if (!id_stmt) return status;
    for (i = 0; i < nres && status == ZOVA_OK; i++) status = zv_resolve_id(ctx, id_stmt, coll, m, hits[i].row, &hits[i]);
    zv_vec_stmt_done(ctx, id_stmt);
    if (status != ZOVA_OK) return status;
    qsort(hits, nres, sizeof(*hits), zv_vec_hit_cmp);
    keep = nres < limit ? nres : limit;
    for (i = keep; i < nres; i++) {
        free(hits[i].id);
        hits[i].id = NULL;
    }
    *out_len = keep;
    return ZOVA_OK;
}

/* The best `limit` rows of m (rows flagged in mask skipped) as hits with ids,
 * sorted by (distance, id). */
zova_status zv_vec_search_rows(zv_vec_ctx *ctx, const zv_vec_collection *coll, const zv_vec_search_args *args,
                               const float *query, double q_norm, int has_exclude, int64_t exclude_rowid,
                               const zv_vec_matrix *m, const unsigned char *mask, zv_hit **out_hits, size_t *out_len) {
    zova_status status = ZOVA_OK;
    size_t n, dims = coll->dims, i, k, eligible = 0, ncand = 0, nres = 0;
    float *scores = NULL, *qf = NULL;
    double *exact_d = NULL, *work = NULL;
    unsigned char *skip = NULL;
    zv_hit *hits = NULL;
    zv_bounds b;
    double threshold = HUGE_VAL;

    *out_hits = NULL;
    *out_len = 0;
    n = m->rows;
    if (n == 0) goto done;
    memset(&b, 0, sizeof(b));
    b.metric = coll->metric;
    b.delta = ((double)dims + 16.0) * 0x1p-23;
    b.q_norm = q_norm;
    b.norms = m->norms;
    skip = (unsigned char *)calloc(n, 1);
    if (!skip) {
        status = ZOVA_OUT_OF_MEMORY;
        goto done;
    }
    if (mask) memcpy(skip, mask, n);
    /* Is the float32 pass safe from overflow and harmful underflow? */
    {
        double q_max = 0.0;
        int safe;
        for (i = 0; i < dims; i++) {
            double a = fabs((double)query[i]);
            if (a > q_max) q_max = a;
        }
        if (coll->metric == ZOVA_VECTOR_METRIC_COSINE) safe = m->min_norm >= 1e-30 && m->max_norm <= 1e30;
        else if (coll->metric == ZOVA_VECTOR_METRIC_DOT) safe = q_norm * m->max_norm <= 1e36;
        else safe = (q_max + m->max_abs) * (q_max + m->max_abs) * (double)dims <= 1e36;
        b.exact = !safe;
    }
    if (b.exact) {
        exact_d = (double *)malloc(n * sizeof(double));
        if (!exact_d) {
            status = ZOVA_OUT_OF_MEMORY;
            goto done;
        }
        for (i = 0; i < n; i++) {
            exact_d[i] = zv_vec_exact_distance(coll->metric, query, q_norm, m->values + i * dims, m->norms[i], dims);
        }
        b.exact_d = exact_d;
    } else {
        scores = (float *)malloc(n * sizeof(float));
        qf = (float *)malloc(dims * sizeof(float));
        if (!scores || !qf) {
            status = ZOVA_OUT_OF_MEMORY;
            goto done;
        }
        if (coll->metric == ZOVA_VECTOR_METRIC_COSINE) {
            for (i = 0; i < dims; i++) qf[i] = (float)((double)query[i] / q_norm);
            zv_kern_rows_parallel(0, qf, m->values, n, dims, scores);
        } else if (coll->metric == ZOVA_VECTOR_METRIC_DOT) {
            zv_kern_rows_parallel(0, query, m->values, n, dims, scores);
        } else {
            zv_kern_rows_parallel(1, query, m->values, n, dims, scores);
        }
        b.scores = scores;
    }
    /* Eligibility: not the source row, lower bound within max_distance. */
    for (i = 0; i < n; i++) {
        double lb, ub;
        if (has_exclude && m->rowids[i] == exclude_rowid) {
            skip[i] = 1;
            continue;
        }
        if (args->has_max_distance) {
            zv_row_bounds(&b, i, &lb, &ub);
            if (!(lb <= args->max_distance)) {
                skip[i] = 1;
                continue;
            }
        }
        eligible++;
    }
    k = args->limit < eligible ? args->limit : eligible;
    if (k == 0) goto done;
    /* threshold = k-th smallest upper bound among eligible rows */
    if (k < eligible) {
        size_t heap_len = 0, w = 0;
        if (k <= 4096) {
            work = (double *)malloc(k * sizeof(double));
            if (!work) {
                status = ZOVA_OUT_OF_MEMORY;
                goto done;
            }
            for (i = 0; i < n; i++) {
                double lb, ub;
                if (skip[i]) continue;
                zv_row_bounds(&b, i, &lb, &ub);
                zv_vec_heap_push(work, &heap_len, k, ub);
            }
            threshold = work[0];
        } else {
            work = (double *)malloc(eligible * sizeof(double));
            if (!work) {
                status = ZOVA_OUT_OF_MEMORY;
                goto done;
            }
            for (i = 0; i < n; i++) {
                double lb, ub;
                if (skip[i]) continue;
                zv_row_bounds(&b, i, &lb, &ub);
                work[w++] = ub;
            }
            threshold = zv_select_kth(work, w, k);
        }
    }
    /* Candidates: eligible rows whose lower bound does not exceed the threshold. */
    hits = (zv_hit *)calloc(k < eligible ? 64 : eligible, sizeof(*hits));
    {
        size_t cap = k < eligible ? 64 : eligible;
        if (!hits) {
            status = ZOVA_OUT_OF_MEMORY;
            goto done;
        }
        for (i = 0; i < n; i++) {
            double lb, ub, d;
            if (skip[i]) continue;
            zv_row_bounds(&b, i, &lb, &ub);
            if (!(lb <= threshold)) continue;
            d = b.exact ? exact_d[i]
                        : zv_vec_exact_distance(coll->metric, query, q_norm, m->values + i * dims, m->norms[i], dims);
            if (args->has_max_distance && !(d <= args->max_distance)) continue;
            if (ncand == cap) {
                zv_hit *grown = (zv_hit *)realloc(hits, cap * 2 * sizeof(*hits));
                if (!grown) {
                    status = ZOVA_OUT_OF_MEMORY;
                    goto done;
                }
                memset(grown + cap, 0, cap * sizeof(*hits));
                hits = grown;
                cap *= 2;
            }
            hits[ncand].distance = d;
            hits[ncand].row = i;
            ncand++;
        }
    }
    if (ncand == 0) goto done;
    status = zv_vec_hits_finish(ctx, coll, m, hits, ncand, args->limit, &nres);
    if (status != ZOVA_OK) goto done;
    *out_hits = hits;
    *out_len = nres;
    hits = NULL;
done:
    zv_vec_hits_free(hits, ncand);
    free(skip);
    free(scores);
    free(qf);
    free(exact_d);
    free(work);
    return status;
}

/* The first `limit` of two (distance, id)-sorted hit lists into out; the ids
 * moved into out are taken from a and b. */
zova_status zv_vec_hits_merge(zv_hit *a, size_t na, zv_hit *b, size_t nb, size_t limit,
                              zova_vector_search_results *out) {
    zv_hit *merged;
    size_t i = 0, j = 0, n = 0;
    zova_status status;
    if (nb == 0) return zv_vec_hits_to_results(a, na < limit ? na : limit, out);
    merged = (zv_hit *)malloc((na + nb) * sizeof(*merged));
    if (!merged) return ZOVA_OUT_OF_MEMORY;
    while (n < limit && (i < na || j < nb)) {
        zv_hit *next = (j >= nb || (i < na && zv_vec_hit_cmp(&a[i], &b[j]) <= 0)) ? &a[i++] : &b[j++];
        merged[n++] = *next;
        next->id = NULL; /* moved */
    }
    status = zv_vec_hits_to_results(merged, n, out);
    zv_vec_hits_free(merged, n);
    return status;
}

/* Searches the collection's matrix (plus, inside a write transaction with
 * uncommitted vector changes, the overlay of changed rows) and merges. */
static zova_status zv_search_matrix(zv_vec_ctx *ctx, const zv_vec_collection *coll, const zv_vec_search_args *args,
                                    const float *query, double q_norm, int has_exclude, int64_t exclude_rowid,
                                    zova_vector_search_results *out) {
    zv_vec_matrix *m = NULL, *overlay = NULL;
    unsigned char *mask = NULL;
    zv_hit *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    zova_status status = zv_vec_matrix_get(ctx, coll, &m, &overlay, &mask);
    if (status != ZOVA_OK) return status;
    status = zv_vec_search_rows(ctx, coll, args, query, q_norm, has_exclude, exclude_rowid, m, mask, &a, &na);
    if (status == ZOVA_OK && overlay) {
        status = zv_vec_search_rows(ctx, coll, args, query, q_norm, has_exclude, exclude_rowid, overlay, NULL, &b, &nb);
    }
    if (status == ZOVA_OK) status = zv_vec_hits_merge(a, na, b, nb, args->limit, out);
    zv_vec_hits_free(a, na);
    zv_vec_hits_free(b, nb);
    free(mask);
    zv_vec_matrix_put(overlay);
    zv_vec_matrix_put(m);
    return status;
}

/* ---- the engine ---- */

zova_status zv_vec_search_run(zv_vec_ctx *ctx, const zv_vec_search_args *args, zova_vector_search_results *out) {
    zova_status status;
    zv_vec_collection coll;
    sqlite3_stmt *pin = NULL;
    float *source = NULL;
    const float *query = args->query;
    int64_t source_rowid = 0;
    double q_norm;
    size_t i;

    status = zv_vec_name_refused(ctx, "collection name", args->collection_name);
    if (status == ZOVA_OK && args->source_id) status = zv_vec_name_refused(ctx, "source vector id", args->source_id);
    if (status != ZOVA_OK) return status;
    /* The stepped collection statement pins one read snapshot for the call. */
    status = zv_vec_collection_load(ctx, args->collection_name, &coll, &pin);
    if (status != ZOVA_OK) return status;
    if (!args->source_id) status = zv_vec_values_refused(ctx, &coll, args->query, args->query_len, "the query");
    if (status == ZOVA_OK && args->has_max_distance && !zv_finite(args->max_distance)) {
        status = zv_vec_refuse(ctx, ZOVA_VECTOR_INVALID, "max_distance must be a finite number");
    }
    if (status == ZOVA_OK && args->source_id) {
        sqlite3_stmt *stmt = zv_vec_stmt(ctx, ZV_SQL_ROW_BY_ID, &status);
        source = (float *)malloc((size_t)coll.dims * sizeof(float));
        if (stmt && !source) status = ZOVA_OUT_OF_MEMORY;
        if (stmt && source) {
            int rc;
            sqlite3_bind_text(stmt, 1, coll.name, (int)coll.name_len, SQLITE_STATIC);
            sqlite3_bind_text(stmt, 2, args->source_id, -1, SQLITE_STATIC);
            rc = sqlite3_step(stmt);
            if (rc == SQLITE_DONE) status = ZOVA_VECTOR_NOT_FOUND;
            else if (rc != SQLITE_ROW) status = zv_vec_sqlite_status(ctx, rc);
            else {
                status = zv_vec_row_decode(&coll, stmt, 1, 2, source);
                source_rowid = sqlite3_column_int64(stmt, 0);
            }
        }
        if (stmt) zv_vec_stmt_done(ctx, stmt);
        query = source;
    }
    for (i = 0; status == ZOVA_OK && args->has_candidates && i < args->candidate_count; i++) {
        char what[48];
        snprintf(what, sizeof(what), "candidate id %zu", i);
        status = zv_vec_name_refused(ctx, what, args->candidates[i]);
    }
    if (status == ZOVA_OK && args->limit > 0 && !(args->has_candidates && args->candidate_count == 0)) {
        q_norm = sqrt(zv_exact_sumsq(query, coll.dims));
        if (args->has_candidates) status = zv_search_candidates(ctx, &coll, args, query, q_norm, out);
        else {
            status = zv_search_matrix(ctx, &coll, args, query, q_norm, args->source_id != NULL, source_rowid, out);
            if (status == ZV_STALE_MATRIX) {
                /* Rowids changed without any signal the cache watches: drop
                 * every cached matrix and search once more on a fresh one. */
                zova_vector_search_results_free(out);
                zv_vec_matrix_free_all(ctx->state);
                status = zv_search_matrix(ctx, &coll, args, query, q_norm, args->source_id != NULL, source_rowid,
                                          out);
                if (status == ZV_STALE_MATRIX) status = ZOVA_VECTOR_CORRUPT;
            }
        }
    }
    if (status != ZOVA_OK) zova_vector_search_results_free(out);
    free(source);
    zv_vec_stmt_done(ctx, pin);
    return status;
}

/* ---- the ABI functions ---- */

static zova_status zv_search_abi(zova_database *db, const zv_vec_search_args *args, zova_vector_search_results *out) {
    zv_vec_ctx ctx;
    zova_status status;
    zv_vec_db_ctx(db, &ctx);
    status = zv_vec_search_run(&ctx, args, out);
    if (status != ZOVA_OK && ctx.has_message) zv_fail_message(db, status, ctx.message);
    return zv_unlock(db, status);
}

static int zv_candidates_bad(const char *const *ids, size_t count) {
    size_t i;
    if (!ids && count > 0) return 1;
    for (i = 0; i < count; i++) {
        if (!ids[i]) return 1;
    }
    return 0;
}

#define ZV_SEARCH_BEGIN(request)                                    \
    zova_database *db;                                              \
    zv_vec_search_args args;                                        \
    if (!(request) || !(request)->db) return ZOVA_INVALID_ARGUMENT; \
    db = (request)->db;                                             \
    zv_lock(db);                                                    \
    memset(&args, 0, sizeof(args))

#define ZV_SEARCH_QUERY_CHECKS(request)                                                              \
    if (!(request)->collection_name || (!(request)->query && (request)->query_len > 0) ||            \
        !(request)->out_results) {                                                                   \
        return zv_unlock(db, ZOVA_INVALID_ARGUMENT);                                                 \
    }                                                                                                \
    (request)->out_results->items = NULL;                                                            \
    (request)->out_results->len = 0;                                                                 \
    args.collection_name = (request)->collection_name;                                               \
    args.query = (request)->query;                                                                   \
    args.query_len = (request)->query_len;                                                           \
    args.limit = (request)->limit

#define ZV_SEARCH_BY_ID_CHECKS(request)                                                          \
    if (!(request)->collection_name || !(request)->source_vector_id || !(request)->out_results) { \
        return zv_unlock(db, ZOVA_INVALID_ARGUMENT);                                             \
    }                                                                                            \
    (request)->out_results->items = NULL;                                                        \
    (request)->out_results->len = 0;                                                             \
    args.collection_name = (request)->collection_name;                                           \
    args.source_id = (request)->source_vector_id;                                                \
    args.limit = (request)->limit

#define ZV_SEARCH_CANDIDATES(request)                                                      \
    if (zv_candidates_bad((request)->candidate_ids, (request)->candidate_count)) {          \
        return zv_unlock(db, ZOVA_INVALID_ARGUMENT);                                       \
    }                                                                                      \
    args.candidates = (request)->candidate_ids;                                            \
    args.candidate_count = (request)->candidate_count;                                     \
    args.has_candidates = 1

#define ZV_SEARCH_WITHIN(request)                 \
    args.max_distance = (request)->max_distance; \
    args.has_max_distance = 1

zova_status zova_vector_search(const zova_vector_search_request *request) {
    ZV_SEARCH_BEGIN(request);
    ZV_SEARCH_QUERY_CHECKS(request);
    return zv_search_abi(db, &args, request->out_results);
}

zova_status zova_vector_search_in(const zova_vector_search_in_request *request) {
    ZV_SEARCH_BEGIN(request);
    ZV_SEARCH_QUERY_CHECKS(request);
    ZV_SEARCH_CANDIDATES(request);
    return zv_search_abi(db, &args, request->out_results);
}

zova_status zova_vector_search_within(const zova_vector_search_within_request *request) {
    ZV_SEARCH_BEGIN(request);
    ZV_SEARCH_QUERY_CHECKS(request);
    ZV_SEARCH_WITHIN(request);
    return zv_search_abi(db, &args, request->out_results);
}

zova_status zova_vector_search_in_within(const zova_vector_search_in_within_request *request) {
    ZV_SEARCH_BEGIN(request);
    ZV_SEARCH_QUERY_CHECKS(request);
    ZV_SEARCH_CANDIDATES(request);
    ZV_SEARCH_WITHIN(request);
    return zv_search_abi(db, &args, request->out_results);
}

zova_status zova_vector_search_by_id(const zova_vector_search_by_id_request *request) {
    ZV_SEARCH_BEGIN(request);
    ZV_SEARCH_BY_ID_CHECKS(request);
    return zv_search_abi(db, &args, request->out_results);
}

zova_status zova_vector_search_by_id_in(const zova_vector_search_by_id_in_request *request) {
    ZV_SEARCH_BEGIN(request);
    ZV_SEARCH_BY_ID_CHECKS(request);
    ZV_SEARCH_CANDIDATES(request);
    return zv_search_abi(db, &args, request->out_results);
}

zova_status zova_vector_search_by_id_within(const zova_vector_search_by_id_within_request *request) {
    ZV_SEARCH_BEGIN(request);
    ZV_SEARCH_BY_ID_CHECKS(request);
    ZV_SEARCH_WITHIN(request);
    return zv_search_abi(db, &args, request->out_results);
}

zova_status zova_vector_search_by_id_in_within(const zova_vector_search_by_id_in_within_request *request) {
    ZV_SEARCH_BEGIN(request);
    ZV_SEARCH_BY_ID_CHECKS(request);
    ZV_SEARCH_CANDIDATES(request);
    ZV_SEARCH_WITHIN(request);
    return zv_search_abi(db, &args, request->out_results);
}
