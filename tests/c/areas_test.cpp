// areas_test.cpp - a C++17 program over the C header and libzova_c.a: records,
// objects, the streaming writer, vectors and a backup, with RAII owners for the
// library's handles and containers (docs/c-api.md §1: the header is C++17-clean).
// Usage: areas_test DIR. Prints "ok".
#include "zova.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#define CHECK(cond)                                                                           \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);    \
            std::exit(1);                                                                     \
        }                                                                                     \
    } while (0)

namespace {

struct DatabaseCloser {
    void operator()(zova_database *db) const { CHECK(zova_database_close(db) == ZOVA_OK); }
};
using Database = std::unique_ptr<zova_database, DatabaseCloser>;

struct StatementFinalizer {
    void operator()(zova_statement *statement) const { zova_statement_finalize(statement); }
};
using Statement = std::unique_ptr<zova_statement, StatementFinalizer>;

struct WriterDestroyer {
    void operator()(zova_object_writer *writer) const { zova_object_writer_destroy(writer); }
};
using Writer = std::unique_ptr<zova_object_writer, WriterDestroyer>;

Database create(const std::string &path) {
    zova_database *db = nullptr;
    zova_message message{nullptr, 0};
    zova_database_open_request request{path.c_str(), &db, &message};
    CHECK(zova_database_create(&request) == ZOVA_OK);
    return Database(db);
}

Statement prepare(zova_database *db, const char *sql) {
    zova_statement *statement = nullptr;
    zova_database_prepare_request request{db, sql, &statement};
    CHECK(zova_database_prepare(&request) == ZOVA_OK);
    return Statement(statement);
}

zova_step_result step(zova_statement *statement) {
    zova_step_result result{};
    zova_statement_step_request request{statement, &result};
    CHECK(zova_statement_step(&request) == ZOVA_OK);
    return result;
}

}  // namespace

int main(int argc, char **argv) {
    CHECK(argc == 2);
    const std::string dir = argv[1];
    Database db = create(dir + "/areas.zova");

    // Records.
    zova_database_exec_request exec{db.get(), "create table files (name text, object blob)"};
    CHECK(zova_database_exec(&exec) == ZOVA_OK);

    // Objects: put, then stream the same bytes through a writer.
    std::vector<uint8_t> bytes(200000);
    for (size_t i = 0; i < bytes.size(); i++) bytes[i] = static_cast<uint8_t>(i * 31 + (i >> 9));
    zova_object_id id{};
    zova_object_put_request put{db.get(), bytes.data(), bytes.size(), &id};
    CHECK(zova_object_put(&put) == ZOVA_OK);
    {
        zova_object_writer *raw = nullptr;
        zova_object_writer_create_request create_writer{db.get(), &raw};
        CHECK(zova_object_writer_create(&create_writer) == ZOVA_OK);
        Writer writer(raw);
        for (size_t offset = 0; offset < bytes.size(); offset += 4096) {
            size_t n = std::min<size_t>(4096, bytes.size() - offset);
            zova_object_writer_write_request write{writer.get(), bytes.data() + offset, n};
            CHECK(zova_object_writer_write(&write) == ZOVA_OK);
        }
        zova_object_id streamed{};
        zova_object_writer_finish_request finish{writer.get(), &streamed};
        CHECK(zova_object_writer_finish(&finish) == ZOVA_OK);
        CHECK(std::memcmp(streamed.bytes, id.bytes, 32) == 0);
    }
    {
        Statement insert = prepare(db.get(), "insert into files values ('pattern.bin', ?1)");
        zova_statement_bind_blob_request bind{insert.get(), 1, id.bytes, sizeof(id.bytes)};
        CHECK(zova_statement_bind_blob(&bind) == ZOVA_OK);
        CHECK(step(insert.get()) == ZOVA_STEP_DONE);
    }
    {
        Statement select = prepare(db.get(), "select object from files where name = 'pattern.bin'");
        CHECK(step(select.get()) == ZOVA_STEP_ROW);
        zova_buffer blob{nullptr, 0};
        zova_statement_column_blob_request column{select.get(), 0, &blob};
        CHECK(zova_statement_column_blob(&column) == ZOVA_OK);
        zova_object_id stored{};
        CHECK(blob.len == 32);
        std::memcpy(stored.bytes, blob.data, 32);
        zova_buffer_free(&blob);
        zova_buffer content{nullptr, 0};
        zova_object_get_request get{db.get(), stored, &content};
        CHECK(zova_object_get(&get) == ZOVA_OK);
        CHECK(content.len == bytes.size() && std::memcmp(content.data, bytes.data(), bytes.size()) == 0);
        zova_buffer_free(&content);
    }

    // Vectors: a dot-product collection and a search with candidates.
    zova_vector_collection_create_request collection{db.get(), "embeddings", {3, ZOVA_VECTOR_METRIC_DOT}};
    CHECK(zova_vector_collection_create(&collection) == ZOVA_OK);
    const float a[3] = {1, 2, 3}, b[3] = {3, 2, 1}, c[3] = {0, 0, 1};
    std::vector<zova_vector_input> inputs{{"a", a, 3}, {"b", b, 3}, {"c", c, 3}};
    zova_vector_put_many_request many{db.get(), "embeddings", inputs.data(), inputs.size()};
    CHECK(zova_vector_put_many(&many) == ZOVA_OK);
    const float query[3] = {0, 0, 1};
    const char *candidates[] = {"a", "b", "c"};
    zova_vector_search_results results{nullptr, 0};
    zova_vector_search_in_request search{db.get(), "embeddings", query, 3, candidates, 3, 2, &results};
    CHECK(zova_vector_search_in(&search) == ZOVA_OK);
    CHECK(results.len == 2);
    CHECK(std::string(results.items[0].id) == "a" && results.items[0].distance == -3.0);
    CHECK(std::string(results.items[1].id) == "b" && results.items[1].distance == -1.0);
    zova_vector_search_results_free(&results);

    // A verified backup that opens and holds the same object.
    const std::string backup_path = dir + "/areas-backup.zova";
    zova_database_backup_request backup{db.get(), backup_path.c_str(), 0};
    CHECK(zova_database_backup(&backup) == ZOVA_OK);
    db.reset();
    zova_database *raw = nullptr;
    zova_message message{nullptr, 0};
    zova_database_open_options_request open{backup_path.c_str(), ZOVA_OPEN_READ_ONLY, 0, &raw, &message};
    CHECK(zova_database_open_with_options(&open) == ZOVA_OK);
    Database copy(raw);
    uint8_t exists = 0;
    zova_object_exists_request has{copy.get(), id, &exists};
    CHECK(zova_object_exists(&has) == ZOVA_OK && exists == 1);
    std::printf("ok\n");
    return 0;
}
