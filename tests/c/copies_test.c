/*
 * copies_test.c - backup, compact, restore and conversion through the
 * public C ABI only (docs/c-api.md §4.6, §5.10, §5.12, §7.4). Usage: copies_test DIR
 * (an existing, empty directory). Prints one line per failed check and exits 1
 * if any failed. Built and run by tests/test_operations.py against
 * build/lib/libzova_c.a (and, manually, against the sanitizer build).
 */
#include "zova.h"
#include "sqlite3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures = 0;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                      \
        }                                                                    \
    } while (0)

static char paths[16][1024];
static const char *path_in(const char *dir, int slot, const char *name) {
    snprintf(paths[slot], sizeof(paths[slot]), "%s/%s", dir, name);
    return paths[slot];
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

static zova_database *open_db(const char *path, uint32_t flags) {
    zova_database *db = NULL;
    zova_database_open_options_request request = {path, flags, 0, &db, NULL};
    zova_status status = zova_database_open_with_options(&request);
    CHECK(status == ZOVA_OK);
    return db;
}

static void exec_sql(zova_database *db, const char *sql) {
    zova_database_exec_request request = {db, sql};
    CHECK(zova_database_exec(&request) == ZOVA_OK);
}

int main(int argc, char **argv) {
    const char *dir;
    zova_database *db = NULL;
    zova_object_id id;
    static uint8_t payload[100000];
    size_t i;
    if (argc != 2) {
        fprintf(stderr, "usage: copies_test DIR\n");
        return 2;
    }
    dir = argv[1];
    for (i = 0; i < sizeof(payload); i++) payload[i] = (uint8_t)(i * 7 + (i >> 9));

    /* a source with rows, an object and a vector */
    {
        zova_database_open_request request = {path_in(dir, 0, "source.zova"), &db, NULL};
        CHECK(zova_database_create(&request) == ZOVA_OK);
        exec_sql(db, "create table t(a, b); insert into t values (1, 'one'), (2, 'two')");
    }
    {
        zova_object_put_request request = {db, payload, sizeof(payload), &id};
        CHECK(zova_object_put(&request) == ZOVA_OK);
    }
    {
        zova_vector_collection_create_request request = {db, "docs", {3, ZOVA_VECTOR_METRIC_COSINE}};
        const float values[3] = {1.0f, 2.0f, 3.0f};
        zova_vector_put_request put = {db, "docs", "v1", values, 3};
        CHECK(zova_vector_collection_create(&request) == ZOVA_OK);
        CHECK(zova_vector_put(&put) == ZOVA_OK);
    }

    /* backup: argument checks, success, never overwrite, suffix, missing parent */
    {
        zova_database_backup_request request = {db, path_in(dir, 1, "backup.zova"), 0};
        zova_database_backup_request bad_flags = {db, path_in(dir, 2, "flags.zova"), 2};
        zova_database_backup_request no_path = {db, NULL, 0};
        zova_database_backup_request no_db = {NULL, paths[1], 0};
        zova_database_backup_request suffix = {db, path_in(dir, 3, "backup.sqlite"), 0};
        zova_database_backup_request parent = {db, path_in(dir, 4, "missing/backup.zova"), 0};
        CHECK(zova_database_backup(NULL) == ZOVA_INVALID_ARGUMENT);
        CHECK(zova_database_backup(&no_db) == ZOVA_INVALID_ARGUMENT);
        CHECK(zova_database_backup(&no_path) == ZOVA_INVALID_ARGUMENT);
        CHECK(zova_database_backup(&bad_flags) == ZOVA_INVALID_ARGUMENT);
        CHECK(!exists(paths[2]));
        CHECK(zova_database_backup(&request) == ZOVA_OK);
        CHECK(strcmp(zova_database_last_error_message(db), "") == 0);
        CHECK(zova_database_backup(&request) == ZOVA_DESTINATION_EXISTS);
        CHECK(strlen(zova_database_last_error_message(db)) > 0);
        CHECK(zova_database_backup(&suffix) == ZOVA_NOT_ZOVA_PATH);
        CHECK(!exists(paths[3]));
        CHECK(zova_database_backup(&parent) == ZOVA_CANT_OPEN);
    }

    /* compact: success, existing destination, inside a transaction */
    {
        zova_database_compact_request request = {db, path_in(dir, 5, "compact.zova"), ZOVA_COMPACT_NO_VERIFY};
        zova_database_compact_request in_txn = {db, path_in(dir, 6, "txn.zova"), 0};
        zova_database_simple_request simple = {db};
        CHECK(zova_database_compact(&request) == ZOVA_OK);
        CHECK(zova_database_compact(&request) == ZOVA_DESTINATION_EXISTS);
        CHECK(zova_database_begin(&simple) == ZOVA_OK);
        CHECK(zova_database_compact(&in_txn) == ZOVA_SQLITE_ERROR);
        CHECK(!exists(paths[6]));
        CHECK(zova_database_rollback(&simple) == ZOVA_OK);
        CHECK(zova_database_vacuum(&simple) == ZOVA_OK);
    }
    CHECK(zova_database_close(db) == ZOVA_OK);

    /* restore: message protocol, source rules, success */
    {
        zova_message message = {NULL, 0};
        zova_database_restore_request request = {paths[1], path_in(dir, 7, "restored.zova"), 0, &message};
        zova_database_restore_request missing = {path_in(dir, 8, "absent.zova"), path_in(dir, 9, "r2.zova"), 0,
                                                 &message};
        zova_database_restore_request plain = {path_in(dir, 10, "source.db"), paths[9], 0, &message};
        CHECK(zova_database_restore(NULL) == ZOVA_INVALID_ARGUMENT);
        CHECK(zova_database_restore(&request) == ZOVA_OK);
        CHECK(message.data == NULL);
        CHECK(zova_database_restore(&missing) == ZOVA_NOT_ZOVA_DATABASE);
        CHECK(message.data != NULL && message.len > 0);
        CHECK(zova_database_restore(&plain) == ZOVA_NOT_ZOVA_PATH);   /* frees the previous message first */
        CHECK(!exists(paths[9]));
        zova_message_free(&message);
    }

    /* every copy reads back the object and the vector */
    {
        int slot;
        const int slots[3] = {1, 5, 7};
        for (slot = 0; slot < 3; slot++) {
            zova_database *copy = open_db(paths[slots[slot]], ZOVA_OPEN_READ_ONLY);
            zova_buffer buffer = {NULL, 0};
            zova_vector vector = {NULL, 0, NULL, 0};
            zova_object_get_request get;
            zova_vector_get_request vget = {copy, "docs", "v1", &vector};
            if (!copy) continue;
            memset(&get, 0, sizeof(get));
            get.db = copy;
            get.id = id;
            get.out_buffer = &buffer;
            CHECK(zova_object_get(&get) == ZOVA_OK);
            CHECK(buffer.len == sizeof(payload) && memcmp(buffer.data, payload, sizeof(payload)) == 0);
            zova_buffer_free(&buffer);
            CHECK(zova_vector_get(&vget) == ZOVA_OK && vector.values_len == 3 && vector.values[2] == 3.0f);
            zova_vector_free(&vector);
            CHECK(zova_database_close(copy) == ZOVA_OK);
        }
    }

    /* convert: a plain SQLite file, never modified; reserved names refused with 34 */
    {
        sqlite3 *plain = NULL;
        zova_message message = {NULL, 0};
        zova_convert_sqlite_to_zova_request request = {paths[10], path_in(dir, 11, "converted.zova"), &message};
        zova_convert_sqlite_to_zova_request reserved = {path_in(dir, 12, "reserved.db"),
                                                        path_in(dir, 13, "reserved.zova"), &message};
        CHECK(sqlite3_open(paths[10], &plain) == SQLITE_OK);
        CHECK(sqlite3_exec(plain, "create table people(name text); insert into people values ('ada')", NULL, NULL,
                           NULL) == SQLITE_OK);
        sqlite3_close(plain);
        CHECK(sqlite3_open(paths[12], &plain) == SQLITE_OK);
        CHECK(sqlite3_exec(plain, "create table _ZoVa_mine(a)", NULL, NULL, NULL) == SQLITE_OK);
        sqlite3_close(plain);
        CHECK(zova_convert_sqlite_to_zova(NULL) == ZOVA_INVALID_ARGUMENT);
        CHECK(zova_convert_sqlite_to_zova(&request) == ZOVA_OK);
        CHECK(message.data == NULL);
        CHECK(zova_convert_sqlite_to_zova(&request) == ZOVA_DESTINATION_EXISTS);
        CHECK(zova_convert_sqlite_to_zova(&reserved) == ZOVA_ZOVA_NAME_CONFLICT);
        CHECK(message.data != NULL);
        CHECK(!exists(paths[13]));
        zova_message_free(&message);
        db = open_db(paths[11], 0);
        if (db) CHECK(zova_database_close(db) == ZOVA_OK);
    }

    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("copies_test: ok\n");
    return 0;
}
