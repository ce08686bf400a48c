package zova

// writer.go owns the streaming object writer (cli-and-bindings §3.2
// *ObjectWriter). Every call holds the owning DB's mutex; DB.Close destroys
// open writers, which cancels unfinished ones.

/*
#include <stdlib.h>
#include "zova.h"
*/
import "C"

// ObjectWriter stores an object written in pieces without holding it in memory.
type ObjectWriter struct {
	db     *DB
	handle *C.zova_object_writer
}

// ObjectWriter starts a streaming object write. No transaction may be open.
func (db *DB) ObjectWriter() (*ObjectWriter, error) {
	handle, err := db.lock()
	if err != nil {
		return nil, err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_object_writer_create_request](&m)
	out := cnew[*C.zova_object_writer](&m)
	req.db = handle
	req.out_writer = out
	if err := db.check(C.zova_object_writer_create(req)); err != nil {
		return nil, err
	}
	writer := &ObjectWriter{db: db, handle: *out}
	db.writers[writer] = struct{}{}
	return writer, nil
}

func errWriterClosed() error { return newError(StatusObjectWriterClosed, "object writer is closed") }

func (w *ObjectWriter) lock() (*C.zova_object_writer, error) {
	w.db.mu.Lock()
	if w.handle == nil {
		w.db.mu.Unlock()
		return nil, errWriterClosed()
	}
	return w.handle, nil
}

// destroy frees the C writer (cancelling it when unfinished); mutex held.
func (w *ObjectWriter) destroy() {
	C.zova_object_writer_destroy(w.handle)
	w.handle = nil
	delete(w.db.writers, w)
}

// Write appends data to the object. It implements io.Writer: on success it
// returns len(data).
func (w *ObjectWriter) Write(data []byte) (int, error) {
	handle, err := w.lock()
	if err != nil {
		return 0, err
	}
	defer w.db.mu.Unlock()
	m := w.db.mem()
	defer m.free()
	req := cnew[C.zova_object_writer_write_request](&m)
	req.writer = handle
	req.data = m.bytes(data)
	req.len = C.size_t(len(data))
	if err := w.db.check(C.zova_object_writer_write(req)); err != nil {
		return 0, err
	}
	return len(data), nil
}

// Finish stores the object and returns its id; on success the writer is
// destroyed. After a failed Finish the writer stays open: Finish or Cancel
// may be retried (Write then fails with StatusObjectWriterClosed).
func (w *ObjectWriter) Finish() (ObjectID, error) {
	handle, err := w.lock()
	if err != nil {
		return ObjectID{}, err
	}
	defer w.db.mu.Unlock()
	m := w.db.mem()
	defer m.free()
	req := cnew[C.zova_object_writer_finish_request](&m)
	out := cnew[C.zova_object_id](&m)
	req.writer = handle
	req.out_id = out
	if err := w.db.check(C.zova_object_writer_finish(req)); err != nil {
		return ObjectID{}, err
	}
	id := goObjectID(out)
	w.destroy()
	return id, nil
}

// Cancel discards what was written and destroys the writer.
func (w *ObjectWriter) Cancel() error {
	handle, err := w.lock()
	if err != nil {
		return err
	}
	defer w.db.mu.Unlock()
	m := w.db.mem()
	defer m.free()
	req := cnew[C.zova_object_writer_cancel_request](&m)
	req.writer = handle
	if err := w.db.check(C.zova_object_writer_cancel(req)); err != nil {
		return err
	}
	w.destroy()
	return nil
}

// Close destroys the writer; the C side cancels an unfinished writer. Closing
// a closed writer is a no-op.
func (w *ObjectWriter) Close() error {
	w.db.mu.Lock()
	defer w.db.mu.Unlock()
	if w.handle != nil {
		w.destroy()
	}
	return nil
}
