"""Reference-counted ownership of a native ``zova_database *`` (cli-and-bindings §2.5).

The C ABI refuses to close a database while statements or object writers made
from it are alive. A :class:`Database` holds one reference, and so does every
open child; ``zova_database_close`` runs when the last reference goes, so
closing a Database never breaks a statement or writer that is still in use.
"""
from __future__ import annotations

import threading

from ._native import ffi, lib


class NativeDatabase:
    __slots__ = ("ptr", "_refs", "_lock")

    def __init__(self, ptr) -> None:
        self.ptr = ptr
        self._refs = 1
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            if self._refs == 0:
                raise RuntimeError("native database already closed")
            self._refs += 1

    def release(self) -> None:
        with self._lock:
            self._refs -= 1
            if self._refs:
                return
            ptr, self.ptr = self.ptr, ffi.NULL
        lib.zova_database_close(ptr)

    def last_error(self) -> str | None:
        message = ffi.string(lib.zova_database_last_error_message(self.ptr))
        return message.decode("utf-8", "replace") or None
