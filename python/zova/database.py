"""The Database class (cli-and-bindings §2.3): lifecycle, SQL, transactions and
savepoints here; objects, vectors and operational copies come from the mixins
in objects.py, vectors.py and operations.py."""
from __future__ import annotations

from ._native import ffi, lib
from .errors import ClosedHandleError, call_error, encode_path, encode_str, error_for, index_int, take_message
from .handle import Guard, NativeDatabase
from .objects import ObjectMethods
from .operations import OperationMethods
from .records import RecordMethods
from .statement import Statement
from .vectors import VectorMethods

__all__ = ["Database", "SavepointContext"]

_UINT32_MAX = 2**32 - 1




def _uint32(value: int, what: str) -> int:
    value = index_int(value, what)
    if value < 0 or value > _UINT32_MAX:
        raise OverflowError(f"{what} out of range for u32")
    return value


class Database(ObjectMethods, VectorMethods, OperationMethods, RecordMethods):
    """A handle on one ``.zova`` file. Use :meth:`create` or :meth:`open`."""

    __slots__ = ("_native", "_guard", "__weakref__")

    def __init__(self, *args, **kwargs) -> None:
        raise TypeError("Database has no public constructor; use Database.create or Database.open")

    @classmethod
    def _from_open(cls, function, request) -> "Database":
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
    def create(cls, path: str) -> "Database":
        """Creates a new ``.zova`` file; never overwrites an existing one."""
        encoded = ffi.new("char[]", encode_path(path, "path"))
        request = ffi.new("zova_database_open_request *")
        request.path = encoded
        return cls._from_open(lib.zova_database_create, request)

    @classmethod
    def open(cls, path: str, *, read_only: bool = False, busy_timeout_ms: int = 0) -> "Database":
        """Opens an existing ``.zova`` file after validating its identity and schema."""
        encoded = ffi.new("char[]", encode_path(path, "path"))
        request = ffi.new("zova_database_open_options_request *")
        request.path = encoded
        request.flags = lib.ZOVA_OPEN_READ_ONLY if read_only else 0
        request.busy_timeout_ms = _uint32(busy_timeout_ms, "busy_timeout_ms")
        return cls._from_open(lib.zova_database_open_with_options, request)

    # ---- plumbing shared with the mixins ----

    def _handle(self):
        """The native pointer for building a request; the call itself must go
        through :meth:`_call` (or enter the guard), which refuses a closed handle."""
        if self._guard.closed:
            raise ClosedHandleError("database is closed")
        return self._native.ptr

    def _call(self, function, *args) -> None:
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

    def _simple(self, function) -> None:
        request = ffi.new("zova_database_simple_request *", [self._handle()])
        self._call(function, request)

    def _adopt_child(self, function, request) -> None:
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
        working, and the file is closed when the last of them goes."""
        guard = getattr(self, "_guard", None)
        if guard is not None and guard.close():
            self._native.release()

    def __del__(self) -> None:
        self.close()

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc) -> bool:
        self.close()
        return False

    # ---- SQL ----

    def exec(self, sql: str) -> None:
        encoded = ffi.new("char[]", encode_str(sql, "sql"))
        request = ffi.new("zova_database_exec_request *", [self._handle(), encoded])
        self._call(lib.zova_database_exec, request)

    def prepare(self, sql: str) -> Statement:
        encoded = ffi.new("char[]", encode_str(sql, "sql"))
        out = ffi.new("zova_statement **")
        request = ffi.new("zova_database_prepare_request *", [self._handle(), encoded, out])
        self._adopt_child(lib.zova_database_prepare, request)
        return Statement._wrap(self._native, out[0])

    def set_busy_timeout(self, milliseconds: int) -> None:
        request = ffi.new("zova_database_busy_timeout_request *")
        request.db = self._handle()
        request.milliseconds = _uint32(milliseconds, "milliseconds")
        self._call(lib.zova_database_set_busy_timeout, request)

    def _int64(self, function, request_type: str) -> int:
        out = ffi.new("int64_t *")
        request = ffi.new(request_type, [self._handle(), out])
        self._call(function, request)
        return out[0]

    def last_insert_rowid(self) -> int:
        return self._int64(lib.zova_database_last_insert_rowid, "zova_database_last_insert_rowid_request *")

    def changes(self) -> int:
        return self._int64(lib.zova_database_changes, "zova_database_changes_request *")

    def total_changes(self) -> int:
        return self._int64(lib.zova_database_total_changes, "zova_database_total_changes_request *")

    # ---- transactions, savepoints, vacuum ----

    def begin(self) -> None:
        self._simple(lib.zova_database_begin)

    def begin_immediate(self) -> None:
        self._simple(lib.zova_database_begin_immediate)

    def commit(self) -> None:
        self._simple(lib.zova_database_commit)

    def rollback(self) -> None:
        self._simple(lib.zova_database_rollback)

    def vacuum(self) -> None:
        self._simple(lib.zova_database_vacuum)

    def _savepoint_call(self, function, name: str) -> None:
        encoded = ffi.new("char[]", encode_str(name, "savepoint name"))
        request = ffi.new("zova_database_savepoint_request *", [self._handle(), encoded])
        self._call(function, request)

    def savepoint(self, name: str) -> None:
        self._savepoint_call(lib.zova_database_savepoint, name)

    def rollback_to_savepoint(self, name: str) -> None:
        self._savepoint_call(lib.zova_database_rollback_to_savepoint, name)

    def release_savepoint(self, name: str) -> None:
        self._savepoint_call(lib.zova_database_release_savepoint, name)

    def savepoint_context(self, name: str) -> "SavepointContext":
        return SavepointContext(self, name)


class SavepointContext:
    """``with db.savepoint_context(name) as db:`` (cli-and-bindings §2.4): release on
    success; roll back to and release the savepoint on an exception, which is re-raised."""

    __slots__ = ("_db", "_name", "_entered")

    def __init__(self, db: Database, name: str) -> None:
        self._db = db
        self._name = name
        self._entered = False

    def __enter__(self) -> Database:
        self._db.savepoint(self._name)
        self._entered = True
        return self._db

    def __exit__(self, exc_type, exc, tb) -> bool:
        if not self._entered:
            return False
        self._entered = False
        if exc_type is not None:
            self._db.rollback_to_savepoint(self._name)
        self._db.release_savepoint(self._name)
        return False
