/*
 * vectors.c - vector collections, rows and search (c-abi 4.11-4.13).
 * NOT IMPLEMENTED YET: every function returns ZOVA_SQLITE_ERROR.
 */
#include "zova_internal.h"

zova_status zova_vector_collection_create(const zova_vector_collection_create_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_vector_collection_exists(const zova_vector_collection_exists_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_vector_collection_info_get(const zova_vector_collection_info_get_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_vector_collections_list(const zova_vector_collections_list_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_vector_collection_delete(const zova_vector_collection_delete_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_vector_put(const zova_vector_put_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_vector_put_many(const zova_vector_put_many_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_vector_get(const zova_vector_get_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_vector_exists(const zova_vector_exists_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_vector_delete(const zova_vector_delete_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_vector_search(const zova_vector_search_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_vector_search_in(const zova_vector_search_in_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_vector_search_within(const zova_vector_search_within_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_vector_search_in_within(const zova_vector_search_in_within_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_vector_search_by_id(const zova_vector_search_by_id_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_vector_search_by_id_in(const zova_vector_search_by_id_in_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_vector_search_by_id_within(const zova_vector_search_by_id_within_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_vector_search_by_id_in_within(const zova_vector_search_by_id_in_within_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}
