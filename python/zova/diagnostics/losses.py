"""What a salvage did not carry over. Every object, vector and user row that
the source lists (through its indexes, or past damaged pages through its table
b-trees) and the destination lacks is counted in ``skipped`` and named by one
issue (kind ``lost_object``, ``lost_vector`` or ``lost_user_row``, with the
object id, the collection and vector id, or the table and rowid), so a
salvage that lost anything reports ``partial`` (exit 4), never ``ok``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..database import Database
from ..errors import ZovaError
from ..objects import ObjectId
from .common import Issue, _display, _quote, _rows, error_name
from .rescue import _indexed_object_ids, _tolerant_scan

if TYPE_CHECKING:
    from .salvage import SalvageReport


def account_losses(src: Database, dst: Database, report: SalvageReport) -> None:
    """Adds the lost items of a finished copy to ``report`` (its counts and issues)."""
    _lost_objects(src, dst, report)
    _lost_vectors(src, dst, report)
    for table, alias in report.lossy_tables:
        _lost_rows(src, dst, report, table, alias)


def _lost_objects(src: Database, dst: Database, report: SalvageReport) -> None:
    assert report.diagnostics is not None   # the plan's walk ran
    listed = _indexed_object_ids(src)
    for table in ("_zova_objects", "_zova_object_chunks"):
        for (object_id,) in _tolerant_scan(src, table, "object_id", 1):
            if isinstance(object_id, bytes) and len(object_id) == 32:
                listed.add(object_id)
    present = {row[0] for row in _rows(dst, "select object_id from _zova_objects")}
    lost = sorted(listed - present)
    for object_id in lost:
        report.diagnostics.add(Issue("object", "lost_object", _object_error(src, object_id),
                                     object_id=object_id.hex()))
    report.skipped["objects"] = max(report.skipped["objects"], len(lost))


def _object_error(src: Database, object_id: bytes) -> str:
    """Why the source's own read of an object fails (the issue's detail)."""
    try:
        src.get_object(ObjectId(object_id))
    except (ZovaError, MemoryError) as error:
        return error_name(error)
    return "ObjectCorrupt"   # it reads back, yet did not hash to its id when salvage copied it


_VECTOR_KEYS = "cast(collection_name as blob), cast(vector_id as blob)"


def _lost_vectors(src: Database, dst: Database, report: SalvageReport) -> None:
    assert report.diagnostics is not None   # the plan's walk ran
    listed: set[tuple[Any, ...]] = set()
    try:
        with src.prepare(f"select {_VECTOR_KEYS} from _zova_vectors") as rows:
            listed.update((collection, vector) for collection, vector in rows)
    except (ZovaError, ValueError):
        pass
    listed.update(_tolerant_scan(src, "_zova_vectors", _VECTOR_KEYS, 2))
    present = set(_rows(dst, f"select {_VECTOR_KEYS} from _zova_vectors"))
    lost = sorted(listed - present, key=lambda key: tuple(b"" if part is None else bytes(part) for part in key))
    for collection, vector in lost:
        report.diagnostics.add(Issue("vector", "lost_vector", _vector_error(src, collection, vector),
                                     collection=_display(collection), vector_id=_display(vector)))
    report.skipped["vectors"] = max(report.skipped["vectors"], len(lost))


def _vector_error(src: Database, collection: Any, vector: Any) -> str:
    """Why the source's own read of a vector fails; ``collection`` and
    ``vector`` are the stored names as read (bytes, or anything a damaged row holds)."""
    try:
        src.get_vector(bytes(collection).decode("utf-8"), bytes(vector).decode("utf-8"))
    except (ZovaError, ValueError, TypeError, UnicodeDecodeError) as error:
        return error_name(error) if isinstance(error, ZovaError) else "VectorInvalid"
    return "VectorCorrupt"


def _lost_rows(src: Database, dst: Database, report: SalvageReport, table: str, alias: str | None) -> None:
    """Names the rows of ``table`` that the destination lacks by rowid (a
    WITHOUT ROWID table: one issue with the count, as its rows have no id)."""
    assert report.diagnostics is not None   # the plan's walk ran
    if alias is None:
        report.diagnostics.add(Issue("sqlite", "lost_user_row", "NotCopied", table=table))
        return
    if alias == "rowid":   # the scan past damaged pages walks the rowid itself
        listed = {rowid for (rowid,) in _tolerant_scan(src, table, "rowid", 1) if isinstance(rowid, int)}
    else:
        try:
            listed = {row[0] for row in _rows(src, f"select {alias} from {_quote(table)}")}
        except (ZovaError, ValueError):
            listed = set()
    try:
        present = {row[0] for row in _rows(dst, f"select {_quote(alias)} from {_quote(table)}")}
    except ZovaError:
        present = set()   # the table could not be created in the destination
    lost = sorted(listed - present)
    for rowid in lost:
        report.diagnostics.add(Issue("sqlite", "lost_user_row", _row_error(src, table, alias, rowid),
                                     table=table, rowid=rowid))
    report.skipped["user_rows"] = max(report.skipped["user_rows"], len(lost))


def _row_error(src: Database, table: str, alias: str, rowid: int) -> str:
    """``Corrupt`` (or the read's error) for a row the source cannot read; a row
    that reads back was refused by the destination (``Constraint``, or a table
    salvage does not copy rows of)."""
    try:
        _rows(src, f"select * from {_quote(table)} where {_quote(alias)} = ?", rowid)
    except (ZovaError, ValueError) as error:
        return error_name(error) if isinstance(error, ZovaError) else "Corrupt"
    return "NotCopied"
