//go:build !zova_system

/*
** zova_bundle.c: the C core of Zova, compiled by cgo as part of this package.
**
** It includes csrc/bundle.c, the whole libzova_c library as one translation
** unit (the vendored SQLite amalgamation with internal linkage, then every
** file of the C core). csrc/ is a flat copy of the repository's csrc/,
** include/zova.h and vendor/sqlite-3.53.2/sqlite3.{c,h}, refreshed by
** `python3 build.py sync-bindings`; do not edit it here.
**
** This is the only C file cgo sees in the package directory: csrc/ holds no Go
** files, so go build does not compile its files one by one. A program that
** imports the package therefore needs only Go and a C compiler, and no
** sqlite3_* symbol leaves this object (a program may also link
** mattn/go-sqlite3 or a system SQLite). The flags are in zova_bundled.go.
**
** Built with -tags zova_system, the package compiles no C of its own and
** links the installed libzova_c found by pkg-config instead (zova_system.go).
*/
#include "csrc/bundle.c"
