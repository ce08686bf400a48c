package zova

import (
	"embed"
	"io/fs"
	"testing"
)

// csrcFiles is the copy of the C core that zova_bundle.c compiles. Embedding
// it here makes the test build depend on its contents: the go command hashes
// only the files of the package directory (zova_bundle.c), not the files it
// includes from csrc/, so without this a `go test` after `python3 build.py
// sync-bindings` could reuse a C object compiled from the previous copy.
//
//go:embed csrc
var csrcFiles embed.FS

// The copy is flat and holds the one translation unit, the public header and
// the SQLite amalgamation (tests/test_go.py compares it with the sources).
func TestCSrcCopyIsComplete(t *testing.T) {
	entries, err := fs.ReadDir(csrcFiles, "csrc")
	must(t, err)
	names := map[string]bool{}
	for _, entry := range entries {
		if entry.IsDir() {
			t.Errorf("csrc/%s is a directory; the copy is flat", entry.Name())
		}
		names[entry.Name()] = true
	}
	for _, name := range []string{"bundle.c", "zova.h", "zova_internal.h", "sqlite3.c", "sqlite3.h"} {
		if !names[name] {
			t.Errorf("csrc/%s is missing; run `python3 build.py sync-bindings`", name)
		}
	}
}
