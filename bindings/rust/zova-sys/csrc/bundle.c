/*
** bundle.c: libzova_c as ONE translation unit: the vendored SQLite
** amalgamation followed by every file of the C core.
**
** This is what C, Go and Rust programs link (build.py lib, the Go module's
** cgo file, zova-sys's build script): SQLite's functions are compiled with
** internal linkage (SQLITE_API static), so neither libzova_c.a nor
** libzova_c.so defines a single sqlite3_* symbol, and a program may link the
** system SQLite, mattn/go-sqlite3 or libsqlite3-sys beside Zova without a
** clash (docs/c.md, "SQLite inside"). Compiled with
** -fvisibility=hidden, only the zova_* functions of include/zova.h (declared
** first below, with default visibility) are exported from the shared library.
**
** The Python extension keeps compiling the files one by one (build.py
** develop), which rebuilds only what changed; both builds use the SQLite
** options below.
**
** A new C file of the core must be added to the list at the end (tests/
** test_packaging.py checks that the list is complete).
*/
#define _GNU_SOURCE /* before any system header: what the core files ask for */

/* The SQLite build options of docs/c-api.md §1: thread-safe, FTS5. */
#ifndef SQLITE_THREADSAFE
# define SQLITE_THREADSAFE 1
#endif
#ifndef SQLITE_ENABLE_FTS5
# define SQLITE_ENABLE_FTS5 1
#endif

#pragma GCC visibility push(default)
#include "zova.h"
#pragma GCC visibility pop

/* Internal linkage for every SQLite function and global. */
#define SQLITE_API static
#define SQLITE_EXTERN

#if defined(__GNUC__)
/* SQLite declares its whole API; a static function nobody here calls is not a
** defect of this file. */
# pragma GCC diagnostic ignored "-Wunused-function"
# pragma GCC diagnostic ignored "-Wunused-variable"
# pragma GCC diagnostic ignored "-Wunused-const-variable"
#endif

#include "sqlite3.c"

#include "cancel.c"
#include "chunk_pipeline.c"
#include "chunk_store.c"
#include "chunker.c"
#include "database.c"
#include "deep_check.c"
#include "memory.c"
#include "object_read.c"
#include "object_writer.c"
#include "objects.c"
#include "operations.c"
#include "paths.c"
#include "private_tables.c"
#include "process.c"
#include "schema.c"
#include "sha256.c"
#include "spool.c"
#include "statement.c"
#include "status.c"
#include "vector_batch.c"
/* glibc's <features.h> already defined _DEFAULT_SOURCE (to 1) for
** _GNU_SOURCE; vector_cache.c defines it empty for its own compilation. */
#undef _DEFAULT_SOURCE
#include "vector_cache.c"
#include "vector_index.c"
#include "vector_kernels.c"
#include "vector_search.c"
#include "vector_sql.c"
#include "vectors.c"
