"""Private rows that another program wrote wrong (issue 12 items 10-12): the
checks, doctor and salvage must name each damaged row, and salvage must skip
it and go on. On the old package a vector id of one NUL passed check --deep
(the deep check's integrity_check ran on a read-only handle, where SQLite drops
CHECK constraints) and aborted salvage as a whole ("Constraint"); a chunk or
vector stored as TEXT that is not UTF-8 ended check --deep and doctor with a
bare ValueError; orphan manifest rows passed every check."""
from __future__ import annotations

import importlib
import os
import sqlite3

import pytest

import zova
from zova import diagnostics

HELLO = b"hello world " * 100


def make_file(path: str) -> bytes:
    """One object, one loose chunk-free file with a user table and one valid vector."""
    with zova.Database.create(path) as db:
        db.exec("create table docs (id integer primary key, title text)")
        db.exec("insert into docs (title) values ('keep me')")
        oid = db.put_object(HELLO)
        db.create_vector_collection("c", zova.VectorCollectionOptions(3, zova.VectorMetric.L2))
        db.put_vector("c", "a", [1.0, 2.0, 3.0])
        return bytes(oid)


def damage(path: str, *statements, params=()) -> None:
    """Runs SQL on the file with stdlib sqlite3, CHECK constraints ignored, as a
    broken or hostile program could."""
    raw = sqlite3.connect(path)
    raw.execute("pragma ignore_check_constraints = 1")
    for sql in statements:
        raw.execute(sql, params)
    raw.commit()
    raw.close()


def issues(report) -> list[tuple]:
    return [(i.area, i.kind, i.detail, i.object_id, i.chunk_hash, i.collection, i.vector_id)
            for i in report.diagnostics.issues]


def salvage_to(path: str, tmp_path) -> tuple:
    destination = str(tmp_path / "salvaged.zova")
    report = diagnostics.salvage(path, destination, limit=100)
    return report, destination


# ---- item 10: deep is a superset of quick; salvage skips each invalid row ----

def test_deep_check_fails_what_quick_check_fails_issue12_10(path):
    make_file(path)
    damage(path, "insert into _zova_vectors values ('c', cast(x'00' as text), 3, zeroblob(12))")
    quick = diagnostics.check(path)
    assert (quick.error_kind, quick.error) == ("sqlite quick_check failed", "CheckFailed")
    deep = diagnostics.check(path, deep=True)
    assert not deep.ok and deep.exit_code == 4
    assert (deep.error_kind, deep.error) == ("sqlite quick_check failed", "CheckFailed")


@pytest.mark.parametrize("vector_id", [b"\x00", b"a\x00b"], ids=["nul", "interior_nul"])
def test_a_vector_id_holding_nul_is_named_and_salvage_skips_it_issue12_10(path, tmp_path, vector_id):
    """A NUL cannot pass through the C ABI's NUL-terminated ids, so such a row can
    never be read or deleted. ``a\\0b`` even passes SQLite's CHECK (length() stops at
    the NUL): only the walk sees it."""
    make_file(path)
    damage(path, "insert into _zova_vectors values ('c', cast(? as text), 3, zeroblob(12))", params=(vector_id,))
    expected = ("vector", "vector_integrity", "VectorInvalid", None, None, "c", vector_id.decode())
    plan = diagnostics.salvage_plan(path, limit=100)
    assert issues(plan) == [expected]
    assert plan.skipped["vectors"] == 1 and plan.recoverable["vectors"] == 1
    report, destination = salvage_to(path, tmp_path)
    assert report.error is None and report.destination_verified, report.to_dict()
    assert report.copied["vectors"] == 1 and report.skipped["vectors"] == 1
    assert report.copied["objects"] == 1 and report.copied["user_rows"] == 1
    with zova.Database.open(destination) as copy:
        assert copy.get_vector("c", "a").values == pytest.approx([1.0, 2.0, 3.0])
        assert copy.prepare("select count(*) from _zova_vectors").fetchall() == [(1,)]
    assert diagnostics.check(destination, deep=True).ok


def test_salvage_skips_and_names_a_row_the_destination_refuses_issue12_10(path, tmp_path, monkeypatch):
    """The destination's own constraints are the last judge: a row the walk let
    through but the destination refuses is skipped, counted and named, and the
    rest of the salvage goes on (it used to end with "error: Constraint")."""
    make_file(path)
    damage(path, "insert into _zova_vectors values ('c', cast(x'00' as text), 3, zeroblob(12))")
    monkeypatch.setattr(importlib.import_module("zova.diagnostics.salvage"), "_vector_error", lambda *row: None)
    report, destination = salvage_to(path, tmp_path)
    assert report.error is None and report.destination_verified, report.to_dict()
    assert report.copied["vectors"] == 1
    assert report.skipped["vectors"] == 2   # the walk's finding, then the refused insert
    rejected = [i for i in report.diagnostics.issues if i.kind == "vector_rejected"]
    assert [(i.detail, i.collection, i.vector_id) for i in rejected] == [("Constraint", "c", "\x00")]
    assert os.path.exists(destination)


# ---- item 11: values stored as TEXT that is not UTF-8 ----

def test_chunk_data_stored_as_invalid_text_is_a_damaged_chunk_issue12_11(path, tmp_path):
    oid = make_file(path)
    damage(path, "update _zova_chunks set data = cast(x'ff' || substr(data, 2) as text)")
    assert diagnostics.check(path).ok   # SQLite itself sees nothing wrong
    chunk = oid.hex()   # a one-chunk object: the chunk hash is the object id
    expected = [("chunk", "chunk_integrity", "ObjectCorrupt", oid.hex(), chunk, None, None),
                ("object", "object_integrity", "ObjectCorrupt", oid.hex(), None, None, None)]
    deep = diagnostics.check(path, deep=True)
    assert deep.error_kind is None and issues(deep) == expected
    doctor = diagnostics.doctor(path)
    assert doctor.stage is None and issues(doctor) == expected
    plan = diagnostics.salvage_plan(path)
    assert issues(plan) == expected and plan.skipped["objects"] == 1
    report, destination = salvage_to(path, tmp_path)
    assert report.destination_verified and report.copied["objects"] == 0 and report.copied["vectors"] == 1


def test_a_loose_chunk_stored_as_invalid_text_is_reported_issue12_11(path):
    make_file(path)
    damage(path, "insert into _zova_chunks values (zeroblob(32), 4, cast(x'ffffffff' as text))")
    deep = diagnostics.check(path, deep=True)
    assert issues(deep) == [("chunk", "loose_chunk_integrity", "ObjectCorrupt", None, "00" * 32, None, None)]


def test_vector_values_stored_as_invalid_text_are_a_damaged_vector_issue12_11(path, tmp_path):
    make_file(path)
    # 12 bytes of 0xff: length() counts 12 characters, so the CHECK holds.
    damage(path, "update _zova_vectors set \"values\" = cast(x'ffffffffffffffffffffffff' as text)")
    assert diagnostics.check(path).ok
    expected = [("vector", "vector_integrity", "VectorCorrupt", None, None, "c", "a")]
    assert issues(diagnostics.check(path, deep=True)) == expected
    assert issues(diagnostics.doctor(path)) == expected
    report, _ = salvage_to(path, tmp_path)
    assert report.destination_verified and report.copied["vectors"] == 0 and report.skipped["vectors"] == 1


PRIVATE_COLUMNS = [
    ("_zova_objects", "object_id"), ("_zova_objects", "size_bytes"), ("_zova_objects", "chunk_count"),
    ("_zova_objects", "chunker"), ("_zova_chunks", "chunk_hash"), ("_zova_chunks", "size_bytes"),
    ("_zova_chunks", "data"), ("_zova_object_chunks", "object_id"), ("_zova_object_chunks", "chunk_index"),
    ("_zova_object_chunks", "chunk_hash"), ("_zova_object_chunks", "offset"),
    ("_zova_object_chunks", "size_bytes"), ("_zova_vector_collections", "dimensions"),
    ("_zova_vector_collections", "metric"), ("_zova_vector_collections", "element_type"),
    ("_zova_vectors", "vector_id"), ("_zova_vectors", "dimensions"), ("_zova_vectors", '"values"'),
]


@pytest.mark.parametrize("table,column", PRIVATE_COLUMNS, ids=[f"{t}.{c}" for t, c in PRIVATE_COLUMNS])
def test_any_private_column_as_invalid_text_is_a_finding_not_a_crash_issue12_11(path, tmp_path, table, column):
    make_file(path)
    damage(path, f"update {table} set {column} = cast(x'ff80fe' as text)")
    deep = diagnostics.check(path, deep=True)
    assert not deep.ok
    assert deep.error_kind in (None, "sqlite quick_check failed"), deep.to_dict()
    doctor = diagnostics.doctor(path)
    assert not doctor.ok and doctor.error != "ValueError", doctor.to_dict()
    plan = diagnostics.salvage_plan(path)
    assert not plan.ok
    assert all(issue.detail != "ValueError" for issue in plan.diagnostics.issues), plan.to_dict()
    report, destination = salvage_to(path, tmp_path)
    assert report.error is None and report.destination_verified, report.to_dict()
    assert report.copied["user_rows"] == 1


# ---- item 12: orphan manifest rows ----

def test_orphan_manifest_rows_are_reported_issue12_12(path, tmp_path):
    make_file(path)
    orphan = "ab" * 32
    damage(path, f"insert into _zova_object_chunks select x'{orphan}', chunk_index, chunk_hash, offset, size_bytes "
                 "from _zova_object_chunks",
           f"insert into _zova_object_chunks values (x'{'cd' * 32}', 0, zeroblob(32), 0, 4)",
           f"insert into _zova_object_chunks values (x'{'cd' * 32}', 1, zeroblob(32), 4, 4)")
    expected = [("chunk", "orphan_manifest", "ObjectNotFound", orphan, None, None, None),
                ("chunk", "orphan_manifest", "ObjectNotFound", "cd" * 32, None, None, None)]
    assert diagnostics.check(path).ok   # no SQLite rule is broken
    deep = diagnostics.check(path, deep=True)
    assert deep.exit_code == 4 and issues(deep) == expected
    assert deep.diagnostics.checked["objects"] == 1
    doctor = diagnostics.doctor(path)
    assert doctor.exit_code == 4 and issues(doctor) == expected
    plan = diagnostics.salvage_plan(path)
    assert plan.status == "needs_attention" and issues(plan) == expected
    assert plan.skipped["chunks"] == 2 and plan.recoverable["objects"] == 1
    report, destination = salvage_to(path, tmp_path)
    assert report.destination_verified and report.copied["objects"] == 1
    with zova.Database.open(destination) as copy:
        assert copy.prepare("select count(distinct object_id) from _zova_object_chunks").fetchall() == [(1,)]
