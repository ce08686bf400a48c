/*
 * vector_search.c - the eight search variants (c-abi 4.13, 7.9).
 */
#include "vector_internal.h"

void zv_vec_matrix_free_all(zv_vec_state *state) { (void)state; }

#define ZV_STUB(fn, type) zova_status fn(const type *request) { (void)request; return ZOVA_SQLITE_ERROR; }
ZV_STUB(zova_vector_search, zova_vector_search_request)
ZV_STUB(zova_vector_search_in, zova_vector_search_in_request)
ZV_STUB(zova_vector_search_within, zova_vector_search_within_request)
ZV_STUB(zova_vector_search_in_within, zova_vector_search_in_within_request)
ZV_STUB(zova_vector_search_by_id, zova_vector_search_by_id_request)
ZV_STUB(zova_vector_search_by_id_in, zova_vector_search_by_id_in_request)
ZV_STUB(zova_vector_search_by_id_within, zova_vector_search_by_id_within_request)
ZV_STUB(zova_vector_search_by_id_in_within, zova_vector_search_by_id_in_within_request)
