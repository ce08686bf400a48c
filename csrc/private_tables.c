/*
 * private_tables.c - keeps foreign code out of Zova's own writes. A trigger on
 * a private _zova_ table (planted by another program: neither Zova nor
 * upstream creates any) would run inside put_object, put_vector and the other
 * writes, and could delete user rows or rewrite sizes. Before each of its
 * writes, inside the write's transaction (so the schema cannot change under
 * it), the core checks the schema for such triggers and refuses to write
 * while one exists. The scan runs only when the schema version changed since
 * the last clean scan on this handle. Diagnostics report these triggers (and
 * views and indexes on private tables); README "Foreign schema objects".
 */
#include "zova_internal.h"

#include <stdio.h>
#include <string.h>

static const char SQL_SCHEMA_VERSION[] = "pragma schema_version";
static const char SQL_FOREIGN_TRIGGERS[] =
    "select name, tbl_name from sqlite_schema where type = 'trigger' and tbl_name like '\\_zova\\_%' escape '\\' "
    "union all "
    "select name, tbl_name from sqlite_temp_schema where type = 'trigger' and tbl_name like '\\_zova\\_%' escape '\\' "
    "limit 1";

zova_status zv_private_tables_guard(zova_database *db) {
    zova_status status = ZOVA_OK;
    sqlite3_stmt *stmt = zv_stmt(db, SQL_SCHEMA_VERSION, &status);
    int64_t version;
    int rc;
    if (!stmt) return status;
    rc = sqlite3_step(stmt);
    version = sqlite3_column_int64(stmt, 0);
    zv_stmt_release(stmt);
    if (rc != SQLITE_ROW) return zv_sqlite_fail(db, rc);
    if (db->schema_scanned && db->scanned_schema_version == version) return ZOVA_OK;
    stmt = zv_stmt(db, SQL_FOREIGN_TRIGGERS, &status);
    if (!stmt) return status;
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        char message[512];
        snprintf(message, sizeof(message),
                 "private table %s has a trigger Zova did not create (%s); Zova will not write to this file while "
                 "it exists (drop the trigger, or salvage the file)",
                 (const char *)sqlite3_column_text(stmt, 1), (const char *)sqlite3_column_text(stmt, 0));
        status = zv_fail_message(db, ZOVA_CORRUPT, message);
    } else if (rc == SQLITE_DONE) {
        db->schema_scanned = 1;
        db->scanned_schema_version = version;
    } else {
        status = zv_sqlite_fail(db, rc);
    }
    zv_stmt_release(stmt);
    return status;
}
