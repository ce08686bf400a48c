/*
 * no_threads_test.c - large puts and the object writer when no thread can be
 * started: this program's own pthread_create, which the static library's
 * calls bind to, always fails (EAGAIN), and the chunk pipeline must cut on
 * the calling thread instead, with the same ids and the same chunks.
 * Usage: no_threads_test DIR.
 */
#include "zova.h"
#include "check.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static int refused_threads;

int pthread_create(pthread_t *restrict thread, const pthread_attr_t *restrict attr, void *(*run)(void *),
                   void *restrict arg) {
    (void)thread;
    (void)attr;
    (void)run;
    (void)arg;
    refused_threads++;
    return EAGAIN;
}

static void check_stored(zova_database *db, zova_object_id id, const uint8_t *data, size_t len) {
    zova_buffer buffer = {NULL, 0};
    zova_object_get_request get;
    get.db = db;
    get.id = id;
    get.out_buffer = &buffer;
    CHECK(zova_object_get(&get) == ZOVA_OK);
    CHECK(buffer.len == len && memcmp(buffer.data, data, len) == 0);
    zova_buffer_free(&buffer);
}

static zova_object_manifest manifest_of(zova_database *db, zova_object_id id) {
    zova_object_manifest manifest;
    zova_object_manifest_get_request request;
    request.db = db;
    request.id = id;
    request.out_manifest = &manifest;
    CHECK(zova_object_manifest_get(&request) == ZOVA_OK);
    return manifest;
}

int main(int argc, char **argv) {
    /* Over one writer flush (128 MiB), so a flush and the finish both cut. */
    const size_t len = (size_t)130 << 20, piece = (size_t)1 << 20;
    uint8_t *data = (uint8_t *)malloc(len);
    zova_database *put_db, *stream_db;
    zova_object_id expected, put_id, stream_id;
    zova_object_writer *writer = NULL;
    zova_object_manifest put_manifest, stream_manifest;
    size_t i;
    uint32_t state = 12345;
    CHECK(argc == 2 && data != NULL);
    for (i = 0; i < len; i++) {
        state = state * 1103515245u + 12345u;
        data[i] = (uint8_t)(state >> 16);
    }
    CHECK(zova_object_id_from_bytes(data, len, &expected) == ZOVA_OK);

    put_db = open_new(argv[1], "put.zova");
    {
        zova_object_put_request put = {put_db, data, len, &put_id};
        CHECK(zova_object_put(&put) == ZOVA_OK);
    }
    CHECK(memcmp(put_id.bytes, expected.bytes, 32) == 0);
    check_stored(put_db, put_id, data, len);

    stream_db = open_new(argv[1], "stream.zova");
    {
        zova_object_writer_create_request create = {stream_db, &writer};
        zova_object_writer_finish_request finish = {NULL, &stream_id};
        CHECK(zova_object_writer_create(&create) == ZOVA_OK);
        for (i = 0; i < len; i += piece) {
            zova_object_writer_write_request write = {writer, data + i, len - i < piece ? len - i : piece};
            CHECK(zova_object_writer_write(&write) == ZOVA_OK);
        }
        finish.writer = writer;
        CHECK(zova_object_writer_finish(&finish) == ZOVA_OK);
        CHECK(zova_object_writer_destroy(writer) == ZOVA_OK);
    }
    CHECK(memcmp(stream_id.bytes, expected.bytes, 32) == 0);
    check_stored(stream_db, stream_id, data, len);

    /* The same chunks both ways. */
    put_manifest = manifest_of(put_db, put_id);
    stream_manifest = manifest_of(stream_db, stream_id);
    CHECK(put_manifest.chunks_len == stream_manifest.chunks_len && put_manifest.chunks_len > 10000);
    for (i = 0; i < put_manifest.chunks_len; i++) {
        CHECK(put_manifest.chunks[i].size_bytes == stream_manifest.chunks[i].size_bytes);
        CHECK(memcmp(put_manifest.chunks[i].hash.bytes, stream_manifest.chunks[i].hash.bytes, 32) == 0);
    }
    zova_object_manifest_free(&put_manifest);
    zova_object_manifest_free(&stream_manifest);

    /* Threads were asked for (for the put, and by the writer as its stream
     * grew) and refused every time. */
    CHECK(refused_threads >= 3);
    CHECK(zova_database_close(put_db) == ZOVA_OK);
    CHECK(zova_database_close(stream_db) == ZOVA_OK);
    free(data);
    printf("ok\n");
    return 0;
}
