/*
 * object_writer.c - the streaming object writer (c-abi 4.10, 7.7).
 *
 * Small writes accumulate in a bounded buffer; once it holds ZV_WRITER_BUFFER
 * bytes (or at finish) the complete FastCDC-v1 chunks are stored in ONE
 * transaction per flush -- never one commit per chunk. A chunk is cut only when
 * 64 KiB of stream follow its start, or at the end of the stream, so the
 * boundaries equal one-shot chunking however the input is split. A flush that
 * fails is rolled back and leaves the writer exactly as before the call.
 * Memory: the buffer (at most 16 MiB), a 64 KiB joining window, and 37 bytes of
 * manifest per stored chunk.
 */
#include "zova_internal.h"

#include <stdlib.h>
#include <string.h>

/* A flush commits, and a commit costs fsyncs (10-20 ms here in the default
 * rollback-journal mode, more under I/O load), so the buffer must be large
 * enough that commits do not dominate: at 16 MiB a 256 MiB stream takes 16
 * commits and runs within 1.3x of put_object. It starts at 64 KiB and grows
 * only as far as the writes need. */
#define ZV_WRITER_BUFFER (16u << 20)

typedef struct zv_writer_chunk {
    zv_manifest_entry entry;
    uint8_t fresh; /* this writer inserted the chunk row */
} zv_writer_chunk;

struct zova_object_writer {
    zova_database *db;
    int closed;      /* finished or cancelled: every call but destroy is 59 */
    int input_final; /* a finish was attempted: write is 59, finish/cancel may retry */
    uint8_t *buffer; /* unchunked stream tail, buffer[0..buffered) */
    size_t buffered, buffer_cap;
    size_t unhashed; /* buffer[unhashed..buffered) is not in object_hash yet */
    uint8_t *window; /* ZV_CHUNK_MAX bytes to join the buffer tail with new input */
    zv_sha256_ctx object_hash; /* over the stream up to buffer[unhashed] */
    uint64_t total;
    zv_writer_chunk *chunks;
    size_t chunk_count, chunk_cap;
    /* chunks[0..flushed_count) were committed by earlier flushes, after which
     * the file's data version was flushed_version: if it is unchanged at
     * finish, no connection has touched the file and they are all there. */
    size_t flushed_count;
    unsigned int flushed_version;
};

static unsigned int zv_data_version(zova_database *db) {
    unsigned int version = 0;
    if (sqlite3_file_control(db->sql, "main", SQLITE_FCNTL_DATA_VERSION, &version) != SQLITE_OK) return 0;
    return version;
}

/* ---- chunk storage during a flush ---- */

static zova_status zv_writer_store_chunk(zova_object_writer *w, const uint8_t *data, size_t len) {
    zv_writer_chunk *chunk;
    int fresh = 0;
    zova_status status;
    if (w->chunk_count == w->chunk_cap) {
        size_t cap = w->chunk_cap ? w->chunk_cap * 2 : 64;
        zv_writer_chunk *grown = (zv_writer_chunk *)realloc(w->chunks, cap * sizeof(*grown));
        if (!grown) return ZOVA_OUT_OF_MEMORY;
        w->chunks = grown;
        w->chunk_cap = cap;
    }
    chunk = &w->chunks[w->chunk_count];
    zv_sha256(data, len, chunk->entry.hash);
    chunk->entry.size = (uint32_t)len;
    status = zv_chunk_store(w->db, chunk->entry.hash, data, len, 0, &fresh);
    if (status != ZOVA_OK) return status;
    chunk->fresh = (uint8_t)fresh;
    w->chunk_count++;
    return ZOVA_OK;
}

/* Stores every complete chunk of the stream buffer[0..buffered) ++ input, and
 * with final set the last partial one too. Returns how much of the buffer and
 * of the input was consumed through *buffer_used / *input_used; nothing in
 * the writer changes but the chunk list, so a rollback only truncates that. */
static zova_status zv_writer_chunk_stream(zova_object_writer *w, const uint8_t *input, size_t input_len, int final,
                                          size_t *buffer_used, size_t *input_used) {
    size_t b = 0, in = 0;
    zova_status status = ZOVA_OK;
    /* Chunks wholly inside the buffer. */
    while (w->buffered - b >= ZV_CHUNK_MAX || (final && input_len == 0 && b < w->buffered)) {
        size_t n = zv_fastcdc_cut(w->buffer + b, w->buffered - b);
        status = zv_writer_store_chunk(w, w->buffer + b, n);
        if (status != ZOVA_OK) return status;
        b += n;
    }
    /* Chunks starting in the buffer and ending in the input: cut a joined window. */
    while (b < w->buffered) {
        size_t head = w->buffered - b;
        size_t tail = input_len - in < ZV_CHUNK_MAX - head ? input_len - in : ZV_CHUNK_MAX - head;
        size_t n;
        if (head + tail < ZV_CHUNK_MAX && !final) break;
        memcpy(w->window, w->buffer + b, head);
        memcpy(w->window + head, input + in, tail);
        n = zv_fastcdc_cut(w->window, head + tail);
        status = zv_writer_store_chunk(w, w->window, n);
        if (status != ZOVA_OK) return status;
        if (n >= head) {
            in += n - head;
            b = w->buffered;
        } else {
            b += n;
        }
    }
    /* Chunks inside the input, cut in place. */
    if (b == w->buffered) {
        while (input_len - in >= ZV_CHUNK_MAX || (final && in < input_len)) {
            size_t n = zv_fastcdc_cut(input + in, input_len - in);
            status = zv_writer_store_chunk(w, input + in, n);
            if (status != ZOVA_OK) return status;
            in += n;
        }
    }
    *buffer_used = b;
    *input_used = in;
    return ZOVA_OK;
}

/* Deletes the chunks this writer inserted that no manifest references, with
 * one scan of the manifest table (inside the caller's transaction). */
static int zv_compare_hash(const void *a, const void *b) { return memcmp(a, b, 32); }

static zova_status zv_writer_delete_unreferenced(zova_object_writer *w) {
    static const char SQL_REFERENCED[] = "select chunk_hash from _zova_object_chunks";
    static const char SQL_DELETE[] = "delete from _zova_chunks where chunk_hash = ?1";
    zova_database *db = w->db;
    uint8_t (*fresh)[33] = NULL; /* hash + referenced flag */
    size_t count = 0, i;
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt;
    int rc;
    for (i = 0; i < w->chunk_count; i++) count += w->chunks[i].fresh;
    if (count == 0) return ZOVA_OK;
    fresh = (uint8_t(*)[33])malloc(count * sizeof(*fresh));
    if (!fresh) return ZOVA_OUT_OF_MEMORY;
    for (i = 0, count = 0; i < w->chunk_count; i++) {
        if (!w->chunks[i].fresh) continue;
        memcpy(fresh[count], w->chunks[i].entry.hash, 32);
        fresh[count++][32] = 0;
    }
    qsort(fresh, count, sizeof(*fresh), zv_compare_hash);
    stmt = zv_stmt(db, SQL_REFERENCED, &status);
    if (stmt) {
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            uint8_t(*hit)[33];
            if (sqlite3_column_bytes(stmt, 0) != 32) continue;
            hit = (uint8_t(*)[33])bsearch(sqlite3_column_blob(stmt, 0), fresh, count, sizeof(*fresh),
                                           zv_compare_hash);
            if (hit) (*hit)[32] = 1;
        }
        if (rc != SQLITE_DONE) status = zv_sqlite_fail(db, rc);
        zv_stmt_release(stmt);
    }
    for (i = 0; i < count && status == ZOVA_OK; i++) {
        if (fresh[i][32]) continue;
        stmt = zv_stmt(db, SQL_DELETE, &status);
        if (!stmt) break;
        sqlite3_bind_blob(stmt, 1, fresh[i], 32, SQLITE_STATIC);
        rc = sqlite3_step(stmt);
        if (rc != SQLITE_DONE) status = zv_sqlite_fail(db, rc);
        zv_stmt_release(stmt);
    }
    free(fresh);
    return status;
}

/* ---- the five ABI functions ---- */

zova_status zova_object_writer_create(const zova_object_writer_create_request *request) {
    zova_database *db;
    zova_object_writer *w;
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    db = request->db;
    zv_lock(db);
    if (!request->out_writer) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    *request->out_writer = NULL;
    if (zv_transaction_active(db)) return zv_unlock(db, ZOVA_OBJECT_TRANSACTION_ACTIVE);
    w = (zova_object_writer *)calloc(1, sizeof(*w));
    if (w) {
        w->buffer_cap = ZV_CHUNK_MAX;
        w->buffer = (uint8_t *)malloc(w->buffer_cap);
        w->window = (uint8_t *)malloc(ZV_CHUNK_MAX);
    }
    if (!w || !w->buffer || !w->window) {
        if (w) {
            free(w->buffer);
            free(w->window);
            free(w);
        }
        return zv_unlock(db, ZOVA_OUT_OF_MEMORY);
    }
    w->db = db;
    zv_sha256_init(&w->object_hash);
    db->live_writers++;
    *request->out_writer = w;
    return zv_unlock(db, ZOVA_OK);
}

/* Appends input to the buffer (growing it up to ZV_WRITER_BUFFER); it is
 * hashed at the next flush, on the hashing thread. */
static zova_status zv_writer_buffer_input(zova_object_writer *w, const uint8_t *data, size_t len) {
    if (w->buffered + len > w->buffer_cap) {
        size_t cap = w->buffer_cap * 2;
        uint8_t *grown;
        while (cap < w->buffered + len) cap *= 2;
        if (cap > ZV_WRITER_BUFFER) cap = ZV_WRITER_BUFFER;
        grown = (uint8_t *)realloc(w->buffer, cap);
        if (!grown) return ZOVA_OUT_OF_MEMORY;
        w->buffer = grown;
        w->buffer_cap = cap;
    }
    memcpy(w->buffer + w->buffered, data, len);
    w->buffered += len;
    return ZOVA_OK;
}

/* Stores the complete chunks of buffer ++ input in one transaction, keeping
 * the unchunked tail. The object hash advances on a second thread meanwhile
 * and is kept only if the flush commits. */
static zova_status zv_writer_flush_input(zova_object_writer *w, const uint8_t *data, size_t len) {
    zova_database *db = w->db;
    zv_sha256_ctx next_hash = w->object_hash;
    zv_sha256_task task;
    size_t saved_count = w->chunk_count, buffer_used = 0, input_used = 0;
    zova_status status = zv_begin_immediate(db);
    if (status != ZOVA_OK) return status;
    zv_sha256_task_start(&task, &next_hash, w->buffer + w->unhashed, w->buffered - w->unhashed, data, len);
    status = zv_writer_chunk_stream(w, data, len, 0, &buffer_used, &input_used);
    zv_sha256_task_finish(&task);
    status = zv_finish_transaction(db, status);
    if (status != ZOVA_OK) {
        w->chunk_count = saved_count;
        return status;
    }
    w->object_hash = next_hash;
    w->flushed_count = w->chunk_count;
    w->flushed_version = zv_data_version(db);
    memmove(w->buffer, w->buffer + buffer_used, w->buffered - buffer_used);
    w->buffered -= buffer_used;
    memcpy(w->buffer + w->buffered, data + input_used, len - input_used); /* < 64 KiB in all */
    w->buffered += len - input_used;
    w->unhashed = w->buffered;
    return ZOVA_OK;
}

zova_status zova_object_writer_write(const zova_object_writer_write_request *request) {
    zova_object_writer *w;
    zova_database *db;
    zova_status status;
    if (!request || !request->writer) return ZOVA_INVALID_ARGUMENT;
    w = request->writer;
    db = w->db;
    zv_lock(db);
    if (!request->data && request->len > 0) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    if (w->closed || w->input_final) return zv_unlock(db, ZOVA_OBJECT_WRITER_CLOSED);
    if (zv_transaction_active(db)) return zv_unlock(db, ZOVA_OBJECT_TRANSACTION_ACTIVE);
    if (request->len == 0) return zv_unlock(db, ZOVA_OK);
    if ((uint64_t)request->len > (uint64_t)INT64_MAX - w->total) return zv_unlock(db, ZOVA_OBJECT_TOO_LARGE);
    if (request->len < ZV_WRITER_BUFFER - w->buffered) {
        status = zv_writer_buffer_input(w, request->data, request->len);
    } else {
        status = zv_writer_flush_input(w, request->data, request->len);
    }
    if (status == ZOVA_OK) w->total += request->len;
    return zv_unlock(db, status);
}

/* Flushes the tail and records the object in one transaction (c-abi 7.7). */
static zova_status zv_writer_finish(zova_object_writer *w, zova_object_id *out_id) {
    zova_database *db = w->db;
    zv_sha256_ctx hash = w->object_hash;
    zova_status status;
    zv_sha256_update(&hash, w->buffer + w->unhashed, w->buffered - w->unhashed);
    size_t buffer_used = 0, input_used = 0, i;
    zv_manifest_entry *entries = NULL;
    uint64_t size = 0, count = 0;
    size_t recheck;
    status = zv_begin_immediate(db);
    if (status != ZOVA_OK) return status;
    recheck = zv_data_version(db) == w->flushed_version ? 0 : w->flushed_count;
    status = zv_writer_chunk_stream(w, NULL, 0, 1, &buffer_used, &input_used);
    zv_sha256_final(&hash, out_id->bytes);
    if (status == ZOVA_OK) status = zv_object_meta(db, out_id->bytes, &size, &count);
    if (status == ZOVA_OK) {
        /* The object exists already: it must verify; our new chunks go. */
        status = zv_object_verify(db, out_id->bytes);
        if (status == ZOVA_OK) status = zv_writer_delete_unreferenced(w);
    } else if (status == ZOVA_OBJECT_NOT_FOUND) {
        static const char SQL_CHUNK_SIZE[] = "select size_bytes from _zova_chunks where chunk_hash = ?1";
        status = ZOVA_OK;
        /* Chunks stored by earlier flushes may have been deleted since (by
         * chunk_delete on any handle) if the file changed after them. */
        for (i = 0; i < recheck && status == ZOVA_OK; i++) {
            sqlite3_stmt *stmt = zv_stmt(db, SQL_CHUNK_SIZE, &status);
            int rc;
            if (!stmt) break;
            sqlite3_bind_blob(stmt, 1, w->chunks[i].entry.hash, 32, SQLITE_STATIC);
            rc = sqlite3_step(stmt);
            if (rc == SQLITE_DONE) status = ZOVA_OBJECT_CHUNK_NOT_FOUND;
            else if (rc != SQLITE_ROW) status = zv_sqlite_fail(db, rc);
            else if (sqlite3_column_int64(stmt, 0) != w->chunks[i].entry.size) status = ZOVA_OBJECT_CORRUPT;
            zv_stmt_release(stmt);
        }
        if (status == ZOVA_OK && w->chunk_count > 0) {
            entries = (zv_manifest_entry *)malloc(w->chunk_count * sizeof(*entries));
            if (!entries) status = ZOVA_OUT_OF_MEMORY;
        }
        if (status == ZOVA_OK) {
            for (i = 0; i < w->chunk_count; i++) entries[i] = w->chunks[i].entry;
            status = zv_object_insert(db, out_id->bytes, w->total, w->chunk_count, entries);
        }
        free(entries);
    }
    return zv_finish_transaction(db, status);
}

zova_status zova_object_writer_finish(const zova_object_writer_finish_request *request) {
    zova_object_writer *w;
    zova_database *db;
    zova_object_id id;
    zova_status status;
    size_t saved_count;
    if (!request || !request->writer) return ZOVA_INVALID_ARGUMENT;
    w = request->writer;
    db = w->db;
    zv_lock(db);
    if (!request->out_id) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    if (w->closed) return zv_unlock(db, ZOVA_OBJECT_WRITER_CLOSED);
    if (zv_transaction_active(db)) return zv_unlock(db, ZOVA_OBJECT_TRANSACTION_ACTIVE);
    w->input_final = 1;
    saved_count = w->chunk_count;
    status = zv_writer_finish(w, &id);
    if (status != ZOVA_OK) {
        w->chunk_count = saved_count;
        return zv_unlock(db, status);
    }
    w->closed = 1;
    *request->out_id = id;
    return zv_unlock(db, ZOVA_OK);
}

static zova_status zv_writer_cancel(zova_object_writer *w) {
    zova_status status = zv_begin_immediate(w->db);
    if (status != ZOVA_OK) return status;
    status = zv_finish_transaction(w->db, zv_writer_delete_unreferenced(w));
    if (status == ZOVA_OK) w->closed = 1;
    return status;
}

zova_status zova_object_writer_cancel(const zova_object_writer_cancel_request *request) {
    zova_object_writer *w;
    zova_database *db;
    if (!request || !request->writer) return ZOVA_INVALID_ARGUMENT;
    w = request->writer;
    db = w->db;
    zv_lock(db);
    if (w->closed) return zv_unlock(db, ZOVA_OBJECT_WRITER_CLOSED);
    if (zv_transaction_active(db)) return zv_unlock(db, ZOVA_OBJECT_TRANSACTION_ACTIVE);
    return zv_unlock(db, zv_writer_cancel(w));
}

zova_status zova_object_writer_destroy(zova_object_writer *writer) {
    zova_database *db;
    if (!writer) return ZOVA_INVALID_ARGUMENT;
    db = writer->db;
    zv_lock(db);
    if (!writer->closed && !zv_transaction_active(db)) (void)zv_writer_cancel(writer);
    free(writer->buffer);
    free(writer->window);
    free(writer->chunks);
    free(writer);
    db->live_writers--;
    return zv_unlock(db, ZOVA_OK);
}
