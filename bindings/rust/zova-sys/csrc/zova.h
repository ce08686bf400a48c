/*
 * zova.h - the public C ABI of Zova, binary-compatible with upstream Zova 0.17.0.
 *
 * Zova keeps records (SQLite), content-addressed objects and vector collections
 * in one local .zova file. Every function, struct layout and enum value here is
 * fixed by the 0.17.0 contract; the reference is docs/c-api.md (building and
 * linking: docs/c.md).
 * Additions are new functions with the zova_ prefix, never changes.
 */
#ifndef ZOVA_H
#define ZOVA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque handles (docs/c-api.md §3.1). zova_database: one open .zova file (SQLite connection,
 * mutex, last-error message); made by zova_database_create/_open/_open_with_options, freed by
 * zova_database_close. zova_statement: a prepared statement, freed by zova_statement_finalize.
 * zova_object_writer: a streaming object writer, freed by zova_object_writer_destroy.
 * Statements and writers are children of their database (docs/c-api.md §5.8). Handles are
 * checked for NULL only. */
typedef struct zova_database zova_database;
typedef struct zova_statement zova_statement;
typedef struct zova_object_writer zova_object_writer;

/* zova_status: what every fallible call returns; ZOVA_OK is 0. zova_status_name spells a value.
 * Meanings and the SQLite mapping: docs/c-api.md §2.1, §6. The values never change. */
typedef enum zova_status {
    ZOVA_OK = 0,
    ZOVA_INVALID_ARGUMENT = 1,
    ZOVA_OUT_OF_MEMORY = 2,
    ZOVA_BUSY = 10,
    ZOVA_LOCKED = 11,
    ZOVA_CONSTRAINT = 12,
    ZOVA_CANT_OPEN = 13,
    ZOVA_READ_ONLY = 14,
    ZOVA_CORRUPT = 15,
    ZOVA_MISUSE = 16,
    ZOVA_SQLITE_ERROR = 17,
    ZOVA_NOT_ZOVA_PATH = 30,
    ZOVA_NOT_ZOVA_DATABASE = 31,
    ZOVA_UNSUPPORTED_ZOVA_VERSION = 32,
    ZOVA_DESTINATION_EXISTS = 33,
    ZOVA_ZOVA_NAME_CONFLICT = 34,
    ZOVA_OBJECT_NOT_FOUND = 50,
    ZOVA_OBJECT_ALREADY_EXISTS = 51,
    ZOVA_OBJECT_CHUNK_NOT_FOUND = 52,
    ZOVA_OBJECT_CHUNK_HASH_MISMATCH = 53,
    ZOVA_OBJECT_CORRUPT = 54,
    ZOVA_OBJECT_MANIFEST_INVALID = 55,
    ZOVA_OBJECT_RANGE_INVALID = 56,
    ZOVA_OBJECT_TOO_LARGE = 57,
    ZOVA_OBJECT_TRANSACTION_ACTIVE = 58,
    ZOVA_OBJECT_WRITER_CLOSED = 59,
    ZOVA_VECTOR_COLLECTION_EXISTS = 70,
    ZOVA_VECTOR_COLLECTION_NOT_FOUND = 71,
    ZOVA_VECTOR_NOT_FOUND = 72,
    ZOVA_VECTOR_DIMENSION_MISMATCH = 73,
    ZOVA_VECTOR_CORRUPT = 74,
    ZOVA_VECTOR_INVALID = 75
} zova_status;

/* The distance of a vector collection (docs/c-api.md §2.2, Appendix B): cosine 1 - cos(q, v),
 * l2 the Euclidean distance, dot -dot(q, v); lower is nearer. Struct fields carrying a metric
 * are plain int, so an out-of-range value can be passed and is refused with
 * ZOVA_INVALID_ARGUMENT. */
typedef enum zova_vector_metric {
    ZOVA_VECTOR_METRIC_COSINE = 0,
    ZOVA_VECTOR_METRIC_L2 = 1,
    ZOVA_VECTOR_METRIC_DOT = 2
} zova_vector_metric;

/* What zova_statement_step writes to *out_result: a row is ready, or the statement ran to its
 * end (docs/c-api.md §2.2, §4.7). There is no 0 value. */
typedef enum zova_step_result {
    ZOVA_STEP_ROW = 1,
    ZOVA_STEP_DONE = 2
} zova_step_result;

/* The storage class of a column's value in the current row, from zova_statement_column_type
 * (docs/c-api.md §2.2, §4.7). There is no 0 value. */
typedef enum zova_column_type {
    ZOVA_COLUMN_INTEGER = 1,
    ZOVA_COLUMN_FLOAT = 2,
    ZOVA_COLUMN_TEXT = 3,
    ZOVA_COLUMN_BLOB = 4,
    ZOVA_COLUMN_NULL = 5
} zova_column_type;

/* Flag for zova_database_open_options_request.flags: open the file read-only (writes then fail
 * with ZOVA_READ_ONLY). Any other bit is ZOVA_INVALID_ARGUMENT (docs/c-api.md §2.3). */
enum {
    ZOVA_OPEN_READ_ONLY = 1u << 0
};

/* Flags for the backup, compact and restore requests: skip the verification of the new copy
 * (docs/c-api.md §2.3, §5.12). Any other bit is ZOVA_INVALID_ARGUMENT. */
enum {
    ZOVA_BACKUP_NO_VERIFY = 1u << 0,
    ZOVA_COMPACT_NO_VERIFY = 1u << 0,
    ZOVA_RESTORE_NO_VERIFY = 1u << 0
};

/* The raw 32-byte SHA-256 of an object's bytes (not hex); a plain value, passed by value inside
 * requests (docs/c-api.md §3.2, docs/file-format.md §3). */
typedef struct zova_object_id {
    uint8_t bytes[32];
} zova_object_id;

/* The raw 32-byte SHA-256 of one chunk's bytes; a plain value (docs/c-api.md §3.2). */
typedef struct zova_object_chunk_id {
    uint8_t bytes[32];
} zova_object_chunk_id;

/* Bytes the library allocated, not NUL-terminated; empty is {NULL, 0}. Release with
 * zova_buffer_free (docs/c-api.md §3.2, §5.3). */
typedef struct zova_buffer {
    uint8_t *data;
    size_t len;
} zova_buffer;

/* A diagnostic the library allocated: len bytes plus a NUL; empty is {NULL, 0}. Release with
 * zova_message_free (docs/c-api.md §3.2, §5.6). */
typedef struct zova_message {
    char *data;
    size_t len;
} zova_message;

/* Text the library allocated: len bytes plus a NUL; empty is {NULL, 0}. Release with
 * zova_text_free (docs/c-api.md §3.2). */
typedef struct zova_text {
    char *data;
    size_t len;
} zova_text;

/* One manifest row: 0-based index, chunk id, byte offset in the object and size. Also the input
 * rows of zova_object_assemble_from_chunks (docs/c-api.md §3.2). */
typedef struct zova_object_manifest_chunk {
    uint64_t index;
    zova_object_chunk_id hash;
    uint64_t offset;
    uint64_t size_bytes;
} zova_object_manifest_chunk;

/* An object's manifest: its id, size, chunk count, the static chunker name "fastcdc-v1" (never
 * freed) and its chunks ordered by index (NULL when there are none). Filled by
 * zova_object_manifest_get; release with zova_object_manifest_free (docs/c-api.md §3.2). */
typedef struct zova_object_manifest {
    zova_object_id object_id;
    uint64_t size_bytes;
    uint64_t chunk_count;
    const char *chunker;
    zova_object_manifest_chunk *chunks;
    size_t chunks_len;
} zova_object_manifest;

/* Options of a new collection: dimensions (1 to 16384) and metric (a zova_vector_metric value
 * as an int). Embedded by value in the create request (docs/c-api.md §3.2, §2.4). */
typedef struct zova_vector_collection_options {
    uint32_t dimensions;
    int metric;
} zova_vector_collection_options;

/* One stored vector: its id (id_len bytes plus a NUL) and its values_len floats. Filled by
 * zova_vector_get; release with zova_vector_free (docs/c-api.md §3.2). */
typedef struct zova_vector {
    char *id;
    size_t id_len;
    float *values;
    size_t values_len;
} zova_vector;

/* One search hit: the vector id (id_len bytes plus a NUL) and its distance, lower is nearer.
 * Owned by the zova_vector_search_results holding it (docs/c-api.md §3.2). */
typedef struct zova_vector_search_result {
    char *id;
    size_t id_len;
    double distance;
} zova_vector_search_result;

/* The hits of a search, best first; items is NULL when len is 0. Release with
 * zova_vector_search_results_free (docs/c-api.md §3.2, §4.13). */
typedef struct zova_vector_search_results {
    zova_vector_search_result *items;
    size_t len;
} zova_vector_search_results;

/* A collection's name (name_len bytes plus a NUL), dimensions, metric (0, 1 or 2) and number of
 * vectors. Filled by zova_vector_collection_info_get; release a standalone one with
 * zova_vector_collection_info_free (docs/c-api.md §3.2). */
typedef struct zova_vector_collection_info {
    char *name;
    size_t name_len;
    uint32_t dimensions;
    int metric;
    uint64_t vector_count;
} zova_vector_collection_info;

/* Every collection, sorted by name (bytewise); items is NULL when len is 0. Release with
 * zova_vector_collection_list_free, which frees the items too (docs/c-api.md §3.2). */
typedef struct zova_vector_collection_list {
    zova_vector_collection_info *items;
    size_t len;
} zova_vector_collection_list;

/* One input row of zova_vector_put_many, borrowed from the caller for the call: a
 * NUL-terminated id and values_len floats (docs/c-api.md §3.2, §4.12). */
typedef struct zova_vector_input {
    const char *id;
    const float *values;
    size_t values_len;
} zova_vector_input;

/* Request of zova_database_create and zova_database_open: the path, where to store the new
 * handle, and an optional diagnostic (zero-initialise it) (docs/c-api.md §3.3, §4.3). */
typedef struct zova_database_open_request {
    const char *path;
    zova_database **out_db;
    zova_message *out_error_message;
} zova_database_open_request;

/* Request of zova_database_open_with_options: as the open request plus flags
 * (ZOVA_OPEN_READ_ONLY) and a busy timeout in ms, 0 for SQLite's default (docs/c-api.md §3.3,
 * §4.3). */
typedef struct zova_database_open_options_request {
    const char *path;
    uint32_t flags;
    uint32_t busy_timeout_ms;
    zova_database **out_db;
    zova_message *out_error_message;
} zova_database_open_options_request;

/* Request of zova_convert_sqlite_to_zova: the plain SQLite source, the new .zova destination
 * and an optional diagnostic (docs/c-api.md §3.3, §4.6). */
typedef struct zova_convert_sqlite_to_zova_request {
    const char *source_path;
    const char *dest_path;
    zova_message *out_error_message;
} zova_convert_sqlite_to_zova_request;

/* Request of zova_database_backup: the database, the new .zova destination and flags
 * (ZOVA_BACKUP_NO_VERIFY) (docs/c-api.md §3.3, §4.6). */
typedef struct zova_database_backup_request {
    zova_database *db;
    const char *destination_path;
    uint32_t flags;
} zova_database_backup_request;

/* Request of zova_database_compact: the database, the new .zova destination and flags
 * (ZOVA_COMPACT_NO_VERIFY) (docs/c-api.md §3.3, §4.6). */
typedef struct zova_database_compact_request {
    zova_database *db;
    const char *destination_path;
    uint32_t flags;
} zova_database_compact_request;

/* Request of zova_database_restore: the backup to read, the new .zova destination, flags
 * (ZOVA_RESTORE_NO_VERIFY) and an optional diagnostic (docs/c-api.md §3.3, §4.6). */
typedef struct zova_database_restore_request {
    const char *source_path;
    const char *destination_path;
    uint32_t flags;
    zova_message *out_error_message;
} zova_database_restore_request;

/* Request of zova_database_exec: the database and the SQL to run (docs/c-api.md §3.3, §4.4). */
typedef struct zova_database_exec_request {
    zova_database *db;
    const char *sql;
} zova_database_exec_request;

/* Request of the calls that need only the database: begin, begin_immediate, commit, rollback
 * and vacuum (docs/c-api.md §3.3, §4.5). */
typedef struct zova_database_simple_request {
    zova_database *db;
} zova_database_simple_request;

/* Request of the three savepoint calls: the database and the savepoint name (docs/c-api.md
 * §3.3, §4.5, §2.4). */
typedef struct zova_database_savepoint_request {
    zova_database *db;
    const char *name;
} zova_database_savepoint_request;

/* Request of zova_database_set_busy_timeout: the database and the timeout in ms (docs/c-api.md
 * §3.3, §4.4). */
typedef struct zova_database_busy_timeout_request {
    zova_database *db;
    uint32_t milliseconds;
} zova_database_busy_timeout_request;

/* Request of zova_database_last_insert_rowid: the database and where to write the rowid
 * (docs/c-api.md §3.3, §4.4). */
typedef struct zova_database_last_insert_rowid_request {
    zova_database *db;
    int64_t *out_rowid;
} zova_database_last_insert_rowid_request;

/* Request of zova_database_changes: the database and where to write the count (docs/c-api.md
 * §3.3, §4.4). */
typedef struct zova_database_changes_request {
    zova_database *db;
    int64_t *out_changes;
} zova_database_changes_request;

/* Request of zova_database_total_changes: the database and where to write the count
 * (docs/c-api.md §3.3, §4.4). */
typedef struct zova_database_total_changes_request {
    zova_database *db;
    int64_t *out_total_changes;
} zova_database_total_changes_request;

/* Request of zova_database_prepare: the database, the SQL and where to store the new statement
 * (docs/c-api.md §3.3, §4.7). */
typedef struct zova_database_prepare_request {
    zova_database *db;
    const char *sql;
    zova_statement **out_statement;
} zova_database_prepare_request;

/* Request of zova_statement_step: the statement and where to write ROW or DONE (docs/c-api.md
 * §3.3, §4.7). */
typedef struct zova_statement_step_request {
    zova_statement *statement;
    zova_step_result *out_result;
} zova_statement_step_request;

/* Request of zova_statement_bind_null: the statement and the 1-based parameter index
 * (docs/c-api.md §3.3, §4.7). */
typedef struct zova_statement_bind_null_request {
    zova_statement *statement;
    int index;
} zova_statement_bind_null_request;

/* Request of zova_statement_bind_int64: statement, 1-based index, value (docs/c-api.md §3.3,
 * §4.7). */
typedef struct zova_statement_bind_int64_request {
    zova_statement *statement;
    int index;
    int64_t value;
} zova_statement_bind_int64_request;

/* Request of zova_statement_bind_double: statement, 1-based index, value (docs/c-api.md §3.3,
 * §4.7). */
typedef struct zova_statement_bind_double_request {
    zova_statement *statement;
    int index;
    double value;
} zova_statement_bind_double_request;

/* Request of zova_statement_bind_text: statement, 1-based index and len bytes of UTF-8 (copied;
 * len 0 binds an empty TEXT, never NULL) (docs/c-api.md §3.3, §4.7). */
typedef struct zova_statement_bind_text_request {
    zova_statement *statement;
    int index;
    const uint8_t *data;
    size_t len;
} zova_statement_bind_text_request;

/* Request of zova_statement_bind_blob: statement, 1-based index and len bytes (copied; len 0
 * binds an empty BLOB, never NULL) (docs/c-api.md §3.3, §4.7). */
typedef struct zova_statement_bind_blob_request {
    zova_statement *statement;
    int index;
    const uint8_t *data;
    size_t len;
} zova_statement_bind_blob_request;

/* Request of zova_statement_parameter_count: the statement and where to write the count
 * (docs/c-api.md §3.3, §4.7). */
typedef struct zova_statement_parameter_count_request {
    zova_statement *statement;
    int *out_count;
} zova_statement_parameter_count_request;

/* Request of zova_statement_parameter_index: the statement, the parameter name with its prefix,
 * and where to write the index (docs/c-api.md §3.3, §4.7). */
typedef struct zova_statement_parameter_index_request {
    zova_statement *statement;
    const char *name;
    int *out_index;
} zova_statement_parameter_index_request;

/* Request of zova_statement_column_count: the statement and where to write the count
 * (docs/c-api.md §3.3, §4.7). */
typedef struct zova_statement_column_count_request {
    zova_statement *statement;
    int *out_count;
} zova_statement_column_count_request;

/* Request of zova_statement_column_name: statement, 0-based column, and a zova_text that is
 * freed, then filled (zero-initialise it) (docs/c-api.md §3.3, §5.2). */
typedef struct zova_statement_column_name_request {
    zova_statement *statement;
    int index;
    zova_text *out_name;
} zova_statement_column_name_request;

/* Request of zova_statement_column_type: statement, 0-based column, where to write the type
 * (docs/c-api.md §3.3, §4.7). */
typedef struct zova_statement_column_type_request {
    zova_statement *statement;
    int index;
    zova_column_type *out_type;
} zova_statement_column_type_request;

/* Request of zova_statement_column_int64: statement, 0-based column, where to write the value
 * (docs/c-api.md §3.3, §4.7). */
typedef struct zova_statement_column_int64_request {
    zova_statement *statement;
    int index;
    int64_t *out_value;
} zova_statement_column_int64_request;

/* Request of zova_statement_column_double: statement, 0-based column, where to write the value
 * (docs/c-api.md §3.3, §4.7). */
typedef struct zova_statement_column_double_request {
    zova_statement *statement;
    int index;
    double *out_value;
} zova_statement_column_double_request;

/* Request of zova_statement_column_text: statement, 0-based column, and a zova_text that is
 * freed, then filled (zero-initialise it) (docs/c-api.md §3.3, §5.2). */
typedef struct zova_statement_column_text_request {
    zova_statement *statement;
    int index;
    zova_text *out_text;
} zova_statement_column_text_request;

/* Request of zova_statement_column_blob: statement, 0-based column, and a zova_buffer that is
 * freed, then filled (zero-initialise it) (docs/c-api.md §3.3, §5.2). */
typedef struct zova_statement_column_blob_request {
    zova_statement *statement;
    int index;
    zova_buffer *out_buffer;
} zova_statement_column_blob_request;

/* Request of zova_object_put: the database, the bytes, and where to write the new object's id
 * (docs/c-api.md §3.3, §4.9). */
typedef struct zova_object_put_request {
    zova_database *db;
    const uint8_t *data;
    size_t len;
    zova_object_id *out_id;
} zova_object_put_request;

/* Request of zova_object_get: the database, the object id (by value) and the buffer to fill
 * (docs/c-api.md §3.3, §4.9). */
typedef struct zova_object_get_request {
    zova_database *db;
    zova_object_id id;
    zova_buffer *out_buffer;
} zova_object_get_request;

/* Request of zova_object_read_range: the database, the object id, the start offset, the
 * caller's buffer and where to write the count copied (docs/c-api.md §3.3, §4.9). */
typedef struct zova_object_read_range_request {
    zova_database *db;
    zova_object_id id;
    uint64_t offset;
    uint8_t *buffer;
    size_t buffer_len;
    size_t *out_copied;
} zova_object_read_range_request;

/* Request of zova_object_exists: the database, the object id and where to write 0 or 1
 * (docs/c-api.md §3.3, §4.9). */
typedef struct zova_object_exists_request {
    zova_database *db;
    zova_object_id id;
    uint8_t *out_exists;
} zova_object_exists_request;

/* Request of zova_object_size: the database, the object id and where to write its size
 * (docs/c-api.md §3.3, §4.9). */
typedef struct zova_object_size_request {
    zova_database *db;
    zova_object_id id;
    uint64_t *out_size;
} zova_object_size_request;

/* Request of zova_object_chunk_count: the database, the object id and where to write its chunk
 * count (docs/c-api.md §3.3, §4.9). */
typedef struct zova_object_chunk_count_request {
    zova_database *db;
    zova_object_id id;
    uint64_t *out_count;
} zova_object_chunk_count_request;

/* Request of zova_object_delete: the database and the object id (docs/c-api.md §3.3, §4.9). */
typedef struct zova_object_delete_request {
    zova_database *db;
    zova_object_id id;
} zova_object_delete_request;

/* Request of zova_object_manifest_get: the database, the object id and the manifest to fill
 * (docs/c-api.md §3.3, §4.9). */
typedef struct zova_object_manifest_get_request {
    zova_database *db;
    zova_object_id id;
    zova_object_manifest *out_manifest;
} zova_object_manifest_get_request;

/* Request of zova_object_chunk_get: the database, the chunk id and the buffer to fill
 * (docs/c-api.md §3.3, §4.9). */
typedef struct zova_object_chunk_get_request {
    zova_database *db;
    zova_object_chunk_id hash;
    zova_buffer *out_buffer;
} zova_object_chunk_get_request;

/* Request of zova_object_chunk_put: the database, the id the bytes must hash to, and the
 * chunk's 1 to 65536 bytes (docs/c-api.md §3.3, §4.9). */
typedef struct zova_object_chunk_put_request {
    zova_database *db;
    zova_object_chunk_id expected_hash;
    const uint8_t *data;
    size_t len;
} zova_object_chunk_put_request;

/* Request of zova_object_chunk_delete: the database, the chunk id and where to write 1 if a row
 * was deleted, else 0 (docs/c-api.md §3.3, §4.9). */
typedef struct zova_object_chunk_delete_request {
    zova_database *db;
    zova_object_chunk_id hash;
    uint8_t *out_deleted;
} zova_object_chunk_delete_request;

/* Request of zova_object_assemble_from_chunks: the database, the object id and size, and the
 * chunk_count manifest rows that make it (docs/c-api.md §3.3, §4.9). */
typedef struct zova_object_assemble_from_chunks_request {
    zova_database *db;
    zova_object_id id;
    uint64_t size_bytes;
    const zova_object_manifest_chunk *chunks;
    size_t chunk_count;
} zova_object_assemble_from_chunks_request;

/* Request of zova_object_writer_create: the database and where to store the new writer
 * (docs/c-api.md §3.3, §4.10). */
typedef struct zova_object_writer_create_request {
    zova_database *db;
    zova_object_writer **out_writer;
} zova_object_writer_create_request;

/* Request of zova_object_writer_write: the writer and the bytes to append (docs/c-api.md §3.3,
 * §4.10). */
typedef struct zova_object_writer_write_request {
    zova_object_writer *writer;
    const uint8_t *data;
    size_t len;
} zova_object_writer_write_request;

/* Request of zova_object_writer_finish: the writer and where to write the object's id
 * (docs/c-api.md §3.3, §4.10). */
typedef struct zova_object_writer_finish_request {
    zova_object_writer *writer;
    zova_object_id *out_id;
} zova_object_writer_finish_request;

/* Request of zova_object_writer_cancel: the writer (docs/c-api.md §3.3, §4.10). */
typedef struct zova_object_writer_cancel_request {
    zova_object_writer *writer;
} zova_object_writer_cancel_request;

/* Request of zova_vector_collection_create: the database, the collection name and its options
 * (by value) (docs/c-api.md §3.3, §4.11). */
typedef struct zova_vector_collection_create_request {
    zova_database *db;
    const char *name;
    zova_vector_collection_options options;
} zova_vector_collection_create_request;

/* Request of zova_vector_collection_exists: the database, the name and where to write 0 or 1
 * (docs/c-api.md §3.3, §4.11). */
typedef struct zova_vector_collection_exists_request {
    zova_database *db;
    const char *name;
    uint8_t *out_exists;
} zova_vector_collection_exists_request;

/* Request of zova_vector_put: the database, collection, vector id and values_len floats
 * (docs/c-api.md §3.3, §4.12). */
typedef struct zova_vector_put_request {
    zova_database *db;
    const char *collection_name;
    const char *vector_id;
    const float *values;
    size_t values_len;
} zova_vector_put_request;

/* Request of zova_vector_get: the database, collection, vector id and the zova_vector to fill
 * (docs/c-api.md §3.3, §4.12). */
typedef struct zova_vector_get_request {
    zova_database *db;
    const char *collection_name;
    const char *vector_id;
    zova_vector *out_vector;
} zova_vector_get_request;

/* Request of zova_vector_exists: the database, collection, vector id and where to write 0 or 1
 * (docs/c-api.md §3.3, §4.12). */
typedef struct zova_vector_exists_request {
    zova_database *db;
    const char *collection_name;
    const char *vector_id;
    uint8_t *out_exists;
} zova_vector_exists_request;

/* Request of zova_vector_delete: the database, collection and vector id (docs/c-api.md §3.3,
 * §4.12). */
typedef struct zova_vector_delete_request {
    zova_database *db;
    const char *collection_name;
    const char *vector_id;
} zova_vector_delete_request;

/* Request of zova_vector_search: the database, collection, the query of query_len floats, at
 * most limit hits, and the results to fill (docs/c-api.md §3.3, §4.13). */
typedef struct zova_vector_search_request {
    zova_database *db;
    const char *collection_name;
    const float *query;
    size_t query_len;
    size_t limit;
    zova_vector_search_results *out_results;
} zova_vector_search_request;

/* Request of zova_vector_search_in: as the search request plus the candidate_count candidate
 * ids to search among (docs/c-api.md §3.3, §4.13). */
typedef struct zova_vector_search_in_request {
    zova_database *db;
    const char *collection_name;
    const float *query;
    size_t query_len;
    const char *const *candidate_ids;
    size_t candidate_count;
    size_t limit;
    zova_vector_search_results *out_results;
} zova_vector_search_in_request;

/* Request of zova_vector_collection_info_get: the database, the name and the info to fill
 * (docs/c-api.md §3.3, §4.11). */
typedef struct zova_vector_collection_info_get_request {
    zova_database *db;
    const char *name;
    zova_vector_collection_info *out_info;
} zova_vector_collection_info_get_request;

/* Request of zova_vector_collections_list: the database and the list to fill (docs/c-api.md
 * §3.3, §4.11). */
typedef struct zova_vector_collections_list_request {
    zova_database *db;
    zova_vector_collection_list *out_list;
} zova_vector_collections_list_request;

/* Request of zova_vector_put_many: the database, the collection and vectors_len input rows
 * (docs/c-api.md §3.3, §4.12). */
typedef struct zova_vector_put_many_request {
    zova_database *db;
    const char *collection_name;
    const zova_vector_input *vectors;
    size_t vectors_len;
} zova_vector_put_many_request;

/* Request of zova_vector_collection_delete: the database and the collection name (docs/c-api.md
 * §3.3, §4.11). */
typedef struct zova_vector_collection_delete_request {
    zova_database *db;
    const char *name;
} zova_vector_collection_delete_request;

/* Request of zova_vector_search_within: as the search request plus max_distance, an inclusive
 * threshold (docs/c-api.md §3.3, §4.13). */
typedef struct zova_vector_search_within_request {
    zova_database *db;
    const char *collection_name;
    const float *query;
    size_t query_len;
    double max_distance;
    size_t limit;
    zova_vector_search_results *out_results;
} zova_vector_search_within_request;

/* Request of zova_vector_search_in_within: query, candidate ids and max_distance (docs/c-api.md
 * §3.3, §4.13). */
typedef struct zova_vector_search_in_within_request {
    zova_database *db;
    const char *collection_name;
    const float *query;
    size_t query_len;
    const char *const *candidate_ids;
    size_t candidate_count;
    double max_distance;
    size_t limit;
    zova_vector_search_results *out_results;
} zova_vector_search_in_within_request;

/* Request of zova_vector_search_by_id: the database, collection, the stored vector used as the
 * query (left out of the results), limit and results (docs/c-api.md §3.3, §4.13). */
typedef struct zova_vector_search_by_id_request {
    zova_database *db;
    const char *collection_name;
    const char *source_vector_id;
    size_t limit;
    zova_vector_search_results *out_results;
} zova_vector_search_by_id_request;

/* Request of zova_vector_search_by_id_in: as by_id plus the candidate ids (docs/c-api.md §3.3,
 * §4.13). */
typedef struct zova_vector_search_by_id_in_request {
    zova_database *db;
    const char *collection_name;
    const char *source_vector_id;
    const char *const *candidate_ids;
    size_t candidate_count;
    size_t limit;
    zova_vector_search_results *out_results;
} zova_vector_search_by_id_in_request;

/* Request of zova_vector_search_by_id_within: as by_id plus max_distance (docs/c-api.md §3.3,
 * §4.13). */
typedef struct zova_vector_search_by_id_within_request {
    zova_database *db;
    const char *collection_name;
    const char *source_vector_id;
    double max_distance;
    size_t limit;
    zova_vector_search_results *out_results;
} zova_vector_search_by_id_within_request;

/* Request of zova_vector_search_by_id_in_within: as by_id plus the candidate ids and
 * max_distance (docs/c-api.md §3.3, §4.13). */
typedef struct zova_vector_search_by_id_in_within_request {
    zova_database *db;
    const char *collection_name;
    const char *source_vector_id;
    const char *const *candidate_ids;
    size_t candidate_count;
    double max_distance;
    size_t limit;
    zova_vector_search_results *out_results;
} zova_vector_search_by_id_in_within_request;

/* The C interface's version, 0.17.0 (unrelated to the file format version 3): major 0, minor
 * 17, patch 0, and the static string "0.17.0" (never NULL, never freed). docs/c-api.md §4.1. */
/* Returns 0. */
uint32_t zova_abi_version_major(void);
/* Returns 17. */
uint32_t zova_abi_version_minor(void);
/* Returns 0. */
uint32_t zova_abi_version_patch(void);
/* Returns the static string "0.17.0". */
const char *zova_abi_version_string(void);
/* The static name of a status ("ZOVA_OBJECT_NOT_FOUND"), or "ZOVA_UNKNOWN_STATUS" for any other
 * value; never NULL, never freed, no lock. docs/c-api.md §4.1, §2.1. */
const char *zova_status_name(zova_status status);
/* Free functions (docs/c-api.md §4.2, §5.3): each releases what the library put in one
 * container and resets it to its empty value. NULL is a no-op and a second call is harmless.
 * Free a container with the function of its type; never free its fields yourself. */
/* Releases a zova_buffer's data; resets it to {NULL, 0}. */
void zova_buffer_free(zova_buffer *buffer);
/* Releases a zova_message's data; resets it to {NULL, 0}. */
void zova_message_free(zova_message *message);
/* Releases a zova_text's data; resets it to {NULL, 0}. */
void zova_text_free(zova_text *text);
/* Releases a manifest's chunks array (not the static chunker name) and zeroes every field. */
void zova_object_manifest_free(zova_object_manifest *manifest);
/* Releases a zova_vector's id and values; resets it to empty. */
void zova_vector_free(zova_vector *vector);
/* Releases every hit's id, then the items array; resets to {NULL, 0}. */
void zova_vector_search_results_free(zova_vector_search_results *results);
/* Releases a standalone info's name and zeroes it (list items are freed by the list). */
void zova_vector_collection_info_free(zova_vector_collection_info *info);
/* Releases every item's name, then the items array; resets to {NULL, 0}. */
void zova_vector_collection_list_free(zova_vector_collection_list *list);
/* Creates a new .zova file (never overwriting) with Zova's metadata and private tables, and
 * stores a read-write handle in *out_db (NULL on failure); close it with zova_database_close.
 * On failure a non-NULL out_error_message receives a message (free with zova_message_free) and
 * a file it made is removed. Statuses: 30 not a .zova path, 33 exists, 13 cannot create, SQLite
 * statuses. docs/c-api.md §4.3, §7.2. */
zova_status zova_database_create(const zova_database_open_request *request);
/* Opens an existing .zova file read-write after validating its metadata and private schema;
 * never creates, repairs or writes the file. *out_db and the message as for create. Statuses:
 * 30, 31 missing or not a Zova file, 32 another format version, 13, 10/11. docs/c-api.md §4.3,
 * §7.2. */
zova_status zova_database_open(const zova_database_open_request *request);
/* As zova_database_open, with flags (only ZOVA_OPEN_READ_ONLY) and a busy timeout applied
 * before validation (0: SQLite's default). Unknown flag bits or a timeout above 2147483647 ms:
 * ZOVA_INVALID_ARGUMENT. docs/c-api.md §4.3, §7.2. */
zova_status zova_database_open_with_options(const zova_database_open_options_request *request);
/* Closes the database and frees the handle (an open transaction is rolled back). Refused with
 * ZOVA_MISUSE, the handle staying usable, while statements or object writers made from it are
 * alive. docs/c-api.md §4.3, §5.8. */
/* Threads. A database handle and its statements and object writers may be
 * used from any number of threads: every call takes the database's mutex for
 * its whole duration, so calls on one database run one at a time.
 * - zova_database_close, zova_statement_finalize and zova_object_writer_destroy
 *   free their handle, exactly like sqlite3_close: the caller must make sure no
 *   other thread is inside, or about to start, a call on that handle (or, for
 *   close, on its statements and writers). Using a handle after it was freed is
 *   the caller's bug; the library cannot detect it.
 * - zova_database_last_error_message returns the handle's one message slot,
 *   which the next call on the handle from ANY thread replaces. A program that
 *   shares a handle must hold its own lock around "call, then copy the
 *   message" if it wants each failure's own text. docs/c-api.md §5.5, §5.7. */
zova_status zova_database_close(zova_database *db);
/* Runs sql as is: several statements are allowed, rows are discarded. SQLite's statuses (17 for
 * bad SQL or SQL that would change a private table's shape, 14 read-only, 12 constraint, 10/11
 * contention). docs/c-api.md §4.4, §8.3. */
zova_status zova_database_exec(const zova_database_exec_request *request);
/* Transactions and savepoints (docs/c-api.md §4.5, §7.3), thin wrappers over BEGIN, BEGIN
 * IMMEDIATE, COMMIT, ROLLBACK, SAVEPOINT, ROLLBACK TO and RELEASE; SQLite's rules and errors
 * (17 for a nested BEGIN, no transaction to end, an unknown savepoint; 10/11 for contention). A
 * savepoint name must be 1 to 64 bytes of [A-Za-z0-9_], not starting with a digit or _zova_
 * (else ZOVA_INVALID_ARGUMENT). */
/* BEGIN (deferred). */
zova_status zova_database_begin(const zova_database_simple_request *request);
/* BEGIN IMMEDIATE: takes the write lock now (10/11 under contention). */
zova_status zova_database_begin_immediate(const zova_database_simple_request *request);
/* COMMIT. */
zova_status zova_database_commit(const zova_database_simple_request *request);
/* ROLLBACK. */
zova_status zova_database_rollback(const zova_database_simple_request *request);
/* SAVEPOINT name (starts a transaction if none is open). */
zova_status zova_database_savepoint(const zova_database_savepoint_request *request);
/* ROLLBACK TO name; the savepoint stays open (17 for an unknown name). */
zova_status zova_database_rollback_to_savepoint(const zova_database_savepoint_request *request);
/* RELEASE name, a commit when it is the outermost (17 for an unknown name). */
zova_status zova_database_release_savepoint(const zova_database_savepoint_request *request);
/* Runs VACUUM in place (Zova never vacuums on its own): 17 inside a transaction or with a
 * statement running, 14 read-only. docs/c-api.md §4.6. */
zova_status zova_database_vacuum(const zova_database_simple_request *request);
/* Copies the database into the new file destination_path with SQLite's online backup, then
 * verifies the copy unless ZOVA_BACKUP_NO_VERIFY. Never overwrites; the destination is removed
 * on any failure. Statuses: 30, 33, 13, SQLite statuses, verification 31/32/15/54/71/74/75.
 * docs/c-api.md §4.6, §7.4, §5.12. */
zova_status zova_database_backup(const zova_database_backup_request *request);
/* Writes a compacted copy with VACUUM INTO the new file destination_path, then verifies it
 * unless ZOVA_COMPACT_NO_VERIFY; as backup otherwise (17 inside a transaction). docs/c-api.md
 * §4.6, §7.4. */
zova_status zova_database_compact(const zova_database_compact_request *request);
/* Sets how long SQLite retries a locked file, in ms (0 removes the busy handler; above
 * 2147483647 is ZOVA_INVALID_ARGUMENT). docs/c-api.md §4.4. */
zova_status zova_database_set_busy_timeout(const zova_database_busy_timeout_request *request);
/* Connection counters (docs/c-api.md §4.4): the last inserted rowid, the rows changed by the
 * last statement, the rows changed since open. Zova's own inserts count too. Written only on
 * ZOVA_OK. */
/* The connection's last inserted rowid into *out_rowid. */
zova_status zova_database_last_insert_rowid(const zova_database_last_insert_rowid_request *request);
/* Rows changed by the most recent INSERT, UPDATE or DELETE into *out_changes. */
zova_status zova_database_changes(const zova_database_changes_request *request);
/* Rows changed since the connection opened into *out_total_changes. */
zova_status zova_database_total_changes(const zova_database_total_changes_request *request);
/* Compiles the first statement of sql into a new statement in *out_statement, NULL on failure.
 * Finalize it with zova_statement_finalize before closing the database. Statuses: 1 for SQL
 * without a statement, 17 compile errors, 10/11. docs/c-api.md §4.7, §7.5. */
zova_status zova_database_prepare(const zova_database_prepare_request *request);
/* The message of the most recent call on db: the failure's text, or "" after a success.
 * Borrowed, valid until the next call on the handle from any thread: copy it at once; never
 * free it. NULL db gives a static string. docs/c-api.md §4.1, §5.5. */
const char *zova_database_last_error_message(zova_database *db);
/* Makes the new .zova file dest_path from the plain SQLite file source_path (never modified),
 * adds Zova's tables and validates the result; the destination is removed on failure.
 * Diagnostic in the optional out_error_message (free with zova_message_free). Statuses: 30, 33,
 * 13, 17 source not SQLite, 34 source uses a _zova_ name, 31/32. docs/c-api.md §4.6, §7.4. */
zova_status zova_convert_sqlite_to_zova(const zova_convert_sqlite_to_zova_request *request);
/* Opens the backup source_path read-only and copies it into the new file destination_path as
 * backup does, verifying unless ZOVA_RESTORE_NO_VERIFY. Diagnostic in the optional
 * out_error_message. Statuses: those of open for the source, then of backup. docs/c-api.md
 * §4.6, §7.4. */
zova_status zova_database_restore(const zova_database_restore_request *request);
/* Destroys a statement and frees the handle; always ZOVA_OK for a non-NULL statement.
 * docs/c-api.md §4.7. */
zova_status zova_statement_finalize(zova_statement *statement);
/* Advances the statement once; *out_result becomes ZOVA_STEP_ROW or ZOVA_STEP_DONE (written
 * only on ZOVA_OK). Statuses: 12, 14, 10/11, 16, 17. docs/c-api.md §4.7, §7.5. */
zova_status zova_statement_step(const zova_statement_step_request *request);
/* Rewinds the statement (bindings stay); returns the status of the last failed step, if any.
 * docs/c-api.md §4.7. */
zova_status zova_statement_reset(zova_statement *statement);
/* Sets every parameter back to NULL. docs/c-api.md §4.7. */
zova_status zova_statement_clear_bindings(zova_statement *statement);
/* Binding (docs/c-api.md §4.7, §7.5): parameter indexes start at 1; out of range is 17, a
 * statement stepped and not reset is 16. Text and blob bytes are copied; a length of 0 binds an
 * empty TEXT or BLOB, never SQL NULL, whatever the pointer. */
/* SQL NULL. */
zova_status zova_statement_bind_null(const zova_statement_bind_null_request *request);
/* A 64-bit integer. */
zova_status zova_statement_bind_int64(const zova_statement_bind_int64_request *request);
/* A double. */
zova_status zova_statement_bind_double(const zova_statement_bind_double_request *request);
/* len bytes as TEXT (UTF-8, not validated). */
zova_status zova_statement_bind_text(const zova_statement_bind_text_request *request);
/* len bytes as a BLOB. */
zova_status zova_statement_bind_blob(const zova_statement_bind_blob_request *request);
/* Parameters (docs/c-api.md §4.7): the largest parameter index; the index of a named parameter
 * (name with its prefix, 0 when unknown). */
/* The largest parameter index into *out_count. */
zova_status zova_statement_parameter_count(const zova_statement_parameter_count_request *request);
/* The index of the parameter name (e.g. :x) into *out_index, 0 when unknown. */
zova_status zova_statement_parameter_index(const zova_statement_parameter_index_request *request);
/* Columns (docs/c-api.md §4.7, §5.2): indexes start at 0. column_count is valid before the
 * first step. column_name, column_text and column_blob free what their output holds, then fill
 * it (zero-initialise it; free with zova_text_free or zova_buffer_free). Only column_name
 * checks its index (ZOVA_MISUSE); the others give NULL or 0 for a bad one. column_text: data is
 * NULL only for SQL NULL. column_blob: {NULL, 0} for both NULL and an empty blob (ask
 * column_type). */
/* The number of result columns into *out_count. */
zova_status zova_statement_column_count(const zova_statement_column_count_request *request);
/* A copy of the column's name into *out_name (free with zova_text_free). */
zova_status zova_statement_column_name(const zova_statement_column_name_request *request);
/* The value's storage class into *out_type (ZOVA_COLUMN_NULL for a bad index). */
zova_status zova_statement_column_type(const zova_statement_column_type_request *request);
/* The value as a 64-bit integer into *out_value. */
zova_status zova_statement_column_int64(const zova_statement_column_int64_request *request);
/* The value as a double into *out_value. */
zova_status zova_statement_column_double(const zova_statement_column_double_request *request);
/* A NUL-terminated copy of the value as text into *out_text (free with zova_text_free). */
zova_status zova_statement_column_text(const zova_statement_column_text_request *request);
/* A copy of the value's bytes into *out_buffer (free with zova_buffer_free). */
zova_status zova_statement_column_blob(const zova_statement_column_blob_request *request);
/* SHA-256 of len bytes into *out_id: pure, thread-safe, no handle (docs/c-api.md §4.8). */
zova_status zova_object_id_from_bytes(const uint8_t *data, size_t len, zova_object_id *out_id);
/* The same digest, typed as a chunk id. */
zova_status zova_object_chunk_id_from_bytes(const uint8_t *data, size_t len, zova_object_chunk_id *out_id);
/* Stores len bytes as one object in its own transaction and writes its id (the SHA-256) to
 * *out_id. Bytes already stored: ZOVA_OK, nothing written. Statuses: 58 a transaction is open,
 * 57, 10/11, 14. docs/c-api.md §4.9, §7.6, §5.9. */
zova_status zova_object_put(const zova_object_put_request *request);
/* The whole object, every chunk and the object hash verified, in *out_buffer (reset first, not
 * freed; free with zova_buffer_free; the empty object is {NULL, 0}). Statuses: 50 not found, 54
 * damaged, 57. docs/c-api.md §4.9, §7.6. */
zova_status zova_object_get(const zova_object_get_request *request);
/* Copies up to buffer_len bytes from offset into the caller's buffer and writes the count to
 * *out_copied (0 first). Statuses: 50, 56 offset past the end (offset equal to the size copies
 * 0), 54. docs/c-api.md §4.9, §7.6. */
zova_status zova_object_read_range(const zova_object_read_range_request *request);
/* Deletes the object, its manifest and the chunks no other object uses, in its own transaction.
 * Statuses: 58, 10/11, 50, 14. docs/c-api.md §4.9, §7.6. */
zova_status zova_object_delete(const zova_object_delete_request *request);
/* Object metadata (docs/c-api.md §4.9, §7.6): whether the object exists (0/1, no verification),
 * its size, its chunk count; 50 not found, 54 bad stored metadata. */
/* 1 into *out_exists if the object is stored, else 0. */
zova_status zova_object_exists(const zova_object_exists_request *request);
/* The object's size in bytes into *out_size. */
zova_status zova_object_size(const zova_object_size_request *request);
/* The object's number of chunks into *out_count (0 for the empty object). */
zova_status zova_object_chunk_count(const zova_object_chunk_count_request *request);
/* The object's chunks in order, checked for shape (chunk bytes are not hashed), in
 * *out_manifest (reset first; free with zova_object_manifest_free). Statuses: 50, 54.
 * docs/c-api.md §4.9. */
zova_status zova_object_manifest_get(const zova_object_manifest_get_request *request);
/* One stored chunk's bytes, size and hash verified, in *out_buffer (reset first; free with
 * zova_buffer_free). Statuses: 52 no such chunk, 54. docs/c-api.md §4.9. */
zova_status zova_object_chunk_get(const zova_object_chunk_get_request *request);
/* Stores one loose chunk whose bytes must hash to expected_hash (idempotent; allowed in
 * transactions). Statuses: 54 for a size of 0 or above 65536, 53 hash mismatch, 14.
 * docs/c-api.md §4.9, §7.6. */
zova_status zova_object_chunk_put(const zova_object_chunk_put_request *request);
/* Deletes a chunk no object references; *out_deleted is 1 if a row was removed, else 0.
 * docs/c-api.md §4.9. */
zova_status zova_object_chunk_delete(const zova_object_chunk_delete_request *request);
/* Records the object id of size_bytes bytes made of chunks already stored, in its own
 * transaction, after checking the chunk list and that the stored bytes hash to id. Statuses:
 * 58, 51 already stored, 55 inconsistent list or digest, 52 chunk missing, 54, 57, 14.
 * docs/c-api.md §4.9, §7.6. */
zova_status zova_object_assemble_from_chunks(const zova_object_assemble_from_chunks_request *request);
/* A new streaming writer in *out_writer (NULL on failure); a child of the database until
 * zova_object_writer_destroy, which must be called. 58 inside a transaction. docs/c-api.md
 * §4.10, §7.7. */
zova_status zova_object_writer_create(const zova_object_writer_create_request *request);
/* Appends bytes to the stream (chunks as zova_object_put would cut them). Statuses: 59 finished
 * or cancelled, 58, 57, 14, 16 in a forked child. docs/c-api.md §4.10, §7.7. */
zova_status zova_object_writer_write(const zova_object_writer_write_request *request);
/* Stores the object and writes its id to *out_id (an existing object is ZOVA_OK). The writer is
 * then closed; after a failed finish it stays open for another finish or a cancel.
 * docs/c-api.md §4.10, §7.7. */
zova_status zova_object_writer_finish(const zova_object_writer_finish_request *request);
/* Discards the stream (only chunks this writer stored are removed) and closes the writer; 59 if
 * already closed. docs/c-api.md §4.10. */
zova_status zova_object_writer_cancel(const zova_object_writer_cancel_request *request);
/* Cancels an unfinished writer (ignoring errors) and frees the handle; always ZOVA_OK for a
 * non-NULL writer. docs/c-api.md §4.10. */
zova_status zova_object_writer_destroy(zova_object_writer *writer);
/* Creates an empty collection (dimensions 1 to 16384, metric 0/1/2; takes part in the caller's
 * transaction). Statuses: 1 bad metric, 75 bad name or dimensions, 70 exists, 14. docs/c-api.md
 * §4.11, §7.8. */
zova_status zova_vector_collection_create(const zova_vector_collection_create_request *request);
/* Writes 1 or 0 to *out_exists; 75 for an invalid name. docs/c-api.md §4.11. */
zova_status zova_vector_collection_exists(const zova_vector_collection_exists_request *request);
/* The collection's name, dimensions, metric and vector count in *out_info (reset first; free
 * with zova_vector_collection_info_free). Statuses: 75, 71, 31. docs/c-api.md §4.11. */
zova_status zova_vector_collection_info_get(const zova_vector_collection_info_get_request *request);
/* Every collection, by name, in *out_list (reset first; free with
 * zova_vector_collection_list_free). docs/c-api.md §4.11. */
zova_status zova_vector_collections_list(const zova_vector_collections_list_request *request);
/* Inserts or replaces one vector. Statuses: 75 bad name, id or values (NaN/Inf, all zeros for
 * cosine), 71, 73 wrong length, 14. docs/c-api.md §4.12, §7.8. */
zova_status zova_vector_put(const zova_vector_put_request *request);
/* Checks every row, then upserts them in order (the last duplicate wins); no transaction of its
 * own, so wrap it in one to make it atomic. Statuses as zova_vector_put for the first bad row.
 * docs/c-api.md §4.12, §7.8. */
zova_status zova_vector_put_many(const zova_vector_put_many_request *request);
/* A copy of the stored vector in *out_vector (reset first; free with zova_vector_free).
 * Statuses: 75, 71, 72 not found, 74 damaged row. docs/c-api.md §4.12. */
zova_status zova_vector_get(const zova_vector_get_request *request);
/* Writes 1 or 0 to *out_exists. Statuses: 75, 71. docs/c-api.md §4.12. */
zova_status zova_vector_exists(const zova_vector_exists_request *request);
/* Deletes one vector. Statuses: 75, 71, 72 not found, 14. docs/c-api.md §4.12. */
zova_status zova_vector_delete(const zova_vector_delete_request *request);
/* Deletes the collection and its vectors (takes part in the caller's transaction). Statuses:
 * 75, 71, 14. docs/c-api.md §4.11. */
zova_status zova_vector_collection_delete(const zova_vector_collection_delete_request *request);
/* The eight exact searches (docs/c-api.md §4.13, §7.9): at most limit hits in *out_results
 * (reset first; free with zova_vector_search_results_free), by ascending distance, ties by
 * bytewise id. _in: only among candidate_ids (unknown ids skipped); _within: only distance <=
 * max_distance; _by_id: the stored vector source_vector_id is the query and is left out.
 * Statuses: 75 bad name, id, values or threshold, 71, 72 source missing, 73 wrong query length,
 * 74 damaged stored row; limit 0 is ZOVA_OK with no hits. */
/* The limit nearest vectors to query. */
zova_status zova_vector_search(const zova_vector_search_request *request);
/* The nearest among candidate_ids. */
zova_status zova_vector_search_in(const zova_vector_search_in_request *request);
/* The nearest with distance <= max_distance. */
zova_status zova_vector_search_within(const zova_vector_search_within_request *request);
/* Among candidate_ids, with distance <= max_distance. */
zova_status zova_vector_search_in_within(const zova_vector_search_in_within_request *request);
/* The nearest to the stored vector source_vector_id, which is left out. */
zova_status zova_vector_search_by_id(const zova_vector_search_by_id_request *request);
/* By id, among candidate_ids. */
zova_status zova_vector_search_by_id_in(const zova_vector_search_by_id_in_request *request);
/* By id, with distance <= max_distance. */
zova_status zova_vector_search_by_id_within(const zova_vector_search_by_id_within_request *request);
/* By id, among candidate_ids, with distance <= max_distance. */
zova_status zova_vector_search_by_id_in_within(const zova_vector_search_by_id_in_within_request *request);

/*
 * Additions beyond upstream 0.17.0: new functions only; nothing above changes.
 * They are documented in docs/c-api.md §4.14 to §4.16.
 */

/* Request of zova_object_put_many: count objects, object i being lens[i] bytes
 * at data[i], and out_ids, the caller's array of count ids to fill
 * (docs/c-api.md §3.3, §4.14). */
typedef struct zova_object_put_many_request {
    zova_database *db;
    const uint8_t *const *data;
    const size_t *lens;
    size_t count;
    zova_object_id *out_ids;
} zova_object_put_many_request;

/* Stores the count objects of the request (data[i], lens[i] bytes) in one transaction, all or
 * nothing; on ZOVA_OK out_ids (the caller's array of count ids) holds their ids. Statuses as
 * zova_object_put (58 inside a transaction). docs/c-api.md §4.14. */
zova_status zova_object_put_many(const zova_object_put_many_request *request);

/*
 * Cancellation: stopping a long call (backup, compact, restore, conversion, a
 * big object read or write, a long query) from another thread.
 *
 * A zova_cancel is a token. A thread binds one with zova_thread_set_cancel;
 * any thread (or a signal handler) may then request it with
 * zova_cancel_request. Every Zova call made on the bound thread stops soon
 * after the request (within well under half a second for the operations
 * above) and returns ZOVA_SQLITE_ERROR (17, the status SQLite's
 * SQLITE_INTERRUPT maps to) with the message "interrupted": the handle's
 * zova_database_last_error_message, or *out_error_message for restore,
 * conversion, create and open. A call started while the thread's token is
 * already requested fails that way at once (backup, compact, restore and
 * conversion before touching any file); a short call may still succeed.
 * Once requested, a token stays requested: use a new one for the next
 * operation, or bind none.
 *
 * What an interrupted call leaves: a backup, compact, restore or conversion
 * removes its destination file (and its -journal, -wal and -shm files), as on
 * any other failure; the source is never changed. An object write rolls back.
 * An interrupted statement that writes inside a transaction the caller opened
 * rolls that transaction back (SQLite's rule for SQLITE_INTERRUPT).
 *
 * Tokens are checked by SQLite's progress handler on every connection the
 * library opens, and between the steps of its own loops (backup page steps,
 * verification of copies). With no token bound the cost is negligible.
 * docs/c-api.md §4.15.
 */
typedef struct zova_cancel zova_cancel;

/* A new token, not requested, into *out (NULL on failure). INVALID_ARGUMENT
 * when out is NULL; OUT_OF_MEMORY. Free it with zova_cancel_free. */
zova_status
zova_cancel_create(zova_cancel **out);

/* Requests the token: the calls of every thread it is bound to stop soon.
 * One atomic store and nothing else, so it is thread-safe and
 * async-signal-safe (callable from a signal handler); NULL is ignored; any
 * number of calls, from any thread, before, during or after an operation. */
void
zova_cancel_request(zova_cancel *token);

/* 1 once the token was requested, else 0 (also for NULL). Thread-safe. */
int
zova_cancel_requested(const zova_cancel *token);

/* Frees a token (NULL is ignored). The caller must make sure that no thread
 * still has it bound (each bound thread calls zova_thread_set_cancel(NULL) or
 * has ended) and that no thread can still call zova_cancel_request or
 * zova_cancel_requested on it. */
void
zova_cancel_free(zova_cancel *token);

/* Binds token to the calling thread, replacing its previous binding (NULL
 * unbinds); calls on other threads are not affected. A token may be bound to
 * several threads at once. The binding lasts until changed or the thread ends;
 * it is not inherited by threads the caller starts. Always ZOVA_OK. */
zova_status
zova_thread_set_cancel(zova_cancel *token);

/*
 * Batch search: many queries against one collection in one call (an
 * addition; README, Vectors). queries holds query_count rows of query_len
 * floats each, row-major. Every query gets exactly the results the
 * single-query search gives it, ties and order included:
 *  - flags & ZOVA_VECTOR_SEARCH_BATCH_IN: only among candidate_ids, as
 *    zova_vector_search_in (one candidate list for every query; ids not in
 *    the collection are ignored);
 *  - flags & ZOVA_VECTOR_SEARCH_BATCH_WITHIN: only distances <= max_distance,
 *    as zova_vector_search_within;
 *  - exclude_ids, when not NULL, holds query_count ids (each may be NULL):
 *    query i never returns exclude_ids[i], as the by_id searches leave out
 *    their source vector (an id not in the collection excludes nothing).
 * out_results points to query_count zova_vector_search_results, which are
 * filled in order (set empty first, and left empty on failure); free each
 * with zova_vector_search_results_free.
 * Statuses: those of the single-query searches (for the first query that
 * fails validation, with a message naming it), INVALID_ARGUMENT for NULL
 * collection_name or out_results, NULL queries with query_count > 0, NULL
 * candidate_ids with candidate_count > 0, a NULL candidate id or an unknown
 * flag. A query_count of 0 or a limit of 0 succeeds with empty results once
 * the collection and the queries' length check out. A cancel token bound to
 * the calling thread (Cancellation, above) stops it. docs/c-api.md §4.16.
 */
enum {
    ZOVA_VECTOR_SEARCH_BATCH_IN = 1,
    ZOVA_VECTOR_SEARCH_BATCH_WITHIN = 2
};

typedef struct zova_vector_search_batch_request {
    zova_database *db;
    const char *collection_name;
    const float *queries;
    size_t query_count;
    size_t query_len;
    uint32_t flags;
    const char *const *candidate_ids;
    size_t candidate_count;
    double max_distance;
    const char *const *exclude_ids;
    size_t limit;
    zova_vector_search_results *out_results;
} zova_vector_search_batch_request;

/* Runs query_count searches against one collection (the rules above); each
 * out_results[i] gets exactly the hits the single-query search gives query i;
 * free each with zova_vector_search_results_free. docs/c-api.md §4.16. */
zova_status zova_vector_search_batch(const zova_vector_search_batch_request *request);

/*
 * Approximate search (an addition; docs/c-api.md §4.17): an HNSW index per
 * collection, opt-in, stored in the file (docs/file-format.md §5) and kept in
 * step with every vector write in the write's own transaction, including
 * writes by programs that know nothing of it (they are logged by triggers and
 * applied before each search). Exact search is unchanged. Results carry the
 * exact double distances of exact search and its tie order (by id bytes);
 * only which vectors are found is approximate.
 */
enum {
    ZOVA_VECTOR_INDEX_HNSW = 1,           /* zova_vector_index_info.kind */
    ZOVA_VECTOR_INDEX_DEFAULT_EF = 64,    /* the ef of a search that passes 0 */
    ZOVA_VECTOR_INDEX_MAX_EF = 4096
};

/* m: neighbours per node (2..64, 0 means 16; level 0 keeps 2m);
 * ef_construction: candidates while inserting (1..4096, 0 means 200). */
typedef struct zova_vector_index_create_request {
    zova_database *db;
    const char *collection_name;
    uint32_t m;
    uint32_t ef_construction;
} zova_vector_index_create_request;

/* Creates and builds the index of an existing collection over all its vectors
 * (on every core); INVALID_ARGUMENT when it already has one or for m or
 * ef_construction out of range, VECTOR_COLLECTION_NOT_FOUND (71) for a missing
 * collection, the write statuses of zova_vector_put otherwise (read-only 14,
 * contention 10/11, a foreign trigger 15). docs/c-api.md §4.17. */
zova_status zova_vector_index_create(const zova_vector_index_create_request *request);

typedef struct zova_vector_index_request {
    zova_database *db;
    const char *collection_name;
} zova_vector_index_request;

/* Removes a collection's index from the file (the index tables and triggers
 * go with the last one); INVALID_ARGUMENT when it has none, 71 for a missing
 * collection. docs/c-api.md §4.17. */
zova_status zova_vector_index_drop(const zova_vector_index_request *request);

/* Rebuilds a collection's index from its vectors with the same parameters (the
 * repair for an index reported damaged or out of step); statuses as
 * zova_vector_index_drop. docs/c-api.md §4.17. */
zova_status zova_vector_index_rebuild(const zova_vector_index_request *request);

/* exists is 0 (and the rest 0) when the collection has no index. vector_count:
 * vectors in the persisted graph; pending_changes: logged changes not folded
 * into it yet (writes by other programs); disk_bytes: size of its node rows;
 * memory_bytes: the graph and vectors held by this handle (0 until its first
 * approximate search or write). */
typedef struct zova_vector_index_info {
    uint8_t exists;
    int32_t kind;
    uint32_t m;
    uint32_t ef_construction;
    uint32_t default_ef;
    uint64_t vector_count;
    uint64_t pending_changes;
    uint64_t disk_bytes;
    uint64_t memory_bytes;
} zova_vector_index_info;

typedef struct zova_vector_index_info_get_request {
    zova_database *db;
    const char *collection_name;
    zova_vector_index_info *out_info;
} zova_vector_index_info_get_request;

/* Describes a collection's index (71 for a missing collection, INVALID_ARGUMENT
 * for NULL out_info). docs/c-api.md §4.17. */
zova_status zova_vector_index_info_get(const zova_vector_index_info_get_request *request);

enum {
    ZOVA_VECTOR_INDEX_SEARCH_IN = 1,
    ZOVA_VECTOR_INDEX_SEARCH_WITHIN = 2
};

/* query (query_len floats) or, when source_id is not NULL, the stored vector
 * source_id (which is left out of the results); flags as the batch search's:
 * IN restricts to candidate_ids (ids not in the collection are ignored; the
 * candidates are ranked exactly), WITHIN keeps distances <= max_distance.
 * ef: candidates examined (0 means ZOVA_VECTOR_INDEX_DEFAULT_EF, at most
 * ZOVA_VECTOR_INDEX_MAX_EF; raised to limit when smaller). */
typedef struct zova_vector_index_search_request {
    zova_database *db;
    const char *collection_name;
    const float *query;
    size_t query_len;
    const char *source_id;
    uint32_t flags;
    const char *const *candidate_ids;
    size_t candidate_count;
    double max_distance;
    size_t limit;
    uint32_t ef;
    zova_vector_search_results *out_results;
} zova_vector_index_search_request;

/* The approximate nearest limit vectors (set empty first; free with
 * zova_vector_search_results_free). Statuses: the query checks of
 * zova_vector_search (73, 75), 71, 72 for a missing source_id,
 * INVALID_ARGUMENT when the collection has no index, for ef out of range, an
 * unknown flag, NULL collection_name or out_results, NULL query with
 * query_len > 0 (and no source_id), NULL candidate_ids with
 * candidate_count > 0 or a NULL candidate id, VECTOR_CORRUPT (74) for an index that is
 * damaged or out of step (zova_vector_index_rebuild repairs it). Reads only.
 * docs/c-api.md §4.17. */
zova_status zova_vector_index_search(const zova_vector_index_search_request *request);

#ifdef __cplusplus
}
#endif

#endif /* ZOVA_H */
