/*
 * sha256.c - SHA-256 (FIPS 180-4) for object and chunk ids (docs/file-format.md §3).
 * A portable C implementation, and one using the x86 SHA extensions (SHA-NI),
 * chosen once at run time with cpuid. Both process whole 64-byte blocks; the
 * streaming context (init/update/final) is shared. The SHA-NI round loops are
 * unrolled (pragma): at -O2 the message words otherwise live in memory, which
 * costs a fifth of the single-stream speed and most of what running two
 * streams together gains.
 */
#include "zova_internal.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define ZV_SHA_X86 1
#endif

static const uint32_t zv_sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ZV_ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void zv_sha256_blocks_portable(uint32_t state[8], const uint8_t *data, size_t blocks) {
    uint32_t w[64];
    while (blocks--) {
        uint32_t a, b, c, d, e, f, g, h;
        int i;
        for (i = 0; i < 16; i++) {
            w[i] = (uint32_t)data[4 * i] << 24 | (uint32_t)data[4 * i + 1] << 16 | (uint32_t)data[4 * i + 2] << 8 |
                   (uint32_t)data[4 * i + 3];
        }
        for (i = 16; i < 64; i++) {
            uint32_t s0 = ZV_ROTR(w[i - 15], 7) ^ ZV_ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = ZV_ROTR(w[i - 2], 17) ^ ZV_ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        a = state[0], b = state[1], c = state[2], d = state[3];
        e = state[4], f = state[5], g = state[6], h = state[7];
        for (i = 0; i < 64; i++) {
            uint32_t t1 = h + (ZV_ROTR(e, 6) ^ ZV_ROTR(e, 11) ^ ZV_ROTR(e, 25)) + ((e & f) ^ (~e & g)) +
                          zv_sha256_k[i] + w[i];
            uint32_t t2 = (ZV_ROTR(a, 2) ^ ZV_ROTR(a, 13) ^ ZV_ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
        }
        state[0] += a, state[1] += b, state[2] += c, state[3] += d;
        state[4] += e, state[5] += f, state[6] += g, state[7] += h;
        data += 64;
    }
}

#ifdef ZV_SHA_X86
/* Four rounds: message words w (already big-endian loaded) plus constants k[4g..4g+3]. */
#define ZV_SHANI_ROUNDS(w, g)                                                             \
    do {                                                                                  \
        __m128i m = _mm_add_epi32((w), _mm_loadu_si128((const __m128i *)&zv_sha256_k[4 * (g)])); \
        state1 = _mm_sha256rnds2_epu32(state1, state0, m);                                \
        state0 = _mm_sha256rnds2_epu32(state0, state1, _mm_shuffle_epi32(m, 0x0E));        \
    } while (0)

__attribute__((target("sha,sse4.1"))) static void zv_sha256_blocks_shani(uint32_t state[8], const uint8_t *data,
                                                                        size_t blocks) {
    const __m128i byteswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i tmp = _mm_loadu_si128((const __m128i *)&state[0]);
    __m128i state1 = _mm_loadu_si128((const __m128i *)&state[4]);
    __m128i state0;
    tmp = _mm_shuffle_epi32(tmp, 0xB1);          /* CDAB */
    state1 = _mm_shuffle_epi32(state1, 0x1B);    /* EFGH */
    state0 = _mm_alignr_epi8(tmp, state1, 8);    /* ABEF */
    state1 = _mm_blend_epi16(state1, tmp, 0xF0); /* CDGH */

    while (blocks--) {
        __m128i abef = state0, cdgh = state1;
        __m128i w[4];
        int g;
#pragma GCC unroll 4
        for (g = 0; g < 4; g++) {
            w[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * g)), byteswap);
            ZV_SHANI_ROUNDS(w[g], g);
        }
#pragma GCC unroll 12
        for (g = 4; g < 16; g++) {
            __m128i next = _mm_sha256msg1_epu32(w[g & 3], w[(g + 1) & 3]);
            next = _mm_add_epi32(next, _mm_alignr_epi8(w[(g + 3) & 3], w[(g + 2) & 3], 4));
            w[g & 3] = _mm_sha256msg2_epu32(next, w[(g + 3) & 3]);
            ZV_SHANI_ROUNDS(w[g & 3], g);
        }
        state0 = _mm_add_epi32(state0, abef);
        state1 = _mm_add_epi32(state1, cdgh);
        data += 64;
    }

    tmp = _mm_shuffle_epi32(state0, 0x1B);       /* FEBA */
    state1 = _mm_shuffle_epi32(state1, 0xB1);    /* DCHG */
    state0 = _mm_blend_epi16(tmp, state1, 0xF0); /* DCBA */
    state1 = _mm_alignr_epi8(state1, tmp, 8);    /* HGFE */
    _mm_storeu_si128((__m128i *)&state[0], state0);
    _mm_storeu_si128((__m128i *)&state[4], state1);
}

static int zv_cpu_has_sha(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    if (!(ebx & (1u << 29))) return 0; /* SHA */
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx & (1u << 19)) && (ecx & (1u << 9)); /* SSE4.1, SSSE3 */
}
#endif

typedef void (*zv_sha256_blocks_fn)(uint32_t state[8], const uint8_t *data, size_t blocks);

static zv_sha256_blocks_fn zv_sha256_blocks_impl;
static pthread_once_t zv_sha256_once = PTHREAD_ONCE_INIT;

/* ZOVA_SHA256_PORTABLE=1 in the environment forces the portable code (tests
 * compare both paths). */
static void zv_sha256_choose(void) {
    const char *portable = getenv("ZOVA_SHA256_PORTABLE");
    zv_sha256_blocks_impl = zv_sha256_blocks_portable;
    if (portable && strcmp(portable, "1") == 0) return;
#ifdef ZV_SHA_X86
    if (zv_cpu_has_sha()) zv_sha256_blocks_impl = zv_sha256_blocks_shani;
#endif
}

static void zv_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    pthread_once(&zv_sha256_once, zv_sha256_choose);
    zv_sha256_blocks_impl(state, data, blocks);
}

int zv_sha256_accelerated(void) {
    pthread_once(&zv_sha256_once, zv_sha256_choose);
    return zv_sha256_blocks_impl != zv_sha256_blocks_portable;
}

void zv_sha256_init(zv_sha256_ctx *ctx) {
    static const uint32_t initial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(ctx->state, initial, sizeof(initial));
    ctx->total = 0;
    ctx->pending = 0;
}

void zv_sha256_update(zv_sha256_ctx *ctx, const uint8_t *data, size_t len) {
    if (len == 0) return;
    ctx->total += len;
    if (ctx->pending) {
        size_t take = 64 - ctx->pending;
        if (take > len) take = len;
        memcpy(ctx->block + ctx->pending, data, take);
        ctx->pending += take;
        data += take;
        len -= take;
        if (ctx->pending < 64) return;
        zv_sha256_blocks(ctx->state, ctx->block, 1);
        ctx->pending = 0;
    }
    if (len >= 64) {
        zv_sha256_blocks(ctx->state, data, len / 64);
        data += len & ~(size_t)63;
        len &= 63;
    }
    if (len) {
        memcpy(ctx->block, data, len);
        ctx->pending = len;
    }
}

void zv_sha256_final(zv_sha256_ctx *ctx, uint8_t out[32]) {
    uint64_t bits = ctx->total * 8;
    size_t pad_len = ctx->pending < 56 ? 56 - ctx->pending : 120 - ctx->pending;
    uint8_t pad[128];
    int i;
    memset(pad, 0, sizeof(pad));
    pad[0] = 0x80;
    for (i = 0; i < 8; i++) pad[pad_len + i] = (uint8_t)(bits >> (56 - 8 * i));
    zv_sha256_update(ctx, pad, pad_len + 8);
    for (i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(ctx->state[i] >> 24);
        out[4 * i + 1] = (uint8_t)(ctx->state[i] >> 16);
        out[4 * i + 2] = (uint8_t)(ctx->state[i] >> 8);
        out[4 * i + 3] = (uint8_t)ctx->state[i];
    }
}

void zv_sha256(const uint8_t *data, size_t len, uint8_t out[32]) {
    zv_sha256_ctx ctx;
    zv_sha256_init(&ctx);
    zv_sha256_update(&ctx, data, len);
    zv_sha256_final(&ctx, out);
}

#ifdef ZV_SHA_X86
#define ZV_X2_ROUNDS(wa, wb, g)                                                      \
    do {                                                                             \
        __m128i k = _mm_loadu_si128((const __m128i *)&zv_sha256_k[4 * (g)]);         \
        __m128i ma = _mm_add_epi32((wa), k), mb = _mm_add_epi32((wb), k);            \
        a1 = _mm_sha256rnds2_epu32(a1, a0, ma);                                      \
        b1 = _mm_sha256rnds2_epu32(b1, b0, mb);                                      \
        a0 = _mm_sha256rnds2_epu32(a0, a1, _mm_shuffle_epi32(ma, 0x0E));             \
        b0 = _mm_sha256rnds2_epu32(b0, b1, _mm_shuffle_epi32(mb, 0x0E));             \
    } while (0)

#define ZV_X2_SCHEDULE(w, g)                                                         \
    do {                                                                             \
        __m128i next = _mm_sha256msg1_epu32(w[(g) & 3], w[((g) + 1) & 3]);            \
        next = _mm_add_epi32(next, _mm_alignr_epi8(w[((g) + 3) & 3], w[((g) + 2) & 3], 4)); \
        w[(g) & 3] = _mm_sha256msg2_epu32(next, w[((g) + 3) & 3]);                   \
    } while (0)

/* Two independent SHA-256 block streams in lockstep: the SHA round
 * instruction's latency is hidden by alternating between them. */
__attribute__((target("sha,sse4.1"))) static void zv_sha256_x2_blocks(uint32_t sa[8], const uint8_t *da,
                                                                     uint32_t sb[8], const uint8_t *db,
                                                                     size_t blocks) {
    const __m128i byteswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i a0, a1, b0, b1, t;
    t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&sa[0]), 0xB1);
    a1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&sa[4]), 0x1B);
    a0 = _mm_alignr_epi8(t, a1, 8);
    a1 = _mm_blend_epi16(a1, t, 0xF0);
    t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&sb[0]), 0xB1);
    b1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&sb[4]), 0x1B);
    b0 = _mm_alignr_epi8(t, b1, 8);
    b1 = _mm_blend_epi16(b1, t, 0xF0);
    while (blocks--) {
        __m128i sa0 = a0, sa1 = a1, sb0 = b0, sb1 = b1;
        __m128i wa[4], wb[4];
        int g;
#pragma GCC unroll 4
        for (g = 0; g < 4; g++) {
            wa[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(da + 16 * g)), byteswap);
            wb[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(db + 16 * g)), byteswap);
            ZV_X2_ROUNDS(wa[g], wb[g], g);
        }
#pragma GCC unroll 12
        for (g = 4; g < 16; g++) {
            ZV_X2_SCHEDULE(wa, g);
            ZV_X2_SCHEDULE(wb, g);
            ZV_X2_ROUNDS(wa[g & 3], wb[g & 3], g);
        }
        a0 = _mm_add_epi32(a0, sa0);
        a1 = _mm_add_epi32(a1, sa1);
        b0 = _mm_add_epi32(b0, sb0);
        b1 = _mm_add_epi32(b1, sb1);
        da += 64;
        db += 64;
    }
    t = _mm_shuffle_epi32(a0, 0x1B);
    a1 = _mm_shuffle_epi32(a1, 0xB1);
    _mm_storeu_si128((__m128i *)&sa[0], _mm_blend_epi16(t, a1, 0xF0));
    _mm_storeu_si128((__m128i *)&sa[4], _mm_alignr_epi8(a1, t, 8));
    t = _mm_shuffle_epi32(b0, 0x1B);
    b1 = _mm_shuffle_epi32(b1, 0xB1);
    _mm_storeu_si128((__m128i *)&sb[0], _mm_blend_epi16(t, b1, 0xF0));
    _mm_storeu_si128((__m128i *)&sb[4], _mm_alignr_epi8(b1, t, 8));
}
#endif

/* chunk_digest = SHA-256(data), and data appended to the object stream. */
void zv_sha256_dual(zv_sha256_ctx *object, const uint8_t *data, size_t len, uint8_t chunk_digest[32]) {
    zv_sha256_ctx chunk;
    zv_sha256_init(&chunk);
#ifdef ZV_SHA_X86
    if (zv_sha256_accelerated() && len >= 128) {
        /* Complete the object's pending block, then run both streams on whole
         * blocks together; the tails go through the ordinary update. */
        size_t lead = object->pending ? 64 - object->pending : 0;
        size_t blocks_chunk = len / 64, blocks_object = (len - lead) / 64;
        size_t both = blocks_chunk < blocks_object ? blocks_chunk : blocks_object;
        if (lead) zv_sha256_update(object, data, lead);
        zv_sha256_x2_blocks(chunk.state, data, object->state, data + lead, both);
        chunk.total = 64 * (uint64_t)both;
        object->total += 64 * (uint64_t)both;
        zv_sha256_update(&chunk, data + 64 * both, len - 64 * both);
        zv_sha256_update(object, data + lead + 64 * both, len - lead - 64 * both);
        zv_sha256_final(&chunk, chunk_digest);
        return;
    }
#endif
    zv_sha256_update(&chunk, data, len);
    zv_sha256_final(&chunk, chunk_digest);
    zv_sha256_update(object, data, len);
}

/* docs/c-api.md §4.8: the two id helpers (pure, no handle, no lock). */

zova_status zova_object_id_from_bytes(const uint8_t *data, size_t len, zova_object_id *out_id) {
    if (!out_id || (!data && len > 0)) return ZOVA_INVALID_ARGUMENT;
    zv_sha256(data, len, out_id->bytes);
    return ZOVA_OK;
}

zova_status zova_object_chunk_id_from_bytes(const uint8_t *data, size_t len, zova_object_chunk_id *out_id) {
    if (!out_id || (!data && len > 0)) return ZOVA_INVALID_ARGUMENT;
    zv_sha256(data, len, out_id->bytes);
    return ZOVA_OK;
}
