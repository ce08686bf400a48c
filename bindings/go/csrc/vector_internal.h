/*
 * vector_internal.h - what the vector files share (vectors.c, vector_search.c,
 * vector_batch.c, vector_cache.c, vector_kernels.c, vector_sql.c): the per-connection vector
 * state, collection/row helpers that work on a bare sqlite3 connection (so the
 * SQL helpers of docs/c-api.md §8 use exactly the same code as the C ABI), the search
 * engine, the matrix cache and the distance kernels.
 */
#ifndef ZOVA_VECTOR_INTERNAL_H
#define ZOVA_VECTOR_INTERNAL_H

#include "zova_internal.h"

#define ZV_VEC_MAX_DIMS 16384u
#define ZV_VEC_MAX_NAME 255u
#define ZV_VEC_STMT_CACHE 48

typedef struct zv_vec_matrix zv_vec_matrix;

/* Per-connection vector state, created by zv_vector_sql_register and owned by
 * the connection (sqlite3 client data, freed when the connection closes). */
typedef struct zv_vec_state {
    sqlite3 *sql;
    /* Bumped by the update hook for every row change of a private vector table
     * made on this connection, and by the rollback hook. */
    uint64_t generation;
    /* The current write transaction may hold uncommitted vector changes. */
    int dirty;
    /* A zova_database uses this connection for vector calls and finalizes the
     * cached statements before closing it (so SQL helpers may cache too). */
    int linked;
    /* Cached internal statements (only used for calls made through a
     * zova_database, which finalizes them before closing the connection). */
    struct {
        const char *sql;
        sqlite3_stmt *stmt;
    } stmts[ZV_VEC_STMT_CACHE];
    size_t stmt_count;
    zv_vec_matrix *matrices; /* per-collection matrix cache (vector_cache.c) */
    /* Change log for patching cached matrices after this connection's writes:
     * log[i] is the rowid of _zova_vectors changed at generation log_base+1+i.
     * A matrix older than `barrier` (rollback, collection-table change, full
     * log) is rebuilt instead. */
    int64_t *log;
    size_t log_len;
    uint64_t log_base;
    uint64_t barrier;
    uint64_t builds;  /* matrices built (cache statistics for tests and benchmarks) */
    uint64_t patches; /* matrices brought up to date from the log */
    void *indexes;    /* in-memory HNSW graphs (vector_index.c) */
} zv_vec_state;

#define ZV_VEC_LOG_MAX 65536u

/* One call's context: the connection, its state, whether statements may be
 * cached, and whether a failure stored its message (SQLite's text, or the
 * words of a refused argument: zv_vec_refuse); an ABI call makes that message
 * the handle's last error. */
typedef struct zv_vec_ctx {
    sqlite3 *sql;
    zv_vec_state *state;
    int cache_statements;
    int has_message;
    char message[2 * ZV_VEC_MAX_NAME + 200]; /* captured at the failure */
} zv_vec_ctx;

typedef struct zv_vec_collection {
    char name[ZV_VEC_MAX_NAME + 1];
    size_t name_len;
    uint32_t dims;
    int metric;
} zv_vec_collection;

/* ---- vectors.c ---- */
/* Creates the state of a new connection and installs its hooks. */
ZV_HIDDEN int zv_vec_state_attach(sqlite3 *sql);
ZV_HIDDEN zv_vec_state *zv_vec_state_of(sqlite3 *sql);
ZV_HIDDEN void zv_vec_ctx_init(zv_vec_ctx *ctx, sqlite3 *sql, int cache_statements);
/* Context for a C ABI call on db (links db->vector_state on first use). */
ZV_HIDDEN void zv_vec_db_ctx(zova_database *db, zv_vec_ctx *ctx);
ZV_HIDDEN sqlite3_stmt *zv_vec_stmt(zv_vec_ctx *ctx, const char *sql, zova_status *status);
ZV_HIDDEN void zv_vec_stmt_done(zv_vec_ctx *ctx, sqlite3_stmt *stmt);
ZV_HIDDEN zova_status zv_vec_sqlite_status(zv_vec_ctx *ctx, int rc);
ZV_HIDDEN int zv_vec_name_valid(const char *name);
/* Refusals that say why (include/zova.h: the last error names the argument):
 * OK, or the status with its message stored in ctx. `what` names the
 * argument ("collection name", "candidate id 3"), `subject` the values ("the
 * query"). */
ZV_HIDDEN zova_status zv_vec_refuse(zv_vec_ctx *ctx, zova_status status, const char *message);
ZV_HIDDEN zova_status zv_vec_name_refused(zv_vec_ctx *ctx, const char *what, const char *name);
ZV_HIDDEN zova_status zv_vec_values_refused(zv_vec_ctx *ctx, const zv_vec_collection *coll, const float *values,
                                            size_t len, const char *subject);
/* Loads the collection row (71 absent, 31 invalid metadata). With pin != NULL
 * the statement is left stepped so the read snapshot stays fixed; release it
 * with zv_vec_stmt_done. */
ZV_HIDDEN zova_status zv_vec_collection_load(zv_vec_ctx *ctx, const char *name, zv_vec_collection *coll,
                                             sqlite3_stmt **pin);
/* Checks query values: length (73), finite (75), cosine non-zero (75). */
ZV_HIDDEN zova_status zv_vec_values_check(const zv_vec_collection *coll, const float *values, size_t len);
/* Decodes a stored row into out[dims]: 74 for any problem, an all-zero cosine
 * vector included (docs/file-format.md §4: a cosine vector must not have zero norm), so
 * get, search and the SQL helpers agree on what is corrupt. */
ZV_HIDDEN zova_status zv_vec_row_decode(const zv_vec_collection *coll, sqlite3_stmt *stmt, int dims_col,
                                        int blob_col, float *out);
ZV_HIDDEN void zv_f32_from_le(float *dst, const void *src, size_t n);
ZV_HIDDEN void zv_f32_to_le(void *dst, const float *src, size_t n);

/* ---- vector_search.c: every search variant (docs/c-api.md §4.13, §7.9) ---- */
typedef struct zv_vec_search_args {
    const char *collection_name;
    const float *query;            /* query variants */
    size_t query_len;
    const char *source_id;         /* by_id variants (NULL otherwise) */
    const char *const *candidates; /* in variants */
    size_t candidate_count;
    int has_candidates;
    double max_distance;           /* within variants */
    int has_max_distance;
    size_t limit;
} zv_vec_search_args;

ZV_HIDDEN zova_status zv_vec_search_run(zv_vec_ctx *ctx, const zv_vec_search_args *args,
                                        zova_vector_search_results *out);
ZV_HIDDEN double zv_vec_exact_distance(int metric, const float *q, double q_norm, const float *v,
                                       double v_norm, size_t dims);

/* What vector_search.c shares with the batch search (vector_batch.c). */
typedef struct zv_hit {
    double distance;
    size_t row;      /* matrix row (matrix path) */
    char *id;        /* owned, NUL-terminated */
    size_t id_len;
} zv_hit;

/* Internal only: a winner's rowid no longer holds the cached row (rowids
 * renumbered behind the cache's back); the search is redone on a new matrix. */
#define ZV_STALE_MATRIX ((zova_status)-1)

ZV_HIDDEN int zv_vec_hit_cmp(const void *a, const void *b); /* (distance, id), ids bytewise */
/* Max-heap heap[0..*len) of the k smallest values pushed; heap[0] is the k-th smallest. */
ZV_HIDDEN void zv_vec_heap_push(double *heap, size_t *len, size_t k, double value);
ZV_HIDDEN void zv_vec_hits_free(zv_hit *hits, size_t len);
/* Moves hits[0..len) (sorted, ids set) into out (ownership of ids moves). */
ZV_HIDDEN zova_status zv_vec_hits_to_results(zv_hit *hits, size_t len, zova_vector_search_results *out);
ZV_HIDDEN zova_status zv_vec_hits_finish(zv_vec_ctx *ctx, const zv_vec_collection *coll, const zv_vec_matrix *m,
                                         zv_hit *hits, size_t ncand, size_t limit, size_t *out_len);
ZV_HIDDEN zova_status zv_vec_hits_merge(zv_hit *a, size_t na, zv_hit *b, size_t nb, size_t limit,
                                        zova_vector_search_results *out);
/* One query against the rows of m not flagged in mask (nor exclude_rowid):
 * the best args->limit hits with ids, sorted by (distance, id). */
ZV_HIDDEN zova_status zv_vec_search_rows(zv_vec_ctx *ctx, const zv_vec_collection *coll,
                                         const zv_vec_search_args *args, const float *query, double q_norm,
                                         int has_exclude, int64_t exclude_rowid, const zv_vec_matrix *m,
                                         const unsigned char *mask, zv_hit **out_hits, size_t *out_len);

/* ---- vector_cache.c: per-collection contiguous float32 matrix ---- */
struct zv_vec_matrix {
    char name[ZV_VEC_MAX_NAME + 1];
    size_t name_len;
    uint32_t dims;
    int metric;
    size_t rows;
    size_t capacity;  /* rows allocated (patches grow it by small steps) */
    float *values;    /* rows x dims, raw stored values */
    double *norms;    /* sqrt(sum v^2) in double per row (Appendix B order) */
    int64_t *rowids;  /* rowid of each row in _zova_vectors */
    /* rowid -> row (linear probing, UINT32_MAX = empty), for patching */
    int64_t *map_keys;
    uint32_t *map_rows;
    size_t map_mask;
    double max_norm;
    double min_norm;
    float max_abs;
    int64_t external_version; /* PRAGMA data_version: commits of other connections */
    uint64_t generation;
    int ephemeral;    /* built for one call only (uncommitted vector changes) */
    zv_vec_matrix *next;
};

/* The rows of coll for the current read snapshot (the caller holds one open,
 * e.g. by a pinned statement): *out, minus the rows flagged in *mask, plus the
 * rows of *overlay (both NULL unless a write transaction holds uncommitted
 * vector changes; free *mask, release *overlay with zv_vec_matrix_put).
 * Returns 74 for invalid stored rows. */
ZV_HIDDEN zova_status zv_vec_matrix_get(zv_vec_ctx *ctx, const zv_vec_collection *coll, zv_vec_matrix **out,
                                        zv_vec_matrix **overlay, unsigned char **mask);
ZV_HIDDEN void zv_vec_matrix_put(zv_vec_matrix *m); /* frees ephemeral matrices */
ZV_HIDDEN void zv_vec_matrix_free_all(zv_vec_state *state);
ZV_HIDDEN size_t zv_vec_cache_bytes(zv_vec_state *state);

/* ---- vector_kernels.c (AVX-512F, AVX2/FMA or portable, picked at run time) ---- */
/* out[i] = float32 dot(q, m_i) over `rows` rows of `dims` floats. */
ZV_HIDDEN void zv_kern_dot_rows(const float *q, const float *m, size_t rows, size_t dims, float *out);
/* out[i] = float32 sum (q - m_i)^2. */
ZV_HIDDEN void zv_kern_l2sq_rows(const float *q, const float *m, size_t rows, size_t dims, float *out);
/* Either kernel (l2 != 0: squared L2) split over worker threads for large inputs. */
ZV_HIDDEN void zv_kern_rows_parallel(int l2, const float *q, const float *m, size_t rows, size_t dims, float *out);
/* out[qi * rows + r] = float32 dot(query qi, m_r) for nq queries (nq x dims,
 * contiguous) against `rows` rows: the batch search tile (vector_batch.c). */
ZV_HIDDEN void zv_kern_dot_tile(const float *queries, size_t nq, const float *m, size_t rows, size_t dims,
                                float *out);
/* Worker threads a scan may use (ZOVA_VECTOR_THREADS, else the online CPUs, at most 8). */
ZV_HIDDEN int zv_kern_threads(void);
/* "portable", "avx2-fma" or "avx512f": the kernels picked for this process. */
ZV_HIDDEN const char *zv_kern_name(void);
/* *non_finite: some element is NaN/Inf; *nonzero: some element is not +-0. */
ZV_HIDDEN void zv_kern_check_values(const float *v, size_t n, int *non_finite, int *nonzero);
/* For `rows` contiguous rows of `dims` floats: sumsq[r] = zv_exact_sumsq of row
 * r (the same bits), maxbits[r] = the largest (bits & 0x7fffffff) of its
 * elements (>= 0x7f800000: a NaN or infinity; 0: all zero). */
ZV_HIDDEN void zv_kern_row_stats(const float *m, size_t rows, size_t dims, double *sumsq, uint32_t *maxbits);
/* Exact double-precision sums in index order (Appendix B). */
ZV_HIDDEN double zv_exact_dot(const float *a, const float *b, size_t n);
ZV_HIDDEN double zv_exact_sumsq(const float *a, size_t n);
ZV_HIDDEN double zv_exact_l2sq(const float *a, const float *b, size_t n);

/* ---- vector_index.c: approximate search (docs/c-api.md §4.17) ---- */
ZV_HIDDEN void zv_vindex_free_all(zv_vec_state *state);
/* Registers the SQL function zova_vector_index_trigger(name, sql) on a connection. */
ZV_HIDDEN int zv_vindex_sql_register(sqlite3 *sql);
/* Around each vector write of vectors.c: when the file has an index, a
 * savepoint; at its end the index's log is folded into the graph before the
 * savepoint is released (on failure both are rolled back). */
ZV_HIDDEN zova_status zv_vindex_write_begin(zv_vec_ctx *ctx, zova_database *db, int *opened);
ZV_HIDDEN zova_status zv_vindex_write_end(zv_vec_ctx *ctx, const char *collection_name, zova_status status,
                                          int opened);

#endif
