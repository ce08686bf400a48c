/*
 * operations.c - backup, compact, restore and conversion (c-abi 4.6, 5.12).
 * NOT IMPLEMENTED YET: every function returns ZOVA_SQLITE_ERROR.
 */
#include "zova_internal.h"

zova_status zova_database_backup(const zova_database_backup_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_database_compact(const zova_database_compact_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_database_restore(const zova_database_restore_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}

zova_status zova_convert_sqlite_to_zova(const zova_convert_sqlite_to_zova_request *request) {
    (void)request;
    return ZOVA_SQLITE_ERROR;
}
