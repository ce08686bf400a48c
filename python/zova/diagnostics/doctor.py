"""``zova doctor``: quick_check, the summary counts and the diagnostics walk,
reported with the next action to take (cli-and-bindings §1.6). Never writes."""
from __future__ import annotations

from dataclasses import dataclass

from ..database import Database
from ..errors import ZovaError
from .common import (
    DEFAULT_LIMIT, Diagnostics, Progress, _StageError, _counts, doctor_actions, error_name, quick_check, summary,
)
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
        return ["no action needed"] if self.ok else doctor_actions(path)

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
    """Explains the health of ``path`` and suggests the next action. Never writes."""
    with Database.open(path) as db:
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
        return report
