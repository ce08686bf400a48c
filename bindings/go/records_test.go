package zova

import (
	"os"
	"path/filepath"
	"testing"
)

// docs/go.md §3.2 package functions.
func TestABIVersion(t *testing.T) {
	if got := ABIVersion(); got != "0.17.0" {
		t.Fatalf("ABIVersion() = %q", got)
	}
	major, minor, patch := ABIVersionNumbers()
	if major != 0 || minor != 17 || patch != 0 {
		t.Fatalf("ABIVersionNumbers() = %d.%d.%d", major, minor, patch)
	}
}

// docs/c-api.md §2.1: the Go constants equal the C codes and names.
func TestStatusNames(t *testing.T) {
	cases := map[Status]string{
		StatusOK: "ZOVA_OK", StatusInvalidArgument: "ZOVA_INVALID_ARGUMENT",
		StatusOutOfMemory: "ZOVA_OUT_OF_MEMORY", StatusBusy: "ZOVA_BUSY", StatusLocked: "ZOVA_LOCKED",
		StatusConstraint: "ZOVA_CONSTRAINT", StatusCantOpen: "ZOVA_CANT_OPEN", StatusReadOnly: "ZOVA_READ_ONLY",
		StatusCorrupt: "ZOVA_CORRUPT", StatusMisuse: "ZOVA_MISUSE", StatusSQLiteError: "ZOVA_SQLITE_ERROR",
		StatusNotZovaPath: "ZOVA_NOT_ZOVA_PATH", StatusNotZovaDatabase: "ZOVA_NOT_ZOVA_DATABASE",
		StatusUnsupportedZovaVersion: "ZOVA_UNSUPPORTED_ZOVA_VERSION",
		StatusDestinationExists:      "ZOVA_DESTINATION_EXISTS", StatusZovaNameConflict: "ZOVA_ZOVA_NAME_CONFLICT",
		StatusObjectNotFound: "ZOVA_OBJECT_NOT_FOUND", StatusObjectAlreadyExists: "ZOVA_OBJECT_ALREADY_EXISTS",
		StatusObjectChunkNotFound:     "ZOVA_OBJECT_CHUNK_NOT_FOUND",
		StatusObjectChunkHashMismatch: "ZOVA_OBJECT_CHUNK_HASH_MISMATCH",
		StatusObjectCorrupt:           "ZOVA_OBJECT_CORRUPT", StatusObjectManifestInvalid: "ZOVA_OBJECT_MANIFEST_INVALID",
		StatusObjectRangeInvalid: "ZOVA_OBJECT_RANGE_INVALID", StatusObjectTooLarge: "ZOVA_OBJECT_TOO_LARGE",
		StatusObjectTransactionActive:  "ZOVA_OBJECT_TRANSACTION_ACTIVE",
		StatusObjectWriterClosed:       "ZOVA_OBJECT_WRITER_CLOSED",
		StatusVectorCollectionExists:   "ZOVA_VECTOR_COLLECTION_EXISTS",
		StatusVectorCollectionNotFound: "ZOVA_VECTOR_COLLECTION_NOT_FOUND",
		StatusVectorNotFound:           "ZOVA_VECTOR_NOT_FOUND",
		StatusVectorDimensionMismatch:  "ZOVA_VECTOR_DIMENSION_MISMATCH",
		StatusVectorCorrupt:            "ZOVA_VECTOR_CORRUPT", StatusVectorInvalid: "ZOVA_VECTOR_INVALID",
	}
	if len(cases) != 32 {
		t.Fatalf("%d status constants, want 32", len(cases))
	}
	for status, name := range cases {
		if got := StatusName(status); got != name {
			t.Errorf("StatusName(%d) = %q, want %q", int(status), got, name)
		}
	}
	for _, unknown := range []Status{3, 18, 60, 76, -1, 1 << 40} {
		if got := StatusName(unknown); got != "ZOVA_UNKNOWN_STATUS" {
			t.Errorf("StatusName(%d) = %q", int(unknown), got)
		}
	}
}

// docs/go.md §3.2 Error: "Name: Message" or "Name".
func TestErrorString(t *testing.T) {
	e := &Error{Status: StatusBusy, Name: "ZOVA_BUSY", Message: "database is locked"}
	if e.Error() != "ZOVA_BUSY: database is locked" {
		t.Fatalf("%q", e.Error())
	}
	e.Message = ""
	if e.Error() != "ZOVA_BUSY" {
		t.Fatalf("%q", e.Error())
	}
}

// docs/c-api.md §7.2: create never overwrites; open checks the suffix and identity.
func TestCreateOpenLifecycle(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.zova")
	db, err := Create(path)
	must(t, err)
	must(t, db.Exec("create table t(x)"))
	must(t, db.Close())
	wantStatus(t, db.Close(), StatusMisuse, "database is closed")
	wantStatus(t, db.Exec("select 1"), StatusMisuse, "database is closed")

	_, err = Create(path)
	wantStatus(t, err, StatusDestinationExists, "")
	_, err = Create(filepath.Join(dir, "a.db"))
	wantStatus(t, err, StatusNotZovaPath, "")
	_, err = Open(filepath.Join(dir, "missing.zova"))
	wantStatus(t, err, StatusNotZovaDatabase, "")
	_, err = Open(filepath.Join(dir, "no", "such", "dir.zova"))
	wantStatus(t, err, StatusCantOpen, "")
	_, err = Create("bad\x00path.zova")
	wantStatus(t, err, StatusInvalidArgument, "path contains NUL byte")

	must(t, os.WriteFile(filepath.Join(dir, "junk.zova"), []byte("not a database at all, not at all....................................................................."), 0o644))
	_, err = Open(filepath.Join(dir, "junk.zova"))
	wantStatus(t, err, StatusNotZovaDatabase, "")

	db, err = Open(path)
	must(t, err)
	must(t, db.Exec("insert into t values (1)"))
	must(t, db.Close())

	ro, err := OpenWithOptions(path, OpenOptions{ReadOnly: true, BusyTimeoutMS: 250})
	must(t, err)
	defer ro.Close()
	wantStatus(t, ro.Exec("insert into t values (2)"), StatusReadOnly, "")
	stmt, err := ro.Prepare("select count(*) from t")
	must(t, err)
	step, err := stmt.Step()
	must(t, err)
	n, err := stmt.ColumnInt64(0)
	must(t, err)
	if step != StepRow || n != 1 {
		t.Fatalf("step %d count %d", step, n)
	}
}

// docs/c-api.md §7.3: exec errors carry SQLite's message, copied at the call.
func TestExecErrorsAndHelpers(t *testing.T) {
	db, _ := testDB(t)
	err := db.Exec("selec nonsense")
	zerr := wantStatus(t, err, StatusSQLiteError, "syntax")
	// The copy survives later successful calls (the error rules of
	// docs/python.md §2.6, which Go shares).
	must(t, db.Exec("create table t(id integer primary key, v text not null unique)"))
	if zerr.Message == "" {
		t.Fatal("message lost")
	}
	wantStatus(t, db.Exec("insert into no_such_table values (1)"), StatusSQLiteError, "no_such_table")
	wantStatus(t, db.Exec("select 1\x00"), StatusInvalidArgument, "sql contains NUL byte")

	before, err := db.TotalChanges()
	must(t, err)
	must(t, db.Exec("insert into t(v) values ('a'), ('b')"))
	changes, err := db.Changes()
	must(t, err)
	rowid, err := db.LastInsertRowID()
	must(t, err)
	must(t, db.Exec("insert into t(v) values ('c')"))
	total, err := db.TotalChanges()
	must(t, err)
	if changes != 2 || rowid != 2 || total-before != 3 {
		t.Fatalf("changes %d rowid %d total %d", changes, rowid, total)
	}
	wantStatus(t, db.Exec("insert into t(v) values ('a')"), StatusConstraint, "UNIQUE")

	must(t, db.SetBusyTimeout(1000))
	must(t, db.SetBusyTimeout(2147483647))
	wantStatus(t, db.SetBusyTimeout(2147483648), StatusInvalidArgument, "")
	must(t, db.Vacuum())

	// The private metadata table is readable through plain SQL.
	stmt, err := db.Prepare("select value from _zova_meta where key = 'format_version'")
	must(t, err)
	defer stmt.Close()
	_, err = stmt.Step()
	must(t, err)
	v, ok, err := stmt.ColumnText(0)
	must(t, err)
	if !ok || v != "3" {
		t.Fatalf("format_version %q %v", v, ok)
	}
}

// docs/c-api.md §0.2 item 11 / docs/go.md §3.2: Close finalises live children.
func TestCloseFinalisesChildren(t *testing.T) {
	db, _ := testDB(t)
	must(t, db.Exec("create table t(x); insert into t values (1), (2)"))
	stmt, err := db.Prepare("select x from t")
	must(t, err)
	if _, err := stmt.Step(); err != nil {
		t.Fatal(err)
	}
	other, err := db.Prepare("select 1")
	must(t, err)
	must(t, other.Close())
	must(t, other.Close()) // idempotent
	must(t, db.Close())
	_, err = stmt.Step()
	wantStatus(t, err, StatusMisuse, "database is closed")
	_, err = other.Step()
	wantStatus(t, err, StatusMisuse, "")
	must(t, stmt.Close())
}

// docs/c-api.md §2.1 / docs/c-api.md Appendix A: identity checks on open.
func TestOpenIdentityChecks(t *testing.T) {
	db, path := testDB(t)
	must(t, db.Exec("update _zova_meta set value = '4' where key = 'format_version'"))
	must(t, db.Close())
	_, err := Open(path)
	zerr := wantStatus(t, err, StatusUnsupportedZovaVersion, "")
	if zerr.Message == "" {
		t.Fatal("open failure without a message")
	}

	db2, path2 := testDB(t)
	must(t, db2.Exec("update _zova_meta set value = 'nope' where key = 'magic'"))
	must(t, db2.Close())
	_, err = Open(path2)
	wantStatus(t, err, StatusNotZovaDatabase, "")
}
