package zova

import (
	"bytes"
	"io"
	"sync"
	"testing"
)

// docs/c-api.md §4.10: a streamed object equals object_put of the same bytes.
func TestObjectWriterMatchesPut(t *testing.T) {
	db, _ := testDB(t)
	data := pseudoRandom(400_000, 21)
	writer, err := db.ObjectWriter()
	must(t, err)
	// Uneven pieces through io.Copy (ObjectWriter is an io.Writer).
	var w io.Writer = writer
	for start := 0; start < len(data); {
		end := min(len(data), start+1+start%9973)
		n, err := w.Write(data[start:end])
		must(t, err)
		if n != end-start {
			t.Fatalf("Write returned %d", n)
		}
		start = end
	}
	_, err = writer.Write(nil) // empty writes are fine
	must(t, err)
	id, err := writer.Finish()
	must(t, err)
	if id != ObjectIDFor(data) {
		t.Fatal("writer id is not SHA-256 of the bytes")
	}
	got, err := db.GetObject(id)
	must(t, err)
	if !bytes.Equal(got, data) {
		t.Fatal("streamed object differs")
	}
	manifestStream, err := db.ObjectManifest(id)
	must(t, err)
	must(t, db.DeleteObject(id))
	putID, err := db.PutObject(data)
	must(t, err)
	manifestPut, err := db.ObjectManifest(putID)
	must(t, err)
	if putID != id || len(manifestPut.Chunks) != len(manifestStream.Chunks) {
		t.Fatalf("put gave %d chunks, writer %d", len(manifestPut.Chunks), len(manifestStream.Chunks))
	}
	for i := range manifestPut.Chunks {
		if manifestPut.Chunks[i] != manifestStream.Chunks[i] {
			t.Fatalf("chunk %d boundary differs", i)
		}
	}

	// Finish destroyed the writer: every call now reports it closed.
	wantWriterCallsFail(t, writer, StatusObjectWriterClosed, "object writer is closed")
	must(t, writer.Close())

	// io.Copy into a fresh writer; an empty writer gives the empty object.
	copyWriter, err := db.ObjectWriter()
	must(t, err)
	_, err = io.Copy(copyWriter, bytes.NewReader([]byte("copied")))
	must(t, err)
	copied, err := copyWriter.Finish()
	must(t, err)
	if copied != ObjectIDFor([]byte("copied")) {
		t.Fatal("io.Copy object id")
	}
	emptyWriter, err := db.ObjectWriter()
	must(t, err)
	emptyID, err := emptyWriter.Finish()
	must(t, err)
	if emptyID != ObjectIDFor(nil) {
		t.Fatal("empty writer id")
	}
}

// docs/c-api.md §4.10: cancel and close leave no object and no new chunks.
func TestObjectWriterCancelAndClose(t *testing.T) {
	db, _ := testDB(t)
	data := pseudoRandom(150_000, 8)
	for _, finishWith := range []string{"cancel", "close"} {
		writer, err := db.ObjectWriter()
		must(t, err)
		_, err = writer.Write(data)
		must(t, err)
		if finishWith == "cancel" {
			must(t, writer.Cancel())
		} else {
			must(t, writer.Close())
		}
		must(t, writer.Close()) // idempotent
		_, err = writer.Write(data)
		wantStatus(t, err, StatusObjectWriterClosed, "object writer is closed")
		has, err := db.HasObject(ObjectIDFor(data))
		must(t, err)
		if has {
			t.Fatalf("%s left an object", finishWith)
		}
		if n := countRows(t, db, "_zova_chunks"); n != 0 {
			t.Fatalf("%s left %d chunks", finishWith, n)
		}
	}
}

// docs/go.md §3.2: DB.Close destroys live writers (cancelling them);
// the writer then reports closed.
func TestCloseDestroysWriters(t *testing.T) {
	db, path := testDB(t)
	writer, err := db.ObjectWriter()
	must(t, err)
	_, err = writer.Write(pseudoRandom(100_000, 2))
	must(t, err)
	stmt, err := db.Prepare("select 1")
	must(t, err)
	must(t, db.Close())
	_, err = writer.Write([]byte("more"))
	wantStatus(t, err, StatusObjectWriterClosed, "object writer is closed")
	_, err = stmt.Step()
	wantStatus(t, err, StatusMisuse, "database is closed")
	reopened, err := Open(path)
	must(t, err)
	defer reopened.Close()
	if n := countRows(t, reopened, "_zova_chunks"); n != 0 {
		t.Fatalf("cancelled writer left %d chunks", n)
	}
	if n := countRows(t, reopened, "_zova_objects"); n != 0 {
		t.Fatalf("cancelled writer left %d objects", n)
	}
}

// docs/c-api.md §5.7: goroutines writing to one writer are serialised by the DB mutex.
func TestObjectWriterConcurrentWrites(t *testing.T) {
	db, _ := testDB(t)
	writer, err := db.ObjectWriter()
	must(t, err)
	piece := bytes.Repeat([]byte{7}, 5000)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				if _, err := writer.Write(piece); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	id, err := writer.Finish()
	must(t, err)
	size, err := db.ObjectSize(id)
	must(t, err)
	if size != 8*10*5000 || id != ObjectIDFor(bytes.Repeat([]byte{7}, 8*10*5000)) {
		t.Fatalf("size %d", size)
	}
}

// docs/c-api.md §7.7: a failed Finish leaves the writer open, so Finish can be retried;
// a failed Cancel too.
func TestObjectWriterRetryAfterFailedFinish(t *testing.T) {
	db, _ := testDB(t)
	data := pseudoRandom(90_000, 13)
	writer, err := db.ObjectWriter()
	must(t, err)
	_, err = writer.Write(data)
	must(t, err)
	must(t, db.Begin())
	wantWriterCallsFail(t, writer, StatusObjectTransactionActive, "")
	must(t, db.Rollback())
	id, err := writer.Finish()
	must(t, err)
	if id != ObjectIDFor(data) {
		t.Fatal("retried finish stored other bytes")
	}
	got, err := db.GetObject(id)
	must(t, err)
	if !bytes.Equal(got, data) {
		t.Fatal("retried finish object differs")
	}
}

// wantWriterCallsFail asserts that Write, Finish and Cancel all fail with
// status (and a message containing contains, when it is not empty).
func wantWriterCallsFail(t *testing.T, writer *ObjectWriter, status Status, contains string) {
	t.Helper()
	_, err := writer.Write([]byte("x"))
	wantStatus(t, err, status, contains)
	_, err = writer.Finish()
	wantStatus(t, err, status, contains)
	wantStatus(t, writer.Cancel(), status, contains)
}
