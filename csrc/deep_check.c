/*
 * deep_check.c - the fast path of zova.diagnostics' deep check (cli-and-bindings
 * 1.6): for each object, one pass over its manifest rows joined with their
 * chunk rows that applies every manifest rule, re-hashes every chunk and
 * re-hashes the whole object, without materialising it. The chunk hash and the
 * object hash are computed together, two SHA-256 streams interleaved block by
 * block on the SHA extensions, so the second hash costs little extra time.
 * Objects that fail any rule are reported back and re-walked in Python, which
 * describes the problem.
 */
#include "zova_internal.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ZV_DEEP_X86 1
#endif

#ifdef ZV_DEEP_X86
static const uint32_t zv_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ZV_X2_ROUNDS(wa, wb, g)                                                      \
    do {                                                                             \
        __m128i k = _mm_loadu_si128((const __m128i *)&zv_k[4 * (g)]);                \
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
        for (g = 0; g < 4; g++) {
            wa[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(da + 16 * g)), byteswap);
            wb[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(db + 16 * g)), byteswap);
            ZV_X2_ROUNDS(wa[g], wb[g], g);
        }
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
static void zv_sha256_dual(zv_sha256_ctx *object, const uint8_t *data, size_t len, uint8_t chunk_digest[32]) {
    zv_sha256_ctx chunk;
    zv_sha256_init(&chunk);
#ifdef ZV_DEEP_X86
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

static const char *const ZV_DEEP_HEAD_SQL =
    "select size_bytes, chunk_count, chunker from _zova_objects where object_id = ?1";
static const char *const ZV_DEEP_MANIFEST_SQL =
    "select m.chunk_index, m.chunk_hash, m.offset, m.size_bytes, c.size_bytes, c.data "
    "from _zova_object_chunks m left join _zova_chunks c on c.chunk_hash = m.chunk_hash "
    "where m.object_id = ?1 order by m.chunk_index";

static int zv_deep_int(sqlite3_stmt *stmt, int column, int64_t *out) {
    if (sqlite3_column_type(stmt, column) != SQLITE_INTEGER) return 0;
    *out = sqlite3_column_int64(stmt, column);
    return 1;
}

/* 1 healthy, 0 not, or -(sqlite rc) on an SQLite failure. */
static int zv_deep_check_one(sqlite3_stmt *head, sqlite3_stmt *manifest, const uint8_t id[32], int64_t *chunks) {
    static const uint8_t empty_id[32] = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
                                         0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
                                         0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
    int64_t size = 0, count = 0, position = 0, total = 0;
    const unsigned char *chunker;
    zv_sha256_ctx object_hash;
    uint8_t digest[32];
    int rc, healthy = 1;
    sqlite3_reset(head);
    sqlite3_bind_blob(head, 1, id, 32, SQLITE_STATIC);
    rc = sqlite3_step(head);
    if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? 0 : -rc;
    chunker = sqlite3_column_text(head, 2);
    if (!zv_deep_int(head, 0, &size) || !zv_deep_int(head, 1, &count) || size < 0 || count < 0 || count > size ||
        !chunker || strcmp((const char *)chunker, "fastcdc-v1") != 0) {
        healthy = count == 0 && size == 0 && chunker && strcmp((const char *)chunker, "fastcdc-v1") == 0;
    }
    sqlite3_reset(head);
    if (!healthy) return 0;
    if (count == 0) return memcmp(id, empty_id, 32) == 0;
    zv_sha256_init(&object_hash);
    sqlite3_reset(manifest);
    sqlite3_bind_blob(manifest, 1, id, 32, SQLITE_STATIC);
    while ((rc = sqlite3_step(manifest)) == SQLITE_ROW) {
        int64_t index, offset, entry_size, stored_size;
        const uint8_t *hash = (const uint8_t *)sqlite3_column_blob(manifest, 1);
        const uint8_t *data;
        if (!zv_deep_int(manifest, 0, &index) || index != position || !hash ||
            sqlite3_column_bytes(manifest, 1) != 32 || !zv_deep_int(manifest, 2, &offset) || offset != total ||
            !zv_deep_int(manifest, 3, &entry_size) || entry_size <= 0 || entry_size > ZV_CHUNK_MAX ||
            total + entry_size > size || !zv_deep_int(manifest, 4, &stored_size) || stored_size != entry_size ||
            sqlite3_column_type(manifest, 5) != SQLITE_BLOB) {
            healthy = 0;
            break;
        }
        {
            uint8_t chunk_hash[32];
            memcpy(chunk_hash, hash, 32);
            data = (const uint8_t *)sqlite3_column_blob(manifest, 5);
            if (!data || sqlite3_column_bytes(manifest, 5) != entry_size) {
                healthy = 0;
                break;
            }
            if (count > 1) zv_sha256_dual(&object_hash, data, (size_t)entry_size, digest);
            else zv_sha256(data, (size_t)entry_size, digest);
            if (memcmp(digest, chunk_hash, 32) != 0) {
                healthy = 0;
                break;
            }
        }
        position++;
        total += entry_size;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        sqlite3_reset(manifest);
        return -rc;
    }
    sqlite3_reset(manifest);
    if (!healthy || position != count || total != size) return 0;
    *chunks = position;
    if (count == 1) {
        /* One chunk covering the whole object: its verified hash is the object hash. */
        return memcmp(digest, id, 32) == 0;
    }
    zv_sha256_final(&object_hash, digest);
    return memcmp(digest, id, 32) == 0;
}

zova_status zv_deep_check_objects(zova_database *db, const uint8_t *ids, size_t n, uint8_t *out_ok,
                                  int64_t *out_chunks) {
    sqlite3_stmt *head = NULL, *manifest = NULL;
    zova_status status = ZOVA_OK;
    size_t i;
    int rc = sqlite3_prepare_v2(db->sql, ZV_DEEP_HEAD_SQL, -1, &head, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db->sql, ZV_DEEP_MANIFEST_SQL, -1, &manifest, NULL);
    if (rc != SQLITE_OK) status = zv_sqlite_fail(db, rc);
    for (i = 0; status == ZOVA_OK && i < n; i++) {
        int64_t chunks = 0;
        int result = zv_deep_check_one(head, manifest, ids + 32 * i, &chunks);
        if (result < 0) {
            status = zv_sqlite_fail(db, -result);
            break;
        }
        out_ok[i] = (uint8_t)result;
        out_chunks[i] = result ? chunks : 0;
    }
    sqlite3_finalize(head);
    sqlite3_finalize(manifest);
    return status;
}
