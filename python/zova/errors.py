"""Exceptions raised by the zova package (cli-and-bindings §2.6)."""
from __future__ import annotations

import os

from ._native import ffi, lib

__all__ = ["ZovaError", "Interrupted", "ClosedHandleError"]


def status_name(status: int) -> str:
    return ffi.string(lib.zova_status_name(status)).decode("ascii")


class ZovaError(Exception):
    """A non-OK status from the C core.

    ``status`` is the raw code, ``status_name`` its ``ZOVA_*`` name and ``message``
    the diagnostic copied right after the failing call (or None).
    """

    def __init__(self, status: int, message: str | None = None) -> None:
        self.status = int(status)
        self.status_name = status_name(self.status)
        self.message = message if message else None
        super().__init__(f"{self.status_name}: {message}" if message else self.status_name)


class Interrupted(ZovaError):
    """A call stopped because the :class:`zova.Cancel` token bound to its thread
    was cancelled: status ``ZOVA_SQLITE_ERROR`` (17) with the message
    ``"interrupted"``. A subclass of :class:`ZovaError`, so ``except ZovaError``
    catches it too."""


def error_for(status: int, message: str | None) -> ZovaError:
    """The exception for a failed call: :class:`Interrupted` when the C core
    says the call was interrupted (status 17, message "interrupted"), else
    :class:`ZovaError`."""
    if status == lib.ZOVA_SQLITE_ERROR and message == "interrupted":
        return Interrupted(status, message)
    return ZovaError(status, message)


class ClosedHandleError(RuntimeError):
    """A call on a database, statement or object writer that was closed."""


def call_error(status: int) -> ZovaError:
    """The error of a failed call on a handle, with the message the C core stored
    for this thread's call (taken from the thread's own copy, so calls of other
    threads on the same handle cannot replace it first)."""
    raw = lib.zv_py_take_error()
    if raw == ffi.NULL:
        return ZovaError(status)
    try:
        text = ffi.string(raw).decode("utf-8", "replace")
    finally:
        lib.zv_py_free_error(raw)
    return error_for(status, text)


def take_message(message) -> str | None:
    """Copies and frees an owned ``zova_message`` filled by create/open/convert/restore."""
    if message.data == ffi.NULL:
        return None
    text = ffi.string(message.data, message.len).decode("utf-8", "replace")
    lib.zova_message_free(message)
    return text


def encode_path(value: str, context: str) -> bytes:
    """The file-system bytes of a path argument (``os.fsencode``: a name that is
    not UTF-8, as Python decodes it from ``sys.argv`` or ``os.listdir``, gets its
    own bytes back); interior NUL is a ValueError (§2.6)."""
    if not isinstance(value, str):
        raise TypeError(f"{context} must be str, not {type(value).__name__}")
    data = os.fsencode(value)
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
