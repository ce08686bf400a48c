"""Records the way Python's sqlite3 does them (README "Records"): ``execute``
with parameters returning a :class:`Cursor`, ``executemany``,
``executescript`` and ``with db.transaction():``, mixed into ``Database`` by
:class:`RecordMethods`; ``Statement.execute`` binds through the same code.

Parameters are encoded a column at a time: the values of one parameter over
many rows become one ``zv_py_param_column`` of _native_shims.h (one C array
per column for uniform ints, floats, texts or blobs), and one C call binds,
steps and resets every row under the handle's lock.

Errors (decided here, documented in the README):

* ZovaError with ``ZOVA_INVALID_ARGUMENT`` for parameters that do not fit the
  statement: a wrong count, a missing name, a sequence for named parameters or
  a mapping for positional ones (sqlite3's ProgrammingError);
* TypeError for parameters that are neither a sequence nor a mapping, and for a
  value of an unsupported type; OverflowError for an int outside 64 bits;
* every message names the call, the row (executemany) and the parameter.
"""
from __future__ import annotations

import itertools
import numbers
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, SupportsIndex, Union

from ._native import ffi, lib
from .errors import ClosedHandleError, ZovaError, encode_str, index_int
from .handle import MixinBase
from .objects import ObjectId

if TYPE_CHECKING:
    from .database import Database
    from .statement import Statement

# A row as a cursor returns it; the parameters of one execution; how a message names the call and row.
Row = tuple[Any, ...]
Params = Union[Sequence[Any], Mapping[str, Any]]
Where = Callable[[int], str]

__all__ = ["Cursor", "Transaction"]

_INTEGER = lib.ZOVA_COLUMN_INTEGER
_FLOAT = lib.ZOVA_COLUMN_FLOAT
_TEXT = lib.ZOVA_COLUMN_TEXT
_BLOB = lib.ZOVA_COLUMN_BLOB
_NULL = lib.ZOVA_COLUMN_NULL
_INT64_MIN, _INT64_MAX = -2**63, 2**63 - 1
_BYTES_TYPES = (bytes, bytearray, memoryview)
_NOT_SEQUENCES = (str, bytes, bytearray, memoryview, Mapping)
_EXECUTEMANY_CHUNK_ROWS = 8192  # rows encoded and run per C call
_DML = re.compile(r"(?:\s|--[^\n]*(?:\n|$)|/\*.*?(?:\*/|$))*(insert|update|delete|replace)\b", re.I | re.S)
_savepoint_numbers = itertools.count(1)


def is_dml(sql: str) -> bool:
    """Whether the SQL starts (after blanks and comments) with INSERT, UPDATE,
    DELETE or REPLACE: the statements whose changes sqlite3 counts as rowcount."""
    return _DML.match(sql) is not None


# ---- parameters ----

def _label(index: int, name: str | None) -> str:
    return f"parameter {index}" if name is None else f"parameter {index} ({name})"


def _count(parameters: int) -> str:
    return "1 parameter" if parameters == 1 else f"{parameters} parameters"


def _is_named(name: str | None) -> bool:
    return name is not None and name[0] in ":@$"


class EncodedParameters:
    """The ``zv_py_param_column`` array for some rows, and the Python objects
    its pointers point into (alive as long as this is)."""

    __slots__ = ("array", "count", "_keep")

    def __init__(self, count: int) -> None:
        self.array = ffi.new("zv_py_param_column[]", max(count, 1))
        self.count = count
        self._keep: list[Any] = []

    def keep(self, value: Any) -> Any:
        self._keep.append(value)
        return value


def encode_parameters(rows: list[Any], names: tuple[str | None, ...], where: Where) -> EncodedParameters:
    """Encodes rows of parameters (each a sequence or a mapping, as the
    statement's parameter `names` require) for zv_py_bind_parameters or
    zv_py_run_rows. where(row) names the call (and row) in error messages."""
    encoded = EncodedParameters(len(names))
    for position, values in enumerate(_columns(rows, names, where)):
        _encode_column(encoded, encoded.array[position], position + 1, names[position], values, where)
    return encoded


def _columns(rows: list[Any], names: tuple[str | None, ...], where: Where) -> list[Any]:
    """The values of each parameter over all rows (a tuple or list per parameter)."""
    named = [_is_named(name) for name in names]
    kinds = set(map(type, rows))
    if all(named) and names:
        for kind in kinds:
            if not issubclass(kind, Mapping):
                row = next(row for row, value in enumerate(rows) if type(value) is kind)
                if _is_sequence(kind):
                    raise ZovaError(lib.ZOVA_INVALID_ARGUMENT,
                                    f"{where(row)}: the statement's parameters are named "
                                    f"({', '.join(str(name) for name in names)}): give a mapping, not {kind.__name__}")
                raise TypeError(f"{where(row)}: parameters must be a mapping, not {kind.__name__}")
        return [_mapping_column(rows, index + 1, str(name), where) for index, name in enumerate(names)]
    for kind in kinds:
        if issubclass(kind, Mapping) and names:
            index = named.index(False)
            row = next(row for row, value in enumerate(rows) if type(value) is kind)
            raise ZovaError(lib.ZOVA_INVALID_ARGUMENT,
                            f"{where(row)}: {_label(index + 1, names[index])} is positional: a mapping binds "
                            "only named parameters; give a sequence")
        if not issubclass(kind, Mapping) and not _is_sequence(kind):
            row = next(row for row, value in enumerate(rows) if type(value) is kind)
            raise TypeError(f"{where(row)}: parameters must be a sequence or a mapping, not {kind.__name__}")
    if any(named):
        index = named.index(True)
        raise ZovaError(lib.ZOVA_INVALID_ARGUMENT,
                        f"{where(0)}: {_label(index + 1, names[index])} is named: give every parameter a name "
                        "and pass a mapping, or use only ? and ?NNN with a sequence")
    if not names:
        lengths = {len(row) for row in rows if not isinstance(row, Mapping)}
    else:
        lengths = set(map(len, rows))
    if lengths - {len(names)}:
        row = next(row for row, value in enumerate(rows) if len(value) != len(names))
        raise ZovaError(lib.ZOVA_INVALID_ARGUMENT,
                        f"{where(row)}: {_count(len(rows[row]))} given, the statement takes {len(names)}")
    return list(zip(*rows)) if names else []


def _is_sequence(kind: type) -> bool:
    return kind is tuple or kind is list or (
        hasattr(kind, "__len__") and hasattr(kind, "__getitem__") and not issubclass(kind, _NOT_SEQUENCES))


def _mapping_column(rows: list[Any], index: int, name: str, where: Where) -> list[Any]:
    key = name[1:]
    try:
        return list(map(itemgetter(key), rows))
    except KeyError:
        row = next(row for row, mapping in enumerate(rows) if key not in mapping)
        raise ZovaError(lib.ZOVA_INVALID_ARGUMENT,
                        f"{where(row)}: {_label(index, name)} has no value: the mapping has no key {key!r}") from None


def _encode_column(encoded: EncodedParameters, column: Any, index: int, name: str | None, values: Sequence[Any],
                   where: Where) -> None:
    """Fills one zv_py_param_column: one C array for a column of plain ints,
    floats, NUL-free texts or bytes, else each value's type per row."""
    column.index = index
    kinds = set(map(type, values))
    kind = kinds.pop() if len(kinds) == 1 else None
    try:
        if kind is int or kind is bool:
            column.ints = encoded.keep(ffi.new("int64_t[]", values))
            column.type = _INTEGER
            return
        if kind is float:
            column.floats = encoded.keep(ffi.new("double[]", values))
            column.type = _FLOAT
            return
        if kind is type(None):
            column.type = _NULL
            return
        if kind is str:
            joined = "\0".join(values)
            if joined.count("\0") == len(values) - 1:  # no text holds a NUL: C finds each end
                column.bytes = encoded.keep(ffi.from_buffer((joined + "\0").encode("utf-8")))
                column.type = _TEXT
                return
        if kind is bytes:
            column.bytes = encoded.keep(ffi.from_buffer(b"".join(values)))
            column.offsets = encoded.keep(ffi.new("size_t[]", [0, *itertools.accumulate(map(len, values))]))
            column.type = _BLOB
            return
    except (OverflowError, UnicodeEncodeError):
        pass  # the value-by-value encoding below names the value
    _encode_mixed_column(encoded, column, index, name, values, where)


def _encode_mixed_column(encoded: EncodedParameters, column: Any, index: int, name: str | None,
                         values: Sequence[Any], where: Where) -> None:
    types: list[int] = []
    ints: list[int | float] = []
    floats: list[int | float] = []
    payloads: list[bytes] = []
    offsets = [0]
    size = 0
    for row, value in enumerate(values):
        kind, number, payload = _value(value, lambda: f"{where(row)}: {_label(index, name)}")
        types.append(kind)
        ints.append(number if kind == _INTEGER else 0)
        floats.append(number if kind == _FLOAT else 0.0)
        if payload is not None:
            payloads.append(payload)
            size += len(payload)
        offsets.append(size)
    column.type = 0
    column.types = encoded.keep(ffi.new("int[]", types))
    column.ints = encoded.keep(ffi.new("int64_t[]", ints))
    column.floats = encoded.keep(ffi.new("double[]", floats))
    column.bytes = encoded.keep(ffi.from_buffer(b"".join(payloads)))
    column.offsets = encoded.keep(ffi.new("size_t[]", offsets))


def _value(value: Any, label: Callable[[], str]) -> tuple[int, int | float, bytes | None]:
    """(type, number, payload) of one parameter value, as sqlite3 binds it."""
    if value is None:
        return _NULL, 0, None
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise OverflowError(f"{label()}: int {value} does not fit SQLite's 64-bit INTEGER")
        return _INTEGER, int(value), None
    if isinstance(value, float):
        return _FLOAT, float(value), None
    if isinstance(value, str):
        try:
            return _TEXT, 0, value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ValueError(f"{label()}: str is not encodable as UTF-8 ({error.reason})") from None
    if isinstance(value, _BYTES_TYPES):
        return _BLOB, 0, memoryview(value).tobytes()
    if isinstance(value, ObjectId):
        return _BLOB, 0, value.bytes
    if isinstance(value, numbers.Integral):  # numpy integers
        return _value(int(value), label)
    if isinstance(value, numbers.Real):      # numpy floats
        return _FLOAT, float(value), None
    try:
        return _BLOB, 0, memoryview(value).tobytes()  # any other buffer, as sqlite3 binds it
    except TypeError:
        raise TypeError(f"{label()}: unsupported type {type(value).__name__}") from None


# ---- cursors ----

class Cursor:
    """The result of ``execute``: its rows, read in batches, as tuples.

    Iterate it, or call :meth:`fetchone`, :meth:`fetchmany` and
    :meth:`fetchall`. ``description`` is one 7-tuple per result column (name
    first, the rest None, as sqlite3) or None for a statement without
    columns; ``rowcount`` is the number of rows changed by an INSERT, UPDATE,
    DELETE or REPLACE without result columns (summed over executemany's rows),
    -1 otherwise; ``lastrowid`` is the handle's ``last_insert_rowid()`` after
    the statement ran (for one with columns, after its first rows), None for
    an executemany of no rows. A statement without columns has run to its end
    before ``execute`` returns; one with columns has read its first batch of
    rows. A cursor may be shared by threads: each fetch runs whole.
    ``Cursor(...)`` raises TypeError; after :meth:`close`, fetches raise
    :class:`zova.ClosedHandleError`."""

    description: tuple[tuple[str, None, None, None, None, None, None], ...] | None
    rowcount: int
    lastrowid: int | None
    arraysize: int
    _statement: Statement | None
    _owns_statement: bool
    _token: object
    _rows: list[Row]
    _next: int
    _at_end: bool
    _closed: bool
    _lock: threading.Lock

    __slots__ = ("description", "rowcount", "lastrowid", "arraysize", "_statement", "_owns_statement", "_token",
                 "_rows", "_next", "_at_end", "_closed", "_lock")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("Cursor has no public constructor; use Database.execute or Statement.execute")

    @classmethod
    def _finished(cls, rowcount: int, lastrowid: int | None) -> "Cursor":
        self = cls.__new__(cls)
        self.description = None
        self.rowcount = rowcount
        self.lastrowid = lastrowid
        self.arraysize = 1
        self._statement = None
        self._owns_statement = False
        self._token = None
        self._rows = []
        self._next = 0
        self._at_end = True
        self._closed = False
        self._lock = threading.Lock()
        return self

    @classmethod
    def _reading(cls, statement: Statement, token: object, *, owns_statement: bool) -> "Cursor":
        """A cursor over the rows of `statement`, whose position `token` claims."""
        self = cls._finished(-1, None)
        self._statement = statement
        self._owns_statement = owns_statement
        self._token = token
        self.description = tuple((statement.column_name(index), None, None, None, None, None, None)
                                 for index in range(statement.column_count()))
        self._rows, self._at_end = statement._next_rows(token, everything=False)
        self.lastrowid = _last_insert_rowid(statement)
        if self._at_end:
            self._let_go()
        return self

    def _refill(self) -> None:
        """Reads the next batch; the caller holds the lock."""
        assert self._statement is not None
        self._rows, self._at_end = self._statement._next_rows(self._token, everything=False)
        self._next = 0
        if self._at_end:
            self._let_go()

    def _let_go(self) -> None:
        """The rows are all read or unwanted: an owned statement is closed."""
        self._at_end = True
        if self._owns_statement and self._statement is not None:
            self._statement.close()
        self._statement = None

    def _check_open(self) -> None:
        if self._closed:
            raise ClosedHandleError("cursor is closed")

    def fetchone(self) -> tuple[Any, ...] | None:
        """The next row.

        Returns:
            The row as a tuple, or None after the last.

        Raises:
            ClosedHandleError: the cursor is closed.
            MisuseError: another caller stepped the statement meanwhile.
            ZovaError: SQLite's failure while stepping.
        """
        with self._lock:
            self._check_open()
            if self._next == len(self._rows):
                if self._at_end:
                    return None
                self._refill()
                if not self._rows:
                    return None
            row = self._rows[self._next]
            self._next += 1
            return row

    def fetchmany(self, size: SupportsIndex | None = None) -> list[tuple[Any, ...]]:
        """The next rows.

        Args:
            size: how many (default ``arraysize``, 1 unless set); an int.

        Returns:
            Up to ``size`` rows; fewer at the end.

        Raises:
            TypeError: ``size`` is not an int.
            ClosedHandleError: the cursor is closed.
            MisuseError: another caller stepped the statement meanwhile.
        """
        if size is None:
            size = self.arraysize
        count = index_int(size, "size")
        rows: list[Row] = []
        with self._lock:
            self._check_open()
            while len(rows) < count:
                if self._next == len(self._rows):
                    if self._at_end:
                        break
                    self._refill()
                taken = self._rows[self._next:self._next + count - len(rows)]
                self._next += len(taken)
                rows.extend(taken)
        return rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        """All remaining rows (the rest read as one unit).

        Returns:
            The rows as tuples.

        Raises:
            ClosedHandleError: the cursor is closed.
            MisuseError: another caller stepped the statement meanwhile.
        """
        with self._lock:
            self._check_open()
            rows = self._rows[self._next:]
            if not self._at_end:
                assert self._statement is not None
                rows.extend(self._statement._next_rows(self._token, everything=True)[0])
                self._let_go()
            self._rows, self._next = [], 0
            return rows

    def __iter__(self) -> "Cursor":
        return self

    def __next__(self) -> tuple[Any, ...]:
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    def close(self) -> None:
        """Drops the rows not read yet (closing the statement of a
        ``Database.execute``); later fetches raise ClosedHandleError. Idempotent.

        Raises:
            Nothing.
        """
        with self._lock:
            if not self._closed:
                self._closed = True
                self._rows = []
                if not self._at_end:
                    self._let_go()


def _last_insert_rowid(statement: Statement) -> int:
    out = ffi.new("int64_t *")
    request = ffi.new("zova_database_last_insert_rowid_request *", [statement._native.ptr, out])
    statement._run_checked(lambda ptr: lib.zova_database_last_insert_rowid(request))
    return int(out[0])


# ---- transactions ----

class Transaction:
    """``with db.transaction():`` (README "Records"). The outermost one runs
    BEGIN (``immediate=True``: BEGIN IMMEDIATE) and COMMIT, or ROLLBACK when
    the block raises; one entered while the handle is already in a transaction
    (of an enclosing ``transaction()``, or ``begin()``) is a SAVEPOINT instead,
    released at the end or rolled back to when the block raises, and
    ``immediate`` has no effect on it. A failed COMMIT rolls back and raises:
    leaving the block never leaves a transaction open. The transaction belongs
    to the handle, not to a thread. Enter each one once (again: MisuseError).

    Args:
        db: the database.
        immediate: BEGIN IMMEDIATE for the outermost transaction (TypeError if not a bool).
    """

    __slots__ = ("_db", "_immediate", "_savepoint", "_state")

    def __init__(self, db: Database, immediate: bool) -> None:
        if not isinstance(immediate, bool):
            raise TypeError(f"immediate must be bool, not {type(immediate).__name__}")
        self._db = db
        self._immediate = immediate
        self._savepoint = f"zova_transaction_{next(_savepoint_numbers)}"
        self._state = "new"  # then "outermost" or "savepoint", then "done"

    def __enter__(self) -> Database:
        if self._state != "new":
            raise ZovaError(lib.ZOVA_MISUSE, "a transaction() context can be entered only once")
        name = ffi.new("char[]", encode_str(self._savepoint, "savepoint name"))
        nested = ffi.new("int *")
        self._db._call(lib.zv_py_transaction_begin, self._db._handle(), self._immediate, name, nested)
        self._state = "savepoint" if nested[0] else "outermost"
        return self._db

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        db, state = self._db, self._state
        self._state = "done"
        if state == "savepoint":
            if exc_type is None:
                db.release_savepoint(self._savepoint)
            elif db.in_transaction:  # an error may have rolled the whole transaction back already
                db.rollback_to_savepoint(self._savepoint)
                db.release_savepoint(self._savepoint)
        elif exc_type is not None:
            if db.in_transaction:
                db.rollback()
        else:
            try:
                db.commit()
            except BaseException:
                if db.in_transaction:
                    db.rollback()
                raise
        return False


class RecordMethods(MixinBase):
    """``execute``, ``executemany``, ``executescript``, ``transaction`` and
    ``in_transaction`` on ``Database`` (README "Records")."""

    __slots__ = ()

    def execute(self, sql: str, params: Params = ()) -> Cursor:
        """Prepares the first statement of ``sql``, binds ``params`` as
        :meth:`Statement.execute` does and runs it (the statement is closed
        when its rows are read or the cursor is closed).

        Args:
            sql: the SQL text.
            params: a sequence for ``?``/``?NNN`` or a mapping for ``:name``, ``@name``, ``$name``.

        Returns:
            A :class:`Cursor` over the rows.

        Raises:
            SQLiteError: the SQL does not compile.
            InvalidArgumentError: wrong parameter count or kind.
            TypeError, OverflowError: a parameter value of the wrong type or range.
            ZovaError: SQLite's failure running it, by family.
        """
        statement = self.prepare(sql)
        try:
            return statement._execute(params, owns_statement=True)
        except BaseException:
            statement.close()
            raise

    def executemany(self, sql: str, rows: Iterable[Params]) -> Cursor:
        """Runs one prepared statement once per row of parameters of
        ``rows`` (any iterable, consumed lazily; each row as for ``execute``),
        all or nothing: inside a :meth:`transaction`. The statement may not
        return rows. Returns a finished :class:`Cursor` whose ``rowcount`` is
        the sum of the rows' changes.

        Args:
            sql: the SQL text (no result columns).
            rows: the rows of parameters.

        Returns:
            A finished :class:`Cursor` (``rowcount``, ``lastrowid``).

        Raises:
            InvalidArgumentError: the statement returns rows, or a row's
                parameters do not fit (the row is named, counted from 0).
            Others: what :meth:`execute` raises; the transaction is rolled back.
        """
        with self.prepare(sql) as statement:
            if statement.column_count():
                raise ZovaError(lib.ZOVA_INVALID_ARGUMENT,
                                "executemany: the statement returns rows; use execute for each row")
            names, dml = statement._parameters_and_dml()
            pending = iter(rows)
            done, changes = 0, 0
            lastrowid: int | None = None
            with self.transaction():
                while chunk := list(itertools.islice(pending, _EXECUTEMANY_CHUNK_ROWS)):
                    first = done
                    columns = encode_parameters(chunk, names, lambda row: f"executemany: row {first + row}")
                    chunk_changes, lastrowid = statement._run_rows(columns, len(chunk))
                    changes += chunk_changes
                    done += len(chunk)
            return Cursor._finished(changes if dml else -1, lastrowid)

    def executescript(self, sql: str) -> None:
        """Runs every statement of ``sql`` (no parameters), as :meth:`exec`.

        Args:
            sql: the SQL statements.

        Raises:
            SQLiteError and the other families: what :meth:`exec` raises.
        """
        self.exec(sql)

    def transaction(self, *, immediate: bool = False) -> Transaction:
        """``with db.transaction():`` BEGIN ... COMMIT, ROLLBACK when the block
        raises; nested, a savepoint (see :class:`Transaction`).

        Args:
            immediate: BEGIN IMMEDIATE (take the write lock at once) for an outermost transaction.

        Returns:
            A :class:`Transaction`; its ``with`` block gives the database.

        Raises:
            TypeError: ``immediate`` is not a bool.
        """
        return Transaction(self, immediate)  # type: ignore[arg-type]  # self is the Database this mixin is part of

    @property
    def in_transaction(self) -> bool:
        """True while the handle is inside a transaction (not in autocommit)."""
        out = ffi.new("int *")
        self._call(lib.zv_py_in_transaction, self._handle(), out)
        return bool(out[0])
