package zova

// stmt.go owns prepared statements (docs/go.md §3.2 *Stmt): prepare,
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
	return callOut(db, func(m *cmem, h *C.zova_database, req *C.zova_database_prepare_request, out **C.zova_statement) C.zova_status {
		req.db, req.sql, req.out_statement = h, m.str(sql), out
		return C.zova_database_prepare(req)
	}, func(out **C.zova_statement) *Stmt {
		stmt := &Stmt{db: db, handle: *out}
		db.stmts[stmt] = struct{}{}
		return stmt
	})
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

func (s *Stmt) owner() *DB { return s.db }

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

// bind runs a bind call on the 1-based parameter index; fill sets up the
// request with the statement handle, the index and the value.
func bind[Req any](s *Stmt, index int, fill func(m *cmem, h *C.zova_statement, i C.int, req *Req) C.zova_status) error {
	i, err := parameterIndex(index)
	if err != nil {
		return err
	}
	return call(s, func(m *cmem, h *C.zova_statement, req *Req) C.zova_status { return fill(m, h, i, req) })
}

// column runs a getter of the 0-based result column index; fill sets up the
// request with the statement handle, the index and the output.
func column[Req, Out, T any](s *Stmt, index int, fill func(h *C.zova_statement, i C.int, req *Req, out *Out) C.zova_status, result func(*Out) T) (T, error) {
	i, err := columnIndex(index)
	if err != nil {
		var zero T
		return zero, err
	}
	return callOut(s, func(_ *cmem, h *C.zova_statement, req *Req, out *Out) C.zova_status { return fill(h, i, req, out) }, result)
}

// Step runs the statement to its next row (StepRow) or to completion (StepDone).
func (s *Stmt) Step() (Step, error) {
	return callOut(s, func(_ *cmem, h *C.zova_statement, req *C.zova_statement_step_request, out *C.zova_step_result) C.zova_status {
		req.statement, req.out_result = h, out
		return C.zova_statement_step(req)
	}, func(out *C.zova_step_result) Step { return Step(*out) })
}

// Reset rewinds the statement; bindings are kept.
func (s *Stmt) Reset() error {
	return with(s, func(_ *cmem, h *C.zova_statement) error { return s.db.check(C.zova_statement_reset(h)) })
}

// ClearBindings sets every parameter to NULL.
func (s *Stmt) ClearBindings() error {
	return with(s, func(_ *cmem, h *C.zova_statement) error { return s.db.check(C.zova_statement_clear_bindings(h)) })
}

// BindNull binds SQL NULL to the 1-based parameter index.
func (s *Stmt) BindNull(index int) error {
	return bind(s, index, func(_ *cmem, h *C.zova_statement, i C.int, req *C.zova_statement_bind_null_request) C.zova_status {
		req.statement, req.index = h, i
		return C.zova_statement_bind_null(req)
	})
}

// BindInt64 binds an integer to the 1-based parameter index.
func (s *Stmt) BindInt64(index int, value int64) error {
	return bind(s, index, func(_ *cmem, h *C.zova_statement, i C.int, req *C.zova_statement_bind_int64_request) C.zova_status {
		req.statement, req.index, req.value = h, i, C.int64_t(value)
		return C.zova_statement_bind_int64(req)
	})
}

// BindFloat64 binds a float to the 1-based parameter index.
func (s *Stmt) BindFloat64(index int, value float64) error {
	return bind(s, index, func(_ *cmem, h *C.zova_statement, i C.int, req *C.zova_statement_bind_double_request) C.zova_status {
		req.statement, req.index, req.value = h, i, C.double(value)
		return C.zova_statement_bind_double(req)
	})
}

// BindText binds text to the 1-based parameter index ("" binds an empty
// TEXT, not NULL).
func (s *Stmt) BindText(index int, value string) error {
	// A bad index is reported before a NUL in the text.
	if _, err := parameterIndex(index); err != nil {
		return err
	}
	if err := checkString(value, "text"); err != nil {
		return err
	}
	return bind(s, index, func(m *cmem, h *C.zova_statement, i C.int, req *C.zova_statement_bind_text_request) C.zova_status {
		req.statement, req.index, req.data, req.len = h, i, m.text(value), C.size_t(len(value))
		return C.zova_statement_bind_text(req)
	})
}

// BindBlob binds bytes to the 1-based parameter index (an empty slice binds
// a zero-length BLOB, not NULL).
func (s *Stmt) BindBlob(index int, value []byte) error {
	return bind(s, index, func(m *cmem, h *C.zova_statement, i C.int, req *C.zova_statement_bind_blob_request) C.zova_status {
		req.statement, req.index, req.data, req.len = h, i, m.bytes(value), C.size_t(len(value))
		return C.zova_statement_bind_blob(req)
	})
}

// ParameterCount returns the number of SQL parameters.
func (s *Stmt) ParameterCount() (int, error) {
	return callOut(s, func(_ *cmem, h *C.zova_statement, req *C.zova_statement_parameter_count_request, out *C.int) C.zova_status {
		req.statement, req.out_count = h, out
		return C.zova_statement_parameter_count(req)
	}, goInt)
}

// ParameterIndex returns the 1-based index of a named parameter (with its
// prefix, e.g. ":name"), or 0 when there is none.
func (s *Stmt) ParameterIndex(name string) (int, error) {
	if err := checkString(name, "parameter name"); err != nil {
		return 0, err
	}
	return callOut(s, func(m *cmem, h *C.zova_statement, req *C.zova_statement_parameter_index_request, out *C.int) C.zova_status {
		req.statement, req.name, req.out_index = h, m.str(name), out
		return C.zova_statement_parameter_index(req)
	}, goInt)
}

// ColumnCount returns the number of result columns.
func (s *Stmt) ColumnCount() (int, error) {
	return callOut(s, func(_ *cmem, h *C.zova_statement, req *C.zova_statement_column_count_request, out *C.int) C.zova_status {
		req.statement, req.out_count = h, out
		return C.zova_statement_column_count(req)
	}, goInt)
}

// ColumnName returns the name of the 0-based result column.
func (s *Stmt) ColumnName(index int) (string, error) {
	return column(s, index, func(h *C.zova_statement, i C.int, req *C.zova_statement_column_name_request, out *C.zova_text) C.zova_status {
		req.statement, req.index, req.out_name = h, i, out
		return C.zova_statement_column_name(req)
	}, func(out *C.zova_text) string {
		text, _ := goText(out)
		return text
	})
}

// ColumnType returns the storage class of the 0-based column in the current row.
func (s *Stmt) ColumnType(index int) (ColumnType, error) {
	return column(s, index, columnTypeRequest, goColumnType)
}

func columnTypeRequest(h *C.zova_statement, i C.int, req *C.zova_statement_column_type_request, out *C.zova_column_type) C.zova_status {
	req.statement, req.index, req.out_type = h, i, out
	return C.zova_statement_column_type(req)
}

func goColumnType(out *C.zova_column_type) ColumnType { return ColumnType(*out) }

// ColumnInt64 returns the 0-based column as an integer.
func (s *Stmt) ColumnInt64(index int) (int64, error) {
	return column(s, index, func(h *C.zova_statement, i C.int, req *C.zova_statement_column_int64_request, out *C.int64_t) C.zova_status {
		req.statement, req.index, req.out_value = h, i, out
		return C.zova_statement_column_int64(req)
	}, goInt64)
}

// ColumnFloat64 returns the 0-based column as a float.
func (s *Stmt) ColumnFloat64(index int) (float64, error) {
	return column(s, index, func(h *C.zova_statement, i C.int, req *C.zova_statement_column_double_request, out *C.double) C.zova_status {
		req.statement, req.index, req.out_value = h, i, out
		return C.zova_statement_column_double(req)
	}, func(out *C.double) float64 { return float64(*out) })
}

// goText copies a C text; ok is false when it is NULL.
func goText(out *C.zova_text) (string, bool) {
	if out.data == nil {
		return "", false
	}
	return C.GoStringN(out.data, C.int(out.len)), true
}

// textValue is ColumnText's result before it is split into value and ok.
type textValue struct {
	value string
	ok    bool
}

// ColumnText returns the 0-based column as text; ok is false only for SQL NULL.
func (s *Stmt) ColumnText(index int) (value string, ok bool, err error) {
	text, err := column(s, index, func(h *C.zova_statement, i C.int, req *C.zova_statement_column_text_request, out *C.zova_text) C.zova_status {
		req.statement, req.index, req.out_text = h, i, out
		return C.zova_statement_column_text(req)
	}, func(out *C.zova_text) textValue {
		value, ok := goText(out)
		return textValue{value, ok}
	})
	return text.value, text.ok, err
}

// ColumnBlob returns the 0-based column as bytes; ok is false only for SQL
// NULL, and an empty BLOB gives []byte{} with ok true.
func (s *Stmt) ColumnBlob(index int) (value []byte, ok bool, err error) {
	i, err := columnIndex(index)
	if err != nil {
		return nil, false, err
	}
	err = with(s, func(m *cmem, h *C.zova_statement) error {
		value, err = request(s.db, m, func(out *C.zova_buffer) C.zova_status {
			req := cnew[C.zova_statement_column_blob_request](m)
			req.statement, req.index, req.out_buffer = h, i, out
			return C.zova_statement_column_blob(req)
		}, func(out *C.zova_buffer) []byte {
			if out.data == nil {
				return nil
			}
			return C.GoBytes(unsafe.Pointer(out.data), C.int(out.len))
		})
		if err != nil {
			return err
		}
		if value != nil {
			ok = true
			return nil
		}
		// {NULL, 0} is both SQL NULL and a zero-length value (docs/c-api.md §0.2 item 2).
		kind, err := request(s.db, m, func(out *C.zova_column_type) C.zova_status {
			return columnTypeRequest(h, i, cnew[C.zova_statement_column_type_request](m), out)
		}, goColumnType)
		if err == nil && kind != ColumnNull {
			value, ok = []byte{}, true
		}
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return value, ok, nil
}
