package zova

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// newDB creates a fresh database in a temporary directory, closed at the end.
func testDB(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.zova")
	db, err := Create(path)
	if err != nil {
		t.Fatalf("Create(%q): %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// wantStatus asserts err is a *Error with the given status (and, when
// contains is not empty, a message containing it).
func wantStatus(t *testing.T, err error, status Status, contains string) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s, got nil error", StatusName(status))
	}
	var zerr *Error
	if !errors.As(err, &zerr) {
		t.Fatalf("want *zova.Error %s, got %T %v", StatusName(status), err, err)
	}
	if zerr.Status != status {
		t.Fatalf("want %s, got %v", StatusName(status), zerr)
	}
	if zerr.Name != StatusName(status) {
		t.Fatalf("Name = %q, want %q", zerr.Name, StatusName(status))
	}
	if contains != "" && !strings.Contains(zerr.Message, contains) {
		t.Fatalf("message %q does not contain %q", zerr.Message, contains)
	}
	return zerr
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
