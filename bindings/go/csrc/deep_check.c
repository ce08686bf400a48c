/*
 * deep_check.c - the fast path of zova.diagnostics' deep check (docs/cli.md
 * §1.6): for each object, one pass over its manifest rows joined with their
 * chunk rows that applies every manifest rule, re-hashes every chunk and
 * re-hashes the whole object, without materialising it. The chunk hash and the
 * object hash are computed together (zv_sha256_dual), so the second hash costs
 * little extra time.
 * Objects that fail any rule are reported back and re-walked in Python, which
 * describes the problem.
 * Cancellation (cancel.c): the calling thread's token is checked before each
 * object and each chunk (the statements also have the progress handler); an
 * interrupted check fails as ZOVA_SQLITE_ERROR "interrupted".
 */
#include "zova_internal.h"

#include <string.h>

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
        if (zv_cancel_point()) {
            rc = SQLITE_INTERRUPT;
            break;
        }
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
        int result = zv_cancel_point() ? -SQLITE_INTERRUPT : zv_deep_check_one(head, manifest, ids + 32 * i, &chunks);
        if (result < 0) {
            status = result == -SQLITE_INTERRUPT && zv_cancel_requested()
                         ? zv_fail_message(db, ZOVA_SQLITE_ERROR, ZV_INTERRUPTED)
                         : zv_sqlite_fail(db, -result);
            break;
        }
        out_ok[i] = (uint8_t)result;
        out_chunks[i] = result ? chunks : 0;
    }
    sqlite3_finalize(head);
    sqlite3_finalize(manifest);
    return status;
}
