/*
 * vector_sql.c - the SQL surface of c-abi section 8.
 * NOT IMPLEMENTED YET: registers nothing.
 */
#include "zova_internal.h"

int zv_vector_sql_register(sqlite3 *sql) {
    (void)sql;
    return SQLITE_OK;
}
