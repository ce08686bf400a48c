"""What check, doctor and salvage share: limits, upstream error names, issues
and their counters, small SQL helpers, ``quick_check`` and the ``summary``
counts (docs/cli.md §1.4), and the rules a private row must meet to read
back (as the C core reads it), used both by the walk and by salvage."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, ParamSpec, TypeGuard, TypeVar, Union

from ..database import Database
from ..errors import ZovaError
from ..statement import Statement

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
DEEP_CHECK_ISSUE_CAP = 10
PACKAGE_VERSION = "0.17.0"
CHUNKER = "fastcdc-v1"
EMPTY_OBJECT_ID = hashlib.sha256(b"").digest()
MAX_CHUNK = 65536
AREAS = ("sqlite", "object", "chunk", "vector")
SEVERITIES = ("info", "warning", "error", "fatal")

# Upstream (Zig) error names for statuses (docs/cli.md §1.3).
_ERROR_NAMES = {
    1: "InvalidArgument", 2: "OutOfMemory", 10: "Busy", 11: "Locked", 12: "Constraint", 13: "CantOpen",
    14: "ReadOnly", 15: "Corrupt", 16: "Misuse", 17: "SqliteError", 30: "NotZovaPath", 31: "NotZovaDatabase",
    32: "UnsupportedZovaVersion", 33: "DestinationExists", 34: "ZovaNameConflict", 50: "ObjectNotFound",
    51: "ObjectAlreadyExists", 52: "ObjectChunkNotFound", 53: "ObjectChunkHashMismatch", 54: "ObjectCorrupt",
    55: "ObjectManifestInvalid", 56: "ObjectRangeInvalid", 57: "ObjectTooLarge", 58: "ObjectTransactionActive",
    59: "ObjectWriterClosed", 70: "VectorCollectionExists", 71: "VectorCollectionNotFound", 72: "VectorNotFound",
    73: "VectorDimensionMismatch", 74: "VectorCorrupt", 75: "VectorInvalid",
}

Progress = Callable[[int, int], None]  # (done, total) in bytes

# A value bound to a statement parameter (what _bind accepts).
SqlValue = Union[None, int, float, str, bytes, bytearray, memoryview]
# A collection's stored (dimensions, metric, element_type), read as _collections reads them.
CollectionMeta = tuple[Any, Any, Any]
# Collections by their name's bytes.
Collections = dict[bytes, CollectionMeta]


def error_name(error: BaseException | int) -> str:
    """The upstream error name for a status or exception.

    Args:
        error: a ``zova_status`` code, a :class:`zova.ZovaError`, or any other
            exception.

    Returns:
        The name (``ObjectCorrupt``, ``CantOpen``...): the status's name for a
        status or ZovaError (``SqliteError`` for a status without one),
        ``OutOfMemory`` for MemoryError, and the class name of any other
        exception.
    """
    if isinstance(error, ZovaError):
        return _ERROR_NAMES.get(error.status, "SqliteError")
    if isinstance(error, int):
        return _ERROR_NAMES.get(error, "SqliteError")
    if isinstance(error, MemoryError):
        return "OutOfMemory"
    if isinstance(error, _StageError):
        return error.name
    return type(error).__name__


class _StageError(Exception):
    """A stage (quick_check, summary, diagnostics) that could not run; ``name`` is the error name."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


# ---------------------------------------------------------------------------
# issues


# The optional keys of an issue, in the order its text line gives them.
ISSUE_KEYS = ("object_id", "chunk_hash", "collection", "vector_id", "table", "rowid")


@dataclass
class Issue:
    """One finding of the diagnostics walk or of a salvage. Reports never hold
    payloads: ids are hex, names are text.

    Args:
        area: ``sqlite``, ``object``, ``chunk`` or ``vector``.
        kind: what was found (``object_integrity``, ``missing_chunk``,
            ``lost_object``...).
        detail: the error a read gives (``ObjectCorrupt``...) or a sentence.
        severity: ``error`` (the default) or ``warning`` (a view that reads
            Zova's private tables: reported, yet the file stays healthy).
        object_id: the object's id in hex, when the issue names one.
        chunk_hash: the chunk's hash in hex, when the issue names one.
        collection: the vector collection's name, when the issue names one.
        vector_id: the vector's id, when the issue names one.
        table: the user table of a row salvage lost.
        rowid: the rowid of a row salvage lost.
    """

    area: str
    kind: str
    detail: str
    severity: str = "error"
    object_id: str | None = None
    chunk_hash: str | None = None
    collection: str | None = None
    vector_id: str | None = None
    table: str | None = None     # a user row salvage lost: its table and rowid
    rowid: int | None = None

    def to_dict(self) -> dict[str, str | int]:
        """The issue as JSON reports give it.

        Returns:
            ``area``, ``kind``, ``severity`` and ``detail``, then those of
            object_id, chunk_hash, collection, vector_id, table and rowid that
            are not None.
        """
        out: dict[str, str | int] = {"area": self.area, "kind": self.kind, "severity": self.severity,
                                     "detail": self.detail}
        for key in ISSUE_KEYS:
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass
class Diagnostics:
    """Counters and capped issue list of one diagnostics walk (or salvage):
    every issue is counted, at most ``limit`` are kept.

    Args:
        limit: how many issues ``issues`` keeps.
        checked: items the walk read, by ``objects``, ``chunks``, ``vectors``
            and ``loose_chunks``.
        issue_count: every issue found, kept or not.
        issue_counts: issues by area (``sqlite``, ``object``, ``chunk``,
            ``vector``).
        severity_counts: issues by severity (``info``, ``warning``, ``error``,
            ``fatal``).
        issues: the first ``limit`` issues.
        issues_truncated: True once an issue was counted but not kept.
        valid_objects: ids (32 bytes) of the objects that read back intact,
            for salvage; no report shows them.
        valid_loose_chunks: hashes (32 bytes) of the loose chunks that read
            back intact, for salvage; no report shows them.
    """

    limit: int
    checked: dict[str, int] = field(
        default_factory=lambda: {"objects": 0, "chunks": 0, "vectors": 0, "loose_chunks": 0})
    issue_count: int = 0
    issue_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AREAS, 0))
    severity_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SEVERITIES, 0))
    issues: list[Issue] = field(default_factory=list)
    issues_truncated: bool = False
    # What read back intact (used by salvage; not part of any report).
    valid_objects: list[bytes] = field(default_factory=list, repr=False)
    valid_loose_chunks: list[bytes] = field(default_factory=list, repr=False)

    def add(self, issue: Issue) -> None:
        """Counts ``issue`` and keeps it if fewer than ``limit`` are kept.

        Args:
            issue: the finding.
        """
        self.issue_count += 1
        self.issue_counts[issue.area] += 1
        self.severity_counts[issue.severity] += 1
        if len(self.issues) < self.limit:
            self.issues.append(issue)
        else:
            self.issues_truncated = True

    @property
    def ok(self) -> bool:
        """No issue of severity error or fatal (warnings are reported, not failed)."""
        return self.severity_counts["error"] == 0 and self.severity_counts["fatal"] == 0

    def issue_dicts(self) -> list[dict[str, str | int]]:
        """The kept issues as JSON reports give them.

        Returns:
            :meth:`Issue.to_dict` of each kept issue, in the order found.
        """
        return [issue.to_dict() for issue in self.issues]


# ---------------------------------------------------------------------------
# small SQL helpers


def _rows(db: Database, sql: str, *params: SqlValue) -> list[tuple[Any, ...]]:
    with db.prepare(sql) as statement:
        _bind(statement, params)
        return statement.fetchall()


def _scalar(db: Database, sql: str, *params: SqlValue) -> Any:
    """The first column of the first row (None without a row): a SQL value of any type."""
    rows = _rows(db, sql, *params)
    return rows[0][0] if rows else None


def _bind(statement: Statement, params: Iterable[SqlValue]) -> None:
    for index, value in enumerate(params, start=1):
        if value is None:
            statement.bind_null(index)
        elif isinstance(value, bool) or isinstance(value, int):
            statement.bind_int(index, int(value))
        elif isinstance(value, float):
            statement.bind_float(index, value)
        elif isinstance(value, str):
            statement.bind_text(index, value)
        else:
            statement.bind_blob(index, bytes(value))


def _hex(value: object) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape").hex()
    if value is None:
        return ""
    return str(value).encode().hex()


def _file_size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _typed(column: str, kind: str) -> str:
    """SQL giving ``column`` when its storage class is ``kind`` and NULL otherwise.
    The C core reads only values of the right class (a chunk's data as TEXT is a
    damaged chunk), and a TEXT value that is not UTF-8 could not even be decoded,
    so the walk never reads one as TEXT."""
    return f"iif(typeof({column}) = '{kind}', {column}, null)"


def _valid_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _display(raw: object) -> str:
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "replace")
    return "" if raw is None else str(raw)


def _run(statement: Statement, *params: SqlValue) -> None:
    statement.reset()
    _bind(statement, params)
    statement.step()
    statement.reset()


# ---------------------------------------------------------------------------
# cancellation: the caller's token reaches the threads a check starts


_P = ParamSpec("_P")
_R = TypeVar("_R")


def in_callers_cancel(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """``function`` wrapped to run with the calling thread's cancellation token
    (``zova.Cancel.bound``) bound, on whichever thread ends up calling it."""
    from ..cancel import Cancel

    token = Cancel.current()
    if token is None:
        return function

    def bound(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with token.bound():
            return function(*args, **kwargs)

    return bound


def raise_if_cancelled() -> None:
    """Raises zova.Interrupted when the calling thread's token was requested:
    a check or salvage cut short reports that, not half a walk."""
    from ..cancel import Cancel
    from ..errors import Interrupted

    token = Cancel.current()
    if token is not None and token.cancelled:
        raise Interrupted(17, "interrupted")


# ---------------------------------------------------------------------------
# opening a file another program may be writing

BUSY_TIMEOUT_MS = 5000
_BUSY, _LOCKED = 10, 11


def open_database(path: str, *, read_only: bool = False) -> Database:
    """``Database.open`` for the checks, which often run beside a live writer:
    an open refused because a writer holds the file (BUSY, LOCKED) is retried
    for up to BUSY_TIMEOUT_MS, and the handle waits as long for locks."""
    import time

    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.001
    while True:
        try:
            db = Database.open(path, read_only=read_only)
            break
        except ZovaError as error:
            if error.status not in (_BUSY, _LOCKED) or time.monotonic() >= deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
    db.set_busy_timeout(BUSY_TIMEOUT_MS)
    return db


# ---------------------------------------------------------------------------
# quick_check and summary


def quick_check(db: Database, pragma: str = "quick_check") -> None:
    """Runs ``pragma quick_check`` (or ``integrity_check``); every row must be
    ``ok``. Raises _StageError (``CheckFailed``, or the SQLite error name if
    the check itself failed)."""
    try:
        rows = _rows(db, f"pragma {pragma}")
    except ZovaError as error:
        raise _StageError(error_name(error)) from None
    if not rows or any(row[0] != "ok" for row in rows):
        raise _StageError("CheckFailed")


def _user_table_names(db: Database) -> list[str | None]:
    """User table names in name order; None for a name that is not valid UTF-8."""
    names: list[str | None] = []
    for (raw,) in _rows(db, "select cast(name as blob) from sqlite_master where type = 'table' "
                            "and substr(name, 1, 6) != '_zova_' and substr(name, 1, 7) != 'sqlite_' order by name"):
        try:
            names.append(raw.decode("utf-8"))
        except (UnicodeDecodeError, AttributeError):
            names.append(None)
    return names


def summary(db: Database, path: str, *, count_rows: bool = True) -> dict[str, Any]:
    """The counts of ``zova info`` plus what doctor and salvage plans need
    (docs/cli.md §1.4 definitions). ``count_rows=False`` skips the
    ``user_rows`` count (a scan of every user table), which info and stats do not show."""
    objects = _rows(db, "select count(*), coalesce(sum(size_bytes), 0) from _zova_objects")[0]
    chunks = _rows(db, "select count(*), coalesce(sum(size_bytes), 0) from _zova_chunks")[0]
    loose = _rows(db, "select count(*), coalesce(sum(size_bytes), 0) from _zova_chunks "
                      "where chunk_hash not in (select chunk_hash from _zova_object_chunks)")[0]
    user_tables = _user_table_names(db)
    user_rows = 0
    for name in user_tables if count_rows else []:
        if name is None:
            continue
        try:
            user_rows += _scalar(db, f"select count(*) from {_quote(name)}") or 0
        except (ZovaError, ValueError):
            pass
    return {
        "package_version": PACKAGE_VERSION,
        "sqlite_version": _scalar(db, "select sqlite_version()"),
        "format_version": _scalar(db, "select value from _zova_meta where key = 'format_version'"),
        "files": {"database_bytes": _file_size(path), "wal_bytes": _file_size(path + "-wal"),
                  "journal_bytes": _file_size(path + "-journal")},
        "sqlite": {"page_count": _scalar(db, "pragma page_count"), "page_size": _scalar(db, "pragma page_size"),
                   "freelist_count": _scalar(db, "pragma freelist_count")},
        "objects": {"count": objects[0], "logical_bytes": objects[1]},
        "chunks": {"count": chunks[0], "manifest_rows": _scalar(db, "select count(*) from _zova_object_chunks"),
                   "loose_count": loose[0], "stored_bytes": chunks[1], "loose_bytes": loose[1]},
        "vectors": {"collections": _scalar(db, "select count(*) from _zova_vector_collections"),
                    "rows": _scalar(db, "select count(*) from _zova_vectors")},
        "tables": {"user": len(user_tables),
                   "private": _scalar(db, "select count(*) from sqlite_master where type = 'table' "
                                          "and substr(name, 1, 6) = '_zova_'")},
        "user_schema_objects": _scalar(
            db, "select count(*) from sqlite_master where type in ('index', 'view', 'trigger') "
                "and sql is not null and substr(name, 1, 6) != '_zova_' and substr(name, 1, 7) != 'sqlite_' "
                "and substr(tbl_name, 1, 6) != '_zova_' and substr(tbl_name, 1, 7) != 'sqlite_'"),
        "user_rows": user_rows,
    }


# ---------------------------------------------------------------------------
# row rules shared by the walk and salvage (what the C core accepts when it reads a row)


def _name_valid(raw: object) -> TypeGuard[bytes]:
    """docs/c-api.md §2.4: 1-255 bytes of valid UTF-8, not starting with _zova_ (any case).
    A NUL byte cannot pass through the C ABI's NUL-terminated names, so a stored
    name holding one can never be read or deleted: invalid too."""
    if not isinstance(raw, bytes) or not 0 < len(raw) <= 255 or b"\0" in raw:
        return False
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return raw[:6].lower() != b"_zova_"


_METRICS = {"cosine": 0, "l2": 1, "dot": 2}


def _collection_error(meta: CollectionMeta | None) -> str | None:
    """The error a collection lookup gives for stored metadata (None when valid)."""
    if meta is None:
        return "VectorCollectionNotFound"
    dimensions, metric, element_type = meta
    if (not _valid_int(dimensions) or not 0 < dimensions <= 16384 or metric not in _METRICS
            or element_type != "f32"):
        return "NotZovaDatabase"
    return None


def _vector_error(collection_raw: object, vector_raw: object, dimensions: object, values: object,
                  collections: Collections) -> str | None:
    """What ``vector_get`` of a stored row gives (None when it reads back)."""
    if not _name_valid(collection_raw) or not _name_valid(vector_raw):
        return "VectorInvalid"
    meta = collections.get(collection_raw)
    error = _collection_error(meta)
    if error is not None:
        return error
    assert meta is not None   # _collection_error(None) is VectorCollectionNotFound
    if dimensions != meta[0] or not isinstance(values, bytes) or len(values) != 4 * meta[0]:
        return "VectorCorrupt"
    import numpy as np   # imported when a vector is checked, not with the CLI

    array = np.frombuffer(values, dtype="<f4")
    if not np.isfinite(array).all():
        return "VectorCorrupt"
    if meta[1] == "cosine" and float(np.dot(array.astype(np.float64), array.astype(np.float64))) == 0.0:
        return "VectorCorrupt"
    return None


def _collections(db: Database) -> Collections:
    return {row[0]: (row[1], row[2], row[3]) for row in _rows(
        db, f"select cast(name as blob), {_typed('dimensions', 'integer')}, "
            "iif(metric in ('cosine', 'l2', 'dot'), metric, null), iif(element_type is 'f32', element_type, null) "
            "from _zova_vector_collections")}


_MANIFEST_SQL = (
    f"select {_typed('m.chunk_index', 'integer')}, {_typed('m.chunk_hash', 'blob')}, {_typed('m.offset', 'integer')}, "
    f"{_typed('m.size_bytes', 'integer')}, {_typed('c.size_bytes', 'integer')}, {_typed('c.data', 'blob')}, "
    "c.chunk_hash is not null "
    "from _zova_object_chunks m left join _zova_chunks c on c.chunk_hash = m.chunk_hash "
    "where m.object_id = ? order by m.chunk_index")

# Object rows for the walk: the id (NULL unless a blob), its hex (to name any
# id), size, count, and whether the chunker is the text 'fastcdc-v1'.
_OBJECTS_SQL = (
    f"select {_typed('object_id', 'blob')}, lower(hex(object_id)), {_typed('size_bytes', 'integer')}, "
    f"{_typed('chunk_count', 'integer')}, chunker is '{CHUNKER}' from _zova_objects order by object_id")


_VECTORS_SQL = ("select cast(collection_name as blob), cast(vector_id as blob), "
                + _typed("dimensions", "integer") + ", " + _typed('"values"', "blob") + " from _zova_vectors")


# ---------------------------------------------------------------------------
# reports

_ISSUE_ACTIONS = ["restore from a recent backup if available", "run zova check --deep <file.zova>",
                  "run zova salvage --dry-run <file.zova>", "run zova salvage <file.zova> <destination.zova>"]


def doctor_actions(path: str | None) -> list[str]:
    """The four suggested actions for a file with issues (``<file.zova>`` when path is None)."""
    if path is None:
        return list(_ISSUE_ACTIONS)
    return [action.replace("<file.zova>", path) for action in _ISSUE_ACTIONS]


def _counts(diagnostics: Diagnostics) -> dict[str, Any]:
    return {"issue_count": diagnostics.issue_count, "issue_counts": dict(diagnostics.issue_counts),
            "severity_counts": dict(diagnostics.severity_counts),
            "issues_truncated": diagnostics.issues_truncated, "issues": diagnostics.issue_dicts()}
