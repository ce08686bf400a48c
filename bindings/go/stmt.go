package zova

// stmt.go owns prepared statements (cli-and-bindings §3.2 *Stmt): prepare,
// binding, stepping and column access. Every call holds the owning DB's mutex.

/*
#include <stdlib.h>
#include "zova.h"
*/
import "C"

import (
	"math"
	"unsafe"
)

// Stmt is a prepared statement. It belongs to its DB: DB.Close finalises it.
type Stmt struct {
	db     *DB
	handle *C.zova_statement
}

// Prepare compiles one SQL statement.
func (db *DB) Prepare(sql string) (*Stmt, error) {
	if err := checkString(sql, "sql"); err != nil {
		return nil, err
	}
	handle, err := db.lock()
	if err != nil {
		return nil, err
	}
	defer db.mu.Unlock()
	m := db.mem()
	defer m.free()
	req := cnew[C.zova_database_prepare_request](&m)
	out := cnew[*C.zova_statement](&m)
	req.db = handle
	req.sql = m.str(sql)
	req.out_statement = out
	if err := db.check(C.zova_database_prepare(req)); err != nil {
		return nil, err
	}
	stmt := &Stmt{db: db, handle: *out}
	db.stmts[stmt] = struct{}{}
	return stmt, nil
}

// lock takes the DB mutex and returns the statement handle, or a StatusMisuse
// error (mutex released) when the statement or its database is closed.
func (s *Stmt) lock() (*C.zova_statement, error) {
	s.db.mu.Lock()
	if s.handle == nil {
		closedDB := s.db.handle == nil
		s.db.mu.Unlock()
		if closedDB {
			return nil, errDatabaseClosed()
		}
		return nil, newError(StatusMisuse, "statement is closed")
	}
	return s.handle, nil
}

func (s *Stmt) unlock() { s.db.mu.Unlock() }

func parameterIndex(index int) (C.int, error) {
	if index <= 0 || index > math.MaxInt32 {
		return 0, invalidArgument("parameter index out of range")
	}
	return C.int(index), nil
}

func columnIndex(index int) (C.int, error) {
	if index < 0 || index > math.MaxInt32 {
		return 0, invalidArgument("column index out of range")
	}
	return C.int(index), nil
}

// Close finalises the statement. Closing a closed statement is a no-op.
func (s *Stmt) Close() error {
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	if s.handle == nil {
		return nil
	}
	status := C.zova_statement_finalize(s.handle)
	s.handle = nil
	delete(s.db.stmts, s)
	if s.db.handle == nil {
		return nil
	}
	return s.db.check(status)
}

// Step runs the statement to its next row (StepRow) or to completion (StepDone).
func (s *Stmt) Step() (Step, error) {
	handle, err := s.lock()
	if err != nil {
		return 0, err
	}
	defer s.unlock()
	m := s.db.mem()
	defer m.free()
	req := cnew[C.zova_statement_step_request](&m)
	out := cnew[C.zova_step_result](&m)
	req.statement = handle
	req.out_result = out
	if err := s.db.check(C.zova_statement_step(req)); err != nil {
		return 0, err
	}
	return Step(*out), nil
}

// Reset rewinds the statement; bindings are kept.
func (s *Stmt) Reset() error {
	handle, err := s.lock()
	if err != nil {
		return err
	}
	defer s.unlock()
	return s.db.check(C.zova_statement_reset(handle))
}

// ClearBindings sets every parameter to NULL.
func (s *Stmt) ClearBindings() error {
	handle, err := s.lock()
	if err != nil {
		return err
	}
	defer s.unlock()
	return s.db.check(C.zova_statement_clear_bindings(handle))
}

// BindNull binds SQL NULL to the 1-based parameter index.
func (s *Stmt) BindNull(index int) error {
	i, err := parameterIndex(index)
	if err != nil {
		return err
	}
	handle, err := s.lock()
	if err != nil {
		return err
	}
	defer s.unlock()
	m := s.db.mem()
	defer m.free()
	req := cnew[C.zova_statement_bind_null_request](&m)
	req.statement = handle
	req.index = i
	return s.db.check(C.zova_statement_bind_null(req))
}

// BindInt64 binds an integer to the 1-based parameter index.
func (s *Stmt) BindInt64(index int, value int64) error {
	i, err := parameterIndex(index)
	if err != nil {
		return err
	}
	handle, err := s.lock()
	if err != nil {
		return err
	}
	defer s.unlock()
	m := s.db.mem()
	defer m.free()
	req := cnew[C.zova_statement_bind_int64_request](&m)
	req.statement = handle
	req.index = i
	req.value = C.int64_t(value)
	return s.db.check(C.zova_statement_bind_int64(req))
}

// BindFloat64 binds a float to the 1-based parameter index.
func (s *Stmt) BindFloat64(index int, value float64) error {
	i, err := parameterIndex(index)
	if err != nil {
		return err
	}
	handle, err := s.lock()
	if err != nil {
		return err
	}
	defer s.unlock()
	m := s.db.mem()
	defer m.free()
	req := cnew[C.zova_statement_bind_double_request](&m)
	req.statement = handle
	req.index = i
	req.value = C.double(value)
	return s.db.check(C.zova_statement_bind_double(req))
}

// BindText binds text to the 1-based parameter index ("" binds an empty
// TEXT, not NULL).
func (s *Stmt) BindText(index int, value string) error {
	i, err := parameterIndex(index)
	if err != nil {
		return err
	}
	if err := checkString(value, "text"); err != nil {
		return err
	}
	handle, err := s.lock()
	if err != nil {
		return err
	}
	defer s.unlock()
	m := s.db.mem()
	defer m.free()
	req := cnew[C.zova_statement_bind_text_request](&m)
	req.statement = handle
	req.index = i
	req.data = m.text(value)
	req.len = C.size_t(len(value))
	return s.db.check(C.zova_statement_bind_text(req))
}

// BindBlob binds bytes to the 1-based parameter index (an empty slice binds
// a zero-length BLOB, not NULL).
func (s *Stmt) BindBlob(index int, value []byte) error {
	i, err := parameterIndex(index)
	if err != nil {
		return err
	}
	handle, err := s.lock()
	if err != nil {
		return err
	}
	defer s.unlock()
	m := s.db.mem()
	defer m.free()
	req := cnew[C.zova_statement_bind_blob_request](&m)
	req.statement = handle
	req.index = i
	req.data = m.bytes(value)
	req.len = C.size_t(len(value))
	return s.db.check(C.zova_statement_bind_blob(req))
}

// ParameterCount returns the number of SQL parameters.
func (s *Stmt) ParameterCount() (int, error) {
	handle, err := s.lock()
	if err != nil {
		return 0, err
	}
	defer s.unlock()
	m := s.db.mem()
	defer m.free()
	req := cnew[C.zova_statement_parameter_count_request](&m)
	out := cnew[C.int](&m)
	req.statement = handle
	req.out_count = out
	if err := s.db.check(C.zova_statement_parameter_count(req)); err != nil {
		return 0, err
	}
	return int(*out), nil
}

// ParameterIndex returns the 1-based index of a named parameter (with its
// prefix, e.g. ":name"), or 0 when there is none.
func (s *Stmt) ParameterIndex(name string) (int, error) {
	if err := checkString(name, "parameter name"); err != nil {
		return 0, err
	}
	handle, err := s.lock()
	if err != nil {
		return 0, err
	}
	defer s.unlock()
	m := s.db.mem()
	defer m.free()
	req := cnew[C.zova_statement_parameter_index_request](&m)
	out := cnew[C.int](&m)
	req.statement = handle
	req.name = m.str(name)
	req.out_index = out
	if err := s.db.check(C.zova_statement_parameter_index(req)); err != nil {
		return 0, err
	}
	return int(*out), nil
}

// ColumnCount returns the number of result columns.
func (s *Stmt) ColumnCount() (int, error) {
	handle, err := s.lock()
	if err != nil {
		return 0, err
	}
	defer s.unlock()
	m := s.db.mem()
	defer m.free()
	req := cnew[C.zova_statement_column_count_request](&m)
	out := cnew[C.int](&m)
	req.statement = handle
	req.out_count = out
	if err := s.db.check(C.zova_statement_column_count(req)); err != nil {
		return 0, err
	}
	return int(*out), nil
}

// ColumnName returns the name of the 0-based result column.
func (s *Stmt) ColumnName(index int) (string, error) {
	i, err := columnIndex(index)
	if err != nil {
		return "", err
	}
	handle, err := s.lock()
	if err != nil {
		return "", err
	}
	defer s.unlock()
	m := s.db.mem()
	defer m.free()
	req := cnew[C.zova_statement_column_name_request](&m)
	out := cnew[C.zova_text](&m)
	req.statement = handle
	req.index = i
	req.out_name = out
	defer C.zova_text_free(out)
	if err := s.db.check(C.zova_statement_column_name(req)); err != nil {
		return "", err
	}
	if out.data == nil {
		return "", nil
	}
	return C.GoStringN(out.data, C.int(out.len)), nil
}

// ColumnType returns the storage class of the 0-based column in the current row.
func (s *Stmt) ColumnType(index int) (ColumnType, error) {
	i, err := columnIndex(index)
	if err != nil {
		return 0, err
	}
	handle, err := s.lock()
	if err != nil {
		return 0, err
	}
	defer s.unlock()
	return s.columnType(handle, i)
}

func (s *Stmt) columnType(handle *C.zova_statement, i C.int) (ColumnType, error) {
	m := s.db.mem()
	defer m.free()
	req := cnew[C.zova_statement_column_type_request](&m)
	out := cnew[C.zova_column_type](&m)
	req.statement = handle
	req.index = i
	req.out_type = out
	if err := s.db.check(C.zova_statement_column_type(req)); err != nil {
		return 0, err
	}
	return ColumnType(*out), nil
}

// ColumnInt64 returns the 0-based column as an integer.
func (s *Stmt) ColumnInt64(index int) (int64, error) {
	i, err := columnIndex(index)
	if err != nil {
		return 0, err
	}
	handle, err := s.lock()
	if err != nil {
		return 0, err
	}
	defer s.unlock()
	m := s.db.mem()
	defer m.free()
	req := cnew[C.zova_statement_column_int64_request](&m)
	out := cnew[C.int64_t](&m)
	req.statement = handle
	req.index = i
	req.out_value = out
	if err := s.db.check(C.zova_statement_column_int64(req)); err != nil {
		return 0, err
	}
	return int64(*out), nil
}

// ColumnFloat64 returns the 0-based column as a float.
func (s *Stmt) ColumnFloat64(index int) (float64, error) {
	i, err := columnIndex(index)
	if err != nil {
		return 0, err
	}
	handle, err := s.lock()
	if err != nil {
		return 0, err
	}
	defer s.unlock()
	m := s.db.mem()
	defer m.free()
	req := cnew[C.zova_statement_column_double_request](&m)
	out := cnew[C.double](&m)
	req.statement = handle
	req.index = i
	req.out_value = out
	if err := s.db.check(C.zova_statement_column_double(req)); err != nil {
		return 0, err
	}
	return float64(*out), nil
}

// ColumnText returns the 0-based column as text; ok is false only for SQL NULL.
func (s *Stmt) ColumnText(index int) (value string, ok bool, err error) {
	i, err := columnIndex(index)
	if err != nil {
		return "", false, err
	}
	handle, err := s.lock()
	if err != nil {
		return "", false, err
	}
	defer s.unlock()
	m := s.db.mem()
	defer m.free()
	req := cnew[C.zova_statement_column_text_request](&m)
	out := cnew[C.zova_text](&m)
	req.statement = handle
	req.index = i
	req.out_text = out
	defer C.zova_text_free(out)
	if err := s.db.check(C.zova_statement_column_text(req)); err != nil {
		return "", false, err
	}
	if out.data == nil {
		return "", false, nil
	}
	return C.GoStringN(out.data, C.int(out.len)), true, nil
}

// ColumnBlob returns the 0-based column as bytes; ok is false only for SQL
// NULL, and an empty BLOB gives []byte{} with ok true.
func (s *Stmt) ColumnBlob(index int) (value []byte, ok bool, err error) {
	i, err := columnIndex(index)
	if err != nil {
		return nil, false, err
	}
	handle, err := s.lock()
	if err != nil {
		return nil, false, err
	}
	defer s.unlock()
	m := s.db.mem()
	defer m.free()
	req := cnew[C.zova_statement_column_blob_request](&m)
	out := cnew[C.zova_buffer](&m)
	req.statement = handle
	req.index = i
	req.out_buffer = out
	defer C.zova_buffer_free(out)
	if err := s.db.check(C.zova_statement_column_blob(req)); err != nil {
		return nil, false, err
	}
	if out.data != nil {
		return C.GoBytes(unsafe.Pointer(out.data), C.int(out.len)), true, nil
	}
	// {NULL, 0} is both SQL NULL and a zero-length value (c-abi §0.2 item 2).
	kind, err := s.columnType(handle, i)
	if err != nil {
		return nil, false, err
	}
	if kind == ColumnNull {
		return nil, false, nil
	}
	return []byte{}, true, nil
}
