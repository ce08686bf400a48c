/*
 * object_writer.c - the streaming object writer (c-abi 4.10).
 * NOT IMPLEMENTED YET: every function returns ZOVA_SQLITE_ERROR.
 */
#include "zova_internal.h"

zova_status zova_object_writer_create(const zova_object_writer_create_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_object_writer_write(const zova_object_writer_write_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_object_writer_finish(const zova_object_writer_finish_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_object_writer_cancel(const zova_object_writer_cancel_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_object_writer_destroy(zova_object_writer *writer) {
    (void)writer;
    return ZOVA_SQLITE_ERROR;
}
