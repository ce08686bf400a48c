"""``zova doctor``: quick_check, the summary counts and the diagnostics walk,
reported with the next action to take (docs/cli.md §1.6). Never writes."""
from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import ZovaError
from .common import (
    DEFAULT_LIMIT, Diagnostics, Progress, _StageError, _counts, doctor_actions, error_name, open_database,
    quick_check, raise_if_cancelled, summary,
)
from .source import damage_kind
from .walk import diagnose

@dataclass
class DoctorReport:
    """``zova doctor``: health summary, diagnostics and the next action."""

    path: str
    limit: int
    summary: dict | None = None
    diagnostics: Diagnostics | None = None
    stage: str | None = None   # set when a stage threw
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.stage is None and self.diagnostics is not None and self.diagnostics.ok

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 4

    @property
    def status(self) -> str:
        return "ok" if self.ok else "needs_attention"

    def suggested_actions(self, path: str | None) -> list[str]:
        if self.ok:
            return ["no action needed"]
        actions = doctor_actions(path)
        if self.stage is not None:
            # check --deep would stop where doctor stopped: go straight to salvage
            actions = [action for action in actions if "check --deep" not in action]
        return actions

    def to_dict(self) -> dict:
        if self.stage is not None:
            return {"status": "needs_attention", "command": "doctor", "source_path": self.path,
                    "error": self.stage, "kind": self.error, "suggested_actions": self.suggested_actions(None)}
        d = self.diagnostics
        return {"status": self.status, "command": "doctor", "source_path": self.path, "quick_check": "ok",
                "schema": "ok", "checked": dict(d.checked),
                "tables": dict(self.summary["tables"]), **_counts(d),
                "suggested_actions": self.suggested_actions(None)}


def doctor(path: str, *, limit: int = DEFAULT_LIMIT, progress: Progress | None = None) -> DoctorReport:
    """Explains the health of ``path`` and suggests the next action. Never writes.
    Raises ZovaError when ``path`` cannot be opened, unless it is a damaged Zova
    file (truncated, or its identity damaged: see source.py), which gets a
    report that leads to salvage."""
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
