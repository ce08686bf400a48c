/*
 * memory.c - the eight free functions (docs/c-api.md §4.2). Every container the library
 * returns is malloc'd here-side and released with free(); each free function is
 * NULL-safe, idempotent and leaves the empty value behind.
 */
#include "zova_internal.h"

#include <stdlib.h>
#include <string.h>

char *zv_strndup(const char *s, size_t len) {
    char *copy = (char *)malloc(len + 1);
    if (!copy) return NULL;
    if (len) memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

void zova_buffer_free(zova_buffer *buffer) {
    if (!buffer) return;
    free(buffer->data);
    buffer->data = NULL;
    buffer->len = 0;
}

void zova_message_free(zova_message *message) {
    if (!message) return;
    free(message->data);
    message->data = NULL;
    message->len = 0;
}

void zova_text_free(zova_text *text) {
    if (!text) return;
    free(text->data);
    text->data = NULL;
    text->len = 0;
}

void zova_object_manifest_free(zova_object_manifest *manifest) {
    if (!manifest) return;
    free(manifest->chunks);
    memset(manifest, 0, sizeof(*manifest));
}

void zova_vector_free(zova_vector *vector) {
    if (!vector) return;
    free(vector->id);
    free(vector->values);
    memset(vector, 0, sizeof(*vector));
}

void zova_vector_search_results_free(zova_vector_search_results *results) {
    size_t i;
    if (!results) return;
    for (i = 0; i < results->len && results->items; i++) free(results->items[i].id);
    free(results->items);
    results->items = NULL;
    results->len = 0;
}

void zova_vector_collection_info_free(zova_vector_collection_info *info) {
    if (!info) return;
    free(info->name);
    memset(info, 0, sizeof(*info));
}

void zova_vector_collection_list_free(zova_vector_collection_list *list) {
    size_t i;
    if (!list) return;
    for (i = 0; i < list->len && list->items; i++) free(list->items[i].name);
    free(list->items);
    list->items = NULL;
    list->len = 0;
}
