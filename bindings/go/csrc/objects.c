/*
 * objects.c - content-addressed objects (docs/file-format.md §3, docs/c-api.md §4.9, §7.6): the
 * object ABI functions -- put (one and many), get and range reads (verified
 * by object_read.c), manifests, delete with chunk reference cleanup, loose
 * chunk get/put/delete and assembly from stored chunks -- and the object and
 * manifest rows. Objects of 1 MiB or more are cut, hashed and stored through
 * the chunk pipeline (chunk_pipeline.c); chunk rows are chunk_store.c's.
 */
#include "zova_internal.h"

#include <stdlib.h>
#include <string.h>

static const char SQL_OBJECT_ROW[] =
    "select size_bytes, chunk_count, chunker from _zova_objects where object_id = ?1";
static const char SQL_OBJECT_EXISTS[] = "select 1 from _zova_objects where object_id = ?1";
static const char SQL_OBJECT_INSERT[] =
    "insert into _zova_objects(object_id, size_bytes, chunk_count, chunker) values (?1, ?2, ?3, 'fastcdc-v1')";
static const char SQL_MANIFEST_INSERT[] =
    "insert into _zova_object_chunks(object_id, chunk_index, chunk_hash, offset, size_bytes) values (?1, ?2, ?3, ?4, ?5)";
/* Manifest rows in order with the stored chunk's size (NULL when the chunk row is missing). */
static const char SQL_MANIFEST_ROWS[] =
    "select m.chunk_index, m.chunk_hash, m.offset, m.size_bytes, c.size_bytes from _zova_object_chunks m "
    "left join _zova_chunks c on c.chunk_hash = m.chunk_hash where m.object_id = ?1 order by m.chunk_index";
static const char SQL_OBJECT_DELETE_CHUNKS[] =
    "delete from _zova_chunks where chunk_hash in (select chunk_hash from _zova_object_chunks where object_id = ?1) "
    "and chunk_hash not in (select chunk_hash from _zova_object_chunks where object_id <> ?1)";
static const char SQL_OBJECT_DELETE_MANIFEST[] = "delete from _zova_object_chunks where object_id = ?1";
static const char SQL_OBJECT_DELETE_ROW[] = "delete from _zova_objects where object_id = ?1";

#define ZV_INT64_MAX_U ((uint64_t)INT64_MAX)

/* ---- small helpers ---- */

/* Ends an internal write transaction: commit on success, roll back otherwise. */
zova_status zv_finish_transaction(zova_database *db, zova_status status) {
    if (status == ZOVA_OK) {
        status = zv_commit(db);
        if (status == ZOVA_OK) return ZOVA_OK;
    }
    zv_rollback(db);
    return status;
}

/* ---- object rows ---- */

/* Loads and validates the object row (50 missing, 54 malformed). */
zova_status zv_object_meta(zova_database *db, const uint8_t id[32], uint64_t *out_size, uint64_t *out_count) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt = zv_stmt(db, SQL_OBJECT_ROW, &status);
    int rc;
    if (!stmt) return status;
    sqlite3_bind_blob(stmt, 1, id, 32, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) {
        status = ZOVA_OBJECT_NOT_FOUND;
    } else if (rc != SQLITE_ROW) {
        status = zv_sqlite_fail(db, rc);
    } else {
        const unsigned char *chunker = sqlite3_column_text(stmt, 2);
        if (sqlite3_column_type(stmt, 0) != SQLITE_INTEGER || sqlite3_column_type(stmt, 1) != SQLITE_INTEGER || sqlite3_column_int64(stmt, 0) < 0 ||
            sqlite3_column_int64(stmt, 1) < 0 || sqlite3_column_type(stmt, 2) != SQLITE_TEXT || !chunker ||
            strcmp((const char *)chunker, "fastcdc-v1") != 0) {
            status = ZOVA_OBJECT_CORRUPT;
        } else {
            *out_size = (uint64_t)sqlite3_column_int64(stmt, 0);
            *out_count = (uint64_t)sqlite3_column_int64(stmt, 1);
        }
    }
    zv_stmt_release(stmt);
    return status;
}

static zova_status zv_object_exists(zova_database *db, const uint8_t id[32], int *out_exists) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt = zv_stmt(db, SQL_OBJECT_EXISTS, &status);
    int rc;
    if (!stmt) return status;
    sqlite3_bind_blob(stmt, 1, id, 32, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) *out_exists = rc == SQLITE_ROW;
    else status = zv_sqlite_fail(db, rc);
    zv_stmt_release(stmt);
    return status;
}

/* Writes the object row and its manifest rows. */
zova_status zv_object_insert(zova_database *db, const uint8_t id[32], uint64_t size, uint64_t count,
                             zv_spool *entries) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt = zv_stmt(db, SQL_OBJECT_INSERT, &status);
    zv_spool_reader reader;
    uint64_t i, offset = 0;
    if (!stmt) return status;
    sqlite3_bind_blob(stmt, 1, id, 32, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, (sqlite3_int64)size);
    sqlite3_bind_int64(stmt, 3, (sqlite3_int64)count);
    status = zv_step_done(db, stmt);
    if (status != ZOVA_OK) return status;
    stmt = zv_stmt(db, SQL_MANIFEST_INSERT, &status);
    if (!stmt) return status;
    status = zv_spool_reader_open(&reader, entries);
    for (i = 0; i < count && status == ZOVA_OK; i++) {
        zv_manifest_entry entry;
        const uint8_t *record;
        if (!zv_spool_read(&reader, sizeof(entry), &record)) break;
        memcpy(&entry, record, sizeof(entry));
        sqlite3_bind_blob(stmt, 1, id, 32, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 2, (sqlite3_int64)i);
        sqlite3_bind_blob(stmt, 3, entry.hash, 32, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 4, (sqlite3_int64)offset);
        sqlite3_bind_int64(stmt, 5, (sqlite3_int64)entry.size);
        status = zv_step_done(db, stmt);
        offset += entry.size;
    }
    return zv_spool_reader_close(&reader, status);
}

/* ---- put ---- */

/* Chunks, stores and records one object (its id already computed)
 * inside the caller's transaction, on this thread; entries is an empty spool
 * to use, copy ZV_CHUNK_MAX bytes of scratch. Each chunk is copied before it
 * is hashed and stored, and the object is hashed again over the copies: when
 * another thread changed the caller's bytes since the id was computed, the
 * stored bytes would not hash to the id, and the put fails (53) instead. */
static zova_status zv_object_store(zova_database *db, const uint8_t id[32], const uint8_t *data, size_t len,
                                   zv_spool *entries, uint8_t *copy) {
    size_t count = 0, offset = 0;
    zova_status status = ZOVA_OK;
    zv_sha256_ctx stored;
    uint8_t digest[32], hash[32];
    zv_sha256_init(&stored);
    while (offset < len && status == ZOVA_OK) {
        size_t n = zv_fastcdc_cut(data + offset, len - offset);
        memcpy(copy, data + offset, n);
        if (n == len) zv_sha256(copy, n, hash); /* one chunk: its hash is the object's */
        else zv_sha256_dual(&stored, copy, n, hash);
        status = zv_chunk_store_entry(db, hash, copy, n, 1, entries);
        offset += n;
        count++;
    }
    if (status == ZOVA_OK) {
        if (count == 1) memcpy(digest, hash, 32);
        else zv_sha256_final(&stored, digest);
        if (memcmp(digest, id, 32) != 0)
            status = zv_fail_message(db, ZOVA_OBJECT_CHUNK_HASH_MISMATCH,
                                     "the object's bytes changed while they were stored; nothing was stored");
    }
    if (status == ZOVA_OK) status = zv_object_insert(db, id, (uint64_t)len, count, entries);
    zv_spool_truncate(entries, 0);
    return status;
}

/* Stores one object prepared by a zv_put_batch (its copy, chunks and id) inside
 * the caller's transaction; entries is an empty spool to use. */
static zova_status zv_prepared_store(zova_database *db, const zv_prepared *p, zv_spool *entries) {
    zova_status status = ZOVA_OK;
    size_t c, offset = 0;
    for (c = 0; c < p->chunks && status == ZOVA_OK; c++) {
        status = zv_chunk_store_entry(db, p->hashes[c], p->copy + offset, p->sizes[c], 1, entries);
        offset += p->sizes[c];
    }
    if (status == ZOVA_OK) status = zv_object_insert(db, p->id, (uint64_t)p->len, p->chunks, entries);
    zv_spool_truncate(entries, 0);
    return status;
}

/* Stores the objects in one BEGIN IMMEDIATE transaction and writes their ids
 * to ids. Objects of up to ZV_CHUNK_MAX bytes are copied, cut and hashed by a
 * zv_put_batch (on a second thread for a large batch) while this thread inserts;
 * a larger one is hashed here, then stored by zv_object_store. */
static zova_status zv_objects_put(zova_database *db, const uint8_t *const *data, const size_t *lens, size_t count,
                                  zova_object_id *ids) {
    zova_status status;
    zv_spool entries;
    size_t i;
    zv_put_batch *batch = zv_put_batch_new(data, lens, count);
    uint8_t *copy = batch ? (uint8_t *)malloc(ZV_CHUNK_MAX) : NULL;
    if (!copy) {
        zv_put_batch_free(batch);
        return ZOVA_OUT_OF_MEMORY;
    }
    status = zv_begin_immediate(db);
    zv_spool_init(&entries, db);
    for (i = 0; i < count && status == ZOVA_OK; i++) {
        const zv_prepared *p = zv_put_batch_next(batch);
        int exists = 0;
        if (p->copy) memcpy(ids[i].bytes, p->id, 32);
        else zv_sha256(data[i], lens[i], ids[i].bytes);
        status = zv_object_exists(db, ids[i].bytes, &exists);
        if (status == ZOVA_OK && !exists) {
            status = p->copy ? zv_prepared_store(db, p, &entries)
                             : zv_object_store(db, ids[i].bytes, data[i], lens[i], &entries, copy);
        }
        zv_put_batch_release(batch);
    }
    zv_spool_free(&entries);
    free(copy);
    zv_put_batch_free(batch);
    return zv_finish_transaction(db, status);
}

/* Objects this large go through the chunk pipeline: a second thread cuts
 * them and hashes the chunks and the id while this one inserts the chunks. */
#define ZV_PARALLEL_PUT_MIN (1u << 20)

static zova_status zv_object_put_parallel(zova_database *db, const uint8_t *data, size_t len, zova_object_id *out_id) {
    zv_sha256_ctx object_hash;
    zv_spool entries;
    uint64_t count = 0;
    int exists = 0;
    zova_status status = zv_begin_immediate(db);
    if (status != ZOVA_OK) return status;
    zv_spool_init(&entries, db);
    zv_sha256_init(&object_hash);
    status = zv_chunks_store_view(db, data, len, &object_hash, &entries, &count);
    zv_sha256_final(&object_hash, out_id->bytes);
    if (status == ZOVA_OK) status = zv_object_exists(db, out_id->bytes, &exists);
    if (status == ZOVA_OK && exists) {
        zv_rollback(db); /* already stored: nothing is written */
        zv_spool_free(&entries);
        return ZOVA_OK;
    }
    if (status == ZOVA_OK) status = zv_object_insert(db, out_id->bytes, (uint64_t)len, count, &entries);
    zv_spool_free(&entries);
    return zv_finish_transaction(db, status);
}

zova_status zova_object_put(const zova_object_put_request *request) {
    zova_database *db;
    zova_object_id id;
    zova_status status;
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    db = request->db;
    zv_lock(db);
    if (!request->out_id || (!request->data && request->len > 0)) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    if (zv_transaction_active(db)) return zv_unlock(db, ZOVA_OBJECT_TRANSACTION_ACTIVE);
    if ((uint64_t)request->len > ZV_INT64_MAX_U) return zv_unlock(db, ZOVA_OBJECT_TOO_LARGE);
    /* A read-only handle must answer OK for stored bytes before any insert
     * is tried, so it takes the id-first path. */
    if (request->len >= ZV_PARALLEL_PUT_MIN && sqlite3_db_readonly(db->sql, "main") == 0) {
        status = zv_object_put_parallel(db, request->data, request->len, &id);
    } else {
        status = zv_objects_put(db, &request->data, &request->len, 1, &id);
    }
    if (status == ZOVA_OK) *request->out_id = id;
    return zv_unlock(db, status);
}

zova_status zova_object_put_many(const zova_object_put_many_request *request) {
    zova_database *db;
    zova_object_id *ids;
    zova_status status;
    size_t i;
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    db = request->db;
    zv_lock(db);
    if (!request->out_ids && request->count > 0) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    if ((!request->data || !request->lens) && request->count > 0) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    for (i = 0; i < request->count; i++) {
        if (!request->data[i] && request->lens[i] > 0) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    }
    if (zv_transaction_active(db)) return zv_unlock(db, ZOVA_OBJECT_TRANSACTION_ACTIVE);
    for (i = 0; i < request->count; i++) {
        if ((uint64_t)request->lens[i] > ZV_INT64_MAX_U) return zv_unlock(db, ZOVA_OBJECT_TOO_LARGE);
    }
    if (request->count == 0) return zv_unlock(db, ZOVA_OK);
    ids = (zova_object_id *)malloc(request->count * sizeof(*ids));
    if (!ids) return zv_unlock(db, ZOVA_OUT_OF_MEMORY);
    status = zv_objects_put(db, request->data, request->lens, request->count, ids);
    if (status == ZOVA_OK) memcpy(request->out_ids, ids, request->count * sizeof(*ids));
    free(ids);
    return zv_unlock(db, status);
}

/* ---- reads ---- */

zova_status zova_object_get(const zova_object_get_request *request) {
    zova_database *db;
    zova_status status;
    uint8_t *data = NULL;
    size_t len = 0;
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    db = request->db;
    zv_lock(db);
    if (!request->out_buffer) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    request->out_buffer->data = NULL;
    request->out_buffer->len = 0;
    status = zv_object_load(db, request->id.bytes, &data, &len);
    if (status == ZOVA_OK) {
        request->out_buffer->data = data;
        request->out_buffer->len = len;
    }
    return zv_unlock(db, status);
}

zova_status zova_object_read_range(const zova_object_read_range_request *request) {
    zova_database *db;
    zova_status status;
    uint64_t size = 0, count = 0, available;
    size_t len;
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    db = request->db;
    zv_lock(db);
    if (!request->out_copied) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    *request->out_copied = 0;
    if (!request->buffer && request->buffer_len > 0) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    status = zv_object_meta(db, request->id.bytes, &size, &count);
    if (status != ZOVA_OK) return zv_unlock(db, status);
    if (request->offset > size) return zv_unlock(db, ZOVA_OBJECT_RANGE_INVALID);
    available = size - request->offset;
    if (available == 0 || request->buffer_len == 0) return zv_unlock(db, ZOVA_OK);
    len = (uint64_t)request->buffer_len < available ? request->buffer_len : (size_t)available;
    status = zv_object_read(db, request->id.bytes, size, count, request->offset, request->buffer, len);
    if (status == ZOVA_OK) *request->out_copied = len;
    return zv_unlock(db, status);
}

static zova_status zv_object_scalar(zova_database *db, const zova_object_id *id, uint64_t *out, int want_size) {
    uint64_t size = 0, count = 0;
    zova_status status = zv_object_meta(db, id->bytes, &size, &count);
    if (status == ZOVA_OK) *out = want_size ? size : count;
    return status;
}

zova_status zova_object_size(const zova_object_size_request *request) {
    zova_database *db;
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    db = request->db;
    zv_lock(db);
    if (!request->out_size) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    return zv_unlock(db, zv_object_scalar(db, &request->id, request->out_size, 1));
}

zova_status zova_object_chunk_count(const zova_object_chunk_count_request *request) {
    zova_database *db;
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    db = request->db;
    zv_lock(db);
    if (!request->out_count) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    return zv_unlock(db, zv_object_scalar(db, &request->id, request->out_count, 0));
}

zova_status zova_object_exists(const zova_object_exists_request *request) {
    zova_database *db;
    zova_status status;
    int exists = 0;
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    db = request->db;
    zv_lock(db);
    if (!request->out_exists) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    status = zv_object_exists(db, request->id.bytes, &exists);
    if (status == ZOVA_OK) *request->out_exists = (uint8_t)exists;
    return zv_unlock(db, status);
}

/* ---- manifests ---- */

static zova_status zv_manifest_load(zova_database *db, const uint8_t id[32], zova_object_manifest *out) {
    uint64_t size = 0, count = 0, running = 0;
    zova_object_manifest_chunk *chunks = NULL;
    size_t len = 0, cap = 0;
    zova_status status = zv_object_meta(db, id, &size, &count);
    sqlite3_stmt *stmt;
    int rc;
    if (status != ZOVA_OK) return status;
    if (count == 0 && (size != 0 || memcmp(id, zv_empty_sha256, 32) != 0)) return ZOVA_OBJECT_CORRUPT;
    if (count > size) return ZOVA_OBJECT_CORRUPT;
    stmt = zv_stmt(db, SQL_MANIFEST_ROWS, &status);
    if (!stmt) return status;
    sqlite3_bind_blob(stmt, 1, id, 32, SQLITE_STATIC);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t chunk_size = sqlite3_column_int64(stmt, 3);
        if (len == count || !zv_manifest_row_valid(stmt, len, running, size)) {
            status = ZOVA_OBJECT_CORRUPT;
            break;
        }
        if (len == cap) {
            size_t new_cap = cap ? cap * 2 : 16;
            zova_object_manifest_chunk *grown =
                (zova_object_manifest_chunk *)realloc(chunks, new_cap * sizeof(*chunks));
            if (!grown) {
                status = ZOVA_OUT_OF_MEMORY;
                break;
            }
            chunks = grown;
            cap = new_cap;
        }
        chunks[len].index = len;
        memcpy(chunks[len].hash.bytes, sqlite3_column_blob(stmt, 1), 32);
        chunks[len].offset = running;
        chunks[len].size_bytes = (uint64_t)chunk_size;
        running += (uint64_t)chunk_size;
        len++;
    }
    if (status == ZOVA_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) status = zv_sqlite_fail(db, rc);
    zv_stmt_release(stmt);
    if (status == ZOVA_OK && (len != count || running != size)) status = ZOVA_OBJECT_CORRUPT;
    if (status != ZOVA_OK) {
        free(chunks);
        return status;
    }
    memcpy(out->object_id.bytes, id, 32);
    out->size_bytes = size;
    out->chunk_count = count;
    out->chunker = "fastcdc-v1";
    out->chunks = chunks;
    out->chunks_len = len;
    return ZOVA_OK;
}

zova_status zova_object_manifest_get(const zova_object_manifest_get_request *request) {
    zova_database *db;
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    db = request->db;
    zv_lock(db);
    if (!request->out_manifest) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    memset(request->out_manifest, 0, sizeof(*request->out_manifest));
    return zv_unlock(db, zv_manifest_load(db, request->id.bytes, request->out_manifest));
}

/* ---- delete ---- */

zova_status zova_object_delete(const zova_object_delete_request *request) {
    static const char *const steps[] = {SQL_OBJECT_DELETE_CHUNKS, SQL_OBJECT_DELETE_MANIFEST, SQL_OBJECT_DELETE_ROW};
    zova_database *db;
    zova_status status;
    int exists = 0;
    size_t i;
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    db = request->db;
    zv_lock(db);
    if (zv_transaction_active(db)) return zv_unlock(db, ZOVA_OBJECT_TRANSACTION_ACTIVE);
    status = zv_begin_immediate(db);
    if (status != ZOVA_OK) return zv_unlock(db, status);
    status = zv_object_exists(db, request->id.bytes, &exists);
    if (status == ZOVA_OK && !exists) status = ZOVA_OBJECT_NOT_FOUND;
    for (i = 0; i < sizeof(steps) / sizeof(steps[0]) && status == ZOVA_OK; i++) {
        sqlite3_stmt *stmt = zv_stmt(db, steps[i], &status);
        if (!stmt) break;
        sqlite3_bind_blob(stmt, 1, request->id.bytes, 32, SQLITE_STATIC);
        status = zv_step_done(db, stmt);
    }
    return zv_unlock(db, zv_finish_transaction(db, status));
}

/* ---- loose chunks ---- */

zova_status zova_object_chunk_get(const zova_object_chunk_get_request *request) {
    zova_database *db;
    zova_status status;
    sqlite3_stmt *stmt = NULL;
    int64_t size = 0;
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    db = request->db;
    zv_lock(db);
    if (!request->out_buffer) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    request->out_buffer->data = NULL;
    request->out_buffer->len = 0;
    status = zv_chunk_row(db, request->hash.bytes, &stmt, &size);
    if (status == ZOVA_OK) {
        uint8_t *copy = (uint8_t *)malloc((size_t)size);
        if (!copy) {
            status = ZOVA_OUT_OF_MEMORY;
        } else {
            memcpy(copy, sqlite3_column_blob(stmt, 1), (size_t)size);
            request->out_buffer->data = copy;
            request->out_buffer->len = (size_t)size;
        }
        zv_stmt_release(stmt);
    }
    return zv_unlock(db, status);
}

zova_status zova_object_chunk_put(const zova_object_chunk_put_request *request) {
    zova_database *db;
    uint8_t digest[32], copy[ZV_CHUNK_MAX];
    int fresh = 0;
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    db = request->db;
    zv_lock(db);
    if (!request->data && request->len > 0) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    if (request->len == 0 || request->len > ZV_CHUNK_MAX) return zv_unlock(db, ZOVA_OBJECT_CORRUPT);
    /* Verify and store one copy: the caller's bytes may change meanwhile. */
    memcpy(copy, request->data, request->len);
    zv_sha256(copy, request->len, digest);
    if (memcmp(digest, request->expected_hash.bytes, 32) != 0) return zv_unlock(db, ZOVA_OBJECT_CHUNK_HASH_MISMATCH);
    return zv_unlock(db, zv_chunk_store(db, digest, copy, request->len, 0, &fresh));
}

zova_status zova_object_chunk_delete(const zova_object_chunk_delete_request *request) {
    zova_database *db;
    zova_status status;
    int deleted = 0;
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    db = request->db;
    zv_lock(db);
    if (!request->out_deleted) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    status = zv_chunk_delete_if_loose(db, request->hash.bytes, &deleted);
    if (status == ZOVA_OK) *request->out_deleted = (uint8_t)deleted;
    return zv_unlock(db, status);
}

/* ---- assembly ---- */

static int zv_compare_manifest_index(const void *a, const void *b) {
    uint64_t x = ((const zova_object_manifest_chunk *)a)->index, y = ((const zova_object_manifest_chunk *)b)->index;
    return x < y ? -1 : x > y;
}

/* Checks the sorted caller manifest and the stored chunks it names, hashing
 * their bytes in order (docs/c-api.md §7.6 assembly order of checks). */
static zova_status zv_assembly_check(zova_database *db, const zova_object_id *id, uint64_t size_bytes,
                                     const zova_object_manifest_chunk *chunks, size_t count) {
    zv_sha256_ctx object_hash;
    uint8_t digest[32];
    uint64_t running = 0;
    size_t i;
    if (size_bytes == 0) {
        return count == 0 && memcmp(id->bytes, zv_empty_sha256, 32) == 0 ? ZOVA_OK : ZOVA_OBJECT_MANIFEST_INVALID;
    }
    if (count == 0) return ZOVA_OBJECT_MANIFEST_INVALID;
    for (i = 0; i < count; i++) {
        const zova_object_manifest_chunk *chunk = &chunks[i];
        if (chunk->index != i || chunk->offset != running || chunk->size_bytes == 0 ||
            chunk->size_bytes > ZV_CHUNK_MAX || chunk->size_bytes > size_bytes - running) {
            return ZOVA_OBJECT_MANIFEST_INVALID;
        }
        running += chunk->size_bytes;
    }
    zv_sha256_init(&object_hash);
    for (i = 0; i < count; i++) {
        sqlite3_stmt *stmt = NULL;
        int64_t stored_size = 0;
        zova_status status = zv_chunk_row(db, chunks[i].hash.bytes, &stmt, &stored_size);
        if (status != ZOVA_OK) return status;
        if ((uint64_t)stored_size != chunks[i].size_bytes) {
            zv_stmt_release(stmt);
            return ZOVA_OBJECT_MANIFEST_INVALID;
        }
        zv_sha256_update(&object_hash, (const uint8_t *)sqlite3_column_blob(stmt, 1), (size_t)stored_size);
        zv_stmt_release(stmt);
    }
    if (running != size_bytes) return ZOVA_OBJECT_MANIFEST_INVALID;
    zv_sha256_final(&object_hash, digest);
    return memcmp(digest, id->bytes, 32) == 0 ? ZOVA_OK : ZOVA_OBJECT_MANIFEST_INVALID;
}

zova_status zova_object_assemble_from_chunks(const zova_object_assemble_from_chunks_request *request) {
    zova_database *db;
    zova_status status;
    zova_object_manifest_chunk *sorted = NULL;
    zv_spool entries;
    int exists = 0;
    size_t i, count;
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    db = request->db;
    zv_lock(db);
    count = request->chunk_count;
    if (!request->chunks && count > 0) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    if (zv_transaction_active(db)) return zv_unlock(db, ZOVA_OBJECT_TRANSACTION_ACTIVE);
    status = zv_begin_immediate(db);
    if (status != ZOVA_OK) return zv_unlock(db, status);
    status = zv_object_exists(db, request->id.bytes, &exists);
    if (status == ZOVA_OK && exists) {
        status = zv_object_verify(db, request->id.bytes);
        if (status == ZOVA_OK) status = ZOVA_OBJECT_ALREADY_EXISTS;
    }
    if (status == ZOVA_OK && request->size_bytes > ZV_INT64_MAX_U) status = ZOVA_OBJECT_TOO_LARGE;
    if (status == ZOVA_OK && count > 0) {
        sorted = (zova_object_manifest_chunk *)malloc(count * sizeof(*sorted));
        if (!sorted) status = ZOVA_OUT_OF_MEMORY;
    }
    if (status == ZOVA_OK) {
        if (count > 0) {
            memcpy(sorted, request->chunks, count * sizeof(*sorted));
            qsort(sorted, count, sizeof(*sorted), zv_compare_manifest_index);
        }
        status = zv_assembly_check(db, &request->id, request->size_bytes, sorted, count);
    }
    zv_spool_init(&entries, db);
    for (i = 0; i < count && status == ZOVA_OK; i++) {
        zv_manifest_entry entry;
        memset(&entry, 0, sizeof(entry));
        memcpy(entry.hash, sorted[i].hash.bytes, 32);
        entry.size = (uint32_t)sorted[i].size_bytes;
        status = zv_spool_append(&entries, &entry, sizeof(entry));
    }
    if (status == ZOVA_OK) status = zv_object_insert(db, request->id.bytes, request->size_bytes, count, &entries);
    free(sorted);
    zv_spool_free(&entries);
    return zv_unlock(db, zv_finish_transaction(db, status));
}
