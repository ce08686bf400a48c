"""Health checks and recovery for ``.zova`` files (docs/cli.md §1.6), as a
library: ``check``, ``check(deep=True)``, ``doctor``, ``salvage_plan`` (the dry
run) and ``salvage``. Each returns a report object with ``ok``, ``exit_code``
and ``to_dict()`` (the JSON document of the ``zova`` CLI without its
``cli_json_version`` key); the CLI only formats them. Reports never contain
payloads: only ids (hex), counts, sizes, collection names and vector ids.

By command: check.py, doctor.py, salvage.py (with rescue.py for files with
damaged SQLite pages and user_tables.py for the user's rows); the walk they
share is walk.py, and common.py holds issues, limits and the row rules.
"""
from __future__ import annotations

from .check import CheckReport, check
from .common import (
    CHUNKER, DEEP_CHECK_ISSUE_CAP, DEFAULT_LIMIT, ISSUE_KEYS, MAX_LIMIT, Diagnostics, Issue, Progress, _StageError,
    _collection_error, _display, _file_size, _hex, _rows, _scalar, _vector_error, error_name, quick_check, summary,
)
from .doctor import DoctorReport, doctor
from .salvage import SalvageReport, salvage, salvage_plan
from .walk import _fast_check, _vector_batch_errors, diagnose

__all__ = [
    "Issue", "Diagnostics", "CheckReport", "DoctorReport", "SalvageReport", "Progress",
    "error_name", "quick_check", "summary", "diagnose",
    "check", "doctor", "salvage_plan", "salvage",
    "CHUNKER", "DEEP_CHECK_ISSUE_CAP", "DEFAULT_LIMIT", "ISSUE_KEYS", "MAX_LIMIT",
]
