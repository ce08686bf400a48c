/*
 * records_test.c - a C program linked against libzova_c.a only: create, exec,
 * prepare/bind/step/column, transactions, savepoints and close rules through
 * the public header (docs/c-api.md §4.3-§4.7, §5.8). Prints "ok" and exits 0 on
 * success; any failed check prints its line and exits 1.
 */
#include "zova.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static zova_database *db;

static zova_status exec_sql(const char *sql) {
    zova_database_exec_request request = {db, sql};
    return zova_database_exec(&request);
}

static zova_statement *prepare(const char *sql) {
    zova_statement *statement = NULL;
    zova_database_prepare_request request = {db, sql, &statement};
    CHECK(zova_database_prepare(&request) == ZOVA_OK);
    CHECK(statement != NULL);
    return statement;
}

static zova_step_result step(zova_statement *statement) {
    zova_step_result result = (zova_step_result)0;
    zova_statement_step_request request = {statement, &result};
    CHECK(zova_statement_step(&request) == ZOVA_OK);
    return result;
}

static int64_t count_rows(void) {
    zova_statement *statement = prepare("select count(*) from notes");
    int64_t value = -1;
    zova_statement_column_int64_request column = {statement, 0, &value};
    CHECK(step(statement) == ZOVA_STEP_ROW);
    CHECK(zova_statement_column_int64(&column) == ZOVA_OK);
    CHECK(zova_statement_finalize(statement) == ZOVA_OK);
    return value;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "records_test.zova";
    zova_message message = {NULL, 0};
    zova_database_open_request open_request = {path, &db, &message};
    zova_database_simple_request simple;
    zova_statement *insert, *select;
    zova_step_result result;
    int count = 0;

    unlink(path);
    CHECK(strcmp(zova_abi_version_string(), "0.17.0") == 0);
    CHECK(strcmp(zova_status_name(ZOVA_OBJECT_NOT_FOUND), "ZOVA_OBJECT_NOT_FOUND") == 0);
    CHECK(zova_database_create(&open_request) == ZOVA_OK);
    CHECK(message.data == NULL);
    simple.db = db;

    /* A second create of the same path never overwrites (33) and reports why. */
    {
        zova_database *other = NULL;
        zova_database_open_request again = {path, &other, &message};
        CHECK(zova_database_create(&again) == ZOVA_DESTINATION_EXISTS);
        CHECK(other == NULL && message.data != NULL && message.len > 0);
        zova_message_free(&message);
        CHECK(message.data == NULL && message.len == 0);
    }

    CHECK(exec_sql("create table notes (id integer primary key, body text not null, data blob, score real)") ==
          ZOVA_OK);
    CHECK(exec_sql("create tabel broken") == ZOVA_SQLITE_ERROR);
    CHECK(strstr(zova_database_last_error_message(db), "syntax") != NULL);

    /* Insert three rows in a transaction; empty text and empty blob are not NULL. */
    CHECK(zova_database_begin(&simple) == ZOVA_OK);
    insert = prepare("insert into notes (body, data, score) values (?1, ?2, ?3)");
    {
        zova_statement_parameter_count_request pc;
        int params = 0;
        pc.statement = insert;
        pc.out_count = &params;
        CHECK(zova_statement_parameter_count(&pc) == ZOVA_OK && params == 3);
    }
    for (count = 0; count < 3; count++) {
        static const char *const bodies[] = {"first", "", "third"};
        zova_statement_bind_text_request text = {insert, 1, (const uint8_t *)bodies[count], strlen(bodies[count])};
        zova_statement_bind_blob_request blob = {insert, 2, NULL, 0};
        zova_statement_bind_double_request score = {insert, 3, count * 1.5};
        if (count == 1) text.data = NULL; /* (NULL, 0) is the empty string */
        CHECK(zova_statement_bind_text(&text) == ZOVA_OK);
        CHECK(zova_statement_bind_blob(&blob) == ZOVA_OK);
        CHECK(zova_statement_bind_double(&score) == ZOVA_OK);
        CHECK(step(insert) == ZOVA_STEP_DONE);
        CHECK(zova_statement_reset(insert) == ZOVA_OK);
    }
    CHECK(zova_database_commit(&simple) == ZOVA_OK);
    CHECK(count_rows() == 3);

    /* Close is refused while a statement lives (16), and the handle stays usable. */
    CHECK(zova_database_close(db) == ZOVA_MISUSE);
    CHECK(strstr(zova_database_last_error_message(db), "live child") != NULL);
    CHECK(zova_statement_finalize(insert) == ZOVA_OK);

    /* Read back: column types, text, blob emptiness. */
    select = prepare("select id, body, data, score from notes order by id");
    count = 0;
    while ((result = step(select)) == ZOVA_STEP_ROW) {
        zova_column_type type = (zova_column_type)0;
        zova_statement_column_type_request type_request = {select, 2, &type};
        zova_text body = {NULL, 0};
        zova_statement_column_text_request text_request = {select, 1, &body};
        zova_buffer data = {NULL, 0};
        zova_statement_column_blob_request blob_request = {select, 2, &data};
        CHECK(zova_statement_column_type(&type_request) == ZOVA_OK && type == ZOVA_COLUMN_BLOB);
        CHECK(zova_statement_column_text(&text_request) == ZOVA_OK);
        CHECK(body.data != NULL);
        if (count == 1) CHECK(body.len == 0 && body.data[0] == '\0');
        CHECK(zova_statement_column_blob(&blob_request) == ZOVA_OK && data.data == NULL && data.len == 0);
        zova_text_free(&body);
        count++;
    }
    CHECK(result == ZOVA_STEP_DONE && count == 3);
    {
        zova_text name = {NULL, 0};
        zova_statement_column_name_request name_request = {select, 1, &name};
        CHECK(zova_statement_column_name(&name_request) == ZOVA_OK && strcmp(name.data, "body") == 0);
        name_request.index = 4;
        CHECK(zova_statement_column_name(&name_request) == ZOVA_MISUSE);
        CHECK(name.data == NULL);
    }
    CHECK(zova_statement_finalize(select) == ZOVA_OK);

    /* Savepoints: roll back an insert, release, reject bad names. */
    {
        zova_database_savepoint_request savepoint = {db, "before_insert"};
        zova_database_savepoint_request bad = {db, "_zova_private"};
        CHECK(zova_database_savepoint(&savepoint) == ZOVA_OK);
        CHECK(exec_sql("insert into notes (body) values ('temporary')") == ZOVA_OK);
        CHECK(count_rows() == 4);
        CHECK(zova_database_rollback_to_savepoint(&savepoint) == ZOVA_OK);
        CHECK(zova_database_release_savepoint(&savepoint) == ZOVA_OK);
        CHECK(count_rows() == 3);
        CHECK(zova_database_savepoint(&bad) == ZOVA_INVALID_ARGUMENT);
        savepoint.name = "missing_sp";
        CHECK(zova_database_release_savepoint(&savepoint) == ZOVA_SQLITE_ERROR);
        CHECK(strstr(zova_database_last_error_message(db), "no such savepoint") != NULL);
    }

    /* Rollback discards; constraint violations map to 12. */
    CHECK(zova_database_begin(&simple) == ZOVA_OK);
    CHECK(exec_sql("delete from notes") == ZOVA_OK);
    CHECK(zova_database_rollback(&simple) == ZOVA_OK);
    CHECK(count_rows() == 3);
    CHECK(exec_sql("insert into notes (id, body) values (1, 'duplicate')") == ZOVA_CONSTRAINT);
    CHECK(zova_database_commit(&simple) == ZOVA_SQLITE_ERROR);

    CHECK(zova_database_close(db) == ZOVA_OK);
    CHECK(zova_database_close(NULL) == ZOVA_INVALID_ARGUMENT);
    CHECK(strcmp(zova_database_last_error_message(NULL), "invalid database handle") == 0);

    /* Reopen read-only: reads work, writes are 14. */
    {
        zova_database_open_options_request options = {path, ZOVA_OPEN_READ_ONLY, 1000, &db, NULL};
        CHECK(zova_database_open_with_options(&options) == ZOVA_OK);
        CHECK(count_rows() == 3);
        CHECK(exec_sql("insert into notes (body) values ('nope')") == ZOVA_READ_ONLY);
        CHECK(zova_database_close(db) == ZOVA_OK);
    }
    unlink(path);
    puts("ok");
    return 0;
}
