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

typedef struct zova_database zova_database;
typedef struct zova_statement zova_statement;
typedef struct zova_object_writer zova_object_writer;

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

typedef enum zova_vector_metric {
    ZOVA_VECTOR_METRIC_COSINE = 0,
    ZOVA_VECTOR_METRIC_L2 = 1,
    ZOVA_VECTOR_METRIC_DOT = 2
} zova_vector_metric;

typedef enum zova_step_result {
    ZOVA_STEP_ROW = 1,
    ZOVA_STEP_DONE = 2
} zova_step_result;

typedef enum zova_column_type {
    ZOVA_COLUMN_INTEGER = 1,
    ZOVA_COLUMN_FLOAT = 2,
    ZOVA_COLUMN_TEXT = 3,
    ZOVA_COLUMN_BLOB = 4,
    ZOVA_COLUMN_NULL = 5
} zova_column_type;

enum {
    ZOVA_OPEN_READ_ONLY = 1u << 0
};

enum {
    ZOVA_BACKUP_NO_VERIFY = 1u << 0,
    ZOVA_COMPACT_NO_VERIFY = 1u << 0,
    ZOVA_RESTORE_NO_VERIFY = 1u << 0
};

typedef struct zova_object_id {
    uint8_t bytes[32];
} zova_object_id;

typedef struct zova_object_chunk_id {
    uint8_t bytes[32];
} zova_object_chunk_id;

typedef struct zova_buffer {
    uint8_t *data;
    size_t len;
} zova_buffer;

typedef struct zova_message {
    char *data;
    size_t len;
} zova_message;

typedef struct zova_text {
    char *data;
    size_t len;
} zova_text;

typedef struct zova_object_manifest_chunk {
    uint64_t index;
    zova_object_chunk_id hash;
    uint64_t offset;
    uint64_t size_bytes;
} zova_object_manifest_chunk;

typedef struct zova_object_manifest {
    zova_object_id object_id;
    uint64_t size_bytes;
    uint64_t chunk_count;
    const char *chunker;
    zova_object_manifest_chunk *chunks;
    size_t chunks_len;
} zova_object_manifest;

typedef struct zova_vector_collection_options {
    uint32_t dimensions;
    int metric;
} zova_vector_collection_options;

typedef struct zova_vector {
    char *id;
    size_t id_len;
    float *values;
    size_t values_len;
} zova_vector;

typedef struct zova_vector_search_result {
    char *id;
    size_t id_len;
    double distance;
} zova_vector_search_result;

typedef struct zova_vector_search_results {
    zova_vector_search_result *items;
    size_t len;
} zova_vector_search_results;

typedef struct zova_vector_collection_info {
    char *name;
    size_t name_len;
    uint32_t dimensions;
    int metric;
    uint64_t vector_count;
} zova_vector_collection_info;

typedef struct zova_vector_collection_list {
    zova_vector_collection_info *items;
    size_t len;
} zova_vector_collection_list;

typedef struct zova_vector_input {
    const char *id;
    const float *values;
    size_t values_len;
} zova_vector_input;

typedef struct zova_database_open_request {
    const char *path;
    zova_database **out_db;
    zova_message *out_error_message;
} zova_database_open_request;

typedef struct zova_database_open_options_request {
    const char *path;
    uint32_t flags;
    uint32_t busy_timeout_ms;
    zova_database **out_db;
    zova_message *out_error_message;
} zova_database_open_options_request;

typedef struct zova_convert_sqlite_to_zova_request {
    const char *source_path;
    const char *dest_path;
    zova_message *out_error_message;
} zova_convert_sqlite_to_zova_request;

typedef struct zova_database_backup_request {
    zova_database *db;
    const char *destination_path;
    uint32_t flags;
} zova_database_backup_request;

typedef struct zova_database_compact_request {
    zova_database *db;
    const char *destination_path;
    uint32_t flags;
} zova_database_compact_request;

typedef struct zova_database_restore_request {
    const char *source_path;
    const char *destination_path;
    uint32_t flags;
    zova_message *out_error_message;
} zova_database_restore_request;

typedef struct zova_database_exec_request {
    zova_database *db;
    const char *sql;
} zova_database_exec_request;

typedef struct zova_database_simple_request {
    zova_database *db;
} zova_database_simple_request;

typedef struct zova_database_savepoint_request {
    zova_database *db;
    const char *name;
} zova_database_savepoint_request;

typedef struct zova_database_busy_timeout_request {
    zova_database *db;
    uint32_t milliseconds;
} zova_database_busy_timeout_request;

typedef struct zova_database_last_insert_rowid_request {
    zova_database *db;
    int64_t *out_rowid;
} zova_database_last_insert_rowid_request;

typedef struct zova_database_changes_request {
    zova_database *db;
    int64_t *out_changes;
} zova_database_changes_request;

typedef struct zova_database_total_changes_request {
    zova_database *db;
    int64_t *out_total_changes;
} zova_database_total_changes_request;

typedef struct zova_database_prepare_request {
    zova_database *db;
    const char *sql;
    zova_statement **out_statement;
} zova_database_prepare_request;

typedef struct zova_statement_step_request {
    zova_statement *statement;
    zova_step_result *out_result;
} zova_statement_step_request;

typedef struct zova_statement_bind_null_request {
    zova_statement *statement;
    int index;
} zova_statement_bind_null_request;

typedef struct zova_statement_bind_int64_request {
    zova_statement *statement;
    int index;
    int64_t value;
} zova_statement_bind_int64_request;

typedef struct zova_statement_bind_double_request {
    zova_statement *statement;
    int index;
    double value;
} zova_statement_bind_double_request;

typedef struct zova_statement_bind_text_request {
    zova_statement *statement;
    int index;
    const uint8_t *data;
    size_t len;
} zova_statement_bind_text_request;

typedef struct zova_statement_bind_blob_request {
    zova_statement *statement;
    int index;
    const uint8_t *data;
    size_t len;
} zova_statement_bind_blob_request;

typedef struct zova_statement_parameter_count_request {
    zova_statement *statement;
    int *out_count;
} zova_statement_parameter_count_request;

typedef struct zova_statement_parameter_index_request {
    zova_statement *statement;
    const char *name;
    int *out_index;
} zova_statement_parameter_index_request;

typedef struct zova_statement_column_count_request {
    zova_statement *statement;
    int *out_count;
} zova_statement_column_count_request;

typedef struct zova_statement_column_name_request {
    zova_statement *statement;
    int index;
    zova_text *out_name;
} zova_statement_column_name_request;

typedef struct zova_statement_column_type_request {
    zova_statement *statement;
    int index;
    zova_column_type *out_type;
} zova_statement_column_type_request;

typedef struct zova_statement_column_int64_request {
    zova_statement *statement;
    int index;
    int64_t *out_value;
} zova_statement_column_int64_request;

typedef struct zova_statement_column_double_request {
    zova_statement *statement;
    int index;
    double *out_value;
} zova_statement_column_double_request;

typedef struct zova_statement_column_text_request {
    zova_statement *statement;
    int index;
    zova_text *out_text;
} zova_statement_column_text_request;

typedef struct zova_statement_column_blob_request {
    zova_statement *statement;
    int index;
    zova_buffer *out_buffer;
} zova_statement_column_blob_request;

typedef struct zova_object_put_request {
    zova_database *db;
    const uint8_t *data;
    size_t len;
    zova_object_id *out_id;
} zova_object_put_request;

typedef struct zova_object_get_request {
    zova_database *db;
    zova_object_id id;
    zova_buffer *out_buffer;
} zova_object_get_request;

typedef struct zova_object_read_range_request {
    zova_database *db;
    zova_object_id id;
    uint64_t offset;
    uint8_t *buffer;
    size_t buffer_len;
    size_t *out_copied;
} zova_object_read_range_request;

typedef struct zova_object_exists_request {
    zova_database *db;
    zova_object_id id;
    uint8_t *out_exists;
} zova_object_exists_request;

typedef struct zova_object_size_request {
    zova_database *db;
    zova_object_id id;
    uint64_t *out_size;
} zova_object_size_request;

typedef struct zova_object_chunk_count_request {
    zova_database *db;
    zova_object_id id;
    uint64_t *out_count;
} zova_object_chunk_count_request;

typedef struct zova_object_delete_request {
    zova_database *db;
    zova_object_id id;
} zova_object_delete_request;

typedef struct zova_object_manifest_get_request {
    zova_database *db;
    zova_object_id id;
    zova_object_manifest *out_manifest;
} zova_object_manifest_get_request;

typedef struct zova_object_chunk_get_request {
    zova_database *db;
    zova_object_chunk_id hash;
    zova_buffer *out_buffer;
} zova_object_chunk_get_request;

typedef struct zova_object_chunk_put_request {
    zova_database *db;
    zova_object_chunk_id expected_hash;
    const uint8_t *data;
    size_t len;
} zova_object_chunk_put_request;

typedef struct zova_object_chunk_delete_request {
    zova_database *db;
    zova_object_chunk_id hash;
    uint8_t *out_deleted;
} zova_object_chunk_delete_request;

typedef struct zova_object_assemble_from_chunks_request {
    zova_database *db;
    zova_object_id id;
    uint64_t size_bytes;
    const zova_object_manifest_chunk *chunks;
    size_t chunk_count;
} zova_object_assemble_from_chunks_request;

typedef struct zova_object_writer_create_request {
    zova_database *db;
    zova_object_writer **out_writer;
} zova_object_writer_create_request;

typedef struct zova_object_writer_write_request {
    zova_object_writer *writer;
    const uint8_t *data;
    size_t len;
} zova_object_writer_write_request;

typedef struct zova_object_writer_finish_request {
    zova_object_writer *writer;
    zova_object_id *out_id;
} zova_object_writer_finish_request;

typedef struct zova_object_writer_cancel_request {
    zova_object_writer *writer;
} zova_object_writer_cancel_request;

typedef struct zova_vector_collection_create_request {
    zova_database *db;
    const char *name;
    zova_vector_collection_options options;
} zova_vector_collection_create_request;

typedef struct zova_vector_collection_exists_request {
    zova_database *db;
    const char *name;
    uint8_t *out_exists;
} zova_vector_collection_exists_request;

typedef struct zova_vector_put_request {
    zova_database *db;
    const char *collection_name;
    const char *vector_id;
    const float *values;
    size_t values_len;
} zova_vector_put_request;

typedef struct zova_vector_get_request {
    zova_database *db;
    const char *collection_name;
    const char *vector_id;
    zova_vector *out_vector;
} zova_vector_get_request;

typedef struct zova_vector_exists_request {
    zova_database *db;
    const char *collection_name;
    const char *vector_id;
    uint8_t *out_exists;
} zova_vector_exists_request;

typedef struct zova_vector_delete_request {
    zova_database *db;
    const char *collection_name;
    const char *vector_id;
} zova_vector_delete_request;

typedef struct zova_vector_search_request {
    zova_database *db;
    const char *collection_name;
    const float *query;
    size_t query_len;
    size_t limit;
    zova_vector_search_results *out_results;
} zova_vector_search_request;

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

typedef struct zova_vector_collection_info_get_request {
    zova_database *db;
    const char *name;
    zova_vector_collection_info *out_info;
} zova_vector_collection_info_get_request;

typedef struct zova_vector_collections_list_request {
    zova_database *db;
    zova_vector_collection_list *out_list;
} zova_vector_collections_list_request;

typedef struct zova_vector_put_many_request {
    zova_database *db;
    const char *collection_name;
    const zova_vector_input *vectors;
    size_t vectors_len;
} zova_vector_put_many_request;

typedef struct zova_vector_collection_delete_request {
    zova_database *db;
    const char *name;
} zova_vector_collection_delete_request;

typedef struct zova_vector_search_within_request {
    zova_database *db;
    const char *collection_name;
    const float *query;
    size_t query_len;
    double max_distance;
    size_t limit;
    zova_vector_search_results *out_results;
} zova_vector_search_within_request;

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

typedef struct zova_vector_search_by_id_request {
    zova_database *db;
    const char *collection_name;
    const char *source_vector_id;
    size_t limit;
    zova_vector_search_results *out_results;
} zova_vector_search_by_id_request;

typedef struct zova_vector_search_by_id_in_request {
    zova_database *db;
    const char *collection_name;
    const char *source_vector_id;
    const char *const *candidate_ids;
    size_t candidate_count;
    size_t limit;
    zova_vector_search_results *out_results;
} zova_vector_search_by_id_in_request;

typedef struct zova_vector_search_by_id_within_request {
    zova_database *db;
    const char *collection_name;
    const char *source_vector_id;
    double max_distance;
    size_t limit;
    zova_vector_search_results *out_results;
} zova_vector_search_by_id_within_request;

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

uint32_t zova_abi_version_major(void);
uint32_t zova_abi_version_minor(void);
uint32_t zova_abi_version_patch(void);
const char *zova_abi_version_string(void);
const char *zova_status_name(zova_status status);
void zova_buffer_free(zova_buffer *buffer);
void zova_message_free(zova_message *message);
void zova_text_free(zova_text *text);
void zova_object_manifest_free(zova_object_manifest *manifest);
void zova_vector_free(zova_vector *vector);
void zova_vector_search_results_free(zova_vector_search_results *results);
void zova_vector_collection_info_free(zova_vector_collection_info *info);
void zova_vector_collection_list_free(zova_vector_collection_list *list);
zova_status zova_database_create(const zova_database_open_request *request);
zova_status zova_database_open(const zova_database_open_request *request);
zova_status zova_database_open_with_options(const zova_database_open_options_request *request);
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
 *   message" if it wants each failure's own text. */
zova_status zova_database_close(zova_database *db);
zova_status zova_database_exec(const zova_database_exec_request *request);
zova_status zova_database_begin(const zova_database_simple_request *request);
zova_status zova_database_begin_immediate(const zova_database_simple_request *request);
zova_status zova_database_commit(const zova_database_simple_request *request);
zova_status zova_database_rollback(const zova_database_simple_request *request);
zova_status zova_database_savepoint(const zova_database_savepoint_request *request);
zova_status zova_database_rollback_to_savepoint(const zova_database_savepoint_request *request);
zova_status zova_database_release_savepoint(const zova_database_savepoint_request *request);
zova_status zova_database_vacuum(const zova_database_simple_request *request);
zova_status zova_database_backup(const zova_database_backup_request *request);
zova_status zova_database_compact(const zova_database_compact_request *request);
zova_status zova_database_set_busy_timeout(const zova_database_busy_timeout_request *request);
zova_status zova_database_last_insert_rowid(const zova_database_last_insert_rowid_request *request);
zova_status zova_database_changes(const zova_database_changes_request *request);
zova_status zova_database_total_changes(const zova_database_total_changes_request *request);
zova_status zova_database_prepare(const zova_database_prepare_request *request);
const char *zova_database_last_error_message(zova_database *db);
zova_status zova_convert_sqlite_to_zova(const zova_convert_sqlite_to_zova_request *request);
zova_status zova_database_restore(const zova_database_restore_request *request);
zova_status zova_statement_finalize(zova_statement *statement);
zova_status zova_statement_step(const zova_statement_step_request *request);
zova_status zova_statement_reset(zova_statement *statement);
zova_status zova_statement_clear_bindings(zova_statement *statement);
zova_status zova_statement_bind_null(const zova_statement_bind_null_request *request);
zova_status zova_statement_bind_int64(const zova_statement_bind_int64_request *request);
zova_status zova_statement_bind_double(const zova_statement_bind_double_request *request);
zova_status zova_statement_bind_text(const zova_statement_bind_text_request *request);
zova_status zova_statement_bind_blob(const zova_statement_bind_blob_request *request);
zova_status zova_statement_parameter_count(const zova_statement_parameter_count_request *request);
zova_status zova_statement_parameter_index(const zova_statement_parameter_index_request *request);
zova_status zova_statement_column_count(const zova_statement_column_count_request *request);
zova_status zova_statement_column_name(const zova_statement_column_name_request *request);
zova_status zova_statement_column_type(const zova_statement_column_type_request *request);
zova_status zova_statement_column_int64(const zova_statement_column_int64_request *request);
zova_status zova_statement_column_double(const zova_statement_column_double_request *request);
zova_status zova_statement_column_text(const zova_statement_column_text_request *request);
zova_status zova_statement_column_blob(const zova_statement_column_blob_request *request);
zova_status zova_object_id_from_bytes(const uint8_t *data, size_t len, zova_object_id *out_id);
zova_status zova_object_chunk_id_from_bytes(const uint8_t *data, size_t len, zova_object_chunk_id *out_id);
zova_status zova_object_put(const zova_object_put_request *request);
zova_status zova_object_get(const zova_object_get_request *request);
zova_status zova_object_read_range(const zova_object_read_range_request *request);
zova_status zova_object_delete(const zova_object_delete_request *request);
zova_status zova_object_exists(const zova_object_exists_request *request);
zova_status zova_object_size(const zova_object_size_request *request);
zova_status zova_object_chunk_count(const zova_object_chunk_count_request *request);
zova_status zova_object_manifest_get(const zova_object_manifest_get_request *request);
zova_status zova_object_chunk_get(const zova_object_chunk_get_request *request);
zova_status zova_object_chunk_put(const zova_object_chunk_put_request *request);
zova_status zova_object_chunk_delete(const zova_object_chunk_delete_request *request);
zova_status zova_object_assemble_from_chunks(const zova_object_assemble_from_chunks_request *request);
zova_status zova_object_writer_create(const zova_object_writer_create_request *request);
zova_status zova_object_writer_write(const zova_object_writer_write_request *request);
zova_status zova_object_writer_finish(const zova_object_writer_finish_request *request);
zova_status zova_object_writer_cancel(const zova_object_writer_cancel_request *request);
zova_status zova_object_writer_destroy(zova_object_writer *writer);
zova_status zova_vector_collection_create(const zova_vector_collection_create_request *request);
zova_status zova_vector_collection_exists(const zova_vector_collection_exists_request *request);
zova_status zova_vector_collection_info_get(const zova_vector_collection_info_get_request *request);
zova_status zova_vector_collections_list(const zova_vector_collections_list_request *request);
zova_status zova_vector_put(const zova_vector_put_request *request);
zova_status zova_vector_put_many(const zova_vector_put_many_request *request);
zova_status zova_vector_get(const zova_vector_get_request *request);
zova_status zova_vector_exists(const zova_vector_exists_request *request);
zova_status zova_vector_delete(const zova_vector_delete_request *request);
zova_status zova_vector_collection_delete(const zova_vector_collection_delete_request *request);
zova_status zova_vector_search(const zova_vector_search_request *request);
zova_status zova_vector_search_in(const zova_vector_search_in_request *request);
zova_status zova_vector_search_within(const zova_vector_search_within_request *request);
zova_status zova_vector_search_in_within(const zova_vector_search_in_within_request *request);
zova_status zova_vector_search_by_id(const zova_vector_search_by_id_request *request);
zova_status zova_vector_search_by_id_in(const zova_vector_search_by_id_in_request *request);
zova_status zova_vector_search_by_id_within(const zova_vector_search_by_id_within_request *request);
zova_status zova_vector_search_by_id_in_within(const zova_vector_search_by_id_in_within_request *request);

/*
 * Additions beyond upstream 0.17.0: new functions only; nothing above changes.
 */

/* Stores count objects in one transaction (all or nothing). out_ids receives
 * count ids on success. Same statuses as zova_object_put. */
typedef struct zova_object_put_many_request {
    zova_database *db;
    const uint8_t *const *data;
    const size_t *lens;
    size_t count;
    zova_object_id *out_ids;
} zova_object_put_many_request;

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
 * the calling thread (Cancellation, above) stops it.
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

zova_status zova_vector_search_batch(const zova_vector_search_batch_request *request);

#ifdef __cplusplus
}
#endif

#endif /* ZOVA_H */
