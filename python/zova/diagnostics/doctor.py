"""``zova doctor``: quick_check, the summary counts and the diagnostics walk,
reported with the next action to take (docs/cli.md §1.6). Never writes."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..errors import PathArg, ZovaError
from .common import (
    DEFAULT_LIMIT, Diagnostics, Progress, _StageError, _counts, doctor_actions, error_name, open_database,
    quick_check, raise_if_cancelled, summary,
)
from .source import damage_kind
from .walk import diagnose

@dataclass
class DoctorReport:
    """What ``zova doctor`` found: health summary, diagnostics and the next
    action (made by :func:`doctor`).

    Args:
        path: the file examined.
        limit: how many issues the walk keeps.
        summary: the summary counts (:func:`summary` with ``count_rows=False``,
            so its ``user_rows`` is 0); None when a stage failed first.
        diagnostics: the diagnostics walk; None when a stage failed first.
        stage: None, or what stopped doctor: ``sqlite quick_check failed``,
            ``summary failed``, ``diagnostic check failed``, or, for a file
            that does not open, ``truncated file`` or ``identity damaged``.
        error: the error name of that stage (``CheckFailed``, ``Corrupt``,
            ``NotZovaDatabase``...), or None.
    """

    path: str
    limit: int
    summary: dict[str, Any] | None = None
    diagnostics: Diagnostics | None = None
    stage: str | None = None   # set when a stage threw
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Every stage ran and the walk found no error."""
        return self.stage is None and self.diagnostics is not None and self.diagnostics.ok

    @property
    def exit_code(self) -> int:
        """The ``zova doctor`` exit code: 0 when ``ok``, else 4."""
        return 0 if self.ok else 4

    @property
    def status(self) -> str:
        """``ok`` or ``needs_attention``."""
        return "ok" if self.ok else "needs_attention"

    def suggested_actions(self, path: str | None) -> list[str]:
        """The next steps to take.

        Args:
            path: the path to write into the actions, or None for the
                ``<file.zova>`` placeholder (as the JSON report has it).

        Returns:
            ``["no action needed"]`` when ``ok``; else restore from a backup,
            ``zova check --deep`` (left out when a stage failed, as the deep
            check would stop there too), ``zova salvage --dry-run`` and
            ``zova salvage``; first ``zova index rebuild`` for each collection
            whose approximate-search index is stale or damaged.
        """
        if self.ok:
            return ["no action needed"]
        actions = doctor_actions(path)
        if self.diagnostics is not None:
            # a stale or damaged vector index is rebuilt from the vectors (issue 17)
            indexes = sorted({issue.collection for issue in self.diagnostics.issues
                              if issue.kind.startswith("vector_index_") and issue.collection is not None})
            actions = [f"run: zova index rebuild {path or '<file.zova>'} {name}" for name in indexes] + actions
        if self.stage is not None:
            # check --deep would stop where doctor stopped: go straight to salvage
            actions = [action for action in actions if "check --deep" not in action]
        return actions

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``zova doctor --json``, without its
        ``cli_json_version`` key.

        Returns:
            ``status``, ``command`` and ``source_path`` first. After a failed
            stage: ``error`` (the stage), ``kind`` (its error name) and
            ``suggested_actions``. Else ``quick_check``, ``schema``,
            ``checked``, ``tables``, the issue counts, ``issues`` and
            ``suggested_actions``.
        """
        if self.stage is not None:
            return {"status": "needs_attention", "command": "doctor", "source_path": self.path,
                    "error": self.stage, "kind": self.error, "suggested_actions": self.suggested_actions(None)}
        d = self.diagnostics
        assert d is not None and self.summary is not None   # every stage ran
        return {"status": self.status, "command": "doctor", "source_path": self.path, "quick_check": "ok",
                "schema": "ok", "checked": dict(d.checked),
                "tables": dict(self.summary["tables"]), **_counts(d),
                "suggested_actions": self.suggested_actions(None)}


def doctor(path: PathArg, *, limit: int = DEFAULT_LIMIT, progress: Progress | None = None) -> DoctorReport:
    """Explains the health of a ``.zova`` file and suggests the next action, as
    ``zova doctor`` does: SQLite's ``quick_check``, the summary counts, then
    the diagnostics walk. Never writes.

    Args:
        path: the file (str, bytes or os.PathLike).
        limit: how many issues the report keeps (all are counted).
        progress: called as ``progress(done, total)`` (bytes) while the walk
            verifies objects and loose chunks.

    Returns:
        The :class:`DoctorReport`. A file that does not open because it is a
        damaged Zova file (truncated, or its Zova identity damaged) gets a
        report with ``stage`` set, which leads to salvage.

    Raises:
        ZovaError: ``path`` does not open for any other reason (a missing
            file, not a SQLite file, a plain SQLite file...).
        Interrupted: the calling thread's :class:`zova.Cancel` token was
            cancelled.
    """
    path = os.fsdecode(path)   # str, bytes or os.PathLike
    try:
        db = open_database(path)
    except ZovaError as error:
        damage = damage_kind(path) if error.status in (15, 31) else None
        if damage is None:
            raise
        return DoctorReport(path=path, limit=limit, stage=damage.replace("_", " "), error=error_name(error))
    with db:
        report = DoctorReport(path=path, limit=limit)
        stage = "sqlite quick_check failed"
        try:
            quick_check(db)
            stage = "summary failed"
            report.summary = summary(db, path, count_rows=False)
            stage = "diagnostic check failed"
            report.diagnostics = diagnose(db, limit, progress, path)
        except (_StageError, ZovaError, ValueError) as error:
            report.stage, report.error = stage, error_name(error)
        raise_if_cancelled()
        return report
