/*
 * vector_sql.c - the SQL surface of c-abi section 8, registered on every
 * connection (read-only ones included): the vector state with its hooks, the
 * scalar functions zova_vector_distance / zova_vector_distance_by_id and the
 * eponymous virtual table zova_vector_search.
 */
#include "vector_internal.h"

int zv_vector_sql_register(sqlite3 *sql) {
    return zv_vec_state_attach(sql);
}
