"""Prepared statements (docs/c-api.md §4.7, docs/python.md §2.3 ``Statement``).

The hot path calls the scalar shims of ``_native_shims.h``; each is one call
into the public C ABI.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, SupportsIndex, Union

from ._native import ffi, lib
from .errors import ClosedHandleError, ZovaError, call_error, encode_str, index_int
from .objects import _byte_view
from .handle import NativeDatabase
from .records import Cursor, EncodedParameters, encode_parameters, is_dml

__all__ = ["Statement"]

# A row as the statement returns it, and the parameters execute binds.
Row = tuple[Any, ...]
Params = Union[Sequence[Any], Mapping[str, Any]]

_INT32_MAX = 2**31 - 1
_UINT64_MAX = 2**64 - 1


def _index(value: SupportsIndex, *, minimum: int) -> int:
    """A usize index as the upstream binding takes it: negative or over u64 is
    OverflowError; outside minimum..i32 max is INVALID_ARGUMENT with no message."""
    value = index_int(value, "index")
    if value < 0 or value > _UINT64_MAX:
        raise OverflowError("index out of range")
    if value < minimum or value > _INT32_MAX:
        raise ZovaError(lib.ZOVA_INVALID_ARGUMENT)
    return value


_CLOSED = 1000      # ZV_PY_CLOSED of _native_shims.h: the statement was closed
_BAD_COLUMN = 1001  # ZV_PY_BAD_COLUMN: a column index out of range


def _check(status: int, column: int = -1) -> None:
    if status:
        if status == _CLOSED:
            raise ClosedHandleError("statement is closed")
        if status == _BAD_COLUMN:
            raise ZovaError(lib.ZOVA_INVALID_ARGUMENT, f"column index {column} out of range for this statement")
        raise call_error(status)


def _blob_arg(value: Any) -> tuple[Any, int]:
    """(data, length) for bind_blob: the bytes objects put_object takes."""
    if isinstance(value, bytes):
        return value, len(value)
    if isinstance(value, str):
        raise TypeError("blob value must be a bytes-like object, not str")
    view = _byte_view(value)
    return ffi.from_buffer(view), view.nbytes


class Statement:
    """One compiled SQL statement. Keeps its database's native handle alive.

    A statement may be shared between threads: each call runs whole (the C core
    serialises calls on a database and its statements), :meth:`close` waits for
    calls in flight and later calls raise :class:`ClosedHandleError`, and row
    reading is a cursor: :meth:`fetchall` reads the remaining rows as one unit,
    and an iteration (``for row in stmt``) raises ``ZOVA_MISUSE`` if another
    caller steps, resets or iterates the statement before it ends, instead of
    returning rows that belong to someone else.

    Index arguments are ints (numpy integers too, not bool): parameters count
    from 1, columns from 0; a negative index or one over u64 raises
    OverflowError, one out of range InvalidArgumentError. Every method raises
    :class:`ClosedHandleError` after :meth:`close`. ``Statement(...)`` raises
    TypeError: use :meth:`zova.Database.prepare`."""

    __slots__ = ("_native", "_guard", "_batch", "_rows_lock", "_cursor", "_shape", "__weakref__")

    _native: NativeDatabase
    _guard: Any
    _batch: Any
    _rows_lock: threading.Lock
    _cursor: object | None
    _shape: tuple[tuple[str | None, ...], bool] | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("Statement has no public constructor; use Database.prepare")

    @classmethod
    def _wrap(cls, native: NativeDatabase, ptr: Any) -> "Statement":
        self = cls.__new__(cls)
        self._native = native
        self._guard = ffi.new("zv_py_guard *")  # calls in flight (handle.Guard; shims take it directly)
        self._guard.handle = ptr
        self._batch = None
        self._rows_lock = threading.Lock()  # one batch of rows read and converted at a time
        self._cursor = None                 # the iteration that owns the statement's position
        self._shape = None                  # (parameter names, is DML), read once by _parameters_and_dml
        return self

    def _run(self, function: Callable[..., Any], *args: Any) -> Any:
        """function(zova_statement *, *args) as a call in flight; returns its result."""
        guard = self._guard
        if not lib.zv_py_guard_enter(guard):
            raise ClosedHandleError("statement is closed")
        try:
            return function(ffi.cast("zova_statement *", guard.handle), *args)
        finally:
            lib.zv_py_guard_leave(guard)

    def _run_checked(self, function: Callable[..., int], *args: Any) -> None:
        _check(self._run(function, *args))

    def close(self) -> None:
        """Finalizes the statement, after the calls other threads are making on
        it; idempotent.

        Raises:
            Nothing.
        """
        guard = getattr(self, "_guard", None)
        if guard is not None and lib.zv_py_guard_close(guard):
            lib.zova_statement_finalize(ffi.cast("zova_statement *", guard.handle))
            if self._batch is not None:
                lib.zv_py_batch_free(self._batch)
                self._batch = None
            self._native.release()

    def __del__(self) -> None:
        self.close()

    def __enter__(self) -> "Statement":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        self.close()
        return False

    # ---- parameters ----

    def parameter_count(self) -> int:
        """The number of parameters (the largest ``?NNN`` index).

        Returns:
            The count, 0 for a statement without parameters.
        """
        out = ffi.new("int *")
        self._run_checked(lambda ptr: lib.zova_statement_parameter_count(
            ffi.new("zova_statement_parameter_count_request *", [ptr, out])))
        return int(out[0])

    def parameter_index(self, name: str) -> int | None:
        """The index of a named parameter.

        Args:
            name: its name with the prefix (``":id"``).

        Returns:
            The 1-based index, or None when the statement has no such parameter.

        Raises:
            TypeError, ValueError: ``name`` is not a str, or holds a NUL.
        """
        encoded = ffi.new("char[]", encode_str(name, "parameter name"))
        out = ffi.new("int *")
        self._run_checked(lambda ptr: lib.zova_statement_parameter_index(
            ffi.new("zova_statement_parameter_index_request *", [ptr, encoded, out])))
        return int(out[0]) or None

    def bind_null(self, index: SupportsIndex) -> None:
        """Binds NULL to a parameter.

        Args:
            index: the 1-based parameter index.

        Raises:
            SQLiteError: ``index`` beyond the statement\'s parameters
                (InvalidArgumentError below 1 or over 2**31 - 1).
            OverflowError: ``index`` negative or over u64.
        """
        _check(lib.zv_py_bind_null(self._guard, _index(index, minimum=1)))

    def bind_int(self, index: SupportsIndex, value: int) -> None:
        """Binds a 64-bit INTEGER to a parameter.

        Args:
            index: the 1-based parameter index.
            value: the int.

        Raises:
            SQLiteError: ``index`` beyond the statement\'s parameters
                (InvalidArgumentError below 1 or over 2**31 - 1).
            OverflowError: ``index`` negative or over u64.
            OverflowError: ``value`` outside 64 bits. TypeError: not an int.
        """
        _check(lib.zv_py_bind_int64(self._guard, _index(index, minimum=1), value))

    def bind_float(self, index: SupportsIndex, value: float) -> None:
        """Binds a REAL to a parameter.

        Args:
            index: the 1-based parameter index.
            value: the float.

        Raises:
            SQLiteError: ``index`` beyond the statement\'s parameters
                (InvalidArgumentError below 1 or over 2**31 - 1).
            OverflowError: ``index`` negative or over u64.
            TypeError: ``value`` is not a number.
        """
        _check(lib.zv_py_bind_double(self._guard, _index(index, minimum=1), value))

    def bind_text(self, index: SupportsIndex, value: str) -> None:
        """Binds TEXT (UTF-8) to a parameter.

        Args:
            index: the 1-based parameter index.
            value: the str (may hold NUL characters).

        Raises:
            SQLiteError: ``index`` beyond the statement\'s parameters
                (InvalidArgumentError below 1 or over 2**31 - 1).
            OverflowError: ``index`` negative or over u64.
            TypeError: ``value`` is not a str.
        """
        if not isinstance(value, str):
            raise TypeError(f"text value must be str, not {type(value).__name__}")
        data = value.encode("utf-8")
        _check(lib.zv_py_bind_text(self._guard, _index(index, minimum=1), data, len(data)))

    def bind_blob(self, index: SupportsIndex, value: Any) -> None:
        """Binds a BLOB to a parameter.

        Args:
            index: the 1-based parameter index.
            value: any bytes-like object, or a list or tuple of ints in 0..255.

        Raises:
            SQLiteError: ``index`` beyond the statement\'s parameters
                (InvalidArgumentError below 1 or over 2**31 - 1).
            OverflowError: ``index`` negative or over u64.
            TypeError: ``value`` is a str or not bytes-like.
        """
        data, length = _blob_arg(value)
        _check(lib.zv_py_bind_blob(self._guard, _index(index, minimum=1), data, length))

    # ---- execution ----

    def step(self) -> int:
        """Runs the statement to its next row.

        Returns:
            :attr:`zova.Step.ROW` (1) when a row is ready, :attr:`zova.Step.DONE` (2) at the end.

        Raises:
            SQLiteError, ConstraintError, BusyError, ReadOnlyError...: the
                failure of SQLite, by family. Interrupted: a bound
                :class:`zova.Cancel` was cancelled.
        """
        self._cursor = None  # an iteration in progress no longer owns the position
        result = lib.zv_py_step(self._guard)
        if result < 0:
            _check(-result)
        return int(result)

    def reset(self) -> None:
        """Rewinds the statement to run again; its bindings stay.

        Raises:
            ZovaError: the error of the last step, as SQLite reports it again.
        """
        with self._rows_lock:  # not in the middle of another thread's batch
            self._cursor = None
            _check(lib.zv_py_reset(self._guard))

    def clear_bindings(self) -> None:
        """Sets every parameter back to NULL.

        Raises:
            ClosedHandleError: the statement is closed.
        """
        self._run_checked(lib.zova_statement_clear_bindings)

    # ---- columns ----

    def column_count(self) -> int:
        """The number of result columns.

        Returns:
            The count, 0 for a statement that returns no rows.
        """
        count = lib.zv_py_column_count(self._guard)
        if count < 0:
            _check(-count)
        return int(count)

    def column_name(self, index: SupportsIndex) -> str:
        """The name of a result column.

        Args:
            index: the 0-based column index.

        Returns:
            The name (``AS`` alias if any).

        Raises:
            InvalidArgumentError: ``index`` out of range.
            OverflowError: ``index`` negative or over u64.
        """
        index = _index(index, minimum=0)
        text = ffi.new("zova_text *")
        self._run_checked(lambda ptr: lib.zova_statement_column_name(
            ffi.new("zova_statement_column_name_request *", [ptr, index, text])))
        return _take_text(text)

    def _column(self, shim: Callable[..., int], ctype: str, index: SupportsIndex) -> Any:
        index = _index(index, minimum=0)
        out = ffi.new(ctype)
        _check(shim(self._guard, index, out), index)
        return out[0]

    def column_type(self, index: SupportsIndex) -> int:
        """The storage class of a column's value in the current row.

        Args:
            index: the 0-based column index.

        Returns:
            A :class:`zova.ColumnType` value as an int.

        Raises:
            InvalidArgumentError: ``index`` out of range.
            OverflowError: ``index`` negative or over u64.
        """
        return int(self._column(lib.zv_py_column_type, "int *", index))

    def column_int(self, index: SupportsIndex) -> int:
        """A column's value in the current row as an INTEGER (SQLite's conversion).

        Args:
            index: the 0-based column index.

        Returns:
            The int (0 for NULL).

        Raises:
            InvalidArgumentError: ``index`` out of range.
            OverflowError: ``index`` negative or over u64.
        """
        return int(self._column(lib.zv_py_column_int64, "int64_t *", index))

    def column_float(self, index: SupportsIndex) -> float:
        """A column's value in the current row as a REAL (SQLite's conversion).

        Args:
            index: the 0-based column index.

        Returns:
            The float (0.0 for NULL).

        Raises:
            InvalidArgumentError: ``index`` out of range.
            OverflowError: ``index`` negative or over u64.
        """
        return float(self._column(lib.zv_py_column_double, "double *", index))

    def column_text(self, index: SupportsIndex) -> str | None:
        """A column's value in the current row as TEXT.

        Args:
            index: the 0-based column index.

        Returns:
            The str, or None for NULL.

        Raises:
            InvalidArgumentError: ``index`` out of range.
            OverflowError: ``index`` negative or over u64.
            ValueError: the text is not valid UTF-8.
        """
        index = _index(index, minimum=0)
        text = ffi.new("zova_text *")
        _check(lib.zv_py_column_text(self._guard, index, text), index)
        if text.data == ffi.NULL:
            return None
        return _take_text(text)

    def column_blob(self, index: SupportsIndex) -> bytes | None:
        """A column's value in the current row as a BLOB.

        Args:
            index: the 0-based column index.

        Returns:
            The bytes, or None for NULL (b"" for an empty blob).

        Raises:
            InvalidArgumentError: ``index`` out of range.
            OverflowError: ``index`` negative or over u64.
        """
        index = _index(index, minimum=0)
        buffer = ffi.new("zova_buffer *")
        kind = ffi.new("int *")
        _check(lib.zv_py_column_blob(self._guard, index, buffer, kind), index)
        if buffer.data == ffi.NULL:
            # {NULL, 0} is both SQL NULL and an empty blob (docs/c-api.md §0.2 item 2).
            return None if kind[0] == lib.ZOVA_COLUMN_NULL else b""
        data: bytes = ffi.buffer(buffer.data, buffer.len)[:]
        lib.zova_buffer_free(buffer)
        return data

    # ---- whole rows (an addition to the upstream API) ----

    def _start_rows(self) -> object:
        """Claims the statement's position for a new reader of its rows (an
        iteration, a Cursor) and returns the reader's token for _next_rows."""
        token = object()
        with self._rows_lock:
            self._cursor = token
        return token

    def _next_rows(self, token: object, everything: bool) -> tuple[list[Row], bool]:
        """(rows, at_end) for the reader `token`: its next batch, or with
        `everything` all its remaining rows read as one unit."""
        with self._rows_lock:
            if everything:
                return self._fetch_rest(token), True
            rows = self._fetch_batch(token)
            return rows, len(rows) < _BATCH_ROWS

    def _fetch_rest(self, cursor: object) -> list[tuple[Any, ...]]:
        """All remaining rows for the iteration `cursor`; the caller holds the rows lock."""
        rows: list[Row] = []
        while True:
            batch = self._fetch_batch(cursor)
            rows.extend(batch)
            if len(batch) < _BATCH_ROWS:
                return rows

    def _fetch_batch(self, cursor: object) -> list[tuple[Any, ...]]:
        """The next batch of rows as tuples ([] at the end) for the iteration
        `cursor`, which must still own the statement's position. The caller
        holds the rows lock."""
        if self._cursor is not cursor:
            raise ZovaError(lib.ZOVA_MISUSE, "statement was stepped, reset or iterated by another caller during "
                            "this iteration")
        guard = self._guard
        if not lib.zv_py_guard_enter(guard):
            raise ClosedHandleError("statement is closed")
        try:
            ptr = ffi.cast("zova_statement *", guard.handle)
            columns = lib.zv_py_count_columns(ptr)
            batch = self._batch
            if batch is None:
                batch = lib.zv_py_batch_new(columns, _BATCH_ROWS)
                if batch == ffi.NULL:
                    raise MemoryError("cannot allocate a row batch")
                self._batch = batch
            rows = lib.zv_py_fetch_batch(ptr, batch)
            if rows < 0:
                raise call_error(-rows)
            values: list[Row]
            if columns == 0:
                values = [()] * rows
            else:
                values = list(zip(*[_column_values(batch.cols[c], rows) for c in range(columns)]))
        finally:
            lib.zv_py_guard_leave(guard)
        if rows < _BATCH_ROWS:
            self._cursor = None
        return values

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        """Steps to the end, yielding each row as a tuple of Python values
        (int, float, str, bytes or None). Rows are fetched in batches.

        Yields:
            Each row. Raises MisuseError if another caller steps, resets or
            iterates the statement meanwhile.
        """
        token = self._start_rows()
        while True:
            rows, at_end = self._next_rows(token, everything=False)
            yield from rows
            if at_end:
                return

    def fetchall(self) -> list[tuple[Any, ...]]:
        """All remaining rows as a list of tuples. An iteration or reset from
        another thread waits until it is done.

        Returns:
            The rows (tuples of int, float, str, bytes or None).

        Raises:
            MisuseError: a step from another thread meanwhile (``ZOVA_MISUSE``).
            ZovaError: SQLite's failure while stepping.
        """
        cursor = object()
        with self._rows_lock:
            self._cursor = cursor
            return self._fetch_rest(cursor)

    # ---- execute with parameters (an addition to the upstream API; README "Records") ----

    def execute(self, params: Params = ()) -> Cursor:
        """Resets the statement, clears its bindings, binds ``params`` and runs it.

        ``params`` is a sequence for ``?`` and ``?NNN`` parameters or a mapping
        for ``:name``, ``@name`` and ``$name`` ones (keys without the prefix).
        Values: None, int (bool, numpy integers), float, str, bytes-like
        (BLOB) and :class:`zova.ObjectId` (its 32 bytes). A statement without
        result columns runs to its end here; one with columns returns a
        :class:`Cursor` over its rows, which owns the statement's position
        (another caller stepping it meanwhile makes the cursor raise
        ``ZOVA_MISUSE``). The statement stays open.

        Args:
            params: the parameters' values, a sequence or a mapping.

        Returns:
            A :class:`zova.Cursor` over the rows (finished for a statement without columns).

        Raises:
            InvalidArgumentError: a wrong number of parameters, a missing name
                or a sequence for named parameters (and the reverse).
            TypeError: a value of an unsupported type.
            OverflowError: an int outside 64 bits.
            ZovaError: SQLite's failures, by family.
            ClosedHandleError: the statement is closed.
        """
        return self._execute(params, owns_statement=False)

    def _execute(self, params: Params, owns_statement: bool) -> Cursor:
        """execute; owns_statement: the cursor closes the statement after its
        rows (Database.execute), and a statement without columns closes now."""
        names, dml = self._parameters_and_dml()
        columns = encode_parameters([params], names, lambda row: "execute")
        if self.column_count() == 0:
            rowcount, lastrowid = self._run_rows(columns, 1)
            if owns_statement:
                self.close()
            return Cursor._finished(rowcount if dml else -1, lastrowid)
        token = object()
        with self._rows_lock:
            self._cursor = token  # claimed first: a step from elsewhere after the bind is seen
            _check(lib.zv_py_bind_parameters(self._guard, columns.array, columns.count))
        return Cursor._reading(self, token, owns_statement=owns_statement)

    def _run_rows(self, columns: EncodedParameters, rows: int) -> tuple[int, int]:
        """Runs the statement once per row of the encoded `columns`, under one
        lock; (changes, last insert rowid)."""
        out = ffi.new("int64_t[3]")
        with self._rows_lock:
            self._cursor = None
            _check(lib.zv_py_run_rows(self._guard, columns.array, columns.count, rows, out))
        return int(out[0]), int(out[1])

    def _parameters_and_dml(self) -> tuple[tuple[str | None, ...], bool]:
        """(each parameter's name, None for a plain "?"; whether the SQL is an
        INSERT, UPDATE, DELETE or REPLACE, whose changes count as rowcount)."""
        if self._shape is None:
            count = self.parameter_count()

            def read(ptr: Any) -> tuple[str | None, ...]:
                names = [lib.zv_py_parameter_name(ptr, index) for index in range(1, count + 1)]
                return tuple(None if name == ffi.NULL else ffi.string(name).decode("utf-8") for name in names)

            sql = self._run(lambda ptr: ffi.string(lib.zv_py_statement_sql(ptr)).decode("utf-8", "replace"))
            self._shape = (self._run(read), is_dml(sql))
        return self._shape


_BATCH_ROWS = 256


def _take_text(text: Any) -> str:
    """Copies and frees a zova_text filled by the C core."""
    raw: bytes = ffi.unpack(text.data, text.len)
    lib.zova_text_free(text)
    return _decode(raw)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("SQL text column is not valid UTF-8") from None


def _column_values(column: Any, rows: int) -> list[Any]:
    kind = column.uniform_type
    if kind == lib.ZOVA_COLUMN_INTEGER:
        ints: list[int] = ffi.unpack(column.ints, rows)
        return ints
    if kind == lib.ZOVA_COLUMN_FLOAT:
        floats: list[float] = ffi.unpack(column.floats, rows)
        return floats
    if kind == lib.ZOVA_COLUMN_NULL:
        return [None] * rows
    payload: bytes = ffi.unpack(column.bytes, column.bytes_len) if column.bytes_len else b""
    if kind == lib.ZOVA_COLUMN_TEXT and not column.text_has_nul:
        return _decode(payload).split("\0", rows)[:rows]
    offsets = ffi.unpack(column.offsets, rows + 1)
    types = ffi.unpack(column.types, rows)
    values: list[Any] = []
    for row, kind in enumerate(types):
        if kind == lib.ZOVA_COLUMN_INTEGER:
            values.append(column.ints[row])
        elif kind == lib.ZOVA_COLUMN_FLOAT:
            values.append(column.floats[row])
        elif kind == lib.ZOVA_COLUMN_TEXT:
            values.append(_decode(payload[offsets[row]:offsets[row + 1] - 1]))
        elif kind == lib.ZOVA_COLUMN_BLOB:
            values.append(payload[offsets[row]:offsets[row + 1]])
        else:
            values.append(None)
    return values
