package zova

// race_test.go: handles shared between goroutines while they are closed, and
// error messages of concurrent failing calls (docs/c-api.md §5.5, §5.7;
// docs/go.md §3.2 locking and closing). The names start with "Concurrent" so
// that tests/test_go.py also runs them under -race.

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// closedErr reports whether err is the closed-handle error want
// (docs/go.md §3.2); any other error is returned to fail the test.
func closedErr(err error, status Status, message string) (bool, error) {
	if err == nil {
		return false, nil
	}
	var zerr *Error
	if errors.As(err, &zerr) && zerr.Status == status && zerr.Message == message {
		return true, nil
	}
	return false, err
}

// docs/c-api.md §5.7 terminal calls: DB.Close while goroutines loop PutObject and
// GetObject on the same DB waits for the call in flight; every later call
// fails with StatusMisuse "database is closed".
func TestConcurrentCloseDuringObjectCalls(t *testing.T) {
	dir := t.TempDir()
	for round := 0; round < 30; round++ {
		db, err := Create(filepath.Join(dir, fmt.Sprintf("close-%d.zova", round)))
		must(t, err)
		must(t, db.Exec("pragma synchronous = off"))
		seed, err := db.PutObject([]byte("seed"))
		must(t, err)
		var calls atomic.Int64
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := 0; ; i++ {
					var err error
					if g%2 == 0 {
						_, err = db.PutObject([]byte(fmt.Sprintf("object %d %d %d", round, g, i)))
					} else {
						var data []byte
						data, err = db.GetObject(seed)
						if err == nil && string(data) != "seed" {
							err = fmt.Errorf("GetObject = %q", data)
						}
					}
					calls.Add(1)
					closed, err := closedErr(err, StatusMisuse, "database is closed")
					if err != nil {
						t.Errorf("round %d goroutine %d call %d: %v", round, g, i, err)
						return
					}
					if closed {
						return
					}
				}
			}(g)
		}
		for calls.Load() < 20 { // let the goroutines get going before the close
			runtime.Gosched()
		}
		must(t, db.Close())
		wg.Wait()
		wantStatus(t, db.Close(), StatusMisuse, "database is closed")
		if t.Failed() {
			return
		}
	}
}

// docs/c-api.md §5.7 terminal calls: Stmt.Close (and DB.Close) while another goroutine
// steps the statement; the stepper then gets StatusMisuse "statement is
// closed" ("database is closed" after DB.Close), never a crash.
func TestConcurrentStmtCloseWhileStepping(t *testing.T) {
	db, path := testDB(t)
	must(t, db.Exec("create table t(v integer); insert into t with recursive n(v) as (select 1 union all select v + 1 from n where v < 50) select v from n"))
	const sql = "select v from t"
	run := func(t *testing.T, db *DB, round int, closeDB bool) {
		stmt, err := db.Prepare(sql)
		must(t, err)
		var steps atomic.Int64
		done := make(chan error, 1)
		go func() {
			for {
				step, err := stmt.Step()
				if err == nil && step == StepDone {
					err = stmt.Reset()
				}
				if err == nil && step == StepRow {
					_, err = stmt.ColumnInt64(0)
				}
				steps.Add(1)
				want := "statement is closed"
				if closeDB {
					want = "database is closed"
				}
				closed, err := closedErr(err, StatusMisuse, want)
				if err != nil || closed {
					done <- err
					return
				}
			}
		}()
		for steps.Load() < int64(round%7) {
			runtime.Gosched()
		}
		if closeDB {
			must(t, db.Close())
		} else {
			must(t, stmt.Close())
		}
		if err := <-done; err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		must(t, stmt.Close())
	}
	for round := 0; round < 300; round++ {
		run(t, db, round, false)
	}
	for round := 0; round < 30; round++ {
		other, err := Open(path)
		must(t, err)
		run(t, other, round, true)
	}
}

// docs/c-api.md §5.7: ObjectWriter.Finish while two goroutines write to the writer.
// Each write lands before the finish (and is in the object) or fails with
// StatusObjectWriterClosed "object writer is closed".
func TestConcurrentWriterFinishWhileWriting(t *testing.T) {
	db, _ := testDB(t)
	piece := bytes.Repeat([]byte("zova"), 256)
	for round := 0; round < 50; round++ {
		writer, err := db.ObjectWriter()
		must(t, err)
		var written, attempts atomic.Int64
		var wg sync.WaitGroup
		for g := 0; g < 2; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					_, err := writer.Write(piece)
					attempts.Add(1)
					closed, err := closedErr(err, StatusObjectWriterClosed, "object writer is closed")
					if err != nil {
						t.Errorf("round %d: Write: %v", round, err)
						return
					}
					if closed {
						return
					}
					written.Add(1)
				}
			}()
		}
		for attempts.Load() < int64(round%5) {
			runtime.Gosched()
		}
		id, err := writer.Finish()
		must(t, err)
		wg.Wait()
		if t.Failed() {
			return
		}
		want := bytes.Repeat(piece, int(written.Load()))
		if id != ObjectIDFor(want) {
			t.Fatalf("round %d: finished object is not the %d pieces written before Finish", round, written.Load())
		}
		size, err := db.ObjectSize(id)
		must(t, err)
		if size != uint64(len(want)) {
			t.Fatalf("round %d: object size %d, want %d", round, size, len(want))
		}
		_, err = writer.Finish()
		wantStatus(t, err, StatusObjectWriterClosed, "object writer is closed")
	}
}

// docs/c-api.md §5.5: 8 goroutines mix failing GetObject (missing id) and succeeding
// PutObject on one DB; every failure carries its own message, the
// ObjectNotFound text, never "" (a put's success clears the handle's message)
// or another call's.
func TestConcurrentErrorMessagesStayWithTheirCall(t *testing.T) {
	db, _ := testDB(t)
	must(t, db.Exec("pragma synchronous = off"))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 400; i++ {
				if g%2 == 1 {
					if _, err := db.PutObject([]byte(fmt.Sprintf("object %d %d", g, i))); err != nil {
						t.Errorf("PutObject: %v", err)
						return
					}
					continue
				}
				missing := ObjectIDFor([]byte(fmt.Sprintf("missing %d %d", g, i)))
				_, err := db.GetObject(missing)
				var zerr *Error
				if !errors.As(err, &zerr) || zerr.Status != StatusObjectNotFound || zerr.Message != "ObjectNotFound" {
					t.Errorf("goroutine %d call %d: GetObject(missing) = %#v, want ZOVA_OBJECT_NOT_FOUND \"ObjectNotFound\"", g, i, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}
