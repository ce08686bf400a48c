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
    CHUNKER, DEEP_CHECK_ISSUE_CAP, DEFAULT_LIMIT, ISSUE_KEYS, MAX_LIMIT, Diagnostics, Issue, Progress, error_name,
    quick_check, summary,
)
# Internals the CLI and the tests reach through this package (``X as X``
# re-exports them for mypy --strict without making them public names).
from .common import _StageError as _StageError
from .common import _collection_error as _collection_error
from .common import _display as _display
from .common import _file_size as _file_size
from .common import _hex as _hex
from .common import _rows as _rows
from .common import _scalar as _scalar
from .common import _vector_error as _vector_error
from .doctor import DoctorReport, doctor
from .salvage import SalvageReport, salvage, salvage_plan
from .walk import _fast_check as _fast_check
from .walk import _vector_batch_errors as _vector_batch_errors
from .walk import diagnose

__all__ = [
    "Issue", "Diagnostics", "CheckReport", "DoctorReport", "SalvageReport", "Progress",
    "error_name", "quick_check", "summary", "diagnose",
    "check", "doctor", "salvage_plan", "salvage",
    "CHUNKER", "DEEP_CHECK_ISSUE_CAP", "DEFAULT_LIMIT", "ISSUE_KEYS", "MAX_LIMIT",
]
