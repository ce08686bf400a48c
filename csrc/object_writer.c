/*
 * object_writer.c - the streaming object writer (docs/c-api.md §4.10, §7.7).
 *
 * A write appends its bytes to a spool; once ZV_WRITER_FLUSH bytes are
 * staged, the next write stores them in ONE transaction -- never one commit
 * per chunk. The writer's cutter (chunk_pipeline.c) cuts the staged stream
 * into FastCDC-v1 chunks and hashes them, and the object, on a thread of its
 * own as the writes extend it, between calls too; a flush inserts what it
 * has cut while it cuts the rest. A chunk is cut only when 64 KiB of stream
 * follow its start, or at the end of the stream, so the boundaries equal
 * one-shot chunking however the input is split; the uncut end of a flush
 * waits for the next one. A failed call leaves the writer as before it (its
 * cutter starts over from the first byte not stored).
 *
 * A writer belongs to the process that created it: a copy in a fork()ed
 * child has no cutter thread and shares the staging file with the parent's,
 * so there every call but destroy is MISUSE, and destroy frees the child's
 * copy without cancelling the parent's stream.
 *
 * Memory does not grow with the stream: two spools (the staged stream, and
 * the manifest of the chunks stored so far) keep 64 KiB in memory and the
 * rest in an unnamed temporary file; the cutter's reader and rounds, a
 * flush's reader and the carried-over end of the stream add under 1 MiB.
 */
#include "zova_internal.h"

#include <stdlib.h>
#include <string.h>

/* A flush is a commit, and a commit costs fsyncs (10-20 ms here in the
 * default rollback-journal mode) on top of storing at ~350 MiB/s, so flushes
 * of 128 MiB keep commits under 5% of a stream's time. The staged bytes wait
 * in the spool's temporary file, not in memory; flushing at all bounds that
 * file, and the WAL file in WAL mode. */
#define ZV_WRITER_FLUSH (128u << 20)
/* Fresh chunk hashes checked per scan of the manifest table when cleaning up. */
#define ZV_CLEANUP_BATCH 2048

struct zova_object_writer {
    zova_database *db;
    unsigned long generation; /* zv_process_generation() at creation */
    int closed;      /* finished or cancelled: every call but destroy is 59 */
    int input_final; /* a finish was attempted: write is 59, finish/cancel may retry */
    zv_sha256_ctx object_hash;  /* over every byte cut so far: the cutter's */
    zv_sha256_ctx restart_hash; /* over every byte before pending */
    uint64_t total;
    zv_spool pending;   /* the stream after the stored chunks */
    zv_cutter *cutter;  /* cuts pending as it grows; NULL once closed */
    uint8_t *carry;   /* ZV_CHUNK_MAX: a flush's uncut end, on its way to the front of pending */
    zv_spool stored;  /* zv_manifest_entry of every chunk stored by a flush, in order */
    uint64_t stored_count;
    /* The file's data version after the last flush committed (it counts this
     * connection's changes too): if it is unchanged at finish, nothing has
     * touched the file and the stored chunks are all still there. */
    unsigned int stored_version;
};

static unsigned int zv_data_version(zova_database *db) {
    unsigned int version = 0;
    if (sqlite3_file_control(db->sql, "main", SQLITE_FCNTL_DATA_VERSION, &version) != SQLITE_OK) return 0;
    return version;
}

static int zv_writer_forked(const zova_object_writer *w) { return w->generation != zv_process_generation(); }

/* Under the handle lock: whether w takes a write (writing) or a finish or
 * cancel now; OK, or the status to return. */
static zova_status zv_writer_ready(zova_object_writer *w, int writing) {
    if (zv_writer_forked(w))
        return zv_fail_message(w->db, ZOVA_MISUSE,
                               "object writer used after fork(): it belongs to the process that created it");
    if (w->closed || (writing && w->input_final)) return ZOVA_OBJECT_WRITER_CLOSED;
    if (zv_transaction_active(w->db)) return ZOVA_OBJECT_TRANSACTION_ACTIVE;
    return ZOVA_OK;
}

/* ---- storing: pending spool -> chunk rows ---- */

/* Inside the caller's transaction: lets the cutter read all of pending and
 * stores the chunks it cuts (chunk_pipeline.c), appending their manifest
 * entries to the stored spool. */
static zova_status zv_writer_store_pending(zova_object_writer *w, int final) {
    zova_status status = zv_spool_sync(&w->pending);
    if (status != ZOVA_OK) return status;
    zv_cutter_extend(w->cutter, final);
    return zv_cutter_store(w->cutter, w->db, 0, &w->stored, &w->stored_count);
}

/* Copies the uncut end of pending (< 64 KiB) to w->carry. */
static zova_status zv_writer_read_carry(zova_object_writer *w, size_t *carry_len) {
    uint64_t cut_end = zv_cutter_offset(w->cutter);
    zv_spool_reader reader;
    const uint8_t *uncut;
    zova_status status;
    *carry_len = (size_t)(zv_spool_size(&w->pending) - cut_end);
    if (*carry_len == 0) return ZOVA_OK;
    status = zv_spool_reader_open(&reader, &w->pending);
    reader.offset = cut_end;
    if (status == ZOVA_OK && zv_spool_read(&reader, *carry_len, &uncut)) memcpy(w->carry, uncut, *carry_len);
    return zv_spool_reader_close(&reader, status);
}

/* After a failed flush or finish: the stored spool as saved, the cutter and
 * the object hash back at the start of pending. */
static void zv_writer_undo(zova_object_writer *w, uint64_t saved_size, uint64_t saved_count) {
    zv_spool_truncate(&w->stored, saved_size);
    w->stored_count = saved_count;
    zv_cutter_restart(w->cutter);
    w->object_hash = w->restart_hash;
}

/* Finished or cancelled: the cutter (and its thread) go at once. */
static void zv_writer_close(zova_object_writer *w) {
    w->closed = 1;
    zv_cutter_free(w->cutter);
    w->cutter = NULL;
}

/* Stores the staged chunks in one transaction; after it commits, the uncut
 * end becomes the whole of pending (which cannot fail, see
 * zv_spool_truncate) and the cutter starts over on it. (Its thread is idle
 * meanwhile: it has cut all it may read.) */
static zova_status zv_writer_flush(zova_object_writer *w) {
    zova_database *db = w->db;
    uint64_t saved_size = zv_spool_size(&w->stored), saved_count = w->stored_count;
    size_t carry_len = 0;
    zova_status status = zv_begin_immediate(db);
    if (status != ZOVA_OK) return status;
    status = zv_writer_store_pending(w, 0);
    if (status == ZOVA_OK) status = zv_writer_read_carry(w, &carry_len);
    status = zv_finish_transaction(db, status);
    if (status != ZOVA_OK) {
        zv_writer_undo(w, saved_size, saved_count);
        return status;
    }
    zv_spool_truncate(&w->pending, 0);
    (void)zv_spool_append(&w->pending, w->carry, carry_len);
    zv_cutter_restart(w->cutter);
    w->restart_hash = w->object_hash;
    w->stored_version = zv_data_version(db);
    return ZOVA_OK;
}

/* Deletes the chunks this writer inserted that no manifest references (inside
 * the caller's transaction): a batch of fresh hashes at a time, sorted, is
 * marked by one scan of the manifest table. */
static int zv_compare_hash(const void *a, const void *b) { return memcmp(a, b, 32); }

static zova_status zv_writer_delete_batch(zova_database *db, uint8_t (*fresh)[33], size_t count) {
    static const char SQL_REFERENCED[] = "select chunk_hash from _zova_object_chunks";
    static const char SQL_DELETE[] = "delete from _zova_chunks where chunk_hash = ?1";
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt;
    size_t i;
    int rc;
    qsort(fresh, count, sizeof(*fresh), zv_compare_hash);
    stmt = zv_stmt(db, SQL_REFERENCED, &status);
    if (!stmt) return status;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        uint8_t(*hit)[33];
        if (sqlite3_column_bytes(stmt, 0) != 32) continue;
        hit = (uint8_t(*)[33])bsearch(sqlite3_column_blob(stmt, 0), fresh, count, sizeof(*fresh), zv_compare_hash);
        if (hit) (*hit)[32] = 1;
    }
    if (rc != SQLITE_DONE) status = zv_sqlite_fail(db, rc);
    zv_stmt_release(stmt);
    for (i = 0; i < count && status == ZOVA_OK; i++) {
        if (fresh[i][32]) continue;
        stmt = zv_stmt(db, SQL_DELETE, &status);
        if (!stmt) break;
        sqlite3_bind_blob(stmt, 1, fresh[i], 32, SQLITE_STATIC);
        rc = sqlite3_step(stmt);
        if (rc != SQLITE_DONE) status = zv_sqlite_fail(db, rc);
        zv_stmt_release(stmt);
    }
    return status;
}

static zova_status zv_writer_delete_unreferenced(zova_object_writer *w) {
    uint8_t(*fresh)[33] = NULL; /* hash + referenced flag */
    zv_spool_reader reader;
    zova_status status;
    uint64_t i;
    size_t count = 0;
    if (w->stored_count == 0) return ZOVA_OK;
    fresh = (uint8_t(*)[33])malloc(ZV_CLEANUP_BATCH * sizeof(*fresh));
    if (!fresh) return ZOVA_OUT_OF_MEMORY;
    status = zv_spool_reader_open(&reader, &w->stored);
    for (i = 0; i < w->stored_count && status == ZOVA_OK; i++) {
        zv_manifest_entry entry;
        const uint8_t *record;
        if (!zv_spool_read(&reader, sizeof(entry), &record)) break;
        memcpy(&entry, record, sizeof(entry));
        if (!entry.fresh) continue;
        memcpy(fresh[count], entry.hash, 32);
        fresh[count++][32] = 0;
        if (count == ZV_CLEANUP_BATCH) {
            status = zv_writer_delete_batch(w->db, fresh, count);
            count = 0;
        }
    }
    status = zv_spool_reader_close(&reader, status);
    if (status == ZOVA_OK && count > 0) status = zv_writer_delete_batch(w->db, fresh, count);
    free(fresh);
    return status;
}

/* ---- the five ABI functions ---- */

zova_status zova_object_writer_create(const zova_object_writer_create_request *request) {
    zova_database *db;
    zova_object_writer *w;
    zova_status status;
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    db = request->db;
    zv_lock(db);
    if (!request->out_writer) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    *request->out_writer = NULL;
    if (zv_transaction_active(db)) return zv_unlock(db, ZOVA_OBJECT_TRANSACTION_ACTIVE);
    w = (zova_object_writer *)calloc(1, sizeof(*w));
    if (w) w->carry = (uint8_t *)malloc(ZV_CHUNK_MAX);
    if (!w || !w->carry) {
        free(w);
        return zv_unlock(db, ZOVA_OUT_OF_MEMORY);
    }
    w->db = db;
    w->generation = zv_process_generation();
    zv_sha256_init(&w->object_hash);
    w->restart_hash = w->object_hash;
    zv_spool_init(&w->pending, db);
    zv_spool_init(&w->stored, db);
    w->cutter = zv_cutter_new(&w->pending, &w->object_hash, &status);
    if (status != ZOVA_OK) {
        zv_cutter_free(w->cutter);
        free(w->carry);
        free(w);
        return zv_unlock(db, status);
    }
    db->live_writers++;
    *request->out_writer = w;
    return zv_unlock(db, ZOVA_OK);
}

zova_status zova_object_writer_write(const zova_object_writer_write_request *request) {
    zova_object_writer *w;
    zova_database *db;
    zova_status status = ZOVA_OK;
    if (!request || !request->writer) return ZOVA_INVALID_ARGUMENT;
    w = request->writer;
    db = w->db;
    zv_lock(db);
    if (!request->data && request->len > 0) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    if ((status = zv_writer_ready(w, 1)) != ZOVA_OK) return zv_unlock(db, status);
    if (request->len == 0) return zv_unlock(db, ZOVA_OK);
    if ((uint64_t)request->len > (uint64_t)INT64_MAX - w->total) return zv_unlock(db, ZOVA_OBJECT_TOO_LARGE);
    if (zv_spool_size(&w->pending) >= ZV_WRITER_FLUSH) status = zv_writer_flush(w);
    if (status == ZOVA_OK) {
        uint64_t staged = zv_spool_size(&w->pending);
        status = zv_spool_append(&w->pending, request->data, request->len);
        if (status != ZOVA_OK) zv_spool_truncate(&w->pending, staged);
    }
    if (status == ZOVA_OK) {
        w->total += request->len;
        zv_cutter_extend(w->cutter, 0);
    }
    return zv_unlock(db, status);
}

/* Inside the finish transaction: the chunks stored by earlier flushes must
 * still be there, unchanged in size, if anything has touched the file since. */
static zova_status zv_writer_recheck(zova_object_writer *w, uint64_t count) {
    zv_spool_reader reader;
    zova_status status = zv_spool_reader_open(&reader, &w->stored);
    uint64_t i;
    for (i = 0; i < count && status == ZOVA_OK; i++) {
        zv_manifest_entry entry;
        const uint8_t *record;
        if (!zv_spool_read(&reader, sizeof(entry), &record)) break;
        memcpy(&entry, record, sizeof(entry));
        status = zv_chunk_size_is(w->db, entry.hash, entry.size);
    }
    return zv_spool_reader_close(&reader, status);
}

/* Stores the last chunks and records the object in one transaction (docs/c-api.md §7.7). */
static zova_status zv_writer_finish(zova_object_writer *w, zova_object_id *out_id) {
    zova_database *db = w->db;
    zv_sha256_ctx hash;
    uint64_t size = 0, count = 0, recheck = 0;
    zova_status status = zv_begin_immediate(db);
    if (status != ZOVA_OK) return status;
    if (zv_data_version(db) != w->stored_version) recheck = w->stored_count;
    status = zv_writer_store_pending(w, 1);
    if (status == ZOVA_OK) {
        hash = w->object_hash;
        zv_sha256_final(&hash, out_id->bytes);
        status = zv_object_meta(db, out_id->bytes, &size, &count);
    }
    if (status == ZOVA_OK) {
        /* The object exists already: it must verify; our new chunks go. */
        status = zv_object_verify(db, out_id->bytes);
        if (status == ZOVA_OK) status = zv_writer_delete_unreferenced(w);
    } else if (status == ZOVA_OBJECT_NOT_FOUND) {
        status = zv_writer_recheck(w, recheck);
        if (status == ZOVA_OK) status = zv_object_insert(db, out_id->bytes, w->total, w->stored_count, &w->stored);
    }
    return zv_finish_transaction(db, status);
}

zova_status zova_object_writer_finish(const zova_object_writer_finish_request *request) {
    zova_object_writer *w;
    zova_database *db;
    zova_object_id id;
    zova_status status;
    uint64_t saved_stored, saved_count;
    if (!request || !request->writer) return ZOVA_INVALID_ARGUMENT;
    w = request->writer;
    db = w->db;
    zv_lock(db);
    if (!request->out_id) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    if ((status = zv_writer_ready(w, 0)) != ZOVA_OK) return zv_unlock(db, status);
    w->input_final = 1;
    saved_stored = zv_spool_size(&w->stored);
    saved_count = w->stored_count;
    status = zv_writer_finish(w, &id);
    if (status != ZOVA_OK) {
        zv_writer_undo(w, saved_stored, saved_count);
        return zv_unlock(db, status);
    }
    zv_writer_close(w);
    *request->out_id = id;
    return zv_unlock(db, ZOVA_OK);
}

static zova_status zv_writer_cancel(zova_object_writer *w) {
    zova_status status = zv_begin_immediate(w->db);
    if (status != ZOVA_OK) return status;
    status = zv_finish_transaction(w->db, zv_writer_delete_unreferenced(w));
    if (status == ZOVA_OK) zv_writer_close(w);
    return status;
}

zova_status zova_object_writer_cancel(const zova_object_writer_cancel_request *request) {
    zova_object_writer *w;
    zova_database *db;
    zova_status status;
    if (!request || !request->writer) return ZOVA_INVALID_ARGUMENT;
    w = request->writer;
    db = w->db;
    zv_lock(db);
    status = zv_writer_ready(w, 0);
    return zv_unlock(db, status != ZOVA_OK ? status : zv_writer_cancel(w));
}

zova_status zova_object_writer_destroy(zova_object_writer *writer) {
    zova_database *db;
    if (!writer) return ZOVA_INVALID_ARGUMENT;
    db = writer->db;
    zv_lock(db);
    if (zv_writer_forked(writer)) {
        zv_cutter_abandon(writer->cutter); /* the parent's stream goes on */
    } else {
        if (!writer->closed && !zv_transaction_active(db)) (void)zv_writer_cancel(writer);
        zv_cutter_free(writer->cutter); /* before the spool it reads */
    }
    free(writer->carry);
    zv_spool_free(&writer->pending);
    zv_spool_free(&writer->stored);
    free(writer);
    db->live_writers--;
    return zv_unlock(db, ZOVA_OK);
}
