"""Health checks and recovery for ``.zova`` files (cli-and-bindings §1.6), as a
library: ``check``, ``check(deep=True)``, ``doctor``, ``salvage_plan`` (the dry
run) and ``salvage``. Each returns a report object with ``ok``, ``exit_code``
and ``to_dict()`` (the JSON document of the ``zova`` CLI without its
``cli_json_version`` key); the CLI only formats them.

The diagnostics walk reads the private tables directly. Healthy objects are
confirmed by a C fast path (csrc/deep_check.c: one pass per object that applies
every manifest rule and re-hashes every chunk and the whole object, on worker
threads with read-only handles of their own); only objects that fail it are
re-walked here in Python, which names each problem the way upstream's walk
does. Vectors are checked in numpy batches. Reports never contain payloads:
only ids (hex), counts, sizes, collection names and vector ids.
"""
from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

from ._native import ffi, lib
from .database import Database
from .errors import ZovaError

__all__ = [
    "Issue", "Diagnostics", "CheckReport", "DoctorReport", "SalvageReport",
    "error_name", "quick_check", "summary", "diagnose",
    "check", "doctor", "salvage_plan", "salvage",
    "DEEP_CHECK_ISSUE_CAP", "DEFAULT_LIMIT", "MAX_LIMIT",
]

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
DEEP_CHECK_ISSUE_CAP = 10
PACKAGE_VERSION = "0.17.0"
CHUNKER = "fastcdc-v1"
EMPTY_OBJECT_ID = hashlib.sha256(b"").digest()
MAX_CHUNK = 65536
AREAS = ("sqlite", "object", "chunk", "vector")
SEVERITIES = ("info", "warning", "error", "fatal")

# Upstream (Zig) error names for statuses (cli-and-bindings §1.3).
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


def error_name(error: BaseException | int) -> str:
    """The upstream error name for a status or exception (``ObjectCorrupt``, ``CantOpen``...)."""
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


@dataclass
class Issue:
    """One finding of the diagnostics walk (every issue has severity ``error``)."""

    area: str
    kind: str
    detail: str
    severity: str = "error"
    object_id: str | None = None
    chunk_hash: str | None = None
    collection: str | None = None
    vector_id: str | None = None

    def to_dict(self) -> dict:
        out = {"area": self.area, "kind": self.kind, "severity": self.severity, "detail": self.detail}
        for key in ("object_id", "chunk_hash", "collection", "vector_id"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass
class Diagnostics:
    """Counters and capped issue list of one diagnostics walk."""

    limit: int
    checked: dict = field(default_factory=lambda: {"objects": 0, "chunks": 0, "vectors": 0, "loose_chunks": 0})
    issue_count: int = 0
    issue_counts: dict = field(default_factory=lambda: dict.fromkeys(AREAS, 0))
    severity_counts: dict = field(default_factory=lambda: dict.fromkeys(SEVERITIES, 0))
    issues: list = field(default_factory=list)
    issues_truncated: bool = False
    # What read back intact (used by salvage; not part of any report).
    valid_objects: list = field(default_factory=list, repr=False)
    valid_loose_chunks: list = field(default_factory=list, repr=False)

    def add(self, issue: Issue) -> None:
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

    def issue_dicts(self) -> list[dict]:
        return [issue.to_dict() for issue in self.issues]


# ---------------------------------------------------------------------------
# small SQL helpers


def _rows(db: Database, sql: str, *params) -> list[tuple]:
    with db.prepare(sql) as statement:
        _bind(statement, params)
        return statement.fetchall()


def _scalar(db: Database, sql: str, *params):
    rows = _rows(db, sql, *params)
    return rows[0][0] if rows else None


def _bind(statement, params: Iterable) -> None:
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


def _hex(value) -> str:
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
    names = []
    for (raw,) in _rows(db, "select cast(name as blob) from sqlite_master where type = 'table' "
                            "and substr(name, 1, 6) != '_zova_' and substr(name, 1, 7) != 'sqlite_' order by name"):
        try:
            names.append(raw.decode("utf-8"))
        except (UnicodeDecodeError, AttributeError):
            names.append(None)
    return names


def summary(db: Database, path: str, *, count_rows: bool = True) -> dict:
    """The counts of ``zova info`` plus what doctor and salvage plans need
    (cli-and-bindings §1.4 definitions). ``count_rows=False`` skips the
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
# the diagnostics walk (cli-and-bindings §1.6)


class _ChunkVerifier:
    """Verifies chunk rows (as ``chunk_get``), hashing each distinct chunk once."""

    def __init__(self) -> None:
        self.results: dict[bytes, str | None] = {}

    def verify(self, hash_: bytes, stored_size, data) -> str | None:
        known = self.results.get(hash_, False)
        if known is not False:
            return known
        if (not isinstance(stored_size, int) or stored_size <= 0 or stored_size > MAX_CHUNK
                or not isinstance(data, bytes) or len(data) != stored_size
                or hashlib.sha256(data).digest() != hash_):
            result = "ObjectCorrupt"
        else:
            result = None
        self.results[hash_] = result
        return result


class _Hasher:
    """SHA-256 of a stream of chunks, computed on a helper thread so it overlaps
    the chunk hashing of the walk (hashlib releases the GIL on large buffers)."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._pending: threading.Thread | None = None

    def update(self, parts: list[bytes]) -> None:
        self.wait()
        if len(parts) == 1:
            self._hash.update(parts[0])
            return
        self._pending = threading.Thread(target=self._feed, args=(parts,), daemon=True)
        self._pending.start()

    def _feed(self, parts: list[bytes]) -> None:
        for part in parts:
            self._hash.update(part)

    def wait(self) -> None:
        if self._pending is not None:
            self._pending.join()
            self._pending = None

    def digest(self) -> bytes:
        self.wait()
        return self._hash.digest()


def _typed(column: str, kind: str) -> str:
    """SQL giving ``column`` when its storage class is ``kind`` and NULL otherwise.
    The C core reads only values of the right class (a chunk's data as TEXT is a
    damaged chunk), and a TEXT value that is not UTF-8 could not even be decoded,
    so the walk never reads one as TEXT."""
    return f"iif(typeof({column}) = '{kind}', {column}, null)"


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


def _valid_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_BATCH_BYTES = 8 * 1024 * 1024
_BATCH_OBJECTS = 256


def _check_threads() -> int:
    """Worker threads for the object walk (ZOVA_CHECK_THREADS overrides; 1 disables)."""
    value = os.environ.get("ZOVA_CHECK_THREADS")
    if value and value.isdigit() and int(value) > 0:
        return int(value)
    return max(1, min(4, os.cpu_count() or 1))


def _fast_check(db: Database, ids: list[bytes]) -> tuple[list[bool], list[int]]:
    """The C fast path: which objects are entirely healthy, and their chunk counts."""
    n = len(ids)
    if n == 0:
        return [], []
    out_ok = ffi.new("char[]", n)
    out_chunks = ffi.new("int64_t[]", n)
    db._call(lib.zv_py_deep_check_objects, db._handle(), b"".join(ids), n, out_ok, out_chunks)
    return [flag != 0 for flag in ffi.unpack(out_ok, n)], ffi.unpack(out_chunks, n)


def _batches(objects: Iterable[tuple]):
    """Groups object rows into batches of about _BATCH_BYTES (streaming)."""
    current, size = [], 0
    for row in objects:
        current.append(row)
        size += row[2] if _valid_int(row[2]) and row[2] > 0 else 0
        if size >= _BATCH_BYTES or len(current) >= _BATCH_OBJECTS:
            yield current
            current, size = [], 0
    if current:
        yield current


def _shaped(batch: list[tuple]) -> list[bytes]:
    return [row[0] for row in batch if isinstance(row[0], bytes) and len(row[0]) == 32]


def _verdicts(db: Database, batches, path: str | None):
    """Yields (batch, {object_id: (healthy, chunk_count)}) in order. With a path,
    worker threads check batches on their own read-only handles (the C calls
    release the GIL) a few batches ahead of the consumer."""
    threads = _check_threads() if path is not None else 1
    if threads <= 1:
        for batch in batches:
            ids = _shaped(batch)
            yield batch, dict(zip(ids, zip(*_fast_check(db, ids))))
        return
    local = threading.local()
    handles: list[Database] = []
    lock = threading.Lock()

    def work(batch):
        handle = getattr(local, "db", None)
        if handle is None:
            handle = Database.open(path, read_only=True)
            local.db = handle
            with lock:
                handles.append(handle)
        ids = _shaped(batch)
        return dict(zip(ids, zip(*_fast_check(handle, ids))))

    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    pending: deque = deque()
    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for batch in batches:
                pending.append((batch, pool.submit(work, batch)))
                if len(pending) > 2 * threads:
                    done_batch, future = pending.popleft()
                    yield done_batch, future.result()
            while pending:
                done_batch, future = pending.popleft()
                yield done_batch, future.result()
    finally:
        for _, future in pending:
            future.cancel()
        with lock:
            for handle in handles:
                handle.close()


def _walk_objects(db: Database, report: Diagnostics, chunks: _ChunkVerifier, progress, done: list[int],
                  total: int, path: str | None = None) -> None:
    objects = db.prepare(_OBJECTS_SQL)
    manifest = db.prepare(_MANIFEST_SQL)
    try:
        for batch, verdict in _verdicts(db, _batches(objects), path):
            for object_id, id_hex, size, count, chunker_ok in batch:
                if object_id is None or len(object_id) != 32:
                    report.add(Issue("object", "object_id_shape", "ObjectCorrupt", object_id=id_hex))
                    continue
                report.checked["objects"] += 1
                ok, entries = verdict[object_id]
                if ok:
                    report.checked["chunks"] += entries
                    report.valid_objects.append(object_id)
                else:
                    _walk_object(manifest, report, chunks, object_id, size, count, chunker_ok)
                if progress is not None and _valid_int(size) and size > 0:
                    done[0] += size
                    progress(min(done[0], total), total)
    finally:
        manifest.close()
        objects.close()


def _walk_object(manifest, report: Diagnostics, chunks: _ChunkVerifier, object_id: bytes, size, count,
                 chunker_ok) -> None:
    oid = object_id.hex()
    manifest.reset()
    manifest.bind_blob(1, object_id)
    # Metadata as the manifest load validates it.
    manifest_error = None
    if not _valid_int(size) or not _valid_int(count) or size < 0 or count < 0 or not chunker_ok:
        manifest_error = "ObjectCorrupt"
    elif count == 0 and (size != 0 or object_id != EMPTY_OBJECT_ID):
        manifest_error = "ObjectCorrupt"
    elif count > size:
        manifest_error = "ObjectCorrupt"
    missing: list[Issue] = []
    chunk_failures: list[Issue] = []
    hasher = _Hasher()
    position = 0
    offset_total = 0
    object_bad = False
    batch: list[bytes] = []
    for index, hash_, offset, entry_size, stored_size, data, present in manifest:
        hash_ok = isinstance(hash_, bytes) and len(hash_) == 32
        if not hash_ok:
            missing.append(Issue("chunk", "missing_chunk_id_shape", "ObjectCorrupt", object_id=oid,
                                 chunk_hash=_hex(hash_)))
            manifest_error = "ObjectCorrupt"
        elif not present:
            missing.append(Issue("chunk", "missing_chunk", "ObjectChunkNotFound", object_id=oid,
                                 chunk_hash=hash_.hex()))
            manifest_error = "ObjectCorrupt"
        if manifest_error is None:
            if (index != position or not _valid_int(entry_size) or offset != offset_total
                    or entry_size <= 0 or entry_size > MAX_CHUNK or offset_total + entry_size > size
                    or stored_size != entry_size):
                manifest_error = "ObjectCorrupt"
        position += 1
        if _valid_int(entry_size):
            offset_total += entry_size
        if manifest_error is not None:
            continue
        result = chunks.verify(hash_, stored_size, data)
        if result is not None:
            chunk_failures.append(Issue("chunk", "chunk_integrity", result, object_id=oid, chunk_hash=hash_.hex()))
            object_bad = True
        elif not object_bad:
            batch.append(data)
            if len(batch) >= 64:
                hasher.update(batch)
                batch = []
    if manifest_error is None and (position != count or offset_total != size):
        manifest_error = "ObjectCorrupt"
    if manifest_error is not None:
        hasher.wait()
        for issue in missing:
            report.add(issue)
        report.add(Issue("object", "object_manifest", manifest_error, object_id=oid))
        return
    # The manifest is sound: each chunk read, then the whole-object read.
    report.checked["chunks"] += position
    for issue in chunk_failures:
        report.add(issue)
    if batch:
        hasher.update(batch)
    if object_bad or hasher.digest() != object_id:
        hasher.wait()
        report.add(Issue("object", "object_integrity", "ObjectCorrupt", object_id=oid))
    else:
        report.valid_objects.append(object_id)


def _walk_orphan_manifests(db: Database, report: Diagnostics) -> None:
    """Manifest rows of an object id that has no _zova_objects row: no read can
    reach them, and they keep their chunks from ever becoming loose (one issue
    per such object id)."""
    for (id_hex,) in _rows(db, "select lower(hex(object_id)) from _zova_object_chunks where object_id not in "
                               "(select object_id from _zova_objects) group by object_id order by object_id"):
        report.add(Issue("chunk", "orphan_manifest", "ObjectNotFound", object_id=id_hex))


def _walk_loose_chunks(db: Database, report: Diagnostics, chunks: _ChunkVerifier, progress, done: list[int],
                       total: int) -> None:
    # Blob order is hex order (bytes compare like their hex digits), so the
    # covering primary-key index gives the order without a sort.
    loose = _rows(db, f"select {_typed('chunk_hash', 'blob')}, lower(hex(chunk_hash)), rowid from _zova_chunks "
                      "where chunk_hash not in (select chunk_hash from _zova_object_chunks) order by chunk_hash")
    with db.prepare(f"select {_typed('size_bytes', 'integer')}, {_typed('data', 'blob')} "
                    "from _zova_chunks where rowid = ?") as read:
        for hash_, hash_hex, rowid in loose:
            report.checked["loose_chunks"] += 1
            if hash_ is None or len(hash_) != 32:
                report.add(Issue("chunk", "loose_chunk_id_shape", "ObjectCorrupt", chunk_hash=hash_hex))
                continue
            read.reset()
            read.bind_int(1, rowid)
            rows = read.fetchall()
            if not rows:
                report.add(Issue("chunk", "loose_chunk_integrity", "ObjectChunkNotFound", chunk_hash=hash_.hex()))
                continue
            stored_size, data = rows[0]
            result = chunks.verify(hash_, stored_size, data)
            if result is not None:
                report.add(Issue("chunk", "loose_chunk_integrity", result, chunk_hash=hash_.hex()))
            else:
                report.valid_loose_chunks.append(hash_)
            if progress is not None and isinstance(data, bytes):
                done[0] += len(data)
                progress(min(done[0], total), total)


def _name_valid(raw) -> bool:
    """c-abi §2.4: 1-255 bytes of valid UTF-8, not starting with _zova_ (any case).
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


def _collection_error(meta) -> str | None:
    """The error a collection lookup gives for stored metadata (None when valid)."""
    if meta is None:
        return "VectorCollectionNotFound"
    dimensions, metric, element_type = meta
    if (not _valid_int(dimensions) or not 0 < dimensions <= 16384 or metric not in _METRICS
            or element_type != "f32"):
        return "NotZovaDatabase"
    return None


def _vector_error(collection_raw, vector_raw, dimensions, values, collections: dict) -> str | None:
    """What ``vector_get`` of a stored row gives (None when it reads back)."""
    if not _name_valid(collection_raw) or not _name_valid(vector_raw):
        return "VectorInvalid"
    meta = collections.get(collection_raw)
    error = _collection_error(meta)
    if error is not None:
        return error
    if dimensions != meta[0] or not isinstance(values, bytes) or len(values) != 4 * meta[0]:
        return "VectorCorrupt"
    array = np.frombuffer(values, dtype="<f4")
    if not np.isfinite(array).all():
        return "VectorCorrupt"
    if meta[1] == "cosine" and float(np.dot(array.astype(np.float64), array.astype(np.float64))) == 0.0:
        return "VectorCorrupt"
    return None


def _collections(db: Database) -> dict:
    return {row[0]: (row[1], row[2], row[3]) for row in _rows(
        db, f"select cast(name as blob), {_typed('dimensions', 'integer')}, "
            "iif(metric in ('cosine', 'l2', 'dot'), metric, null), iif(element_type is 'f32', element_type, null) "
            "from _zova_vector_collections")}


_VECTOR_BATCH = 4096
_VECTORS_SQL = ("select cast(collection_name as blob), cast(vector_id as blob), "
                + _typed("dimensions", "integer") + ", " + _typed('"values"', "blob") + " from _zova_vectors")


def _vector_batch_errors(batch: list[tuple], collections: dict, collection_errors: dict) -> list[str | None]:
    """_vector_error for a batch of rows, with the float checks done by numpy per
    collection over all rows of the right shape at once."""
    errors: list[str | None] = [None] * len(batch)
    groups: dict[bytes, list[int]] = {}
    for index, (collection_raw, vector_raw, dimensions, values) in enumerate(batch):
        # vector_get's order: names, then the collection lookup, then the row
        if collection_raw not in collection_errors:
            collection_errors[collection_raw] = (
                _name_valid(collection_raw), _collection_error(collections.get(collection_raw)))
        name_ok, lookup_error = collection_errors[collection_raw]
        if not name_ok or not _name_valid(vector_raw):
            errors[index] = "VectorInvalid"
            continue
        if lookup_error is not None:
            errors[index] = lookup_error
            continue
        meta = collections[collection_raw]
        if dimensions != meta[0] or not isinstance(values, bytes) or len(values) != 4 * meta[0]:
            errors[index] = "VectorCorrupt"
            continue
        groups.setdefault(collection_raw, []).append(index)
    for collection_raw, indexes in groups.items():
        dims, metric = collections[collection_raw][0], collections[collection_raw][1]
        matrix = np.frombuffer(b"".join(batch[i][3] for i in indexes), dtype="<f4").reshape(len(indexes), dims)
        bad = ~np.isfinite(matrix).all(axis=1)
        if metric == "cosine":
            wide = matrix.astype(np.float64)
            with np.errstate(over="ignore", invalid="ignore"):
                bad |= np.einsum("ij,ij->i", wide, wide) == 0.0
        for position in np.flatnonzero(bad):
            errors[indexes[position]] = "VectorCorrupt"
    return errors


def _walk_vectors(db: Database, report: Diagnostics) -> None:
    collections = _collections(db)
    collection_errors: dict = {}
    with db.prepare(_VECTORS_SQL + " order by collection_name, vector_id") as rows:
        batch: list[tuple] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= _VECTOR_BATCH:
                _report_vectors(report, batch, _vector_batch_errors(batch, collections, collection_errors))
                batch = []
        if batch:
            _report_vectors(report, batch, _vector_batch_errors(batch, collections, collection_errors))


def _report_vectors(report: Diagnostics, batch: list[tuple], errors: list[str | None]) -> None:
    report.checked["vectors"] += len(batch)
    for (collection_raw, vector_raw, _dims, _values), error in zip(batch, errors):
        if error is not None:
            report.add(Issue("vector", "vector_integrity", error,
                             collection=_display(collection_raw), vector_id=_display(vector_raw)))


def _display(raw) -> str:
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "replace")
    return "" if raw is None else str(raw)


_FOREIGN_SCHEMA_SQL = (
    "select type, name, tbl_name, coalesce(sql, '') from {schema} "
    "where (type in ('trigger', 'index') and tbl_name like '\\_zova\\_%' escape '\\' "
    "       and name not like 'sqlite\\_autoindex\\_%' escape '\\') "
    "   or (type = 'view' and sql like '%\\_zova\\_%' escape '\\') order by type, name")


def _walk_foreign_schema(db: Database, report: Diagnostics) -> None:
    """Schema objects another program attached to private tables (neither Zova
    nor upstream creates any): a trigger would run inside Zova's writes, which
    the core therefore refuses (error); an index can make them fail or run
    functions (error); a view reading private tables changes nothing Zova
    does (warning, the file stays healthy)."""
    for schema in ("sqlite_schema", "sqlite_temp_schema"):
        for kind, name, table, _sql in _rows(db, _FOREIGN_SCHEMA_SQL.format(schema=schema)):
            if kind == "view":
                report.add(Issue("sqlite", "foreign_view", f"view {name} reads Zova's private tables",
                                 severity="warning"))
            elif kind == "trigger":
                report.add(Issue("sqlite", "foreign_trigger",
                                 f"trigger {name} on private table {table}: Zova refuses to write while it exists "
                                 f"(drop trigger {name})"))
            else:
                report.add(Issue("sqlite", "foreign_index",
                                 f"index {name} on private table {table} is not part of the Zova schema "
                                 f"(drop index {name})"))


def diagnose(db: Database, limit: int, progress: Progress | None = None, path: str | None = None) -> Diagnostics:
    """The diagnostics walk shared by deep check, doctor and salvage: objects
    (manifests, chunks, whole-object hashes), loose chunks, then vectors. Keeps
    at most ``limit`` issues but counts all of them. With ``path`` (the file
    ``db`` has open), healthy objects are verified by several threads on
    read-only handles of their own."""
    report = Diagnostics(limit=limit)
    chunks = _ChunkVerifier()
    total = 0
    if progress is not None:
        total = (_scalar(db, "select coalesce(sum(size_bytes), 0) from _zova_objects where size_bytes > 0") or 0) + \
            (_scalar(db, "select coalesce(sum(size_bytes), 0) from _zova_chunks where chunk_hash not in "
                         "(select chunk_hash from _zova_object_chunks)") or 0)
        progress(0, total)
    done = [0]
    _walk_foreign_schema(db, report)
    _walk_objects(db, report, chunks, progress, done, total, path)
    _walk_orphan_manifests(db, report)
    _walk_loose_chunks(db, report, chunks, progress, done, total)
    _walk_vectors(db, report)
    if progress is not None:
        progress(total, total)
    return report


# ---------------------------------------------------------------------------
# reports

_ISSUE_ACTIONS = ["restore from a recent backup if available", "run zova check --deep <file.zova>",
                  "run zova salvage --dry-run <file.zova>", "run zova salvage <file.zova> <destination.zova>"]


def doctor_actions(path: str | None) -> list[str]:
    """The four suggested actions for a file with issues (``<file.zova>`` when path is None)."""
    if path is None:
        return list(_ISSUE_ACTIONS)
    return [action.replace("<file.zova>", path) for action in _ISSUE_ACTIONS]


def _counts(diagnostics: Diagnostics) -> dict:
    return {"issue_count": diagnostics.issue_count, "issue_counts": dict(diagnostics.issue_counts),
            "severity_counts": dict(diagnostics.severity_counts),
            "issues_truncated": diagnostics.issues_truncated, "issues": diagnostics.issue_dicts()}


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
    quick_check and, with ``deep``, the diagnostics walk with an issue cap of 10."""
    with Database.open(path) as db:
        report = CheckReport(path=path, deep=deep)
        if not deep:
            try:
                quick_check(db)
            except _StageError as error:
                report.error_kind, report.error = "sqlite quick_check failed", error.name
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
                with Database.open(path) as handle:
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

        worker = threading.Thread(target=run_quick_check, daemon=True)
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
        return report


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


# ---- salvage ----

_COUNT_KEYS = ("user_tables", "user_schema_objects", "user_rows", "objects", "chunks", "loose_chunks",
               "vector_collections", "vectors")


def _plan_counts(summary_: dict | None) -> dict:
    if summary_ is None:
        return dict.fromkeys(_COUNT_KEYS, 0)
    return {"user_tables": summary_["tables"]["user"], "user_schema_objects": summary_["user_schema_objects"],
            "user_rows": summary_["user_rows"], "objects": summary_["objects"]["count"],
            "chunks": summary_["chunks"]["count"], "loose_chunks": summary_["chunks"]["loose_count"],
            "vector_collections": summary_["vectors"]["collections"], "vectors": summary_["vectors"]["rows"]}


@dataclass
class SalvageReport:
    """``zova salvage --dry-run`` (a plan) and ``zova salvage SRC DST`` (a copy)."""

    source_path: str
    limit: int
    dry_run: bool
    destination_path: str | None = None
    diagnostics: Diagnostics | None = None
    recoverable: dict = field(default_factory=lambda: dict.fromkeys(_COUNT_KEYS, 0))
    skipped: dict = field(default_factory=lambda: dict.fromkeys(_COUNT_KEYS, 0))
    copied: dict = field(default_factory=lambda: dict.fromkeys(_COUNT_KEYS, 0))
    recoverability: str = "recoverable"
    destination_verified: bool = False
    destination_removed: bool = False
    destination_issue_count: int = 0
    error: str | None = None   # salvage execution that could not start or failed part-way
    copied_started: bool = False

    @property
    def ok(self) -> bool:
        if self.dry_run:
            return self.diagnostics is not None and self.diagnostics.ok
        return self.error is None and self.destination_verified

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 4

    @property
    def status(self) -> str:
        if self.dry_run:
            return "ok" if self.ok else "needs_attention"
        return "ok" if self.ok else "error"

    def suggested_actions(self, text_path: str | None = None) -> list[str]:
        if self.dry_run:
            if self.ok:
                if text_path is None:
                    return ["source appears recoverable", "no destination was written",
                            "run zova salvage <source.zova> <destination.zova> to create a recovery copy"]
                return ["source appears recoverable", "no destination was written",
                        f"run: zova salvage {text_path} <destination.zova>"]
            if text_path is None:
                return ["restore from a recent backup if available", "review this dry-run report before salvaging",
                        "run zova salvage <source.zova> <destination.zova> to copy recoverable data into a new file"]
            return ["restore from a recent backup if available",
                    f"review this dry-run report before salvaging {text_path}",
                    f"run: zova salvage {text_path} <destination.zova>"]
        if self.ok:
            return ["run zova check --deep on the destination before replacing any live file"]
        return ["restore from a recent backup if available",
                "inspect the source with zova doctor before trying salvage again"]

    def to_dict(self) -> dict:
        d = self.diagnostics or Diagnostics(limit=self.limit)
        if self.dry_run:
            return {"status": self.status, "command": "salvage", "dry_run": True, "will_write_destination": False,
                    "source_path": self.source_path, "recoverability": self.recoverability,
                    "recoverable": dict(self.recoverable), "skipped": dict(self.skipped), **_counts(d),
                    "suggested_actions": self.suggested_actions()}
        if self.error is not None and not self.copied_started:
            return {"status": "error", "command": "salvage", "source_path": self.source_path,
                    "destination_path": self.destination_path, "error": self.error, "destination_verified": False}
        out = {"status": self.status, "command": "salvage", "dry_run": False, "will_write_destination": True,
               "source_path": self.source_path, "destination_path": self.destination_path,
               "destination_verified": self.destination_verified, "recoverability": self.recoverability,
               "copied": dict(self.copied), "recoverable": dict(self.recoverable), "skipped": dict(self.skipped),
               **_counts(d), "suggested_actions": self.suggested_actions()}
        if self.destination_removed:
            out["destination_removed"] = True
        if self.error is not None:
            out["error"] = self.error
        return out


def _plan(db: Database | None, path: str, limit: int, progress, report: SalvageReport,
          read_path: str | None = None) -> dict | None:
    """Fills the plan side of a salvage report; returns the source summary (None if it failed).
    ``read_path`` is the file ``db`` has open when it is a repaired copy of ``path``."""
    summary_ = None
    stage = "sqlite_quick_check"
    try:
        if db is None:
            raise _StageError("CantOpen")
        if read_path is not None:
            raise _StageError("Corrupt")   # a truncated file: its pages are missing
        quick_check(db)
        stage = "summary"
        summary_ = summary(db, path)
        stage = "diagnostic_check"
        report.diagnostics = diagnose(db, limit, progress, path)
    except (_StageError, ZovaError, ValueError) as error:
        summary_ = None
        report.diagnostics = Diagnostics(limit=limit)
        report.diagnostics.add(Issue("sqlite", "truncated_file" if read_path is not None else stage,
                                     error_name(error)))
    d = report.diagnostics
    recoverable = _plan_counts(summary_)
    skipped = dict.fromkeys(_COUNT_KEYS, 0)
    skipped["objects"] = min(recoverable["objects"], d.issue_counts["object"])
    skipped["chunks"] = d.issue_counts["chunk"]
    skipped["vectors"] = min(recoverable["vectors"], d.issue_counts["vector"])
    for key in ("objects", "chunks", "vectors"):
        recoverable[key] = max(0, recoverable[key] - skipped[key])
    report.recoverable, report.skipped = recoverable, skipped
    if d.issue_counts["sqlite"]:
        report.recoverability = "unknown"
    elif d.ok:
        report.recoverability = "recoverable"
    elif any(value > 0 for value in recoverable.values()):
        report.recoverability = "partially_recoverable"
    else:
        report.recoverability = "not_recoverable"
    return summary_


class _Source:
    """The salvage source opened read-only. A file shorter than its SQLite header
    says (a truncated file, which SQLite refuses to open) is read through a
    temporary copy whose header counts only the pages present; the source
    itself is never modified. Any other open failure raises ZovaError."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.read_path: str | None = None
        self._directory: str | None = None
        try:
            self.db = Database.open(path, read_only=True)
        except ZovaError as error:
            if error.status != 31 or not self._repair():
                raise
            try:
                self.db = Database.open(self.read_path, read_only=True)
            except ZovaError:
                self._cleanup()
                raise error from None

    def _repair(self) -> bool:
        import shutil
        import tempfile

        try:
            with open(self.path, "rb") as handle:
                header = handle.read(100)
            size = os.path.getsize(self.path)
        except OSError:
            return False
        if len(header) < 100 or header[:16] != b"SQLite format 3\0":
            return False
        page_size = int.from_bytes(header[16:18], "big")
        page_size = 65536 if page_size == 1 else page_size
        if page_size < 512 or page_size & (page_size - 1):
            return False
        present = size // page_size
        if present == 0 or int.from_bytes(header[28:32], "big") <= present:
            return False
        self._directory = tempfile.mkdtemp(prefix="zova-salvage-")
        self.read_path = os.path.join(self._directory, "truncated-source.zova")
        with open(self.path, "rb") as source, open(self.read_path, "wb") as copy:
            shutil.copyfileobj(source, copy)
            copy.truncate(present * page_size)
            copy.seek(28)
            copy.write(present.to_bytes(4, "big"))
            copy.seek(92)
            copy.write(header[24:28])   # version-valid-for = change counter: trust the page count
        return True

    def _cleanup(self) -> None:
        if self._directory is not None:
            import shutil

            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None

    def close(self) -> None:
        db = getattr(self, "db", None)
        if db is not None:
            db.close()
        self._cleanup()

    def __enter__(self) -> "_Source":
        return self

    def __exit__(self, *exc) -> bool:
        self.close()
        return False


def salvage_plan(path: str, *, limit: int = DEFAULT_LIMIT, progress: Progress | None = None) -> SalvageReport:
    """The dry run: what a salvage of ``path`` would recover. Opens read-only; never writes."""
    with _Source(path) as source:
        report = SalvageReport(source_path=path, limit=limit, dry_run=True)
        _plan(source.db, path, limit, progress, report, source.read_path)
        return report


def salvage(source: str, destination: str, *, limit: int = DEFAULT_LIMIT,
            progress: Progress | None = None) -> SalvageReport:
    """Copies every readable and valid user row, object, loose chunk and vector of
    ``source`` (opened read-only, never modified) into the new file
    ``destination`` (created exclusively, never overwritten), then verifies the
    destination with quick_check and a diagnostics walk that must find nothing.
    A destination that fails verification is removed (upstream keeps it; the
    Zova issue asks for removal). Raises ZovaError only if the source cannot be
    opened."""
    report = SalvageReport(source_path=source, limit=limit, dry_run=False, destination_path=destination)
    if not destination.endswith(".zova"):
        report.error = "NotZovaPath"
        return report
    with _Source(source) as opened:
        db = opened.db
        try:
            target = Database.create(destination)
        except ZovaError as error:
            report.error = error_name(error)
            return report
        report.copied_started = True
        try:
            _plan(db, source, limit, progress, report, opened.read_path)
            walk = report.diagnostics
            if walk.issue_counts["sqlite"]:
                # quick_check (or the walk) failed: SQLite pages are damaged, so
                # indexed lookups cannot be trusted; rescue by scanning tables.
                walk = None
            _copy_all(db, target, report, walk)
        except (ZovaError, ValueError, MemoryError) as error:
            report.error = error_name(error)
        finally:
            target.close()
    try:
        with Database.open(destination, read_only=True) as copy:
            report.copied["chunks"] = _scalar(copy, "select count(*) from _zova_chunks")
            quick_check(copy)
            result = diagnose(copy, 0, None, destination)
            report.destination_issue_count = result.issue_count
            verified = result.ok
    except (_StageError, ZovaError, ValueError):
        verified = False
    report.destination_verified = verified and report.error is None
    if not report.destination_verified:
        _remove_database_files(destination)
        report.destination_removed = True
    for key in ("user_tables", "user_schema_objects", "user_rows"):
        report.recoverable[key] = report.copied[key]
    return report


def _remove_database_files(path: str) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        try:
            os.unlink(path + suffix)
        except OSError:
            pass


def _private_or_internal(name: str) -> bool:
    return name.startswith("_zova_") or name.startswith("sqlite_")


def _copy_all(src: Database, dst: Database, report: SalvageReport, walk: Diagnostics | None) -> None:
    """``walk`` None means the source has damaged SQLite pages: objects and
    vectors are then rescued by table scans (see _rescue_objects), and a
    failure in one area does not stop the others. When anything is damaged,
    a last pass copies every object and vector that still reads back valid
    through the indexes (as get_object and get_vector read them)."""
    rescue = walk is None
    for step in (_copy_user_tables, _copy_schema_objects):
        try:
            step(src, dst, report)
        except (ZovaError, ValueError):
            if not rescue:
                raise
    if not rescue:
        try:
            _copy_objects(src, dst, report, walk)
        except (ZovaError, ValueError):
            rescue = True  # a read failed part-way (rolled back): rescue instead
    if rescue:
        _rescue_objects(src, dst, report)
    if rescue or walk.issue_counts["object"] or walk.issue_counts["chunk"]:
        _copy_indexed_objects(src, dst, report)
    vectors_rescued = rescue
    if not rescue:
        try:
            _copy_vectors(src, dst, report)
        except (ZovaError, ValueError):
            vectors_rescued = True
    if vectors_rescued:
        _rescue_vectors(src, dst, report)
    if vectors_rescued or walk.issue_counts["vector"]:
        _copy_indexed_vectors(src, dst, report)


# ---- rescue by table scans (salvage of a file with damaged SQLite pages) ----


def _tolerant_scan(src: Database, table: str, columns: str, width: int):
    """Yields the readable rows (without the rowid) of a rowid table, read from
    the table b-tree itself (NOT INDEXED, so a damaged index does not matter).
    After an unreadable row it skips forward (1, 2, 4... rowids) to the next
    readable one, so rows on both sides of a damaged page are kept. Every
    restart is past the last row read, so the scan always ends. Restarts use
    ``rowid >= first`` (not ``> last``): a seek to the last rowid of a damaged
    leaf would descend into that leaf again."""
    select = f"select rowid, {columns} from {_quote(table)} not indexed where rowid >= ? order by rowid"
    try:
        high = _scalar(src, f"select max(rowid) from {_quote(table)} not indexed")
    except (ZovaError, ValueError):
        high = None
    after = -(2**63) - 1  # the last rowid read (or skipped); restarts seek to after + 1
    for _restart in range(100_000):
        if after >= 2**63 - 1:
            return
        try:
            with src.prepare(select) as rows:
                rows.bind_int(1, after + 1)
                while True:
                    if rows.step() != 1:
                        return
                    rowid = rows.column_int(0)
                    if rowid <= after:
                        continue  # a damaged page out of order: already past it
                    if high is not None and rowid > high:
                        # A flipped key beyond the last row: read it, but do
                        # not let it move the restart point past real rows.
                        try:
                            values = tuple(_read_row(rows, width, 1))
                        except (ZovaError, ValueError):
                            continue
                        yield values
                        continue
                    after = rowid  # even if unreadable: the next restart is beyond it
                    values = tuple(_read_row(rows, width, 1))
                    yield values
        except (ZovaError, ValueError):
            pass
        # The row after `after` cannot be read: find the first start past it
        # from which a row reads back (gallop 1, 2, 4..., then bisect back).
        def readable_from(start: int):
            """The first readable rowid >= start, None past the end, False on an error."""
            try:
                with src.prepare(select) as probe:
                    probe.bind_int(1, start)
                    if probe.step() != 1:
                        return None
                    _read_row(probe, width, 1)
                    return probe.column_int(0)
            except (ZovaError, ValueError):
                return False

        failed_at, gap, found = after, 1, False
        while True:
            start = after + gap
            if start >= 2**63 or (high is not None and start > high):
                return
            found = readable_from(start)
            if found is None:
                return
            if found is not False:
                break
            failed_at, gap = start, gap * 2
        while start - failed_at > 1:
            middle = (start + failed_at) // 2
            result = readable_from(middle)
            if result is None or result is False:
                failed_at = middle
            else:
                start, found = middle, result
        after = max(after, found - 1)


def _rescue_objects(src: Database, dst: Database, report: SalvageReport) -> None:
    """Copies every chunk that verifies, then every object (object row or not)
    whose complete manifest reads back and whose chunks hash to its id."""
    report.copied["objects"] = report.copied["loose_chunks"] = 0
    manifests: dict[bytes, dict[int, tuple]] = {}
    referenced: set[bytes] = set()
    for object_id, index, hash_, offset, size in _tolerant_scan(
            src, "_zova_object_chunks", "object_id, chunk_index, chunk_hash, offset, size_bytes", 5):
        if (isinstance(object_id, bytes) and len(object_id) == 32 and isinstance(hash_, bytes) and len(hash_) == 32
                and _valid_int(index) and _valid_int(offset) and _valid_int(size)):
            manifests.setdefault(object_id, {})[index] = (hash_, offset, size)
            referenced.add(hash_)
    heads = {}
    for object_id, size, count, chunker in _tolerant_scan(
            src, "_zova_objects", "object_id, size_bytes, chunk_count, chunker", 4):
        if isinstance(object_id, bytes) and len(object_id) == 32 and chunker == CHUNKER:
            heads[object_id] = (size, count)
    dst.begin()
    try:
        stored: set[bytes] = set()
        with dst.prepare("insert or ignore into _zova_chunks (chunk_hash, size_bytes, data) "
                         "values (?, ?, ?)") as put_chunk:
            for hash_, size, data in _tolerant_scan(src, "_zova_chunks", "chunk_hash, size_bytes, data", 3):
                if (isinstance(hash_, bytes) and len(hash_) == 32 and isinstance(data, bytes)
                        and 0 < len(data) <= MAX_CHUNK and size == len(data)
                        and hashlib.sha256(data).digest() == hash_):
                    _run(put_chunk, hash_, len(data), data)
                    stored.add(hash_)
        kept: set[bytes] = set()
        with dst.prepare("select data from _zova_chunks where chunk_hash = ?") as read, \
                dst.prepare("insert into _zova_object_chunks (object_id, chunk_index, chunk_hash, offset, "
                            "size_bytes) values (?, ?, ?, ?, ?)") as put_entry, \
                dst.prepare("insert into _zova_objects (object_id, size_bytes, chunk_count, chunker) "
                            "values (?, ?, ?, 'fastcdc-v1')") as put_object:
            for object_id in sorted(set(heads) | set(manifests)):
                entries = manifests.get(object_id, {})
                count = len(entries)
                if object_id in heads and heads[object_id][1] != count:
                    continue  # manifest rows lost
                if count == 0 and (object_id not in heads or object_id != EMPTY_OBJECT_ID):
                    continue
                digest = hashlib.sha256()
                offset = 0
                ok = True
                for index in range(count):
                    entry = entries.get(index)
                    if entry is None or entry[0] not in stored or entry[1] != offset:
                        ok = False
                        break
                    read.reset()
                    read.bind_blob(1, entry[0])
                    data = read.fetchall()[0][0]
                    if len(data) != entry[2]:
                        ok = False
                        break
                    digest.update(data)
                    offset += len(data)
                if not ok or digest.digest() != object_id:
                    continue
                if object_id in heads and heads[object_id][0] != offset:
                    continue
                for index in range(count):
                    hash_, chunk_offset, size = entries[index]
                    _run(put_entry, object_id, index, hash_, chunk_offset, size)
                    kept.add(hash_)
                _run(put_object, object_id, offset, count)
                report.copied["objects"] += 1
        # Chunks that only served objects that could not be rescued go; chunks
        # that were loose in the source (or whose manifest rows were lost) stay.
        with dst.prepare("delete from _zova_chunks where chunk_hash = ?") as drop:
            for hash_ in stored:
                if hash_ in kept:
                    continue
                if hash_ in referenced:
                    _run(drop, hash_)
                else:
                    report.copied["loose_chunks"] += 1
        dst.commit()
    except BaseException:
        dst.rollback()
        raise


def _indexed_object_ids(src: Database) -> set[bytes]:
    """Object ids readable from the primary-key indexes (until the first error)."""
    ids: set[bytes] = set()
    for sql in ("select object_id from _zova_objects order by object_id",
                "select distinct object_id from _zova_object_chunks order by object_id"):
        try:
            with src.prepare(sql) as rows:
                for (object_id,) in rows:
                    if isinstance(object_id, bytes) and len(object_id) == 32:
                        ids.add(object_id)
        except (ZovaError, ValueError):
            pass
    return ids


def _indexed_verified_object(src: Database, object_id: bytes):
    """The manifest entries with chunk bytes of one object read as get_object
    reads it (index lookups), or None unless every chunk and the object verify."""
    with src.prepare("select size_bytes, chunk_count, chunker from _zova_objects where object_id = ?") as head:
        head.bind_blob(1, object_id)
        size, count, chunker = head.fetchall()[0]
    if not _valid_int(size) or not _valid_int(count) or chunker != CHUNKER:
        return None
    if count == 0:
        return [] if size == 0 and object_id == EMPTY_OBJECT_ID else None
    digest = hashlib.sha256()
    entries = []
    offset = 0
    with src.prepare(_MANIFEST_SQL) as manifest:
        manifest.bind_blob(1, object_id)
        for index, hash_, entry_offset, entry_size, _stored, data, _present in manifest:
            if (index != len(entries) or entry_offset != offset or not isinstance(data, bytes)
                    or len(data) != entry_size or not 0 < entry_size <= MAX_CHUNK
                    or hashlib.sha256(data).digest() != hash_):
                return None
            digest.update(data)
            entries.append((index, hash_, entry_offset, entry_size, data))
            offset += entry_size
    if len(entries) != count or offset != size or digest.digest() != object_id:
        return None
    return entries


def _copy_indexed_objects(src: Database, dst: Database, report: SalvageReport) -> None:
    """Copies each object not yet in the destination that reads back verified
    through the indexes (a flipped field in a row defeats the table scans but
    not get_object; the object hash decides)."""
    candidates = _indexed_object_ids(src)
    for object_id, in _tolerant_scan(src, "_zova_objects", "object_id", 1):
        if isinstance(object_id, bytes) and len(object_id) == 32:
            candidates.add(object_id)
    dst.begin()
    try:
        with dst.prepare("select count(*) from _zova_objects where object_id = ?") as present, \
                dst.prepare("insert or ignore into _zova_chunks (chunk_hash, size_bytes, data) "
                            "values (?, ?, ?)") as put_chunk, \
                dst.prepare("insert into _zova_object_chunks (object_id, chunk_index, chunk_hash, offset, "
                            "size_bytes) values (?, ?, ?, ?, ?)") as put_entry, \
                dst.prepare("insert into _zova_objects (object_id, size_bytes, chunk_count, chunker) "
                            "values (?, ?, ?, 'fastcdc-v1')") as put_object:
            for object_id in sorted(candidates):
                present.reset()
                present.bind_blob(1, object_id)
                if present.fetchall()[0][0]:
                    continue
                try:
                    entries = _indexed_verified_object(src, object_id)
                except (ZovaError, ValueError, IndexError):
                    continue
                if entries is None:
                    continue
                offset = 0
                for index, hash_, _offset, size, data in entries:
                    _run(put_chunk, hash_, len(data), data)
                    _run(put_entry, object_id, index, hash_, offset, size)
                    offset += size
                _run(put_object, object_id, offset, len(entries))
                report.copied["objects"] += 1
        # A chunk now referenced is no longer loose.
        report.copied["loose_chunks"] = _scalar(
            dst, "select count(*) from _zova_chunks where chunk_hash not in (select chunk_hash from _zova_object_chunks)")
        dst.commit()
    except BaseException:
        dst.rollback()
        raise


def _copy_indexed_vectors(src: Database, dst: Database, report: SalvageReport) -> None:
    """Copies each vector not yet in the destination that reads back valid by
    its key (as get_vector reads it), for the collections the destination has."""
    collections = _collections(dst)
    dst.begin()
    try:
        with dst.prepare("select count(*) from _zova_vectors where collection_name = ? and vector_id = ?") as present, \
                dst.prepare('insert into _zova_vectors (collection_name, vector_id, dimensions, "values") '
                            "values (?, ?, ?, ?)") as put_vector:
            for name_raw in sorted(collections):
                name = name_raw.decode("utf-8")
                ids = []
                try:
                    with src.prepare("select cast(vector_id as blob) from _zova_vectors where collection_name = ? "
                                     "order by vector_id") as rows:
                        rows.bind_text(1, name)
                        for (vector_raw,) in rows:
                            ids.append(vector_raw)
                except (ZovaError, ValueError):
                    pass
                for vector_raw in ids:
                    if not _name_valid(vector_raw):
                        continue
                    vid = vector_raw.decode("utf-8")
                    present.reset()
                    present.bind_text(1, name)
                    present.bind_text(2, vid)
                    if present.fetchall()[0][0]:
                        continue
                    try:
                        with src.prepare(_VECTORS_SQL + " where collection_name = ? and vector_id = ?") as get:
                            get.bind_text(1, name)
                            get.bind_text(2, vid)
                            dimensions, values = get.fetchall()[0][2:]
                    except (ZovaError, ValueError, IndexError):
                        continue
                    if _vector_error(name_raw, vector_raw, dimensions, values, collections) is None and \
                            _put_vector(put_vector, report, name_raw, vector_raw, dimensions, values):
                        report.copied["vectors"] += 1
        dst.commit()
    except BaseException:
        dst.rollback()
        raise


def _rescue_vectors(src: Database, dst: Database, report: SalvageReport) -> None:
    """Copies every collection and vector row that reads back valid, by table scans."""
    report.copied["vector_collections"] = report.copied["vectors"] = 0
    collections = {}
    for name_raw, dimensions, metric, element_type in _tolerant_scan(
            src, "_zova_vector_collections", "cast(name as blob), dimensions, metric, element_type", 4):
        collections[name_raw] = (dimensions, metric, element_type)
    dst.begin()
    try:
        with dst.prepare("insert into _zova_vector_collections (name, dimensions, metric, element_type) "
                         "values (?, ?, ?, 'f32')") as put_collection, \
                dst.prepare('insert or ignore into _zova_vectors (collection_name, vector_id, dimensions, "values") '
                            "values (?, ?, ?, ?)") as put_vector:
            created = set()
            for name_raw in sorted(collections):
                meta = collections[name_raw]
                if _name_valid(name_raw) and _collection_error(meta) is None:
                    _run(put_collection, name_raw.decode("utf-8"), meta[0], meta[1])
                    created.add(name_raw)
                    report.copied["vector_collections"] += 1
            for collection_raw, vector_raw, dimensions, values in _tolerant_scan(
                    src, "_zova_vectors", 'cast(collection_name as blob), cast(vector_id as blob), dimensions, '
                                          '"values"', 4):
                if collection_raw not in created or \
                        _vector_error(collection_raw, vector_raw, dimensions, values, collections) is not None:
                    continue
                if _put_vector(put_vector, report, collection_raw, vector_raw, dimensions, values):
                    report.copied["vectors"] += dst.changes()
        dst.commit()
    except BaseException:
        dst.rollback()
        raise


def _shadow_tables(src: Database) -> set[str]:
    try:
        return {row[0] for row in _rows(src, "select name from pragma_table_list where schema = 'main' "
                                             "and type = 'shadow'")}
    except ZovaError:
        return set()


def _copy_user_tables(src: Database, dst: Database, report: SalvageReport) -> None:
    shadows = _shadow_tables(src)
    tables = _rows(src, "select cast(name as blob), cast(sql as blob) from sqlite_master where type = 'table' "
                        "and sql is not null and substr(name, 1, 6) != '_zova_' and substr(name, 1, 7) != 'sqlite_' "
                        "order by name")
    for raw_name, raw_sql in tables:
        try:
            name, sql = raw_name.decode("utf-8"), raw_sql.decode("utf-8")
        except (UnicodeDecodeError, AttributeError):
            report.skipped["user_tables"] += 1   # a name or DDL that is not text cannot be replayed
            continue
        if name in shadows:
            # Created (and filled) by their virtual table; counted as copied with it.
            report.copied["user_tables"] += 1
            continue
        try:
            dst.exec(sql)
        except ZovaError:
            report.skipped["user_tables"] += 1
            report.skipped["user_rows"] += _count_rows(src, name)
            continue
        report.copied["user_tables"] += 1
        copied, skipped = _copy_table_rows(src, dst, name)
        report.copied["user_rows"] += copied
        report.skipped["user_rows"] += skipped
        if skipped:
            report.skipped["user_tables"] += 1


def _count_rows(src: Database, name: str) -> int:
    try:
        return _scalar(src, f"select count(*) from {_quote(name)}") or 0
    except (ZovaError, ValueError):
        return 0


def _copy_table_rows(src: Database, dst: Database, name: str) -> tuple[int, int]:
    """Copies the rows of one table; returns (copied, skipped)."""
    try:
        columns = [row[0] for row in _rows(src, "select name from pragma_table_xinfo(?) where hidden = 0", name)]
    except (ZovaError, ValueError):
        columns = []
    total = _count_rows(src, name)
    if not columns:
        return 0, total
    column_list = ", ".join(_quote(column) for column in columns)
    try:
        insert = dst.prepare(f"insert into {_quote(name)} ({column_list}) "
                             f"values ({', '.join('?' * len(columns))})")
    except ZovaError:
        return 0, total
    with insert:
        insert_row = _RowInserter(dst, insert, name, columns)
        dst.savepoint("salvage_table")
        copied = failed = 0
        try:
            with src.prepare(f"select {column_list} from {_quote(name)}") as rows:
                for row in rows:
                    if insert_row(row):
                        copied += 1
                    else:
                        failed += 1
            dst.release_savepoint("salvage_table")
            return copied, max(failed, total - copied)
        except (ZovaError, ValueError):
            # A damaged page or an unreadable value: start again row by row.
            dst.rollback_to_savepoint("salvage_table")
            dst.release_savepoint("salvage_table")
        copied, failed = _copy_rows_slowly(src, dst, insert_row, name, column_list, len(columns))
        return copied, max(failed, total - copied)


class _RawText(bytes):
    """A TEXT value whose bytes are not valid UTF-8 (SQLite stores them as given)."""


class _RowInserter:
    """Inserts copied rows into one destination table. Text holding NUL bytes
    (legal in SQLite, refused by bind_text) goes in as ``cast(? as text)`` of its bytes."""

    def __init__(self, dst: Database, insert, name: str, columns: list[str]) -> None:
        self.dst, self.insert, self.name, self.columns = dst, insert, name, columns

    def __call__(self, row) -> bool:
        if any(isinstance(value, _RawText) for value in row):
            return self._with_nul_text(row)
        insert = self.insert
        try:
            insert.reset()
            _bind(insert, row)
            insert.step()
            return True
        except ValueError:
            return self._with_nul_text(row)
        except ZovaError:
            return False
        finally:
            try:
                insert.reset()
            except ZovaError:
                pass

    def _with_nul_text(self, row) -> bool:
        values, exprs = [], []
        for value in row:
            if isinstance(value, str) and "\0" in value:
                values.append(value.encode("utf-8", "surrogatepass"))
                exprs.append("cast(? as text)")
            elif isinstance(value, _RawText):
                values.append(bytes(value))
                exprs.append("cast(? as text)")
            else:
                values.append(value)
                exprs.append("?")
        sql = (f"insert into {_quote(self.name)} ({', '.join(_quote(c) for c in self.columns)}) "
               f"values ({', '.join(exprs)})")
        try:
            with self.dst.prepare(sql) as statement:
                _bind(statement, values)
                statement.step()
            return True
        except (ZovaError, ValueError):
            return False


def _read_row(statement, width: int, offset: int = 0):
    values = []
    for index in range(offset, offset + width):
        kind = statement.column_type(index)
        if kind == 1:
            values.append(statement.column_int(index))
        elif kind == 2:
            values.append(statement.column_float(index))
        elif kind == 3:
            try:
                values.append(statement.column_text(index))
            except ValueError:   # not UTF-8: keep the bytes, re-inserted as TEXT
                values.append(_RawText(statement.column_blob(index) or b""))
        elif kind == 4:
            values.append(statement.column_blob(index))
        else:
            values.append(None)
    return values


def _copy_rows_slowly(src: Database, dst: Database, insert_row, name: str, column_list: str,
                      width: int) -> tuple[int, int]:
    """Row by row: forward until the first unreadable row, then (for rowid tables)
    backward from the end, so rows on both sides of a damaged page are kept."""
    try:
        rowid_probe = src.prepare(f"select rowid from {_quote(name)} limit 0")
        rowid_probe.close()
        has_rowid = True
    except ZovaError:
        has_rowid = False
    select = f"select {'rowid, ' if has_rowid else ''}{column_list} from {_quote(name)}"
    offset = 1 if has_rowid else 0
    counts = [0, 0]  # copied, failed

    def walk(order: str, stop_at: int | None) -> tuple[int | None, bool]:
        """Copies rows in this order until the end, an unreadable row (True) or,
        going backward, the row stop_at the forward walk reached; returns the
        last rowid seen."""
        last = None
        with src.prepare(select + order) as rows:
            while True:
                try:
                    if rows.step() != 1:
                        return last, False
                except ZovaError:
                    return last, True
                if has_rowid:
                    last = rows.column_int(0)
                    if stop_at is not None and last <= stop_at:
                        return last, False
                try:
                    values = _read_row(rows, width, offset)
                except (ZovaError, ValueError):
                    counts[1] += 1
                    continue
                counts[0 if insert_row(values) else 1] += 1

    dst.savepoint("salvage_rows")
    try:
        last_rowid, errored = walk(" order by rowid" if has_rowid else "", None)
        if has_rowid:
            walk(" order by rowid desc", last_rowid)
    finally:
        dst.release_savepoint("salvage_rows")
    copied, failed = counts
    # An unreadable stretch hides an unknown number of rows: at least one was lost.
    return copied, max(failed, 1 if errored else 0)


def _copy_schema_objects(src: Database, dst: Database, report: SalvageReport) -> None:
    for kind in ("index", "view", "trigger"):
        for name, tbl_name, sql in _rows(src, "select name, tbl_name, sql from sqlite_master where type = ? "
                                              "and sql is not null order by name", kind):
            if _private_or_internal(name) or _private_or_internal(tbl_name):
                continue
            try:
                dst.exec(sql)
                report.copied["user_schema_objects"] += 1
            except ZovaError:
                report.skipped["user_schema_objects"] += 1


def _copy_objects(src: Database, dst: Database, report: SalvageReport, d: Diagnostics) -> None:
    dst.begin()
    try:
        with src.prepare("select size_bytes, chunk_count from _zova_objects where object_id = ?") as head, \
                src.prepare(_MANIFEST_SQL) as manifest, \
                dst.prepare("insert or ignore into _zova_chunks (chunk_hash, size_bytes, data) "
                            "values (?, ?, ?)") as put_chunk, \
                dst.prepare("insert into _zova_object_chunks (object_id, chunk_index, chunk_hash, offset, "
                            "size_bytes) values (?, ?, ?, ?, ?)") as put_entry, \
                dst.prepare("insert into _zova_objects (object_id, size_bytes, chunk_count, chunker) "
                            "values (?, ?, ?, 'fastcdc-v1')") as put_object:
            for object_id in d.valid_objects:
                head.reset()
                head.bind_blob(1, object_id)
                size, count = head.fetchall()[0]
                manifest.reset()
                manifest.bind_blob(1, object_id)
                # The walk verified this object; the destination is verified again
                # as a whole at the end, so rows are streamed without re-hashing.
                copied = 0
                for index, hash_, offset, entry_size, _stored, data, _present in manifest:
                    _run(put_chunk, hash_, len(data), data)
                    _run(put_entry, object_id, index, hash_, offset, entry_size)
                    copied += 1
                if copied != count:
                    raise ZovaError(54, "object changed during salvage")
                _run(put_object, object_id, size, count)
                report.copied["objects"] += 1
            with src.prepare("select size_bytes, data from _zova_chunks where chunk_hash = ?") as read:
                for hash_ in d.valid_loose_chunks:
                    read.reset()
                    read.bind_blob(1, hash_)
                    rows = read.fetchall()
                    if not rows or not isinstance(rows[0][1], bytes) or hashlib.sha256(rows[0][1]).digest() != hash_:
                        continue
                    _run(put_chunk, hash_, len(rows[0][1]), rows[0][1])
                    report.copied["loose_chunks"] += 1
        dst.commit()
    except BaseException:
        dst.rollback()
        raise


def _run(statement, *params) -> None:
    statement.reset()
    _bind(statement, params)
    statement.step()
    statement.reset()


def _put_vector(put_vector, report: SalvageReport, collection_raw: bytes, vector_raw: bytes, dimensions,
                values) -> bool:
    """Inserts one vector row the walk accepted. A row the destination's own
    constraints refuse is skipped, counted and named, never the end of the salvage."""
    try:
        _run(put_vector, collection_raw.decode("utf-8"), vector_raw.decode("utf-8"), dimensions, values)
        return True
    except ZovaError as error:
        try:
            put_vector.reset()   # returns the failed step's error once more
        except ZovaError:
            pass
        report.skipped["vectors"] += 1
        report.diagnostics.add(Issue("vector", "vector_rejected", error_name(error),
                                     collection=_display(collection_raw), vector_id=_display(vector_raw)))
        return False


def _copy_vectors(src: Database, dst: Database, report: SalvageReport) -> None:
    collections = _collections(src)
    dst.begin()
    try:
        with dst.prepare("insert into _zova_vector_collections (name, dimensions, metric, element_type) "
                         "values (?, ?, ?, 'f32')") as put_collection, \
                dst.prepare('insert into _zova_vectors (collection_name, vector_id, dimensions, "values") '
                            "values (?, ?, ?, ?)") as put_vector:
            for name_raw in sorted(collections):
                meta = collections[name_raw]
                if not _name_valid(name_raw) or _collection_error(meta) is not None:
                    continue
                name = name_raw.decode("utf-8")
                _run(put_collection, name, meta[0], meta[1])
                report.copied["vector_collections"] += 1
                with src.prepare(_VECTORS_SQL + " where collection_name = ? order by vector_id") as rows:
                    rows.bind_text(1, name)
                    for _collection, vector_raw, dimensions, values in rows:
                        if _vector_error(name_raw, vector_raw, dimensions, values, collections) is None and \
                                _put_vector(put_vector, report, name_raw, vector_raw, dimensions, values):
                            report.copied["vectors"] += 1
        dst.commit()
    except BaseException:
        dst.rollback()
        raise
