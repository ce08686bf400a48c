"""``zova check`` and ``zova check --deep``: SQLite's own checks, then (deep)
the diagnostics walk with an issue cap of 10 (docs/cli.md §1.6)."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

from ..errors import PathArg, ZovaError
from .common import (
    DEEP_CHECK_ISSUE_CAP, Diagnostics, Progress, _StageError, _counts, doctor_actions, error_name,
    in_callers_cancel, open_database, quick_check, raise_if_cancelled,
)
from .walk import diagnose

@dataclass
class CheckReport:
    """What ``zova check`` / ``zova check --deep`` found (made by :func:`check`).

    Args:
        path: the file checked.
        deep: whether the deep check ran.
        quick_check: ``ok`` (a failed check sets ``error_kind`` instead).
        error_kind: None, or the stage that failed: ``sqlite quick_check
            failed``, ``sqlite integrity_check failed``, ``object corruption``,
            ``vector corruption`` or ``deep check failed``.
        error: the error name of that failure (``CheckFailed``, ``Corrupt``,
            ``ObjectCorrupt``...), or None.
        diagnostics: the deep check's walk (issue cap 10); None without
            ``deep`` or when a stage failed.
    """

    path: str
    deep: bool
    quick_check: str = "ok"
    error_kind: str | None = None     # set when a stage failed ("sqlite quick_check failed", ...)
    error: str | None = None
    diagnostics: Diagnostics | None = None

    @property
    def ok(self) -> bool:
        """No stage failed and the walk (if it ran) found no error."""
        return self.error_kind is None and (self.diagnostics is None or self.diagnostics.ok)

    @property
    def exit_code(self) -> int:
        """The ``zova check`` exit code: 0 when ``ok``, else 4."""
        return 0 if self.ok else 4

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``zova check [--deep] --json``, without its
        ``cli_json_version`` key.

        Returns:
            ``status`` (``ok`` or ``error``) and ``command``, then: after a
            failed stage, ``kind`` (the stage) and ``error``; without ``deep``,
            ``quick_check``; for a deep check that found nothing,
            ``quick_check``, ``deep_check`` and ``checked``; for one that found
            issues, ``kind`` (``deep_check``) and ``error`` (``corruption
            detected``). A deep check ends with the issue counts, ``issues``
            and ``suggested_actions``.
        """
        if self.error_kind is not None:
            return {"status": "error", "command": "check", "kind": self.error_kind, "error": self.error}
        if not self.deep:
            return {"status": "ok", "command": "check", "quick_check": "ok"}
        d = self.diagnostics
        assert d is not None   # a deep check without a failed stage has its walk
        if d.ok:
            return {"status": "ok", "command": "check", "quick_check": "ok", "deep_check": "ok",
                    "checked": dict(d.checked), **_counts(d), "suggested_actions": ["no action needed"]}
        return {"status": "error", "command": "check", "kind": "deep_check", "error": "corruption detected",
                **_counts(d), "suggested_actions": doctor_actions(None)}


def check(path: PathArg, *, deep: bool = False, progress: Progress | None = None) -> CheckReport:
    """Checks a ``.zova`` file, as ``zova check [--deep]`` does. Never writes.

    Without ``deep``: SQLite's ``quick_check``. With ``deep``: the diagnostics
    walk (every manifest, chunk and object re-hashed, every vector read, at
    most 10 issues kept) while SQLite's ``integrity_check`` runs on a handle of
    its own; a failed SQLite check wins over the walk's result.

    Args:
        path: the file (str, bytes or os.PathLike).
        deep: run the deep check.
        progress: called as ``progress(done, total)`` (bytes) while the deep
            walk verifies objects and loose chunks; not called without ``deep``.

    Returns:
        The :class:`CheckReport`; a file that opens but fails a check gives a
        report whose ``ok`` is False (exit code 4), not an exception.

    Raises:
        ZovaError: ``path`` does not open as a Zova database.
        Interrupted: the calling thread's :class:`zova.Cancel` token was
            cancelled.
    """
    path = os.fsdecode(path)
    with open_database(path) as db:
        report = CheckReport(path=path, deep=deep)
        if not deep:
            try:
                quick_check(db)
            except _StageError as error:
                report.error_kind, report.error = "sqlite quick_check failed", error.name
            raise_if_cancelled()
            return report
        # The deep check runs SQLite's integrity_check (quick_check plus the
        # index contents) on its own read-only handle while the walk runs (both
        # release the GIL in C); a failed check wins over the walk's result.
        # A file that fails quick_check itself is reported exactly as --deep-less
        # check reports it.
        quick_failure: list[tuple[str, str]] = []

        def run_quick_check() -> None:
            try:
                # A read-write handle (it writes nothing): SQLite drops CHECK
                # constraints when it parses the schema of a read-only
                # connection, so integrity_check there would pass rows that
                # quick_check on this handle fails.
                with open_database(path) as handle:
                    try:
                        quick_check(handle, "integrity_check")
                    except _StageError as integrity:
                        try:
                            quick_check(handle)
                        except _StageError as error:
                            quick_failure.append(("sqlite quick_check failed", error.name))
                        else:
                            quick_failure.append(("sqlite integrity_check failed", integrity.name))
            except ZovaError as error:
                quick_failure.append(("sqlite quick_check failed", error_name(error)))

        worker = threading.Thread(target=in_callers_cancel(run_quick_check), daemon=True)
        worker.start()
        walk_error: BaseException | None = None
        try:
            report.diagnostics = diagnose(db, DEEP_CHECK_ISSUE_CAP, progress, path)
        except (ZovaError, ValueError) as error:
            walk_error = error
        finally:
            worker.join()
        if quick_failure:
            report.diagnostics = None
            report.error_kind, report.error = quick_failure[0]
        elif walk_error is not None:
            report.diagnostics = None
            name = error_name(walk_error)
            if name in ("ObjectCorrupt", "ObjectNotFound", "ObjectChunkNotFound"):
                report.error_kind = "object corruption"
            elif name.startswith("Vector"):
                report.error_kind = "vector corruption"
            else:
                report.error_kind = "deep check failed"
            report.error = name
        raise_if_cancelled()
        return report
