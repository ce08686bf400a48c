"""``zova check`` and ``zova check --deep``: SQLite's own checks, then (deep)
the diagnostics walk with an issue cap of 10 (docs/cli.md §1.6)."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from ..errors import ZovaError
from .common import (
    DEEP_CHECK_ISSUE_CAP, Diagnostics, Progress, _StageError, _counts, doctor_actions, error_name,
    in_callers_cancel, open_database, quick_check, raise_if_cancelled,
)
from .walk import diagnose

@dataclass
class CheckReport:
    """``zova check`` / ``zova check --deep``."""

    path: str
    deep: bool
    quick_check: str = "ok"
    error_kind: str | None = None     # set when a stage failed ("sqlite quick_check failed", ...)
    error: str | None = None
    diagnostics: Diagnostics | None = None

    @property
    def ok(self) -> bool:
        return self.error_kind is None and (self.diagnostics is None or self.diagnostics.ok)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 4

    def to_dict(self) -> dict:
        if self.error_kind is not None:
            return {"status": "error", "command": "check", "kind": self.error_kind, "error": self.error}
        if not self.deep:
            return {"status": "ok", "command": "check", "quick_check": "ok"}
        d = self.diagnostics
        if d.ok:
            return {"status": "ok", "command": "check", "quick_check": "ok", "deep_check": "ok",
                    "checked": dict(d.checked), **_counts(d), "suggested_actions": ["no action needed"]}
        return {"status": "error", "command": "check", "kind": "deep_check", "error": "corruption detected",
                **_counts(d), "suggested_actions": doctor_actions(None)}


def check(path: str, *, deep: bool = False, progress: Progress | None = None) -> CheckReport:
    """Opens ``path`` (ZovaError if it cannot be opened as a Zova database), runs
    quick_check and, with ``deep``, the diagnostics walk with an issue cap of 10.
    ``path``: str, bytes or os.PathLike."""
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
