package zova

import (
	"errors"
	"path/filepath"
	"testing"
)

func countRows(t *testing.T, db *DB, table string) int64 {
	t.Helper()
	stmt, err := db.Prepare("select count(*) from " + table)
	must(t, err)
	defer stmt.Close()
	_, err = stmt.Step()
	must(t, err)
	n, err := stmt.ColumnInt64(0)
	must(t, err)
	return n
}

// docs/c-api.md §4.5: begin/commit/rollback.
func TestTransactions(t *testing.T) {
	db, _ := testDB(t)
	must(t, db.Exec("create table t(x)"))
	must(t, db.Begin())
	wantStatus(t, db.Begin(), StatusSQLiteError, "within a transaction")
	must(t, db.Exec("insert into t values (1)"))
	must(t, db.Rollback())
	if n := countRows(t, db, "t"); n != 0 {
		t.Fatalf("after rollback %d rows", n)
	}
	must(t, db.BeginImmediate())
	must(t, db.Exec("insert into t values (1)"))
	must(t, db.Commit())
	if n := countRows(t, db, "t"); n != 1 {
		t.Fatalf("after commit %d rows", n)
	}
	wantStatus(t, db.Commit(), StatusSQLiteError, "no transaction")
	wantStatus(t, db.Rollback(), StatusSQLiteError, "no transaction")
}

// docs/c-api.md §4.5 / §2.4: savepoints and their name validation.
func TestSavepoints(t *testing.T) {
	db, _ := testDB(t)
	must(t, db.Exec("create table t(x)"))
	must(t, db.Savepoint("outer"))
	must(t, db.Exec("insert into t values (1)"))
	must(t, db.Savepoint("inner_2"))
	must(t, db.Exec("insert into t values (2)"))
	must(t, db.RollbackToSavepoint("inner_2"))
	must(t, db.ReleaseSavepoint("inner_2"))
	must(t, db.ReleaseSavepoint("outer"))
	if n := countRows(t, db, "t"); n != 1 {
		t.Fatalf("%d rows", n)
	}
	for _, bad := range []string{"", "1abc", "a-b", "a b", "x;drop table t"} {
		wantStatus(t, db.Savepoint(bad), StatusInvalidArgument, "")
		wantStatus(t, db.ReleaseSavepoint(bad), StatusInvalidArgument, "")
		wantStatus(t, db.RollbackToSavepoint(bad), StatusInvalidArgument, "")
	}
	wantStatus(t, db.Savepoint("a\x00"), StatusInvalidArgument, "savepoint name contains NUL byte")
	wantStatus(t, db.ReleaseSavepoint("never_opened"), StatusSQLiteError, "no such savepoint")
}

// docs/go.md §3.2 WithSavepoint: release on success, undo on error.
func TestWithSavepoint(t *testing.T) {
	db, _ := testDB(t)
	must(t, db.Exec("create table t(x)"))
	var seen *DB
	must(t, db.WithSavepoint("ok", func(d *DB) error {
		seen = d
		return d.Exec("insert into t values (1)")
	}))
	if seen != db {
		t.Fatal("callback did not get the same *DB")
	}
	boom := errors.New("boom")
	err := db.WithSavepoint("fails", func(d *DB) error {
		must(t, d.Exec("insert into t values (2)"))
		// Nesting works.
		return d.WithSavepoint("nested", func(d *DB) error {
			must(t, d.Exec("insert into t values (3)"))
			return boom
		})
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	if n := countRows(t, db, "t"); n != 1 {
		t.Fatalf("%d rows after failed savepoint", n)
	}
	// A panic rolls back too, and still propagates.
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic swallowed")
			}
		}()
		db.WithSavepoint("panics", func(d *DB) error {
			must(t, d.Exec("insert into t values (4)"))
			panic("oops")
		})
	}()
	if n := countRows(t, db, "t"); n != 1 {
		t.Fatalf("%d rows after panic", n)
	}
	// No savepoint stays open: commit without transaction fails.
	wantStatus(t, db.Commit(), StatusSQLiteError, "no transaction")

	wantStatus(t, db.WithSavepoint("x", nil), StatusInvalidArgument, "")
	called := false
	wantStatus(t, db.WithSavepoint("bad name", func(*DB) error { called = true; return nil }), StatusInvalidArgument, "")
	if called {
		t.Fatal("callback ran after a failed savepoint")
	}
}

// docs/c-api.md §7.3: a second connection sees BUSY while a writer holds the lock.
func TestBusyBetweenConnections(t *testing.T) {
	db, path := testDB(t)
	must(t, db.Exec("create table t(x)"))
	other, err := Open(filepath.Clean(path))
	must(t, err)
	defer other.Close()
	must(t, db.BeginImmediate())
	wantStatus(t, other.BeginImmediate(), StatusBusy, "")
	must(t, db.Commit())
	must(t, other.BeginImmediate())
	must(t, other.Commit())
}
