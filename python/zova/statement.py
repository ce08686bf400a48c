"""Prepared statements (c-abi §4.7, cli-and-bindings §2.3 ``Statement``).

The hot path calls the scalar shims of ``_native_shims.h``; each is one call
into the public C ABI.
"""
from __future__ import annotations

from ._native import ffi, lib
from .errors import ClosedHandleError, ZovaError, encode_str

_INT32_MAX = 2**31 - 1
_UINT64_MAX = 2**64 - 1


def _index(value: int, *, minimum: int) -> int:
    """A usize index as the upstream binding takes it: negative or over u64 is
    OverflowError; outside minimum..i32 max is INVALID_ARGUMENT with no message."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"index must be int, not {type(value).__name__}")
    if value < 0 or value > _UINT64_MAX:
        raise OverflowError("index out of range")
    if value < minimum or value > _INT32_MAX:
        raise ZovaError(lib.ZOVA_INVALID_ARGUMENT)
    return value


def _blob_arg(value):
    if isinstance(value, bytes):
        return value, len(value)
    if isinstance(value, str):
        raise TypeError("blob value must be a bytes-like object, not str")
    view = memoryview(value)
    return ffi.from_buffer(view), view.nbytes


class Statement:
    """One compiled SQL statement. Keeps its database's native handle alive."""

    __slots__ = ("_native", "_ptr", "_text", "_buffer", "_batch", "__weakref__")

    def __init__(self, *args, **kwargs) -> None:
        raise TypeError("Statement has no public constructor; use Database.prepare")

    @classmethod
    def _wrap(cls, native, ptr) -> "Statement":
        self = cls.__new__(cls)
        self._native = native
        self._ptr = ptr
        self._text = ffi.new("zova_text *")
        self._buffer = ffi.new("zova_buffer *")
        self._batch = None
        return self

    def _live(self):
        ptr = self._ptr
        if ptr is None:
            raise ClosedHandleError("statement is closed")
        return ptr

    def _check(self, status: int) -> None:
        if status:
            raise ZovaError(status, self._native.last_error())

    def close(self) -> None:
        ptr, self._ptr = self._ptr, None
        if ptr is not None:
            if self._batch is not None:
                lib.zv_py_batch_free(self._batch)
                self._batch = None
            lib.zova_statement_finalize(ptr)
            self._native.release()

    def __del__(self) -> None:
        if getattr(self, "_ptr", None) is not None:
            self.close()

    def __enter__(self) -> "Statement":
        return self

    def __exit__(self, *exc) -> bool:
        self.close()
        return False

    # ---- parameters ----

    def parameter_count(self) -> int:
        request = ffi.new("zova_statement_parameter_count_request *", [self._live()])
        out = ffi.new("int *")
        request.out_count = out
        self._check(lib.zova_statement_parameter_count(request))
        return out[0]

    def parameter_index(self, name: str) -> int | None:
        encoded = encode_str(name, "parameter name")
        out = ffi.new("int *")
        request = ffi.new("zova_statement_parameter_index_request *")
        request.statement = self._live()
        keep = ffi.new("char[]", encoded)
        request.name = keep
        request.out_index = out
        self._check(lib.zova_statement_parameter_index(request))
        return out[0] or None

    def bind_null(self, index: int) -> None:
        self._check(lib.zv_py_bind_null(self._live(), _index(index, minimum=1)))

    def bind_int(self, index: int, value: int) -> None:
        self._check(lib.zv_py_bind_int64(self._live(), _index(index, minimum=1), value))

    def bind_float(self, index: int, value: float) -> None:
        self._check(lib.zv_py_bind_double(self._live(), _index(index, minimum=1), value))

    def bind_text(self, index: int, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"text value must be str, not {type(value).__name__}")
        data = value.encode("utf-8")
        self._check(lib.zv_py_bind_text(self._live(), _index(index, minimum=1), data, len(data)))

    def bind_blob(self, index: int, value) -> None:
        data, length = _blob_arg(value)
        self._check(lib.zv_py_bind_blob(self._live(), _index(index, minimum=1), data, length))

    # ---- execution ----

    def step(self) -> int:
        result = lib.zv_py_step(self._live())
        if result < 0:
            raise ZovaError(-result, self._native.last_error())
        return result

    def reset(self) -> None:
        self._check(lib.zova_statement_reset(self._live()))

    def clear_bindings(self) -> None:
        self._check(lib.zova_statement_clear_bindings(self._live()))

    # ---- columns ----

    def column_count(self) -> int:
        return lib.zv_py_column_count(self._live())

    def column_name(self, index: int) -> str:
        request = ffi.new("zova_statement_column_name_request *")
        request.statement = self._live()
        request.index = _index(index, minimum=0)
        request.out_name = self._text
        self._check(lib.zova_statement_column_name(request))
        return self._take_text()

    def column_type(self, index: int) -> int:
        return lib.zv_py_column_type(self._live(), _index(index, minimum=0))

    def column_int(self, index: int) -> int:
        return lib.zv_py_column_int64(self._live(), _index(index, minimum=0))

    def column_float(self, index: int) -> float:
        return lib.zv_py_column_double(self._live(), _index(index, minimum=0))

    def column_text(self, index: int) -> str | None:
        self._check(lib.zv_py_column_text(self._live(), _index(index, minimum=0), self._text))
        if self._text.data == ffi.NULL:
            return None
        return self._take_text()

    def column_blob(self, index: int) -> bytes | None:
        ptr = self._live()
        index = _index(index, minimum=0)
        self._check(lib.zv_py_column_blob(ptr, index, self._buffer))
        buffer = self._buffer
        if buffer.data == ffi.NULL:
            # {NULL, 0} is both SQL NULL and an empty blob (c-abi §0.2 item 2).
            return None if lib.zv_py_column_type(ptr, index) == lib.ZOVA_COLUMN_NULL else b""
        data = ffi.buffer(buffer.data, buffer.len)[:]
        lib.zova_buffer_free(buffer)
        return data

    def _take_text(self) -> str:
        text = self._text
        raw = ffi.unpack(text.data, text.len)
        lib.zova_text_free(text)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("SQL text column is not valid UTF-8") from None

    # ---- whole rows (an addition to the upstream API) ----

    def __iter__(self):
        """Steps to the end, yielding each row as a tuple of Python values
        (int, float, str, bytes or None). Rows are fetched in batches."""
        ptr = self._live()
        columns = lib.zv_py_column_count(ptr)
        if self._batch is None:
            self._batch = lib.zv_py_batch_new(columns, _BATCH_ROWS)
            if self._batch == ffi.NULL:
                self._batch = None
                raise MemoryError("cannot allocate a row batch")
        batch = self._batch
        while True:
            rows = lib.zv_py_fetch_batch(self._live(), batch)
            if rows < 0:
                raise ZovaError(-rows, self._native.last_error())
            if rows == 0:
                return
            if columns == 0:
                yield from [()] * rows
            else:
                yield from zip(*[_column_values(batch.cols[c], rows) for c in range(columns)])
            if rows < _BATCH_ROWS:
                return

    def fetchall(self) -> list[tuple]:
        """All remaining rows as a list of tuples."""
        return list(self)


_BATCH_ROWS = 256


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("SQL text column is not valid UTF-8") from None


def _column_values(column, rows: int) -> list:
    kind = column.uniform_type
    if kind == lib.ZOVA_COLUMN_INTEGER:
        return ffi.unpack(column.ints, rows)
    if kind == lib.ZOVA_COLUMN_FLOAT:
        return ffi.unpack(column.floats, rows)
    if kind == lib.ZOVA_COLUMN_NULL:
        return [None] * rows
    payload = ffi.unpack(column.bytes, column.bytes_len) if column.bytes_len else b""
    if kind == lib.ZOVA_COLUMN_TEXT and not column.text_has_nul:
        return _decode(payload).split("\0", rows)[:rows]
    offsets = ffi.unpack(column.offsets, rows + 1)
    types = ffi.unpack(column.types, rows)
    values = []
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
