package zova

// writer.go owns the streaming object writer (docs/go.md §3.2
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
	return callOut(db, func(_ *cmem, h *C.zova_database, req *C.zova_object_writer_create_request, out **C.zova_object_writer) C.zova_status {
		req.db, req.out_writer = h, out
		return C.zova_object_writer_create(req)
	}, func(out **C.zova_object_writer) *ObjectWriter {
		writer := &ObjectWriter{db: db, handle: *out}
		db.writers[writer] = struct{}{}
		return writer
	})
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

func (w *ObjectWriter) owner() *DB { return w.db }

// destroy frees the C writer (cancelling it when unfinished); mutex held.
func (w *ObjectWriter) destroy() {
	C.zova_object_writer_destroy(w.handle)
	w.handle = nil
	delete(w.db.writers, w)
}

// Write appends data to the object. It implements io.Writer: on success it
// returns len(data).
func (w *ObjectWriter) Write(data []byte) (int, error) {
	err := call(w, func(m *cmem, h *C.zova_object_writer, req *C.zova_object_writer_write_request) C.zova_status {
		req.writer, req.data, req.len = h, m.bytes(data), C.size_t(len(data))
		return C.zova_object_writer_write(req)
	})
	if err != nil {
		return 0, err
	}
	return len(data), nil
}

// Finish stores the object and returns its id; on success the writer is
// destroyed. After a failed Finish the writer stays open: Finish or Cancel
// may be retried (Write then fails with StatusObjectWriterClosed).
func (w *ObjectWriter) Finish() (ObjectID, error) {
	return callOut(w, func(_ *cmem, h *C.zova_object_writer, req *C.zova_object_writer_finish_request, out *C.zova_object_id) C.zova_status {
		req.writer, req.out_id = h, out
		return C.zova_object_writer_finish(req)
	}, func(out *C.zova_object_id) ObjectID {
		id := goObjectID(out)
		w.destroy()
		return id
	})
}

// Cancel discards what was written and destroys the writer.
func (w *ObjectWriter) Cancel() error {
	return with(w, func(m *cmem, h *C.zova_object_writer) error {
		req := cnew[C.zova_object_writer_cancel_request](m)
		req.writer = h
		if err := w.db.check(C.zova_object_writer_cancel(req)); err != nil {
			return err
		}
		w.destroy()
		return nil
	})
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
