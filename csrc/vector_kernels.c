/*
 * vector_kernels.c - distance kernels. The float32 row kernels (dot and
 * squared L2 of one query against many contiguous rows) have an AVX2/FMA
 * version compiled with a target attribute and picked at run time with
 * __builtin_cpu_supports, and a portable version; the default build flags stay
 * portable. The exact kernels accumulate in double in index order, which is
 * what Appendix B's distances are defined by.
 */
#define _POSIX_C_SOURCE 200809L
#include "vector_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define ZV_HAVE_X86 1
#include <immintrin.h>
#else
#define ZV_HAVE_X86 0
#endif

/* ---- exact (double, index order) ---- */

double zv_exact_dot(const float *a, const float *b, size_t n) {
    double sum = 0.0;
    size_t i;
    for (i = 0; i < n; i++) sum += (double)a[i] * (double)b[i];
    return sum;
}

double zv_exact_sumsq(const float *a, size_t n) {
    double sum = 0.0;
    size_t i;
    for (i = 0; i < n; i++) sum += (double)a[i] * (double)a[i];
    return sum;
}

double zv_exact_l2sq(const float *a, const float *b, size_t n) {
    double sum = 0.0;
    size_t i;
    for (i = 0; i < n; i++) {
        double d = (double)a[i] - (double)b[i];
        sum += d * d;
    }
    return sum;
}

/* ---- portable float32 row kernels (8 independent lanes) ---- */

static void zv_dot_rows_portable(const float *q, const float *m, size_t rows, size_t dims, float *out) {
    size_t r, i, j;
    for (r = 0; r < rows; r++) {
        const float *v = m + r * dims;
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        float sum;
        for (i = 0; i + 8 <= dims; i += 8) {
            for (j = 0; j < 8; j++) acc[j] += q[i + j] * v[i + j];
        }
        sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        for (; i < dims; i++) sum += q[i] * v[i];
        out[r] = sum;
    }
}

static void zv_l2sq_rows_portable(const float *q, const float *m, size_t rows, size_t dims, float *out) {
    size_t r, i, j;
    for (r = 0; r < rows; r++) {
        const float *v = m + r * dims;
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        float sum;
        for (i = 0; i + 8 <= dims; i += 8) {
            for (j = 0; j < 8; j++) {
                float d = q[i + j] - v[i + j];
                acc[j] += d * d;
            }
        }
        sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        for (; i < dims; i++) {
            float d = q[i] - v[i];
            sum += d * d;
        }
        out[r] = sum;
    }
}

/* ---- AVX2 / FMA ---- */

#if ZV_HAVE_X86
__attribute__((target("avx2,fma"))) static float zv_hsum256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v);
    __m128 hi = _mm256_extractf128_ps(v, 1);
    __m128 s = _mm_add_ps(lo, hi);
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 0x55));
    return _mm_cvtss_f32(s);
}

/* Four rows at a time (one query load feeds four rows, four independent load
 * streams), two accumulators per row; the tail of each row and leftover rows
 * fall back to the one-row loop. */
__attribute__((target("avx2,fma"))) static float zv_dot_one_avx2(const float *q, const float *v, size_t dims) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    size_t i;
    float sum;
    for (i = 0; i + 16 <= dims; i += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(v + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), _mm256_loadu_ps(v + i + 8), a1);
    }
    for (; i + 8 <= dims; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(v + i), a0);
    sum = zv_hsum256(_mm256_add_ps(a0, a1));
    for (; i < dims; i++) sum += q[i] * v[i];
    return sum;
}

__attribute__((target("avx2,fma"))) static float zv_l2sq_one_avx2(const float *q, const float *v, size_t dims) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    size_t i;
    float sum;
    for (i = 0; i + 16 <= dims; i += 16) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(v + i));
        __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(q + i + 8), _mm256_loadu_ps(v + i + 8));
        a0 = _mm256_fmadd_ps(d0, d0, a0);
        a1 = _mm256_fmadd_ps(d1, d1, a1);
    }
    for (; i + 8 <= dims; i += 8) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(v + i));
        a0 = _mm256_fmadd_ps(d0, d0, a0);
    }
    sum = zv_hsum256(_mm256_add_ps(a0, a1));
    for (; i < dims; i++) {
        float d = q[i] - v[i];
        sum += d * d;
    }
    return sum;
}

__attribute__((target("avx2,fma"))) static void zv_dot_rows_avx2(const float *q, const float *m, size_t rows,
                                                                 size_t dims, float *out) {
    size_t r = 0, i;
    if (dims % 8 == 0) {
        for (; r + 4 <= rows; r += 4) {
            const float *v0 = m + r * dims, *v1 = v0 + dims, *v2 = v1 + dims, *v3 = v2 + dims;
            __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps();
            __m256 a3 = _mm256_setzero_ps();
            for (i = 0; i < dims; i += 8) {
                __m256 x = _mm256_loadu_ps(q + i);
                a0 = _mm256_fmadd_ps(x, _mm256_loadu_ps(v0 + i), a0);
                a1 = _mm256_fmadd_ps(x, _mm256_loadu_ps(v1 + i), a1);
                a2 = _mm256_fmadd_ps(x, _mm256_loadu_ps(v2 + i), a2);
                a3 = _mm256_fmadd_ps(x, _mm256_loadu_ps(v3 + i), a3);
            }
            out[r] = zv_hsum256(a0);
            out[r + 1] = zv_hsum256(a1);
            out[r + 2] = zv_hsum256(a2);
            out[r + 3] = zv_hsum256(a3);
        }
    }
    for (; r < rows; r++) out[r] = zv_dot_one_avx2(q, m + r * dims, dims);
}

__attribute__((target("avx2,fma"))) static void zv_l2sq_rows_avx2(const float *q, const float *m, size_t rows,
                                                                  size_t dims, float *out) {
    size_t r = 0, i;
    if (dims % 8 == 0) {
        for (; r + 4 <= rows; r += 4) {
            const float *v0 = m + r * dims, *v1 = v0 + dims, *v2 = v1 + dims, *v3 = v2 + dims;
            __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps();
            __m256 a3 = _mm256_setzero_ps();
            for (i = 0; i < dims; i += 8) {
                __m256 x = _mm256_loadu_ps(q + i);
                __m256 d0 = _mm256_sub_ps(x, _mm256_loadu_ps(v0 + i));
                __m256 d1 = _mm256_sub_ps(x, _mm256_loadu_ps(v1 + i));
                __m256 d2 = _mm256_sub_ps(x, _mm256_loadu_ps(v2 + i));
                __m256 d3 = _mm256_sub_ps(x, _mm256_loadu_ps(v3 + i));
                a0 = _mm256_fmadd_ps(d0, d0, a0);
                a1 = _mm256_fmadd_ps(d1, d1, a1);
                a2 = _mm256_fmadd_ps(d2, d2, a2);
                a3 = _mm256_fmadd_ps(d3, d3, a3);
            }
            out[r] = zv_hsum256(a0);
            out[r + 1] = zv_hsum256(a1);
            out[r + 2] = zv_hsum256(a2);
            out[r + 3] = zv_hsum256(a3);
        }
    }
    for (; r < rows; r++) out[r] = zv_l2sq_one_avx2(q, m + r * dims, dims);
}
#endif

/* ---- value checks: any non-finite element, any non-zero element ---- */

static void zv_check_values_portable(const float *v, size_t n, int *non_finite, int *nonzero) {
    uint32_t bad = 0, nz = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &v[i], 4);
        bad |= (uint32_t)((bits & 0x7f800000u) == 0x7f800000u);
        nz |= bits & 0x7fffffffu;
    }
    *non_finite = bad != 0;
    *nonzero = nz != 0;
}

#if ZV_HAVE_X86
__attribute__((target("avx2,fma"))) static void zv_check_values_avx2(const float *v, size_t n, int *non_finite,
                                                                     int *nonzero) {
    const __m256i exp_mask = _mm256_set1_epi32(0x7f800000);
    const __m256i abs_mask = _mm256_set1_epi32(0x7fffffff);
    __m256i bad = _mm256_setzero_si256(), nz = _mm256_setzero_si256();
    size_t i = 0;
    int tail_bad, tail_nz;
    for (; i + 8 <= n; i += 8) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(v + i));
        bad = _mm256_or_si256(bad, _mm256_cmpeq_epi32(_mm256_and_si256(x, exp_mask), exp_mask));
        nz = _mm256_or_si256(nz, _mm256_and_si256(x, abs_mask));
    }
    zv_check_values_portable(v + i, n - i, &tail_bad, &tail_nz);
    *non_finite = tail_bad || !_mm256_testz_si256(bad, bad);
    *nonzero = tail_nz || !_mm256_testz_si256(nz, nz);
}
#endif

/* ---- dispatch ---- */

typedef void (*zv_rows_fn)(const float *, const float *, size_t, size_t, float *);

static int zv_kern_level = -1; /* 0 portable, 1 avx2+fma */

static int zv_kern_select(void) {
    int level = __atomic_load_n(&zv_kern_level, __ATOMIC_RELAXED);
    if (level < 0) {
        const char *forced = getenv("ZOVA_VECTOR_KERNEL"); /* "portable" forces the fallback (tests) */
        level = 0;
#if ZV_HAVE_X86
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) level = 1;
#endif
        if (forced && strcmp(forced, "portable") == 0) level = 0;
        __atomic_store_n(&zv_kern_level, level, __ATOMIC_RELAXED); /* every thread computes the same value */
    }
    return level;
}

void zv_kern_dot_rows(const float *q, const float *m, size_t rows, size_t dims, float *out) {
#if ZV_HAVE_X86
    if (zv_kern_select() == 1) {
        zv_dot_rows_avx2(q, m, rows, dims, out);
        return;
    }
#endif
    zv_dot_rows_portable(q, m, rows, dims, out);
}

void zv_kern_l2sq_rows(const float *q, const float *m, size_t rows, size_t dims, float *out) {
#if ZV_HAVE_X86
    if (zv_kern_select() == 1) {
        zv_l2sq_rows_avx2(q, m, rows, dims, out);
        return;
    }
#endif
    zv_l2sq_rows_portable(q, m, rows, dims, out);
}

/* ---- parallel scan over row ranges (large matrices only) ---- */

typedef struct zv_rows_job {
    int l2;
    const float *q;
    const float *m;
    size_t rows;
    size_t dims;
    float *out;
} zv_rows_job;

static void zv_rows_run(const zv_rows_job *job) {
    if (job->l2) zv_kern_l2sq_rows(job->q, job->m, job->rows, job->dims, job->out);
    else zv_kern_dot_rows(job->q, job->m, job->rows, job->dims, job->out);
}

static void *zv_rows_thread(void *arg) {
    zv_rows_run((const zv_rows_job *)arg);
    return NULL;
}

static int zv_kern_threads_cached = 0;

static int zv_kern_threads(void) {
    int threads = __atomic_load_n(&zv_kern_threads_cached, __ATOMIC_RELAXED);
    if (threads == 0) {
        const char *env = getenv("ZOVA_VECTOR_THREADS"); /* override, e.g. 1 for single-threaded scans */
        long n = env ? atol(env) : sysconf(_SC_NPROCESSORS_ONLN);
        if (n < 1) n = 1;
        if (n > 8) n = 8;
        threads = (int)n;
        __atomic_store_n(&zv_kern_threads_cached, threads, __ATOMIC_RELAXED);
    }
    return threads;
}

#define ZV_PARALLEL_MIN_FLOATS (1u << 20) /* below ~4 MB one thread is faster */

void zv_kern_rows_parallel(int l2, const float *q, const float *m, size_t rows, size_t dims, float *out) {
    zv_rows_job jobs[8];
    pthread_t tids[8];
    int started[8] = {0};
    int threads = zv_kern_threads(), t;
    size_t per, start = 0;
    if (threads > 1 && rows * dims < ZV_PARALLEL_MIN_FLOATS) threads = 1;
    if ((size_t)threads > rows) threads = rows ? (int)rows : 1;
    per = (rows + (size_t)threads - 1) / (size_t)threads;
    for (t = 0; t < threads; t++) {
        size_t count = start + per <= rows ? per : rows - start;
        jobs[t].l2 = l2;
        jobs[t].q = q;
        jobs[t].m = m + start * dims;
        jobs[t].rows = count;
        jobs[t].dims = dims;
        jobs[t].out = out + start;
        start += count;
    }
    for (t = 1; t < threads; t++) started[t] = zv_thread_start(&tids[t], zv_rows_thread, &jobs[t]);
    zv_rows_run(&jobs[0]);
    for (t = 1; t < threads; t++) {
        if (started[t]) pthread_join(tids[t], NULL);
        else zv_rows_run(&jobs[t]); /* could not start a thread: do it here */
    }
}

void zv_kern_check_values(const float *v, size_t n, int *non_finite, int *nonzero) {
#if ZV_HAVE_X86
    if (zv_kern_select() == 1) {
        zv_check_values_avx2(v, n, non_finite, nonzero);
        return;
    }
#endif
    zv_check_values_portable(v, n, non_finite, nonzero);
}

const char *zv_kern_name(void) { return zv_kern_select() == 1 ? "avx2-fma" : "portable"; }
