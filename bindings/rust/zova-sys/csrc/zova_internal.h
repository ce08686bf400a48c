/*
 * zova_internal.h - what every C file of the core shares: the database and
 * statement handle structs, the handle lock, the last-error slot, the status
 * mapping helpers, the cached internal statements and the transaction helpers.
 *
 * Naming: functions shared between C files start with zv_ and are hidden from
 * the shared library; nothing here starts with "zova" (docs/c-api.md §1 symbol
 * hygiene: every exported zova* symbol must start with zova_).
 */
#ifndef ZOVA_INTERNAL_H
#define ZOVA_INTERNAL_H

#include "zova.h"
#include "sqlite3.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define ZV_HIDDEN __attribute__((visibility("hidden")))

/* Internal prepared statements are cached per handle, keyed by the address of
 * their static SQL text. */
#define ZV_STMT_CACHE_SIZE 64

typedef struct zv_cached_stmt {
    const char *sql;
    sqlite3_stmt *stmt;
} zv_cached_stmt;

struct zova_database {
    sqlite3 *sql;
    pthread_mutex_t lock;          /* docs/c-api.md §5.7: one non-recursive mutex per handle */
    char *last_error;              /* owned; NULL means "" */
    int error_set;                 /* a message was stored during the current call */
    unsigned long cancel_mark;     /* cancel.c: the thread's interrupt count at zv_lock */
    size_t live_statements;        /* docs/c-api.md §5.8 */
    size_t live_writers;
    int read_only;
    zv_cached_stmt stmt_cache[ZV_STMT_CACHE_SIZE];
    size_t stmt_cache_len;
    /* private_tables.c: the schema version last scanned clean of foreign triggers. */
    int schema_scanned;
    int64_t scanned_schema_version;
    /* ...and whether that scan found vector_index.c's triggers (an index exists). */
    int vector_index_triggers;
    /* Vector search state owned by the vector code; released on close. */
    void *vector_state;
    void (*release_vector_state)(zova_database *db);
};

struct zova_statement {
    zova_database *db;
    sqlite3_stmt *stmt;
};

/* ---- cancel.c: cancelling a call from another thread ---- */
/* The message of a call cut short by the calling thread's token. */
#define ZV_INTERRUPTED "interrupted"
/* The token bound to the calling thread, or NULL. */
ZV_HIDDEN zova_cancel *zv_cancel_bound(void);
/* 1 when the calling thread's token is requested (nothing counted). */
ZV_HIDDEN int zv_cancel_requested(void);
/* The check of a C loop: 1 when the calling thread's token is requested, and
 * then counted as an interrupt of the current call; the caller stops and fails
 * (ZOVA_SQLITE_ERROR, ZV_INTERRUPTED). */
ZV_HIDDEN int zv_cancel_point(void);
/* The calling thread's interrupt count (the progress handler and
 * zv_cancel_point add to it); zv_cancel_since(mark) is 1 when an interrupt
 * happened on this thread since mark was taken. */
ZV_HIDDEN unsigned long zv_cancel_mark(void);
ZV_HIDDEN int zv_cancel_since(unsigned long mark);
/* Installs the progress handler that interrupts a statement run by a thread
 * whose token is requested. Every connection the core opens gets it. */
ZV_HIDDEN void zv_cancel_watch(sqlite3 *sql);

/* ---- status.c: names and mapping ---- */
ZV_HIDDEN zova_status zv_status_from_sqlite(int rc);
/* Upstream failure-kind name ("ObjectNotFound", ...) used as message text. */
ZV_HIDDEN const char *zv_status_kind(zova_status status);

/* ---- database.c: lock and last error ---- */
ZV_HIDDEN void zv_lock(zova_database *db);
/* Clears the last error on OK, stores the kind name for a failure that set no
 * message of its own, unlocks, and returns status. Every locked call ends here.
 * A failure of a call that was interrupted (cancel.c) becomes
 * ZOVA_SQLITE_ERROR with the message ZV_INTERRUPTED, whatever it was. */
ZV_HIDDEN zova_status zv_unlock(zova_database *db, zova_status status);
/* The message of the calling thread's last failed call (malloc'ed, the caller
 * frees it), or NULL; the thread's copy is cleared. */
ZV_HIDDEN char *zv_thread_error_take(void);
/* Records an SQLite failure: maps rc and stores SQLite's message. */
ZV_HIDDEN zova_status zv_sqlite_fail(zova_database *db, int rc);
/* Records a failure with an explicit message. */
ZV_HIDDEN zova_status zv_fail_message(zova_database *db, zova_status status, const char *message);

/* Cached internal statement for static SQL text (reset and unbound, ready to
 * bind). Returns NULL and stores the error (*status) on failure. Callers must
 * sqlite3_reset() it when done (zv_stmt_release). */
ZV_HIDDEN sqlite3_stmt *zv_stmt(zova_database *db, const char *sql, zova_status *status);
ZV_HIDDEN void zv_stmt_release(sqlite3_stmt *stmt);

/* docs/c-api.md §5.9: outside autocommit, or any read/write transaction open. */
ZV_HIDDEN int zv_transaction_active(zova_database *db);
ZV_HIDDEN zova_status zv_begin_immediate(zova_database *db);
ZV_HIDDEN zova_status zv_commit(zova_database *db);
ZV_HIDDEN void zv_rollback(zova_database *db);

/* ---- private_tables.c: no foreign triggers in Zova's writes, no DDL on its tables ---- */
/* CORRUPT (with a message naming it) while a trigger is attached to a private
 * table; call inside the write's transaction, before the first write. */
ZV_HIDDEN zova_status zv_private_tables_guard(zova_database *db);
/* The authorizer's answer (SQLITE_OK or SQLITE_DENY) for a schema change
 * (SQLite's action code and its first two arguments, and the database name);
 * a refusal's reason is kept for zv_private_tables_refusal. */
ZV_HIDDEN int zv_private_tables_authorize(int action, const char *a, const char *b, const char *database);
/* The reason of this thread's last refusal (the message of the SQLITE_AUTH
 * failure it caused), or NULL when there was none. */
ZV_HIDDEN const char *zv_private_tables_refusal(void);
/* While on (this thread), the authorizer lets Zova's own DDL on private names through. */
ZV_HIDDEN void zv_private_tables_own_ddl(int on);
/* vector_index.c: 1 when a trigger on a private table is one of the index's own
 * (its name and canonical text, docs/file-format.md §5). */
ZV_HIDDEN int zv_vindex_trigger_is_own(const char *name, const char *sql);

/* ---- paths.c: file-system checks shared by create/open/copies ---- */
ZV_HIDDEN int zv_has_zova_suffix(const char *path);
/* docs/c-api.md §5.10: status for an absent/present destination (OK when creatable). */
ZV_HIDDEN zova_status zv_destination_available(const char *path);
/* Exclusively creates an empty file (33 if present, 13 otherwise). */
ZV_HIDDEN zova_status zv_create_exclusive(const char *path);
/* Removes a file and its -journal/-wal/-shm companions (best effort). */
ZV_HIDDEN void zv_remove_database_files(const char *path);

/* ---- schema.c: docs/file-format.md §1-§2 ---- */
ZV_HIDDEN zova_status zv_schema_create(sqlite3 *sql);
ZV_HIDDEN zova_status zv_schema_validate(sqlite3 *sql);
/* 1 when two DDL texts are equal ignoring ASCII whitespace and case (docs/file-format.md §1). */
ZV_HIDDEN int zv_schema_ddl_equal(const char *a, const char *b);

/* ---- database.c: open a handle on a path with full validation ---- */
ZV_HIDDEN zova_status zv_database_open_path(const char *path, int read_only, uint32_t busy_timeout_ms,
                                            zova_database **out_db);

/* ---- vector_sql.c: SQL helpers registered on every connection (docs/c-api.md §8) ---- */
ZV_HIDDEN int zv_vector_sql_register(sqlite3 *sql);

/* ---- memory helpers ---- */
ZV_HIDDEN char *zv_strndup(const char *s, size_t len);

/* ---- sha256.c: SHA-256 (SHA-NI when the CPU has it) ---- */
typedef struct zv_sha256_ctx {
    uint32_t state[8];
    uint64_t total;
    uint8_t block[64];
    size_t pending;
} zv_sha256_ctx;
ZV_HIDDEN void zv_sha256_init(zv_sha256_ctx *ctx);
ZV_HIDDEN void zv_sha256_update(zv_sha256_ctx *ctx, const uint8_t *data, size_t len);
ZV_HIDDEN void zv_sha256_final(zv_sha256_ctx *ctx, uint8_t out[32]);
ZV_HIDDEN void zv_sha256(const uint8_t *data, size_t len, uint8_t out[32]);
ZV_HIDDEN int zv_sha256_accelerated(void);
/* chunk_digest = SHA-256(data), and data appended to the object stream: two
 * SHA-256 streams interleaved block by block on the SHA extensions, so the
 * second costs little extra time. */
ZV_HIDDEN void zv_sha256_dual(zv_sha256_ctx *object, const uint8_t *data, size_t len, uint8_t chunk_digest[32]);
/* ---- spool.c: append-only scratch storage, bounded memory, spills to an
 * unnamed temporary file (see spool.c) ---- */
#define ZV_SPOOL_MEMORY (64u << 10)
#define ZV_SPOOL_RECORD_MAX (64u << 10) /* the most read at once: one chunk (ZV_CHUNK_MAX) */
typedef struct zv_spool {
    zova_database *db;     /* directory for the file, and the error slot */
    uint8_t *memory;       /* content starts with memory[0..memory_len) */
    size_t memory_len;
    int fd;                /* -1 until the content outgrows memory */
    uint64_t file_len;     /* then file[0..file_len) */
    uint8_t *write_buffer; /* then write_buffer[0..write_len), not yet written */
    size_t write_len;
} zv_spool;
/* What a reader may read: the memory part and the file part as they were
 * when it was taken (bytes still in the write buffer are not readable). */
typedef struct zv_spool_extent {
    size_t memory_len;
    int fd;
    uint64_t size;
} zv_spool_extent;
typedef struct zv_spool_reader {
    zv_spool *spool;
    zv_spool_extent extent; /* it reads content [0, extent.size) */
    uint64_t offset;        /* content offset of the next record */
    uint8_t *buffer;        /* file bytes [buffer_offset, buffer_offset + buffer_len) */
    uint64_t buffer_offset;
    size_t buffer_len;
    const char *failure; /* what failed, kept for zv_spool_reader_status */
    int failure_errno;
} zv_spool_reader;
ZV_HIDDEN void zv_spool_init(zv_spool *spool, zova_database *db);
ZV_HIDDEN uint64_t zv_spool_size(const zv_spool *spool);
ZV_HIDDEN zova_status zv_spool_append(zv_spool *spool, const void *data, size_t len);
/* Drops everything after the first size bytes (size <= zv_spool_size). */
ZV_HIDDEN void zv_spool_truncate(zv_spool *spool, uint64_t size);
/* Writes the write buffer out, so that all of the content is readable. */
ZV_HIDDEN zova_status zv_spool_sync(zv_spool *spool);
ZV_HIDDEN zv_spool_extent zv_spool_readable(const zv_spool *spool);
ZV_HIDDEN void zv_spool_free(zv_spool *spool);
/* A read-only spool over the caller's bytes, for code that reads either kind:
 * it is never appended to, truncated or freed. */
ZV_HIDDEN void zv_spool_view(zv_spool *spool, zova_database *db, const uint8_t *data, size_t len);
/* Sequential reading from the start, of the content when the reader was
 * opened (after a zv_spool_sync) or given its extent (zv_spool_reader_rewind);
 * appending meanwhile is allowed, the reader does not see it.
 * zv_spool_read hands out the next len (<= ZV_SPOOL_RECORD_MAX) bytes, valid
 * until the next call, and returns 1; or 0 once anything failed. zv_spool_peek
 * does the same without moving past them; reader->offset may also be moved
 * forward directly. It touches no handle and no spool field but the memory
 * pointer, so a second thread may read with a reader of its own while the
 * owner appends; open, status and close belong to the thread that holds the
 * handle lock. zv_spool_reader_status returns status, or when that is OK a
 * failure the reads kept (with a message); close also frees the buffer, and
 * free only does that. */
ZV_HIDDEN zova_status zv_spool_reader_open(zv_spool_reader *reader, zv_spool *spool);
ZV_HIDDEN void zv_spool_reader_rewind(zv_spool_reader *reader, zv_spool_extent extent);
ZV_HIDDEN int zv_spool_read(zv_spool_reader *reader, size_t len, const uint8_t **out);
ZV_HIDDEN int zv_spool_peek(zv_spool_reader *reader, size_t len, const uint8_t **out);
ZV_HIDDEN int zv_spool_reader_failed(const zv_spool_reader *reader);
ZV_HIDDEN zova_status zv_spool_reader_status(zv_spool_reader *reader, zova_status status);
ZV_HIDDEN zova_status zv_spool_reader_close(zv_spool_reader *reader, zova_status status);
ZV_HIDDEN void zv_spool_reader_free(zv_spool_reader *reader);

/* ---- chunker.c: FastCDC-v1 (docs/file-format.md §3.1) ---- */
#define ZV_CHUNK_MIN 2048
#define ZV_CHUNK_AVG 8192
#define ZV_CHUNK_MAX 65536
/* Length of the first chunk of data[0..n) when data[0..n) is the rest of the
 * stream, or when n >= ZV_CHUNK_MAX (the cut never looks further). */
ZV_HIDDEN size_t zv_fastcdc_cut(const uint8_t *data, size_t n);

/* ---- chunk_store.c: chunk rows (store, look up, verify) ---- */
/* A chunk stored by a put or a flush, as the object's manifest will list it. */
typedef struct zv_manifest_entry {
    uint8_t hash[32];
    uint32_t size;
    uint32_t fresh; /* the call that stored the chunk inserted its row */
} zv_manifest_entry;
/* Steps a statement that returns no row, then releases it. */
ZV_HIDDEN zova_status zv_step_done(zova_database *db, sqlite3_stmt *stmt);
/* 1 when data[0..len) hashes to hash. */
ZV_HIDDEN int zv_chunk_bytes_match(const uint8_t hash[32], const uint8_t *data, size_t len);
/* Reads one stored chunk row: 52 when absent, 54 when its size or bytes are
 * inconsistent or do not hash to its key. On success *out_stmt holds the row
 * (data in column 1) and must be released by the caller. */
ZV_HIDDEN zova_status zv_chunk_row(zova_database *db, const uint8_t hash[32], sqlite3_stmt **out_stmt,
                                   int64_t *out_size);
/* OK when the chunk row exists with that size (52 absent, 54 another size);
 * its bytes are not read. */
ZV_HIDDEN zova_status zv_chunk_size_is(zova_database *db, const uint8_t hash[32], uint64_t size);
/* Stores chunk bytes whose hash the caller computed; *out_fresh tells whether
 * a new row was written. An existing row that fails verification is 54, or
 * is rewritten with the given (verified) bytes when repair is set. */
ZV_HIDDEN zova_status zv_chunk_store(zova_database *db, const uint8_t hash[32], const uint8_t *data, size_t len,
                                     int repair, int *out_fresh);
/* zv_chunk_store, then appends the chunk's zv_manifest_entry to entries. */
ZV_HIDDEN zova_status zv_chunk_store_entry(zova_database *db, const uint8_t hash[32], const uint8_t *data, size_t len,
                                           int repair, zv_spool *entries);
/* Deletes the chunk row if no manifest references it; *out_deleted says whether. */
ZV_HIDDEN zova_status zv_chunk_delete_if_loose(zova_database *db, const uint8_t hash[32], int *out_deleted);

/* ---- objects.c: object and manifest rows ---- */
/* Commit on OK (returning a failed commit's status), roll back otherwise. */
ZV_HIDDEN zova_status zv_finish_transaction(zova_database *db, zova_status status);
/* Loads and validates the object row (50 missing, 54 malformed). */
ZV_HIDDEN zova_status zv_object_meta(zova_database *db, const uint8_t id[32], uint64_t *out_size,
                                     uint64_t *out_count);
/* Writes the object row and its manifest rows, read from a spool of count
 * zv_manifest_entry records. */
ZV_HIDDEN zova_status zv_object_insert(zova_database *db, const uint8_t id[32], uint64_t size, uint64_t count,
                                       zv_spool *entries);

/* ---- object_read.c: verified reads ---- */
/* The id of the empty object: SHA-256 of no bytes. */
ZV_HIDDEN extern const uint8_t zv_empty_sha256[32];
/* Whether the current row of a manifest query (index, hash, offset, size,
 * stored chunk size, ...) is row index of an object of size bytes starting at
 * running: a 32-byte hash, a size of 1..65536 that fits in the object, and a
 * stored chunk of that size. */
ZV_HIDDEN int zv_manifest_row_valid(sqlite3_stmt *stmt, uint64_t index, uint64_t running, uint64_t size);
/* Reads [offset, offset + len) of an object (len > 0 clipped to the object,
 * size and chunk_count from its row) into out, locating the first chunk by
 * binary search and checking the manifest rows it reads and the chunks it
 * copies from; a read of the whole object checks its hash instead of each
 * chunk's. 54 for any inconsistency. */
ZV_HIDDEN zova_status zv_object_read(zova_database *db, const uint8_t id[32], uint64_t size, uint64_t chunk_count,
                                     uint64_t offset, uint8_t *out, size_t len);
/* 54 unless an object row's size and chunk count are possible: at most
 * ZV_CHUNK_MAX bytes per chunk, and for a large size as many manifest rows as
 * the row claims. Run before allocating a claimed size. */
ZV_HIDDEN zova_status zv_object_claim_check(zova_database *db, const uint8_t id[32], uint64_t size, uint64_t count);
/* Loads a whole verified object into a new malloc'd buffer (NULL for size 0). */
ZV_HIDDEN zova_status zv_object_load(zova_database *db, const uint8_t id[32], uint8_t **out_data, size_t *out_len);
/* For a fresh output buffer of a large read (malloc'd by the library or by
 * a binding, never the caller's): asks the kernel to back it with
 * transparent huge pages where it can (Linux madvise); a hint, nothing else. */
ZV_HIDDEN void zv_advise_huge_pages(void *data, size_t len);
/* Verifies a stored object as a full read would, without keeping its bytes. */
ZV_HIDDEN zova_status zv_object_verify(zova_database *db, const uint8_t id[32]);

/* ---- chunk_pipeline.c: cut, hash and store a stream on two threads ---- */
/* A cutter reads a spool from its start, cutting FastCDC-v1 chunks and
 * hashing each one and the object (into *object_hash) on a thread of its own;
 * zv_cutter_store inserts what it cut. The cutter reads only what
 * zv_cutter_extend lets it (the spool's readable part at that moment; final:
 * the stream ends there), and meanwhile the owner may append to the spool.
 * All calls belong to the owner, who holds the handle lock. */
typedef struct zv_cutter zv_cutter;
/* NULL with *status on failure; else *status is OK (or a spool read failure:
 * free the cutter then). */
ZV_HIDDEN zv_cutter *zv_cutter_new(zv_spool *source, zv_sha256_ctx *object_hash, zova_status *status);
ZV_HIDDEN void zv_cutter_extend(zv_cutter *cutter, int final);
/* Inside the caller's transaction: stores every chunk that can be cut of what
 * the cutter may read, with zv_chunk_store_entry, adding each to *count. On
 * failure entries may hold some of the appends: the caller undoes them, and
 * restarts the cutter. */
ZV_HIDDEN zova_status zv_cutter_store(zv_cutter *cutter, zova_database *db, int repair, zv_spool *entries,
                                      uint64_t *count);
/* Where the cut stopped: what is left is less than a chunk window, uncut. */
ZV_HIDDEN uint64_t zv_cutter_offset(const zv_cutter *cutter);
/* Back to the start of the spool as it is now (nothing cut, its thread
 * stopped); the owner resets the object hash to match. */
ZV_HIDDEN void zv_cutter_restart(zv_cutter *cutter);
ZV_HIDDEN void zv_cutter_free(zv_cutter *cutter);
/* Frees a cutter copied into a fork()ed child: its thread, and the state of
 * its lock and condition, are the parent's, so none of them is touched. */
ZV_HIDDEN void zv_cutter_abandon(zv_cutter *cutter);
/* A put's chunks: data cut and stored through a cutter in one go (repairing
 * damaged chunk rows), the object hash computed along. */
ZV_HIDDEN zova_status zv_chunks_store_view(zova_database *db, const uint8_t *data, size_t len,
                                           zv_sha256_ctx *object_hash, zv_spool *entries, uint64_t *count);

/* A batch of objects for one put_many transaction: those of at most
 * ZV_CHUNK_MAX bytes are copied, cut and hashed in order, on a second thread
 * for a large batch, ahead of the caller. zv_put_batch_next hands out the next
 * object (waiting for it), valid until zv_put_batch_release; the caller takes
 * them in order and releases each before the next. */
typedef struct zv_prepared {
    uint8_t *copy; /* the object's bytes to store; NULL for a larger object, not prepared */
    size_t len;
    size_t chunks;
    uint32_t sizes[ZV_CHUNK_MAX / ZV_CHUNK_MIN];
    uint8_t hashes[ZV_CHUNK_MAX / ZV_CHUNK_MIN][32];
    uint8_t id[32];
} zv_prepared;
typedef struct zv_put_batch zv_put_batch;
/* NULL when out of memory; data and lens must outlive the batch. */
ZV_HIDDEN zv_put_batch *zv_put_batch_new(const uint8_t *const *data, const size_t *lens, size_t count);
ZV_HIDDEN const zv_prepared *zv_put_batch_next(zv_put_batch *batch);
ZV_HIDDEN void zv_put_batch_release(zv_put_batch *batch);
ZV_HIDDEN void zv_put_batch_free(zv_put_batch *batch);

/* The descriptor the unix VFS holds for path on sql's main database (file_op
 * SQLITE_FCNTL_FILE_POINTER) or its WAL (SQLITE_FCNTL_JOURNAL_POINTER), or -1
 * (another VFS, or not that file). For write-back hints only: never closed. */
ZV_HIDDEN int zv_sqlite_fd(sqlite3 *sql, int file_op, const char *path);

/* ---- process.c: the library's threads, and fork() ---- */
/* pthread_create with every signal blocked in the new thread; 1 if it started. */
ZV_HIDDEN int zv_thread_start(pthread_t *thread, void *(*run)(void *), void *arg);
/* How many fork()s this process descends from: a handle that recorded a
 * smaller number is a copy of the parent's. */
ZV_HIDDEN unsigned long zv_process_generation(void);

/* ---- operations.c: deep-check fast path for zova.diagnostics ---- */
/* out_ok[i] = 1 when object i (ids + 32*i) has a sound manifest, verified chunks
 * and a verified whole-object hash; out_chunks[i] its manifest entry count. */
ZV_HIDDEN zova_status zv_deep_check_objects(zova_database *db, const uint8_t *ids, size_t n, uint8_t *out_ok,
                                            int64_t *out_chunks);

#endif
