/*
 * vector_batch.c - zova_vector_search_batch (include/zova.h): many queries
 * against one collection in one call, each with exactly the results of the
 * single-query search (vector_search.c).
 *
 * Matrix path: a blocked many-queries-against-many-rows scan of the cached
 * matrix (vector_cache.c). Rows are split over worker threads; each thread
 * walks its rows in blocks small enough for L1, and for every block the tile
 * kernel (vector_kernels.c) computes the float32 dot products of a block of
 * queries (sized for L2) against those rows. Every score becomes a lower and
 * an upper bound of the exact distance (proven error margin, as in
 * vector_search.c), and each (thread, query) keeps a heap of the k smallest
 * upper bounds and the rows whose lower bound does not exceed the current
 * cut. The threads' heaps then give each query its threshold, the surviving
 * rows get their exact double distance, and vector_search.c's finishing step
 * orders them by (distance, id) and reads the winners' ids. All three metrics
 * use the dot-product tile: cosine with the normalised query, L2 as
 * |q|^2 + |v|^2 - 2 q.v with a bound of its own.
 *
 * Queries whose float32 pass could overflow or underflow, and the candidate
 * lists of the "in" filter, take the exact per-query paths.
 */
#include "vector_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char ZV_SQL_ROWID_BY_ID[] =
    "select rowid from _zova_vectors where collection_name = ?1 and vector_id = ?2";
static const char ZV_SQL_VALUES_BY_ID[] =
    "select rowid, dimensions, \"values\" from _zova_vectors where collection_name = ?1 and vector_id = ?2";

/* Bytes of queries one tile pass keeps in L2, and of rows it keeps in L1. */
#define ZV_BATCH_QUERY_BYTES (256u * 1024u)
#define ZV_BATCH_ROW_BYTES (24u * 1024u)
/* Below this many multiply-adds one thread does the whole scan. */
#define ZV_BATCH_PARALLEL_MIN_FMAS ((size_t)1 << 22)

typedef struct zv_batch_args {
    const char *collection_name;
    const float *queries;
    size_t query_count;
    size_t query_len;
    const char *const *candidates;
    size_t candidate_count;
    int has_candidates;
    double max_distance;
    int has_max_distance;
    const char *const *exclude_ids;
    size_t limit;
} zv_batch_args;

/* One query as the scan sees it. */
typedef struct zv_batch_query {
    const float *values; /* the caller's query (exact distances) */
    double norm;         /* sqrt(sum q^2) in double, index order */
    double error_scale;  /* cosine: the whole margin; dot and l2: times the row norm */
    int has_exclude;
    int64_t exclude_rowid;
} zv_batch_query;

typedef struct zv_batch_cand {
    uint32_t row;
    double lower; /* lower bound of the distance key */
} zv_batch_cand;

/* One query in one thread: the k smallest upper bounds and the candidates. */
typedef struct zv_batch_select {
    double *heap;
    size_t heap_len;
    double cut; /* rows whose lower bound exceeds it cannot be results */
    zv_batch_cand *cands;
    size_t ncands;
    size_t cap;
} zv_batch_select;

typedef struct zv_batch_scan {
    int metric;
    size_t dims;
    const zv_vec_matrix *m;
    const unsigned char *mask;
    const float *prepared; /* nsafe x dims: the queries given to the tile kernel */
    const zv_batch_query *queries; /* nsafe, in the order of prepared */
    size_t nsafe;
    const double *inv_norms; /* cosine: 1 / row norm */
    size_t k;                /* heap size; 0 when every eligible row is a candidate */
    double key_max;          /* the within filter as a distance key (HUGE_VAL: none) */
    zova_cancel *token;      /* the caller's, for the worker threads */
} zv_batch_scan;

typedef struct zv_batch_worker {
    const zv_batch_scan *scan;
    size_t row_begin, row_end;
    zv_batch_select *sel; /* nsafe */
    int out_of_memory;
    int cancelled;
} zv_batch_worker;

/* ---- bounds: the distance key of a score (cosine and dot: the distance,
 * l2: the squared distance) ---- */

static void zv_batch_bounds(const zv_batch_scan *scan, const zv_batch_query *q, float score, size_t r, double *lower,
                            double *upper) {
    const zv_vec_matrix *m = scan->m;
    switch (scan->metric) {
    case ZOVA_VECTOR_METRIC_COSINE: {
        double a = 1.0 - (double)score * scan->inv_norms[r];
        *lower = a - q->error_scale;
        *upper = a + q->error_scale;
        break;
    }
    case ZOVA_VECTOR_METRIC_DOT: {
        double e = q->error_scale * m->norms[r] + 1e-36;
        *lower = -(double)score - e;
        *upper = -(double)score + e;
        break;
    }
    default: {
        /* |s_f32 - q.v| <= (delta/2) |q||v|; the double squares of the norms
         * are within 1e-9 relative of their exact values. */
        double qq = q->norm * q->norm, vv = m->norms[r] * m->norms[r];
        double s = qq + vv - 2.0 * (double)score;
        double e = q->error_scale * m->norms[r] + 1e-9 * (qq + vv) + 1e-36;
        *lower = s - e > 0.0 ? s - e : 0.0;
        *upper = s + e;
        break;
    }
    }
}

static int zv_batch_take(const zv_batch_scan *scan, zv_batch_select *sel, size_t r, double lower, double upper) {
    if (scan->k) {
        zv_vec_heap_push(sel->heap, &sel->heap_len, scan->k, upper);
        if (sel->heap_len == scan->k && sel->heap[0] < sel->cut) sel->cut = sel->heap[0];
    }
    if (sel->ncands == sel->cap) {
        size_t cap = sel->cap ? sel->cap * 2 : 64;
        zv_batch_cand *grown = (zv_batch_cand *)realloc(sel->cands, cap * sizeof(*grown));
        if (!grown) return 0;
        sel->cands = grown;
        sel->cap = cap;
    }
    sel->cands[sel->ncands].row = (uint32_t)r;
    sel->cands[sel->ncands].lower = lower;
    sel->ncands++;
    return 1;
}

/* Folds the tile scores[qi * nr + j] (queries q0.., rows r0..) into the selections. */
static int zv_batch_select_tile(const zv_batch_scan *scan, zv_batch_select *sel, size_t q0, size_t nq, size_t r0,
                                size_t nr, const float *scores) {
    size_t qi, j;
    for (qi = 0; qi < nq; qi++) {
        const zv_batch_query *q = &scan->queries[q0 + qi];
        zv_batch_select *s = &sel[q0 + qi];
        const float *row_scores = scores + qi * nr;
        for (j = 0; j < nr; j++) {
            size_t r = r0 + j;
            double lower, upper;
            zv_batch_bounds(scan, q, row_scores[j], r, &lower, &upper);
            if (!(lower <= s->cut)) continue;
            if (scan->mask && scan->mask[r]) continue;
            if (q->has_exclude && scan->m->rowids[r] == q->exclude_rowid) continue;
            if (!zv_batch_take(scan, s, r, lower, upper)) return 0;
        }
    }
    return 1;
}

static void zv_batch_scan_rows(zv_batch_worker *w) {
    const zv_batch_scan *scan = w->scan;
    size_t dims = scan->dims, r0, q0;
    size_t row_block = ZV_BATCH_ROW_BYTES / (dims * sizeof(float)) & ~(size_t)3;
    size_t query_block = ZV_BATCH_QUERY_BYTES / (dims * sizeof(float));
    float *tile;
    if (row_block < 4) row_block = 4;
    if (query_block < 3) query_block = 3;
    if (query_block > scan->nsafe) query_block = scan->nsafe;
    tile = (float *)malloc(query_block * row_block * sizeof(float));
    if (!tile) {
        w->out_of_memory = 1;
        return;
    }
    for (q0 = 0; q0 < scan->nsafe && !w->out_of_memory && !w->cancelled; q0 += query_block) {
        size_t nq = scan->nsafe - q0 < query_block ? scan->nsafe - q0 : query_block;
        for (r0 = w->row_begin; r0 < w->row_end; r0 += row_block) {
            size_t nr = w->row_end - r0 < row_block ? w->row_end - r0 : row_block;
            if (scan->token && zova_cancel_requested(scan->token)) {
                w->cancelled = 1;
                break;
            }
            zv_kern_dot_tile(scan->prepared + q0 * dims, nq, scan->m->values + r0 * dims, nr, dims, tile);
            if (!zv_batch_select_tile(scan, w->sel, q0, nq, r0, nr, tile)) {
                w->out_of_memory = 1;
                break;
            }
        }
    }
    free(tile);
}

static void *zv_batch_thread(void *arg) {
    zv_batch_scan_rows((zv_batch_worker *)arg);
    return NULL;
}

/* ---- per-query results of one matrix ---- */

static void zv_batch_workers_free(zv_batch_worker *workers, int count, size_t nsafe) {
    int t;
    size_t q;
    if (!workers) return;
    for (t = 0; t < count; t++) {
        if (!workers[t].sel) continue;
        for (q = 0; q < nsafe; q++) {
            free(workers[t].sel[q].heap);
            free(workers[t].sel[q].cands);
        }
        free(workers[t].sel);
    }
    free(workers);
}

static int zv_double_less(const void *pa, const void *pb) {
    double a = *(const double *)pa, b = *(const double *)pb;
    return a < b ? -1 : a > b;
}

/* The threshold of one query: the k-th smallest upper bound over every
 * thread's heap (each holds its rows' k smallest), HUGE_VAL when fewer than k
 * rows were eligible. */
static zova_status zv_batch_threshold(const zv_batch_worker *workers, int count, size_t q, size_t k,
                                      double *out) {
    size_t total = 0, n = 0;
    double *all;
    int t;
    *out = HUGE_VAL;
    if (!k) return ZOVA_OK;
    for (t = 0; t < count; t++) total += workers[t].sel[q].heap_len;
    if (total < k) return ZOVA_OK;
    if (count == 1) {
        *out = workers[0].sel[q].heap[0];
        return ZOVA_OK;
    }
    all = (double *)malloc(total * sizeof(double));
    if (!all) return ZOVA_OUT_OF_MEMORY;
    for (t = 0; t < count; t++) {
        memcpy(all + n, workers[t].sel[q].heap, workers[t].sel[q].heap_len * sizeof(double));
        n += workers[t].sel[q].heap_len;
    }
    qsort(all, n, sizeof(double), zv_double_less);
    *out = all[k - 1];
    free(all);
    return ZOVA_OK;
}

/* Exact distances of one query's candidates, then its best `limit` hits. */
static zova_status zv_batch_finish_query(zv_vec_ctx *ctx, const zv_vec_collection *coll, const zv_batch_args *args,
                                         const zv_batch_scan *scan, const zv_batch_worker *workers, int count,
                                         size_t q, zv_hit **out_hits, size_t *out_len) {
    const zv_batch_query *query = &scan->queries[q];
    const zv_vec_matrix *m = scan->m;
    size_t total = 0, nhits = 0, i, len = 0;
    double threshold;
    zv_hit *hits;
    zova_status status;
    int t;
    status = zv_batch_threshold(workers, count, q, scan->k, &threshold);
    if (status != ZOVA_OK) return status;
    for (t = 0; t < count; t++) total += workers[t].sel[q].ncands;
    if (total == 0) return ZOVA_OK;
    hits = (zv_hit *)calloc(total, sizeof(*hits));
    if (!hits) return ZOVA_OUT_OF_MEMORY;
    for (t = 0; t < count; t++) {
        const zv_batch_select *s = &workers[t].sel[q];
        for (i = 0; i < s->ncands; i++) {
            size_t r = s->cands[i].row;
            double d;
            if (!(s->cands[i].lower <= threshold)) continue;
            d = zv_vec_exact_distance(coll->metric, query->values, query->norm, m->values + r * scan->dims,
                                      m->norms[r], scan->dims);
            if (args->has_max_distance && !(d <= args->max_distance)) continue;
            hits[nhits].distance = d;
            hits[nhits].row = r;
            nhits++;
        }
    }
    if (nhits > 0) status = zv_vec_hits_finish(ctx, coll, m, hits, nhits, args->limit, &len);
    if (status != ZOVA_OK || len == 0) {
        zv_vec_hits_free(hits, nhits); /* ids read before a failure */
        return status;
    }
    *out_hits = hits;
    *out_len = len;
    return ZOVA_OK;
}

/* Is the float32 pass of this query safe from overflow and harmful
 * underflow? (The conditions of vector_search.c; l2 also bounds q.v.) */
static int zv_batch_query_safe(int metric, const zv_vec_matrix *m, const float *query, double q_norm, size_t dims) {
    double q_max = 0.0;
    size_t i;
    if (metric == ZOVA_VECTOR_METRIC_COSINE) return m->min_norm >= 1e-30 && m->max_norm <= 1e30;
    if (metric == ZOVA_VECTOR_METRIC_DOT) return q_norm * m->max_norm <= 1e36;
    for (i = 0; i < dims; i++) {
        double a = fabs((double)query[i]);
        if (a > q_max) q_max = a;
    }
    return q_norm * m->max_norm <= 1e36 && (q_max + m->max_abs) * (q_max + m->max_abs) * (double)dims <= 1e36;
}

/* The best args->limit hits of every query among the rows of m not flagged in
 * mask: hits[q], lens[q] (hits with ids, sorted by (distance, id)). */
static zova_status zv_batch_rows(zv_vec_ctx *ctx, const zv_vec_collection *coll, const zv_batch_args *args,
                                 const zv_batch_query *queries, const zv_vec_matrix *m, const unsigned char *mask,
                                 zv_hit **hits, size_t *lens) {
    size_t nq = args->query_count, dims = coll->dims, n = m->rows, q, i, nsafe = 0, per, start = 0;
    zova_status status = ZOVA_OK;
    zv_batch_query *safe = NULL;
    size_t *safe_index = NULL;
    float *prepared = NULL;
    double *inv_norms = NULL;
    zv_batch_worker *workers = NULL;
    pthread_t tids[8];
    int started[8] = {0};
    int threads = 1, t, cancelled = 0, out_of_memory = 0;
    zv_batch_scan scan;
    double delta = ((double)dims + 16.0) * 0x1p-23;

    if (n == 0) return ZOVA_OK;
    safe = (zv_batch_query *)malloc(nq * sizeof(*safe));
    safe_index = (size_t *)malloc(nq * sizeof(*safe_index));
    prepared = (float *)malloc(nq * dims * sizeof(float));
    if (!safe || !safe_index || !prepared) {
        status = ZOVA_OUT_OF_MEMORY;
        goto done;
    }
    for (q = 0; q < nq && status == ZOVA_OK; q++) {
        const zv_batch_query *query = &queries[q];
        if (!zv_batch_query_safe(coll->metric, m, query->values, query->norm, dims)) {
            /* The exact path of the single-query search for this one. */
            zv_vec_search_args single;
            memset(&single, 0, sizeof(single));
            single.limit = args->limit;
            single.max_distance = args->max_distance;
            single.has_max_distance = args->has_max_distance;
            status = zv_vec_search_rows(ctx, coll, &single, query->values, query->norm, query->has_exclude,
                                        query->exclude_rowid, m, mask, &hits[q], &lens[q]);
            continue;
        }
        safe[nsafe] = *query;
        safe[nsafe].error_scale = coll->metric == ZOVA_VECTOR_METRIC_COSINE ? delta + 1e-9
                                                                             : (delta + 1e-9) * query->norm;
        if (coll->metric == ZOVA_VECTOR_METRIC_COSINE) {
            for (i = 0; i < dims; i++) prepared[nsafe * dims + i] = (float)((double)query->values[i] / query->norm);
        } else {
            memcpy(prepared + nsafe * dims, query->values, dims * sizeof(float));
        }
        safe_index[nsafe++] = q;
    }
    if (status != ZOVA_OK || nsafe == 0) goto done;
    if (coll->metric == ZOVA_VECTOR_METRIC_COSINE) {
        inv_norms = (double *)malloc(n * sizeof(double));
        if (!inv_norms) {
            status = ZOVA_OUT_OF_MEMORY;
            goto done;
        }
        for (i = 0; i < n; i++) inv_norms[i] = 1.0 / m->norms[i];
    }
    memset(&scan, 0, sizeof(scan));
    scan.metric = coll->metric;
    scan.dims = dims;
    scan.m = m;
    scan.mask = mask;
    scan.prepared = prepared;
    scan.queries = safe;
    scan.nsafe = nsafe;
    scan.inv_norms = inv_norms;
    scan.k = args->limit < n ? args->limit : 0;
    scan.key_max = HUGE_VAL;
    if (args->has_max_distance) {
        if (coll->metric != ZOVA_VECTOR_METRIC_L2) scan.key_max = args->max_distance;
        else scan.key_max = args->max_distance < 0.0 ? -1.0 : args->max_distance * args->max_distance * (1.0 + 1e-9);
    }
    scan.token = zv_cancel_bound();

    if (n * dims * nsafe >= ZV_BATCH_PARALLEL_MIN_FMAS) threads = zv_kern_threads();
    if ((size_t)threads > n / 4) threads = n / 4 > 0 ? (int)(n / 4) : 1;
    workers = (zv_batch_worker *)calloc((size_t)threads, sizeof(*workers));
    if (!workers) {
        status = ZOVA_OUT_OF_MEMORY;
        goto done;
    }
    per = ((n + (size_t)threads - 1) / (size_t)threads + 3) & ~(size_t)3;
    for (t = 0; t < threads; t++) {
        zv_batch_worker *w = &workers[t];
        w->scan = &scan;
        w->row_begin = start < n ? start : n;
        w->row_end = start + per < n ? start + per : n;
        start = w->row_end;
        w->sel = (zv_batch_select *)calloc(nsafe, sizeof(*w->sel));
        if (!w->sel) {
            status = ZOVA_OUT_OF_MEMORY;
            goto done;
        }
        for (q = 0; q < nsafe; q++) {
            w->sel[q].cut = scan.key_max;
            if (scan.k && !(w->sel[q].heap = (double *)malloc(scan.k * sizeof(double)))) {
                status = ZOVA_OUT_OF_MEMORY;
                goto done;
            }
        }
    }
    for (t = 1; t < threads; t++) started[t] = zv_thread_start(&tids[t], zv_batch_thread, &workers[t]);
    zv_batch_scan_rows(&workers[0]);
    for (t = 1; t < threads; t++) {
        if (started[t]) pthread_join(tids[t], NULL);
        else zv_batch_scan_rows(&workers[t]); /* could not start a thread: do it here */
    }
    for (t = 0; t < threads; t++) {
        cancelled |= workers[t].cancelled;
        out_of_memory |= workers[t].out_of_memory;
    }
    if (zv_cancel_point() || cancelled) {
        status = ZOVA_SQLITE_ERROR; /* zv_unlock reports it as interrupted */
        goto done;
    }
    if (out_of_memory) {
        status = ZOVA_OUT_OF_MEMORY;
        goto done;
    }
    for (i = 0; i < nsafe && status == ZOVA_OK; i++) {
        if (zv_cancel_point()) status = ZOVA_SQLITE_ERROR;
        else status = zv_batch_finish_query(ctx, coll, args, &scan, workers, threads, i, &hits[safe_index[i]],
                                            &lens[safe_index[i]]);
    }
done:
    zv_batch_workers_free(workers, threads, nsafe);
    free(safe);
    free(safe_index);
    free(prepared);
    free(inv_norms);
    return status;
}

/* Every query against the collection's matrix (plus, inside a write
 * transaction with uncommitted vector changes, the overlay of changed rows). */
static zova_status zv_batch_matrix(zv_vec_ctx *ctx, const zv_vec_collection *coll, const zv_batch_args *args,
                                   const zv_batch_query *queries, zova_vector_search_results *out) {
    size_t nq = args->query_count, q;
    zv_vec_matrix *m = NULL, *overlay = NULL;
    unsigned char *mask = NULL;
    zv_hit **a = (zv_hit **)calloc(nq, sizeof(*a)), **b = (zv_hit **)calloc(nq, sizeof(*b));
    size_t *na = (size_t *)calloc(nq, sizeof(*na)), *nb = (size_t *)calloc(nq, sizeof(*nb));
    zova_status status = a && b && na && nb ? ZOVA_OK : ZOVA_OUT_OF_MEMORY;
    if (status == ZOVA_OK) status = zv_vec_matrix_get(ctx, coll, &m, &overlay, &mask);
    if (status == ZOVA_OK) status = zv_batch_rows(ctx, coll, args, queries, m, mask, a, na);
    if (status == ZOVA_OK && overlay) status = zv_batch_rows(ctx, coll, args, queries, overlay, NULL, b, nb);
    for (q = 0; q < nq && status == ZOVA_OK; q++) status = zv_vec_hits_merge(a[q], na[q], b[q], nb[q], args->limit,
                                                                             &out[q]);
    for (q = 0; a && b && na && nb && q < nq; q++) {
        zv_vec_hits_free(a[q], na[q]);
        zv_vec_hits_free(b[q], nb[q]);
    }
    free(a);
    free(b);
    free(na);
    free(nb);
    free(mask);
    zv_vec_matrix_put(overlay);
    zv_vec_matrix_put(m);
    return status;
}

/* ---- the candidate-list path ("in" filter) ---- */

static int zv_batch_str_cmp(const void *pa, const void *pb) {
    return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

/* Reads the candidates once (sorted, unique, absent ones dropped), then ranks
 * them exactly for every query, as zova_vector_search_in does. */
static zova_status zv_batch_candidates(zv_vec_ctx *ctx, const zv_vec_collection *coll, const zv_batch_args *args,
                                       const zv_batch_query *queries, zova_vector_search_results *out) {
    size_t n = args->candidate_count, dims = coll->dims, unique = 0, found = 0, i, q;
    const char **ids = (const char **)malloc(n * sizeof(*ids));
    float *values = (float *)malloc(n * dims * sizeof(float));
    double *norms = (double *)malloc(n * sizeof(double));
    zv_hit *hits = (zv_hit *)calloc(n, sizeof(*hits));
    size_t nhits = 0;
    zova_status status = ids && values && norms && hits ? ZOVA_OK : ZOVA_OUT_OF_MEMORY;
    sqlite3_stmt *stmt = NULL;
    if (status != ZOVA_OK) goto done;
    memcpy(ids, args->candidates, n * sizeof(*ids));
    qsort(ids, n, sizeof(*ids), zv_batch_str_cmp);
    for (i = 0; i < n; i++) {
        if (unique == 0 || strcmp(ids[unique - 1], ids[i]) != 0) ids[unique++] = ids[i];
    }
    stmt = zv_vec_stmt(ctx, ZV_SQL_VALUES_BY_ID, &status);
    for (i = 0; stmt && i < unique && status == ZOVA_OK; i++) {
        int rc;
        sqlite3_bind_text(stmt, 1, coll->name, (int)coll->name_len, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, ids[i], -1, SQLITE_STATIC);
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            status = zv_vec_row_decode(coll, stmt, 1, 2, values + found * dims);
            if (status == ZOVA_OK) {
                norms[found] = sqrt(zv_exact_sumsq(values + found * dims, dims));
                ids[found++] = ids[i];
            }
        } else if (rc != SQLITE_DONE) {
            status = zv_vec_sqlite_status(ctx, rc);
        }
        sqlite3_reset(stmt);
    }
    if (stmt) zv_vec_stmt_done(ctx, stmt);
    for (q = 0; q < args->query_count && status == ZOVA_OK; q++) {
        const char *exclude = args->exclude_ids ? args->exclude_ids[q] : NULL;
        if (zv_cancel_point()) {
            status = ZOVA_SQLITE_ERROR;
            break;
        }
        nhits = 0;
        for (i = 0; i < found && status == ZOVA_OK; i++) {
            double d;
            if (exclude && strcmp(ids[i], exclude) == 0) continue;
            d = zv_vec_exact_distance(coll->metric, queries[q].values, queries[q].norm, values + i * dims, norms[i],
                                      dims);
            if (args->has_max_distance && !(d <= args->max_distance)) continue;
            hits[nhits].distance = d;
            hits[nhits].id_len = strlen(ids[i]);
            hits[nhits].id = zv_strndup(ids[i], hits[nhits].id_len);
            if (!hits[nhits].id) status = ZOVA_OUT_OF_MEMORY;
            else nhits++;
        }
        if (status != ZOVA_OK) break;
        qsort(hits, nhits, sizeof(*hits), zv_vec_hit_cmp);
        status = zv_vec_hits_to_results(hits, nhits < args->limit ? nhits : args->limit, &out[q]);
        for (i = 0; i < nhits; i++) {
            free(hits[i].id);
            hits[i].id = NULL;
        }
        nhits = 0;
    }
done:
    zv_vec_hits_free(hits, nhits);
    free(ids);
    free(values);
    free(norms);
    return status;
}

/* ---- validation and the engine ---- */

/* Checks the queries (length, finite, cosine non-zero) and fills queries[]. */
static zova_status zv_batch_check_queries(zova_database *db, const zv_vec_collection *coll, const zv_batch_args *args,
                                          zv_batch_query *queries) {
    char message[400];
    size_t q;
    if (args->query_len != coll->dims) {
        snprintf(message, sizeof(message),
                 "queries have %zu dimensions but vector collection \"%s\" has %u", args->query_len, coll->name,
                 (unsigned)coll->dims);
        return zv_fail_message(db, ZOVA_VECTOR_DIMENSION_MISMATCH, message);
    }
    for (q = 0; q < args->query_count; q++) {
        const float *values = args->queries + q * args->query_len;
        int non_finite = 0, nonzero = 0;
        zv_kern_check_values(values, args->query_len, &non_finite, &nonzero);
        if (non_finite) {
            snprintf(message, sizeof(message), "query %zu has a NaN or infinite value", q);
            return zv_fail_message(db, ZOVA_VECTOR_INVALID, message);
        }
        if (coll->metric == ZOVA_VECTOR_METRIC_COSINE && !nonzero) {
            snprintf(message, sizeof(message), "query %zu is all zeros: a cosine query needs a non-zero norm", q);
            return zv_fail_message(db, ZOVA_VECTOR_INVALID, message);
        }
        queries[q].values = values;
        queries[q].norm = sqrt(zv_exact_sumsq(values, args->query_len));
        queries[q].error_scale = 0.0;
        queries[q].has_exclude = 0;
        queries[q].exclude_rowid = 0;
    }
    return ZOVA_OK;
}

/* The rowid of each query's excluded id (absent ids exclude nothing). */
static zova_status zv_batch_exclusions(zv_vec_ctx *ctx, const zv_vec_collection *coll, const zv_batch_args *args,
                                       zv_batch_query *queries) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt;
    size_t q;
    if (!args->exclude_ids) return ZOVA_OK;
    stmt = zv_vec_stmt(ctx, ZV_SQL_ROWID_BY_ID, &status);
    for (q = 0; stmt && q < args->query_count && status == ZOVA_OK; q++) {
        int rc;
        if (!args->exclude_ids[q]) continue;
        sqlite3_bind_text(stmt, 1, coll->name, (int)coll->name_len, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, args->exclude_ids[q], -1, SQLITE_STATIC);
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            queries[q].has_exclude = 1;
            queries[q].exclude_rowid = sqlite3_column_int64(stmt, 0);
        } else if (rc != SQLITE_DONE) {
            status = zv_vec_sqlite_status(ctx, rc);
        }
        sqlite3_reset(stmt);
    }
    if (stmt) zv_vec_stmt_done(ctx, stmt);
    return status;
}

static void zv_batch_results_clear(zova_vector_search_results *out, size_t count) {
    size_t q;
    for (q = 0; q < count; q++) zova_vector_search_results_free(&out[q]);
}

static zova_status zv_batch_run(zova_database *db, zv_vec_ctx *ctx, const zv_batch_args *args,
                                zova_vector_search_results *out) {
    zova_status status;
    zv_vec_collection coll;
    sqlite3_stmt *pin = NULL;
    zv_batch_query *queries = NULL;
    size_t i;

    status = zv_vec_name_refused(ctx, "collection name", args->collection_name);
    if (status != ZOVA_OK) return status;
    /* The stepped collection statement pins one read snapshot for the call. */
    status = zv_vec_collection_load(ctx, args->collection_name, &coll, &pin);
    if (status != ZOVA_OK) return status;
    queries = (zv_batch_query *)malloc((args->query_count ? args->query_count : 1) * sizeof(*queries));
    if (!queries) status = ZOVA_OUT_OF_MEMORY;
    if (status == ZOVA_OK) status = zv_batch_check_queries(db, &coll, args, queries);
    if (status == ZOVA_OK && args->has_max_distance && !isfinite(args->max_distance)) {
        status = zv_fail_message(db, ZOVA_VECTOR_INVALID, "max_distance must be a finite number");
    }
    for (i = 0; status == ZOVA_OK && args->has_candidates && i < args->candidate_count; i++) {
        char what[48];
        snprintf(what, sizeof(what), "candidate id %zu", i);
        status = zv_vec_name_refused(ctx, what, args->candidates[i]);
    }
    for (i = 0; status == ZOVA_OK && args->exclude_ids && i < args->query_count; i++) {
        char what[48];
        snprintf(what, sizeof(what), "exclude id %zu", i);
        if (args->exclude_ids[i]) status = zv_vec_name_refused(ctx, what, args->exclude_ids[i]);
    }
    if (status == ZOVA_OK) status = zv_batch_exclusions(ctx, &coll, args, queries);
    if (status == ZOVA_OK && args->limit > 0 && args->query_count > 0 &&
        !(args->has_candidates && args->candidate_count == 0)) {
        if (args->has_candidates) status = zv_batch_candidates(ctx, &coll, args, queries, out);
        else {
            status = zv_batch_matrix(ctx, &coll, args, queries, out);
            if (status == ZV_STALE_MATRIX) {
                /* Rowids changed without any signal the cache watches: drop
                 * every cached matrix and search once more on a fresh one. */
                zv_batch_results_clear(out, args->query_count);
                zv_vec_matrix_free_all(ctx->state);
                status = zv_batch_matrix(ctx, &coll, args, queries, out);
                if (status == ZV_STALE_MATRIX) status = ZOVA_VECTOR_CORRUPT;
            }
        }
    }
    if (status != ZOVA_OK) zv_batch_results_clear(out, args->query_count);
    free(queries);
    zv_vec_stmt_done(ctx, pin);
    return status;
}

zova_status zova_vector_search_batch(const zova_vector_search_batch_request *request) {
    zova_database *db;
    zv_batch_args args;
    zv_vec_ctx ctx;
    zova_status status;
    size_t q;
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    db = request->db;
    zv_lock(db);
    if (!request->collection_name || !request->out_results ||
        (!request->queries && request->query_count > 0) ||
        (request->query_count > 0 && request->query_len > SIZE_MAX / sizeof(float) / request->query_count) ||
        (request->flags & ~(uint32_t)(ZOVA_VECTOR_SEARCH_BATCH_IN | ZOVA_VECTOR_SEARCH_BATCH_WITHIN)) ||
        (!request->candidate_ids && request->candidate_count > 0)) {
        return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    }
    for (q = 0; q < request->query_count; q++) {
        request->out_results[q].items = NULL;
        request->out_results[q].len = 0;
    }
    memset(&args, 0, sizeof(args));
    args.collection_name = request->collection_name;
    args.queries = request->queries;
    args.query_count = request->query_count;
    args.query_len = request->query_len;
    args.exclude_ids = request->exclude_ids;
    args.limit = request->limit;
    if (request->flags & ZOVA_VECTOR_SEARCH_BATCH_IN) {
        args.has_candidates = 1;
        args.candidates = request->candidate_ids;
        args.candidate_count = request->candidate_count;
        for (q = 0; q < args.candidate_count; q++) {
            if (!args.candidates[q]) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
        }
    }
    if (request->flags & ZOVA_VECTOR_SEARCH_BATCH_WITHIN) {
        args.has_max_distance = 1;
        args.max_distance = request->max_distance;
    }
    zv_vec_db_ctx(db, &ctx);
    status = zv_batch_run(db, &ctx, &args, request->out_results);
    if (status != ZOVA_OK && ctx.has_message) zv_fail_message(db, status, ctx.message);
    return zv_unlock(db, status);
}
