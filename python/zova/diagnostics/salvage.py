"""``zova salvage --dry-run`` (the plan) and ``zova salvage SRC DST`` (the copy):
the source is opened read-only and never modified, the destination is a new
file that is verified at the end and removed unless it verifies. A healthy
source is copied through its indexes here; a source with damaged SQLite pages
is rescued by table scans (rescue.py); user tables are copied by
user_tables.py (docs/cli.md §1.6)."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

from ..database import Database
from ..errors import Interrupted, PathArg, ZovaError
from .common import (
    DEFAULT_LIMIT, Diagnostics, Issue, Progress, _StageError, _VECTORS_SQL, _collection_error, raise_if_cancelled,
    _collections, _counts, _name_valid, _rows, _run, _scalar, _vector_error, error_name, quick_check, summary,
)
from .losses import account_losses
from .reput import Reput
from .rescue import _copy_indexed_objects, _copy_indexed_vectors, _put_vector, _rescue_objects, _rescue_vectors
from .user_tables import _copy_schema_objects, _copy_user_tables
from .source import Source
from .walk import diagnose

# ---- salvage ----

_COUNT_KEYS = ("user_tables", "user_schema_objects", "user_rows", "objects", "chunks", "loose_chunks",
               "vector_collections", "vectors")


def _plan_counts(summary_: dict[str, Any] | None) -> dict[str, int]:
    if summary_ is None:
        return dict.fromkeys(_COUNT_KEYS, 0)
    return {"user_tables": summary_["tables"]["user"], "user_schema_objects": summary_["user_schema_objects"],
            "user_rows": summary_["user_rows"], "objects": summary_["objects"]["count"],
            "chunks": summary_["chunks"]["count"], "loose_chunks": summary_["chunks"]["loose_count"],
            "vector_collections": summary_["vectors"]["collections"], "vectors": summary_["vectors"]["rows"]}


@dataclass
class SalvageReport:
    """What ``zova salvage --dry-run`` (a plan, made by :func:`salvage_plan`) or
    ``zova salvage SRC DST`` (a copy, made by :func:`salvage`) found and did.
    The counts are dicts keyed by ``user_tables``, ``user_schema_objects``,
    ``user_rows``, ``objects``, ``chunks``, ``loose_chunks``,
    ``vector_collections`` and ``vectors``.

    Args:
        source_path: the file salvaged.
        limit: how many issues ``diagnostics`` keeps.
        dry_run: True for a plan, False for a copy.
        destination_path: the copy's new file (None for a plan).
        diagnostics: the source's diagnostics walk, plus (for a copy) the
            items the copy lost or the destination refused.
        recoverable: what a copy would carry over (for a copy, the user
            tables, schema objects and rows count what it did carry over).
        skipped: what the walk found damaged or the copy could not carry over.
        copied: what the copy stored in the destination.
        recoverability: ``recoverable``, ``partially_recoverable``,
            ``not_recoverable``, or ``unknown`` when an issue is in the sqlite
            area (damaged pages, a stage that failed, a schema object another
            program attached to a private table).
        destination_verified: the destination passed ``quick_check`` and a
            diagnostics walk that found nothing.
        destination_removed: the destination failed verification and was
            removed.
        destination_issue_count: issues the destination's walk found.
        error: the error name of a copy that could not start or failed part
            way (``NotZovaPath``, ``DestinationExists``...), or None.
        copied_started: the destination was created.
        lossy_tables: user tables with rows the copy could not carry, as
            (name, rowid alias or None); no report shows them.
    """

    source_path: str
    limit: int
    dry_run: bool
    destination_path: str | None = None
    diagnostics: Diagnostics | None = None
    recoverable: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_COUNT_KEYS, 0))
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_COUNT_KEYS, 0))
    copied: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_COUNT_KEYS, 0))
    recoverability: str = "recoverable"
    destination_verified: bool = False
    destination_removed: bool = False
    destination_issue_count: int = 0
    error: str | None = None   # salvage execution that could not start or failed part-way
    copied_started: bool = False
    # user tables with rows the copy could not carry: (name, rowid alias or None)
    lossy_tables: list[tuple[str, str | None]] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        """A plan: the walk found no error. A copy: it finished, the
        destination verified and nothing was lost (not ``partial``)."""
        if self.dry_run:
            return self.diagnostics is not None and self.diagnostics.ok
        return self.error is None and self.destination_verified and not self.partial

    @property
    def partial(self) -> bool:
        """A verified destination that lacks something the source lists."""
        return (not self.dry_run and self.error is None and self.destination_verified
                and any(self.skipped.values()))

    @property
    def exit_code(self) -> int:
        """The ``zova salvage`` exit code: 0 when ``ok``, else 4."""
        return 0 if self.ok else 4

    @property
    def status(self) -> str:
        """A plan: ``ok`` or ``needs_attention``. A copy: ``ok``, ``partial``
        or ``error``."""
        if self.dry_run:
            return "ok" if self.ok else "needs_attention"
        if self.partial:
            return "partial"
        return "ok" if self.ok else "error"

    def suggested_actions(self, text_path: str | None = None) -> list[str]:
        """The next steps to take.

        Args:
            text_path: for a plan, the source path to write into the actions
                (as the text report has it); None for the placeholders of the
                JSON report. A copy's actions name no path.

        Returns:
            Three actions for a plan. For a copy: check the destination with
            ``zova check --deep`` before replacing any live file (after a
            partial copy, also restore the lost items from a backup); after a
            failed copy, restore from a backup or inspect the source with
            ``zova doctor``.
        """
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
        if self.partial:
            return ["the destination lacks the lost items this report names (lost_object, lost_vector, "
                    "lost_user_row)", "restore them from a recent backup if available",
                    "run zova check --deep on the destination before replacing any live file"]
        return ["restore from a recent backup if available",
                "inspect the source with zova doctor before trying salvage again"]

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``zova salvage [--dry-run] --json``, without its
        ``cli_json_version`` key.

        Returns:
            For a plan: ``status``, ``command``, ``dry_run``,
            ``will_write_destination``, ``source_path``, ``recoverability``,
            ``recoverable``, ``skipped``, the issue counts, ``issues`` and
            ``suggested_actions``. A copy adds ``destination_path``,
            ``destination_verified`` and ``copied`` (and
            ``destination_removed`` and ``error`` when set). A copy that could
            not start gives ``status``, ``command``, the two paths, ``error``
            and ``destination_verified`` (False).
        """
        d = self.diagnostics or Diagnostics(limit=self.limit)
        if self.dry_run:
            return {"status": self.status, "command": "salvage", "dry_run": True, "will_write_destination": False,
                    "source_path": self.source_path, "recoverability": self.recoverability,
                    "recoverable": dict(self.recoverable), "skipped": dict(self.skipped), **_counts(d),
                    "suggested_actions": self.suggested_actions()}
        if self.error is not None and not self.copied_started:
            return {"status": "error", "command": "salvage", "source_path": self.source_path,
                    "destination_path": self.destination_path, "error": self.error, "destination_verified": False}
        out: dict[str, Any] = {
            "status": self.status, "command": "salvage", "dry_run": False, "will_write_destination": True,
            "source_path": self.source_path, "destination_path": self.destination_path,
            "destination_verified": self.destination_verified, "recoverability": self.recoverability,
            "copied": dict(self.copied), "recoverable": dict(self.recoverable), "skipped": dict(self.skipped),
            **_counts(d), "suggested_actions": self.suggested_actions()}
        if self.destination_removed:
            out["destination_removed"] = True
        if self.error is not None:
            out["error"] = self.error
        return out


def _plan(db: Database | None, path: str, limit: int, progress: Progress | None, report: SalvageReport,
          repair: str | None = None, read_path: str | None = None, parallel: bool = True) -> dict[str, Any] | None:
    """Fills the plan side of a salvage report; returns the source summary (None if it failed).
    ``repair`` says how the file ``db`` has open (``read_path``) was made from
    ``path`` (see source.py): its kind is reported as a sqlite-area issue.
    ``parallel`` lets the walk verify objects on handles of its own."""
    summary_ = None
    stage = "sqlite_quick_check"
    try:
        if db is None:
            raise _StageError("CantOpen")
        if repair == "truncated_file":
            raise _StageError("Corrupt")   # its pages are missing
        quick_check(db)
        stage = "summary"
        summary_ = summary(db, path)
        stage = "diagnostic_check"
        report.diagnostics = diagnose(db, limit, progress, (read_path or path) if parallel else None)
        if repair is not None:
            report.diagnostics.add(Issue("sqlite", repair, "NotZovaDatabase"))
    except (_StageError, ZovaError, ValueError) as error:
        summary_ = None
        report.diagnostics = Diagnostics(limit=limit)
        report.diagnostics.add(Issue("sqlite", repair or stage, error_name(error)))
    d = report.diagnostics
    assert d is not None   # set by both branches above
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


def salvage_plan(path: PathArg, *, limit: int = DEFAULT_LIMIT, progress: Progress | None = None) -> SalvageReport:
    """The dry run, as ``zova salvage --dry-run`` does: what a salvage of
    ``path`` would recover. The source is opened read-only and never modified,
    and no destination is written (a file too damaged to open is read through
    a repaired temporary copy, removed afterwards).

    Args:
        path: the source (str, bytes or os.PathLike).
        limit: how many issues the report keeps (all are counted).
        progress: called as ``progress(done, total)`` (bytes) while the walk
            verifies objects and loose chunks.

    Returns:
        The :class:`SalvageReport` with ``dry_run`` True.

    Raises:
        ZovaError: ``path`` does not open as a Zova database, not even through
            a repaired copy.
        Interrupted: the calling thread's :class:`zova.Cancel` token was
            cancelled.
    """
    path = os.fsdecode(path)   # str, bytes or os.PathLike
    with Source(path) as source:
        report = SalvageReport(source_path=path, limit=limit, dry_run=True)
        _plan(source.db, path, limit, progress, report, source.repair, source.read_path)
        raise_if_cancelled()
        return report


def salvage(source: PathArg, destination: PathArg, *, limit: int = DEFAULT_LIMIT,
            progress: Progress | None = None) -> SalvageReport:
    """Copies every readable and valid user row, object, loose chunk and vector of
    ``source`` (opened read-only, never modified) into the new file
    ``destination`` (created exclusively, never overwritten), then verifies the
    destination with quick_check and a diagnostics walk that must find nothing,
    as ``zova salvage SRC DST`` does. A destination that fails verification is
    removed (upstream keeps it; the Zova issue asks for removal).

    Args:
        source: the damaged file (str, bytes or os.PathLike).
        destination: the new file, a path ending in ``.zova`` that does not
            exist (str, bytes or os.PathLike).
        limit: how many issues the report keeps (all are counted).
        progress: called as ``progress(done, total)`` (bytes) while the walk
            of the source verifies objects and loose chunks.

    Returns:
        The :class:`SalvageReport` with ``dry_run`` False. A destination that
        could not be created gives a report with ``error`` set
        (``NotZovaPath``, ``DestinationExists``...), not an exception.

    Raises:
        ZovaError: ``source`` does not open as a Zova database, not even
            through a repaired copy.
        Interrupted: the calling thread's :class:`zova.Cancel` token was
            cancelled (an unverified destination is removed first).
    """
    source, destination = os.fsdecode(source), os.fsdecode(destination)
    report = SalvageReport(source_path=source, limit=limit, dry_run=False, destination_path=destination)
    if not destination.endswith(".zova"):
        report.error = "NotZovaPath"
        return report
    with Source(source) as opened:
        db = opened.db
        try:
            target = Database.create(destination)
        except ZovaError as error:
            report.error = error_name(error)
            return report
        report.copied_started = True
        try:
            # One read transaction for the whole salvage: the walk, the copy and
            # the loss accounting see the same snapshot of a source that another
            # program may be writing. Outside WAL mode that transaction's lock
            # keeps a writer waiting, and a writer waiting keeps new readers
            # out, so the walk then verifies on this handle only.
            wal = _scalar(db, "pragma journal_mode") == "wal"
            db.begin()
            _plan(db, source, limit, progress, report, opened.repair, opened.read_path, parallel=wal)
            raise_if_cancelled()
            walk = report.diagnostics
            assert walk is not None   # _plan always sets it
            if walk.issue_counts["sqlite"]:
                # quick_check (or the walk) failed: SQLite pages are damaged, so
                # indexed lookups cannot be trusted; rescue by scanning tables.
                walk = None
            _copy_all(db, target, report, walk)
            _rebuild_vector_indexes(db, target)
            account_losses(db, target, report)
        except (ZovaError, ValueError, MemoryError) as error:
            report.error = error_name(error)
        finally:
            target.close()
            try:
                db.rollback()
            except ZovaError:
                pass   # SQLite already ended it (an I/O error on a damaged file)
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
    raise_if_cancelled()   # after the unverified destination was removed
    return report


def _remove_database_files(path: str) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        try:
            os.unlink(path + suffix)
        except OSError:
            pass


def _copy_all(src: Database, dst: Database, report: SalvageReport, walk: Diagnostics | None) -> None:
    """``walk`` None means the source has damaged SQLite pages: objects and
    vectors are then rescued by table scans (see _rescue_objects), and a
    failure in one area does not stop the others. When anything is damaged,
    a last pass copies every object and vector that still reads back valid
    through the indexes (as get_object and get_vector read them)."""
    rescue = walk is None
    reput = Reput(dst)
    for step in (_copy_user_tables, _copy_schema_objects):
        try:
            step(src, dst, report)
        except (ZovaError, ValueError) as error:
            if not rescue or isinstance(error, Interrupted):
                raise
    if walk is not None:   # not rescue
        try:
            _copy_objects(src, dst, report, walk, reput)
        except (ZovaError, ValueError) as error:
            if isinstance(error, Interrupted):
                raise
            rescue = True  # a read failed part-way: rescue the rest
    if rescue:
        _rescue_objects(src, dst, report, reput)
    if rescue or _found(walk, "object", "chunk"):
        _copy_indexed_objects(src, dst, report, reput)
    report.copied["objects"] = len(reput.copied)
    vectors_rescued = rescue
    if not rescue:
        try:
            _copy_vectors(src, dst, report)
        except (ZovaError, ValueError) as error:
            if isinstance(error, Interrupted):
                raise
            vectors_rescued = True
    if vectors_rescued:
        _rescue_vectors(src, dst, report)
    if vectors_rescued or _found(walk, "vector"):
        _copy_indexed_vectors(src, dst, report)


def _found(walk: Diagnostics | None, *areas: str) -> bool:
    """Whether the walk found issues in any of ``areas`` (True without a walk)."""
    return walk is None or any(walk.issue_counts[area] for area in areas)


def _copy_objects(src: Database, dst: Database, report: SalvageReport, d: Diagnostics, reput: Reput) -> None:
    """Re-puts every object the walk verified, then copies the loose chunks it verified."""
    with src.prepare("select size_bytes from _zova_objects where object_id = ?") as head:
        for object_id in d.valid_objects:
            head.reset()
            head.bind_blob(1, object_id)
            reput.stream(src, object_id, head.fetchall()[0][0])
    reput.flush()
    dst.begin()
    try:
        with src.prepare("select size_bytes, data from _zova_chunks where chunk_hash = ?") as read, \
                dst.prepare("insert or ignore into _zova_chunks (chunk_hash, size_bytes, data) "
                            "values (?, ?, ?)") as put_chunk:
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


def _rebuild_vector_indexes(src: Database, dst: Database) -> None:
    """The approximate-search indexes of the source, built again over the
    copied vectors with the same parameters (the graph itself is not copied:
    it may be the damaged part; issue 17)."""
    if not _scalar(src, "select count(*) from sqlite_schema where type = 'table' and name = '_zova_vector_indexes'"):
        return
    for name_raw, m, ef_construction in _rows(src, "select cast(collection_name as blob), m, ef_construction "
                                                   "from _zova_vector_indexes order by collection_name"):
        if not isinstance(name_raw, bytes) or not _name_valid(name_raw) or not isinstance(m, int) or \
                not isinstance(ef_construction, int) or not 2 <= m <= 64 or not 1 <= ef_construction <= 4096:
            continue
        name = name_raw.decode("utf-8")
        if dst.has_vector_collection(name):
            dst.create_vector_index(name, m=m, ef_construction=ef_construction)


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
