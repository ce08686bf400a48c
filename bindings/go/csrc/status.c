/*
 * status.c - version numbers, status names, and the one table that turns
 * SQLite result codes into Zova statuses (docs/c-api.md §2.1, §4.1, §6).
 */
#include "zova_internal.h"

uint32_t zova_abi_version_major(void) { return 0; }
uint32_t zova_abi_version_minor(void) { return 17; }
uint32_t zova_abi_version_patch(void) { return 0; }
const char *zova_abi_version_string(void) { return "0.17.0"; }

typedef struct zv_status_entry {
    int status;
    const char *name;  /* zova_status_name */
    const char *kind;  /* upstream failure-kind name, used as message text */
} zv_status_entry;

static const zv_status_entry zv_statuses[] = {
    {ZOVA_OK, "ZOVA_OK", "Ok"},
    {ZOVA_INVALID_ARGUMENT, "ZOVA_INVALID_ARGUMENT", "InvalidArgument"},
    {ZOVA_OUT_OF_MEMORY, "ZOVA_OUT_OF_MEMORY", "OutOfMemory"},
    {ZOVA_BUSY, "ZOVA_BUSY", "Busy"},
    {ZOVA_LOCKED, "ZOVA_LOCKED", "Locked"},
    {ZOVA_CONSTRAINT, "ZOVA_CONSTRAINT", "Constraint"},
    {ZOVA_CANT_OPEN, "ZOVA_CANT_OPEN", "CantOpen"},
    {ZOVA_READ_ONLY, "ZOVA_READ_ONLY", "ReadOnly"},
    {ZOVA_CORRUPT, "ZOVA_CORRUPT", "Corrupt"},
    {ZOVA_MISUSE, "ZOVA_MISUSE", "Misuse"},
    {ZOVA_SQLITE_ERROR, "ZOVA_SQLITE_ERROR", "SqliteError"},
    {ZOVA_NOT_ZOVA_PATH, "ZOVA_NOT_ZOVA_PATH", "NotZovaPath"},
    {ZOVA_NOT_ZOVA_DATABASE, "ZOVA_NOT_ZOVA_DATABASE", "NotZovaDatabase"},
    {ZOVA_UNSUPPORTED_ZOVA_VERSION, "ZOVA_UNSUPPORTED_ZOVA_VERSION", "UnsupportedZovaVersion"},
    {ZOVA_DESTINATION_EXISTS, "ZOVA_DESTINATION_EXISTS", "DestinationExists"},
    {ZOVA_ZOVA_NAME_CONFLICT, "ZOVA_ZOVA_NAME_CONFLICT", "ZovaNameConflict"},
    {ZOVA_OBJECT_NOT_FOUND, "ZOVA_OBJECT_NOT_FOUND", "ObjectNotFound"},
    {ZOVA_OBJECT_ALREADY_EXISTS, "ZOVA_OBJECT_ALREADY_EXISTS", "ObjectAlreadyExists"},
    {ZOVA_OBJECT_CHUNK_NOT_FOUND, "ZOVA_OBJECT_CHUNK_NOT_FOUND", "ObjectChunkNotFound"},
    {ZOVA_OBJECT_CHUNK_HASH_MISMATCH, "ZOVA_OBJECT_CHUNK_HASH_MISMATCH", "ObjectChunkHashMismatch"},
    {ZOVA_OBJECT_CORRUPT, "ZOVA_OBJECT_CORRUPT", "ObjectCorrupt"},
    {ZOVA_OBJECT_MANIFEST_INVALID, "ZOVA_OBJECT_MANIFEST_INVALID", "ObjectManifestInvalid"},
    {ZOVA_OBJECT_RANGE_INVALID, "ZOVA_OBJECT_RANGE_INVALID", "ObjectRangeInvalid"},
    {ZOVA_OBJECT_TOO_LARGE, "ZOVA_OBJECT_TOO_LARGE", "ObjectTooLarge"},
    {ZOVA_OBJECT_TRANSACTION_ACTIVE, "ZOVA_OBJECT_TRANSACTION_ACTIVE", "ObjectTransactionActive"},
    {ZOVA_OBJECT_WRITER_CLOSED, "ZOVA_OBJECT_WRITER_CLOSED", "ObjectWriterClosed"},
    {ZOVA_VECTOR_COLLECTION_EXISTS, "ZOVA_VECTOR_COLLECTION_EXISTS", "VectorCollectionExists"},
    {ZOVA_VECTOR_COLLECTION_NOT_FOUND, "ZOVA_VECTOR_COLLECTION_NOT_FOUND", "VectorCollectionNotFound"},
    {ZOVA_VECTOR_NOT_FOUND, "ZOVA_VECTOR_NOT_FOUND", "VectorNotFound"},
    {ZOVA_VECTOR_DIMENSION_MISMATCH, "ZOVA_VECTOR_DIMENSION_MISMATCH", "VectorDimensionMismatch"},
    {ZOVA_VECTOR_CORRUPT, "ZOVA_VECTOR_CORRUPT", "VectorCorrupt"},
    {ZOVA_VECTOR_INVALID, "ZOVA_VECTOR_INVALID", "VectorInvalid"},
};

static const zv_status_entry *zv_status_lookup(int status) {
    size_t i;
    for (i = 0; i < sizeof(zv_statuses) / sizeof(zv_statuses[0]); i++) {
        if (zv_statuses[i].status == status) return &zv_statuses[i];
    }
    return NULL;
}

const char *zova_status_name(zova_status status) {
    const zv_status_entry *entry = zv_status_lookup((int)status);
    return entry ? entry->name : "ZOVA_UNKNOWN_STATUS";
}

const char *zv_status_kind(zova_status status) {
    const zv_status_entry *entry = zv_status_lookup((int)status);
    return entry ? entry->kind : "SqliteError";
}

/* docs/c-api.md §6.2: mapping by primary result code. */
zova_status zv_status_from_sqlite(int rc) {
    switch (rc & 0xff) {
    case SQLITE_OK: return ZOVA_OK;
    case SQLITE_BUSY: return ZOVA_BUSY;
    case SQLITE_LOCKED: return ZOVA_LOCKED;
    case SQLITE_NOMEM: return ZOVA_OUT_OF_MEMORY;
    case SQLITE_READONLY: return ZOVA_READ_ONLY;
    case SQLITE_CORRUPT: return ZOVA_CORRUPT;
    case SQLITE_CANTOPEN: return ZOVA_CANT_OPEN;
    case SQLITE_CONSTRAINT: return ZOVA_CONSTRAINT;
    case SQLITE_MISUSE: return ZOVA_MISUSE;
    default: return ZOVA_SQLITE_ERROR;
    }
}
