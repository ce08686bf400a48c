"""Exceptions raised by the zova package (docs/python.md §2.6), and the
argument conversions shared by the modules (paths, C strings, ints).

Every failed call raises a :class:`ZovaError`; its class names the family of
its status (include/zova.h), so a caller can catch one family::

    ZovaError                       status, status_name, message
    ├── InvalidArgumentError        INVALID_ARGUMENT, NOT_ZOVA_PATH, OBJECT_MANIFEST_INVALID,
    │   │                           OBJECT_RANGE_INVALID, OBJECT_TOO_LARGE
    │   └── VectorError             VECTOR_INVALID, VECTOR_DIMENSION_MISMATCH
    ├── OutOfMemoryError            OUT_OF_MEMORY
    ├── BusyError                   BUSY, LOCKED
    ├── ConstraintError             CONSTRAINT
    ├── CantOpenError               CANT_OPEN
    ├── ReadOnlyError               READ_ONLY
    ├── CorruptError                CORRUPT, OBJECT_CHUNK_HASH_MISMATCH, OBJECT_CORRUPT, VECTOR_CORRUPT
    ├── MisuseError                 MISUSE, OBJECT_TRANSACTION_ACTIVE, OBJECT_WRITER_CLOSED
    │   └── ClosedHandleError       a call on a closed handle (also a RuntimeError)
    ├── SQLiteError                 SQLITE_ERROR
    │   └── Interrupted             a call stopped by a zova.Cancel token
    ├── NotZovaDatabaseError        NOT_ZOVA_DATABASE, UNSUPPORTED_ZOVA_VERSION
    ├── AlreadyExistsError          DESTINATION_EXISTS, OBJECT_ALREADY_EXISTS, VECTOR_COLLECTION_EXISTS
    ├── NameConflictError           ZOVA_NAME_CONFLICT
    └── NotFoundError               OBJECT_NOT_FOUND, OBJECT_CHUNK_NOT_FOUND, VECTOR_COLLECTION_NOT_FOUND,
                                    VECTOR_NOT_FOUND

``ZovaError(status, message)`` itself returns the family's class, so every
place that builds an error from a status gets the right one.
"""
from __future__ import annotations

import operator
import os
from typing import Any, SupportsIndex, Union

from ._native import ffi, lib
from .enums import Status

__all__ = ["ZovaError", "InvalidArgumentError", "VectorError", "OutOfMemoryError", "BusyError", "ConstraintError",
           "CantOpenError", "ReadOnlyError", "CorruptError", "MisuseError", "ClosedHandleError", "SQLiteError",
           "Interrupted", "NotZovaDatabaseError", "AlreadyExistsError", "NameConflictError", "NotFoundError"]


# A path argument: str, bytes or any os.PathLike such as pathlib.Path.
PathArg = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


def status_name(status: int) -> str:
    """The ``ZOVA_*`` name of the int ``status`` (the C core's ``zova_status_name``)."""
    name: bytes = ffi.string(lib.zova_status_name(status))
    return name.decode("ascii")


class ZovaError(Exception):
    """A non-OK status from the C core.

    ``status`` is the raw code, an int as always (``zova.Status(error.status)``
    names it; the members compare equal to it), ``status_name`` its ``ZOVA_*``
    name and ``message`` the diagnostic copied right after the failing call
    (or None). ``str(error)`` is
    ``"<status_name>: <message>"``, or the name alone without a message.
    Constructing ``ZovaError(status, message)`` gives the subclass of the
    status's family (module docstring).

    Args:
        status: the ``zova_status`` code (an int or a :class:`zova.Status`).
        message: the C core's diagnostic, or None.
    """

    status: int
    status_name: str
    message: str | None

    def __new__(cls, status: int | None = None, message: str | None = None, *args: Any, **kwargs: Any) -> ZovaError:
        if cls is ZovaError:
            cls = _class_for(status, message)
        return super().__new__(cls)

    def __init__(self, status: int, message: str | None = None) -> None:
        self.status = int(status)
        self.status_name = status_name(self.status)
        self.message = message if message else None
        super().__init__(f"{self.status_name}: {message}" if message else self.status_name)

    def __reduce__(self) -> tuple[type[ZovaError], tuple[int, str | None]]:
        return type(self), (self.status, self.message)


class InvalidArgumentError(ZovaError):
    """An argument the C core refused: ``INVALID_ARGUMENT``, a path without the
    ``.zova`` suffix, chunks that do not make the object, a read offset past the
    end, an object too large."""


class VectorError(InvalidArgumentError):
    """A vector, collection name, vector id or collection option the C core
    refused (``VECTOR_INVALID``), or values of the wrong length
    (``VECTOR_DIMENSION_MISMATCH``); the message says which and why."""


class OutOfMemoryError(ZovaError):
    """The C core could not allocate memory."""


class BusyError(ZovaError):
    """The file is locked by another connection (``BUSY``) or the table by this
    one (``LOCKED``); retrying later, or a busy timeout, may succeed."""


class ConstraintError(ZovaError):
    """An SQL constraint (UNIQUE, NOT NULL, CHECK, foreign key) failed."""


class CantOpenError(ZovaError):
    """The file (or its journal) cannot be opened or created."""


class ReadOnlyError(ZovaError):
    """A write on a read-only handle or file."""


class CorruptError(ZovaError):
    """Stored bytes fail their checks: a damaged file, a chunk whose bytes do
    not match their hash, an object or vector row that does not verify."""


class MisuseError(ZovaError):
    """A call made in a state that does not allow it (a statement iterated by
    another caller, an object write inside a transaction, a finished writer)."""


class ClosedHandleError(MisuseError, RuntimeError):
    """A call on a database, statement or object writer that was closed: status
    ``MISUSE``. Also a ``RuntimeError``, which it was before the hierarchy.

    Args:
        message: what was closed (``"statement is closed"``).
    """

    def __init__(self, message: str = "handle is closed") -> None:
        super().__init__(Status.MISUSE, message)

    def __reduce__(self) -> tuple[type[ZovaError], tuple[str | None]]:  # type: ignore[override]  # pickles (message,), not (status, message)
        return type(self), (self.message,)


class SQLiteError(ZovaError):
    """SQLite's generic error (``SQLITE_ERROR``): bad SQL, a missing table,
    SQL refused on Zova's private tables."""


class Interrupted(SQLiteError):
    """A call stopped because the :class:`zova.Cancel` token bound to its thread
    was cancelled: status ``ZOVA_SQLITE_ERROR`` (17) with the message
    ``"interrupted"``. A subclass of :class:`ZovaError`, so ``except ZovaError``
    catches it too."""


class NotZovaDatabaseError(ZovaError):
    """The file is not a Zova database, or one of a version this one cannot read."""


class AlreadyExistsError(ZovaError):
    """A destination file, an object (assembled from chunks) or a vector
    collection that already exists."""


class NameConflictError(ZovaError):
    """A plain SQLite file to convert already uses a ``_zova_`` name."""


class NotFoundError(ZovaError):
    """No object, chunk, vector collection or vector with that id or name."""


_FAMILIES: dict[int, type[ZovaError]] = {
    Status.INVALID_ARGUMENT: InvalidArgumentError,
    Status.NOT_ZOVA_PATH: InvalidArgumentError,
    Status.OBJECT_MANIFEST_INVALID: InvalidArgumentError,
    Status.OBJECT_RANGE_INVALID: InvalidArgumentError,
    Status.OBJECT_TOO_LARGE: InvalidArgumentError,
    Status.VECTOR_INVALID: VectorError,
    Status.VECTOR_DIMENSION_MISMATCH: VectorError,
    Status.OUT_OF_MEMORY: OutOfMemoryError,
    Status.BUSY: BusyError,
    Status.LOCKED: BusyError,
    Status.CONSTRAINT: ConstraintError,
    Status.CANT_OPEN: CantOpenError,
    Status.READ_ONLY: ReadOnlyError,
    Status.CORRUPT: CorruptError,
    Status.OBJECT_CHUNK_HASH_MISMATCH: CorruptError,
    Status.OBJECT_CORRUPT: CorruptError,
    Status.VECTOR_CORRUPT: CorruptError,
    Status.MISUSE: MisuseError,
    Status.OBJECT_TRANSACTION_ACTIVE: MisuseError,
    Status.OBJECT_WRITER_CLOSED: MisuseError,
    Status.SQLITE_ERROR: SQLiteError,
    Status.NOT_ZOVA_DATABASE: NotZovaDatabaseError,
    Status.UNSUPPORTED_ZOVA_VERSION: NotZovaDatabaseError,
    Status.DESTINATION_EXISTS: AlreadyExistsError,
    Status.OBJECT_ALREADY_EXISTS: AlreadyExistsError,
    Status.VECTOR_COLLECTION_EXISTS: AlreadyExistsError,
    Status.ZOVA_NAME_CONFLICT: NameConflictError,
    Status.OBJECT_NOT_FOUND: NotFoundError,
    Status.OBJECT_CHUNK_NOT_FOUND: NotFoundError,
    Status.VECTOR_COLLECTION_NOT_FOUND: NotFoundError,
    Status.VECTOR_NOT_FOUND: NotFoundError,
}


def _class_for(status: int | None, message: str | None) -> type[ZovaError]:
    """The class of the error for `status`: :class:`Interrupted` when the C core
    says the call was interrupted (status 17, message "interrupted"), else the
    status's family (ZovaError for a status without one)."""
    if status == Status.SQLITE_ERROR and message == "interrupted":
        return Interrupted
    return _FAMILIES.get(status, ZovaError) if status is not None else ZovaError


def error_for(status: int, message: str | None) -> ZovaError:
    """The exception for a failed call: its family's class, or
    :class:`Interrupted` for a call a Cancel token stopped."""
    return ZovaError(status, message)


def call_error(status: int) -> ZovaError:
    """The error of a failed call on a handle, with the message the C core stored
    for this thread's call (taken from the thread's own copy, so calls of other
    threads on the same handle cannot replace it first)."""
    raw = lib.zv_py_take_error()
    if raw == ffi.NULL:
        return ZovaError(status)
    try:
        text: str = ffi.string(raw).decode("utf-8", "replace")
    finally:
        lib.zv_py_free_error(raw)
    return error_for(status, text)


def take_message(message: Any) -> str | None:
    """Copies and frees an owned ``zova_message`` filled by create/open/convert/restore."""
    if message.data == ffi.NULL:
        return None
    text: str = ffi.string(message.data, message.len).decode("utf-8", "replace")
    lib.zova_message_free(message)
    return text


def encode_path(value: PathArg, context: str) -> bytes:
    """The file-system bytes of a path argument: a str, bytes or any
    ``os.PathLike`` such as ``pathlib.Path`` (``os.fsencode``: a name that is
    not UTF-8, as Python decodes it from ``sys.argv`` or ``os.listdir``, gets
    its own bytes back); interior NUL is a ValueError (§2.6)."""
    try:
        data = os.fsencode(value)
    except TypeError:
        raise TypeError(f"{context} must be str, bytes or os.PathLike, not {type(value).__name__}") from None
    if b"\0" in data:
        raise ValueError(f"{context} contains an interior NUL byte")
    return data


def encode_str(value: str, context: str) -> bytes:
    """UTF-8 bytes for a C string argument; interior NUL is a ValueError (§2.6)."""
    if not isinstance(value, str):
        raise TypeError(f"{context} must be str, not {type(value).__name__}")
    data = value.encode("utf-8")
    if b"\0" in data:
        raise ValueError(f"{context} contains an interior NUL byte")
    return data


def index_int(value: SupportsIndex, what: str) -> int:
    """An int argument: an int or any integer type with ``__index__`` (numpy
    integers among them) as a plain int; a bool is a TypeError, as are floats."""
    if isinstance(value, bool):
        raise TypeError(f"{what} must be int, not bool")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be int, not {type(value).__name__}") from None
