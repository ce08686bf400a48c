package zova

import (
	"bytes"
	"math"
	"sync"
	"testing"
)

// docs/c-api.md §4.7 / docs/go.md §3.2 *Stmt: binding every type and reading it back.
func TestStatementBindAndColumns(t *testing.T) {
	db, _ := testDB(t)
	must(t, db.Exec("create table t(i integer, f real, s text, b blob, n)"))
	ins, err := db.Prepare("insert into t values (?1, ?2, :s, @b, $n)")
	must(t, err)
	count, err := ins.ParameterCount()
	must(t, err)
	if count != 5 {
		t.Fatalf("ParameterCount = %d", count)
	}
	for name, want := range map[string]int{":s": 3, "@b": 4, "$n": 5, ":missing": 0, "s": 0} {
		got, err := ins.ParameterIndex(name)
		must(t, err)
		if got != want {
			t.Errorf("ParameterIndex(%q) = %d, want %d", name, got, want)
		}
	}
	_, err = ins.ParameterIndex("a\x00b")
	wantStatus(t, err, StatusInvalidArgument, "parameter name contains NUL byte")

	must(t, ins.BindInt64(1, math.MinInt64))
	must(t, ins.BindFloat64(2, 2.5))
	must(t, ins.BindText(3, "héllo"))
	must(t, ins.BindBlob(4, []byte{0, 1, 2, 255}))
	must(t, ins.BindNull(5))
	step, err := ins.Step()
	must(t, err)
	if step != StepDone {
		t.Fatalf("insert step = %d", step)
	}
	// Reset keeps bindings: a second identical row.
	must(t, ins.Reset())
	_, err = ins.Step()
	must(t, err)
	// Empty text and blob are not NULL (docs/c-api.md §0.2 item 1).
	must(t, ins.Reset())
	must(t, ins.BindText(3, ""))
	must(t, ins.BindBlob(4, []byte{}))
	must(t, ins.BindInt64(5, 7))
	_, err = ins.Step()
	must(t, err)
	// ClearBindings makes every parameter NULL.
	must(t, ins.Reset())
	must(t, ins.ClearBindings())
	_, err = ins.Step()
	must(t, err)
	must(t, ins.Close())

	sel, err := db.Prepare("select i, f, s, b, n from t order by rowid")
	must(t, err)
	defer sel.Close()
	cols, err := sel.ColumnCount()
	must(t, err)
	if cols != 5 {
		t.Fatalf("ColumnCount = %d", cols)
	}
	for i, want := range []string{"i", "f", "s", "b", "n"} {
		name, err := sel.ColumnName(i)
		must(t, err)
		if name != want {
			t.Errorf("ColumnName(%d) = %q", i, name)
		}
	}
	_, err = sel.ColumnName(5)
	wantStatus(t, err, StatusMisuse, "")
	_, err = sel.ColumnName(-1)
	wantStatus(t, err, StatusInvalidArgument, "column index out of range")

	type row struct {
		types []ColumnType
		i     int64
		f     float64
		s     string
		sOK   bool
		b     []byte
		bOK   bool
	}
	want := []row{
		{[]ColumnType{ColumnInteger, ColumnFloat, ColumnText, ColumnBlob, ColumnNull}, math.MinInt64, 2.5, "héllo", true, []byte{0, 1, 2, 255}, true},
		{[]ColumnType{ColumnInteger, ColumnFloat, ColumnText, ColumnBlob, ColumnNull}, math.MinInt64, 2.5, "héllo", true, []byte{0, 1, 2, 255}, true},
		{[]ColumnType{ColumnInteger, ColumnFloat, ColumnText, ColumnBlob, ColumnInteger}, math.MinInt64, 2.5, "", true, []byte{}, true},
		{[]ColumnType{ColumnNull, ColumnNull, ColumnNull, ColumnNull, ColumnNull}, 0, 0, "", false, nil, false},
	}
	for r, w := range want {
		step, err := sel.Step()
		must(t, err)
		if step != StepRow {
			t.Fatalf("row %d: step %d", r, step)
		}
		for c, wt := range w.types {
			got, err := sel.ColumnType(c)
			must(t, err)
			if got != wt {
				t.Errorf("row %d col %d type %d want %d", r, c, got, wt)
			}
		}
		i, err := sel.ColumnInt64(0)
		must(t, err)
		f, err := sel.ColumnFloat64(1)
		must(t, err)
		s, sOK, err := sel.ColumnText(2)
		must(t, err)
		b, bOK, err := sel.ColumnBlob(3)
		must(t, err)
		if i != w.i || f != w.f || s != w.s || sOK != w.sOK || !bytes.Equal(b, w.b) || bOK != w.bOK {
			t.Errorf("row %d: got %d %v %q/%v %v/%v", r, i, f, s, sOK, b, bOK)
		}
		if w.bOK && b == nil {
			t.Errorf("row %d: empty blob must be []byte{}, not nil", r)
		}
		if !w.bOK && b != nil {
			t.Errorf("row %d: NULL blob must be nil", r)
		}
	}
	step, err = sel.Step()
	must(t, err)
	if step != StepDone {
		t.Fatalf("final step %d", step)
	}
}

// docs/go.md §3.2 binding-level argument checks.
func TestStatementArgumentChecks(t *testing.T) {
	db, _ := testDB(t)
	stmt, err := db.Prepare("select ?")
	must(t, err)
	for _, index := range []int{0, -1, math.MaxInt32 + 1} {
		wantStatus(t, stmt.BindNull(index), StatusInvalidArgument, "parameter index out of range")
		wantStatus(t, stmt.BindInt64(index, 1), StatusInvalidArgument, "parameter index out of range")
		wantStatus(t, stmt.BindFloat64(index, 1), StatusInvalidArgument, "parameter index out of range")
		wantStatus(t, stmt.BindText(index, "x"), StatusInvalidArgument, "parameter index out of range")
		wantStatus(t, stmt.BindBlob(index, nil), StatusInvalidArgument, "parameter index out of range")
	}
	// Index above the parameter count is SQLite's RANGE, mapped to 17 (docs/c-api.md §6.2).
	wantStatus(t, stmt.BindInt64(2, 1), StatusSQLiteError, "")
	wantStatus(t, stmt.BindText(1, "a\x00b"), StatusInvalidArgument, "text contains NUL byte")
	for _, call := range []func() error{
		func() error { _, err := stmt.ColumnType(-1); return err },
		func() error { _, err := stmt.ColumnInt64(-1); return err },
		func() error { _, err := stmt.ColumnFloat64(-1); return err },
		func() error { _, _, err := stmt.ColumnText(-1); return err },
		func() error { _, _, err := stmt.ColumnBlob(-1); return err },
	} {
		wantStatus(t, call(), StatusInvalidArgument, "column index out of range")
	}
	must(t, stmt.Close())
	_, err = stmt.Step()
	wantStatus(t, err, StatusMisuse, "statement is closed")
	wantStatus(t, stmt.Reset(), StatusMisuse, "statement is closed")
	wantStatus(t, stmt.BindInt64(1, 1), StatusMisuse, "statement is closed")
	_, _, err = stmt.ColumnText(0)
	wantStatus(t, err, StatusMisuse, "statement is closed")

	// Prepare errors: syntax, empty SQL (docs/c-api.md §10), NUL.
	_, err = db.Prepare("select from where")
	wantStatus(t, err, StatusSQLiteError, "syntax")
	_, err = db.Prepare("   -- nothing")
	wantStatus(t, err, StatusInvalidArgument, "")
	_, err = db.Prepare("select 1\x00")
	wantStatus(t, err, StatusInvalidArgument, "sql contains NUL byte")
}

// docs/c-api.md §0.2 item 9: a failed step is reported by step and again by reset.
func TestStatementStepErrorAndReset(t *testing.T) {
	db, _ := testDB(t)
	must(t, db.Exec("create table t(x integer not null)"))
	stmt, err := db.Prepare("insert into t values (?)")
	must(t, err)
	defer stmt.Close()
	_, err = stmt.Step()
	wantStatus(t, err, StatusConstraint, "NOT NULL")
	wantStatus(t, stmt.Reset(), StatusConstraint, "")
	must(t, stmt.Reset())
	must(t, stmt.BindInt64(1, 4))
	_, err = stmt.Step()
	must(t, err)
}

// docs/go.md §3.2 locking: concurrent goroutines share one DB safely.
func TestConcurrentGoroutines(t *testing.T) {
	db, _ := testDB(t)
	must(t, db.Exec("create table t(g integer, i integer)"))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			stmt, err := db.Prepare("insert into t values (?, ?)")
			if err != nil {
				errs <- err
				return
			}
			defer stmt.Close()
			for i := 0; i < 50; i++ {
				for _, err := range []error{stmt.Reset(), stmt.BindInt64(1, int64(g)), stmt.BindInt64(2, int64(i))} {
					if err != nil {
						errs <- err
						return
					}
				}
				if _, err := stmt.Step(); err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	stmt, err := db.Prepare("select count(*), count(distinct g) from t")
	must(t, err)
	defer stmt.Close()
	_, err = stmt.Step()
	must(t, err)
	n, _ := stmt.ColumnInt64(0)
	g, _ := stmt.ColumnInt64(1)
	if n != 400 || g != 8 {
		t.Fatalf("rows %d groups %d", n, g)
	}
}

// docs/c-api.md §5.7: concurrent calls on one statement are serialised by the DB mutex.
func TestConcurrentCallsOnOneStatement(t *testing.T) {
	db, _ := testDB(t)
	stmt, err := db.Prepare("select 1 as first, 2 as second")
	must(t, err)
	defer stmt.Close()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				n, err := stmt.ColumnCount()
				if err != nil || n != 2 {
					t.Errorf("ColumnCount = %d, %v", n, err)
					return
				}
				name, err := stmt.ColumnName(i % 2)
				if err != nil || name != []string{"first", "second"}[i%2] {
					t.Errorf("ColumnName = %q, %v", name, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// docs/go.md §3.2: a statement closed by its own Close reports
// "statement is closed" while the database stays usable.
func TestStatementClosedDatabaseOpen(t *testing.T) {
	db, _ := testDB(t)
	stmt, err := db.Prepare("select 1")
	must(t, err)
	must(t, stmt.Close())
	_, err = stmt.ColumnCount()
	wantStatus(t, err, StatusMisuse, "statement is closed")
	_, err = stmt.ParameterCount()
	wantStatus(t, err, StatusMisuse, "statement is closed")
	must(t, db.Exec("select 1"))
}
