/*
 * objects.c - objects: ids, put/get/ranges/manifests/chunks/assembly (file-format 3, c-abi 4.8-4.9).
 * NOT IMPLEMENTED YET: every function returns ZOVA_SQLITE_ERROR.
 */
#include "zova_internal.h"

zova_status zova_object_id_from_bytes(const uint8_t *data, size_t len, zova_object_id *out_id) {
    (void)data;
    (void)len;
    (void)out_id;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_object_chunk_id_from_bytes(const uint8_t *data, size_t len, zova_object_chunk_id *out_id) {
    (void)data;
    (void)len;
    (void)out_id;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_object_put(const zova_object_put_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_object_get(const zova_object_get_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_object_read_range(const zova_object_read_range_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_object_delete(const zova_object_delete_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_object_exists(const zova_object_exists_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_object_size(const zova_object_size_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_object_chunk_count(const zova_object_chunk_count_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_object_manifest_get(const zova_object_manifest_get_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_object_chunk_get(const zova_object_chunk_get_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_object_chunk_put(const zova_object_chunk_put_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_object_chunk_delete(const zova_object_chunk_delete_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_object_assemble_from_chunks(const zova_object_assemble_from_chunks_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_object_put_many(const zova_object_put_many_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}
