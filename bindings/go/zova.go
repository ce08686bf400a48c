// Package zova is the Go binding of Zova (docs/go.md §3): cgo over the C API
// of include/zova.h (docs/c-api.md).
//
// This file owns the cgo directives, the package-level functions, statuses and
// errors, the C memory helpers and the DB handle (lifecycle, SQL, transactions
// and savepoints). Statements are in stmt.go, objects in objects.go, the object
// writer in writer.go, vectors in vectors.go and operational copies in
// operations.go.
//
// Building: cgo compiles the C core from the module's own files.
// zova_bundle.c includes csrc/bundle.c, the C core and the vendored SQLite as
// one translation unit (SQLite with internal linkage, so no sqlite3_* symbol
// clashes with another SQLite in the program); csrc/ is a copy made by
// `python3 build.py sync-bindings`. A program that imports the package needs
// only Go and a C compiler; nothing is linked from outside the module but
// libc, libm, libpthread and libdl. The cgo flags of that build are in
// zova_bundled.go; with -tags zova_system, zova_system.go links an installed
// libzova_c through pkg-config (zova.pc) instead.
//
// Memory discipline: no Go pointer is ever passed to C. Requests, inputs and
// out-parameters live in C memory (calloc'd, freed before returning); empty
// byte slices and strings are passed as NULL with length 0.
//
// Locking: every call through a DB, including calls through its Stmt and
// ObjectWriter values, holds the DB's mutex, and error messages are copied
// from zova_database_last_error_message while it is held.
package zova

/*
#include <stdlib.h>
#include "zova.h"
*/
import "C"

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"strings"
	"sync"
	"unsafe"
)

// Status is a Zova status code; the values equal the C zova_status codes.
type Status int

// Status constants (docs/c-api.md §2.1).
const (
	StatusOK                       Status = 0
	StatusInvalidArgument          Status = 1
	StatusOutOfMemory              Status = 2
	StatusBusy                     Status = 10
	StatusLocked                   Status = 11
	StatusConstraint               Status = 12
	StatusCantOpen                 Status = 13
	StatusReadOnly                 Status = 14
	StatusCorrupt                  Status = 15
	StatusMisuse                   Status = 16
	StatusSQLiteError              Status = 17
	StatusNotZovaPath              Status = 30
	StatusNotZovaDatabase          Status = 31
	StatusUnsupportedZovaVersion   Status = 32
	StatusDestinationExists        Status = 33
	StatusZovaNameConflict         Status = 34
	StatusObjectNotFound           Status = 50
	StatusObjectAlreadyExists      Status = 51
	StatusObjectChunkNotFound      Status = 52
	StatusObjectChunkHashMismatch  Status = 53
	StatusObjectCorrupt            Status = 54
	StatusObjectManifestInvalid    Status = 55
	StatusObjectRangeInvalid       Status = 56
	StatusObjectTooLarge           Status = 57
	StatusObjectTransactionActive  Status = 58
	StatusObjectWriterClosed       Status = 59
	StatusVectorCollectionExists   Status = 70
	StatusVectorCollectionNotFound Status = 71
	StatusVectorNotFound           Status = 72
	StatusVectorDimensionMismatch  Status = 73
	StatusVectorCorrupt            Status = 74
	StatusVectorInvalid            Status = 75
)

// Step is the result of Stmt.Step.
type Step int

// Step results.
const (
	StepRow  Step = 1
	StepDone Step = 2
)

// ColumnType is the storage class of a result column.
type ColumnType int

// Column types.
const (
	ColumnInteger ColumnType = 1
	ColumnFloat   ColumnType = 2
	ColumnText    ColumnType = 3
	ColumnBlob    ColumnType = 4
	ColumnNull    ColumnType = 5
)

// VectorMetric is the distance metric of a vector collection.
type VectorMetric int

// Vector metrics.
const (
	VectorMetricCosine VectorMetric = 0
	VectorMetricL2     VectorMetric = 1
	VectorMetricDot    VectorMetric = 2
)

// Error is a failed Zova call: its status, the status name and a copy of the
// message the C library gave (empty when there was none).
type Error struct {
	Status  Status
	Name    string
	Message string
}

// Error returns "Name: Message", or "Name" when there is no message.
func (e *Error) Error() string {
	if e.Message == "" {
		return e.Name
	}
	return e.Name + ": " + e.Message
}

func newError(status Status, message string) *Error {
	return &Error{Status: status, Name: StatusName(status), Message: message}
}

func invalidArgument(message string) error { return newError(StatusInvalidArgument, message) }

func errDatabaseClosed() error { return newError(StatusMisuse, "database is closed") }

// checkString rejects strings the C side would truncate at an interior NUL.
func checkString(s, context string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return invalidArgument(context + " contains NUL byte")
	}
	return nil
}

// ---- package functions ----

// ABIVersion returns the C library's ABI version string, e.g. "0.17.0".
func ABIVersion() string { return C.GoString(C.zova_abi_version_string()) }

// ABIVersionNumbers returns the C library's ABI version as numbers.
func ABIVersionNumbers() (major, minor, patch uint32) {
	return uint32(C.zova_abi_version_major()), uint32(C.zova_abi_version_minor()), uint32(C.zova_abi_version_patch())
}

// StatusName returns the C name of a status, e.g. "ZOVA_OBJECT_NOT_FOUND"
// ("ZOVA_UNKNOWN_STATUS" for values that are not statuses).
func StatusName(status Status) string {
	if status < math.MinInt32 || status > math.MaxInt32 {
		return "ZOVA_UNKNOWN_STATUS"
	}
	return C.GoString(C.zova_status_name(C.zova_status(status)))
}

// ObjectIDFor returns the id an object with these bytes has (SHA-256).
func ObjectIDFor(data []byte) ObjectID { return ObjectID(sha256.Sum256(data)) }

// ObjectChunkIDFor returns the id a chunk with these bytes has (SHA-256).
func ObjectChunkIDFor(data []byte) ObjectChunkID { return ObjectChunkID(sha256.Sum256(data)) }

// EncodeVectorBlob encodes values as little-endian f32 (4 bytes each), the
// layout of stored vectors and of query blobs for the SQL helpers. NaN and
// infinities are encoded as they are.
func EncodeVectorBlob(values []float32) []byte {
	out := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(v))
	}
	return out
}

// ---- C memory ----

// scratchSize is the per-DB block of C memory that calls holding the DB's
// mutex use for their requests and small outputs, instead of calloc/free.
const scratchSize = 1024

// cmem hands out zeroed C memory for one call and releases it in free. With a
// DB (see callMem) it first takes memory from the DB's scratch block (free
// rewinds it), then falls back to calloc.
type cmem struct {
	db    *DB
	start uintptr
	ptrs  []unsafe.Pointer
}

// callMem returns the allocator of the call holding db.mu. Calls do not nest
// (the mutex is not reentrant), so one per DB serves them all, and passing it
// to closures costs no heap allocation per call.
func (db *DB) callMem() *cmem {
	db.call.db, db.call.start = db, db.scratchUsed
	return &db.call
}

func (m *cmem) alloc(size uintptr) unsafe.Pointer {
	if size == 0 {
		size = 1
	}
	if db := m.db; db != nil && db.scratch != nil {
		offset := (db.scratchUsed + 7) &^ 7
		if offset+size <= scratchSize {
			p := unsafe.Add(db.scratch, offset)
			clear(unsafe.Slice((*byte)(p), size))
			db.scratchUsed = offset + size
			return p
		}
	}
	p := C.calloc(1, C.size_t(size))
	if p == nil {
		panic("zova: out of C memory")
	}
	m.ptrs = append(m.ptrs, p)
	return p
}

func (m *cmem) free() {
	for _, p := range m.ptrs {
		C.free(p)
	}
	m.ptrs = nil
	if m.db != nil {
		m.db.scratchUsed = m.start
	}
}

// cnew allocates a zeroed C value of type T.
func cnew[T any](m *cmem) *T {
	var zero T
	return (*T)(m.alloc(unsafe.Sizeof(zero)))
}

// carray allocates n > 0 zeroed C values of type T, as a slice over C memory.
func carray[T any](m *cmem, n int) []T {
	var zero T
	return unsafe.Slice((*T)(m.alloc(unsafe.Sizeof(zero)*uintptr(n))), n)
}

// text copies s into C memory (not terminated); empty input gives NULL.
func (m *cmem) text(s string) *C.uint8_t {
	if len(s) == 0 {
		return nil
	}
	p := m.alloc(uintptr(len(s)))
	copy(unsafe.Slice((*byte)(p), len(s)), s)
	return (*C.uint8_t)(p)
}

// str copies s into C memory (NUL-terminated).
func (m *cmem) str(s string) *C.char {
	p := m.alloc(uintptr(len(s) + 1))
	copy(unsafe.Slice((*byte)(p), len(s)), s)
	return (*C.char)(p)
}

// bytes copies b into C memory; empty input gives NULL.
func (m *cmem) bytes(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	p := m.alloc(uintptr(len(b)))
	copy(unsafe.Slice((*byte)(p), len(b)), b)
	return (*C.uint8_t)(p)
}

// floats copies values into C memory; empty input gives NULL.
func (m *cmem) floats(values []float32) *C.float {
	if len(values) == 0 {
		return nil
	}
	p := m.alloc(uintptr(4 * len(values)))
	copy(unsafe.Slice((*float32)(p), len(values)), values)
	return (*C.float)(p)
}

// strs copies strings into a C array of C strings; empty input gives NULL.
func (m *cmem) strs(values []string) **C.char {
	if len(values) == 0 {
		return nil
	}
	p := m.alloc(unsafe.Sizeof((*C.char)(nil)) * uintptr(len(values)))
	array := unsafe.Slice((**C.char)(p), len(values))
	for i, s := range values {
		array[i] = m.str(s)
	}
	return (**C.char)(p)
}

func takeMessage(message *C.zova_message) string {
	if message == nil || message.data == nil {
		return ""
	}
	text := C.GoStringN(message.data, C.int(message.len))
	C.zova_message_free(message)
	return text
}

func goBuffer(buffer *C.zova_buffer) []byte {
	if buffer.data == nil || buffer.len == 0 {
		return []byte{}
	}
	return C.GoBytes(unsafe.Pointer(buffer.data), C.int(buffer.len))
}

// ---- calls ----

// lockable is what a call goes through: a DB, a Stmt or an ObjectWriter. Each
// of them holds its DB's mutex for the call.
type lockable[H any] interface {
	// lock takes the DB's mutex and returns the C handle, or the closed-handle
	// error (mutex released).
	lock() (H, error)
	// owner is the DB whose mutex, scratch memory and last error message the
	// call uses.
	owner() *DB
}

func (db *DB) owner() *DB { return db }

// with runs fn on x's C handle holding the DB's mutex, with this call's C
// memory (released when fn returns).
func with[H any](x lockable[H], fn func(m *cmem, h H) error) error {
	h, err := x.lock()
	if err != nil {
		return err
	}
	db := x.owner()
	defer db.mu.Unlock()
	m := db.callMem()
	defer m.free()
	return fn(m, h)
}

// call is the shape of a C call without outputs: fill sets up a zeroed request
// in C memory and calls C; the status becomes the error, with the database's
// last error message.
func call[H, Req any](x lockable[H], fill func(m *cmem, h H, req *Req) C.zova_status) error {
	return with(x, func(m *cmem, h H) error { return x.owner().check(fill(m, h, cnew[Req](m))) })
}

// callOut is call with one output: fill also gets a zeroed output in C memory,
// which result converts to Go after a successful call.
func callOut[H, Req, Out, T any](x lockable[H], fill func(m *cmem, h H, req *Req, out *Out) C.zova_status, result func(*Out) T) (value T, err error) {
	err = with(x, func(m *cmem, h H) error {
		req := cnew[Req](m)
		value, err = request(x.owner(), m, func(out *Out) C.zova_status { return fill(m, h, req, out) }, result)
		return err
	})
	return value, err
}

// request is callOut's body for a caller that already holds the mutex: it
// allocates the output in m, runs call, checks the status and converts the
// output. C memory the output owns is released (freeOut) whether or not the
// call succeeded.
func request[Out, T any](db *DB, m *cmem, call func(out *Out) C.zova_status, result func(*Out) T) (T, error) {
	out := cnew[Out](m)
	defer freeOut(out)
	if err := db.check(call(out)); err != nil {
		var zero T
		return zero, err
	}
	return result(out), nil
}

// freeOut releases the C memory an output owns; outputs of other types own none.
func freeOut(out any) {
	switch out := out.(type) {
	case *C.zova_buffer:
		C.zova_buffer_free(out)
	case *C.zova_text:
		C.zova_text_free(out)
	case *C.zova_object_manifest:
		C.zova_object_manifest_free(out)
	case *C.zova_vector:
		C.zova_vector_free(out)
	case *C.zova_vector_collection_info:
		C.zova_vector_collection_info_free(out)
	case *C.zova_vector_collection_list:
		C.zova_vector_collection_list_free(out)
	case *C.zova_vector_search_results:
		C.zova_vector_search_results_free(out)
	}
}

// callWithMessage runs a call made without a DB (open, restore, convert): fill
// sets up a zeroed request whose error message goes to msg, and calls C.
func callWithMessage[Req any](fill func(m *cmem, req *Req, msg *C.zova_message) C.zova_status) error {
	var m cmem
	defer m.free()
	req, msg := cnew[Req](&m), cnew[C.zova_message](&m)
	status := Status(fill(&m, req, msg))
	message := takeMessage(msg)
	if status != StatusOK {
		return newError(status, message)
	}
	return nil
}

// Output converters for callOut.
func goBool(out *C.uint8_t) bool      { return *out != 0 }
func goInt(out *C.int) int            { return int(*out) }
func goInt64(out *C.int64_t) int64    { return int64(*out) }
func goUint64(out *C.uint64_t) uint64 { return uint64(*out) }

// ---- DB ----

// OpenOptions are the options of OpenWithOptions.
type OpenOptions struct {
	ReadOnly      bool
	BusyTimeoutMS uint32
}

// DB is an open .zova database. It is safe for use from several goroutines;
// calls are serialised by its mutex.
type DB struct {
	mu          sync.Mutex
	handle      *C.zova_database
	stmts       map[*Stmt]struct{}
	writers     map[*ObjectWriter]struct{}
	scratch     unsafe.Pointer // scratchSize bytes of C memory, used under mu
	scratchUsed uintptr
	call        cmem // the C memory of the call holding mu (see callMem)
}

func newDB(handle *C.zova_database) *DB {
	return &DB{handle: handle, stmts: map[*Stmt]struct{}{}, writers: map[*ObjectWriter]struct{}{},
		scratch: C.calloc(1, scratchSize)}
}

// open runs a create or open call; fill sets up the request with the path,
// the out-parameter for the handle and the error message.
func open[Req any](path string, fill func(req *Req, path *C.char, out **C.zova_database, msg *C.zova_message) C.zova_status) (*DB, error) {
	if err := checkString(path, "path"); err != nil {
		return nil, err
	}
	var handle *C.zova_database
	err := callWithMessage(func(m *cmem, req *Req, msg *C.zova_message) C.zova_status {
		out := cnew[*C.zova_database](m)
		status := fill(req, m.str(path), out, msg)
		handle = *out
		return status
	})
	if err != nil {
		return nil, err
	}
	return newDB(handle), nil
}

// Create creates a new .zova file; it never overwrites an existing file.
func Create(path string) (*DB, error) {
	return open(path, func(req *C.zova_database_open_request, path *C.char, out **C.zova_database, msg *C.zova_message) C.zova_status {
		req.path, req.out_db, req.out_error_message = path, out, msg
		return C.zova_database_create(req)
	})
}

// Open opens an existing .zova file read-write.
func Open(path string) (*DB, error) { return OpenWithOptions(path, OpenOptions{}) }

// OpenWithOptions opens an existing .zova file.
func OpenWithOptions(path string, options OpenOptions) (*DB, error) {
	return open(path, func(req *C.zova_database_open_options_request, path *C.char, out **C.zova_database, msg *C.zova_message) C.zova_status {
		req.path, req.out_db, req.out_error_message = path, out, msg
		if options.ReadOnly {
			req.flags = C.ZOVA_OPEN_READ_ONLY
		}
		req.busy_timeout_ms = C.uint32_t(options.BusyTimeoutMS)
		return C.zova_database_open_with_options(req)
	})
}

// lock takes the mutex and returns the C handle, or an error (with the mutex
// released) when the database is closed.
func (db *DB) lock() (*C.zova_database, error) {
	db.mu.Lock()
	if db.handle == nil {
		db.mu.Unlock()
		return nil, errDatabaseClosed()
	}
	return db.handle, nil
}

// check turns a C status into an error, copying the handle's last error
// message. The caller holds the mutex.
func (db *DB) check(status C.zova_status) error {
	if Status(status) == StatusOK {
		return nil
	}
	return newError(Status(status), C.GoString(C.zova_database_last_error_message(db.handle)))
}

// Close finalises every open statement and destroys every open object writer
// (cancelling unfinished ones), then closes the database. A second Close
// returns StatusMisuse "database is closed".
func (db *DB) Close() error {
	handle, err := db.lock()
	if err != nil {
		return err
	}
	defer db.mu.Unlock()
	for stmt := range db.stmts {
		C.zova_statement_finalize(stmt.handle)
		stmt.handle = nil
	}
	for writer := range db.writers {
		C.zova_object_writer_destroy(writer.handle)
		writer.handle = nil
	}
	clear(db.stmts)
	clear(db.writers)
	if err := db.check(C.zova_database_close(handle)); err != nil {
		return err
	}
	db.handle = nil
	C.free(db.scratch)
	db.scratch = nil
	return nil
}

// Exec runs one or more SQL statements that return no rows.
func (db *DB) Exec(sql string) error {
	if err := checkString(sql, "sql"); err != nil {
		return err
	}
	return call(db, func(m *cmem, h *C.zova_database, req *C.zova_database_exec_request) C.zova_status {
		req.db, req.sql = h, m.str(sql)
		return C.zova_database_exec(req)
	})
}

func (db *DB) simple(fn func(*C.zova_database_simple_request) C.zova_status) error {
	return call(db, func(_ *cmem, h *C.zova_database, req *C.zova_database_simple_request) C.zova_status {
		req.db = h
		return fn(req)
	})
}

// Begin starts a deferred transaction.
func (db *DB) Begin() error {
	return db.simple(func(r *C.zova_database_simple_request) C.zova_status { return C.zova_database_begin(r) })
}

// BeginImmediate starts a transaction that takes the write lock at once.
func (db *DB) BeginImmediate() error {
	return db.simple(func(r *C.zova_database_simple_request) C.zova_status { return C.zova_database_begin_immediate(r) })
}

// Commit commits the current transaction.
func (db *DB) Commit() error {
	return db.simple(func(r *C.zova_database_simple_request) C.zova_status { return C.zova_database_commit(r) })
}

// Rollback rolls the current transaction back.
func (db *DB) Rollback() error {
	return db.simple(func(r *C.zova_database_simple_request) C.zova_status { return C.zova_database_rollback(r) })
}

// Vacuum rebuilds the database file in place.
func (db *DB) Vacuum() error {
	return db.simple(func(r *C.zova_database_simple_request) C.zova_status { return C.zova_database_vacuum(r) })
}

func (db *DB) savepointCall(name string, fn func(*C.zova_database_savepoint_request) C.zova_status) error {
	if err := checkString(name, "savepoint name"); err != nil {
		return err
	}
	return call(db, func(m *cmem, h *C.zova_database, req *C.zova_database_savepoint_request) C.zova_status {
		req.db, req.name = h, m.str(name)
		return fn(req)
	})
}

// Savepoint opens a savepoint (names: ASCII letter or underscore, then
// letters, digits or underscores).
func (db *DB) Savepoint(name string) error {
	return db.savepointCall(name, func(r *C.zova_database_savepoint_request) C.zova_status { return C.zova_database_savepoint(r) })
}

// RollbackToSavepoint rolls back to a savepoint, which stays open.
func (db *DB) RollbackToSavepoint(name string) error {
	return db.savepointCall(name, func(r *C.zova_database_savepoint_request) C.zova_status {
		return C.zova_database_rollback_to_savepoint(r)
	})
}

// ReleaseSavepoint releases a savepoint.
func (db *DB) ReleaseSavepoint(name string) error {
	return db.savepointCall(name, func(r *C.zova_database_savepoint_request) C.zova_status {
		return C.zova_database_release_savepoint(r)
	})
}

// WithSavepoint runs fn inside the savepoint name. When fn returns nil the
// savepoint is released; when it fails (or panics) the savepoint is rolled
// back and released, and fn's error is returned (a cleanup error replaces it).
func (db *DB) WithSavepoint(name string, fn func(*DB) error) (err error) {
	if fn == nil {
		return invalidArgument("WithSavepoint callback is nil")
	}
	if err := db.Savepoint(name); err != nil {
		return err
	}
	completed := false
	defer func() {
		if completed {
			return
		}
		// fn panicked: undo, then let the panic continue.
		db.RollbackToSavepoint(name)
		db.ReleaseSavepoint(name)
	}()
	fnErr := fn(db)
	completed = true
	if fnErr == nil {
		return db.ReleaseSavepoint(name)
	}
	if err := db.RollbackToSavepoint(name); err != nil {
		return err
	}
	if err := db.ReleaseSavepoint(name); err != nil {
		return err
	}
	return fnErr
}

// SetBusyTimeout sets how long a call waits for a lock held by another
// connection (at most 2147483647 ms).
func (db *DB) SetBusyTimeout(milliseconds uint32) error {
	return call(db, func(_ *cmem, h *C.zova_database, req *C.zova_database_busy_timeout_request) C.zova_status {
		req.db, req.milliseconds = h, C.uint32_t(milliseconds)
		return C.zova_database_set_busy_timeout(req)
	})
}

// LastInsertRowID returns the rowid of the most recent successful INSERT.
func (db *DB) LastInsertRowID() (int64, error) {
	return callOut(db, func(_ *cmem, h *C.zova_database, req *C.zova_database_last_insert_rowid_request, out *C.int64_t) C.zova_status {
		req.db, req.out_rowid = h, out
		return C.zova_database_last_insert_rowid(req)
	}, goInt64)
}

// Changes returns the number of rows changed by the most recent statement.
func (db *DB) Changes() (int64, error) {
	return callOut(db, func(_ *cmem, h *C.zova_database, req *C.zova_database_changes_request, out *C.int64_t) C.zova_status {
		req.db, req.out_changes = h, out
		return C.zova_database_changes(req)
	}, goInt64)
}

// TotalChanges returns the number of rows changed since the database was opened.
func (db *DB) TotalChanges() (int64, error) {
	return callOut(db, func(_ *cmem, h *C.zova_database, req *C.zova_database_total_changes_request, out *C.int64_t) C.zova_status {
		req.db, req.out_total_changes = h, out
		return C.zova_database_total_changes(req)
	}, goInt64)
}
