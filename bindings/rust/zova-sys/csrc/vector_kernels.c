/*
 * vector_kernels.c - distance kernels. The float32 row kernels (dot and
 * squared L2 of one query against many contiguous rows) and the tile kernel
 * (dot products of a block of queries against a block of rows, for batch
 * search) have AVX-512F and AVX2/FMA versions compiled with target attributes
 * and picked at run time with __builtin_cpu_supports, and a portable version;
 * the default build flags stay portable. ZOVA_VECTOR_KERNEL=portable, avx2 or
 * avx512 caps the choice (README, Vectors). The exact kernels accumulate in
 * double in index order, which is what Appendix B's distances are defined by.
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

/* out[qi * rows + r] = dot(queries_qi, m_r): one query at a time. */
static void zv_dot_tile_portable(const float *queries, size_t nq, const float *m, size_t rows, size_t dims,
                                 float *out) {
    size_t qi;
    for (qi = 0; qi < nq; qi++) zv_dot_rows_portable(queries + qi * dims, m, rows, dims, out + qi * rows);
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
/* The four sums of a, b, c, d as one vector {sum a, sum b, sum c, sum d}. */
__attribute__((target("avx2,fma"))) static __m128 zv_hsum4_256(__m256 a, __m256 b, __m256 c, __m256 d) {
    __m256 ab = _mm256_hadd_ps(a, b), cd = _mm256_hadd_ps(c, d);
    __m256 abcd = _mm256_hadd_ps(ab, cd);
    return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

/* Scalar tail (dims % 8 elements from `from`) of one dot product. */
static float zv_dot_tail(const float *q, const float *v, size_t from, size_t dims) {
    float sum = 0.0f;
    for (; from < dims; from++) sum += q[from] * v[from];
    return sum;
}

/* Three queries against four rows: twelve accumulators, each row load feeds
 * three FMAs and each query load four. out has a stride of `rows`. */
__attribute__((target("avx2,fma"))) static void zv_dot_3x4_avx2(const float *q0, size_t dims, const float *v0,
                                                                float *out, size_t stride) {
    const float *q1 = q0 + dims, *q2 = q1 + dims;
    const float *v1 = v0 + dims, *v2 = v1 + dims, *v3 = v2 + dims;
    __m256 a00 = _mm256_setzero_ps(), a01 = _mm256_setzero_ps(), a02 = _mm256_setzero_ps(), a03 = _mm256_setzero_ps();
    __m256 a10 = _mm256_setzero_ps(), a11 = _mm256_setzero_ps(), a12 = _mm256_setzero_ps(), a13 = _mm256_setzero_ps();
    __m256 a20 = _mm256_setzero_ps(), a21 = _mm256_setzero_ps(), a22 = _mm256_setzero_ps(), a23 = _mm256_setzero_ps();
    size_t i, main = dims & ~(size_t)7;
    int t;
    for (i = 0; i < main; i += 8) {
        __m256 x0 = _mm256_loadu_ps(v0 + i), x1 = _mm256_loadu_ps(v1 + i);
        __m256 x2 = _mm256_loadu_ps(v2 + i), x3 = _mm256_loadu_ps(v3 + i);
        __m256 y = _mm256_loadu_ps(q0 + i);
        a00 = _mm256_fmadd_ps(y, x0, a00);
        a01 = _mm256_fmadd_ps(y, x1, a01);
        a02 = _mm256_fmadd_ps(y, x2, a02);
        a03 = _mm256_fmadd_ps(y, x3, a03);
        y = _mm256_loadu_ps(q1 + i);
        a10 = _mm256_fmadd_ps(y, x0, a10);
        a11 = _mm256_fmadd_ps(y, x1, a11);
        a12 = _mm256_fmadd_ps(y, x2, a12);
        a13 = _mm256_fmadd_ps(y, x3, a13);
        y = _mm256_loadu_ps(q2 + i);
        a20 = _mm256_fmadd_ps(y, x0, a20);
        a21 = _mm256_fmadd_ps(y, x1, a21);
        a22 = _mm256_fmadd_ps(y, x2, a22);
        a23 = _mm256_fmadd_ps(y, x3, a23);
    }
    _mm_storeu_ps(out, zv_hsum4_256(a00, a01, a02, a03));
    _mm_storeu_ps(out + stride, zv_hsum4_256(a10, a11, a12, a13));
    _mm_storeu_ps(out + 2 * stride, zv_hsum4_256(a20, a21, a22, a23));
    if (main == dims) return;
    for (t = 0; t < 4; t++) {
        const float *v = v0 + (size_t)t * dims;
        out[t] += zv_dot_tail(q0, v, main, dims);
        out[stride + t] += zv_dot_tail(q1, v, main, dims);
        out[2 * stride + t] += zv_dot_tail(q2, v, main, dims);
    }
}

__attribute__((target("avx2,fma"))) static void zv_dot_tile_avx2(const float *queries, size_t nq, const float *m,
                                                                 size_t rows, size_t dims, float *out) {
    size_t qi = 0, r;
    for (; qi + 3 <= nq; qi += 3) {
        const float *q = queries + qi * dims;
        float *o = out + qi * rows;
        for (r = 0; r + 4 <= rows; r += 4) zv_dot_3x4_avx2(q, dims, m + r * dims, o + r, rows);
        for (; r < rows; r++) {
            o[r] = zv_dot_one_avx2(q, m + r * dims, dims);
            o[rows + r] = zv_dot_one_avx2(q + dims, m + r * dims, dims);
            o[2 * rows + r] = zv_dot_one_avx2(q + 2 * dims, m + r * dims, dims);
        }
    }
    for (; qi < nq; qi++) zv_dot_rows_avx2(queries + qi * dims, m, rows, dims, out + qi * rows);
}
#endif

/* ---- AVX-512F ---- */

#if ZV_HAVE_X86
/* Lanes [0, n) of a 16-float block, n < 16 (the tail of a row). */
__attribute__((target("avx512f"))) static __mmask16 zv_tail_mask(size_t n) { return (__mmask16)((1u << n) - 1u); }

/* One zmm accumulator folded to ymm, so the AVX2 four-way sum can finish it. */
__attribute__((target("avx512f,avx2,fma"))) static __m256 zv_fold512(__m512 v) {
    return _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}

/* Four rows at a time as in the AVX2 kernels, sixteen lanes, the tail of each
 * row with masked loads (any dims). */
__attribute__((target("avx512f,avx2,fma"))) static void zv_dot_rows_avx512(const float *q, const float *m,
                                                                           size_t rows, size_t dims, float *out) {
    size_t r = 0, i, main = dims & ~(size_t)15;
    __mmask16 tail = zv_tail_mask(dims - main);
    for (; r + 4 <= rows; r += 4) {
        const float *v0 = m + r * dims, *v1 = v0 + dims, *v2 = v1 + dims, *v3 = v2 + dims;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps();
        __m512 a3 = _mm512_setzero_ps(), x;
        for (i = 0; i < main; i += 16) {
            x = _mm512_loadu_ps(q + i);
            a0 = _mm512_fmadd_ps(x, _mm512_loadu_ps(v0 + i), a0);
            a1 = _mm512_fmadd_ps(x, _mm512_loadu_ps(v1 + i), a1);
            a2 = _mm512_fmadd_ps(x, _mm512_loadu_ps(v2 + i), a2);
            a3 = _mm512_fmadd_ps(x, _mm512_loadu_ps(v3 + i), a3);
        }
        if (tail) {
            x = _mm512_maskz_loadu_ps(tail, q + i);
            a0 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(tail, v0 + i), a0);
            a1 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(tail, v1 + i), a1);
            a2 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(tail, v2 + i), a2);
            a3 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(tail, v3 + i), a3);
        }
        _mm_storeu_ps(out + r, zv_hsum4_256(zv_fold512(a0), zv_fold512(a1), zv_fold512(a2), zv_fold512(a3)));
    }
    for (; r < rows; r++) {
        const float *v = m + r * dims;
        __m512 a = _mm512_setzero_ps();
        for (i = 0; i < main; i += 16) a = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), _mm512_loadu_ps(v + i), a);
        if (tail) a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, q + i), _mm512_maskz_loadu_ps(tail, v + i), a);
        out[r] = _mm512_reduce_add_ps(a);
    }
}

__attribute__((target("avx512f,avx2,fma"))) static void zv_l2sq_rows_avx512(const float *q, const float *m,
                                                                            size_t rows, size_t dims, float *out) {
    size_t r = 0, i, main = dims & ~(size_t)15;
    __mmask16 tail = zv_tail_mask(dims - main);
    for (; r + 4 <= rows; r += 4) {
        const float *v0 = m + r * dims, *v1 = v0 + dims, *v2 = v1 + dims, *v3 = v2 + dims;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps();
        __m512 a3 = _mm512_setzero_ps(), x, d0, d1, d2, d3;
        for (i = 0; i < main; i += 16) {
            x = _mm512_loadu_ps(q + i);
            d0 = _mm512_sub_ps(x, _mm512_loadu_ps(v0 + i));
            d1 = _mm512_sub_ps(x, _mm512_loadu_ps(v1 + i));
            d2 = _mm512_sub_ps(x, _mm512_loadu_ps(v2 + i));
            d3 = _mm512_sub_ps(x, _mm512_loadu_ps(v3 + i));
            a0 = _mm512_fmadd_ps(d0, d0, a0);
            a1 = _mm512_fmadd_ps(d1, d1, a1);
            a2 = _mm512_fmadd_ps(d2, d2, a2);
            a3 = _mm512_fmadd_ps(d3, d3, a3);
        }
        if (tail) {
            x = _mm512_maskz_loadu_ps(tail, q + i);
            d0 = _mm512_sub_ps(x, _mm512_maskz_loadu_ps(tail, v0 + i));
            d1 = _mm512_sub_ps(x, _mm512_maskz_loadu_ps(tail, v1 + i));
            d2 = _mm512_sub_ps(x, _mm512_maskz_loadu_ps(tail, v2 + i));
            d3 = _mm512_sub_ps(x, _mm512_maskz_loadu_ps(tail, v3 + i));
            a0 = _mm512_fmadd_ps(d0, d0, a0);
            a1 = _mm512_fmadd_ps(d1, d1, a1);
            a2 = _mm512_fmadd_ps(d2, d2, a2);
            a3 = _mm512_fmadd_ps(d3, d3, a3);
        }
        _mm_storeu_ps(out + r, zv_hsum4_256(zv_fold512(a0), zv_fold512(a1), zv_fold512(a2), zv_fold512(a3)));
    }
    for (; r < rows; r++) {
        const float *v = m + r * dims;
        __m512 a = _mm512_setzero_ps(), d;
        for (i = 0; i < main; i += 16) {
            d = _mm512_sub_ps(_mm512_loadu_ps(q + i), _mm512_loadu_ps(v + i));
            a = _mm512_fmadd_ps(d, d, a);
        }
        if (tail) {
            d = _mm512_sub_ps(_mm512_maskz_loadu_ps(tail, q + i), _mm512_maskz_loadu_ps(tail, v + i));
            a = _mm512_fmadd_ps(d, d, a);
        }
        out[r] = _mm512_reduce_add_ps(a);
    }
}

/* Three queries against four rows in zmm registers (see zv_dot_3x4_avx2). */
__attribute__((target("avx512f,avx2,fma"))) static void zv_dot_3x4_avx512(const float *q0, size_t dims,
                                                                          const float *v0, float *out,
                                                                          size_t stride) {
    const float *q1 = q0 + dims, *q2 = q1 + dims;
    const float *v1 = v0 + dims, *v2 = v1 + dims, *v3 = v2 + dims;
    __m512 a00 = _mm512_setzero_ps(), a01 = _mm512_setzero_ps(), a02 = _mm512_setzero_ps(), a03 = _mm512_setzero_ps();
    __m512 a10 = _mm512_setzero_ps(), a11 = _mm512_setzero_ps(), a12 = _mm512_setzero_ps(), a13 = _mm512_setzero_ps();
    __m512 a20 = _mm512_setzero_ps(), a21 = _mm512_setzero_ps(), a22 = _mm512_setzero_ps(), a23 = _mm512_setzero_ps();
    size_t i, main = dims & ~(size_t)15;
    __mmask16 tail = zv_tail_mask(dims - main);
    __mmask16 lanes = (__mmask16)0xffffu;
    for (i = 0; i < dims; i += 16) {
        __m512 x0, x1, x2, x3, y;
        if (i == main) lanes = tail;
        x0 = _mm512_maskz_loadu_ps(lanes, v0 + i);
        x1 = _mm512_maskz_loadu_ps(lanes, v1 + i);
        x2 = _mm512_maskz_loadu_ps(lanes, v2 + i);
        x3 = _mm512_maskz_loadu_ps(lanes, v3 + i);
        y = _mm512_maskz_loadu_ps(lanes, q0 + i);
        a00 = _mm512_fmadd_ps(y, x0, a00);
        a01 = _mm512_fmadd_ps(y, x1, a01);
        a02 = _mm512_fmadd_ps(y, x2, a02);
        a03 = _mm512_fmadd_ps(y, x3, a03);
        y = _mm512_maskz_loadu_ps(lanes, q1 + i);
        a10 = _mm512_fmadd_ps(y, x0, a10);
        a11 = _mm512_fmadd_ps(y, x1, a11);
        a12 = _mm512_fmadd_ps(y, x2, a12);
        a13 = _mm512_fmadd_ps(y, x3, a13);
        y = _mm512_maskz_loadu_ps(lanes, q2 + i);
        a20 = _mm512_fmadd_ps(y, x0, a20);
        a21 = _mm512_fmadd_ps(y, x1, a21);
        a22 = _mm512_fmadd_ps(y, x2, a22);
        a23 = _mm512_fmadd_ps(y, x3, a23);
    }
    _mm_storeu_ps(out, zv_hsum4_256(zv_fold512(a00), zv_fold512(a01), zv_fold512(a02), zv_fold512(a03)));
    _mm_storeu_ps(out + stride, zv_hsum4_256(zv_fold512(a10), zv_fold512(a11), zv_fold512(a12), zv_fold512(a13)));
    _mm_storeu_ps(out + 2 * stride,
                  zv_hsum4_256(zv_fold512(a20), zv_fold512(a21), zv_fold512(a22), zv_fold512(a23)));
}

__attribute__((target("avx512f,avx2,fma"))) static void zv_dot_tile_avx512(const float *queries, size_t nq,
                                                                           const float *m, size_t rows,
                                                                           size_t dims, float *out) {
    size_t qi = 0;
    for (; qi + 3 <= nq; qi += 3) {
        const float *q = queries + qi * dims;
        float *o = out + qi * rows;
        size_t r;
        for (r = 0; r + 4 <= rows; r += 4) zv_dot_3x4_avx512(q, dims, m + r * dims, o + r, rows);
        if (r < rows) {
            zv_dot_rows_avx512(q, m + r * dims, rows - r, dims, o + r);
            zv_dot_rows_avx512(q + dims, m + r * dims, rows - r, dims, o + rows + r);
            zv_dot_rows_avx512(q + 2 * dims, m + r * dims, rows - r, dims, o + 2 * rows + r);
        }
    }
    for (; qi < nq; qi++) zv_dot_rows_avx512(queries + qi * dims, m, rows, dims, out + qi * rows);
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

enum { ZV_KERN_PORTABLE = 0, ZV_KERN_AVX2 = 1, ZV_KERN_AVX512 = 2 };

static int zv_kern_level = -1;

/* The best level the CPU has, capped by ZOVA_VECTOR_KERNEL ("portable",
 * "avx2", "avx512"; anything else does not cap), so tests can compare the
 * kernels on one machine. A cap above what the CPU has changes nothing. */
static int zv_kern_select(void) {
    int level = __atomic_load_n(&zv_kern_level, __ATOMIC_RELAXED);
    if (level < 0) {
        const char *forced = getenv("ZOVA_VECTOR_KERNEL");
        level = ZV_KERN_PORTABLE;
#if ZV_HAVE_X86
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
            level = ZV_KERN_AVX2;
            if (__builtin_cpu_supports("avx512f")) level = ZV_KERN_AVX512;
        }
#endif
        if (forced && strcmp(forced, "portable") == 0) level = ZV_KERN_PORTABLE;
        if (forced && strcmp(forced, "avx2") == 0 && level > ZV_KERN_AVX2) level = ZV_KERN_AVX2;
        __atomic_store_n(&zv_kern_level, level, __ATOMIC_RELAXED); /* every thread computes the same value */
    }
    return level;
}

void zv_kern_dot_rows(const float *q, const float *m, size_t rows, size_t dims, float *out) {
#if ZV_HAVE_X86
    switch (zv_kern_select()) {
    case ZV_KERN_AVX512:
        zv_dot_rows_avx512(q, m, rows, dims, out);
        return;
    case ZV_KERN_AVX2:
        zv_dot_rows_avx2(q, m, rows, dims, out);
        return;
    }
#endif
    zv_dot_rows_portable(q, m, rows, dims, out);
}

void zv_kern_l2sq_rows(const float *q, const float *m, size_t rows, size_t dims, float *out) {
#if ZV_HAVE_X86
    switch (zv_kern_select()) {
    case ZV_KERN_AVX512:
        zv_l2sq_rows_avx512(q, m, rows, dims, out);
        return;
    case ZV_KERN_AVX2:
        zv_l2sq_rows_avx2(q, m, rows, dims, out);
        return;
    }
#endif
    zv_l2sq_rows_portable(q, m, rows, dims, out);
}

void zv_kern_dot_tile(const float *queries, size_t nq, const float *m, size_t rows, size_t dims, float *out) {
#if ZV_HAVE_X86
    switch (zv_kern_select()) {
    case ZV_KERN_AVX512:
        zv_dot_tile_avx512(queries, nq, m, rows, dims, out);
        return;
    case ZV_KERN_AVX2:
        zv_dot_tile_avx2(queries, nq, m, rows, dims, out);
        return;
    }
#endif
    zv_dot_tile_portable(queries, nq, m, rows, dims, out);
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

int zv_kern_threads(void) {
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
    if (zv_kern_select() >= ZV_KERN_AVX2) {
        zv_check_values_avx2(v, n, non_finite, nonzero);
        return;
    }
#endif
    zv_check_values_portable(v, n, non_finite, nonzero);
}

const char *zv_kern_name(void) {
    static const char *const names[] = {"portable", "avx2-fma", "avx512f"};
    return names[zv_kern_select()];
}

/* ---- row statistics for the matrix cache (vector_cache.c) ----
 * sumsq[r] is zv_exact_sumsq of row r, bit for bit: lanes hold different rows
 * and each lane adds its row's squares in index order; a float squared is
 * exact in double, so a fused multiply-add rounds once, like the plain sum.
 * maxbits[r] is the largest (bits & 0x7fffffff) over the row: the bits of
 * max |v| for finite rows. */

static uint32_t zv_abs_bits(float v) {
    uint32_t bits;
    memcpy(&bits, &v, 4);
    return bits & 0x7fffffffu;
}

static void zv_row_stats_portable(const float *m, size_t rows, size_t dims, double *sumsq, uint32_t *maxbits) {
    size_t r = 0, i;
    for (; r + 4 <= rows; r += 4) { /* four rows at a time: four independent sums */
        const float *v0 = m + r * dims, *v1 = v0 + dims, *v2 = v1 + dims, *v3 = v2 + dims;
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        uint32_t b0 = 0, b1 = 0, b2 = 0, b3 = 0;
        for (i = 0; i < dims; i++) {
            uint32_t a0 = zv_abs_bits(v0[i]), a1 = zv_abs_bits(v1[i]), a2 = zv_abs_bits(v2[i]), a3 = zv_abs_bits(v3[i]);
            s0 += (double)v0[i] * (double)v0[i];
            s1 += (double)v1[i] * (double)v1[i];
            s2 += (double)v2[i] * (double)v2[i];
            s3 += (double)v3[i] * (double)v3[i];
            b0 = a0 > b0 ? a0 : b0;
            b1 = a1 > b1 ? a1 : b1;
            b2 = a2 > b2 ? a2 : b2;
            b3 = a3 > b3 ? a3 : b3;
        }
        sumsq[r] = s0;
        sumsq[r + 1] = s1;
        sumsq[r + 2] = s2;
        sumsq[r + 3] = s3;
        maxbits[r] = b0;
        maxbits[r + 1] = b1;
        maxbits[r + 2] = b2;
        maxbits[r + 3] = b3;
    }
    for (; r < rows; r++) {
        uint32_t b = 0;
        for (i = 0; i < dims; i++) {
            uint32_t a = zv_abs_bits(m[r * dims + i]);
            b = a > b ? a : b;
        }
        sumsq[r] = zv_exact_sumsq(m + r * dims, dims);
        maxbits[r] = b;
    }
}

#if ZV_HAVE_X86
/* Eight rows: 8x8 blocks are transposed so that one vector holds element i of
 * the eight rows; two accumulators of four doubles take rows 0-3 and 4-7. */
__attribute__((target("avx2,fma"))) static void zv_row_stats8_avx2(const float *m, size_t dims, double *sumsq,
                                                                   uint32_t *maxbits) {
    const __m256i abs_mask = _mm256_set1_epi32(0x7fffffff);
    __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd();
    __m256i mx = _mm256_setzero_si256();
    double s[8];
    uint32_t b[8];
    size_t i = 0, r, j;
    for (; i + 8 <= dims; i += 8) {
        __m256 c[8], t[8];
        for (r = 0; r < 8; r++) c[r] = _mm256_loadu_ps(m + r * dims + i);
        t[0] = _mm256_unpacklo_ps(c[0], c[1]);
        t[1] = _mm256_unpackhi_ps(c[0], c[1]);
        t[2] = _mm256_unpacklo_ps(c[2], c[3]);
        t[3] = _mm256_unpackhi_ps(c[2], c[3]);
        t[4] = _mm256_unpacklo_ps(c[4], c[5]);
        t[5] = _mm256_unpackhi_ps(c[4], c[5]);
        t[6] = _mm256_unpacklo_ps(c[6], c[7]);
        t[7] = _mm256_unpackhi_ps(c[6], c[7]);
        c[0] = _mm256_shuffle_ps(t[0], t[2], 0x44);
        c[1] = _mm256_shuffle_ps(t[0], t[2], 0xee);
        c[2] = _mm256_shuffle_ps(t[1], t[3], 0x44);
        c[3] = _mm256_shuffle_ps(t[1], t[3], 0xee);
        c[4] = _mm256_shuffle_ps(t[4], t[6], 0x44);
        c[5] = _mm256_shuffle_ps(t[4], t[6], 0xee);
        c[6] = _mm256_shuffle_ps(t[5], t[7], 0x44);
        c[7] = _mm256_shuffle_ps(t[5], t[7], 0xee);
        /* c[k] (k < 4): elements i + k and i + k + 4 of rows 0-3, in its two
         * halves; c[k + 4]: the same elements of rows 4-7. */
        t[0] = _mm256_permute2f128_ps(c[0], c[4], 0x20);
        t[1] = _mm256_permute2f128_ps(c[1], c[5], 0x20);
        t[2] = _mm256_permute2f128_ps(c[2], c[6], 0x20);
        t[3] = _mm256_permute2f128_ps(c[3], c[7], 0x20);
        t[4] = _mm256_permute2f128_ps(c[0], c[4], 0x31);
        t[5] = _mm256_permute2f128_ps(c[1], c[5], 0x31);
        t[6] = _mm256_permute2f128_ps(c[2], c[6], 0x31);
        t[7] = _mm256_permute2f128_ps(c[3], c[7], 0x31);
        for (j = 0; j < 8; j++) { /* t[j]: element i + j of rows 0..7 */
            __m256d a = _mm256_cvtps_pd(_mm256_castps256_ps128(t[j]));
            __m256d d = _mm256_cvtps_pd(_mm256_extractf128_ps(t[j], 1));
            lo = _mm256_fmadd_pd(a, a, lo);
            hi = _mm256_fmadd_pd(d, d, hi);
            mx = _mm256_max_epu32(mx, _mm256_and_si256(_mm256_castps_si256(t[j]), abs_mask));
        }
    }
    _mm256_storeu_pd(s, lo);
    _mm256_storeu_pd(s + 4, hi);
    _mm256_storeu_si256((__m256i *)(void *)b, mx);
    for (r = 0; r < 8; r++) { /* the last dims % 8 elements, still in index order */
        for (j = i; j < dims; j++) {
            float v = m[r * dims + j];
            uint32_t a = zv_abs_bits(v);
            b[r] = a > b[r] ? a : b[r];
            s[r] += (double)v * (double)v;
        }
        sumsq[r] = s[r];
        maxbits[r] = b[r];
    }
}
#endif

void zv_kern_row_stats(const float *m, size_t rows, size_t dims, double *sumsq, uint32_t *maxbits) {
    size_t r = 0;
#if ZV_HAVE_X86
    if (zv_kern_select() >= ZV_KERN_AVX2) {
        for (; r + 8 <= rows; r += 8) zv_row_stats8_avx2(m + r * dims, dims, sumsq + r, maxbits + r);
    }
#endif
    zv_row_stats_portable(m + r * dims, rows - r, dims, sumsq + r, maxbits + r);
}
