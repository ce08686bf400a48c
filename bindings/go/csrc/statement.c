/*
 * statement.c - prepared statements (docs/c-api.md §4.7, §7.5): prepare, step, reset,
 * bindings, parameters and columns. A statement is a child of its database:
 * every call takes the parent's lock and reports through the parent's last
 * error; prepare and finalize keep the parent's live-statement count.
 */
#include "zova_internal.h"

#include <stdlib.h>
#include <string.h>

zova_status zova_database_prepare(const zova_database_prepare_request *request) {
    zova_database *db;
    zova_statement *statement;
    sqlite3_stmt *stmt = NULL;
    zova_status status = ZOVA_OK;
    int rc;
    if (!request || !request->db) return ZOVA_INVALID_ARGUMENT;
    db = request->db;
    zv_lock(db);
    if (!request->sql || !request->out_statement) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    *request->out_statement = NULL;
    rc = sqlite3_prepare_v2(db->sql, request->sql, -1, &stmt, NULL);
    if (rc != SQLITE_OK) return zv_unlock(db, zv_sqlite_fail(db, rc));
    if (!stmt) {
        /* docs/c-api.md §10: no statement in the SQL (empty, whitespace, comment). */
        return zv_unlock(db, zv_fail_message(db, ZOVA_INVALID_ARGUMENT, "SQL contains no statement"));
    }
    statement = (zova_statement *)malloc(sizeof(*statement));
    if (!statement) {
        sqlite3_finalize(stmt);
        return zv_unlock(db, ZOVA_OUT_OF_MEMORY);
    }
    statement->db = db;
    statement->stmt = stmt;
    db->live_statements++;
    *request->out_statement = statement;
    return zv_unlock(db, status);
}

zova_status zova_statement_finalize(zova_statement *statement) {
    zova_database *db;
    if (!statement) return ZOVA_INVALID_ARGUMENT;
    db = statement->db;
    zv_lock(db);
    sqlite3_finalize(statement->stmt);
    db->live_statements--;
    free(statement);
    return zv_unlock(db, ZOVA_OK);
}

zova_status zova_statement_step(const zova_statement_step_request *request) {
    zova_database *db;
    int rc;
    if (!request || !request->statement) return ZOVA_INVALID_ARGUMENT;
    db = request->statement->db;
    zv_lock(db);
    if (!request->out_result) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    rc = sqlite3_step(request->statement->stmt);
    if (rc == SQLITE_ROW) *request->out_result = ZOVA_STEP_ROW;
    else if (rc == SQLITE_DONE) *request->out_result = ZOVA_STEP_DONE;
    else return zv_unlock(db, zv_sqlite_fail(db, rc));
    return zv_unlock(db, ZOVA_OK);
}

static zova_status zv_statement_result(zova_database *db, int rc) {
    return zv_unlock(db, rc == SQLITE_OK ? ZOVA_OK : zv_sqlite_fail(db, rc));
}

zova_status zova_statement_reset(zova_statement *statement) {
    zova_database *db;
    if (!statement) return ZOVA_INVALID_ARGUMENT;
    db = statement->db;
    zv_lock(db);
    return zv_statement_result(db, sqlite3_reset(statement->stmt));
}

zova_status zova_statement_clear_bindings(zova_statement *statement) {
    zova_database *db;
    if (!statement) return ZOVA_INVALID_ARGUMENT;
    db = statement->db;
    zv_lock(db);
    return zv_statement_result(db, sqlite3_clear_bindings(statement->stmt));
}

/* Binding: the statement and the parent lock are resolved the same way. */
#define ZV_STATEMENT_BEGIN(request)                                       \
    zova_database *db;                                                    \
    if (!(request) || !(request)->statement) return ZOVA_INVALID_ARGUMENT; \
    db = (request)->statement->db;                                        \
    zv_lock(db)

zova_status zova_statement_bind_null(const zova_statement_bind_null_request *request) {
    ZV_STATEMENT_BEGIN(request);
    return zv_statement_result(db, sqlite3_bind_null(request->statement->stmt, request->index));
}

zova_status zova_statement_bind_int64(const zova_statement_bind_int64_request *request) {
    ZV_STATEMENT_BEGIN(request);
    return zv_statement_result(db, sqlite3_bind_int64(request->statement->stmt, request->index, request->value));
}

zova_status zova_statement_bind_double(const zova_statement_bind_double_request *request) {
    ZV_STATEMENT_BEGIN(request);
    return zv_statement_result(db, sqlite3_bind_double(request->statement->stmt, request->index, request->value));
}

/* SQLite takes a 64-bit length as signed: anything above INT64_MAX would turn
 * negative and make it read up to a NUL. Clamp so SQLite reports TOOBIG (17)
 * before touching the bytes (docs/c-api.md §6.2). */
static sqlite3_uint64 zv_bind_len(size_t len) {
    return (uint64_t)len > (uint64_t)INT64_MAX ? (sqlite3_uint64)INT64_MAX : (sqlite3_uint64)len;
}

zova_status zova_statement_bind_text(const zova_statement_bind_text_request *request) {
    sqlite3_stmt *stmt;
    int rc;
    ZV_STATEMENT_BEGIN(request);
    if (!request->data && request->len > 0) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    stmt = request->statement->stmt;
    /* docs/c-api.md §0.2 item 1: an empty text is '' and never NULL. */
    if (request->len == 0) rc = sqlite3_bind_text(stmt, request->index, "", 0, SQLITE_STATIC);
    else rc = sqlite3_bind_text64(stmt, request->index, (const char *)request->data, zv_bind_len(request->len),
                                  SQLITE_TRANSIENT, SQLITE_UTF8);
    return zv_statement_result(db, rc);
}

zova_status zova_statement_bind_blob(const zova_statement_bind_blob_request *request) {
    sqlite3_stmt *stmt;
    int rc;
    ZV_STATEMENT_BEGIN(request);
    if (!request->data && request->len > 0) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    stmt = request->statement->stmt;
    if (request->len == 0) rc = sqlite3_bind_zeroblob(stmt, request->index, 0);
    else rc = sqlite3_bind_blob64(stmt, request->index, request->data, zv_bind_len(request->len), SQLITE_TRANSIENT);
    return zv_statement_result(db, rc);
}

zova_status zova_statement_parameter_count(const zova_statement_parameter_count_request *request) {
    ZV_STATEMENT_BEGIN(request);
    if (!request->out_count) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    *request->out_count = sqlite3_bind_parameter_count(request->statement->stmt);
    return zv_unlock(db, ZOVA_OK);
}

zova_status zova_statement_parameter_index(const zova_statement_parameter_index_request *request) {
    ZV_STATEMENT_BEGIN(request);
    if (!request->name || !request->out_index) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    *request->out_index = sqlite3_bind_parameter_index(request->statement->stmt, request->name);
    return zv_unlock(db, ZOVA_OK);
}

zova_status zova_statement_column_count(const zova_statement_column_count_request *request) {
    ZV_STATEMENT_BEGIN(request);
    if (!request->out_count) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    *request->out_count = sqlite3_column_count(request->statement->stmt);
    return zv_unlock(db, ZOVA_OK);
}

zova_status zova_statement_column_name(const zova_statement_column_name_request *request) {
    const char *name;
    sqlite3_stmt *stmt;
    ZV_STATEMENT_BEGIN(request);
    if (!request->out_name) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    zova_text_free(request->out_name);
    stmt = request->statement->stmt;
    if (request->index < 0 || request->index >= sqlite3_column_count(stmt)) return zv_unlock(db, ZOVA_MISUSE);
    name = sqlite3_column_name(stmt, request->index);
    if (!name || !(request->out_name->data = zv_strndup(name, strlen(name)))) {
        return zv_unlock(db, ZOVA_OUT_OF_MEMORY);
    }
    request->out_name->len = strlen(name);
    return zv_unlock(db, ZOVA_OK);
}

/* Column reads accept any index: outside the row they read as NULL. */
static int zv_column_in_row(sqlite3_stmt *stmt, int index) {
    return index >= 0 && index < sqlite3_data_count(stmt);
}

zova_status zova_statement_column_type(const zova_statement_column_type_request *request) {
    sqlite3_stmt *stmt;
    int type = SQLITE_NULL;
    ZV_STATEMENT_BEGIN(request);
    if (!request->out_type) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    stmt = request->statement->stmt;
    if (zv_column_in_row(stmt, request->index)) type = sqlite3_column_type(stmt, request->index);
    switch (type) {
    case SQLITE_INTEGER: *request->out_type = ZOVA_COLUMN_INTEGER; break;
    case SQLITE_FLOAT: *request->out_type = ZOVA_COLUMN_FLOAT; break;
    case SQLITE_TEXT: *request->out_type = ZOVA_COLUMN_TEXT; break;
    case SQLITE_BLOB: *request->out_type = ZOVA_COLUMN_BLOB; break;
    default: *request->out_type = ZOVA_COLUMN_NULL; break;
    }
    return zv_unlock(db, ZOVA_OK);
}

zova_status zova_statement_column_int64(const zova_statement_column_int64_request *request) {
    sqlite3_stmt *stmt;
    ZV_STATEMENT_BEGIN(request);
    if (!request->out_value) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    stmt = request->statement->stmt;
    *request->out_value = zv_column_in_row(stmt, request->index) ? sqlite3_column_int64(stmt, request->index) : 0;
    return zv_unlock(db, ZOVA_OK);
}

zova_status zova_statement_column_double(const zova_statement_column_double_request *request) {
    sqlite3_stmt *stmt;
    ZV_STATEMENT_BEGIN(request);
    if (!request->out_value) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    stmt = request->statement->stmt;
    *request->out_value = zv_column_in_row(stmt, request->index) ? sqlite3_column_double(stmt, request->index) : 0.0;
    return zv_unlock(db, ZOVA_OK);
}

zova_status zova_statement_column_text(const zova_statement_column_text_request *request) {
    sqlite3_stmt *stmt;
    const unsigned char *text;
    int len;
    ZV_STATEMENT_BEGIN(request);
    if (!request->out_text) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    zova_text_free(request->out_text);
    stmt = request->statement->stmt;
    if (!zv_column_in_row(stmt, request->index) || sqlite3_column_type(stmt, request->index) == SQLITE_NULL) {
        return zv_unlock(db, ZOVA_OK);
    }
    text = sqlite3_column_text(stmt, request->index);
    len = sqlite3_column_bytes(stmt, request->index);
    if (!text || !(request->out_text->data = zv_strndup((const char *)text, (size_t)len))) {
        return zv_unlock(db, ZOVA_OUT_OF_MEMORY);
    }
    request->out_text->len = (size_t)len;
    return zv_unlock(db, ZOVA_OK);
}

zova_status zova_statement_column_blob(const zova_statement_column_blob_request *request) {
    sqlite3_stmt *stmt;
    const void *blob;
    int len;
    ZV_STATEMENT_BEGIN(request);
    if (!request->out_buffer) return zv_unlock(db, ZOVA_INVALID_ARGUMENT);
    zova_buffer_free(request->out_buffer);
    stmt = request->statement->stmt;
    if (!zv_column_in_row(stmt, request->index)) return zv_unlock(db, ZOVA_OK);
    blob = sqlite3_column_blob(stmt, request->index);
    len = sqlite3_column_bytes(stmt, request->index);
    if (len <= 0) return zv_unlock(db, ZOVA_OK);
    if (!blob || !(request->out_buffer->data = (uint8_t *)malloc((size_t)len))) {
        return zv_unlock(db, ZOVA_OUT_OF_MEMORY);
    }
    memcpy(request->out_buffer->data, blob, (size_t)len);
    request->out_buffer->len = (size_t)len;
    return zv_unlock(db, ZOVA_OK);
}
