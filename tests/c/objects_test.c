/*
 * objects_test.c - objects through the public header only (docs/c-api.md §4.8-§4.10,
 * §7.6-§7.7): id helpers, put/get, range reads, manifests, loose chunks,
 * assembly, the streaming writer and put_many. Usage: objects_test DIR.
 */
#include "zova.h"
#include "check.h"

#include <string.h>

int main(int argc, char **argv) {
    static uint8_t data[300000];
    uint8_t range[100];
    zova_database *db;
    zova_object_id id, again, empty_id;
    zova_object_chunk_id chunk_id;
    zova_buffer buffer = {NULL, 0};
    zova_object_manifest manifest;
    size_t i, copied = 123;
    uint64_t size = 0, count = 0;
    uint8_t exists = 9, deleted = 9;
    CHECK(argc == 2);
    for (i = 0; i < sizeof(data); i++) data[i] = (uint8_t)((i * 2654435761u) >> 13);
    db = open_new(argv[1], "objects.zova");

    /* id helpers: SHA-256("") */
    CHECK(zova_object_id_from_bytes(NULL, 0, &empty_id) == ZOVA_OK);
    CHECK(empty_id.bytes[0] == 0xe3 && empty_id.bytes[31] == 0x55);
    CHECK(zova_object_id_from_bytes(NULL, 1, &empty_id) == ZOVA_INVALID_ARGUMENT);

    {
        zova_object_put_request put = {db, data, sizeof(data), &id};
        CHECK(zova_object_put(&put) == ZOVA_OK);
        CHECK(zova_object_id_from_bytes(data, sizeof(data), &again) == ZOVA_OK);
        CHECK(memcmp(id.bytes, again.bytes, 32) == 0);
        CHECK(zova_object_put(&put) == ZOVA_OK); /* idempotent */
    }
    {
        zova_object_get_request get;
        get.db = db;
        get.id = id;
        get.out_buffer = &buffer;
        CHECK(zova_object_get(&get) == ZOVA_OK);
        CHECK(buffer.len == sizeof(data) && memcmp(buffer.data, data, sizeof(data)) == 0);
        zova_buffer_free(&buffer);
        zova_buffer_free(&buffer); /* idempotent */
    }
    {
        zova_object_size_request size_request;
        zova_object_chunk_count_request count_request;
        zova_object_exists_request exists_request;
        size_request.db = count_request.db = exists_request.db = db;
        size_request.id = count_request.id = exists_request.id = id;
        size_request.out_size = &size;
        count_request.out_count = &count;
        exists_request.out_exists = &exists;
        CHECK(zova_object_size(&size_request) == ZOVA_OK && size == sizeof(data));
        CHECK(zova_object_chunk_count(&count_request) == ZOVA_OK && count > 1);
        CHECK(zova_object_exists(&exists_request) == ZOVA_OK && exists == 1);
    }
    {
        zova_object_read_range_request read;
        read.db = db;
        read.id = id;
        read.offset = 65530;
        read.buffer = range;
        read.buffer_len = sizeof(range);
        read.out_copied = &copied;
        CHECK(zova_object_read_range(&read) == ZOVA_OK && copied == sizeof(range));
        CHECK(memcmp(range, data + 65530, sizeof(range)) == 0);
        read.offset = sizeof(data);
        CHECK(zova_object_read_range(&read) == ZOVA_OK && copied == 0);
        read.offset = sizeof(data) + 1;
        CHECK(zova_object_read_range(&read) == ZOVA_OBJECT_RANGE_INVALID);
    }
    {
        zova_object_manifest_get_request get;
        uint64_t offset = 0;
        get.db = db;
        get.id = id;
        get.out_manifest = &manifest;
        CHECK(zova_object_manifest_get(&get) == ZOVA_OK);
        CHECK(manifest.chunk_count == count && manifest.chunks_len == count);
        CHECK(strcmp(manifest.chunker, "fastcdc-v1") == 0);
        for (i = 0; i < manifest.chunks_len; i++) {
            CHECK(manifest.chunks[i].index == i && manifest.chunks[i].offset == offset);
            offset += manifest.chunks[i].size_bytes;
        }
        CHECK(offset == sizeof(data));
        zova_object_manifest_free(&manifest);
        CHECK(manifest.chunks == NULL && manifest.chunker == NULL);
    }
    {
        /* A loose chunk, then an object assembled from it with arbitrary boundaries. */
        const uint8_t *piece = data + 1000;
        zova_object_chunk_put_request put;
        zova_object_chunk_get_request get;
        zova_object_assemble_from_chunks_request assemble;
        zova_object_manifest_chunk chunk;
        zova_object_id assembled;
        CHECK(zova_object_chunk_id_from_bytes(piece, 5000, &chunk_id) == ZOVA_OK);
        put.db = db;
        put.expected_hash = chunk_id;
        put.data = piece;
        put.len = 5000;
        CHECK(zova_object_chunk_put(&put) == ZOVA_OK);
        put.len = 4999;
        CHECK(zova_object_chunk_put(&put) == ZOVA_OBJECT_CHUNK_HASH_MISMATCH);
        put.len = 0;
        CHECK(zova_object_chunk_put(&put) == ZOVA_OBJECT_CORRUPT);
        get.db = db;
        get.hash = chunk_id;
        get.out_buffer = &buffer;
        CHECK(zova_object_chunk_get(&get) == ZOVA_OK && buffer.len == 5000);
        CHECK(memcmp(buffer.data, piece, 5000) == 0);
        zova_buffer_free(&buffer);
        CHECK(zova_object_id_from_bytes(piece, 5000, &assembled) == ZOVA_OK);
        chunk.index = 0;
        chunk.hash = chunk_id;
        chunk.offset = 0;
        chunk.size_bytes = 5000;
        assemble.db = db;
        assemble.id = assembled;
        assemble.size_bytes = 5000;
        assemble.chunks = &chunk;
        assemble.chunk_count = 1;
        CHECK(zova_object_assemble_from_chunks(&assemble) == ZOVA_OK);
        CHECK(zova_object_assemble_from_chunks(&assemble) == ZOVA_OBJECT_ALREADY_EXISTS);
        {
            zova_object_chunk_delete_request del = {db, chunk_id, &deleted};
            CHECK(zova_object_chunk_delete(&del) == ZOVA_OK && deleted == 0); /* referenced now */
        }
    }
    {
        /* The streaming writer in uneven pieces gives the same object. */
        zova_object_writer *writer = NULL;
        zova_object_writer_create_request create = {db, &writer};
        zova_object_writer_finish_request finish;
        size_t offset = 0, piece = 1;
        CHECK(zova_object_writer_create(&create) == ZOVA_OK && writer != NULL);
        CHECK(zova_database_close(db) == ZOVA_MISUSE); /* a live child */
        while (offset < sizeof(data)) {
            zova_object_writer_write_request write;
            size_t n = piece < sizeof(data) - offset ? piece : sizeof(data) - offset;
            write.writer = writer;
            write.data = data + offset;
            write.len = n;
            CHECK(zova_object_writer_write(&write) == ZOVA_OK);
            offset += n;
            piece = piece * 3 + 7;
        }
        finish.writer = writer;
        finish.out_id = &again;
        CHECK(zova_object_writer_finish(&finish) == ZOVA_OK);
        CHECK(memcmp(again.bytes, id.bytes, 32) == 0);
        CHECK(zova_object_writer_finish(&finish) == ZOVA_OBJECT_WRITER_CLOSED);
        CHECK(zova_object_writer_destroy(writer) == ZOVA_OK);
    }
    {
        /* put_many: one transaction for a batch. */
        const uint8_t *items[3] = {data, data + 10, NULL};
        size_t lens[3] = {4096, 4096, 0};
        zova_object_id ids[3];
        zova_object_put_many_request many = {db, items, lens, 3, ids};
        CHECK(zova_object_put_many(&many) == ZOVA_OK);
        CHECK(memcmp(ids[2].bytes, empty_id.bytes, 32) == 0); /* the empty object */
        CHECK(zova_object_id_from_bytes(data + 10, 4096, &again) == ZOVA_OK);
        CHECK(memcmp(ids[1].bytes, again.bytes, 32) == 0);
    }
    {
        /* The transaction-active rule (docs/c-api.md §5.9) and delete. */
        zova_database_simple_request simple = {db};
        zova_object_delete_request del;
        zova_object_exists_request exists_request;
        del.db = db;
        del.id = id;
        CHECK(zova_database_begin(&simple) == ZOVA_OK);
        CHECK(zova_object_delete(&del) == ZOVA_OBJECT_TRANSACTION_ACTIVE);
        CHECK(zova_database_rollback(&simple) == ZOVA_OK);
        CHECK(zova_object_delete(&del) == ZOVA_OK);
        CHECK(zova_object_delete(&del) == ZOVA_OBJECT_NOT_FOUND);
        CHECK(strcmp(zova_database_last_error_message(db), "ObjectNotFound") == 0);
        exists_request.db = db;
        exists_request.id = id;
        exists_request.out_exists = &exists;
        CHECK(zova_object_exists(&exists_request) == ZOVA_OK && exists == 0);
    }
    CHECK(zova_database_close(db) == ZOVA_OK);
    printf("ok\n");
    return 0;
}
