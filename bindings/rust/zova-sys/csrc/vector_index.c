/*
 * vector_index.c - approximate vector search (docs/c-api.md §4.17, docs/file-format.md §5):
 * an HNSW graph per collection, opt-in, persisted in the file, kept in step
 * with every vector write.
 *
 * Why HNSW: on embedding-like data it reaches recall@10 >= 0.95 at a few
 * hundred distance computations per query (bench/bench_ann.py), supports
 * inserts and deletes in place (IVF needs retraining as data drifts, DiskANN
 * and PQ lose the exact stored values Zova re-ranks with), and its graph is
 * small beside the vectors (M=16: about 130 bytes a vector at level 0).
 *
 * Storage (docs/file-format.md §5): _zova_vector_indexes (one row per indexed
 * collection: parameters, the collection's shape, a random token that changes
 * with every persisted change of the graph), _zova_vector_index_nodes (one row
 * per vector: its node number, level and neighbour lists) and
 * _zova_vector_index_log (ids whose vector changed since the graph was last
 * brought up to date). Three triggers on _zova_vectors with canonical text
 * (zv_vindex_triggers) append to the log for every insert, update and delete
 * of a vector of an indexed collection, whoever writes it: Zova, upstream
 * 0.17.0, or any SQLite program. The vectors themselves are not copied: a
 * node's values are read from _zova_vectors when the graph is loaded.
 *
 * Zova's own writes (vectors.c) run inside a savepoint; before it is released
 * zv_vindex_write_end applies the log to the graph and persists the changed
 * nodes, so the graph and the vectors commit or roll back together. A search
 * loads the graph once per token (the in-memory copy lives in the connection's
 * vector state), applies log entries newer than the ones it already applied
 * (in memory only: a search never writes), re-ranks the candidates with the
 * exact double distances of exact search and orders ties as exact search does.
 */
#define _DEFAULT_SOURCE /* madvise */
#include "vector_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define ZV_IX_DEFAULT_M 16u
#define ZV_IX_DEFAULT_EFC 200u
#define ZV_IX_MAX_LEVEL 32
#define ZV_IX_FREE (-1)
#define ZV_IX_NONE UINT32_MAX
#define ZV_IX_LOCKS 4096u

/* ---- SQL (docs/file-format.md §5) ---- */

static const char *const zv_ix_tables[3] = {
    "create table _zova_vector_indexes (\n"
    "  collection_name text not null primary key,\n"
    "  kind text not null check (kind = 'hnsw'),\n"
    "  m integer not null check (m >= 2 and m <= 64),\n"
    "  ef_construction integer not null check (ef_construction >= 1 and ef_construction <= 4096),\n"
    "  dimensions integer not null,\n"
    "  metric text not null,\n"
    "  token integer not null\n"
    ")",
    "create table _zova_vector_index_nodes (\n"
    "  collection_name text not null,\n"
    "  vector_id text not null,\n"
    "  node integer not null check (node >= 0),\n"
    "  level integer not null check (level >= 0 and level < 32),\n"
    "  links blob not null,\n"
    "  primary key (collection_name, vector_id)\n"
    ")",
    "create table _zova_vector_index_log (\n"
    "  seq integer primary key,\n"
    "  collection_name text not null,\n"
    "  vector_id text not null\n"
    ")",
};

#define ZV_IX_LOG_OLD                                                                                    \
    "  insert into _zova_vector_index_log (collection_name, vector_id) select old.collection_name, "   \
    "old.vector_id where old.collection_name in (select collection_name from _zova_vector_indexes);\n"
#define ZV_IX_LOG_NEW                                                                                    \
    "  insert into _zova_vector_index_log (collection_name, vector_id) select new.collection_name, "   \
    "new.vector_id where new.collection_name in (select collection_name from _zova_vector_indexes);\n"

static const char *const zv_ix_trigger_names[3] = {"_zova_vector_index_on_insert", "_zova_vector_index_on_update",
                                                   "_zova_vector_index_on_delete"};
static const char *const zv_ix_triggers[3] = {
    "create trigger _zova_vector_index_on_insert after insert on _zova_vectors begin\n" ZV_IX_LOG_NEW "end",
    "create trigger _zova_vector_index_on_update after update on _zova_vectors begin\n" ZV_IX_LOG_OLD
    ZV_IX_LOG_NEW "end",
    "create trigger _zova_vector_index_on_delete after delete on _zova_vectors begin\n" ZV_IX_LOG_OLD "end",
};

static const char ZV_SQL_IX_GET[] =
    "select kind, m, ef_construction, dimensions, metric, token from _zova_vector_indexes where collection_name = ?1";
static const char ZV_SQL_IX_INSERT[] =
    "insert into _zova_vector_indexes (collection_name, kind, m, ef_construction, dimensions, metric, token) "
    "values (?1, 'hnsw', ?2, ?3, ?4, ?5, ?6)";
static const char ZV_SQL_IX_TOKEN[] = "update _zova_vector_indexes set token = ?2 where collection_name = ?1";
static const char ZV_SQL_IX_DELETE[] = "delete from _zova_vector_indexes where collection_name = ?1";
static const char ZV_SQL_IX_REMAINING[] = "select count(*) from _zova_vector_indexes";
static const char ZV_SQL_NODES_DELETE_ALL[] = "delete from _zova_vector_index_nodes where collection_name = ?1";
static const char ZV_SQL_NODE_PUT[] =
    "insert or replace into _zova_vector_index_nodes (collection_name, vector_id, node, level, links) "
    "values (?1, ?2, ?3, ?4, ?5)";
static const char ZV_SQL_NODE_DELETE[] =
    "delete from _zova_vector_index_nodes where collection_name = ?1 and vector_id = ?2";
static const char ZV_SQL_NODES_LOAD[] =
    "select vector_id, node, level, links from _zova_vector_index_nodes where collection_name = ?1";
static const char ZV_SQL_NODES_BYTES[] =
    "select count(*), coalesce(sum(length(links) + length(vector_id) + 16), 0) from _zova_vector_index_nodes "
    "where collection_name = ?1";
static const char ZV_SQL_LOG_READ[] =
    "select seq, vector_id from _zova_vector_index_log where collection_name = ?1 and seq > ?2 order by seq";
static const char ZV_SQL_LOG_COUNT[] = "select count(*) from _zova_vector_index_log where collection_name = ?1";
static const char ZV_SQL_LOG_CLEAR[] = "delete from _zova_vector_index_log where collection_name = ?1";
static const char ZV_SQL_VEC_ONE[] =
    "select dimensions, \"values\" from _zova_vectors where collection_name = ?1 and vector_id = ?2";
/* In table order: sequential pages when the collection is most of the table. */
static const char ZV_SQL_VEC_ALL[] =
    "select vector_id, dimensions, \"values\" from _zova_vectors not indexed where collection_name = ?1";
static const char ZV_SQL_VEC_COUNT[] = "select count(*) from _zova_vectors where collection_name = ?1";
static const char ZV_SQL_HAS_TABLES[] =
    "select count(*) from sqlite_schema where type = 'table' and name = '_zova_vector_indexes'";

static const char *const zv_ix_metric_names[3] = {"cosine", "l2", "dot"};

/* ---- the in-memory graph ---- */

typedef struct zv_ix_cand {
    float d;
    uint32_t node;
} zv_ix_cand;

typedef struct zv_hnsw {
    char name[ZV_VEC_MAX_NAME + 1];
    uint32_t dims;
    int metric;
    uint32_t m, m0, efc;
    int64_t token;      /* the persisted token this graph matches */
    int64_t applied;    /* highest log seq applied in memory since */
    int tainted;        /* applied log rows of an open transaction: reload */
    int unverified;     /* loaded: the first search compares it with the vector count */
    double ml;          /* level multiplier 1 / ln(m) */
    size_t cap;         /* node slots */
    size_t used;        /* slots 0..used-1 ever handed out */
    size_t live;
    uint32_t entry;
    int max_level;
    float *vecs;        /* cap x dims, the stored values */
    double *norms;      /* exact norms (docs/c-api.md Appendix B) */
    float *inv;         /* 1 / norm in float, for graph distances */
    int8_t *levels;     /* ZV_IX_FREE for a free slot */
    uint32_t **links;   /* per node: level 0 [count, m0 ids], then per level [count, m ids] */
    char **ids;
    uint8_t *dirty;     /* links or row changed since the last persist */
    uint8_t *gone;      /* loaded without a vector row (must be in the log) */
    uint32_t *map;      /* id hash -> node (linear probing) */
    size_t map_mask;
    uint32_t *free_slots;
    size_t free_len;
    /* search scratch (one search at a time per connection: the handle lock) */
    uint16_t *visit;
    uint16_t visit_tag;
    pthread_mutex_t *locks; /* node link locks while building in parallel */
    pthread_mutex_t entry_lock;
    int parallel;
    struct zv_hnsw *next;
} zv_hnsw;

static uint64_t zv_ix_hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return h;
}

static size_t zv_ix_link_words(const zv_hnsw *h, int level) {
    return (1 + h->m0) + (size_t)level * (1 + h->m);
}

static uint32_t *zv_ix_list(const zv_hnsw *h, uint32_t node, int level) {
    uint32_t *base = h->links[node];
    return level == 0 ? base : base + (1 + h->m0) + (size_t)(level - 1) * (1 + h->m);
}

static void zv_ix_free(zv_hnsw *h) {
    size_t i;
    if (!h) return;
    for (i = 0; i < h->used; i++) {
        free(h->links[i]);
        free(h->ids[i]);
    }
    free(h->vecs);
    free(h->norms);
    free(h->inv);
    free(h->levels);
    free(h->links);
    free(h->ids);
    free(h->dirty);
    free(h->gone);
    free(h->map);
    free(h->free_slots);
    free(h->visit);
    if (h->locks) {
        for (i = 0; i < ZV_IX_LOCKS; i++) pthread_mutex_destroy(&h->locks[i]);
        free(h->locks);
    }
    pthread_mutex_destroy(&h->entry_lock);
    free(h);
}

void zv_vindex_free_all(zv_vec_state *state) {
    zv_hnsw *h = state ? (zv_hnsw *)state->indexes : NULL;
    while (h) {
        zv_hnsw *next = h->next;
        zv_ix_free(h);
        h = next;
    }
    if (state) state->indexes = NULL;
}

static void zv_ix_forget(zv_vec_state *state, const char *name) {
    zv_hnsw **p = (zv_hnsw **)&state->indexes;
    while (*p) {
        if (strcmp((*p)->name, name) == 0) {
            zv_hnsw *dead = *p;
            *p = dead->next;
            zv_ix_free(dead);
            return;
        }
        p = &(*p)->next;
    }
}

static zv_hnsw *zv_ix_find(zv_vec_state *state, const char *name) {
    zv_hnsw *h;
    for (h = (zv_hnsw *)state->indexes; h; h = h->next) {
        if (strcmp(h->name, name) == 0) return h;
    }
    return NULL;
}

static zv_hnsw *zv_ix_new(const zv_vec_collection *coll, uint32_t m, uint32_t efc) {
    zv_hnsw *h = (zv_hnsw *)calloc(1, sizeof(*h));
    if (!h) return NULL;
    memcpy(h->name, coll->name, coll->name_len + 1);
    h->dims = coll->dims;
    h->metric = coll->metric;
    h->m = m;
    h->m0 = 2 * m;
    h->efc = efc;
    h->ml = 1.0 / log((double)m);
    h->entry = ZV_IX_NONE;
    h->max_level = -1;
    pthread_mutex_init(&h->entry_lock, NULL);
    return h;
}

static int zv_ix_reserve(zv_hnsw *h, size_t want) {
    size_t cap = h->cap ? h->cap : (want > 64 ? want : 64), i;
    if (want <= h->cap) return 1;
    while (cap < want) cap *= 2;
#define ZV_GROW(field, type)                                                       \
    do {                                                                           \
        type *p = (type *)realloc(h->field, cap * sizeof(type));                   \
        if (!p) return 0;                                                          \
        h->field = p;                                                              \
    } while (0)
    {
        /* the vectors on huge pages when large: a search touches rows all
         * over the array, and TLB misses cost as much as the arithmetic */
        size_t bytes = cap * (size_t)h->dims * sizeof(float), huge = (size_t)2 << 20;
        size_t rounded = (bytes + huge - 1) / huge * huge;
        float *p = NULL;
        if (posix_memalign((void **)&p, huge, rounded) != 0) return 0;
        if (rounded >= ((size_t)4 << 20)) (void)madvise(p, rounded, MADV_HUGEPAGE);
        if (h->vecs) memcpy(p, h->vecs, h->cap * (size_t)h->dims * sizeof(float));
        free(h->vecs);
        h->vecs = p;
    }
    ZV_GROW(norms, double);
    ZV_GROW(inv, float);
    ZV_GROW(levels, int8_t);
    ZV_GROW(links, uint32_t *);
    ZV_GROW(ids, char *);
    ZV_GROW(dirty, uint8_t);
    ZV_GROW(gone, uint8_t);
    ZV_GROW(visit, uint16_t);
    ZV_GROW(free_slots, uint32_t);
#undef ZV_GROW
    for (i = h->cap; i < cap; i++) {
        h->levels[i] = ZV_IX_FREE;
        h->links[i] = NULL;
        h->ids[i] = NULL;
        h->dirty[i] = 0;
        h->gone[i] = 0;
        h->visit[i] = 0;
    }
    h->cap = cap;
    /* the id map stays at most half full */
    if ((h->map_mask + 1) < 2 * cap) {
        size_t size = 1, j;
        uint32_t *map;
        while (size < 2 * cap) size *= 2;
        map = (uint32_t *)malloc(size * sizeof(uint32_t));
        if (!map) return 0;
        for (j = 0; j < size; j++) map[j] = ZV_IX_NONE;
        free(h->map);
        h->map = map;
        h->map_mask = size - 1;
        for (j = 0; j < h->used; j++) {
            if (h->levels[j] != ZV_IX_FREE) {
                size_t s = (size_t)zv_ix_hash(h->ids[j]) & h->map_mask;
                while (map[s] != ZV_IX_NONE) s = (s + 1) & h->map_mask;
                map[s] = (uint32_t)j;
            }
        }
    }
    return 1;
}

static uint32_t zv_ix_lookup(const zv_hnsw *h, const char *id) {
    size_t s;
    if (!h->map) return ZV_IX_NONE;
    s = (size_t)zv_ix_hash(id) & h->map_mask;
    while (h->map[s] != ZV_IX_NONE) {
        if (strcmp(h->ids[h->map[s]], id) == 0) return h->map[s];
        s = (s + 1) & h->map_mask;
    }
    return ZV_IX_NONE;
}

static void zv_ix_map_put(zv_hnsw *h, uint32_t node) {
    size_t s = (size_t)zv_ix_hash(h->ids[node]) & h->map_mask;
    while (h->map[s] != ZV_IX_NONE) s = (s + 1) & h->map_mask;
    h->map[s] = node;
}

/* Backward-shift deletion keeps probe chains intact. */
static void zv_ix_map_remove(zv_hnsw *h, uint32_t node) {
    size_t s = (size_t)zv_ix_hash(h->ids[node]) & h->map_mask, j;
    while (h->map[s] != node) s = (s + 1) & h->map_mask;
    j = s;
    for (;;) {
        size_t home;
        j = (j + 1) & h->map_mask;
        if (h->map[j] == ZV_IX_NONE) break;
        home = (size_t)zv_ix_hash(h->ids[h->map[j]]) & h->map_mask;
        if (((j - home) & h->map_mask) >= ((j - s) & h->map_mask)) {
            h->map[s] = h->map[j];
            s = j;
        }
    }
    h->map[s] = ZV_IX_NONE;
}

/* ---- distances in the graph (float; the results are re-ranked in double) ---- */

static float zv_ix_raw(const zv_hnsw *h, const float *a, float a_inv, uint32_t b) {
    const float *v = h->vecs + (size_t)b * h->dims;
    float out;
    if (h->metric == ZOVA_VECTOR_METRIC_L2) {
        zv_kern_l2sq_rows(a, v, 1, h->dims, &out);
        return out;
    }
    zv_kern_dot_rows(a, v, 1, h->dims, &out);
    if (h->metric == ZOVA_VECTOR_METRIC_COSINE) return 1.0f - out * a_inv * h->inv[b];
    return -out;
}

static float zv_ix_node_dist(const zv_hnsw *h, uint32_t a, uint32_t b) {
    return zv_ix_raw(h, h->vecs + (size_t)a * h->dims, h->inv[a], b);
}

/* Graph distances from q to count nodes: the dot products four rows at a
 * time with four independent accumulators (AVX-512F when the CPU has it; the
 * shared kernels otherwise), the row of the next group prefetched. */
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define ZV_IX_X86 1
__attribute__((target("avx512f"))) static void zv_ix_dot4_avx512(const float *q, const float *const *v, size_t dims,
                                                                 float *out) {
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
    size_t i, main = dims & ~(size_t)15;
    for (i = 0; i < main; i += 16) {
        __m512 x = _mm512_loadu_ps(q + i);
        a0 = _mm512_fmadd_ps(x, _mm512_loadu_ps(v[0] + i), a0);
        a1 = _mm512_fmadd_ps(x, _mm512_loadu_ps(v[1] + i), a1);
        a2 = _mm512_fmadd_ps(x, _mm512_loadu_ps(v[2] + i), a2);
        a3 = _mm512_fmadd_ps(x, _mm512_loadu_ps(v[3] + i), a3);
    }
    if (main < dims) {
        __mmask16 tail = (__mmask16)((1u << (dims - main)) - 1);
        __m512 x = _mm512_maskz_loadu_ps(tail, q + i);
        a0 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(tail, v[0] + i), a0);
        a1 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(tail, v[1] + i), a1);
        a2 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(tail, v[2] + i), a2);
        a3 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(tail, v[3] + i), a3);
    }
    out[0] = _mm512_reduce_add_ps(a0);
    out[1] = _mm512_reduce_add_ps(a1);
    out[2] = _mm512_reduce_add_ps(a2);
    out[3] = _mm512_reduce_add_ps(a3);
}
#else
#define ZV_IX_X86 0
#endif

static int zv_ix_avx512(void) {
    static int level = -1;
    int v = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (v < 0) {
        const char *forced = getenv("ZOVA_VECTOR_KERNEL"); /* the kernels' own switch (vector_kernels.c) */
        v = 0;
#if ZV_IX_X86
        __builtin_cpu_init();
        v = __builtin_cpu_supports("avx512f") && !(forced && strcmp(forced, "avx512f") != 0);
#endif
        (void)forced;
        __atomic_store_n(&level, v, __ATOMIC_RELAXED);
    }
    return v;
}

static void zv_ix_dists(const zv_hnsw *h, const float *q, float q_inv, const uint32_t *nodes, size_t count,
                        float *out) {
    size_t i = 0, j;
#if ZV_IX_X86
    if (h->metric != ZOVA_VECTOR_METRIC_L2 && zv_ix_avx512()) {
        for (; i + 4 <= count; i += 4) {
            const float *v[4];
            for (j = 0; j < 4; j++) v[j] = h->vecs + (size_t)nodes[i + j] * h->dims;
            if (i + 4 < count) {
                const float *next = h->vecs + (size_t)nodes[i + 4] * h->dims;
                size_t line;
                for (line = 32; line < h->dims; line += 16) __builtin_prefetch(next + line);
            }
            zv_ix_dot4_avx512(q, v, h->dims, out + i);
            for (j = i; j < i + 4; j++) {
                out[j] = h->metric == ZOVA_VECTOR_METRIC_COSINE ? 1.0f - out[j] * q_inv * h->inv[nodes[j]] : -out[j];
            }
        }
    }
#endif
    for (; i < count; i++) out[i] = zv_ix_raw(h, q, q_inv, nodes[i]);
}

/* ---- heaps of candidates ---- */

typedef struct zv_ix_heap {
    zv_ix_cand *items;
    size_t len, cap;
    int max; /* 1: max-heap (worst on top), 0: min-heap */
} zv_ix_heap;

static int zv_ix_before(const zv_ix_heap *q, const zv_ix_cand *a, const zv_ix_cand *b) {
    return q->max ? a->d > b->d : a->d < b->d;
}

static int zv_ix_push(zv_ix_heap *q, float d, uint32_t node) {
    size_t i;
    if (q->len == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 64;
        zv_ix_cand *p = (zv_ix_cand *)realloc(q->items, cap * sizeof(*p));
        if (!p) return 0;
        q->items = p;
        q->cap = cap;
    }
    i = q->len++;
    q->items[i].d = d;
    q->items[i].node = node;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        zv_ix_cand t;
        if (!zv_ix_before(q, &q->items[i], &q->items[parent])) break;
        t = q->items[i];
        q->items[i] = q->items[parent];
        q->items[parent] = t;
        i = parent;
    }
    return 1;
}

static void zv_ix_pop(zv_ix_heap *q) {
    size_t i = 0;
    q->items[0] = q->items[--q->len];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, best = i;
        zv_ix_cand t;
        if (l < q->len && zv_ix_before(q, &q->items[l], &q->items[best])) best = l;
        if (r < q->len && zv_ix_before(q, &q->items[r], &q->items[best])) best = r;
        if (best == i) break;
        t = q->items[i];
        q->items[i] = q->items[best];
        q->items[best] = t;
        i = best;
    }
}

static int zv_ix_cand_cmp(const void *pa, const void *pb) {
    const zv_ix_cand *a = (const zv_ix_cand *)pa, *b = (const zv_ix_cand *)pb;
    if (a->d < b->d) return -1;
    if (a->d > b->d) return 1;
    return a->node < b->node ? -1 : a->node > b->node;
}

/* Scratch of one searching thread. */
typedef struct zv_ix_work {
    uint16_t *visit;
    uint16_t tag;
    size_t visit_len;
    zv_ix_heap cand, best;
    uint32_t *copy;  /* a neighbour list copied under its lock */
    uint32_t *fresh; /* its neighbours not visited yet */
    float *dist;     /* and their distances */
} zv_ix_work;

static int zv_ix_work_init(zv_ix_work *w, const zv_hnsw *h, uint16_t *visit) {
    memset(w, 0, sizeof(*w));
    w->visit = visit;
    w->visit_len = h->cap;
    w->best.max = 1;
    w->copy = (uint32_t *)malloc((1 + h->m0) * sizeof(uint32_t));
    w->fresh = (uint32_t *)malloc((1 + h->m0) * sizeof(uint32_t));
    w->dist = (float *)malloc((1 + h->m0) * sizeof(float));
    if (w->copy && w->fresh && w->dist) return 1;
    free(w->copy);
    free(w->fresh);
    free(w->dist);
    return 0;
}

static void zv_ix_work_done(zv_ix_work *w) {
    free(w->cand.items);
    free(w->best.items);
    free(w->copy);
    free(w->fresh);
    free(w->dist);
}

static void zv_ix_new_tag(zv_ix_work *w) {
    if (++w->tag == 0) {
        memset(w->visit, 0, w->visit_len * sizeof(uint16_t));
        w->tag = 1;
    }
}

static const uint32_t *zv_ix_read_list(const zv_hnsw *h, zv_ix_work *w, uint32_t node, int level) {
    const uint32_t *list = zv_ix_list(h, node, level);
    if (!h->parallel) return list;
    pthread_mutex_lock(&h->locks[node % ZV_IX_LOCKS]);
    memcpy(w->copy, list, (1 + list[0]) * sizeof(uint32_t));
    pthread_mutex_unlock(&h->locks[node % ZV_IX_LOCKS]);
    return w->copy;
}

/* Greedy descent at one level (ef = 1). */
static uint32_t zv_ix_greedy(const zv_hnsw *h, zv_ix_work *w, const float *q, float q_inv, uint32_t ep, float *ep_d,
                             int level) {
    int changed = 1;
    while (changed) {
        const uint32_t *list = zv_ix_read_list(h, w, ep, level);
        uint32_t i;
        changed = 0;
        for (i = 1; i <= list[0]; i++) {
            uint32_t n = list[i];
            float d;
            if (h->gone[n]) continue;
            d = zv_ix_raw(h, q, q_inv, n);
            if (d < *ep_d) {
                *ep_d = d;
                ep = n;
                changed = 1;
            }
        }
    }
    return ep;
}

/* The ef nearest found from ep at level, in w->best (a max-heap). Nodes marked
 * gone are walked through but never returned. */
static int zv_ix_search_layer(const zv_hnsw *h, zv_ix_work *w, const float *q, float q_inv, uint32_t ep,
                              float ep_d, size_t ef, int level) {
    w->cand.len = 0;
    w->best.len = 0;
    zv_ix_new_tag(w);
    w->visit[ep] = w->tag;
    if (!zv_ix_push(&w->cand, ep_d, ep)) return 0;
    if (!h->gone[ep] && !zv_ix_push(&w->best, ep_d, ep)) return 0;
    while (w->cand.len) {
        zv_ix_cand c = w->cand.items[0];
        const uint32_t *list;
        uint32_t i, fresh;
        if (w->best.len >= ef && c.d > w->best.items[0].d) break;
        zv_ix_pop(&w->cand);
        list = zv_ix_read_list(h, w, c.node, level);
        /* the unvisited neighbours first, their rows prefetched together
         * (many memory loads in flight instead of one at a time) */
        for (i = 1, fresh = 0; i <= list[0]; i++) {
            uint32_t n = list[i];
            if (w->visit[n] == w->tag) continue;
            w->visit[n] = w->tag;
            w->fresh[fresh++] = n;
            __builtin_prefetch(h->vecs + (size_t)n * h->dims);
            __builtin_prefetch(h->vecs + (size_t)n * h->dims + 16);
        }
        zv_ix_dists(h, q, q_inv, w->fresh, fresh, w->dist);
        for (i = 0; i < fresh; i++) {
            uint32_t n = w->fresh[i];
            float d = w->dist[i];
            if (w->best.len < ef || d < w->best.items[0].d) {
                if (!zv_ix_push(&w->cand, d, n)) return 0;
                if (h->gone[n]) continue;
                if (!zv_ix_push(&w->best, d, n)) return 0;
                if (w->best.len > ef) zv_ix_pop(&w->best);
            }
        }
    }
    return 1;
}

/* HNSW's neighbour selection heuristic: keep a candidate only when it is
 * nearer to the base than to every neighbour already kept. c is sorted. */
static size_t zv_ix_select(const zv_hnsw *h, const zv_ix_cand *c, size_t n, size_t max, uint32_t *out) {
    size_t i, k = 0, j;
    for (i = 0; i < n && k < max; i++) {
        int good = 1;
        for (j = 0; j < k; j++) {
            if (zv_ix_node_dist(h, c[i].node, out[j]) < c[i].d) {
                good = 0;
                break;
            }
        }
        if (good) out[k++] = c[i].node;
    }
    return k;
}

/* Adds node to n's list at level, shrinking it with the heuristic when full. */
static int zv_ix_add_link(zv_hnsw *h, uint32_t n, uint32_t node, int level) {
    uint32_t *list = zv_ix_list(h, n, level);
    uint32_t max = level == 0 ? h->m0 : h->m, i;
    zv_ix_cand *c;
    size_t k;
    for (i = 1; i <= list[0]; i++) {
        if (list[i] == node) return 1;
    }
    h->dirty[n] = 1;
    if (list[0] < max) {
        list[++list[0]] = node;
        return 1;
    }
    c = (zv_ix_cand *)malloc((max + 1) * sizeof(*c));
    if (!c) return 0;
    for (i = 0; i < list[0]; i++) {
        c[i].node = list[i + 1];
        c[i].d = zv_ix_node_dist(h, n, list[i + 1]);
    }
    c[max].node = node;
    c[max].d = zv_ix_node_dist(h, n, node);
    qsort(c, max + 1, sizeof(*c), zv_ix_cand_cmp);
    k = zv_ix_select(h, c, max + 1, max, list + 1);
    list[0] = (uint32_t)k;
    free(c);
    return 1;
}

/* Links an allocated node (values, level and id set) into the graph. */
static int zv_ix_link(zv_hnsw *h, zv_ix_work *w, uint32_t node) {
    int level = h->levels[node], top, l;
    uint32_t ep;
    float ep_d;
    const float *q = h->vecs + (size_t)node * h->dims;
    float q_inv = h->inv[node];
    int holding = 0;
    uint32_t *chosen = (uint32_t *)malloc((h->m0 + 1) * sizeof(uint32_t));
    if (!chosen) return 0;
    if (h->parallel) pthread_mutex_lock(&h->entry_lock);
    ep = h->entry;
    top = h->max_level;
    if (ep == ZV_IX_NONE) {
        h->entry = node;
        h->max_level = level;
        if (h->parallel) pthread_mutex_unlock(&h->entry_lock);
        free(chosen);
        return 1;
    }
    if (level > top) holding = 1; /* keeps the lock: the entry point changes */
    else if (h->parallel) pthread_mutex_unlock(&h->entry_lock);
    ep_d = zv_ix_raw(h, q, q_inv, ep);
    for (l = top; l > level; l--) ep = zv_ix_greedy(h, w, q, q_inv, ep, &ep_d, l);
    for (l = level < top ? level : top; l >= 0; l--) {
        size_t n, k, i;
        uint32_t max = l == 0 ? h->m0 : h->m;
        uint32_t *mine;
        if (!zv_ix_search_layer(h, w, q, q_inv, ep, ep_d, h->efc, l)) {
            free(chosen);
            if (holding && h->parallel) pthread_mutex_unlock(&h->entry_lock);
            return 0;
        }
        /* never a neighbour of itself (another thread may have linked to it) */
        for (i = 0, n = 0; i < w->best.len; i++) {
            if (w->best.items[i].node != node) w->best.items[n++] = w->best.items[i];
        }
        w->best.len = n;
        qsort(w->best.items, n, sizeof(zv_ix_cand), zv_ix_cand_cmp);
        k = zv_ix_select(h, w->best.items, n, h->m, chosen);
        if (n) {
            ep = w->best.items[0].node;
            ep_d = w->best.items[0].d;
        }
        if (h->parallel) pthread_mutex_lock(&h->locks[node % ZV_IX_LOCKS]);
        mine = zv_ix_list(h, node, l);
        mine[0] = 0;
        for (i = 0; i < k && i < max; i++) mine[++mine[0]] = chosen[i];
        if (h->parallel) pthread_mutex_unlock(&h->locks[node % ZV_IX_LOCKS]);
        for (i = 0; i < k; i++) {
            int ok;
            if (h->parallel) pthread_mutex_lock(&h->locks[chosen[i] % ZV_IX_LOCKS]);
            ok = zv_ix_add_link(h, chosen[i], node, l);
            if (h->parallel) pthread_mutex_unlock(&h->locks[chosen[i] % ZV_IX_LOCKS]);
            if (!ok) {
                free(chosen);
                if (holding && h->parallel) pthread_mutex_unlock(&h->entry_lock);
                return 0;
            }
        }
    }
    if (holding) {
        h->entry = node;
        h->max_level = level;
        if (h->parallel) pthread_mutex_unlock(&h->entry_lock);
    }
    free(chosen);
    return 1;
}

static int zv_ix_random_level(const zv_hnsw *h, const char *id) {
    /* deterministic per id: the same vectors give the same levels */
    uint64_t x = zv_ix_hash(id) ^ 0x9e3779b97f4a7c15ull;
    double u;
    int level;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    u = ((double)(x >> 11) + 0.5) / 9007199254740992.0;
    level = (int)(-log(u) * h->ml);
    return level < ZV_IX_MAX_LEVEL ? level : ZV_IX_MAX_LEVEL - 1;
}

/* Sets the norms of node from its values. */
static void zv_ix_set_norm(zv_hnsw *h, uint32_t node) {
    double norm = sqrt(zv_exact_sumsq(h->vecs + (size_t)node * h->dims, h->dims));
    h->norms[node] = norm;
    h->inv[node] = norm > 0 ? (float)(1.0 / norm) : 0.0f;
}

/* A slot for a new node with id and values (not linked yet). */
static uint32_t zv_ix_alloc(zv_hnsw *h, const char *id, const float *values, int level) {
    uint32_t node;
    size_t words = zv_ix_link_words(h, level);
    char *copy = zv_strndup(id, strlen(id));
    uint32_t *links = (uint32_t *)calloc(words, sizeof(uint32_t));
    if (!copy || !links || !zv_ix_reserve(h, h->used + 1)) {
        free(copy);
        free(links);
        return ZV_IX_NONE;
    }
    if (h->free_len) node = h->free_slots[--h->free_len];
    else node = (uint32_t)h->used++;
    h->ids[node] = copy;
    h->links[node] = links;
    h->levels[node] = (int8_t)level;
    h->dirty[node] = 1;
    h->gone[node] = 0;
    memcpy(h->vecs + (size_t)node * h->dims, values, (size_t)h->dims * sizeof(float));
    zv_ix_set_norm(h, node);
    zv_ix_map_put(h, node);
    h->live++;
    return node;
}

typedef struct zv_ix_job {
    zv_hnsw *h;
    const uint32_t *nodes;
    size_t count;
    size_t next; /* guarded by h->entry_lock's sibling below */
    pthread_mutex_t take;
    int failed;
} zv_ix_job;

static void *zv_ix_worker(void *arg) {
    zv_ix_job *job = (zv_ix_job *)arg;
    zv_ix_work w;
    uint16_t *visit = (uint16_t *)calloc(job->h->cap, sizeof(uint16_t));
    if (!visit || !zv_ix_work_init(&w, job->h, visit)) {
        free(visit);
        pthread_mutex_lock(&job->take);
        job->failed = 1;
        pthread_mutex_unlock(&job->take);
        return NULL;
    }
    for (;;) {
        size_t i;
        pthread_mutex_lock(&job->take);
        i = job->failed ? job->count : job->next++;
        pthread_mutex_unlock(&job->take);
        if (i >= job->count) break;
        if (zv_cancel_requested() || !zv_ix_link(job->h, &w, job->nodes[i])) {
            pthread_mutex_lock(&job->take);
            job->failed = 1;
            pthread_mutex_unlock(&job->take);
            break;
        }
    }
    zv_ix_work_done(&w);
    free(visit);
    return NULL;
}

/* Nodes that cannot be reached from the entry point at level 0 (threads
 * inserting near each other at once can prune every link into a small group)
 * are linked again, serially, from the entry point, so every node stays
 * reachable. */
static int zv_ix_relink_orphans(zv_hnsw *h) {
    uint8_t *reached = (uint8_t *)calloc(h->used ? h->used : 1, 1);
    uint32_t *queue = (uint32_t *)malloc((h->used ? h->used : 1) * sizeof(uint32_t));
    size_t head = 0, tail = 0, n;
    zv_ix_work w;
    int ok = 1;
    if (!reached || !queue || h->entry == ZV_IX_NONE || !zv_ix_work_init(&w, h, h->visit)) {
        ok = reached && queue && h->entry == ZV_IX_NONE;
        free(reached);
        free(queue);
        return ok;
    }
    reached[h->entry] = 1;
    queue[tail++] = h->entry;
    while (head < tail) {
        const uint32_t *list = zv_ix_list(h, queue[head++], 0);
        uint32_t i;
        for (i = 1; i <= list[0]; i++) {
            if (!reached[list[i]]) {
                reached[list[i]] = 1;
                queue[tail++] = list[i];
            }
        }
    }
    w.tag = h->visit_tag;
    for (n = 0; ok && n < h->used; n++) {
        if (h->levels[n] == ZV_IX_FREE || reached[n]) continue;
        ok = zv_ix_link(h, &w, (uint32_t)n);
    }
    h->visit_tag = w.tag;
    zv_ix_work_done(&w);
    free(reached);
    free(queue);
    return ok;
}

/* Links nodes[0..count) on every core the kernels use (docs/c-api.md §4.17: both
 * cores build). 0 on failure (memory, or the calling thread's cancel token). */
static int zv_ix_link_all(zv_hnsw *h, const uint32_t *nodes, size_t count) {
    zv_ix_job job;
    pthread_t threads[16];
    int nthreads = zv_kern_threads(), started = 0, i;
    size_t first = 0;
    memset(&job, 0, sizeof(job));
    job.h = h;
    pthread_mutex_init(&job.take, NULL);
    /* the first nodes serially: a parallel start on an empty graph is all contention */
    if (h->live - count < 64) {
        zv_ix_work w;
        size_t serial = count < 64 ? count : 64;
        if (!zv_ix_work_init(&w, h, h->visit)) {
            pthread_mutex_destroy(&job.take);
            return 0;
        }
        w.tag = h->visit_tag;
        for (first = 0; first < serial && !job.failed; first++) {
            if (!zv_ix_link(h, &w, nodes[first])) job.failed = 1;
        }
        h->visit_tag = w.tag;
        zv_ix_work_done(&w);
    }
    job.nodes = nodes + first;
    job.count = count - first;
    if (nthreads > 16) nthreads = 16;
    if (job.count < 256) nthreads = 1;
    if (!job.failed && nthreads > 1) {
        if (!h->locks) {
            h->locks = (pthread_mutex_t *)malloc(ZV_IX_LOCKS * sizeof(pthread_mutex_t));
            if (!h->locks) job.failed = 1;
            for (i = 0; h->locks && i < (int)ZV_IX_LOCKS; i++) pthread_mutex_init(&h->locks[i], NULL);
        }
        h->parallel = 1;
        for (i = 0; !job.failed && i < nthreads; i++) {
            if (zv_thread_start(&threads[i], zv_ix_worker, &job)) started++;
        }
        if (started == 0) zv_ix_worker(&job);
        for (i = 0; i < started; i++) pthread_join(threads[i], NULL);
        h->parallel = 0;
        if (!job.failed && !zv_ix_relink_orphans(h)) job.failed = 1;
    } else if (!job.failed && job.count) {
        zv_ix_worker(&job);
    }
    pthread_mutex_destroy(&job.take);
    return !job.failed;
}

/* Removes nodes flagged in dead (and frees their slots), repairing every list
 * that pointed at one with the heuristic over its other neighbours and the
 * dead nodes' neighbours. */
static int zv_ix_remove(zv_hnsw *h, const uint8_t *dead) {
    size_t n;
    zv_ix_cand *c = NULL;
    size_t c_cap = 0;
    for (n = 0; n < h->used; n++) {
        int l;
        if (h->levels[n] == ZV_IX_FREE || dead[n]) continue;
        for (l = 0; l <= h->levels[n]; l++) {
            uint32_t *list = zv_ix_list(h, (uint32_t)n, l);
            uint32_t max = l == 0 ? h->m0 : h->m, i, j;
            size_t k = 0, kept;
            int hit = 0;
            for (i = 1; i <= list[0]; i++) hit |= dead[list[i]];
            if (!hit) continue;
            for (i = 1; i <= list[0]; i++) {
                uint32_t x = list[i];
                if (!dead[x]) {
                    k++;
                    continue;
                }
                if (h->levels[x] >= l) k += zv_ix_list(h, x, l)[0];
            }
            if (k > c_cap) {
                zv_ix_cand *p = (zv_ix_cand *)realloc(c, k * sizeof(*c));
                if (!p) {
                    free(c);
                    return 0;
                }
                c = p;
                c_cap = k;
            }
            k = 0;
            for (i = 1; i <= list[0]; i++) {
                uint32_t x = list[i];
                if (!dead[x]) {
                    c[k].node = x;
                    c[k++].d = zv_ix_node_dist(h, (uint32_t)n, x);
                } else if (h->levels[x] >= l) {
                    const uint32_t *xl = zv_ix_list(h, x, l);
                    for (j = 1; j <= xl[0]; j++) {
                        uint32_t y = xl[j];
                        size_t t;
                        int seen = 0;
                        if (dead[y] || y == n) continue;
                        for (t = 0; t < k && !seen; t++) seen = c[t].node == y;
                        if (seen) continue;
                        c[k].node = y;
                        c[k++].d = zv_ix_node_dist(h, (uint32_t)n, y);
                    }
                }
            }
            qsort(c, k, sizeof(*c), zv_ix_cand_cmp);
            kept = zv_ix_select(h, c, k, max, list + 1);
            list[0] = (uint32_t)kept;
            h->dirty[n] = 1;
        }
    }
    free(c);
    for (n = 0; n < h->used; n++) {
        if (h->levels[n] == ZV_IX_FREE || !dead[n]) continue;
        zv_ix_map_remove(h, (uint32_t)n);
        free(h->ids[n]);
        free(h->links[n]);
        h->ids[n] = NULL;
        h->links[n] = NULL;
        h->levels[n] = ZV_IX_FREE;
        h->gone[n] = 0;
        h->dirty[n] = 0;
        h->live--;
        h->free_slots[h->free_len++] = (uint32_t)n;
    }
    /* a new entry point when the old one went */
    if (h->entry != ZV_IX_NONE && h->levels[h->entry] == ZV_IX_FREE) {
        h->entry = ZV_IX_NONE;
        h->max_level = -1;
        for (n = 0; n < h->used; n++) {
            if (h->levels[n] > h->max_level) {
                h->max_level = h->levels[n];
                h->entry = (uint32_t)n;
            }
        }
    }
    return 1;
}

/* ---- reading and writing the tables ---- */

static zova_status zv_ix_step_done(zv_vec_ctx *ctx, sqlite3_stmt *stmt) {
    int rc = sqlite3_step(stmt);
    zova_status status = rc == SQLITE_DONE ? ZOVA_OK : zv_vec_sqlite_status(ctx, rc);
    zv_vec_stmt_done(ctx, stmt);
    return status;
}

/* 1 when the index tables exist (an index was ever created and not all dropped). */
static int zv_ix_tables_exist(zv_vec_ctx *ctx, zova_status *status) {
    sqlite3_stmt *stmt = zv_vec_stmt(ctx, ZV_SQL_HAS_TABLES, status);
    int rc, found;
    if (!stmt) return -1;
    rc = sqlite3_step(stmt);
    found = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) > 0 : -1;
    if (found < 0) *status = zv_vec_sqlite_status(ctx, rc);
    zv_vec_stmt_done(ctx, stmt);
    return found;
}

typedef struct zv_ix_row {
    uint32_t m, efc, dims;
    int metric;
    int64_t token;
} zv_ix_row;

/* Reads the index row of name: 1 found, 0 none, -1 failure (*status). */
static int zv_ix_row_get(zv_vec_ctx *ctx, const char *name, zv_ix_row *row, zova_status *status) {
    sqlite3_stmt *stmt;
    int rc, found = 0, exists = zv_ix_tables_exist(ctx, status);
    if (exists <= 0) return exists;
    stmt = zv_vec_stmt(ctx, ZV_SQL_IX_GET, status);
    if (!stmt) return -1;
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        const char *metric = (const char *)sqlite3_column_text(stmt, 4);
        int i;
        found = 1;
        row->m = (uint32_t)sqlite3_column_int(stmt, 1);
        row->efc = (uint32_t)sqlite3_column_int(stmt, 2);
        row->dims = (uint32_t)sqlite3_column_int(stmt, 3);
        row->metric = -1;
        for (i = 0; metric && i < 3; i++) {
            if (strcmp(metric, zv_ix_metric_names[i]) == 0) row->metric = i;
        }
        row->token = sqlite3_column_int64(stmt, 5);
        if (row->m < 2 || row->m > 64 || row->efc < 1) {
            found = -1;
            *status = zv_vec_refuse(ctx, ZOVA_VECTOR_CORRUPT, "the vector index row is damaged (zova check --deep)");
        }
    } else if (rc != SQLITE_DONE) {
        found = -1;
        *status = zv_vec_sqlite_status(ctx, rc);
    }
    zv_vec_stmt_done(ctx, stmt);
    return found;
}

static zova_status zv_ix_damaged(zv_vec_ctx *ctx, const char *name, const char *what) {
    char message[ZV_VEC_MAX_NAME + 200];
    snprintf(message, sizeof(message),
             "the vector index of collection %s is damaged or out of step with its vectors (%s); run zova index "
             "rebuild",
             name, what);
    return zv_vec_refuse(ctx, ZOVA_VECTOR_CORRUPT, message);
}

/* Loads the persisted graph of coll (row: its index row). */
static zova_status zv_ix_load(zv_vec_ctx *ctx, const zv_vec_collection *coll, const zv_ix_row *row,
                              zv_hnsw **out) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt;
    zv_hnsw *h = zv_ix_new(coll, row->m, row->efc);
    size_t n;
    int rc;
    *out = NULL;
    if (!h) return ZOVA_OUT_OF_MEMORY;
    h->token = row->token;
    {
        uint64_t nodes = 0;
        sqlite3_stmt *count = zv_vec_stmt(ctx, ZV_SQL_NODES_BYTES, &status);
        if (count) {
            sqlite3_bind_text(count, 1, coll->name, (int)coll->name_len, SQLITE_STATIC);
            if (sqlite3_step(count) == SQLITE_ROW) nodes = (uint64_t)sqlite3_column_int64(count, 0);
            zv_vec_stmt_done(ctx, count);
        }
        if (nodes && !zv_ix_reserve(h, (size_t)nodes)) status = ZOVA_OUT_OF_MEMORY;
    }
    stmt = status == ZOVA_OK ? zv_vec_stmt(ctx, ZV_SQL_NODES_LOAD, &status) : NULL;
    if (!stmt) {
        zv_ix_free(h);
        return status;
    }
    sqlite3_bind_text(stmt, 1, coll->name, (int)coll->name_len, SQLITE_STATIC);
    while (status == ZOVA_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(stmt, 0);
        int64_t node = sqlite3_column_int64(stmt, 1);
        int level = sqlite3_column_int(stmt, 2);
        const unsigned char *blob = (const unsigned char *)sqlite3_column_blob(stmt, 3);
        size_t bytes = (size_t)sqlite3_column_bytes(stmt, 3), words, w, pos, l;
        if (!id || node < 0 || node >= (int64_t)UINT32_MAX / 2 || level < 0 || level >= ZV_IX_MAX_LEVEL ||
            (bytes % 4) != 0) {
            status = zv_ix_damaged(ctx, coll->name, "a node row is invalid");
            break;
        }
        if (!zv_ix_reserve(h, (size_t)node + 1)) {
            status = ZOVA_OUT_OF_MEMORY;
            break;
        }
        if (h->levels[node] != ZV_IX_FREE || zv_ix_lookup(h, id) != ZV_IX_NONE) {
            status = zv_ix_damaged(ctx, coll->name, "two rows share a node number or an id");
            break;
        }
        words = zv_ix_link_words(h, level);
        h->links[node] = (uint32_t *)calloc(words, sizeof(uint32_t));
        h->ids[node] = zv_strndup(id, strlen(id));
        if (!h->links[node] || !h->ids[node]) {
            free(h->links[node]);
            free(h->ids[node]);
            h->links[node] = NULL;
            h->ids[node] = NULL;
            status = ZOVA_OUT_OF_MEMORY;
            break;
        }
        if ((size_t)node >= h->used) h->used = (size_t)node + 1;
        h->levels[node] = (int8_t)level;
        zv_ix_map_put(h, (uint32_t)node);
        h->live++;
        /* links: per level, a count and that many node numbers (u32 little-endian) */
        pos = 0;
        for (l = 0; l <= (size_t)level && status == ZOVA_OK; l++) {
            uint32_t *list = zv_ix_list(h, (uint32_t)node, (int)l);
            uint32_t count, max = l == 0 ? h->m0 : h->m;
            if (pos + 4 > bytes) {
                status = zv_ix_damaged(ctx, coll->name, "a neighbour list is cut short");
                break;
            }
            count = (uint32_t)blob[pos] | (uint32_t)blob[pos + 1] << 8 | (uint32_t)blob[pos + 2] << 16 |
                    (uint32_t)blob[pos + 3] << 24;
            pos += 4;
            if (count > max || pos + 4 * (size_t)count > bytes) {
                status = zv_ix_damaged(ctx, coll->name, "a neighbour list is too long");
                break;
            }
            list[0] = count;
            for (w = 0; w < count; w++, pos += 4) {
                list[1 + w] = (uint32_t)blob[pos] | (uint32_t)blob[pos + 1] << 8 | (uint32_t)blob[pos + 2] << 16 |
                              (uint32_t)blob[pos + 3] << 24;
            }
        }
        if (status == ZOVA_OK && pos != bytes) status = zv_ix_damaged(ctx, coll->name, "a neighbour list is too long");
        if (status != ZOVA_OK) break;
        /* gone until the scan below finds its vector (deleted behind the
         * index otherwise: the log says so) */
        h->gone[node] = 1;
        memset(h->vecs + (size_t)node * h->dims, 0, (size_t)h->dims * sizeof(float));
        h->norms[node] = 0;
        h->inv[node] = 0;
    }
    if (status == ZOVA_OK && rc != SQLITE_DONE) status = zv_vec_sqlite_status(ctx, rc);
    zv_vec_stmt_done(ctx, stmt);
    /* the values: one scan of the collection's rows, matched by id */
    stmt = status == ZOVA_OK ? zv_vec_stmt(ctx, ZV_SQL_VEC_ALL, &status) : NULL;
    if (stmt) {
        sqlite3_bind_text(stmt, 1, coll->name, (int)coll->name_len, SQLITE_STATIC);
        while (status == ZOVA_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            const char *id = (const char *)sqlite3_column_text(stmt, 0);
            uint32_t node = id ? zv_ix_lookup(h, id) : ZV_IX_NONE;
            if (node == ZV_IX_NONE) continue; /* not indexed yet: the log names it */
            status = zv_vec_row_decode(coll, stmt, 1, 2, h->vecs + (size_t)node * h->dims);
            if (status == ZOVA_VECTOR_CORRUPT) {
                char message[ZV_VEC_MAX_NAME * 2 + 64];
                snprintf(message, sizeof(message), "stored vector %s of collection %s is corrupt", id, coll->name);
                status = zv_vec_refuse(ctx, status, message);
            }
            if (status == ZOVA_OK) {
                zv_ix_set_norm(h, node);
                h->gone[node] = 0;
            }
        }
        if (status == ZOVA_OK && rc != SQLITE_DONE) status = zv_vec_sqlite_status(ctx, rc);
        zv_vec_stmt_done(ctx, stmt);
    }
    /* links point at nodes that exist; free slots and the entry point */
    for (n = 0; status == ZOVA_OK && n < h->used; n++) {
        int l;
        if (h->levels[n] == ZV_IX_FREE) {
            h->free_slots[h->free_len++] = (uint32_t)n;
            continue;
        }
        h->dirty[n] = 0;
        if (h->levels[n] > h->max_level) {
            h->max_level = h->levels[n];
            h->entry = (uint32_t)n;
        }
        for (l = 0; l <= h->levels[n] && status == ZOVA_OK; l++) {
            const uint32_t *list = zv_ix_list(h, (uint32_t)n, l);
            uint32_t i;
            for (i = 1; i <= list[0]; i++) {
                if (list[i] >= h->used || h->levels[list[i]] < l) {
                    status = zv_ix_damaged(ctx, coll->name, "a neighbour list names a missing node");
                    break;
                }
            }
        }
    }
    if (status != ZOVA_OK) {
        zv_ix_free(h);
        return status;
    }
    *out = h;
    return ZOVA_OK;
}

static int zv_ix_id_cmp(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Reads the current row of a logged id into values (*present 0 when it is
 * gone) and its node (ZV_IX_NONE when it has none). */
static zova_status zv_ix_apply_id(zv_vec_ctx *ctx, const zv_vec_collection *coll, zv_hnsw *h, const char *id,
                                  float *values, int *present, uint32_t *node_out) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt = zv_vec_stmt(ctx, ZV_SQL_VEC_ONE, &status);
    uint32_t node = zv_ix_lookup(h, id);
    int rc;
    *present = 0;
    *node_out = node;
    if (!stmt) return status;
    sqlite3_bind_text(stmt, 1, coll->name, (int)coll->name_len, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        status = zv_vec_row_decode(coll, stmt, 0, 1, values);
        if (status == ZOVA_OK) *present = 1;
    } else if (rc != SQLITE_DONE) {
        status = zv_vec_sqlite_status(ctx, rc);
    }
    zv_vec_stmt_done(ctx, stmt);
    return status;
}

/* Brings h up to date with the log rows after h->applied: ids whose vector is
 * gone or changed leave the graph, present ones (re)enter it. */
static zova_status zv_ix_apply_log(zv_vec_ctx *ctx, const zv_vec_collection *coll, zv_hnsw *h, int persist,
                                   char ***removed_ids, size_t *removed_len) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt = zv_vec_stmt(ctx, ZV_SQL_LOG_READ, &status);
    char **ids = NULL;
    size_t len = 0, cap = 0, i;
    uint8_t *dead = NULL;
    float *values = NULL, *pending_values = NULL;
    char **pending_ids = NULL;
    uint32_t *nodes = NULL;
    size_t pending = 0, any_dead = 0;
    int rc;
    int64_t last = h->applied;
    if (!stmt) return status;
    sqlite3_bind_text(stmt, 1, coll->name, (int)coll->name_len, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, h->applied);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(stmt, 1);
        last = sqlite3_column_int64(stmt, 0);
        if (!id) continue;
        if (len == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            char **p = (char **)realloc(ids, ncap * sizeof(char *));
            if (!p) {
                status = ZOVA_OUT_OF_MEMORY;
                break;
            }
            ids = p;
            cap = ncap;
        }
        if (!(ids[len] = zv_strndup(id, strlen(id)))) {
            status = ZOVA_OUT_OF_MEMORY;
            break;
        }
        len++;
    }
    if (status == ZOVA_OK && rc != SQLITE_DONE) status = zv_vec_sqlite_status(ctx, rc);
    zv_vec_stmt_done(ctx, stmt);
    if (status == ZOVA_OK && len) {
        /* each id once (the log may name one many times) */
        size_t j = 0;
        qsort(ids, len, sizeof(char *), zv_ix_id_cmp);
        for (i = 0; i < len; i++) {
            if (j && strcmp(ids[j - 1], ids[i]) == 0) free(ids[i]);
            else ids[j++] = ids[i];
        }
        len = j;
        dead = (uint8_t *)calloc(h->cap ? h->cap : 1, 1);
        values = (float *)malloc((size_t)h->dims * sizeof(float));
        pending_values = (float *)malloc(len * (size_t)h->dims * sizeof(float));
        pending_ids = (char **)calloc(len, sizeof(char *));
        if (!dead || !values || !pending_values || !pending_ids) status = ZOVA_OUT_OF_MEMORY;
        for (i = 0; status == ZOVA_OK && i < len; i++) {
            int present;
            uint32_t node;
            status = zv_ix_apply_id(ctx, coll, h, ids[i], values, &present, &node);
            if (status != ZOVA_OK) break;
            if (node != ZV_IX_NONE) {
                int same = present && !h->gone[node] &&
                           memcmp(h->vecs + (size_t)node * h->dims, values, (size_t)h->dims * sizeof(float)) == 0;
                if (same) continue;
                dead[node] = 1;
                any_dead++;
            }
            if (present) {
                memcpy(pending_values + pending * h->dims, values, (size_t)h->dims * sizeof(float));
                pending_ids[pending++] = ids[i];
            }
        }
        if (status == ZOVA_OK && any_dead) {
            if (persist) {
                *removed_ids = (char **)malloc(any_dead * sizeof(char *));
                if (!*removed_ids) status = ZOVA_OUT_OF_MEMORY;
                for (i = 0; status == ZOVA_OK && i < h->used; i++) {
                    if (dead[i]) {
                        (*removed_ids)[*removed_len] = zv_strndup(h->ids[i], strlen(h->ids[i]));
                        if (!(*removed_ids)[*removed_len]) status = ZOVA_OUT_OF_MEMORY;
                        else (*removed_len)++;
                    }
                }
            }
            if (status == ZOVA_OK && !zv_ix_remove(h, dead)) status = ZOVA_OUT_OF_MEMORY;
        }
        if (status == ZOVA_OK && pending) {
            nodes = (uint32_t *)malloc(pending * sizeof(uint32_t));
            if (!nodes || !zv_ix_reserve(h, h->live + pending)) status = ZOVA_OUT_OF_MEMORY;
            for (i = 0; status == ZOVA_OK && i < pending; i++) {
                nodes[i] = zv_ix_alloc(h, pending_ids[i], pending_values + i * h->dims,
                                       zv_ix_random_level(h, pending_ids[i]));
                if (nodes[i] == ZV_IX_NONE) status = ZOVA_OUT_OF_MEMORY;
            }
            if (status == ZOVA_OK && !zv_ix_link_all(h, nodes, pending)) {
                status = zv_cancel_requested() ? zv_vec_refuse(ctx, ZOVA_SQLITE_ERROR, ZV_INTERRUPTED)
                                               : ZOVA_OUT_OF_MEMORY;
            }
        }
    }
    if (status == ZOVA_OK) h->applied = last;
    for (i = 0; i < len; i++) free(ids[i]);
    free(ids);
    free(dead);
    free(values);
    free(pending_values);
    free(pending_ids);
    free(nodes);
    return status;
}

/* ---- building, persisting, folding the log ---- */

static zova_status zv_ix_count(zv_vec_ctx *ctx, const char *sql, const char *name, uint64_t *a, uint64_t *b);

/* A graph over every vector of coll, built on every core. */
static zova_status zv_ix_build(zv_vec_ctx *ctx, const zv_vec_collection *coll, uint32_t m, uint32_t efc,
                               zv_hnsw **out) {
    zova_status status = ZOVA_OK;
    zv_hnsw *h = zv_ix_new(coll, m, efc);
    sqlite3_stmt *stmt;
    uint32_t *nodes = NULL;
    size_t count = 0, cap = 0;
    float *values = (float *)malloc((size_t)coll->dims * sizeof(float));
    uint64_t total = 0;
    int rc;
    *out = NULL;
    if (!h || !values) {
        free(values);
        zv_ix_free(h);
        return ZOVA_OUT_OF_MEMORY;
    }
    /* exactly the slots needed: memory is the vectors plus the graph */
    status = zv_ix_count(ctx, ZV_SQL_VEC_COUNT, coll->name, &total, NULL);
    if (status == ZOVA_OK && !zv_ix_reserve(h, (size_t)total)) status = ZOVA_OUT_OF_MEMORY;
    stmt = status == ZOVA_OK ? zv_vec_stmt(ctx, ZV_SQL_VEC_ALL, &status) : NULL;
    if (stmt) {
        sqlite3_bind_text(stmt, 1, coll->name, (int)coll->name_len, SQLITE_STATIC);
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            const char *id = (const char *)sqlite3_column_text(stmt, 0);
            status = zv_vec_row_decode(coll, stmt, 1, 2, values);
            if (status != ZOVA_OK) {
                char message[ZV_VEC_MAX_NAME * 2 + 64];
                snprintf(message, sizeof(message), "stored vector %s of collection %s is corrupt", id ? id : "",
                         coll->name);
                status = zv_vec_refuse(ctx, status, message);
                break;
            }
            if (count == cap) {
                size_t ncap = cap ? 2 * cap : 1024;
                uint32_t *p = (uint32_t *)realloc(nodes, ncap * sizeof(uint32_t));
                if (!p) {
                    status = ZOVA_OUT_OF_MEMORY;
                    break;
                }
                nodes = p;
                cap = ncap;
            }
            nodes[count] = zv_ix_alloc(h, id, values, zv_ix_random_level(h, id));
            if (nodes[count] == ZV_IX_NONE) {
                status = ZOVA_OUT_OF_MEMORY;
                break;
            }
            count++;
        }
        if (status == ZOVA_OK && rc != SQLITE_DONE) status = zv_vec_sqlite_status(ctx, rc);
        zv_vec_stmt_done(ctx, stmt);
    }
    if (status == ZOVA_OK && count && !zv_ix_link_all(h, nodes, count)) {
        status = zv_cancel_requested() ? zv_vec_refuse(ctx, ZOVA_SQLITE_ERROR, ZV_INTERRUPTED) : ZOVA_OUT_OF_MEMORY;
    }
    free(nodes);
    free(values);
    if (status != ZOVA_OK) {
        zv_ix_free(h);
        return status;
    }
    *out = h;
    return ZOVA_OK;
}

static void zv_ix_put_u32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* Writes the rows of removed ids away and every dirty node, clears the log,
 * and gives the index a new token (the in-memory graph keeps it). */
static zova_status zv_ix_persist(zv_vec_ctx *ctx, zv_hnsw *h, char **removed, size_t removed_len) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt;
    unsigned char *blob = (unsigned char *)malloc(4 * zv_ix_link_words(h, ZV_IX_MAX_LEVEL));
    size_t i;
    int64_t token;
    if (!blob) return ZOVA_OUT_OF_MEMORY;
    for (i = 0; status == ZOVA_OK && i < removed_len; i++) {
        stmt = zv_vec_stmt(ctx, ZV_SQL_NODE_DELETE, &status);
        if (!stmt) break;
        sqlite3_bind_text(stmt, 1, h->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, removed[i], -1, SQLITE_STATIC);
        status = zv_ix_step_done(ctx, stmt);
    }
    for (i = 0; status == ZOVA_OK && i < h->used; i++) {
        size_t pos = 0;
        int l;
        if (h->levels[i] == ZV_IX_FREE || !h->dirty[i]) continue;
        for (l = 0; l <= h->levels[i]; l++) {
            const uint32_t *list = zv_ix_list(h, (uint32_t)i, l);
            uint32_t j;
            for (j = 0; j <= list[0]; j++, pos += 4) zv_ix_put_u32(blob + pos, list[j]);
        }
        stmt = zv_vec_stmt(ctx, ZV_SQL_NODE_PUT, &status);
        if (!stmt) break;
        sqlite3_bind_text(stmt, 1, h->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, h->ids[i], -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 3, (sqlite3_int64)i);
        sqlite3_bind_int(stmt, 4, h->levels[i]);
        sqlite3_bind_blob(stmt, 5, blob, (int)pos, SQLITE_STATIC);
        status = zv_ix_step_done(ctx, stmt);
        if (status == ZOVA_OK) h->dirty[i] = 0;
    }
    free(blob);
    if (status == ZOVA_OK && (stmt = zv_vec_stmt(ctx, ZV_SQL_LOG_CLEAR, &status)) != NULL) {
        sqlite3_bind_text(stmt, 1, h->name, -1, SQLITE_STATIC);
        status = zv_ix_step_done(ctx, stmt);
    }
    sqlite3_randomness(sizeof(token), &token);
    if (status == ZOVA_OK && (stmt = zv_vec_stmt(ctx, ZV_SQL_IX_TOKEN, &status)) != NULL) {
        sqlite3_bind_text(stmt, 1, h->name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 2, token);
        status = zv_ix_step_done(ctx, stmt);
    }
    if (status == ZOVA_OK) {
        h->token = token;
        h->applied = 0;
        h->tainted = 0;
    }
    return status;
}

static zova_status zv_ix_exec(zv_vec_ctx *ctx, const char *sql) {
    int rc = sqlite3_exec(ctx->sql, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? ZOVA_OK : zv_vec_sqlite_status(ctx, rc);
}

/* Zova's own DDL on its private names (the authorizer lets it through). */
static zova_status zv_ix_own_ddl(zv_vec_ctx *ctx, const char *sql) {
    zova_status status;
    zv_private_tables_own_ddl(1);
    status = zv_ix_exec(ctx, sql);
    zv_private_tables_own_ddl(0);
    return status;
}

static zova_status zv_ix_step_name(zv_vec_ctx *ctx, const char *sql, const char *name) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt = zv_vec_stmt(ctx, sql, &status);
    if (!stmt) return status;
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    return zv_ix_step_done(ctx, stmt);
}

/* Removes the index of name from the file; the tables and triggers go with
 * the last index, so an index-free file has upstream's schema exactly. */
static zova_status zv_ix_remove_persisted(zv_vec_ctx *ctx, const char *name) {
    zova_status status = zv_ix_step_name(ctx, ZV_SQL_IX_DELETE, name);
    sqlite3_stmt *stmt;
    int remaining = 1, i;
    if (status == ZOVA_OK) status = zv_ix_step_name(ctx, ZV_SQL_NODES_DELETE_ALL, name);
    if (status == ZOVA_OK) status = zv_ix_step_name(ctx, ZV_SQL_LOG_CLEAR, name);
    if (status == ZOVA_OK && (stmt = zv_vec_stmt(ctx, ZV_SQL_IX_REMAINING, &status)) != NULL) {
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) remaining = sqlite3_column_int(stmt, 0);
        else status = zv_vec_sqlite_status(ctx, rc);
        zv_vec_stmt_done(ctx, stmt);
    }
    if (status != ZOVA_OK || remaining) return status;
    for (i = 0; status == ZOVA_OK && i < 3; i++) {
        char sql[128];
        snprintf(sql, sizeof(sql), "drop trigger if exists %s", zv_ix_trigger_names[i]);
        status = zv_ix_own_ddl(ctx, sql);
    }
    if (status == ZOVA_OK) status = zv_ix_own_ddl(ctx, "drop table _zova_vector_index_log");
    if (status == ZOVA_OK) status = zv_ix_own_ddl(ctx, "drop table _zova_vector_index_nodes");
    if (status == ZOVA_OK) status = zv_ix_own_ddl(ctx, "drop table _zova_vector_indexes");
    return status;
}

/* (Re)creates the three triggers with their canonical text: create, and
 * rebuild as the repair of a file where one was dropped. */
static zova_status zv_ix_install_triggers(zv_vec_ctx *ctx) {
    zova_status status = ZOVA_OK;
    int i;
    for (i = 0; status == ZOVA_OK && i < 3; i++) {
        char sql[128];
        snprintf(sql, sizeof(sql), "drop trigger if exists %s", zv_ix_trigger_names[i]);
        status = zv_ix_own_ddl(ctx, sql);
        if (status == ZOVA_OK) status = zv_ix_own_ddl(ctx, zv_ix_triggers[i]);
    }
    return status;
}

/* The in-memory graph of coll matching the persisted one (loaded, or
 * reloaded when the token moved, or when it holds changes that are not
 * persisted and persist is set). */
static zova_status zv_ix_current(zv_vec_ctx *ctx, const zv_vec_collection *coll, const zv_ix_row *row, int persist,
                                 zv_hnsw **out) {
    zv_hnsw *h = zv_ix_find(ctx->state, coll->name);
    zova_status status;
    if (h && h->token == row->token && !h->tainted && !(persist && h->applied != 0)) {
        *out = h;
        return ZOVA_OK;
    }
    if (h) zv_ix_forget(ctx->state, coll->name);
    status = zv_ix_load(ctx, coll, row, &h);
    if (status != ZOVA_OK) return status;
    h->unverified = 1;
    h->next = (zv_hnsw *)ctx->state->indexes;
    ctx->state->indexes = h;
    *out = h;
    return ZOVA_OK;
}

/* Replaces the persisted graph of coll by a fresh build (create, rebuild, a
 * collection recreated with another shape). */
static zova_status zv_ix_rebuild_persisted(zv_vec_ctx *ctx, const zv_vec_collection *coll, uint32_t m, uint32_t efc,
                                           int insert_row) {
    zv_hnsw *h = NULL;
    zova_status status = ZOVA_OK;
    zv_ix_forget(ctx->state, coll->name);
    if (insert_row) {
        sqlite3_stmt *stmt = zv_vec_stmt(ctx, ZV_SQL_IX_INSERT, &status);
        if (!stmt) return status;
        sqlite3_bind_text(stmt, 1, coll->name, (int)coll->name_len, SQLITE_STATIC);
        sqlite3_bind_int(stmt, 2, (int)m);
        sqlite3_bind_int(stmt, 3, (int)efc);
        sqlite3_bind_int(stmt, 4, (int)coll->dims);
        sqlite3_bind_text(stmt, 5, zv_ix_metric_names[coll->metric], -1, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 6, 0);
        status = zv_ix_step_done(ctx, stmt);
    } else {
        char sql[200];
        sqlite3_stmt *stmt = NULL;
        snprintf(sql, sizeof(sql),
                 "update _zova_vector_indexes set dimensions = %u, metric = '%s' where collection_name = ?1",
                 (unsigned)coll->dims, zv_ix_metric_names[coll->metric]);
        if (sqlite3_prepare_v2(ctx->sql, sql, -1, &stmt, NULL) != SQLITE_OK) {
            status = zv_vec_sqlite_status(ctx, sqlite3_errcode(ctx->sql));
        } else {
            sqlite3_bind_text(stmt, 1, coll->name, (int)coll->name_len, SQLITE_STATIC);
            status = zv_ix_step_done(ctx, stmt);
            stmt = NULL;
        }
        sqlite3_finalize(stmt);
        if (status == ZOVA_OK) status = zv_ix_step_name(ctx, ZV_SQL_NODES_DELETE_ALL, coll->name);
    }
    if (status == ZOVA_OK) status = zv_ix_build(ctx, coll, m, efc, &h);
    if (status == ZOVA_OK) status = zv_ix_persist(ctx, h, NULL, 0);
    if (status != ZOVA_OK) {
        zv_ix_free(h);
        return status;
    }
    h->next = (zv_hnsw *)ctx->state->indexes;
    ctx->state->indexes = h;
    return ZOVA_OK;
}

/* Folds the log of collection name into its persisted graph (inside the
 * caller's savepoint). A collection that is gone takes its index with it. */
static zova_status zv_ix_fold(zv_vec_ctx *ctx, const char *name) {
    zv_ix_row row;
    zv_vec_collection coll;
    zv_hnsw *h;
    char **removed = NULL;
    size_t removed_len = 0, i;
    zova_status status = ZOVA_OK;
    int found = zv_ix_row_get(ctx, name, &row, &status);
    if (found <= 0) return status;
    status = zv_vec_collection_load(ctx, name, &coll, NULL);
    if (status == ZOVA_VECTOR_COLLECTION_NOT_FOUND) {
        zv_ix_forget(ctx->state, name);
        return zv_ix_remove_persisted(ctx, name);
    }
    if (status != ZOVA_OK) return status;
    if (row.dims != coll.dims || row.metric != coll.metric) {
        return zv_ix_rebuild_persisted(ctx, &coll, row.m, row.efc, 0);
    }
    status = zv_ix_current(ctx, &coll, &row, 1, &h);
    if (status == ZOVA_OK) status = zv_ix_apply_log(ctx, &coll, h, 1, &removed, &removed_len);
    if (status == ZOVA_OK) status = zv_ix_persist(ctx, h, removed, removed_len);
    for (i = 0; i < removed_len; i++) free(removed[i]);
    free(removed);
    if (status != ZOVA_OK) zv_ix_forget(ctx->state, name);
    return status;
}

/* ---- hooks for the vector writes of vectors.c ---- */

zova_status zv_vindex_write_begin(zv_vec_ctx *ctx, zova_database *db, int *opened) {
    zova_status status;
    *opened = 0;
    if (!db->vector_index_triggers) return ZOVA_OK;
    status = zv_ix_exec(ctx, "savepoint zv_vector_index");
    if (status == ZOVA_OK) *opened = 1;
    return status;
}

zova_status zv_vindex_write_end(zv_vec_ctx *ctx, const char *collection_name, zova_status status, int opened) {
    if (!opened) return status;
    if (status == ZOVA_OK) status = zv_ix_fold(ctx, collection_name);
    if (status == ZOVA_OK) {
        status = zv_ix_exec(ctx, "release zv_vector_index");
        if (status == ZOVA_OK) return ZOVA_OK;
    }
    zv_ix_forget(ctx->state, collection_name);
    sqlite3_exec(ctx->sql, "rollback to zv_vector_index", NULL, NULL, NULL);
    sqlite3_exec(ctx->sql, "release zv_vector_index", NULL, NULL, NULL);
    return status;
}

int zv_vindex_trigger_is_own(const char *name, const char *sql) {
    int i;
    for (i = 0; name && sql && i < 3; i++) {
        if (strcmp(name, zv_ix_trigger_names[i]) == 0) return zv_schema_ddl_equal(sql, zv_ix_triggers[i]);
    }
    return 0;
}

/* SQL: zova_vector_index_trigger(name, sql) is 1 for one of the index's own
 * triggers (the diagnostics' foreign-trigger report leaves them out). */
static void zv_ix_sql_trigger(sqlite3_context *context, int argc, sqlite3_value **argv) {
    (void)argc;
    sqlite3_result_int(context, zv_vindex_trigger_is_own((const char *)sqlite3_value_text(argv[0]),
                                                         (const char *)sqlite3_value_text(argv[1])));
}

int zv_vindex_sql_register(sqlite3 *sql) {
    return sqlite3_create_function(sql, "zova_vector_index_trigger", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                   zv_ix_sql_trigger, NULL, NULL);
}

/* ---- the ABI (docs/c-api.md §4.17) ---- */

#define ZV_IX_BEGIN(request)                                               \
    zova_database *db;                                                     \
    zv_vec_ctx ctx;                                                        \
    zova_status status = ZOVA_OK;                                          \
    if (!(request) || !(request)->db) return ZOVA_INVALID_ARGUMENT;        \
    db = (request)->db;                                                    \
    zv_lock(db);                                                           \
    zv_vec_db_ctx(db, &ctx)

#define ZV_IX_END()                                                                   \
    do {                                                                              \
        if (status != ZOVA_OK && ctx.has_message) zv_fail_message(db, status, ctx.message); \
        return zv_unlock(db, status);                                                 \
    } while (0)

/* Checks the collection name and loads the collection (with a pinned read snapshot when pin). */
static zova_status zv_ix_collection(zv_vec_ctx *ctx, const char *name, zv_vec_collection *coll, sqlite3_stmt **pin) {
    zova_status status;
    if (!name) return zv_vec_refuse(ctx, ZOVA_INVALID_ARGUMENT, "collection_name is NULL");
    if (!zv_vec_name_valid(name)) return zv_vec_name_refused(ctx, "collection name", name);
    status = zv_vec_collection_load(ctx, name, coll, pin);
    if (status == ZOVA_VECTOR_COLLECTION_NOT_FOUND) {
        char message[ZV_VEC_MAX_NAME + 64];
        snprintf(message, sizeof(message), "vector collection %s does not exist", name);
        return zv_vec_refuse(ctx, status, message);
    }
    return status;
}

static zova_status zv_ix_no_index(zv_vec_ctx *ctx, const char *name) {
    char message[ZV_VEC_MAX_NAME + 100];
    snprintf(message, sizeof(message), "vector collection %s has no index (create one with zova index create)", name);
    return zv_vec_refuse(ctx, ZOVA_INVALID_ARGUMENT, message);
}

/* Begins an index write: the foreign-trigger guard, then a savepoint. */
static zova_status zv_ix_write_begin(zova_database *db, zv_vec_ctx *ctx) {
    zova_status status = zv_private_tables_guard(db);
    if (status == ZOVA_OK) status = zv_ix_exec(ctx, "savepoint zv_vector_index");
    return status;
}

static zova_status zv_ix_write_end(zv_vec_ctx *ctx, const char *name, zova_status status) {
    if (status == ZOVA_OK) {
        status = zv_ix_exec(ctx, "release zv_vector_index");
        if (status == ZOVA_OK) return ZOVA_OK;
    }
    zv_ix_forget(ctx->state, name);
    sqlite3_exec(ctx->sql, "rollback to zv_vector_index", NULL, NULL, NULL);
    sqlite3_exec(ctx->sql, "release zv_vector_index", NULL, NULL, NULL);
    return status;
}

zova_status zova_vector_index_create(const zova_vector_index_create_request *request) {
    zv_vec_collection coll;
    zv_ix_row row;
    uint32_t m, efc;
    int found, i;
    ZV_IX_BEGIN(request);
    m = request->m ? request->m : ZV_IX_DEFAULT_M;
    efc = request->ef_construction ? request->ef_construction : ZV_IX_DEFAULT_EFC;
    if (m < 2 || m > 64) {
        status = zv_vec_refuse(&ctx, ZOVA_INVALID_ARGUMENT, "m must be 0 (the default, 16) or 2 to 64");
        ZV_IX_END();
    }
    if (efc > 4096) {
        status = zv_vec_refuse(&ctx, ZOVA_INVALID_ARGUMENT,
                               "ef_construction must be 0 (the default, 200) or 1 to 4096");
        ZV_IX_END();
    }
    status = zv_ix_collection(&ctx, request->collection_name, &coll, NULL);
    if (status != ZOVA_OK) ZV_IX_END();
    status = zv_ix_write_begin(db, &ctx);
    if (status != ZOVA_OK) ZV_IX_END();
    found = zv_ix_row_get(&ctx, coll.name, &row, &status);
    if (found > 0) {
        char message[ZV_VEC_MAX_NAME + 100];
        snprintf(message, sizeof(message), "vector collection %s already has an index (drop or rebuild it)",
                 coll.name);
        status = zv_vec_refuse(&ctx, ZOVA_INVALID_ARGUMENT, message);
    } else if (found == 0) {
        /* the first index creates the tables (the last one dropped removes them) */
        int tables = zv_ix_tables_exist(&ctx, &status);
        for (i = 0; tables == 0 && status == ZOVA_OK && i < 3; i++) status = zv_ix_own_ddl(&ctx, zv_ix_tables[i]);
        if (status == ZOVA_OK) status = zv_ix_install_triggers(&ctx);
        if (status == ZOVA_OK) status = zv_ix_step_name(&ctx, ZV_SQL_LOG_CLEAR, coll.name);
        if (status == ZOVA_OK) status = zv_ix_step_name(&ctx, ZV_SQL_NODES_DELETE_ALL, coll.name);
        if (status == ZOVA_OK) status = zv_ix_rebuild_persisted(&ctx, &coll, m, efc, 1);
    }
    status = zv_ix_write_end(&ctx, coll.name, status);
    ZV_IX_END();
}

zova_status zova_vector_index_drop(const zova_vector_index_request *request) {
    zv_vec_collection coll;
    zv_ix_row row;
    int found;
    ZV_IX_BEGIN(request);
    status = zv_ix_collection(&ctx, request->collection_name, &coll, NULL);
    if (status != ZOVA_OK) ZV_IX_END();
    status = zv_ix_write_begin(db, &ctx);
    if (status != ZOVA_OK) ZV_IX_END();
    found = zv_ix_row_get(&ctx, coll.name, &row, &status);
    if (found == 0) status = zv_ix_no_index(&ctx, coll.name);
    else if (found > 0) status = zv_ix_remove_persisted(&ctx, coll.name);
    zv_ix_forget(ctx.state, coll.name);
    status = zv_ix_write_end(&ctx, coll.name, status);
    ZV_IX_END();
}

zova_status zova_vector_index_rebuild(const zova_vector_index_request *request) {
    zv_vec_collection coll;
    zv_ix_row row;
    int found;
    ZV_IX_BEGIN(request);
    status = zv_ix_collection(&ctx, request->collection_name, &coll, NULL);
    if (status != ZOVA_OK) ZV_IX_END();
    status = zv_ix_write_begin(db, &ctx);
    if (status != ZOVA_OK) ZV_IX_END();
    found = zv_ix_row_get(&ctx, coll.name, &row, &status);
    if (found == 0) status = zv_ix_no_index(&ctx, coll.name);
    if (found > 0) status = zv_ix_install_triggers(&ctx);
    if (found > 0 && status == ZOVA_OK) status = zv_ix_step_name(&ctx, ZV_SQL_LOG_CLEAR, coll.name);
    if (found > 0 && status == ZOVA_OK) status = zv_ix_rebuild_persisted(&ctx, &coll, row.m, row.efc, 0);
    status = zv_ix_write_end(&ctx, coll.name, status);
    ZV_IX_END();
}

static size_t zv_ix_memory(const zv_hnsw *h) {
    size_t total = sizeof(*h), i;
    total += h->cap * ((size_t)h->dims * sizeof(float) + sizeof(double) + sizeof(float) + 1 + 2 * sizeof(void *) +
                       2 + sizeof(uint16_t) + sizeof(uint32_t));
    total += (h->map_mask + 1) * sizeof(uint32_t);
    for (i = 0; i < h->used; i++) {
        if (h->levels[i] == ZV_IX_FREE) continue;
        total += zv_ix_link_words(h, h->levels[i]) * sizeof(uint32_t) + strlen(h->ids[i]) + 1;
    }
    return total;
}

static zova_status zv_ix_count(zv_vec_ctx *ctx, const char *sql, const char *name, uint64_t *a, uint64_t *b) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt = zv_vec_stmt(ctx, sql, &status);
    int rc;
    if (!stmt) return status;
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        *a = (uint64_t)sqlite3_column_int64(stmt, 0);
        if (b) *b = (uint64_t)sqlite3_column_int64(stmt, 1);
    } else {
        status = zv_vec_sqlite_status(ctx, rc);
    }
    zv_vec_stmt_done(ctx, stmt);
    return status;
}

zova_status zova_vector_index_info_get(const zova_vector_index_info_get_request *request) {
    zv_vec_collection coll;
    zv_ix_row row;
    sqlite3_stmt *pin = NULL;
    zv_hnsw *h;
    int found;
    ZV_IX_BEGIN(request);
    if (!request->out_info) {
        status = zv_vec_refuse(&ctx, ZOVA_INVALID_ARGUMENT, "out_info is NULL");
        ZV_IX_END();
    }
    memset(request->out_info, 0, sizeof(*request->out_info));
    status = zv_ix_collection(&ctx, request->collection_name, &coll, &pin);
    if (status != ZOVA_OK) ZV_IX_END();
    found = zv_ix_row_get(&ctx, coll.name, &row, &status);
    if (found > 0) {
        zova_vector_index_info *info = request->out_info;
        info->exists = 1;
        info->kind = ZOVA_VECTOR_INDEX_HNSW;
        info->m = row.m;
        info->ef_construction = row.efc;
        info->default_ef = ZOVA_VECTOR_INDEX_DEFAULT_EF;
        status = zv_ix_count(&ctx, ZV_SQL_NODES_BYTES, coll.name, &info->vector_count, &info->disk_bytes);
        if (status == ZOVA_OK) status = zv_ix_count(&ctx, ZV_SQL_LOG_COUNT, coll.name, &info->pending_changes, NULL);
        h = zv_ix_find(ctx.state, coll.name);
        if (status == ZOVA_OK && h && h->token == row.token) info->memory_bytes = zv_ix_memory(h);
    }
    zv_vec_stmt_done(&ctx, pin);
    ZV_IX_END();
}

/* The search proper on a current graph: ef candidates from the graph,
 * re-ranked exactly, filtered, the best limit kept. */
static zova_status zv_ix_query(zv_vec_ctx *ctx, zv_hnsw *h, const float *q, uint32_t skip, size_t ef,
                               const zova_vector_index_search_request *r, zova_vector_search_results *out) {
    zv_ix_work w;
    zv_hit *hits = NULL;
    size_t nhits = 0, i, ncand = 0;
    double q_norm = sqrt(zv_exact_sumsq(q, h->dims));
    float q_inv = q_norm > 0 ? (float)(1.0 / q_norm) : 0.0f;
    uint32_t *cands = NULL;
    zova_status status = ZOVA_OK;
    if (r->flags & ZOVA_VECTOR_INDEX_SEARCH_IN) {
        /* a candidate list: exact distances over it (the graph cannot do better) */
        cands = (uint32_t *)malloc((r->candidate_count ? r->candidate_count : 1) * sizeof(uint32_t));
        if (!cands) return ZOVA_OUT_OF_MEMORY;
        for (i = 0; i < r->candidate_count; i++) {
            uint32_t n = zv_ix_lookup(h, r->candidate_ids[i]);
            size_t j;
            int seen = 0;
            if (n == ZV_IX_NONE || n == skip) continue;
            for (j = 0; j < ncand && !seen; j++) seen = cands[j] == n;
            if (!seen) cands[ncand++] = n;
        }
    } else if (h->entry != ZV_IX_NONE) {
        uint32_t ep = h->entry;
        float ep_d;
        int l;
        if (!zv_ix_work_init(&w, h, h->visit)) return ZOVA_OUT_OF_MEMORY;
        w.tag = h->visit_tag;
        ep_d = zv_ix_raw(h, q, q_inv, ep);
        for (l = h->max_level; l > 0; l--) ep = zv_ix_greedy(h, &w, q, q_inv, ep, &ep_d, l);
        if (!zv_ix_search_layer(h, &w, q, q_inv, ep, ep_d, ef + (skip != ZV_IX_NONE), 0)) status = ZOVA_OUT_OF_MEMORY;
        h->visit_tag = w.tag;
        if (status == ZOVA_OK) {
            cands = (uint32_t *)malloc((w.best.len ? w.best.len : 1) * sizeof(uint32_t));
            if (!cands) status = ZOVA_OUT_OF_MEMORY;
            for (i = 0; cands && i < w.best.len; i++) {
                if (w.best.items[i].node != skip) cands[ncand++] = w.best.items[i].node;
            }
        }
        zv_ix_work_done(&w);
    }
    if (status == ZOVA_OK && ncand) {
        hits = (zv_hit *)calloc(ncand, sizeof(zv_hit));
        if (!hits) status = ZOVA_OUT_OF_MEMORY;
    }
    for (i = 0; status == ZOVA_OK && i < ncand; i++) {
        uint32_t n = cands[i];
        double d = zv_vec_exact_distance(h->metric, q, q_norm, h->vecs + (size_t)n * h->dims, h->norms[n], h->dims);
        if ((r->flags & ZOVA_VECTOR_INDEX_SEARCH_WITHIN) && !(d <= r->max_distance)) continue;
        hits[nhits].distance = d;
        hits[nhits].row = n;
        hits[nhits].id = h->ids[n]; /* borrowed until the winners are copied */
        nhits++;
    }
    free(cands);
    if (status != ZOVA_OK) {
        free(hits);
        return status;
    }
    qsort(hits, nhits, sizeof(zv_hit), zv_vec_hit_cmp);
    if (nhits > r->limit) nhits = r->limit;
    for (i = 0; i < nhits; i++) {
        hits[i].id_len = strlen(hits[i].id);
        hits[i].id = zv_strndup(hits[i].id, hits[i].id_len);
        if (!hits[i].id) status = ZOVA_OUT_OF_MEMORY;
    }
    if (status == ZOVA_OK) return zv_vec_hits_to_results(hits, nhits, out);
    zv_vec_hits_free(hits, nhits);
    return status;
}

zova_status zova_vector_index_search(const zova_vector_index_search_request *request) {
    zv_vec_collection coll;
    zv_ix_row row;
    sqlite3_stmt *pin = NULL;
    zv_hnsw *h = NULL;
    float *source = NULL;
    const float *q;
    uint32_t skip = ZV_IX_NONE;
    size_t ef, i;
    int found;
    uint64_t vectors = 0;
    ZV_IX_BEGIN(request);
    if (!request->out_results) {
        status = zv_vec_refuse(&ctx, ZOVA_INVALID_ARGUMENT, "out_results is NULL");
        ZV_IX_END();
    }
    request->out_results->items = NULL;
    request->out_results->len = 0;
    if (request->flags & ~(uint32_t)(ZOVA_VECTOR_INDEX_SEARCH_IN | ZOVA_VECTOR_INDEX_SEARCH_WITHIN)) {
        status = zv_vec_refuse(&ctx, ZOVA_INVALID_ARGUMENT, "flags has an unknown bit");
        ZV_IX_END();
    }
    if (request->ef > ZOVA_VECTOR_INDEX_MAX_EF) {
        status = zv_vec_refuse(&ctx, ZOVA_INVALID_ARGUMENT, "ef must be 0 (the default, 64) or 1 to 4096");
        ZV_IX_END();
    }
    if (!request->source_id && !request->query && request->query_len > 0) {
        status = zv_vec_refuse(&ctx, ZOVA_INVALID_ARGUMENT, "query is NULL with query_len > 0");
        ZV_IX_END();
    }
    if (!request->candidate_ids && request->candidate_count > 0) {
        status = zv_vec_refuse(&ctx, ZOVA_INVALID_ARGUMENT, "candidate_ids is NULL with candidate_count > 0");
        ZV_IX_END();
    }
    for (i = 0; (request->flags & ZOVA_VECTOR_INDEX_SEARCH_IN) && i < request->candidate_count; i++) {
        if (!request->candidate_ids[i]) {
            status = zv_vec_refuse(&ctx, ZOVA_INVALID_ARGUMENT, "a candidate id is NULL");
            ZV_IX_END();
        }
    }
    if ((request->flags & ZOVA_VECTOR_INDEX_SEARCH_WITHIN) && request->max_distance != request->max_distance) {
        status = zv_vec_refuse(&ctx, ZOVA_INVALID_ARGUMENT, "max_distance is NaN");
        ZV_IX_END();
    }
    status = zv_ix_collection(&ctx, request->collection_name, &coll, &pin);
    if (status != ZOVA_OK) ZV_IX_END();
    if (request->source_id) {
        if (!zv_vec_name_valid(request->source_id)) status = zv_vec_name_refused(&ctx, "source id", request->source_id);
    } else {
        status = zv_vec_values_refused(&ctx, &coll, request->query, request->query_len, "the query");
    }
    found = status == ZOVA_OK ? zv_ix_row_get(&ctx, coll.name, &row, &status) : -1;
    if (found == 0) status = zv_ix_no_index(&ctx, coll.name);
    if (found > 0 && (row.dims != coll.dims || row.metric != coll.metric)) {
        status = zv_ix_damaged(&ctx, coll.name, "it was built for a collection of another shape");
    }
    if (status == ZOVA_OK) status = zv_ix_current(&ctx, &coll, &row, 0, &h);
    if (status == ZOVA_OK) {
        /* changes of writers that know nothing of the index, in memory only */
        int64_t before = h->applied;
        status = zv_ix_apply_log(&ctx, &coll, h, 0, NULL, NULL);
        if (status == ZOVA_OK && h->applied != before && !sqlite3_get_autocommit(ctx.sql)) h->tainted = 1;
        /* after a load or new log rows: the graph must cover exactly the vectors */
        if (status == ZOVA_OK && (h->applied != before || h->unverified)) {
            h->unverified = 0;
            status = zv_ix_count(&ctx, ZV_SQL_VEC_COUNT, coll.name, &vectors, NULL);
            if (status == ZOVA_OK && vectors != h->live) {
                status = zv_ix_damaged(&ctx, coll.name, "vectors were written without the index's triggers");
            }
            for (i = 0; status == ZOVA_OK && i < h->used; i++) {
                if (h->levels[i] != ZV_IX_FREE && h->gone[i]) {
                    status = zv_ix_damaged(&ctx, coll.name, "a vector was deleted without the index's triggers");
                }
            }
        }
        if (status != ZOVA_OK) zv_ix_forget(ctx.state, coll.name);
    }
    if (status == ZOVA_OK && request->source_id) {
        skip = zv_ix_lookup(h, request->source_id);
        if (skip == ZV_IX_NONE) {
            char message[2 * ZV_VEC_MAX_NAME + 64];
            snprintf(message, sizeof(message), "vector %s is not in collection %s", request->source_id, coll.name);
            status = zv_vec_refuse(&ctx, ZOVA_VECTOR_NOT_FOUND, message);
        } else {
            source = (float *)malloc((size_t)coll.dims * sizeof(float));
            if (!source) status = ZOVA_OUT_OF_MEMORY;
            else memcpy(source, h->vecs + (size_t)skip * h->dims, (size_t)coll.dims * sizeof(float));
        }
    }
    if (status == ZOVA_OK && request->limit > 0) {
        q = source ? source : request->query;
        ef = request->ef ? request->ef : ZOVA_VECTOR_INDEX_DEFAULT_EF;
        if (ef < request->limit) ef = request->limit;
        status = zv_ix_query(&ctx, h, q, skip, ef, request, request->out_results);
    }
    free(source);
    zv_vec_stmt_done(&ctx, pin);
    ZV_IX_END();
}
