"""The diagnostics walk shared by ``check --deep``, doctor and salvage
(docs/cli.md §1.6): foreign schema objects on private tables, objects
(manifests, chunks, whole-object hashes), orphan manifest rows, loose chunks,
then vectors. Healthy objects are confirmed by a C fast path (csrc/deep_check.c:
one pass per object that applies every manifest rule and re-hashes every chunk
and the whole object, on worker threads with read-only handles of their own);
only objects that fail it are re-walked here, which names each problem the way
upstream's walk does. Vectors are checked in numpy batches."""
from __future__ import annotations

import hashlib
import os
import struct
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from .._native import ffi, lib
from ..database import Database
from ..statement import Statement
from .common import (
    EMPTY_OBJECT_ID, MAX_CHUNK, Collections, Diagnostics, Issue, Progress, _MANIFEST_SQL, _OBJECTS_SQL,
    _VECTORS_SQL, _collection_error, _collections, _display, _hex, _name_valid, _rows, _scalar, _typed, _valid_int,
    in_callers_cancel, open_database,
)

# Rows of _OBJECTS_SQL, and what the C fast path says of each healthy-shaped
# object id in a batch: (healthy, chunk count).
Batch = list[tuple[Any, ...]]
Verdict = dict[bytes, tuple[bool, int]]

class _ChunkVerifier:
    """Verifies chunk rows (as ``chunk_get``), hashing each distinct chunk once."""

    def __init__(self) -> None:
        self.results: dict[bytes, str | None] = {}

    def verify(self, hash_: bytes, stored_size: object, data: object) -> str | None:
        if hash_ in self.results:
            return self.results[hash_]
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


def _batches(objects: Iterable[tuple[Any, ...]]) -> Iterator[Batch]:
    """Groups object rows into batches of about _BATCH_BYTES (streaming)."""
    current: Batch = []
    size = 0
    for row in objects:
        current.append(row)
        size += row[2] if _valid_int(row[2]) and row[2] > 0 else 0
        if size >= _BATCH_BYTES or len(current) >= _BATCH_OBJECTS:
            yield current
            current, size = [], 0
    if current:
        yield current


def _verdict(db: Database, batch: Batch) -> Verdict:
    """The fast path's verdict on the object ids of ``batch`` that have the right shape."""
    ids = [row[0] for row in batch if isinstance(row[0], bytes) and len(row[0]) == 32]
    healthy, chunk_counts = _fast_check(db, ids)
    return dict(zip(ids, zip(healthy, chunk_counts)))


def _verdicts(db: Database, batches: Iterable[Batch], path: str | None) -> Iterator[tuple[Batch, Verdict]]:
    """Yields (batch, {object_id: (healthy, chunk_count)}) in order. With a path,
    worker threads check batches on their own read-only handles (the C calls
    release the GIL) a few batches ahead of the consumer."""
    threads = _check_threads() if path is not None else 1
    if threads <= 1:
        for batch in batches:
            yield batch, _verdict(db, batch)
        return
    assert path is not None   # threads > 1 only with a path
    local = threading.local()
    handles: list[Database] = []
    lock = threading.Lock()

    @in_callers_cancel
    def work(batch: Batch) -> Verdict:
        handle: Database | None = getattr(local, "db", None)
        if handle is None:
            handle = open_database(path, read_only=True)
            local.db = handle
            with lock:
                handles.append(handle)
        return _verdict(handle, batch)

    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    pending: deque[tuple[Batch, Future[Verdict]]] = deque()
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


def _walk_objects(db: Database, report: Diagnostics, chunks: _ChunkVerifier, progress: Progress | None,
                  done: list[int], total: int, path: str | None = None) -> None:
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


def _walk_object(manifest: Statement, report: Diagnostics, chunks: _ChunkVerifier, object_id: bytes, size: Any,
                 count: Any, chunker_ok: Any) -> None:
    """Names each problem of one object the fast path failed; ``size``,
    ``count`` and ``chunker_ok`` are its _OBJECTS_SQL columns as stored."""
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


def _walk_loose_chunks(db: Database, report: Diagnostics, chunks: _ChunkVerifier, progress: Progress | None,
                       done: list[int], total: int) -> None:
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


_VECTOR_BATCH = 4096


def _vector_batch_errors(batch: list[tuple[Any, ...]], collections: Collections,
                         collection_errors: dict[bytes, tuple[bool, str | None]]) -> list[str | None]:
    """_vector_error for a batch of rows, with the float checks done by numpy per
    collection over all rows of the right shape at once."""
    import numpy as np   # imported when vectors are checked, not with the CLI

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
    collection_errors: dict[bytes, tuple[bool, str | None]] = {}
    with db.prepare(_VECTORS_SQL + " order by collection_name, vector_id") as rows:
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= _VECTOR_BATCH:
                _report_vectors(report, batch, _vector_batch_errors(batch, collections, collection_errors))
                batch = []
        if batch:
            _report_vectors(report, batch, _vector_batch_errors(batch, collections, collection_errors))


def _report_vectors(report: Diagnostics, batch: list[tuple[Any, ...]], errors: list[str | None]) -> None:
    report.checked["vectors"] += len(batch)
    for (collection_raw, vector_raw, _dims, _values), error in zip(batch, errors):
        if error is not None:
            report.add(Issue("vector", "vector_integrity", error,
                             collection=_display(collection_raw), vector_id=_display(vector_raw)))


_FOREIGN_SCHEMA_SQL = (
    "select type, name, tbl_name, coalesce(sql, '') from {schema} "
    "where (type in ('trigger', 'index') and tbl_name like '\\_zova\\_%' escape '\\' "
    "       and name not like 'sqlite\\_autoindex\\_%' escape '\\' "
    "       and not (type = 'trigger' and zova_vector_index_trigger(name, sql))) "
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


_INDEX_TRIGGERS = ("_zova_vector_index_on_insert", "_zova_vector_index_on_update", "_zova_vector_index_on_delete")


def _links_problem(blob: object, level: int, m: int, nodes: dict[int, int]) -> str | None:
    """What is wrong with one node's neighbour lists (docs/file-format.md §5), or None."""
    if not isinstance(blob, bytes) or len(blob) % 4:
        return "its neighbour lists are not a whole number of 32-bit words"
    words = struct.unpack(f"<{len(blob) // 4}I", blob)
    position = 0
    for current in range(level + 1):
        if position >= len(words):
            return f"its level-{current} neighbour list is missing"
        count = words[position]
        position += 1
        if count > (2 * m if current == 0 else m) or position + count > len(words):
            return f"its level-{current} neighbour list is too long"
        for neighbour in words[position:position + count]:
            if nodes.get(neighbour, -1) < current:
                return f"its level-{current} neighbour list names node {neighbour}, which is not in the graph there"
        position += count
    return None if position == len(words) else "its neighbour lists have trailing words"


def _walk_vector_indexes(db: Database, report: Diagnostics) -> None:
    """Each approximate-search index against the vectors it covers (issue 17):
    a graph that misses vectors, keeps deleted ones (outside the change log),
    was built for another shape of the collection, or lost a trigger is stale;
    one whose rows do not parse is damaged. Both are repairable with
    ``zova index rebuild``."""
    if not _scalar(db, "select count(*) from sqlite_schema where type = 'table' and name = '_zova_vector_indexes'"):
        return
    triggers = {name for (name,) in _rows(
        db, "select name from sqlite_schema where type = 'trigger' and zova_vector_index_trigger(name, sql)")}
    for name_raw, m, dims, metric in _rows(
            db, "select cast(collection_name as blob), m, dimensions, metric from _zova_vector_indexes "
                "order by collection_name"):
        name = _display(name_raw)

        def add(kind: str, why: str) -> None:
            report.add(Issue("vector", kind, f"vector index of {name}: {why}; repairable: zova index rebuild "
                                             f"<file.zova> {name}", collection=name))

        missing = [t for t in _INDEX_TRIGGERS if t not in triggers]
        if missing:
            add("vector_index_stale", f"trigger {missing[0]} is missing, so other programs' writes go unseen")
        meta = _rows(db, "select dimensions, metric from _zova_vector_collections where cast(name as blob) = ?",
                     name_raw)
        if not meta:
            add("vector_index_stale", "its collection does not exist")
            continue
        if tuple(meta[0]) != (dims, metric):
            add("vector_index_stale", "it was built for a collection of another shape")
            continue
        rows = _rows(db, "select vector_id, node, level, links from _zova_vector_index_nodes "
                         "where cast(collection_name as blob) = ?", name_raw)
        nodes: dict[int, int] = {}
        for _vid, node, level, _links in rows:
            if not isinstance(node, int) or not isinstance(level, int) or node in nodes:
                add("vector_index_damaged", f"node {node!r} is invalid or used twice")
                break
            nodes[node] = level
        else:
            for vid, node, level, links in rows:
                problem = _links_problem(links, level, int(m), nodes)
                if problem is not None:
                    add("vector_index_damaged", f"node {node} ({vid}): {problem}")
                    break
        pending = {v for (v,) in _rows(db, "select vector_id from _zova_vector_index_log "
                                           "where cast(collection_name as blob) = ?", name_raw)}
        indexed = {vid for vid, *_ in rows} - pending
        stored = {v for (v,) in _rows(db, "select vector_id from _zova_vectors where cast(collection_name as blob) = ?",
                                      name_raw)} - pending
        if indexed != stored:
            gone, new = sorted(indexed - stored), sorted(stored - indexed)
            example = f"vector {gone[0]} is gone" if gone else f"vector {new[0]} is not in it"
            add("vector_index_stale", f"{len(gone) + len(new)} vectors differ from the graph ({example})")


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
    _walk_vector_indexes(db, report)
    if progress is not None:
        progress(total, total)
    return report
