/*
 * interop.c - the C side of the cross-language test (tests/interop/README.md):
 * "interop write PATH LANG" creates the shared dataset, "interop read PATH"
 * prints its summary. Built against include/zova.h and libzova_c.a.
 */
#include "zova.h"
#include "check.h"

#include <string.h>

static zova_database *db;

static void exec_sql(const char *sql) {
    zova_database_exec_request request = {db, sql};
    CHECK(zova_database_exec(&request) == ZOVA_OK);
}

static zova_statement *prepare(const char *sql) {
    zova_statement *statement = NULL;
    zova_database_prepare_request request = {db, sql, &statement};
    CHECK(zova_database_prepare(&request) == ZOVA_OK);
    return statement;
}

static zova_step_result step(zova_statement *statement) {
    zova_step_result result = ZOVA_STEP_DONE;
    zova_statement_step_request request = {statement, &result};
    CHECK(zova_statement_step(&request) == ZOVA_OK);
    return result;
}

static void hex(const uint8_t *bytes, size_t len, char *out) {
    size_t i;
    for (i = 0; i < len; i++) sprintf(out + 2 * i, "%02x", bytes[i]);
    out[2 * len] = '\0';
}

static void write_dataset(const char *path, const char *lang) {
    static uint8_t a[150000], c[100000];
    zova_message message = {NULL, 0};
    zova_database_open_request open_request = {path, &db, &message};
    zova_object_id id_a, id_c;
    zova_object_writer *writer = NULL;
    zova_statement *insert;
    size_t i;
    for (i = 0; i < sizeof(a); i++) a[i] = (uint8_t)((i * 7 + 3) % 256);
    for (i = 0; i < sizeof(c); i++) c[i] = (uint8_t)((i * 13) % 251);
    CHECK(zova_database_create(&open_request) == ZOVA_OK);
    exec_sql("create table people (id integer primary key, name text not null, avatar blob)");
    exec_sql("create table meta (writer text)");
    {
        zova_object_put_request put = {db, a, sizeof(a), &id_a};
        zova_object_writer_create_request create = {db, &writer};
        zova_object_writer_finish_request finish;
        CHECK(zova_object_put(&put) == ZOVA_OK);
        CHECK(zova_object_writer_create(&create) == ZOVA_OK);
        for (i = 0; i < sizeof(c); i += 1000) {
            zova_object_writer_write_request write = {writer, c + i, 1000};
            CHECK(zova_object_writer_write(&write) == ZOVA_OK);
        }
        finish.writer = writer;
        finish.out_id = &id_c;
        CHECK(zova_object_writer_finish(&finish) == ZOVA_OK);
        CHECK(zova_object_writer_destroy(writer) == ZOVA_OK);
    }
    insert = prepare("insert into people (id, name, avatar) values (?1, ?2, ?3)");
    {
        const char *names[3] = {"ada", "grace", "linus"};
        const zova_object_id *avatars[3] = {&id_a, &id_c, NULL};
        for (i = 0; i < 3; i++) {
            zova_statement_bind_int64_request bind_id = {insert, 1, (int64_t)i + 1};
            zova_statement_bind_text_request bind_name = {insert, 2, (const uint8_t *)names[i], strlen(names[i])};
            CHECK(zova_statement_bind_int64(&bind_id) == ZOVA_OK);
            CHECK(zova_statement_bind_text(&bind_name) == ZOVA_OK);
            if (avatars[i]) {
                zova_statement_bind_blob_request bind_blob = {insert, 3, avatars[i]->bytes, 32};
                CHECK(zova_statement_bind_blob(&bind_blob) == ZOVA_OK);
            } else {
                zova_statement_bind_null_request bind_null = {insert, 3};
                CHECK(zova_statement_bind_null(&bind_null) == ZOVA_OK);
            }
            CHECK(step(insert) == ZOVA_STEP_DONE);
            CHECK(zova_statement_reset(insert) == ZOVA_OK);
        }
    }
    CHECK(zova_statement_finalize(insert) == ZOVA_OK);
    insert = prepare("insert into meta (writer) values (?1)");
    {
        zova_statement_bind_text_request bind = {insert, 1, (const uint8_t *)lang, strlen(lang)};
        CHECK(zova_statement_bind_text(&bind) == ZOVA_OK);
        CHECK(step(insert) == ZOVA_STEP_DONE);
    }
    CHECK(zova_statement_finalize(insert) == ZOVA_OK);
    {
        static const float v1[4] = {1, 0, 0, 0}, v2[4] = {0.5f, 0.5f, 0, 0}, v3[4] = {0, 1, 0, 0},
                           v4[4] = {0, 0, 1, 1};
        zova_vector_input inputs[4];
        zova_vector_collection_create_request create;
        zova_vector_put_many_request many;
        inputs[0].id = "v1", inputs[0].values = v1, inputs[0].values_len = 4;
        inputs[1].id = "v2", inputs[1].values = v2, inputs[1].values_len = 4;
        inputs[2].id = "v3", inputs[2].values = v3, inputs[2].values_len = 4;
        inputs[3].id = "v4", inputs[3].values = v4, inputs[3].values_len = 4;
        create.db = db;
        create.name = "emb";
        create.options.dimensions = 4;
        create.options.metric = ZOVA_VECTOR_METRIC_COSINE;
        CHECK(zova_vector_collection_create(&create) == ZOVA_OK);
        many.db = db;
        many.collection_name = "emb";
        many.vectors = inputs;
        many.vectors_len = 4;
        CHECK(zova_vector_put_many(&many) == ZOVA_OK);
    }
    CHECK(zova_database_close(db) == ZOVA_OK);
}

static void read_dataset(const char *path) {
    zova_message message = {NULL, 0};
    zova_database_open_options_request open_request = {path, ZOVA_OPEN_READ_ONLY, 0, &db, &message};
    zova_statement *select;
    zova_text text = {NULL, 0};
    zova_buffer blob = {NULL, 0};
    zova_object_id avatars[3];
    int have[3] = {0, 0, 0}, row = 0, i;
    char hex_id[65];
    CHECK(zova_database_open_with_options(&open_request) == ZOVA_OK);
    select = prepare("select writer from meta");
    CHECK(step(select) == ZOVA_STEP_ROW);
    {
        zova_statement_column_text_request column = {select, 0, &text};
        CHECK(zova_statement_column_text(&column) == ZOVA_OK);
        printf("writer=%s\n", text.data);
    }
    CHECK(zova_statement_finalize(select) == ZOVA_OK);
    select = prepare("select name, avatar from people order by id");
    printf("people=");
    while (step(select) == ZOVA_STEP_ROW) {
        zova_statement_column_text_request name = {select, 0, &text};
        zova_statement_column_blob_request avatar = {select, 1, &blob};
        CHECK(zova_statement_column_text(&name) == ZOVA_OK);
        CHECK(zova_statement_column_blob(&avatar) == ZOVA_OK);
        if (blob.len == 32) {
            memcpy(avatars[row].bytes, blob.data, 32);
            have[row] = 1;
            hex(blob.data, 32, hex_id);
            printf("%s%s:%s", row ? "," : "", text.data, hex_id);
        } else {
            printf("%s%s:null", row ? "," : "", text.data);
        }
        row++;
    }
    printf("\n");
    zova_text_free(&text);
    zova_buffer_free(&blob);
    CHECK(zova_statement_finalize(select) == ZOVA_OK);
    for (i = 0; i < row; i++) {
        zova_object_get_request get;
        zova_object_id digest;
        if (!have[i]) continue;
        get.db = db;
        get.id = avatars[i];
        get.out_buffer = &blob;
        CHECK(zova_object_get(&get) == ZOVA_OK);
        CHECK(zova_object_id_from_bytes(blob.data, blob.len, &digest) == ZOVA_OK);
        hex(avatars[i].bytes, 32, hex_id);
        printf("object=%s:%zu:%s\n", hex_id, blob.len, memcmp(digest.bytes, avatars[i].bytes, 32) == 0 ? "ok" : "bad");
        zova_buffer_free(&blob);
    }
    {
        static const float query[4] = {1, 0, 0, 0};
        zova_vector_search_results results = {NULL, 0};
        zova_vector_search_request search = {db, "emb", query, 4, 3, &results};
        size_t k;
        CHECK(zova_vector_search(&search) == ZOVA_OK);
        printf("search=");
        for (k = 0; k < results.len; k++) printf("%s%s:%.6f", k ? "," : "", results.items[k].id, results.items[k].distance);
        printf("\n");
        zova_vector_search_results_free(&results);
    }
    CHECK(zova_database_close(db) == ZOVA_OK);
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "write") == 0) {
        write_dataset(argv[2], argv[3]);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "read") == 0) {
        read_dataset(argv[2]);
        return 0;
    }
    fprintf(stderr, "usage: interop write PATH LANG | interop read PATH\n");
    return 2;
}
