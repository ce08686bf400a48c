/*
 * operations_test.c - vacuum, backup, compact, restore and conversion through
 * the public header only (docs/c-api.md §4.6, §5.10, §5.12, §7.4). Usage: operations_test DIR.
 */
#include "zova.h"
#include "check.h"
#include "sqlite3.h" /* only to make a plain SQLite source file */

#include <string.h>
#include <unistd.h>

static char dir[2048];

static const char *in_dir(char *buffer, size_t size, const char *name) {
    snprintf(buffer, size, "%s/%s", dir, name);
    return buffer;
}

static zova_database *open_path(const char *path, int create) {
    zova_database *db = NULL;
    zova_message message = {NULL, 0};
    zova_database_open_request request;
    request.path = path;
    request.out_db = &db;
    request.out_error_message = &message;
    CHECK((create ? zova_database_create(&request) : zova_database_open(&request)) == ZOVA_OK);
    return db;
}

static int64_t count_notes(zova_database *db) {
    zova_statement *statement = NULL;
    zova_database_prepare_request prepare = {db, "select count(*) from notes", &statement};
    zova_step_result result;
    zova_statement_step_request step = {NULL, &result};
    int64_t value = -1;
    zova_statement_column_int64_request column = {NULL, 0, &value};
    CHECK(zova_database_prepare(&prepare) == ZOVA_OK);
    step.statement = column.statement = statement;
    CHECK(zova_statement_step(&step) == ZOVA_OK && result == ZOVA_STEP_ROW);
    CHECK(zova_statement_column_int64(&column) == ZOVA_OK);
    CHECK(zova_statement_finalize(statement) == ZOVA_OK);
    return value;
}

int main(int argc, char **argv) {
    char source[4096], backup[4096], compact[4096], restored[4096], plain[4096], converted[4096];
    zova_database *db, *copy;
    zova_message message = {NULL, 0};
    CHECK(argc == 2);
    snprintf(dir, sizeof(dir), "%s", argv[1]);
    db = open_path(in_dir(source, sizeof(source), "source.zova"), 1);
    {
        zova_database_exec_request exec = {db, "create table notes (body text); insert into notes values ('a'), ('b')"};
        zova_database_simple_request simple = {db};
        CHECK(zova_database_exec(&exec) == ZOVA_OK);
        CHECK(zova_database_vacuum(&simple) == ZOVA_OK);
    }
    {
        zova_database_backup_request request = {db, in_dir(backup, sizeof(backup), "backup.zova"), 0};
        CHECK(zova_database_backup(&request) == ZOVA_OK);
        CHECK(zova_database_backup(&request) == ZOVA_DESTINATION_EXISTS); /* never overwritten */
        request.destination_path = "backup.sqlite";
        CHECK(zova_database_backup(&request) == ZOVA_NOT_ZOVA_PATH);
        request.destination_path = backup;
        request.flags = 2;
        CHECK(zova_database_backup(&request) == ZOVA_INVALID_ARGUMENT);
    }
    {
        zova_database_compact_request request = {db, in_dir(compact, sizeof(compact), "compact.zova"),
                                                 ZOVA_COMPACT_NO_VERIFY};
        CHECK(zova_database_compact(&request) == ZOVA_OK);
    }
    {
        zova_database_restore_request request;
        request.source_path = backup;
        request.destination_path = in_dir(restored, sizeof(restored), "restored.zova");
        request.flags = 0;
        request.out_error_message = &message;
        CHECK(zova_database_restore(&request) == ZOVA_OK);
        CHECK(message.data == NULL);
        CHECK(zova_database_restore(&request) == ZOVA_DESTINATION_EXISTS);
        CHECK(message.data != NULL && message.len > 0);
        zova_message_free(&message);
    }
    copy = open_path(restored, 0);
    CHECK(count_notes(copy) == 2);
    CHECK(zova_database_close(copy) == ZOVA_OK);
    copy = open_path(compact, 0);
    CHECK(count_notes(copy) == 2);
    CHECK(zova_database_close(copy) == ZOVA_OK);
    CHECK(zova_database_close(db) == ZOVA_OK);
    {
        /* A plain SQLite file, made with the SQLite API the archive also exports. */
        zova_convert_sqlite_to_zova_request request;
        sqlite3 *raw = NULL;
        CHECK(sqlite3_open(in_dir(plain, sizeof(plain), "plain.sqlite"), &raw) == SQLITE_OK);
        CHECK(sqlite3_exec(raw, "create table notes (body text); insert into notes values ('x'), ('y'), ('z')",
                           NULL, NULL, NULL) == SQLITE_OK);
        CHECK(sqlite3_close(raw) == SQLITE_OK);
        request.source_path = plain;
        request.dest_path = in_dir(converted, sizeof(converted), "converted.zova");
        request.out_error_message = &message;
        CHECK(zova_convert_sqlite_to_zova(&request) == ZOVA_OK);
        copy = open_path(converted, 0);
        CHECK(count_notes(copy) == 3);
        CHECK(zova_database_close(copy) == ZOVA_OK);
        /* A source that already holds _zova_ tables is refused with 34 and leaves no file. */
        request.source_path = compact;
        request.dest_path = in_dir(converted, sizeof(converted), "converted2.zova");
        CHECK(zova_convert_sqlite_to_zova(&request) == ZOVA_ZOVA_NAME_CONFLICT);
        CHECK(access(converted, F_OK) != 0);
        zova_message_free(&message);
        request.source_path = "/nonexistent/dir/plain.sqlite";
        CHECK(zova_convert_sqlite_to_zova(&request) == ZOVA_CANT_OPEN);
        zova_message_free(&message);
    }
    printf("ok\n");
    return 0;
}
