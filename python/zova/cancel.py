"""Cancelling a long call from another thread (issue 13; C: ``zova_cancel_*`` and
``zova_thread_set_cancel`` in include/zova.h).

A :class:`Cancel` is a token. ``with token.bound():`` binds it to the current
thread for the block; ``token.cancel()``, from any thread or a signal handler,
then makes the Zova call running on that thread (a backup, compact, restore,
conversion, deep check, big object read or write, long query) stop within a
fraction of a second with :class:`zova.Interrupted`; a copy leaves no
destination file behind. Tokens need no Database: ``restore_backup`` and
``convert_sqlite_to_zova`` honour them too.
"""
from __future__ import annotations

import threading
from types import TracebackType
from typing import Any, Literal

from ._native import ffi, lib
from .errors import ZovaError

__all__ = ["Cancel", "CancelBinding"]

# The Cancel object bound to each thread through bound(): keeps it alive (the C
# token must not be freed while bound) and is restored with the C binding.
_bound = threading.local()


class Cancel:
    """A cancellation token.

    * ``cancel()`` requests it (thread-safe, idempotent, safe in a signal
      handler: one atomic store in C);
    * ``cancelled`` tells whether it was requested;
    * ``with token.bound():`` binds it to the calling thread for the block, and
      restores the thread's previous binding afterwards.

    A requested token stays requested; use a new one for the next operation.
    A call failing because of it raises :class:`zova.Interrupted`.

    ``Cancel()`` takes no arguments; it raises :class:`zova.OutOfMemoryError`
    if the C token cannot be allocated.
    """

    __slots__ = ("_ptr", "__weakref__")

    _ptr: Any  # the cffi ``zova_cancel *``, freed by the garbage collector

    def __init__(self) -> None:
        out = ffi.new("zova_cancel **")
        status = lib.zova_cancel_create(out)
        if status:
            raise ZovaError(status)
        self._ptr = ffi.gc(out[0], lib.zova_cancel_free)

    def cancel(self) -> None:
        """Requests cancellation: the Zova calls of every thread this token is
        bound to stop soon. Harmless when nothing is running.

        Raises:
            Nothing: one atomic store in C, safe in a signal handler.
        """
        lib.zova_cancel_request(self._ptr)

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called (``bool``)."""
        return bool(lib.zova_cancel_requested(self._ptr))

    @staticmethod
    def current() -> "Cancel | None":
        """The token bound to the calling thread by :meth:`bound`, if any (so
        that work a call hands to other threads can bind it there too).

        Returns:
            The bound :class:`Cancel`, or None when no ``bound()`` block is active.
        """
        token: Cancel | None = getattr(_bound, "token", None)
        return token

    def bound(self) -> "CancelBinding":
        """A context manager binding this token to the current thread for its
        block (``with token.bound(): db.backup_to(path)``).

        Returns:
            A :class:`CancelBinding`, whose ``with`` block gives this token.
            Entering the same binding twice at once raises RuntimeError.
        """
        return CancelBinding(self)

    def __repr__(self) -> str:
        return f"<zova.Cancel {'cancelled' if self.cancelled else 'not cancelled'}>"


class CancelBinding:
    """What ``Cancel.bound()`` returns: a context manager that binds the
    ``token`` to the calling thread on enter and restores the previous binding
    (C pointer and Python owner) on exit. Nested blocks, of the same or of
    different tokens, unwind in order. Entering one binding again while it is
    active raises RuntimeError; exceptions of the block are never swallowed."""

    __slots__ = ("_token", "_saved")

    def __init__(self, token: Cancel) -> None:
        self._token = token
        self._saved: tuple[Any, Cancel | None] | None = None

    def __enter__(self) -> Cancel:
        if self._saved is not None:
            raise RuntimeError("this bound() block is already active")
        self._saved = (lib.zv_py_thread_cancel(), getattr(_bound, "token", None))
        lib.zova_thread_set_cancel(self._token._ptr)
        _bound.token = self._token
        return self._token

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        assert self._saved is not None, "__exit__ without __enter__"
        previous_ptr, previous_token = self._saved
        self._saved = None
        lib.zova_thread_set_cancel(previous_ptr)
        _bound.token = previous_token
        return False


_Binding = CancelBinding  # its name before it was exported
