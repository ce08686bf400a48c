/*
 * vectors_test.c - vector collections, rows and search through the public
 * header only (docs/c-api.md §4.11-§4.13, §7.8-§7.9, Appendix B). Usage: vectors_test DIR.
 */
#include "zova.h"
#include "check.h"

#include <math.h>
#include <string.h>

static zova_database *db;

static void put(const char *id, float x, float y) {
    float values[2];
    zova_vector_put_request request;
    values[0] = x;
    values[1] = y;
    request.db = db;
    request.collection_name = "points";
    request.vector_id = id;
    request.values = values;
    request.values_len = 2;
    CHECK(zova_vector_put(&request) == ZOVA_OK);
}

int main(int argc, char **argv) {
    char path[4096];
    zova_message message = {NULL, 0};
    zova_database_open_request open_request;
    zova_vector_collection_create_request create;
    zova_vector_search_results results = {NULL, 0};
    float query[2] = {1.0f, 0.0f};
    uint8_t exists = 9;
    CHECK(argc == 2);
    snprintf(path, sizeof(path), "%s/vectors.zova", argv[1]);
    open_request.path = path;
    open_request.out_db = &db;
    open_request.out_error_message = &message;
    CHECK(zova_database_create(&open_request) == ZOVA_OK);

    create.db = db;
    create.name = "points";
    create.options.dimensions = 2;
    create.options.metric = ZOVA_VECTOR_METRIC_L2;
    CHECK(zova_vector_collection_create(&create) == ZOVA_OK);
    CHECK(zova_vector_collection_create(&create) == ZOVA_VECTOR_COLLECTION_EXISTS);
    create.name = "bad";
    create.options.metric = 7;
    CHECK(zova_vector_collection_create(&create) == ZOVA_INVALID_ARGUMENT);
    create.options.metric = ZOVA_VECTOR_METRIC_COSINE;
    create.options.dimensions = 0;
    CHECK(zova_vector_collection_create(&create) == ZOVA_VECTOR_INVALID);

    put("a", 1.0f, 0.0f);
    put("b", 0.0f, 1.0f);
    put("c", 2.0f, 0.0f);
    put("d", 1.0f, 1.0f);
    {
        zova_vector_input inputs[2];
        float e[2] = {3.0f, 4.0f}, f[2] = {-1.0f, 0.0f};
        zova_vector_put_many_request many;
        inputs[0].id = "e";
        inputs[0].values = e;
        inputs[0].values_len = 2;
        inputs[1].id = "f";
        inputs[1].values = f;
        inputs[1].values_len = 2;
        many.db = db;
        many.collection_name = "points";
        many.vectors = inputs;
        many.vectors_len = 2;
        CHECK(zova_vector_put_many(&many) == ZOVA_OK);
    }
    {
        zova_vector vector;
        zova_vector_get_request get;
        zova_vector_exists_request has;
        get.db = db;
        get.collection_name = "points";
        get.vector_id = "e";
        get.out_vector = &vector;
        CHECK(zova_vector_get(&get) == ZOVA_OK);
        CHECK(vector.id_len == 1 && strcmp(vector.id, "e") == 0 && vector.values_len == 2);
        CHECK(vector.values[0] == 3.0f && vector.values[1] == 4.0f);
        zova_vector_free(&vector);
        get.vector_id = "zz";
        CHECK(zova_vector_get(&get) == ZOVA_VECTOR_NOT_FOUND);
        has.db = db;
        has.collection_name = "points";
        has.vector_id = "a";
        has.out_exists = &exists;
        CHECK(zova_vector_exists(&has) == ZOVA_OK && exists == 1);
    }
    {
        /* Ascending distance, ties by id: a (0), then c and d (both 1), then b. */
        zova_vector_search_request search;
        search.db = db;
        search.collection_name = "points";
        search.query = query;
        search.query_len = 2;
        search.limit = 4;
        search.out_results = &results;
        CHECK(zova_vector_search(&search) == ZOVA_OK);
        CHECK(results.len == 4);
        CHECK(strcmp(results.items[0].id, "a") == 0 && results.items[0].distance == 0.0);
        CHECK(strcmp(results.items[1].id, "c") == 0 && results.items[1].distance == 1.0);
        CHECK(strcmp(results.items[2].id, "d") == 0 && results.items[2].distance == 1.0);
        CHECK(strcmp(results.items[3].id, "b") == 0 && fabs(results.items[3].distance - sqrt(2.0)) < 1e-12);
        zova_vector_search_results_free(&results);
        search.limit = 0;
        CHECK(zova_vector_search(&search) == ZOVA_OK && results.len == 0);
        search.limit = 3;
        search.query_len = 3;
        CHECK(zova_vector_search(&search) == ZOVA_VECTOR_DIMENSION_MISMATCH);
    }
    {
        /* Thresholds are inclusive; by-id excludes the source; candidates are de-duplicated. */
        const char *candidates[4] = {"b", "b", "nope", "e"};
        zova_vector_search_by_id_in_within_request search;
        search.db = db;
        search.collection_name = "points";
        search.source_vector_id = "a";
        search.candidate_ids = candidates;
        search.candidate_count = 4;
        search.max_distance = sqrt(2.0);
        search.limit = 10;
        search.out_results = &results;
        CHECK(zova_vector_search_by_id_in_within(&search) == ZOVA_OK);
        CHECK(results.len == 1 && strcmp(results.items[0].id, "b") == 0);
        zova_vector_search_results_free(&results);
        search.max_distance = NAN;
        CHECK(zova_vector_search_by_id_in_within(&search) == ZOVA_VECTOR_INVALID);
    }
    {
        zova_vector_collection_info info;
        zova_vector_collection_info_get_request get = {db, "points", &info};
        zova_vector_collection_list list;
        zova_vector_collections_list_request all = {db, &list};
        CHECK(zova_vector_collection_info_get(&get) == ZOVA_OK);
        CHECK(info.vector_count == 6 && info.dimensions == 2 && info.metric == ZOVA_VECTOR_METRIC_L2);
        zova_vector_collection_info_free(&info);
        CHECK(zova_vector_collections_list(&all) == ZOVA_OK && list.len == 1);
        CHECK(strcmp(list.items[0].name, "points") == 0);
        zova_vector_collection_list_free(&list);
    }
    {
        zova_vector_delete_request del = {db, "points", "a"};
        zova_vector_collection_delete_request drop = {db, "points"};
        CHECK(zova_vector_delete(&del) == ZOVA_OK);
        CHECK(zova_vector_delete(&del) == ZOVA_VECTOR_NOT_FOUND);
        CHECK(zova_vector_collection_delete(&drop) == ZOVA_OK);
        CHECK(zova_vector_collection_delete(&drop) == ZOVA_VECTOR_COLLECTION_NOT_FOUND);
    }
    CHECK(zova_database_close(db) == ZOVA_OK);
    printf("ok\n");
    return 0;
}
