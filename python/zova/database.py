"""The Database class (docs/python.md §2.3): lifecycle, SQL, transactions and
savepoints here; objects, vectors and operational copies come from the mixins
in objects.py, vectors.py and operations.py."""
from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Literal, SupportsIndex

from ._native import ffi, lib
from .errors import (
    ClosedHandleError, PathArg, call_error, encode_path, encode_str, error_for, index_int, take_message,
)
from .handle import Guard, NativeDatabase
from .objects import ObjectMethods
from .operations import OperationMethods
from .records import RecordMethods
from .statement import Statement
from .vector_index import VectorIndexMethods
from .vectors import VectorMethods

__all__ = ["Database", "SavepointContext"]

_UINT32_MAX = 2**32 - 1




def _uint32(value: SupportsIndex, what: str) -> int:
    value = index_int(value, what)
    if value < 0 or value > _UINT32_MAX:
        raise OverflowError(f"{what} out of range for u32")
    return value


class Database(ObjectMethods, VectorMethods, VectorIndexMethods, OperationMethods, RecordMethods):
    """A handle on one ``.zova`` file. Use :meth:`create` or :meth:`open`.

    ``with Database.open(path) as db:`` closes the handle when the block ends
    (it does not commit or roll back: see :meth:`transaction`). Every method
    raises :class:`zova.ClosedHandleError` once the handle is closed.
    ``Database(...)`` itself raises TypeError.
    """

    __slots__ = ("_native", "_guard", "__weakref__")

    _native: NativeDatabase
    _guard: Guard

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("Database has no public constructor; use Database.create or Database.open")

    @classmethod
    def _from_open(cls, function: Callable[[Any], int], request: Any) -> "Database":
        message = ffi.new("zova_message *")
        out_db = ffi.new("zova_database **")
        request.out_db = out_db
        request.out_error_message = message
        status = function(request)
        if status:
            raise error_for(status, take_message(message))
        self = cls.__new__(cls)
        self._native = NativeDatabase(out_db[0])
        self._guard = Guard(out_db[0], "database")
        return self

    @classmethod
    def create(cls, path: PathArg) -> "Database":
        """Creates a new ``.zova`` file; never overwrites an existing one.

        Args:
            path: the new file's path (str, bytes or os.PathLike), ending in ``.zova``.

        Returns:
            The open :class:`Database`.

        Raises:
            AlreadyExistsError: the file exists.
            InvalidArgumentError: ``path`` does not end in ``.zova``.
            CantOpenError: the file cannot be created.
            TypeError, ValueError: ``path`` is not a path, or holds a NUL byte.
        """
        encoded = ffi.new("char[]", encode_path(path, "path"))
        request = ffi.new("zova_database_open_request *")
        request.path = encoded
        return cls._from_open(lib.zova_database_create, request)

    @classmethod
    def open(cls, path: PathArg, *, read_only: bool = False, busy_timeout_ms: SupportsIndex = 0) -> "Database":
        """Opens an existing ``.zova`` file after validating its identity and schema.

        Args:
            path: the file's path (str, bytes or os.PathLike), ending in ``.zova``.
            read_only: open without write access (writes raise ReadOnlyError).
            busy_timeout_ms: how long a locked file is retried before BusyError
                (0: not at all), an int in u32.

        Returns:
            The open :class:`Database`.

        Raises:
            NotZovaDatabaseError: the file does not exist, is not a Zova
                database, or is of an unsupported version.
            CantOpenError: the file cannot be opened.
            InvalidArgumentError: ``path`` does not end in ``.zova``.
            OverflowError: ``busy_timeout_ms`` outside u32.
            TypeError, ValueError: a bad ``path`` or ``busy_timeout_ms`` type, a NUL byte.
        """
        encoded = ffi.new("char[]", encode_path(path, "path"))
        request = ffi.new("zova_database_open_options_request *")
        request.path = encoded
        request.flags = lib.ZOVA_OPEN_READ_ONLY if read_only else 0
        request.busy_timeout_ms = _uint32(busy_timeout_ms, "busy_timeout_ms")
        return cls._from_open(lib.zova_database_open_with_options, request)

    # ---- plumbing shared with the mixins ----

    def _handle(self) -> Any:
        """The native pointer for building a request; the call itself must go
        through :meth:`_call` (or enter the guard), which refuses a closed handle."""
        if self._guard.closed:
            raise ClosedHandleError("database is closed")
        return self._native.ptr

    def _call(self, function: Callable[..., int], *args: Any) -> None:
        """Runs one C call on this handle as a call in flight (see handle.Guard)
        and raises its error, with this call's own message."""
        guard = self._guard
        guard.enter()
        try:
            status = function(*args)
        finally:
            guard.leave()
        if status:
            raise call_error(status)

    def _check(self, status: int) -> None:
        if status:
            raise call_error(status)

    def _simple(self, function: Callable[[Any], int]) -> None:
        request = ffi.new("zova_database_simple_request *", [self._handle()])
        self._call(function, request)

    def _adopt_child(self, function: Callable[[Any], int], request: Any) -> None:
        """Runs a call that creates a child handle (prepare, object_writer) and
        takes the child's reference on the native database before the call leaves."""
        guard = self._guard
        guard.enter()
        try:
            status = function(request)
            if not status:
                self._native.acquire()
        finally:
            guard.leave()
        if status:
            raise call_error(status)

    def close(self) -> None:
        """Closes this handle, after the calls other threads are making on it
        (later ones raise ClosedHandleError); open statements and writers keep
        working, and the file is closed when the last of them goes. Idempotent.

        Raises:
            Nothing.
        """
        guard = getattr(self, "_guard", None)
        if guard is not None and guard.close():
            self._native.release()

    def __del__(self) -> None:
        self.close()

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        self.close()
        return False

    # ---- SQL ----

    def exec(self, sql: str) -> None:
        """Runs every statement of ``sql`` (no parameters, no rows returned).

        Args:
            sql: one or more SQL statements separated by ``;``.

        Raises:
            SQLiteError: bad SQL, a missing table, SQL refused on Zova's private tables.
            ConstraintError, BusyError, ReadOnlyError: SQLite's failures by family.
            Interrupted: a bound :class:`zova.Cancel` was cancelled.
            TypeError, ValueError: ``sql`` is not a str, or holds a NUL.
        """
        encoded = ffi.new("char[]", encode_str(sql, "sql"))
        request = ffi.new("zova_database_exec_request *", [self._handle(), encoded])
        self._call(lib.zova_database_exec, request)

    def prepare(self, sql: str) -> Statement:
        """Compiles the first statement of ``sql``.

        Args:
            sql: the SQL text, with ``?``, ``?NNN`` or ``:name`` parameters.

        Returns:
            A :class:`zova.Statement` (close it, or use it in a ``with`` block).

        Raises:
            SQLiteError: the SQL does not compile.
            TypeError, ValueError: ``sql`` is not a str, or holds a NUL.
        """
        encoded = ffi.new("char[]", encode_str(sql, "sql"))
        out = ffi.new("zova_statement **")
        request = ffi.new("zova_database_prepare_request *", [self._handle(), encoded, out])
        self._adopt_child(lib.zova_database_prepare, request)
        return Statement._wrap(self._native, out[0])

    def set_busy_timeout(self, milliseconds: SupportsIndex) -> None:
        """Sets how long a locked file is retried before :class:`zova.BusyError`.

        Args:
            milliseconds: the timeout, an int in u32 (0: fail at once).

        Raises:
            OverflowError: outside u32. TypeError: not an int.
        """
        request = ffi.new("zova_database_busy_timeout_request *")
        request.db = self._handle()
        request.milliseconds = _uint32(milliseconds, "milliseconds")
        self._call(lib.zova_database_set_busy_timeout, request)

    def _int64(self, function: Callable[[Any], int], request_type: str) -> int:
        out = ffi.new("int64_t *")
        request = ffi.new(request_type, [self._handle(), out])
        self._call(function, request)
        return int(out[0])

    def last_insert_rowid(self) -> int:
        """The rowid of the last row inserted on this handle (SQLite's ``last_insert_rowid``).

        Returns:
            The rowid, 0 before any insert.
        """
        return self._int64(lib.zova_database_last_insert_rowid, "zova_database_last_insert_rowid_request *")

    def changes(self) -> int:
        """Rows changed by the last INSERT, UPDATE or DELETE on this handle.

        Returns:
            The count.
        """
        return self._int64(lib.zova_database_changes, "zova_database_changes_request *")

    def total_changes(self) -> int:
        """Rows changed on this handle since it was opened.

        Returns:
            The count.
        """
        return self._int64(lib.zova_database_total_changes, "zova_database_total_changes_request *")

    # ---- transactions, savepoints, vacuum ----

    def begin(self) -> None:
        """BEGIN: starts a deferred transaction.

        Raises:
            SQLiteError: not allowed in this state (e.g. no transaction is open,
                or one already is). BusyError: the file is locked.
        """
        self._simple(lib.zova_database_begin)

    def begin_immediate(self) -> None:
        """BEGIN IMMEDIATE: starts a transaction holding the write lock.

        Raises:
            SQLiteError: not allowed in this state (e.g. no transaction is open,
                or one already is). BusyError: the file is locked.
        """
        self._simple(lib.zova_database_begin_immediate)

    def commit(self) -> None:
        """COMMIT: ends the transaction, keeping its changes.

        Raises:
            SQLiteError: not allowed in this state (e.g. no transaction is open,
                or one already is). BusyError: the file is locked.
        """
        self._simple(lib.zova_database_commit)

    def rollback(self) -> None:
        """ROLLBACK: ends the transaction, dropping its changes.

        Raises:
            SQLiteError: not allowed in this state (e.g. no transaction is open,
                or one already is). BusyError: the file is locked.
        """
        self._simple(lib.zova_database_rollback)

    def vacuum(self) -> None:
        """VACUUM: rebuilds the file in place, returning free pages.

        Raises:
            SQLiteError: not allowed in this state (e.g. no transaction is open,
                or one already is). BusyError: the file is locked.
        """
        self._simple(lib.zova_database_vacuum)

    def _savepoint_call(self, function: Callable[[Any], int], name: str) -> None:
        encoded = ffi.new("char[]", encode_str(name, "savepoint name"))
        request = ffi.new("zova_database_savepoint_request *", [self._handle(), encoded])
        self._call(function, request)

    def savepoint(self, name: str) -> None:
        """SAVEPOINT ``name`` (nested inside a transaction, or starting one).

        Args:
            name: the savepoint's name (quoted by the C core).

        Raises:
            TypeError, ValueError: ``name`` is not a str, or holds a NUL.
            ZovaError: SQLite refused the savepoint.
        """
        self._savepoint_call(lib.zova_database_savepoint, name)

    def rollback_to_savepoint(self, name: str) -> None:
        """ROLLBACK TO ``name``: undoes the changes since the savepoint, which stays open.

        Args:
            name: the savepoint's name.

        Raises:
            SQLiteError: there is no such savepoint.
            TypeError, ValueError: ``name`` is not a str, or holds a NUL.
        """
        self._savepoint_call(lib.zova_database_rollback_to_savepoint, name)

    def release_savepoint(self, name: str) -> None:
        """RELEASE ``name``: keeps the changes since the savepoint and closes it.

        Args:
            name: the savepoint's name.

        Raises:
            SQLiteError: there is no such savepoint.
            TypeError, ValueError: ``name`` is not a str, or holds a NUL.
        """
        self._savepoint_call(lib.zova_database_release_savepoint, name)

    def savepoint_context(self, name: str) -> "SavepointContext":
        """``with db.savepoint_context(name):`` a savepoint released at the end
        of the block, rolled back to (and released) when it raises.

        Args:
            name: the savepoint's name.

        Returns:
            A :class:`SavepointContext`; entering it raises what :meth:`savepoint` raises.
        """
        return SavepointContext(self, name)


class SavepointContext:
    """``with db.savepoint_context(name) as db:`` (docs/python.md §2.4): release on
    success; roll back to and release the savepoint on an exception, which is re-raised.

    Args:
        db: the database.
        name: the savepoint's name.
    """

    __slots__ = ("_db", "_name", "_entered")

    def __init__(self, db: Database, name: str) -> None:
        self._db = db
        self._name = name
        self._entered = False

    def __enter__(self) -> Database:
        self._db.savepoint(self._name)
        self._entered = True
        return self._db

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        if not self._entered:
            return False
        self._entered = False
        if exc_type is not None:
            self._db.rollback_to_savepoint(self._name)
        self._db.release_savepoint(self._name)
        return False
