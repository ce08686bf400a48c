"""Salvage of a source whose SQLite pages are damaged: rows read from the table
b-trees themselves (NOT INDEXED, skipping past unreadable stretches), objects
rebuilt from any complete manifest whose chunks hash to the object id, and a
last pass that copies every object and vector that still reads back through
the indexes. Every copied row meets the rules of common.py."""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from ..database import Database
from ..errors import Interrupted, ZovaError
from ..statement import Statement
from .common import (
    CHUNKER, EMPTY_OBJECT_ID, MAX_CHUNK, Collections, Issue, SqlValue, _MANIFEST_SQL, _VECTORS_SQL,
    _collection_error, _collections, _display, _name_valid, _quote, _run, _scalar, _valid_int, _vector_error,
    error_name,
)
from .reput import Reput
from .user_tables import _read_row

if TYPE_CHECKING:
    from .salvage import SalvageReport

# ---- rescue by table scans (salvage of a file with damaged SQLite pages) ----


def _tolerant_scan(src: Database, table: str, columns: str, width: int) -> Iterator[tuple[Any, ...]]:
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
        except (ZovaError, ValueError) as error:
            if isinstance(error, Interrupted):
                raise
        # The row after `after` cannot be read: find the first start past it
        # from which a row reads back (gallop 1, 2, 4..., then bisect back).
        def readable_from(start: int) -> int | Literal[False] | None:
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

        found: int | Literal[False] | None
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


def _rescue_objects(src: Database, dst: Database, report: SalvageReport, reput: Reput) -> None:
    """Stores every chunk that verifies, then re-puts every object (object row
    or not) whose complete manifest reads back and whose chunks hash to its id.
    The source's chunks that served objects are then dropped unless the
    re-put objects use them; chunks that were loose in the source (or whose
    manifest rows were lost) stay as loose chunks."""
    report.copied["loose_chunks"] = 0
    manifests: dict[bytes, dict[int, tuple[bytes, int, int]]] = {}
    referenced: set[bytes] = set()
    for object_id, index, hash_, offset, size in _tolerant_scan(
            src, "_zova_object_chunks", "object_id, chunk_index, chunk_hash, offset, size_bytes", 5):
        if (isinstance(object_id, bytes) and len(object_id) == 32 and isinstance(hash_, bytes) and len(hash_) == 32
                and _valid_int(index) and _valid_int(offset) and _valid_int(size)):
            manifests.setdefault(object_id, {})[index] = (hash_, offset, size)
            referenced.add(hash_)
    heads: dict[bytes, tuple[Any, Any]] = {}
    for object_id, size, count, chunker in _tolerant_scan(
            src, "_zova_objects", "object_id, size_bytes, chunk_count, chunker", 4):
        if isinstance(object_id, bytes) and len(object_id) == 32 and chunker == CHUNKER:
            heads[object_id] = (size, count)
    stored: set[bytes] = set()
    dst.begin()
    try:
        with dst.prepare("insert or ignore into _zova_chunks (chunk_hash, size_bytes, data) "
                         "values (?, ?, ?)") as put_chunk:
            for hash_, size, data in _tolerant_scan(src, "_zova_chunks", "chunk_hash, size_bytes, data", 3):
                if (isinstance(hash_, bytes) and len(hash_) == 32 and isinstance(data, bytes)
                        and 0 < len(data) <= MAX_CHUNK and size == len(data)
                        and hashlib.sha256(data).digest() == hash_):
                    _run(put_chunk, hash_, len(data), bytes(data))
                    stored.add(hash_)
        dst.commit()
    except BaseException:
        dst.rollback()
        raise
    with dst.prepare("select data from _zova_chunks where chunk_hash = ?") as read:
        for object_id in sorted(set(heads) | set(manifests)):
            entries = manifests.get(object_id, {})
            count = len(entries)
            if object_id in heads and heads[object_id][1] != count:
                continue  # manifest rows lost
            if count == 0 and (object_id not in heads or object_id != EMPTY_OBJECT_ID):
                continue
            pieces: list[bytes] = []
            offset = 0
            for index in range(count):
                entry = entries.get(index)
                if entry is None or entry[0] not in stored or entry[1] != offset:
                    break
                read.reset()
                read.bind_blob(1, entry[0])
                data = read.fetchall()[0][0]
                if len(data) != entry[2]:
                    break
                pieces.append(data)
                offset += len(data)
            else:
                if object_id not in heads or heads[object_id][0] == offset:
                    reput.add(object_id, pieces)
    reput.flush()
    dst.begin()
    try:
        with dst.prepare("delete from _zova_chunks where chunk_hash = ? and chunk_hash not in "
                         "(select chunk_hash from _zova_object_chunks)") as drop:
            for hash_ in stored:
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


def _indexed_verified_object(src: Database, object_id: bytes) -> list[tuple[int, bytes, int, int, bytes]] | None:
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
    entries: list[tuple[int, bytes, int, int, bytes]] = []
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


def _copy_indexed_objects(src: Database, dst: Database, report: SalvageReport, reput: Reput) -> None:
    """Re-puts each object not yet copied that reads back verified through the
    indexes (a flipped field in a row defeats the table scans but not
    get_object; the object hash decides)."""
    candidates = _indexed_object_ids(src)
    for object_id, in _tolerant_scan(src, "_zova_objects", "object_id", 1):
        if isinstance(object_id, bytes) and len(object_id) == 32:
            candidates.add(object_id)
    for object_id in sorted(candidates - reput.copied):
        try:
            entries = _indexed_verified_object(src, object_id)
        except (ZovaError, ValueError, IndexError):
            continue
        if entries is not None:
            reput.add(object_id, [entry[4] for entry in entries])
    reput.flush()
    report.copied["loose_chunks"] = _scalar(
        dst, "select count(*) from _zova_chunks where chunk_hash not in (select chunk_hash from _zova_object_chunks)")


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
                ids: list[bytes] = []
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
    collections: Collections = {}
    for name_raw, dimensions, metric, element_type in _tolerant_scan(
            src, "_zova_vector_collections", "cast(name as blob), dimensions, metric, element_type", 4):
        collections[name_raw] = (dimensions, metric, element_type)
    dst.begin()
    try:
        with dst.prepare("insert into _zova_vector_collections (name, dimensions, metric, element_type) "
                         "values (?, ?, ?, 'f32')") as put_collection, \
                dst.prepare('insert or ignore into _zova_vectors (collection_name, vector_id, dimensions, "values") '
                            "values (?, ?, ?, ?)") as put_vector:
            created: set[bytes] = set()
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


def _put_vector(put_vector: Statement, report: SalvageReport, collection_raw: bytes, vector_raw: bytes,
                dimensions: SqlValue, values: SqlValue) -> bool:
    """Inserts one vector row the walk accepted. A row the destination's own
    constraints refuse is skipped, counted and named, never the end of the salvage."""
    assert report.diagnostics is not None   # the plan's walk ran
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
