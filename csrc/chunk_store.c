/*
 * chunk_store.c - chunk rows (docs/file-format.md §2-§3): storing a chunk
 * whose hash the caller computed (repairing a damaged row when asked),
 * looking one up with its bytes verified against its hash, checking a stored
 * chunk's size, and deleting a loose chunk. The bottom of the object code:
 * objects.c, object_read.c, object_writer.c and chunk_pipeline.c call it, it
 * calls only SQLite (through database.c's statement cache), so a put's data
 * flows one way, objects.c -> chunk_pipeline.c -> chunk_store.c.
 */
#include "zova_internal.h"

#include <string.h>

static const char SQL_CHUNK_ROW[] = "select size_bytes, data from _zova_chunks where chunk_hash = ?1";
static const char SQL_CHUNK_SIZE[] = "select size_bytes from _zova_chunks where chunk_hash = ?1";
static const char SQL_CHUNK_INSERT_OR_IGNORE[] =
    "insert or ignore into _zova_chunks(chunk_hash, size_bytes, data) values (?1, ?2, ?3)";
static const char SQL_CHUNK_REPAIR[] = "update _zova_chunks set size_bytes = ?2, data = ?3 where chunk_hash = ?1";
static const char SQL_CHUNK_DELETE_IF_LOOSE[] =
    "delete from _zova_chunks where chunk_hash = ?1 and not exists "
    "(select 1 from _zova_object_chunks where chunk_hash = ?1)";

zova_status zv_step_done(zova_database *db, sqlite3_stmt *stmt) {
    int rc = sqlite3_step(stmt);
    zova_status status = rc == SQLITE_DONE ? ZOVA_OK : zv_sqlite_fail(db, rc);
    zv_stmt_release(stmt);
    return status;
}

int zv_chunk_bytes_match(const uint8_t hash[32], const uint8_t *data, size_t len) {
    uint8_t digest[32];
    zv_sha256(data, len, digest);
    return memcmp(digest, hash, 32) == 0;
}

zova_status zv_chunk_row(zova_database *db, const uint8_t hash[32], sqlite3_stmt **out_stmt, int64_t *out_size) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt = zv_stmt(db, SQL_CHUNK_ROW, &status);
    int rc;
    if (!stmt) return status;
    sqlite3_bind_blob(stmt, 1, hash, 32, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        status = ZOVA_OBJECT_CHUNK_NOT_FOUND;
    } else if (rc != SQLITE_ROW) {
        status = zv_sqlite_fail(db, rc);
    } else {
        int64_t size = sqlite3_column_int64(stmt, 0);
        const uint8_t *data;
        if (sqlite3_column_type(stmt, 0) != SQLITE_INTEGER || size <= 0 || size > ZV_CHUNK_MAX ||
            sqlite3_column_type(stmt, 1) != SQLITE_BLOB) {
            status = ZOVA_OBJECT_CORRUPT;
        } else {
            data = (const uint8_t *)sqlite3_column_blob(stmt, 1);
            if (!data && sqlite3_errcode(db->sql) == SQLITE_NOMEM) status = ZOVA_OUT_OF_MEMORY;
            else if (!data || sqlite3_column_bytes(stmt, 1) != size) status = ZOVA_OBJECT_CORRUPT;
            else if (!zv_chunk_bytes_match(hash, data, (size_t)size)) status = ZOVA_OBJECT_CORRUPT;
        }
        if (status == ZOVA_OK) {
            *out_stmt = stmt;
            *out_size = size;
            return ZOVA_OK;
        }
    }
    zv_stmt_release(stmt);
    return status;
}

zova_status zv_chunk_size_is(zova_database *db, const uint8_t hash[32], uint64_t size) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt = zv_stmt(db, SQL_CHUNK_SIZE, &status);
    int rc;
    if (!stmt) return status;
    sqlite3_bind_blob(stmt, 1, hash, 32, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) status = ZOVA_OBJECT_CHUNK_NOT_FOUND;
    else if (rc != SQLITE_ROW) status = zv_sqlite_fail(db, rc);
    else if (sqlite3_column_int64(stmt, 0) != (int64_t)size) status = ZOVA_OBJECT_CORRUPT;
    zv_stmt_release(stmt);
    return status;
}

zova_status zv_chunk_store(zova_database *db, const uint8_t hash[32], const uint8_t *data, size_t len, int repair,
                           int *out_fresh) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt = zv_stmt(db, SQL_CHUNK_INSERT_OR_IGNORE, &status);
    sqlite3_stmt *existing = NULL;
    int64_t existing_size;
    if (!stmt) return status;
    sqlite3_bind_blob(stmt, 1, hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)len);
    sqlite3_bind_blob(stmt, 3, data, (int)len, SQLITE_STATIC);
    status = zv_step_done(db, stmt);
    if (status != ZOVA_OK) return status;
    *out_fresh = sqlite3_changes(db->sql) > 0;
    if (*out_fresh) return ZOVA_OK;
    status = zv_chunk_row(db, hash, &existing, &existing_size);
    if (status == ZOVA_OK) {
        zv_stmt_release(existing);
        return ZOVA_OK;
    }
    if (status != ZOVA_OBJECT_CORRUPT || !repair) return status;
    stmt = zv_stmt(db, SQL_CHUNK_REPAIR, &status);
    if (!stmt) return status;
    sqlite3_bind_blob(stmt, 1, hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)len);
    sqlite3_bind_blob(stmt, 3, data, (int)len, SQLITE_STATIC);
    return zv_step_done(db, stmt);
}

zova_status zv_chunk_store_entry(zova_database *db, const uint8_t hash[32], const uint8_t *data, size_t len,
                                 int repair, zv_spool *entries) {
    zv_manifest_entry entry;
    int fresh = 0;
    zova_status status = zv_chunk_store(db, hash, data, len, repair, &fresh);
    if (status != ZOVA_OK) return status;
    memset(&entry, 0, sizeof(entry));
    memcpy(entry.hash, hash, 32);
    entry.size = (uint32_t)len;
    entry.fresh = (uint32_t)fresh;
    return zv_spool_append(entries, &entry, sizeof(entry));
}

zova_status zv_chunk_delete_if_loose(zova_database *db, const uint8_t hash[32], int *out_deleted) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt = zv_stmt(db, SQL_CHUNK_DELETE_IF_LOOSE, &status);
    if (!stmt) return status;
    sqlite3_bind_blob(stmt, 1, hash, 32, SQLITE_STATIC);
    status = zv_step_done(db, stmt);
    if (status == ZOVA_OK) *out_deleted = sqlite3_changes(db->sql) > 0;
    return status;
}
