/*
 * private_tables.c - keeps foreign code out of Zova's own writes. A trigger on
 * a private _zova_ table (planted by another program: neither Zova nor
 * upstream creates any, but see below) would run inside put_object, put_vector and the other
 * writes, and could delete user rows or rewrite sizes. Before each of its
 * writes, inside the write's transaction (so the schema cannot change under
 * it), the core checks the schema for such triggers and refuses to write
 * while one exists. The scan runs only when the schema version changed since
 * the last clean scan on this handle. Diagnostics report these triggers (and
 * views and indexes on private tables); README "Foreign schema objects".
 *
 * It also keeps SQL from damaging them (issue 13): the connection's authorizer
 * asks zv_private_tables_authorize about every schema change a statement makes,
 * which refuses to drop, alter or rename a private table, to add an index or
 * trigger to one, and to create anything named with the reserved _zova_ prefix.
 * Dropping foreign triggers, views and indexes stays allowed (that is the fix
 * the guard above asks for). README "Private tables are off limits to SQL".
 *
 * The one exception is Zova's own: the three triggers of a vector index
 * (vector_index.c, docs/file-format.md §5), recognised by name and canonical
 * text, are allowed (and tell the vector writes to keep the index in step).
 */
#include "zova_internal.h"

#include <stdio.h>
#include <string.h>

/* ---- the authorizer's rule for schema changes ---- */

/* The reason for the last refusal on this thread, for zv_private_tables_refusal. */
static __thread char zv_refusal[256];
/* Zova's own DDL on private names is running on this thread (vector_index.c). */
static __thread int zv_own_ddl;

void zv_private_tables_own_ddl(int on) { zv_own_ddl = on; }

static int zv_is_private_name(const char *name) {
    return name && sqlite3_strnicmp(name, "_zova_", 6) == 0;
}

/* VACUUM (and compact's VACUUM INTO) rebuilds the whole schema, private
 * tables included, in a scratch database that SQLite attaches as
 * "vacuum_" and 16 hex digits. */
static int zv_is_vacuum_scratch(const char *database) {
    size_t i;
    if (!database || strncmp(database, "vacuum_", 7) != 0 || strlen(database) != 7 + 16) return 0;
    for (i = 7; i < 7 + 16; i++) {
        if (!strchr("0123456789abcdef", database[i])) return 0;
    }
    return 1;
}

static int zv_refuse(const char *format, const char *name) {
    snprintf(zv_refusal, sizeof(zv_refusal), format, name);
    return SQLITE_DENY;
}

int zv_private_tables_authorize(int action, const char *a, const char *b, const char *database) {
    static const char TABLE[] =
        "%s is one of Zova's private tables: SQL cannot drop, alter or rename it, or add an index or trigger "
        "to it (Zova's API writes it; a damaged file is for zova salvage)";
    static const char NAME[] = "%s: names starting with _zova_ are reserved for Zova's private tables";
    if (zv_is_vacuum_scratch(database) || zv_own_ddl) return SQLITE_OK;
    switch (action) {
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_VTABLE:
        return zv_is_private_name(a) ? zv_refuse(TABLE, a) : SQLITE_OK;
    case SQLITE_ALTER_TABLE: /* a is the database, b the table */
        return zv_is_private_name(b) ? zv_refuse(TABLE, b) : SQLITE_OK;
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_TEMP_TRIGGER: /* a is the new index or trigger, b its table */
        if (zv_is_private_name(b)) return zv_refuse(TABLE, b);
        return zv_is_private_name(a) ? zv_refuse(NAME, a) : SQLITE_OK;
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_CREATE_VTABLE:
        return zv_is_private_name(a) ? zv_refuse(NAME, a) : SQLITE_OK;
    default:
        return SQLITE_OK;
    }
}

const char *zv_private_tables_refusal(void) {
    return zv_refusal[0] ? zv_refusal : NULL;
}

/* ---- the foreign-trigger guard of Zova's writes ---- */

static const char SQL_SCHEMA_VERSION[] = "pragma schema_version";
static const char SQL_FOREIGN_TRIGGERS[] =
    "select name, tbl_name, sql from sqlite_schema where type = 'trigger' and tbl_name like '\\_zova\\_%' escape '\\' "
    "union all "
    "select name, tbl_name, null from sqlite_temp_schema where type = 'trigger' and tbl_name like '\\_zova\\_%' "
    "escape '\\'";

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
    db->vector_index_triggers = 0;
    /* the vector index's own triggers (canonical text, docs/file-format.md §5) are Zova's */
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW &&
           zv_vindex_trigger_is_own((const char *)sqlite3_column_text(stmt, 0),
                                    (const char *)sqlite3_column_text(stmt, 2))) {
        db->vector_index_triggers = 1;
    }
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
