"""The zova.diagnostics library: check, check --deep, doctor, salvage dry run and
salvage (docs/cli.md §1.6), on healthy files and on each kind of damage."""
from __future__ import annotations

import importlib

import hashlib
import os
import shutil
import sqlite3

import pytest

import zova
from zova import diagnostics as diag

import zova_fixtures as fx


@pytest.fixture
def healthy(tmp_path):
    path = str(tmp_path / "healthy.zova")
    ids = fx.make_healthy(path)
    return path, ids


def _digest(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _kinds(report) -> list[tuple[str, str, str]]:
    return [(i["area"], i["kind"], i["detail"]) for i in report.to_dict()["issues"]]


# ---- healthy ----

def test_quick_check_healthy_has_no_deep_keys_1_6(healthy):
    report = diag.check(healthy[0])
    assert report.ok and report.exit_code == 0
    assert report.to_dict() == {"status": "ok", "command": "check", "quick_check": "ok"}


def test_deep_check_healthy_counts_1_6(healthy):
    report = diag.check(healthy[0], deep=True)
    data = report.to_dict()
    assert report.exit_code == 0
    assert data["deep_check"] == "ok"
    # 2 objects (3 + 1 manifest entries), 1 vector, 1 loose chunk (the upstream fixture's numbers)
    assert data["checked"] == {"objects": 2, "chunks": 4, "vectors": 1, "loose_chunks": 1}
    assert data["issue_count"] == 0 and data["issues"] == [] and data["issues_truncated"] is False
    assert data["issue_counts"] == {"sqlite": 0, "object": 0, "chunk": 0, "vector": 0}
    assert data["severity_counts"] == {"info": 0, "warning": 0, "error": 0, "fatal": 0}
    assert data["suggested_actions"] == ["no action needed"]


def test_doctor_healthy_1_6(healthy):
    report = diag.doctor(healthy[0])
    data = report.to_dict()
    assert report.exit_code == 0 and data["status"] == "ok"
    assert data["tables"] == {"user": 1, "private": 6}
    assert data["quick_check"] == "ok" and data["schema"] == "ok"
    assert data["suggested_actions"] == ["no action needed"]


def test_salvage_plan_healthy_1_6(healthy):
    before = _digest(healthy[0])
    report = diag.salvage_plan(healthy[0])
    data = report.to_dict()
    assert report.exit_code == 0
    assert data["recoverability"] == "recoverable"
    assert data["recoverable"] == {"user_tables": 1, "user_schema_objects": 2, "user_rows": 2, "objects": 2,
                                   "chunks": 5, "loose_chunks": 1, "vector_collections": 1, "vectors": 1}
    assert set(data["skipped"].values()) == {0}
    assert data["dry_run"] is True and data["will_write_destination"] is False
    assert _digest(healthy[0]) == before


def test_reports_never_contain_payloads_1_5(healthy, tmp_path):
    fx.flip_chunk_bytes(healthy[0], healthy[1]["object_a"])
    fx.bad_vector_blob(healthy[0])
    text = repr([diag.check(healthy[0], deep=True).to_dict(), diag.doctor(healthy[0]).to_dict(),
                 diag.salvage_plan(healthy[0]).to_dict(),
                 diag.salvage(healthy[0], str(tmp_path / "out.zova")).to_dict()])
    for secret in ("hello object", "streamed object", "hidden chunk bytes", "7.25", "secret blob value",
                   fx.SECRET_ROW, "create table"):
        assert secret not in text


# ---- each kind of damage (§1.6) ----

def test_flipped_chunk_bytes_1_6(healthy):
    path, ids = healthy
    hash_ = fx.flip_chunk_bytes(path, ids["object_a"])
    report = diag.check(path, deep=True)
    data = report.to_dict()
    assert report.exit_code == 4
    assert data["kind"] == "deep_check" and data["error"] == "corruption detected"
    assert "checked" not in data and "quick_check" not in data
    assert _kinds(report) == [("chunk", "chunk_integrity", "ObjectCorrupt"),
                              ("object", "object_integrity", "ObjectCorrupt")]
    assert data["issues"][0]["object_id"] == ids["object_a"].hex()
    assert data["issues"][0]["chunk_hash"] == hash_.hex()
    assert data["issue_counts"] == {"sqlite": 0, "object": 1, "chunk": 1, "vector": 0}
    assert data["severity_counts"]["error"] == 2
    assert "run zova salvage --dry-run <file.zova>" in data["suggested_actions"]


def test_missing_chunk_row_1_6(healthy):
    path, ids = healthy
    hash_ = fx.delete_chunk_row(path, ids["object_a"], 0)
    report = diag.check(path, deep=True)
    assert _kinds(report) == [("chunk", "missing_chunk", "ObjectChunkNotFound"),
                              ("object", "object_manifest", "ObjectCorrupt")]
    assert report.to_dict()["issues"][0]["chunk_hash"] == hash_.hex()


def test_all_chunks_deleted_each_object_reports_1_6(healthy):
    path, ids = healthy
    with zova.Database.open(path) as db:
        db.exec("delete from _zova_chunks")
    report = diag.check(path, deep=True)
    kinds = _kinds(report)
    assert kinds.count(("object", "object_manifest", "ObjectCorrupt")) == 2
    assert kinds.count(("chunk", "missing_chunk", "ObjectChunkNotFound")) == 4
    assert report.to_dict()["issue_count"] == 6


def test_manifest_gap_1_6(healthy):
    path, ids = healthy
    fx.manifest_gap(path, ids["object_a"], 1)
    report = diag.check(path, deep=True)
    assert _kinds(report) == [("object", "object_manifest", "ObjectCorrupt")]
    # the orphaned chunk is now loose (and still intact)
    assert diag.doctor(path).to_dict()["checked"]["loose_chunks"] == 2


def test_short_chunk_payload_is_a_manifest_error_1_6(healthy):
    """(observed) a 7-byte payload in a chunk whose manifest says 12 bytes is object_manifest."""
    path, _ = healthy
    with zova.Database.open(path) as db:
        object_id = fx.put_object_sql(db, b"twelve bytes")
        fx.run(db, "update _zova_chunks set size_bytes = 7, data = ? where chunk_hash = ?",
               b"seven!!", hashlib.sha256(b"twelve bytes").digest())
    report = diag.check(path, deep=True)
    assert _kinds(report) == [("object", "object_manifest", "ObjectCorrupt")]
    assert report.to_dict()["issues"][0]["object_id"] == object_id.hex()


def test_bad_vector_blob_nan_1_6(healthy):
    path, _ = healthy
    fx.bad_vector_blob(path)
    report = diag.check(path, deep=True)
    assert _kinds(report) == [("vector", "vector_integrity", "VectorCorrupt")]
    issue = report.to_dict()["issues"][0]
    assert issue["collection"] == "docs" and issue["vector_id"] == "v1"


def test_bad_vector_length_and_other_vector_faults_1_6(healthy):
    path, _ = healthy
    fx.bad_vector_length(path)
    with zova.Database.open(path) as db:
        fx.put_collection_sql(db, "cos", 2, "cosine")
        fx.put_vector_sql(db, "cos", "zero", [0.0, 0.0])
        fx.put_vector_sql(db, "cos", "inf", [float("inf"), 0.0])
        fx.put_vector_sql(db, "cos", "fine", [1.0, 0.0])
        fx.put_vector_sql(db, "ghost", "orphan", [1.0, 2.0])   # no such collection
        fx.run(db, "insert into _zova_vector_collections values ('weird', 2, 'cosine', 'f32')")
        fx.run(db, "update _zova_vector_collections set metric = 'dot' where name = 'weird'")
    report = diag.check(path, deep=True)
    data = report.to_dict()
    got = {(i["collection"], i["vector_id"]): i["detail"] for i in data["issues"]}
    assert got == {("cos", "inf"): "VectorCorrupt", ("cos", "zero"): "VectorCorrupt",
                   ("docs", "v1"): "VectorCorrupt", ("ghost", "orphan"): "VectorCollectionNotFound"}
    assert data["issue_counts"]["vector"] == 4
    assert diag.doctor(path).to_dict()["checked"]["vectors"] == 5


def test_bad_meta_row_fails_open_1_3(healthy, tmp_path):
    path, _ = healthy
    other = str(tmp_path / "magic.zova")
    shutil.copy(path, other)
    fx.bad_meta_row(path, "format_version", "4")
    fx.bad_meta_row(other, "magic", "nope")
    for function in (diag.check, diag.doctor, diag.salvage_plan):
        with pytest.raises(zova.ZovaError) as excinfo:
            function(path)
        assert diag.error_name(excinfo.value) == "UnsupportedZovaVersion"
    with pytest.raises(zova.ZovaError) as excinfo:
        diag.check(other)
    assert diag.error_name(excinfo.value) == "NotZovaDatabase"
    # A damaged identity: doctor reports it and salvage reads it (issue 13 item 5).
    assert (diag.doctor(other).stage, diag.doctor(other).error) == ("identity damaged", "NotZovaDatabase")
    assert [i.kind for i in diag.salvage_plan(other).diagnostics.issues] == ["identity_damaged"]


def test_truncated_file_fails_open_1_3(healthy):
    path, _ = healthy
    with zova.Database.open(path) as db:
        for _ in range(20):
            fx.put_object_sql(db, os.urandom(100_000), 50_000)
    fx.truncate(path, 0.5)
    with pytest.raises(zova.ZovaError) as excinfo:
        diag.check(path, deep=True)
    assert diag.error_name(excinfo.value) == "Corrupt"   # upstream's status for a truncated file (issue 13 item 6)


def test_quick_check_failure_in_every_report_1_6(healthy, tmp_path):
    path, _ = healthy
    fx.break_quick_check(path)
    report = diag.check(path, deep=True)
    assert report.exit_code == 4
    assert report.to_dict() == {"status": "error", "command": "check", "kind": "sqlite quick_check failed",
                                "error": "CheckFailed"}
    doctor = diag.doctor(path)
    assert doctor.exit_code == 4
    assert doctor.to_dict()["error"] == "sqlite quick_check failed"
    assert doctor.to_dict()["kind"] == "CheckFailed"
    assert doctor.to_dict()["status"] == "needs_attention"
    plan = diag.salvage_plan(path)
    data = plan.to_dict()
    assert plan.exit_code == 4 and data["recoverability"] == "unknown"
    assert _kinds(plan) == [("sqlite", "sqlite_quick_check", "CheckFailed")]
    assert set(data["recoverable"].values()) == {0}
    # salvage still copies what reads back, including the objects
    result = diag.salvage(path, str(tmp_path / "out.zova"))
    assert result.destination_verified, result.to_dict()
    assert result.copied["objects"] == 2 and result.copied["vectors"] == 1
    assert result.copied["user_rows"] == 2 + 1    # notes rows + the non-NULL damaged row
    assert result.skipped["user_rows"] == 1


# ---- caps and counts (§1.5) ----

def test_issue_cap_counts_everything_1_5(healthy):
    path, _ = healthy
    with zova.Database.open(path) as db:
        for i in range(15):
            fx.put_vector_sql(db, "docs", f"nan{i:02d}", [float("nan"), 1.0])
    report = diag.check(path, deep=True)
    data = report.to_dict()
    assert data["issue_count"] == 15 and len(data["issues"]) == 10 and data["issues_truncated"] is True
    assert [i["vector_id"] for i in data["issues"]] == [f"nan{i:02d}" for i in range(10)]
    doctor = diag.doctor(path, limit=0).to_dict()
    assert doctor["issues"] == [] and doctor["issue_count"] == 15 and doctor["issues_truncated"] is True
    assert diag.doctor(path, limit=100).to_dict()["issues_truncated"] is False


def test_doctor_with_issues_1_6(healthy):
    path, ids = healthy
    fx.manifest_gap(path, ids["object_a"])
    report = diag.doctor(path)
    data = report.to_dict()
    assert report.exit_code == 4 and data["status"] == "needs_attention"
    assert data["suggested_actions"] == ["restore from a recent backup if available",
                                         "run zova check --deep <file.zova>", "run zova salvage --dry-run <file.zova>",
                                         "run zova salvage <file.zova> <destination.zova>"]
    assert report.suggested_actions(path)[1] == f"run zova check --deep {path}"


def test_salvage_plan_with_issues_1_6(healthy):
    path, ids = healthy
    fx.flip_chunk_bytes(path, ids["object_a"])
    fx.bad_vector_blob(path)
    data = diag.salvage_plan(path).to_dict()
    assert data["status"] == "needs_attention" and data["recoverability"] == "partially_recoverable"
    assert data["skipped"]["objects"] == 1 and data["skipped"]["chunks"] == 1 and data["skipped"]["vectors"] == 1
    assert data["recoverable"]["objects"] == 1 and data["recoverable"]["vectors"] == 0
    assert data["recoverable"]["chunks"] == 4


# ---- salvage execution ----

def test_salvage_with_n_damaged_chunks_recovers_the_rest_1_6(tmp_path):
    """Every object whose chunks are intact, all vectors and all user rows are
    copied, and the destination passes a deep check."""
    source = str(tmp_path / "source.zova")
    with zova.Database.create(source) as db:
        db.exec("create table people(id integer primary key, name text, photo blob)")
        for i in range(500):
            fx.run(db, "insert into people(name, photo) values (?, ?)", f"person {i}", os.urandom(64))
        objects = [fx.put_object_sql(db, os.urandom(30_000 + i), 8000) for i in range(12)]
        fx.put_collection_sql(db, "emb", 4, "l2")
        for i in range(50):
            fx.put_vector_sql(db, "emb", f"v{i}", [float(i), 1.0, 2.0, 3.0])
    damaged = objects[:4]
    for object_id in damaged:
        fx.flip_chunk_bytes(source, object_id, 2)
    before = _digest(source)
    destination = str(tmp_path / "recovered.zova")
    report = diag.salvage(source, destination, limit=100)
    data = report.to_dict()
    assert _digest(source) == before
    # issue 13 item 1: the four lost objects make the salvage partial, each named
    assert report.exit_code == 4 and data["status"] == "partial" and data["destination_verified"] is True
    assert sorted(i["object_id"] for i in data["issues"] if i["kind"] == "lost_object") == \
        sorted(object_id.hex() for object_id in damaged)
    assert data["copied"]["objects"] == 8 and data["copied"]["vectors"] == 50
    assert data["copied"]["user_rows"] == 500 and data["copied"]["vector_collections"] == 1
    assert data["skipped"]["objects"] == 4
    assert diag.check(destination, deep=True).ok
    with zova.Database.open(destination) as db:
        kept = {row[0] for row in fx.run(db, "select object_id from _zova_objects")}
        assert kept == set(objects[4:])
        assert fx.run(db, "select count(*), count(distinct photo) from people") == [(500, 500)]


def test_salvage_never_overwrites_and_needs_zova_suffix_1_6(healthy, tmp_path):
    path, _ = healthy
    existing = tmp_path / "existing.zova"
    existing.write_bytes(b"keep me")
    report = diag.salvage(path, str(existing))
    assert report.exit_code == 4
    assert report.to_dict() == {"status": "error", "command": "salvage", "source_path": path,
                                "destination_path": str(existing), "error": "DestinationExists",
                                "destination_verified": False}
    assert existing.read_bytes() == b"keep me"
    report = diag.salvage(path, str(tmp_path / "out.sqlite"))
    assert report.to_dict()["error"] == "NotZovaPath"
    assert not (tmp_path / "out.sqlite").exists()


def test_salvage_copies_schema_objects_and_skips_generated_column_rows_1_6(tmp_path):
    source = str(tmp_path / "schema.zova")
    with zova.Database.create(source) as db:
        db.exec("create table a(x integer, y integer generated always as (x * 2) virtual)")
        db.exec("create table log(msg text)")
        db.exec("create trigger a_ins after insert on a begin insert into log values ('inserted'); end")
        db.exec("create index a_x on a(x)")
        db.exec("create view a_view as select x, y from a")
        db.exec("insert into a(x) values (1), (2), (3)")
    report = diag.salvage(source, str(tmp_path / "copy.zova"))
    data = report.to_dict()
    # As upstream (issue 13 item 4): a table with a generated column is created,
    # its rows are skipped, counted and named.
    assert data["status"] == "partial", data
    assert data["copied"]["user_tables"] == 2 and data["copied"]["user_rows"] == 3
    assert data["skipped"]["user_tables"] == 1 and data["skipped"]["user_rows"] == 3
    assert [(i["table"], i["rowid"]) for i in data["issues"] if i["kind"] == "lost_user_row"] == \
        [("a", 1), ("a", 2), ("a", 3)]
    assert data["copied"]["user_schema_objects"] == 3
    with zova.Database.open(str(tmp_path / "copy.zova")) as db:
        assert fx.run(db, "select x, y from a_view order by x") == []
        # the trigger was replayed after the rows, so it did not fire during the copy
        assert fx.run(db, "select count(*) from log") == [(3,)]


def test_salvage_recovers_rows_around_a_damaged_page_1_6(tmp_path):
    source = str(tmp_path / "pages.zova")
    with zova.Database.create(source) as db:
        db.exec("create table big(id integer primary key, body text)")
        db.begin()
        for i in range(3000):
            fx.run(db, "insert into big(body) values (?)", f"{i:06d}" + "x" * 300)
        db.commit()
    size = os.path.getsize(source)
    pages = size // 4096
    with open(source, "r+b") as handle:
        handle.seek((pages // 2) * 4096)
        handle.write(b"\xff" * 4096)
    report = diag.salvage(source, str(tmp_path / "rescued.zova"), limit=100)
    data = report.to_dict()
    assert data["status"] == "partial" and data["destination_verified"], data
    copied, skipped = data["copied"]["user_rows"], data["skipped"]["user_rows"]
    assert 2800 < copied < 3000 and skipped >= 1   # the damaged page hides how many rows it held
    with zova.Database.open(str(tmp_path / "rescued.zova")) as db:
        ids = [row[0] for row in fx.run(db, "select id from big order by id")]
    assert ids[0] == 1 and ids[-1] == 3000   # rows on both sides of the damaged page
    # each lost row is named by table and rowid (issue 13 item 1)
    lost = [(i["table"], i["rowid"]) for i in data["issues"] if i["kind"] == "lost_user_row"]
    assert all(table == "big" and rowid not in ids for table, rowid in lost)


def test_salvage_destination_failing_verification_is_removed(healthy, tmp_path, monkeypatch):
    """The issue asks for removal of a destination that fails verification."""
    path, _ = healthy
    real = diag.diagnose

    def failing(db, limit, progress=None, path=None):
        result = real(db, limit, progress, path)
        if limit == 0:
            result.add(diag.Issue("object", "object_integrity", "ObjectCorrupt"))
        return result

    monkeypatch.setattr(importlib.import_module("zova.diagnostics.salvage"), "diagnose", failing)
    destination = tmp_path / "out.zova"
    report = diag.salvage(path, str(destination))
    data = report.to_dict()
    assert report.exit_code == 4 and data["status"] == "error" and data["destination_verified"] is False
    assert data["destination_removed"] is True
    assert not destination.exists()
    assert data["suggested_actions"] == ["restore from a recent backup if available",
                                         "inspect the source with zova doctor before trying salvage again"]


# ---- the C fast path of the deep check, and files written by the real object API ----

def test_fast_path_accepts_every_healthy_shape_1_6(tmp_path):
    """The C fast path (chunk and object SHA-256 interleaved) must accept healthy
    objects of any size and chunk alignment; if it wrongly rejected one, the
    Python walk would still pass it, so this checks the fast path itself."""
    import random

    rng = random.Random(5)
    path = str(tmp_path / "shapes.zova")
    ids = []
    with zova.Database.create(path) as db:
        ids.append(db.put_object(b"").bytes)
        for size in [1, 63, 64, 65, 127, 128, 129, 2047, 2049, 8192, 65536, 65537, 200_001]:
            ids.append(db.put_object(os.urandom(size)).bytes)
        for _ in range(12):   # odd chunk boundaries written as rows
            ids.append(fx.put_object_sql(db, os.urandom(rng.randrange(130, 150_000)), rng.randrange(65, 65536)))
        with db.object_writer() as writer:
            for _ in range(10):
                writer.write(os.urandom(rng.randrange(1, 40_000)))
            ids.append(writer.finish().bytes)
    with zova.Database.open(path) as db:
        ok, counts = diag._fast_check(db, ids)
        assert all(ok), [i for i, flag in enumerate(ok) if not flag]
        assert sum(counts) == fx.run(db, "select count(*) from _zova_object_chunks")[0][0]
    for threads in ("1", "2", "3"):
        os.environ["ZOVA_CHECK_THREADS"] = threads
        try:
            report = diag.check(path, deep=True)
        finally:
            del os.environ["ZOVA_CHECK_THREADS"]
        assert report.ok and report.diagnostics.checked["objects"] == len(ids)


def test_fast_path_rejects_each_object_damage_1_6(tmp_path):
    path = str(tmp_path / "damage.zova")
    with zova.Database.create(path) as db:
        objects = [db.put_object(os.urandom(150_000 + i)).bytes for i in range(6)]
    fx.flip_chunk_bytes(path, objects[0], 1)
    fx.delete_chunk_row(path, objects[1], 0)
    fx.manifest_gap(path, objects[2], 1)
    with zova.Database.open(path) as db:
        # the manifest points at another valid chunk of the same size: chunks verify, the object does not
        rows = fx.run(db, "select chunk_index, chunk_hash, size_bytes from _zova_object_chunks "
                          "where object_id = ? order by chunk_index", objects[3])
        first = rows[0]
        fx.run(db, "insert into _zova_chunks (chunk_hash, size_bytes, data) values (?, ?, ?)",
               *(lambda data: (fx.sha(data), len(data), data))(os.urandom(first[2])))
        other = fx.run(db, "select chunk_hash from _zova_chunks where size_bytes = ? and chunk_hash != ? "
                           "and chunk_hash not in (select chunk_hash from _zova_object_chunks)", first[2], first[1])
        fx.run(db, "update _zova_object_chunks set chunk_hash = ? where object_id = ? and chunk_index = 0",
               other[0][0], objects[3])
        fx.run(db, "update _zova_objects set size_bytes = size_bytes + 1 where object_id = ?", objects[4])
        ok, _ = diag._fast_check(db, objects)
    assert ok == [False, False, False, False, False, True]
    kinds = _kinds(diag.check(path, deep=True))
    assert ("object", "object_integrity", "ObjectCorrupt") in kinds    # the swapped reference
    assert diag.check(path, deep=True).to_dict()["issue_counts"]["object"] == 5


def test_salvaged_objects_read_back_through_the_object_api_1_6(tmp_path):
    source = str(tmp_path / "api.zova")
    payloads = [os.urandom(50_000 + 1000 * i) for i in range(6)]
    with zova.Database.create(source) as db:
        ids = [db.put_object(data) for data in payloads]
    fx.flip_chunk_bytes(source, ids[2].bytes, 0)
    destination = str(tmp_path / "api-out.zova")
    report = diag.salvage(source, destination)
    assert report.status == "partial" and report.copied["objects"] == 5
    assert [i.object_id for i in report.diagnostics.issues if i.kind == "lost_object"] == [ids[2].hex()]
    with zova.Database.open(destination) as db:
        for object_id, data in zip(ids, payloads):
            if object_id == ids[2]:
                assert not db.has_object(object_id)
            else:
                assert db.get_object(object_id) == data


def test_vectors_written_by_the_api_check_and_salvage_1_6(tmp_path):
    """Vectors stored through the vector API: the walk agrees with vector_get,
    and a salvage keeps every valid vector, searchable in the new file."""
    import numpy as np

    source = str(tmp_path / "vectors.zova")
    rng = np.random.default_rng(3)
    with zova.Database.create(source) as db:
        for name, metric in (("cos", zova.VectorMetric.COSINE), ("l2", zova.VectorMetric.L2),
                             ("dot", zova.VectorMetric.DOT)):
            db.create_vector_collection(name, zova.VectorCollectionOptions(8, int(metric)))
            for i in range(40):
                db.put_vector(name, f"v{i:03d}", rng.standard_normal(8).tolist())
    assert diag.check(source, deep=True).diagnostics.checked["vectors"] == 120
    with zova.Database.open(source) as db:
        fx.run(db, 'update _zova_vectors set "values" = ? where collection_name = ? and vector_id = ?',
               fx.f32([float("inf")] + [0.0] * 7), "l2", "v007")
        with pytest.raises(zova.ZovaError) as excinfo:
            db.get_vector("l2", "v007")
        assert excinfo.value.status == 74
    report = diag.check(source, deep=True)
    assert [(i["collection"], i["vector_id"], i["detail"]) for i in report.to_dict()["issues"]] == \
        [("l2", "v007", "VectorCorrupt")]
    destination = str(tmp_path / "vectors-out.zova")
    result = diag.salvage(source, destination)
    assert result.status == "partial" and result.exit_code == 4
    assert result.copied["vectors"] == 119 and result.copied["vector_collections"] == 3
    assert [(i.collection, i.vector_id, i.detail) for i in result.diagnostics.issues if i.kind == "lost_vector"] \
        == [("l2", "v007", "VectorCorrupt")]
    with zova.Database.open(destination) as db:
        assert not db.has_vector("l2", "v007")
        query = db.get_vector("cos", "v005").values
        assert db.search_vectors("cos", query, 1)[0].id == "v005"
        with zova.Database.open(source, read_only=True) as old:
            assert db.get_vector("dot", "v039").values == old.get_vector("dot", "v039").values


def test_salvage_copies_fts5_tables_once_1_6(tmp_path):
    """A virtual table is replayed with its DDL and filled through it; its shadow
    tables are not copied a second time."""
    source = str(tmp_path / "fts.zova")
    with zova.Database.create(source) as db:
        db.exec("create virtual table docs using fts5(body)")
        db.exec("insert into docs values ('hello world'), ('second doc')")
    report = diag.salvage(source, str(tmp_path / "fts-out.zova"))
    assert report.ok and report.skipped["user_rows"] == 0
    with zova.Database.open(str(tmp_path / "fts-out.zova")) as db:
        assert fx.run(db, "select body from docs where docs match 'hello'") == [("hello world",)]
        assert fx.run(db, "select count(*) from docs") == [(2,)]


def test_batched_vector_checks_match_the_row_rules_1_6():
    """The numpy batch check gives, row by row, what vector_get's rules give."""
    import random
    import struct

    rng = random.Random(11)
    collections = {b"cos": (3, "cosine", "f32"), b"l2": (3, "l2", "f32"), b"bad": (3, "manhattan", "f32"),
                   b"_zova_x": (3, "l2", "f32")}
    values = [struct.pack("<3f", 1, 2, 3), struct.pack("<3f", 0, 0, 0), struct.pack("<3f", float("nan"), 0, 1),
              struct.pack("<3f", float("inf"), 0, 1), struct.pack("<2f", 1, 2), b"", struct.pack("<3f", 1e-30, 0, 0)]
    rows = []
    for _ in range(3000):
        rows.append((rng.choice([b"cos", b"l2", b"bad", b"_zova_x", b"ghost", b"\xff\xfe"]),
                     rng.choice([b"id", b"", b"x" * 256, b"_ZOVA_id", b"\xc3\x28", b"ok"]),
                     rng.choice([3, 2, 4]), rng.choice(values)))
    expected = [diag._vector_error(c, v, d, b, collections) for c, v, d, b in rows]
    assert diag._vector_batch_errors(rows, collections, {}) == expected
    assert set(expected) == {None, "VectorInvalid", "VectorCollectionNotFound", "NotZovaDatabase", "VectorCorrupt"}


def test_salvage_keeps_text_with_nul_bytes_and_value_types_1_6(tmp_path):
    source = str(tmp_path / "types.zova")
    with zova.Database.create(source) as db:
        db.exec("create table v(a, b, c, d, e)")
        db.exec("insert into v values ('a' || char(0) || 'b', x'00ff', 1.5, 7, null)")
        db.exec("insert into v values ('', x'', -0.0, 9223372036854775807, 'text')")
    report = diag.salvage(source, str(tmp_path / "types-out.zova"))
    assert report.ok and report.copied["user_rows"] == 2 and report.skipped["user_rows"] == 0
    query = "select typeof(a), hex(a), typeof(b), hex(b), c, d, e from v order by rowid"
    with zova.Database.open(source) as old, zova.Database.open(str(tmp_path / "types-out.zova")) as new:
        assert fx.run(new, query) == fx.run(old, query)
        assert fx.run(new, query)[0][:2] == ("text", "610062")


def test_salvage_keeps_text_that_is_not_utf8_1_6(tmp_path):
    source = str(tmp_path / "latin1.zova")
    with zova.Database.create(source) as db:
        db.exec("create table names(n text)")
        db.exec("insert into names values (cast(x'43616661e9' as text)), ('plain')")
    report = diag.salvage(source, str(tmp_path / "latin1-out.zova"))
    assert report.ok and report.copied["user_rows"] == 2 and report.skipped["user_rows"] == 0
    with zova.Database.open(str(tmp_path / "latin1-out.zova")) as db:
        assert fx.run(db, "select typeof(n), hex(n) from names order by rowid") == [
            ("text", "43616661E9"), ("text", "706C61696E")]


def test_deep_check_runs_integrity_check_issue_5(healthy):
    """The issue asks the deep check for SQLite's integrity_check: an index whose
    contents do not match its table passes quick_check but fails --deep."""
    path, _ = healthy
    connection = sqlite3.connect(path)
    connection.execute("pragma writable_schema=on")
    connection.execute("update sqlite_master set sql = 'CREATE INDEX notes_body ON notes(payload)' "
                       "where name = 'notes_body'")
    connection.commit()
    connection.close()
    assert diag.check(path).ok                      # quick_check does not look at index contents
    report = diag.check(path, deep=True)
    assert report.exit_code == 4
    assert report.to_dict() == {"status": "error", "command": "check", "kind": "sqlite integrity_check failed",
                                "error": "CheckFailed"}
