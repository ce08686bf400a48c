/*
 * bad_input_test.c - error paths of the C ABI from C, for the memory checkers
 * (valgrind memcheck and ASan/LSan through tests/run_sanitized.sh): failing
 * opens with messages (protocol M frees the old message), NULL requests and
 * handles, failing prepare/bind/step/reset, column protocol B called
 * repeatedly on one container, close refused with live children, failing
 * object and writer calls, corrupt stored vectors (74) and the bind length
 * regression (len > INT64_MAX => 17, no read). docs/c-api.md §5.1-§5.8, §6.3, §7.
 * Usage: bad_input_test DIR. Prints "ok".
 */
#include "zova.h"
#include "check.h"

#include <stdint.h>
#include <string.h>

static zova_database *db;
static char dir[3500];

static zova_status exec_sql(const char *sql) {
    zova_database_exec_request request = {db, sql};
    return zova_database_exec(&request);
}

static void path_in_dir(char *out, size_t size, const char *name) {
    snprintf(out, size, "%s/%s", dir, name);
}

static void message_paths(void) {
    char path[4096], other[4096];
    zova_database *handle = (zova_database *)&path; /* overwritten with NULL early */
    zova_message message = {NULL, 0};
    zova_database_open_request open_request;
    zova_database_open_options_request options = {NULL, 0, 0, NULL, NULL};
    zova_convert_sqlite_to_zova_request convert;
    zova_database_restore_request restore;
    path_in_dir(path, sizeof(path), "missing.zova");
    open_request.path = path;
    open_request.out_db = &handle;
    open_request.out_error_message = &message;
    CHECK(zova_database_open(&open_request) == ZOVA_NOT_ZOVA_DATABASE);
    CHECK(handle == NULL && message.data != NULL && message.len > 0);
    /* the next failure frees the previous message first (protocol M) */
    open_request.path = "no-suffix";
    CHECK(zova_database_open(&open_request) == ZOVA_NOT_ZOVA_PATH);
    CHECK(message.data != NULL);
    open_request.path = NULL;
    CHECK(zova_database_create(&open_request) == ZOVA_INVALID_ARGUMENT);
    open_request.out_db = NULL;
    CHECK(zova_database_create(&open_request) == ZOVA_INVALID_ARGUMENT);
    CHECK(zova_database_open(NULL) == ZOVA_INVALID_ARGUMENT);
    options.path = path;
    options.flags = 2;
    options.out_db = &handle;
    options.out_error_message = &message;
    CHECK(zova_database_open_with_options(&options) == ZOVA_INVALID_ARGUMENT);
    options.flags = 0;
    options.busy_timeout_ms = 0x80000000u;
    CHECK(zova_database_open_with_options(&options) == ZOVA_INVALID_ARGUMENT);
    path_in_dir(other, sizeof(other), "converted.zova");
    convert.source_path = path;
    convert.dest_path = other;
    convert.out_error_message = &message;
    CHECK(zova_convert_sqlite_to_zova(&convert) == ZOVA_CANT_OPEN);
    restore.source_path = path;
    restore.destination_path = other;
    restore.flags = 0;
    restore.out_error_message = &message;
    CHECK(zova_database_restore(&restore) == ZOVA_NOT_ZOVA_DATABASE);
    restore.flags = 7;
    CHECK(zova_database_restore(&restore) == ZOVA_INVALID_ARGUMENT);
    CHECK(message.data != NULL);
    zova_message_free(&message);
    zova_message_free(&message);
    CHECK(message.data == NULL && message.len == 0);
}

static void statement_paths(void) {
    zova_statement *statement = NULL, *insert = NULL;
    zova_database_prepare_request prepare = {db, "select from where", &statement};
    zova_statement_step_request step;
    zova_step_result result = ZOVA_STEP_DONE;
    zova_text text = {NULL, 0}, name = {NULL, 0};
    zova_buffer blob = {NULL, 0};
    static const uint8_t one[1] = {0x41};
    int i;
    CHECK(zova_database_prepare(&prepare) == ZOVA_SQLITE_ERROR && statement == NULL);
    CHECK(strstr(zova_database_last_error_message(db), "syntax") != NULL);
    prepare.sql = "  -- nothing";
    CHECK(zova_database_prepare(&prepare) == ZOVA_INVALID_ARGUMENT && statement == NULL);
    CHECK(exec_sql("create table t(a integer primary key, b text not null)") == ZOVA_OK);
    prepare.sql = "insert into t values (?, ?)";
    prepare.out_statement = &insert;
    CHECK(zova_database_prepare(&prepare) == ZOVA_OK);
    {
        zova_statement_bind_text_request bind = {insert, 2, one, SIZE_MAX};
        zova_statement_bind_blob_request bind_blob = {insert, 2, one, (size_t)INT64_MAX + 1};
        zova_statement_bind_int64_request bind_int = {insert, 9, 1};
        CHECK(zova_statement_bind_text(&bind) == ZOVA_SQLITE_ERROR); /* regression: no over-read */
        CHECK(zova_statement_bind_blob(&bind_blob) == ZOVA_SQLITE_ERROR);
        CHECK(zova_statement_bind_int64(&bind_int) == ZOVA_SQLITE_ERROR);
        bind_int.index = 1;
        CHECK(zova_statement_bind_int64(&bind_int) == ZOVA_OK);
    }
    /* b is NOT NULL and unbound: the step fails, reset reports it once */
    step.statement = insert;
    step.out_result = &result;
    CHECK(zova_statement_step(&step) == ZOVA_CONSTRAINT);
    CHECK(zova_statement_reset(insert) == ZOVA_CONSTRAINT);
    CHECK(zova_statement_reset(insert) == ZOVA_OK);
    CHECK(zova_statement_clear_bindings(insert) == ZOVA_OK);
    CHECK(exec_sql("insert into t values (1, 'x'), (2, '')") == ZOVA_OK);
    prepare.sql = "select a, b, x'00ff' as c, null as d from t order by a";
    prepare.out_statement = &statement;
    CHECK(zova_database_prepare(&prepare) == ZOVA_OK);
    step.statement = statement;
    while (zova_statement_step(&step) == ZOVA_OK && result == ZOVA_STEP_ROW) {
        for (i = -1; i <= 4; i++) {
            /* protocol B: each call frees what the container holds */
            zova_statement_column_text_request text_request = {statement, i, &text};
            zova_statement_column_blob_request blob_request = {statement, i, &blob};
            zova_statement_column_name_request name_request = {statement, i, &name};
            CHECK(zova_statement_column_text(&text_request) == ZOVA_OK);
            CHECK(zova_statement_column_blob(&blob_request) == ZOVA_OK);
            CHECK(zova_statement_column_name(&name_request) == (i >= 0 && i < 4 ? ZOVA_OK : ZOVA_MISUSE));
        }
    }
    zova_text_free(&text);
    zova_text_free(&name);
    zova_buffer_free(&blob);
    /* close refused while children live; they stay usable */
    CHECK(zova_database_close(db) == ZOVA_MISUSE);
    CHECK(strstr(zova_database_last_error_message(db), "live child") != NULL);
    CHECK(zova_statement_reset(statement) == ZOVA_OK);
    CHECK(zova_statement_finalize(statement) == ZOVA_OK);
    CHECK(zova_statement_finalize(insert) == ZOVA_OK);
    CHECK(zova_statement_finalize(NULL) == ZOVA_INVALID_ARGUMENT);
    CHECK(zova_statement_step(NULL) == ZOVA_INVALID_ARGUMENT);
}

static void object_paths(void) {
    zova_object_id id;
    zova_object_chunk_id chunk;
    zova_buffer buffer = {NULL, 0};
    zova_object_manifest manifest;
    zova_object_manifest_chunk rows[2];
    zova_object_writer *writer = NULL;
    uint8_t data[5000], target[16];
    size_t copied = 7, i;
    for (i = 0; i < sizeof(data); i++) data[i] = (uint8_t)(i * 7);
    memset(&id, 0x5a, sizeof(id));
    {
        zova_object_get_request get = {db, id, &buffer};
        zova_object_manifest_get_request mget = {db, id, &manifest};
        zova_object_read_range_request range = {db, id, 0, target, sizeof(target), &copied};
        CHECK(zova_object_get(&get) == ZOVA_OBJECT_NOT_FOUND && buffer.data == NULL);
        CHECK(zova_object_manifest_get(&mget) == ZOVA_OBJECT_NOT_FOUND);
        CHECK(zova_object_read_range(&range) == ZOVA_OBJECT_NOT_FOUND && copied == 0);
    }
    {
        zova_object_put_request put = {db, data, sizeof(data), &id};
        zova_object_read_range_request range = {db, id, sizeof(data) + 1, target, SIZE_MAX, &copied};
        CHECK(zova_object_put(&put) == ZOVA_OK);
        range.id = id; /* ids travel by value */
        CHECK(zova_object_read_range(&range) == ZOVA_OBJECT_RANGE_INVALID);
        put.len = SIZE_MAX;
        CHECK(zova_object_put(&put) == ZOVA_OBJECT_TOO_LARGE);
    }
    {
        zova_object_chunk_put_request chunk_put = {db, {{0}}, data, 100};
        CHECK(zova_object_chunk_put(&chunk_put) == ZOVA_OBJECT_CHUNK_HASH_MISMATCH);
        chunk_put.len = 65537;
        CHECK(zova_object_chunk_put(&chunk_put) == ZOVA_OBJECT_CORRUPT);
        CHECK(zova_object_chunk_id_from_bytes(data, 100, &chunk) == ZOVA_OK);
        chunk_put.expected_hash = chunk;
        chunk_put.len = 100;
        CHECK(zova_object_chunk_put(&chunk_put) == ZOVA_OK);
    }
    {
        zova_object_assemble_from_chunks_request assemble;
        memset(rows, 0, sizeof(rows));
        rows[0].index = 0;
        rows[0].hash = chunk;
        rows[0].offset = 0;
        rows[0].size_bytes = 100;
        rows[1] = rows[0];
        rows[1].index = 1;
        rows[1].offset = 50; /* offset gap */
        memset(&assemble.id, 0x11, sizeof(assemble.id));
        assemble.db = db;
        assemble.size_bytes = 200;
        assemble.chunks = rows;
        assemble.chunk_count = 2;
        CHECK(zova_object_assemble_from_chunks(&assemble) == ZOVA_OBJECT_MANIFEST_INVALID);
        rows[1].offset = 100;
        CHECK(zova_object_assemble_from_chunks(&assemble) == ZOVA_OBJECT_MANIFEST_INVALID); /* digest != id */
    }
    {
        zova_object_writer_create_request create = {db, &writer};
        zova_object_writer_write_request write;
        zova_object_writer_finish_request finish;
        CHECK(zova_object_writer_create(&create) == ZOVA_OK);
        write.writer = writer;
        write.data = data;
        write.len = sizeof(data);
        for (i = 0; i < 30; i++) CHECK(zova_object_writer_write(&write) == ZOVA_OK);
        /* destroying an open writer cancels it (best effort) and frees everything */
        CHECK(zova_object_writer_destroy(writer) == ZOVA_OK);
        CHECK(zova_object_writer_create(&create) == ZOVA_OK);
        write.writer = writer;
        CHECK(zova_object_writer_write(&write) == ZOVA_OK);
        finish.writer = writer;
        finish.out_id = NULL;
        CHECK(zova_object_writer_finish(&finish) == ZOVA_INVALID_ARGUMENT);
        finish.out_id = &id;
        CHECK(zova_object_writer_finish(&finish) == ZOVA_OK);
        CHECK(zova_object_writer_finish(&finish) == ZOVA_OBJECT_WRITER_CLOSED);
        CHECK(zova_object_writer_destroy(writer) == ZOVA_OK);
        CHECK(zova_object_writer_destroy(NULL) == ZOVA_INVALID_ARGUMENT);
    }
}

static void vector_paths(void) {
    zova_vector_collection_create_request create = {db, "docs", {3, 0}};
    static const float values[3] = {1.0f, 2.0f, 3.0f};
    static const float zero[3] = {0.0f, 0.0f, 0.0f};
    zova_vector_put_request put = {db, "docs", "a", values, 3};
    zova_vector_search_results results = {NULL, 0};
    zova_vector vector = {NULL, 0, NULL, 0};
    zova_vector_collection_list list = {NULL, 0};
    zova_vector_collection_info info = {NULL, 0, 0, 0, 0};
    const char *candidates[3] = {"a", "b", "a"};
    CHECK(zova_vector_collection_create(&create) == ZOVA_OK);
    CHECK(zova_vector_put(&put) == ZOVA_OK);
    put.vector_id = "b";
    CHECK(zova_vector_put(&put) == ZOVA_OK);
    put.values = zero;
    CHECK(zova_vector_put(&put) == ZOVA_VECTOR_INVALID);
    put.vector_id = "_zova_x";
    CHECK(zova_vector_put(&put) == ZOVA_VECTOR_INVALID);
    {
        zova_vector_search_in_request search = {db, "docs", values, 3, candidates, 3, 5, &results};
        CHECK(zova_vector_search_in(&search) == ZOVA_OK && results.len == 2);
        zova_vector_search_results_free(&results);
        candidates[1] = "\xff";
        CHECK(zova_vector_search_in(&search) == ZOVA_VECTOR_INVALID && results.items == NULL);
    }
    /* a stored row damaged through SQL (NaN element): reads report VECTOR_CORRUPT */
    CHECK(exec_sql("update _zova_vectors set \"values\" = x'0000c07f0000803f0000803f' where vector_id = 'b'") == ZOVA_OK);
    {
        zova_vector_get_request get = {db, "docs", "b", &vector};
        zova_vector_search_request search = {db, "docs", values, 3, 5, &results};
        zova_vector_search_by_id_request by_id = {db, "docs", "b", 5, &results};
        CHECK(zova_vector_get(&get) == ZOVA_VECTOR_CORRUPT && vector.id == NULL);
        CHECK(zova_vector_search(&search) == ZOVA_VECTOR_CORRUPT && results.items == NULL);
        CHECK(zova_vector_search_by_id(&by_id) == ZOVA_VECTOR_CORRUPT);
        get.vector_id = "a";
        CHECK(zova_vector_get(&get) == ZOVA_OK && vector.values_len == 3);
        zova_vector_free(&vector);
    }
    {
        zova_vector_collections_list_request list_request = {db, &list};
        zova_vector_collection_info_get_request info_request = {db, "docs", &info};
        CHECK(zova_vector_collections_list(&list_request) == ZOVA_OK && list.len == 1);
        zova_vector_collection_list_free(&list);
        CHECK(zova_vector_collection_info_get(&info_request) == ZOVA_OK && info.vector_count == 2);
        zova_vector_collection_info_free(&info);
        info_request.name = "missing";
        CHECK(zova_vector_collection_info_get(&info_request) == ZOVA_VECTOR_COLLECTION_NOT_FOUND);
    }
    /* SQL helper errors surface through step as 17 */
    {
        zova_statement *statement = NULL;
        zova_database_prepare_request prepare = {db, "select zova_vector_distance('docs', 'a', x'00')", &statement};
        zova_step_result result;
        zova_statement_step_request step = {NULL, &result};
        CHECK(zova_database_prepare(&prepare) == ZOVA_OK);
        step.statement = statement;
        CHECK(zova_statement_step(&step) == ZOVA_SQLITE_ERROR);
        CHECK(zova_statement_finalize(statement) == ZOVA_OK);
    }
}

int main(int argc, char **argv) {
    char path[4096];
    zova_message message = {NULL, 0};
    zova_database_open_request request;
    CHECK(argc == 2);
    snprintf(dir, sizeof(dir), "%s", argv[1]);
    message_paths();
    path_in_dir(path, sizeof(path), "bad_input.zova");
    request.path = path;
    request.out_db = &db;
    request.out_error_message = &message;
    CHECK(zova_database_create(&request) == ZOVA_OK);
    CHECK(zova_database_close(db) == ZOVA_OK);
    CHECK(zova_database_create(&request) == ZOVA_DESTINATION_EXISTS && db == NULL);
    zova_message_free(&message);
    CHECK(zova_database_open(&request) == ZOVA_OK);
    CHECK(zova_database_close(NULL) == ZOVA_INVALID_ARGUMENT);
    CHECK(zova_database_exec(NULL) == ZOVA_INVALID_ARGUMENT);
    statement_paths();
    object_paths();
    vector_paths();
    CHECK(zova_database_close(db) == ZOVA_OK);
    printf("ok\n");
    return 0;
}
