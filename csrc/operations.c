/*
 * operations.c - operational copies and conversion (c-abi 4.6, 5.10, 5.12, 7.4):
 * backup (SQLite online backup), compact (VACUUM INTO), restore (backup from a
 * read-only source handle), conversion of a plain SQLite file, and the
 * verification of a finished copy.
 *
 * Every destination must be a new .zova path. It is created exclusively
 * (O_EXCL) before anything is written, so of two racing copies to the same path
 * exactly one wins and the loser never touches the winner's file; a copy that
 * fails after that point (including verification) removes the file it created.
 * Vacuum lives in database.c.
 */
#define _POSIX_C_SOURCE 200809L
#include "zova_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

static zova_status zv_op_sqlite_fail(zv_op_error *error, sqlite3 *sql, int rc) {
    zova_status status = zv_status_from_sqlite(rc & 0xff);
    const char *text = sql ? sqlite3_errmsg(sql) : NULL;
    if (text && strcmp(text, "not an error") == 0) text = NULL;
    return zv_op_fail(error, status, text);
}

/* ---- verification of a finished copy (c-abi 5.12) ---- */

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
        if (sqlite3_column_bytes(stmt, 0) != 32 || !id) {
            status = zv_op_fail(error, ZOVA_OBJECT_CORRUPT, "ObjectCorrupt");
            break;
        }
        status = zv_verify_read(vdb, kind, id);
        if (status != ZOVA_OK) {
            status = zv_object_failure(status);
            zv_op_fail(error, status, zv_status_kind(status));
        }
    }
    if (status == ZOVA_OK && rc != SQLITE_DONE) status = zv_op_sqlite_fail(error, vdb->sql, rc);
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
        if (status != ZOVA_OK) {
            /* A stored row that cannot be read back (not found included) is corrupt. */
            if (status == ZOVA_VECTOR_NOT_FOUND || status == ZOVA_VECTOR_DIMENSION_MISMATCH) {
                status = ZOVA_VECTOR_CORRUPT;
            }
            zv_op_fail(error, status, zv_status_kind(status));
        }
    }
    if (status == ZOVA_OK && rc != SQLITE_DONE) status = zv_op_sqlite_fail(error, vdb->sql, rc);
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
    return ZOVA_OK;
}

/* Online backup of source's main database into the already created, empty file at path. */
static zova_status zv_backup_pages(sqlite3 *source, const char *path, zv_op_error *error) {
    sqlite3 *dest = NULL;
    sqlite3_backup *backup;
    zova_status status = zv_open_destination(path, &dest, error);
    int rc;
    if (status != ZOVA_OK) return status;
    backup = sqlite3_backup_init(dest, "main", source, "main");
    if (!backup) {
        status = zv_op_sqlite_fail(error, dest, sqlite3_errcode(dest));
        sqlite3_close(dest);
        return status;
    }
    rc = sqlite3_backup_step(backup, -1);
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
    {
        int finish = sqlite3_backup_finish(backup);
        if (rc == SQLITE_OK) rc = finish;
    }
    if (rc != SQLITE_OK) {
        const char *text = sqlite3_errmsg(dest);
        status = zv_op_fail(error, zv_status_from_sqlite(rc & 0xff),
                            text && strcmp(text, "not an error") != 0 ? text : NULL);
    }
    if (sqlite3_close(dest) != SQLITE_OK && status == ZOVA_OK) status = zv_op_fail(error, ZOVA_SQLITE_ERROR, NULL);
    return status;
}

/* The backup procedure shared by backup and restore (c-abi 4.6). */
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

static zova_status zv_compact_to(sqlite3 *source, const char *path, int verify, zv_op_error *error) {
    sqlite3_stmt *stmt = NULL;
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
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK) status = zv_op_sqlite_fail(error, source, rc);
    sqlite3_finalize(stmt);
    if (status == ZOVA_OK && verify) status = zv_verify_copy(path, error);
    if (status != ZOVA_OK) zv_remove_database_files(path);
    return status;
}

static void zv_op_message(zova_message *out, zova_status status) {
    const char *text;
    size_t len;
    if (!out || status == ZOVA_OK) return;
    /* c-abi 5.6: no-handle operations report the failure-kind name. */
    text = zv_status_kind(status);
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
    } else {
        status = copy(db->sql, destination, !(flags & no_verify), &error);
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
    if (!request) return ZOVA_INVALID_ARGUMENT;
    zova_message_free(request->out_error_message);
    error.text[0] = '\0';
    if (!request->source_path || !request->destination_path ||
        (request->flags & ~(uint32_t)ZOVA_RESTORE_NO_VERIFY) != 0) {
        status = ZOVA_INVALID_ARGUMENT;
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
    zv_op_message(request->out_error_message, status);
    return status;
}

/* ---- conversion of a plain SQLite file (c-abi 4.6, 7.4) ---- */

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
    if (!request) return ZOVA_INVALID_ARGUMENT;
    zova_message_free(request->out_error_message);
    if (!request->source_path || !request->dest_path) status = ZOVA_INVALID_ARGUMENT;
    else status = zv_convert(request->source_path, request->dest_path);
    zv_op_message(request->out_error_message, status);
    return status;
}
