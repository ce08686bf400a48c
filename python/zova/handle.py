"""Native handle lifetimes shared by Database, Statement and ObjectWriter
(docs/python.md §2.5; README "Threads").

* :class:`NativeDatabase` reference-counts one ``zova_database *``. A
  :class:`Database` holds one reference, and so does every open child;
  ``zova_database_close`` runs when the last reference goes, so closing a
  Database never breaks a statement or writer that is still in use (the C ABI
  refuses to close a database with live children).
* :class:`Guard` counts the calls in flight on one handle (``zv_py_guard`` in
  _native_shims.h, atomic counters in C). :meth:`Guard.close` marks the handle
  closed and waits for the calls in flight; only then is the handle's terminal
  C call made (release, finalize, destroy). A handle may therefore be closed by
  one thread while others are inside calls on it: those calls finish, later
  ones raise :class:`ClosedHandleError`.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from ._native import ffi, lib
from .errors import ClosedHandleError

if TYPE_CHECKING:
    from .records import Transaction
    from .statement import Statement


class NativeDatabase:
    """One reference-counted ``zova_database *`` (module docstring)."""

    __slots__ = ("ptr", "_refs", "_lock")

    def __init__(self, ptr: Any) -> None:
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


class Guard:
    """The calls in flight on one native handle; ``what`` names it in errors."""

    __slots__ = ("c", "_what")

    def __init__(self, handle: Any, what: str) -> None:
        self.c = ffi.new("zv_py_guard *")
        self.c.handle = handle
        self._what = what

    @property
    def handle(self) -> Any:
        """The native handle (a cffi pointer)."""
        return self.c.handle

    def enter(self) -> None:
        """Registers a call; ClosedHandleError if the handle is closed. Every
        enter is paired with a leave."""
        if not lib.zv_py_guard_enter(self.c):
            raise ClosedHandleError(f"{self._what} is closed")

    def leave(self) -> None:
        lib.zv_py_guard_leave(self.c)

    def close(self) -> bool:
        """Marks the handle closed and waits for the calls in flight. True for
        the one caller that must now make the terminal call."""
        return bool(lib.zv_py_guard_close(self.c))

    @property
    def closed(self) -> bool:
        return bool(self.c.closed)


class DatabaseCore(Protocol):
    """For type checking only: what the Database mixins (objects.py, vectors.py,
    operations.py, records.py) use of :class:`zova.Database`. At run time the
    mixins derive from ``object`` (see ``MixinBase``), so the MRO is unchanged."""

    _native: NativeDatabase
    _guard: Guard

    def _handle(self) -> Any: ...

    def _call(self, function: Callable[..., int], *args: Any) -> None: ...

    def _adopt_child(self, function: Callable[[Any], int], request: Any) -> None: ...

    def exec(self, sql: str) -> None: ...

    def prepare(self, sql: str) -> Statement: ...

    def transaction(self, *, immediate: bool = False) -> Transaction: ...


if TYPE_CHECKING:
    MixinBase = DatabaseCore
else:
    MixinBase = object
