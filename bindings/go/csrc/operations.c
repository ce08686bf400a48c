/*
 * operations.c - operational copies and conversion (docs/c-api.md §4.6, §5.10, §5.12, §7.4):
 * backup (SQLite online backup), compact (VACUUM INTO), restore (backup from a
 * read-only source handle), conversion of a plain SQLite file, and the
 * verification of a finished copy.
 *
 * Every destination must be a new .zova path. It is created exclusively
 * (O_EXCL) before anything is written, so of two racing copies to the same path
 * exactly one wins and the loser never touches the winner's file; a copy that
 * fails after that point (including verification) removes the file it created.
 * Vacuum lives in database.c.
 *
 * Cancellation (cancel.c): every connection opened here has the progress
 * handler, the backup copies its pages in steps of ZV_BACKUP_STEP_PAGES with a
 * check of the calling thread's token between steps, and verification checks
 * it before each object, chunk and vector. A call whose token is requested
 * fails at once, or soon, as ZOVA_SQLITE_ERROR "interrupted", and removes the
 * destination like any other failure. So that the commit ending a copy does
 * not keep a cancellation waiting while it syncs hundreds of MiB, backup and
 * compact have the kernel write their destination back as it grows
 * (zv_flusher, ZV_COPY_SYNC_BYTES).
 */
#define _GNU_SOURCE /* sync_file_range */
#include "zova_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A failure's message: SQLite's text when SQLite produced it, else the kind. */
typedef struct zv_op_error {
    char text[256];
} zv_op_error;

static zova_status zv_op_fail(zv_op_error *error, zova_status status, const char *text) {
    if (error && !error->text[0]) {
        snprintf(error->text, sizeof(error->text), "%s", text && *text ? text : zv_status_kind(status));
    }
    return status;
}

/* The failure of a copy cut short by the thread's token: it replaces whatever
 * message a step made of the interruption (a failed read, a failed check). */
static zova_status zv_op_interrupted(zv_op_error *error) {
    if (error) snprintf(error->text, sizeof(error->text), "%s", ZV_INTERRUPTED);
    return ZOVA_SQLITE_ERROR;
}

/* A failed operation that was interrupted since mark reports just that. */
static zova_status zv_op_finish(zova_status status, unsigned long mark, zv_op_error *error) {
    if (status != ZOVA_OK && zv_cancel_since(mark)) return zv_op_interrupted(error);
    return status;
}

static zova_status zv_op_sqlite_fail(zv_op_error *error, sqlite3 *sql, int rc) {
    zova_status status = zv_status_from_sqlite(rc & 0xff);
    const char *text = sql ? sqlite3_errmsg(sql) : NULL;
    if (text && strcmp(text, "not an error") == 0) text = NULL;
    return zv_op_fail(error, status, text);
}

/* ---- verification of a finished copy (docs/c-api.md §5.12) ---- */

/* Object and chunk read failures are all reported as corruption of the copy. */
static zova_status zv_object_failure(zova_status status) {
    if (status == ZOVA_OUT_OF_MEMORY || status == ZOVA_OBJECT_TOO_LARGE) return status;
    return ZOVA_OBJECT_CORRUPT;
}

static zova_status zv_verify_quick_check(sqlite3 *sql, zv_op_error *error) {
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(sql, "pragma quick_check", -1, &stmt, NULL);
    int rows = 0, ok = 1;
    if (rc != SQLITE_OK) return zv_op_sqlite_fail(error, sql, rc);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const unsigned char *text = sqlite3_column_text(stmt, 0);
        rows++;
        if (!text || strcmp((const char *)text, "ok") != 0) ok = 0;
    }
    sqlite3_finalize(stmt);
    if (rc == SQLITE_INTERRUPT && zv_cancel_requested()) return zv_op_interrupted(error);
    if (rc != SQLITE_DONE) {
        /* A file too damaged to check is corrupt as far as the copy goes. */
        return zv_op_fail(error, ZOVA_CORRUPT, "quick_check failed");
    }
    if (rows != 1 || !ok) return zv_op_fail(error, ZOVA_CORRUPT, "quick_check failed");
    return ZOVA_OK;
}

/* Reads one object (kind 0) or chunk (kind 1) back through the ABI, verified. */
static zova_status zv_verify_read(zova_database *vdb, int kind, const void *id) {
    zova_buffer buffer = {NULL, 0};
    zova_status status;
    if (kind == 0) {
        zova_object_get_request request;
        memset(&request, 0, sizeof(request));
        request.db = vdb;
        memcpy(request.id.bytes, id, 32);
        request.out_buffer = &buffer;
        status = zova_object_get(&request);
    } else {
        zova_object_chunk_get_request request;
        memset(&request, 0, sizeof(request));
        request.db = vdb;
        memcpy(request.hash.bytes, id, 32);
        request.out_buffer = &buffer;
        status = zova_object_chunk_get(&request);
    }
    zova_buffer_free(&buffer);
    return status;
}

/* Verifies every id that `sql` lists: objects (kind 0) or chunks (kind 1). */
static zova_status zv_verify_all(zova_database *vdb, const char *sql, int kind, zv_op_error *error) {
    sqlite3_stmt *stmt = NULL;
    zova_status status = ZOVA_OK;
    int rc = sqlite3_prepare_v2(vdb->sql, sql, -1, &stmt, NULL);
    if (rc != SQLITE_OK) return zv_op_sqlite_fail(error, vdb->sql, rc);
    while (status == ZOVA_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const void *id = sqlite3_column_blob(stmt, 0);
        if (zv_cancel_point()) {
            status = zv_op_interrupted(error);
            break;
        }
        if (sqlite3_column_bytes(stmt, 0) != 32 || !id) {
            status = zv_op_fail(error, ZOVA_OBJECT_CORRUPT, "ObjectCorrupt");
            break;
        }
        status = zv_verify_read(vdb, kind, id);
        if (status != ZOVA_OK && zv_cancel_requested()) {
            status = zv_op_interrupted(error);
        } else if (status != ZOVA_OK) {
            status = zv_object_failure(status);
            zv_op_fail(error, status, zv_status_kind(status));
        }
    }
    if (status == ZOVA_OK && rc != SQLITE_DONE) {
        status = rc == SQLITE_INTERRUPT && zv_cancel_requested() ? zv_op_interrupted(error)
                                                                 : zv_op_sqlite_fail(error, vdb->sql, rc);
    }
    sqlite3_finalize(stmt);
    return status;
}

static zova_status zv_verify_vectors(zova_database *vdb, zv_op_error *error) {
    sqlite3_stmt *stmt = NULL;
    zova_status status = ZOVA_OK;
    int rc = sqlite3_prepare_v2(vdb->sql, "select collection_name, vector_id from _zova_vectors", -1, &stmt, NULL);
    if (rc != SQLITE_OK) return zv_op_sqlite_fail(error, vdb->sql, rc);
    while (status == ZOVA_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        zova_vector_get_request request;
        zova_vector vector = {NULL, 0, NULL, 0};
        const char *collection = (const char *)sqlite3_column_text(stmt, 0);
        char *collection_copy = collection ? zv_strndup(collection, strlen(collection)) : NULL;
        const char *vector_id = (const char *)sqlite3_column_text(stmt, 1);
        if (zv_cancel_point()) {
            free(collection_copy);
            status = zv_op_interrupted(error);
            break;
        }
        if (!collection || !vector_id) {
            free(collection_copy);
            status = zv_op_fail(error, ZOVA_VECTOR_CORRUPT, "VectorCorrupt");
            break;
        }
        if (!collection_copy) {
            status = zv_op_fail(error, ZOVA_OUT_OF_MEMORY, "OutOfMemory");
            break;
        }
        memset(&request, 0, sizeof(request));
        request.db = vdb;
        request.collection_name = collection_copy;
        request.vector_id = vector_id;
        request.out_vector = &vector;
        status = zova_vector_get(&request);
        zova_vector_free(&vector);
        free(collection_copy);
        if (status != ZOVA_OK && zv_cancel_requested()) {
            status = zv_op_interrupted(error);
        } else if (status != ZOVA_OK) {
            /* A stored row that cannot be read back (not found included) is corrupt. */
            if (status == ZOVA_VECTOR_NOT_FOUND || status == ZOVA_VECTOR_DIMENSION_MISMATCH) {
                status = ZOVA_VECTOR_CORRUPT;
            }
            zv_op_fail(error, status, zv_status_kind(status));
        }
    }
    if (status == ZOVA_OK && rc != SQLITE_DONE) {
        status = rc == SQLITE_INTERRUPT && zv_cancel_requested() ? zv_op_interrupted(error)
                                                                 : zv_op_sqlite_fail(error, vdb->sql, rc);
    }
    sqlite3_finalize(stmt);
    return status;
}

/* Opens the copy read-only with full validation, quick_check, then every
 * object, chunk and vector through the verified read paths. */
static zova_status zv_verify_copy(const char *path, zv_op_error *error) {
    zova_database *vdb = NULL;
    zova_status status = zv_database_open_path(path, 1, 0, &vdb);
    if (status != ZOVA_OK) return zv_op_fail(error, status, NULL);
    status = zv_verify_quick_check(vdb->sql, error);
    if (status == ZOVA_OK) status = zv_verify_all(vdb, "select object_id from _zova_objects", 0, error);
    if (status == ZOVA_OK) status = zv_verify_all(vdb, "select chunk_hash from _zova_chunks", 1, error);
    if (status == ZOVA_OK) status = zv_verify_vectors(vdb, error);
    zova_database_close(vdb);
    return status;
}

/* ---- the copies ---- */

static zova_status zv_open_destination(const char *path, sqlite3 **out, zv_op_error *error) {
    int rc = sqlite3_open_v2(path, out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        zova_status status = zv_op_sqlite_fail(error, *out, rc);
        sqlite3_close(*out);
        *out = NULL;
        return status;
    }
    zv_cancel_watch(*out);
    return ZOVA_OK;
}

/* Pages copied per backup step: a step of 1 MiB (at 4 KiB pages) takes a few
 * milliseconds, so a cancellation is seen well within 0.5 s. */
#ifndef ZV_BACKUP_STEP_PAGES /* -D for measurements */
#define ZV_BACKUP_STEP_PAGES 256
#endif

/* The most of a copy's destination left dirty in the page cache. The commit
 * at the end of a copy syncs the file, which cannot be interrupted: with
 * hundreds of MiB to write that took 0.2-0.3 s per 350 MiB here, on top of
 * removing the file. So the copy has the kernel write the file back as it
 * grows, in pieces of this size: each piece is started when written, and
 * waited for when the next one is started, so the disk works while the copy
 * goes on and the commit finds at most two pieces still to write. */
#ifndef ZV_COPY_SYNC_BYTES /* -D for measurements */
#define ZV_COPY_SYNC_BYTES ((sqlite3_int64)32 << 20)
#endif

typedef struct zv_flusher {
    int fd;             /* a descriptor of the destination for sync_file_range, or -1 */
    sqlite3_file *file; /* else (no sync_file_range) SQLite's file, synced with xSync */
    sqlite3_int64 waited;  /* [0, waited) was written back */
    sqlite3_int64 started; /* [waited, started) is being written back */
} zv_flusher;

/* Called as the destination grows to size bytes. An SQLite status: a failed
 * write-back fails the copy (a later sync could report success for data that
 * was lost). */
static int zv_flusher_note(zv_flusher *flusher, sqlite3_int64 size) {
    if (size - flusher->started < ZV_COPY_SYNC_BYTES) return SQLITE_OK;
#ifdef SYNC_FILE_RANGE_WRITE
    if (flusher->fd >= 0) {
        int failed = flusher->started > flusher->waited &&
                     sync_file_range(flusher->fd, flusher->waited, flusher->started - flusher->waited,
                                     SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                         SYNC_FILE_RANGE_WAIT_AFTER) != 0;
        if (!failed) {
            flusher->waited = flusher->started;
            failed = sync_file_range(flusher->fd, flusher->started, size - flusher->started,
                                     SYNC_FILE_RANGE_WRITE) != 0;
        }
        if (failed && (errno == EIO || errno == ENOSPC || errno == EDQUOT)) return SQLITE_IOERR;
        if (failed) flusher->fd = -1; /* not for this file: sync instead */
        else {
            flusher->started = size;
            return SQLITE_OK;
        }
    }
#endif
    if (flusher->file) {
        int rc = flusher->file->pMethods->xSync(flusher->file, SQLITE_SYNC_NORMAL);
        if (rc != SQLITE_OK) return rc;
    } else if (flusher->fd >= 0 && fdatasync(flusher->fd) != 0) {
        return SQLITE_IOERR;
    }
    flusher->waited = flusher->started = size;
    return SQLITE_OK;
}

/* During a backup: the destination connection's file, written back by
 * zv_backup_flush through SQLite's own descriptor (closing one of our own
 * would drop the POSIX locks SQLite holds on the file). */
static void zv_backup_flusher(zv_flusher *flusher, sqlite3 *dest, const char *path) {
    sqlite3_file *file = NULL;
    memset(flusher, 0, sizeof(*flusher));
    flusher->fd = zv_sqlite_fd(dest, SQLITE_FCNTL_FILE_POINTER, path);
    if (sqlite3_file_control(dest, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK && file &&
        file->pMethods) {
        flusher->file = file;
    }
}

static int zv_backup_flush(zv_flusher *flusher) {
    sqlite3_int64 size = 0;
    if (!flusher->file || flusher->file->pMethods->xFileSize(flusher->file, &size) != SQLITE_OK) return SQLITE_OK;
    return zv_flusher_note(flusher, size);
}

/* Keeps a read transaction open on source's main database while the backup
 * runs in steps: sqlite3_backup_step ends the read transaction it opened at the
 * end of each step, and a write by another connection between two steps would
 * restart the copy. Holding one across all steps gives the copy the single
 * snapshot of a one-step backup. NULL when source already has a transaction
 * (which then holds it), or when it cannot start one (the first step then
 * reports why). */
static sqlite3_stmt *zv_backup_hold_source(sqlite3 *source) {
    sqlite3_stmt *hold = NULL;
    if (sqlite3_txn_state(source, "main") != SQLITE_TXN_NONE) return NULL;
    if (sqlite3_prepare_v2(source, "select count(*) from main.sqlite_master", -1, &hold, NULL) != SQLITE_OK ||
        sqlite3_step(hold) != SQLITE_ROW) {
        sqlite3_finalize(hold);
        return NULL;
    }
    return hold; /* a statement with a row pending keeps its read transaction */
}

/* Online backup of source's main database into the already created, empty file at path. */
static zova_status zv_backup_pages(sqlite3 *source, const char *path, zv_op_error *error) {
    sqlite3 *dest = NULL;
    sqlite3_backup *backup;
    sqlite3_stmt *hold;
    zv_flusher flusher;
    zova_status status;
    int rc = SQLITE_OK, interrupted = 0;
    if (zv_cancel_point()) return zv_op_interrupted(error);
    status = zv_open_destination(path, &dest, error);
    if (status != ZOVA_OK) return status;
    backup = sqlite3_backup_init(dest, "main", source, "main");
    if (!backup) {
        status = zv_op_sqlite_fail(error, dest, sqlite3_errcode(dest));
        sqlite3_close(dest);
        return status;
    }
    hold = zv_backup_hold_source(source);
    zv_backup_flusher(&flusher, dest, path);
    do {
        if (zv_cancel_point()) {
            interrupted = 1;
            break;
        }
        rc = sqlite3_backup_step(backup, ZV_BACKUP_STEP_PAGES);
        if (rc == SQLITE_OK) rc = zv_backup_flush(&flusher);
    } while (rc == SQLITE_OK);
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
    {
        /* Unfinished, finish rolls back what the destination was given. */
        int finish = sqlite3_backup_finish(backup);
        if (rc == SQLITE_OK) rc = finish;
    }
    sqlite3_finalize(hold);
    if (interrupted) {
        status = zv_op_interrupted(error);
    } else if (rc != SQLITE_OK) {
        const char *text = sqlite3_errmsg(dest);
        status = zv_op_fail(error, zv_status_from_sqlite(rc & 0xff),
                            text && strcmp(text, "not an error") != 0 ? text : NULL);
    }
    if (sqlite3_close(dest) != SQLITE_OK && status == ZOVA_OK) status = zv_op_fail(error, ZOVA_SQLITE_ERROR, NULL);
    return status;
}

/* The backup procedure shared by backup and restore (docs/c-api.md §4.6). */
static zova_status zv_backup_to(sqlite3 *source, const char *path, int verify, zv_op_error *error) {
    zova_status status;
    if (!zv_has_zova_suffix(path)) return zv_op_fail(error, ZOVA_NOT_ZOVA_PATH, NULL);
    status = zv_create_exclusive(path);
    if (status != ZOVA_OK) return zv_op_fail(error, status, NULL);
    status = zv_backup_pages(source, path, error);
    if (status == ZOVA_OK && verify) status = zv_verify_copy(path, error);
    if (status != ZOVA_OK) zv_remove_database_files(path);
    return status;
}

/* During VACUUM INTO: the source connection's progress handler, which also
 * writes the output back in pieces (zv_flusher) through a descriptor of our
 * own, closed only once SQLite closed the file (closing it earlier would drop
 * SQLite's POSIX locks on it). */
typedef struct zv_vacuum_watch {
    zv_flusher flusher;
    unsigned calls;
    int flush_failed;
} zv_vacuum_watch;

static int zv_vacuum_progress(void *arg) {
    zv_vacuum_watch *watch = (zv_vacuum_watch *)arg;
    struct stat st;
    if (zv_cancel_point()) return 1;
    if (watch->flusher.fd < 0 || ++watch->calls % 16 != 0 || fstat(watch->flusher.fd, &st) != 0) return 0;
    if (zv_flusher_note(&watch->flusher, (sqlite3_int64)st.st_size) != SQLITE_OK) {
        watch->flush_failed = 1;
        return 1;
    }
    return 0;
}

static zova_status zv_compact_to(sqlite3 *source, const char *path, int verify, zv_op_error *error) {
    sqlite3_stmt *stmt = NULL;
    zv_vacuum_watch watch;
    int fd = -1;
    zova_status status;
    int rc;
    if (!zv_has_zova_suffix(path)) return zv_op_fail(error, ZOVA_NOT_ZOVA_PATH, NULL);
    status = zv_destination_available(path);
    if (status != ZOVA_OK) return zv_op_fail(error, status, NULL);
    /* VACUUM INTO accepts an existing empty file; creating it exclusively first
     * means a racing copy to the same path cannot also succeed. */
    status = zv_create_exclusive(path);
    if (status != ZOVA_OK) return zv_op_fail(error, status, NULL);
    rc = sqlite3_prepare_v2(source, "vacuum into ?", -1, &stmt, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(stmt, 1, path, -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK) {
        memset(&watch, 0, sizeof(watch));
        fd = watch.flusher.fd = open(path, O_RDONLY | O_CLOEXEC);
        sqlite3_progress_handler(source, 1000, zv_vacuum_progress, &watch);
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    if (fd >= 0 && watch.flush_failed) status = zv_op_fail(error, ZOVA_SQLITE_ERROR, "disk I/O error");
    else if (rc != SQLITE_OK) status = zv_op_sqlite_fail(error, source, rc);
    sqlite3_finalize(stmt);
    zv_cancel_watch(source);
    if (fd >= 0) close(fd);
    if (status == ZOVA_OK && verify) status = zv_verify_copy(path, error);
    if (status != ZOVA_OK) zv_remove_database_files(path);
    return status;
}

static void zv_op_message(zova_message *out, zova_status status, int interrupted) {
    const char *text;
    size_t len;
    if (!out || status == ZOVA_OK) return;
    /* docs/c-api.md §5.6: no-handle operations report the failure-kind name; an
     * interrupted one says so instead (cancel.c). */
    text = interrupted ? ZV_INTERRUPTED : zv_status_kind(status);
    len = strlen(text);
    out->data = zv_strndup(text, len);
    out->len = out->data ? len : 0;
}

/* backup and compact: the same request shape around a different copy. */
typedef zova_status (*zv_copy_fn)(sqlite3 *source, const char *path, int verify, zv_op_error *error);

static zova_status zv_copy_database(zova_database *db, const char *destination, uint32_t flags, uint32_t no_verify,
                                    zv_copy_fn copy) {
    zova_status status;
    zv_op_error error;
    zv_lock(db);
    error.text[0] = '\0';
    if (!destination || (flags & ~no_verify) != 0) {
        status = ZOVA_INVALID_ARGUMENT;
    } else if (zv_cancel_point()) {
        status = zv_fail_message(db, ZOVA_SQLITE_ERROR, ZV_INTERRUPTED);
    } else {
        status = zv_op_finish(copy(db->sql, destination, !(flags & no_verify), &error), db->cancel_mark, &error);
        if (status != ZOVA_OK) zv_fail_message(db, status, error.text);
    }
    return zv_unlock(db, status);
}

zova_status zova_database_backup(const zova_database_backup_request *request) {
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    return zv_copy_database(request->db, request->destination_path, request->flags, ZOVA_BACKUP_NO_VERIFY,
                            zv_backup_to);
}

zova_status zova_database_compact(const zova_database_compact_request *request) {
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    return zv_copy_database(request->db, request->destination_path, request->flags, ZOVA_COMPACT_NO_VERIFY,
                            zv_compact_to);
}

zova_status zova_database_restore(const zova_database_restore_request *request) {
    zova_database *source = NULL;
    zova_status status;
    zv_op_error error;
    unsigned long mark = zv_cancel_mark();
    if (!request) return ZOVA_INVALID_ARGUMENT;
    zova_message_free(request->out_error_message);
    error.text[0] = '\0';
    if (!request->source_path || !request->destination_path ||
        (request->flags & ~(uint32_t)ZOVA_RESTORE_NO_VERIFY) != 0) {
        status = ZOVA_INVALID_ARGUMENT;
    } else if (zv_cancel_point()) {
        status = ZOVA_SQLITE_ERROR;
    } else if (!zv_has_zova_suffix(request->source_path)) {
        status = ZOVA_NOT_ZOVA_PATH;
    } else {
        status = zv_database_open_path(request->source_path, 1, 0, &source);
        if (status == ZOVA_OK) {
            status = zv_backup_to(source->sql, request->destination_path,
                                  !(request->flags & ZOVA_RESTORE_NO_VERIFY), &error);
            zova_database_close(source);
        }
    }
    status = zv_op_finish(status, mark, &error);
    zv_op_message(request->out_error_message, status, zv_cancel_since(mark));
    return status;
}

/* ---- conversion of a plain SQLite file (docs/c-api.md §4.6, §7.4) ---- */

static zova_status zv_convert_source_check(sqlite3 *source) {
    sqlite3_stmt *stmt = NULL;
    zova_status status = ZOVA_OK;
    /* Any schema object whose name (or table) starts with _zova_, in any case. */
    int rc = sqlite3_prepare_v2(source,
                                "select count(*) from sqlite_master where lower(substr(name, 1, 6)) = '_zova_' "
                                "or lower(substr(tbl_name, 1, 6)) = '_zova_'",
                                -1, &stmt, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_int64(stmt, 0) > 0) status = ZOVA_ZOVA_NAME_CONFLICT;
    } else {
        status = zv_status_from_sqlite(rc & 0xff);
        if (status == ZOVA_OK) status = ZOVA_SQLITE_ERROR;
    }
    sqlite3_finalize(stmt);
    return status;
}

static zova_status zv_convert(const char *source_path, const char *dest_path) {
    struct stat st;
    sqlite3 *source = NULL, *dest = NULL;
    zova_database *check = NULL;
    zova_status status;
    int rc;
    if (!zv_has_zova_suffix(dest_path)) return ZOVA_NOT_ZOVA_PATH;
    status = zv_destination_available(dest_path);
    if (status != ZOVA_OK) return status;
    status = zv_create_exclusive(dest_path);
    if (status != ZOVA_OK) return status;
    if (stat(source_path, &st) != 0 || !S_ISREG(st.st_mode)) {
        status = ZOVA_CANT_OPEN;
        goto fail;
    }
    /* Read-only: the source is never modified. */
    rc = sqlite3_open_v2(source_path, &source, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        status = zv_status_from_sqlite(rc & 0xff);
        goto fail;
    }
    zv_cancel_watch(source);
    status = zv_convert_source_check(source);
    if (status != ZOVA_OK) goto fail;
    status = zv_backup_pages(source, dest_path, NULL);
    sqlite3_close(source);
    source = NULL;
    if (status != ZOVA_OK) goto fail;
    rc = sqlite3_open_v2(dest_path, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        status = zv_status_from_sqlite(rc & 0xff);
        goto fail;
    }
    zv_cancel_watch(dest);
    status = zv_schema_create(dest);
    sqlite3_close(dest);
    dest = NULL;
    if (status != ZOVA_OK) goto fail;
    status = zv_database_open_path(dest_path, 1, 0, &check);
    if (status != ZOVA_OK) goto fail;
    zova_database_close(check);
    return ZOVA_OK;
fail:
    if (source) sqlite3_close(source);
    if (dest) sqlite3_close(dest);
    zv_remove_database_files(dest_path);
    return status;
}

zova_status zova_convert_sqlite_to_zova(const zova_convert_sqlite_to_zova_request *request) {
    zova_status status;
    unsigned long mark = zv_cancel_mark();
    if (!request) return ZOVA_INVALID_ARGUMENT;
    zova_message_free(request->out_error_message);
    if (!request->source_path || !request->dest_path) status = ZOVA_INVALID_ARGUMENT;
    else if (zv_cancel_point()) status = ZOVA_SQLITE_ERROR;
    else status = zv_convert(request->source_path, request->dest_path);
    status = zv_op_finish(status, mark, NULL);
    zv_op_message(request->out_error_message, status, zv_cancel_since(mark));
    return status;
}
