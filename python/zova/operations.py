"""Operational copies and conversion (docs/python.md §2.2-§2.3, docs/c-api.md §4.6):
``Database.backup_to``, ``Database.compact_to`` (mixed into ``Database``), and
the module functions ``restore_backup`` and ``convert_sqlite_to_zova``.
``Database.vacuum`` lives in database.py.

Destinations must be new ``.zova`` paths; they are never overwritten, a copy is
verified after writing unless ``verify=False``, and a failed copy leaves no file.
A :class:`zova.Cancel` token bound to the calling thread (``with token.bound():``)
stops any of them soon after ``token.cancel()``, with :class:`zova.Interrupted`
and no destination left (cancel.py).
"""
from __future__ import annotations

from typing import Any

from ._native import ffi, lib
from .errors import PathArg, encode_path, error_for, take_message
from .handle import MixinBase

__all__ = ["convert_sqlite_to_zova", "restore_backup"]


def _path(value: PathArg, context: str) -> Any:
    return ffi.new("char[]", encode_path(value, context))


def _verify_flag(verify: bool) -> int:
    if not isinstance(verify, bool):
        raise TypeError(f"verify must be bool, not {type(verify).__name__}")
    return 0 if verify else 1


class OperationMethods(MixinBase):
    """Backup and compaction of an open database into a new ``.zova`` file."""

    __slots__ = ()

    def backup_to(self, destination: PathArg, *, verify: bool = True) -> None:
        """Copies the database with SQLite's online backup into a new file.

        Args:
            destination: the new ``.zova`` path (str, bytes or os.PathLike),
                created exclusively, never overwritten.
            verify: check the copy after writing it (default True).

        Raises:
            AlreadyExistsError: ``destination`` exists.
            InvalidArgumentError: ``destination`` does not end in ``.zova``.
            TypeError: ``verify`` is not a bool, or a path of the wrong type.
            Interrupted: a bound :class:`zova.Cancel` was cancelled (no file is left).
            ZovaError: another failure of the copy (CantOpenError, CorruptError...);
                ClosedHandleError when the database is closed.
        """
        self._copy_to("zova_database_backup", destination, verify, lib.ZOVA_BACKUP_NO_VERIFY)

    def compact_to(self, destination: PathArg, *, verify: bool = True) -> None:
        """Writes a compacted copy (``VACUUM INTO``) to a new file; the source is unchanged.

        Args:
            destination: the new ``.zova`` path (str, bytes or os.PathLike),
                created exclusively, never overwritten.
            verify: check the copy after writing it (default True).

        Raises:
            AlreadyExistsError: ``destination`` exists.
            InvalidArgumentError: ``destination`` does not end in ``.zova``.
            TypeError: ``verify`` is not a bool, or a path of the wrong type.
            Interrupted: a bound :class:`zova.Cancel` was cancelled (no file is left).
            ZovaError: another failure of the copy; ClosedHandleError when the
                database is closed.
        """
        self._copy_to("zova_database_compact", destination, verify, lib.ZOVA_COMPACT_NO_VERIFY)

    def _copy_to(self, function: str, destination: PathArg, verify: bool, no_verify_flag: int) -> None:
        encoded = _path(destination, "destination path")
        request = ffi.new(f"{function}_request *")
        request.db = self._handle()
        request.destination_path = encoded
        request.flags = _verify_flag(verify) * no_verify_flag
        self._call(getattr(lib, function), request)


def restore_backup(source: PathArg, destination: PathArg, *, verify: bool = True) -> None:
    """Copies a backup into a new ``.zova`` file.

    Args:
        source: the backup to restore (opened read-only, never modified).
        destination: the new ``.zova`` path, created exclusively.
        verify: check the copy after writing it (default True).

    Raises:
        AlreadyExistsError: ``destination`` exists.
        InvalidArgumentError: a path does not end in ``.zova``.
        NotZovaDatabaseError: ``source`` is missing or not a Zova database.
        TypeError: ``verify`` is not a bool, or a path of the wrong type.
        Interrupted: a bound :class:`zova.Cancel` was cancelled (no file is left).
        ZovaError: another failure (CorruptError when the copy does not verify...).
    """
    source_c = _path(source, "source path")
    destination_c = _path(destination, "destination path")
    message = ffi.new("zova_message *")
    request = ffi.new("zova_database_restore_request *")
    request.source_path = source_c
    request.destination_path = destination_c
    request.flags = _verify_flag(verify) * lib.ZOVA_RESTORE_NO_VERIFY
    request.out_error_message = message
    status = lib.zova_database_restore(request)
    if status:
        raise error_for(status, take_message(message))


def convert_sqlite_to_zova(source: PathArg, destination: PathArg) -> None:
    """Creates a new ``.zova`` file from a plain SQLite file.

    Args:
        source: the SQLite file (never modified).
        destination: the new ``.zova`` path, created exclusively.

    Raises:
        NameConflictError: ``source`` already uses a ``_zova_`` name
            (``ZOVA_ZOVA_NAME_CONFLICT``).
        AlreadyExistsError: ``destination`` exists.
        InvalidArgumentError: ``destination`` does not end in ``.zova``.
        CantOpenError: ``source`` cannot be opened.
        TypeError: a path of the wrong type.
        Interrupted: a bound :class:`zova.Cancel` was cancelled (no file is left).
        ZovaError: another failure of SQLite or of the copy.
    """
    source_c = _path(source, "source path")
    destination_c = _path(destination, "destination path")
    message = ffi.new("zova_message *")
    request = ffi.new("zova_convert_sqlite_to_zova_request *")
    request.source_path = source_c
    request.dest_path = destination_c
    request.out_error_message = message
    status = lib.zova_convert_sqlite_to_zova(request)
    if status:
        raise error_for(status, take_message(message))
