/*
 * schema.c - the format-3 private schema (docs/file-format.md §1-§2): creating
 * it in a new file and validating it when a file is opened. Validation reads
 * only; it compares each private table's stored DDL with the canonical text,
 * ignoring ASCII whitespace and case.
 */
#include "zova_internal.h"

#include <string.h>

typedef struct zv_private_table {
    const char *name;
    const char *ddl;
} zv_private_table;

static const zv_private_table zv_private_tables[] = {
    {"_zova_meta",
     "create table _zova_meta (\n"
     "  key text primary key,\n"
     "  value text not null\n"
     ")"},
    {"_zova_objects",
     "create table _zova_objects (\n"
     "  object_id blob not null primary key check (length(object_id) = 32),\n"
     "  size_bytes integer not null check (size_bytes >= 0),\n"
     "  chunk_count integer not null check (chunk_count >= 0),\n"
     "  chunker text not null check (chunker = 'fastcdc-v1')\n"
     ")"},
    {"_zova_chunks",
     "create table _zova_chunks (\n"
     "  chunk_hash blob not null primary key check (length(chunk_hash) = 32),\n"
     "  size_bytes integer not null check (size_bytes > 0 and size_bytes <= 65536),\n"
     "  data blob not null check (length(data) = size_bytes)\n"
     ")"},
    {"_zova_object_chunks",
     "create table _zova_object_chunks (\n"
     "  object_id blob not null check (length(object_id) = 32),\n"
     "  chunk_index integer not null check (chunk_index >= 0),\n"
     "  chunk_hash blob not null check (length(chunk_hash) = 32),\n"
     "  offset integer not null check (offset >= 0),\n"
     "  size_bytes integer not null check (size_bytes > 0 and size_bytes <= 65536),\n"
     "  primary key (object_id, chunk_index),\n"
     "  foreign key (object_id) references _zova_objects(object_id),\n"
     "  foreign key (chunk_hash) references _zova_chunks(chunk_hash)\n"
     ")"},
    {"_zova_vector_collections",
     "create table _zova_vector_collections (\n"
     "  name text not null primary key check (length(name) > 0 and length(name) <= 255),\n"
     "  dimensions integer not null check (dimensions > 0 and dimensions <= 16384),\n"
     "  metric text not null check (metric in ('cosine', 'l2', 'dot')),\n"
     "  element_type text not null check (element_type = 'f32')\n"
     ")"},
    {"_zova_vectors",
     "create table _zova_vectors (\n"
     "  collection_name text not null,\n"
     "  vector_id text not null check (length(vector_id) > 0),\n"
     "  dimensions integer not null check (dimensions > 0 and dimensions <= 16384),\n"
     "  \"values\" blob not null check (length(\"values\") = dimensions * 4),\n"
     "  primary key (collection_name, vector_id),\n"
     "  foreign key (collection_name) references _zova_vector_collections(name)\n"
     ")"},
};

#define ZV_PRIVATE_TABLE_COUNT (sizeof(zv_private_tables) / sizeof(zv_private_tables[0]))

zova_status zv_schema_create(sqlite3 *sql) {
    size_t i;
    int rc = sqlite3_exec(sql, "begin immediate", NULL, NULL, NULL);
    for (i = 0; rc == SQLITE_OK && i < ZV_PRIVATE_TABLE_COUNT; i++) {
        rc = sqlite3_exec(sql, zv_private_tables[i].ddl, NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK) {
        rc = sqlite3_exec(sql,
                          "insert into _zova_meta (key, value) values ('magic', 'zova'), ('format_version', '3')",
                          NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK) rc = sqlite3_exec(sql, "commit", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_exec(sql, "rollback", NULL, NULL, NULL);
        return zv_status_from_sqlite(rc);
    }
    return ZOVA_OK;
}

static int zv_is_ascii_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static unsigned char zv_ascii_lower(unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* Equal after removing ASCII whitespace and folding ASCII case. */
int zv_schema_ddl_equal(const char *a, const char *b) {
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    for (;;) {
        while (*x && zv_is_ascii_space(*x)) x++;
        while (*y && zv_is_ascii_space(*y)) y++;
        if (!*x || !*y) return !*x && !*y;
        if (zv_ascii_lower(*x) != zv_ascii_lower(*y)) return 0;
        x++;
        y++;
    }
}

/* Status for an SQLite failure while reading the identity: generic errors mean
 * "not a Zova database" (docs/c-api.md §6.2), contention and open errors keep theirs. */
/* The status of a failed read of the identity: the file's own trouble stays
 * (busy, locked, memory, and CORRUPT for a damaged SQLite file, such as a
 * truncated one, as upstream reports it: a damaged Zova file is for salvage,
 * not "not a Zova file"); anything else means it is not a Zova file. */
static zova_status zv_identity_failure(int rc) {
    zova_status status = zv_status_from_sqlite(rc);
    switch (status) {
    case ZOVA_BUSY:
    case ZOVA_LOCKED:
    case ZOVA_CANT_OPEN:
    case ZOVA_OUT_OF_MEMORY:
    case ZOVA_CORRUPT:
        return status;
    default:
        return ZOVA_NOT_ZOVA_DATABASE;
    }
}

/* Reads one _zova_meta value; *found is 0 when the row is absent. */
static zova_status zv_meta_value(sqlite3 *sql, const char *key, char *out, size_t out_size, int *found) {
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(sql, "select value from _zova_meta where key = ?1", -1, &stmt, NULL);
    *found = 0;
    if (rc != SQLITE_OK) return zv_identity_failure(rc);
    sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        const unsigned char *value = sqlite3_column_text(stmt, 0);
        int len = sqlite3_column_bytes(stmt, 0);
        *found = 1;
        if (!value || (size_t)len >= out_size) {
            out[0] = '\0';
            if (!value) *found = 0;
        } else {
            memcpy(out, value, (size_t)len);
            out[len] = '\0';
        }
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    sqlite3_finalize(stmt);
    return rc == SQLITE_OK ? ZOVA_OK : zv_identity_failure(rc);
}

zova_status zv_schema_validate(sqlite3 *sql) {
    char value[16];
    int found;
    size_t i;
    sqlite3_stmt *stmt = NULL;
    zova_status status = zv_meta_value(sql, "magic", value, sizeof(value), &found);
    if (status != ZOVA_OK) return status;
    if (!found || strcmp(value, "zova") != 0) return ZOVA_NOT_ZOVA_DATABASE;
    status = zv_meta_value(sql, "format_version", value, sizeof(value), &found);
    if (status != ZOVA_OK) return status;
    if (!found) return ZOVA_NOT_ZOVA_DATABASE;
    if (strcmp(value, "3") != 0) return ZOVA_UNSUPPORTED_ZOVA_VERSION;

    if (sqlite3_prepare_v2(sql, "select sql from sqlite_master where type = 'table' and name = ?1", -1, &stmt,
                           NULL) != SQLITE_OK) {
        return zv_identity_failure(sqlite3_errcode(sql));
    }
    for (i = 0; status == ZOVA_OK && i < ZV_PRIVATE_TABLE_COUNT; i++) {
        int rc;
        sqlite3_bind_text(stmt, 1, zv_private_tables[i].name, -1, SQLITE_STATIC);
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            const char *stored = (const char *)sqlite3_column_text(stmt, 0);
            if (!stored || !zv_schema_ddl_equal(stored, zv_private_tables[i].ddl)) status = ZOVA_NOT_ZOVA_DATABASE;
        } else if (rc == SQLITE_DONE) {
            status = ZOVA_NOT_ZOVA_DATABASE;
        } else {
            status = zv_identity_failure(rc);
        }
        sqlite3_reset(stmt);
    }
    sqlite3_finalize(stmt);
    return status;
}
