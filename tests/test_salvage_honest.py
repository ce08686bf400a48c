"""Salvage never hides a loss and copies as upstream does (issue 13 items 1 and
4): whatever the source lists and the destination lacks is counted and named,
and the run ends ``partial`` with exit 4; objects are re-put (FastCDC-v1
chunks whatever their stored layout); rows of a table with a generated column
are skipped and counted. Driven through the installed ``zova`` where the
issue describes a command."""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

import zova
from zova_fixtures import installed_zova
from zova import diagnostics


ZOVA = installed_zova()


def salvage_json(source: str, destination: str, *extra: str) -> tuple[int, dict]:
    result = subprocess.run([ZOVA, "salvage", "--json", "--limit", "100", *extra, source, destination],
                            capture_output=True, timeout=600)
    return result.returncode, json.loads(result.stdout or result.stderr)


def test_an_object_damaged_inside_its_pages_is_named_and_the_run_is_partial_issue13_1(tmp_path):
    """The issue's case: 21 objects, 8 KiB overwritten inside the one 5 MB
    object. The old salvage said status ok, copied 20, skipped 0."""
    source = str(tmp_path / "s21.zova")
    with zova.Database.create(source) as db:
        small = [db.put_object(os.urandom(50_000)) for _ in range(20)]
        big = db.put_object(os.urandom(5_000_000))
    size = os.path.getsize(source)
    with open(source, "r+b") as handle:
        handle.seek(size // 2)
        handle.write(b"\xaa" * 8192)
    with zova.Database.open(source, read_only=True) as db:
        with pytest.raises(zova.ZovaError):
            db.get_object(big)
    destination = str(tmp_path / "out.zova")
    code, report = salvage_json(source, destination)
    assert code == 4 and report["status"] == "partial", report
    assert report["destination_verified"] is True and os.path.exists(destination)
    assert report["copied"]["objects"] == 20 and report["skipped"]["objects"] == 1
    lost = [issue for issue in report["issues"] if issue["kind"] == "lost_object"]
    assert [issue["object_id"] for issue in lost] == [big.hex()]
    with zova.Database.open(destination) as copy:
        assert all(copy.has_object(object_id) for object_id in small)
    text = subprocess.run([ZOVA, "salvage", source, str(tmp_path / "out-text.zova")], capture_output=True)
    assert text.returncode == 4
    assert b"status: partial" in text.stderr and big.hex().encode() in text.stderr


def test_a_healthy_salvage_is_still_ok_issue13_1(tmp_path):
    source = str(tmp_path / "healthy.zova")
    with zova.Database.create(source) as db:
        db.exec("create table t (a text)")
        db.exec("insert into t values ('x'), ('y')")
        db.put_object(b"hello" * 1000)
        db.create_vector_collection("c", zova.VectorCollectionOptions(2, zova.VectorMetric.L2))
        db.put_vector("c", "v", [1.0, 2.0])
    code, report = salvage_json(source, str(tmp_path / "out.zova"))
    assert code == 0 and report["status"] == "ok" and report["issue_count"] == 0, report
    assert not any(report["skipped"].values())


def test_rows_the_destination_refuses_are_named_by_rowid_issue13_1(tmp_path):
    """Rows that break their table's CHECK (written with the checks off) read
    back from the source but the destination refuses them."""
    source = str(tmp_path / "rows.zova")
    with zova.Database.create(source) as db:
        db.exec("create table scores (name text, score integer check (score >= 0))")
        db.exec("insert into scores values ('a', 1), ('b', 2), ('c', 3)")
    raw = sqlite3.connect(source)
    raw.execute("pragma ignore_check_constraints = 1")
    raw.execute("insert into scores values ('bad', -5)")
    raw.execute("insert into scores values ('worse', -6)")
    raw.commit()
    raw.close()
    report = diagnostics.salvage(source, str(tmp_path / "out.zova"), limit=100)
    assert report.status == "partial" and report.exit_code == 4
    assert report.copied["user_rows"] == 3 and report.skipped["user_rows"] == 2
    lost = [(i.table, i.rowid, i.detail) for i in report.diagnostics.issues if i.kind == "lost_user_row"]
    assert lost == [("scores", 4, "NotCopied"), ("scores", 5, "NotCopied")]
    text = subprocess.run([ZOVA, "salvage", source, str(tmp_path / "out-text.zova")], capture_output=True)
    assert b"kind=lost_user_row severity=error detail=NotCopied table=scores rowid=4\n" in text.stderr
    with zova.Database.open(str(tmp_path / "out.zova")) as copy:
        with copy.prepare("select rowid, name from scores order by rowid") as rows:
            assert rows.fetchall() == [(1, "a"), (2, "b"), (3, "c")]   # rowids kept


def test_salvage_rechunks_objects_as_upstream_issue13_4(tmp_path):
    """An object assembled from caller-chosen chunks comes out in FastCDC-v1 chunks."""
    data = os.urandom(300_000)
    pieces = [data[i:i + 1000] for i in range(0, len(data), 1000)]
    source = str(tmp_path / "assembled.zova")
    with zova.Database.create(source) as db:
        hashes = [zova.ObjectChunkId(hashlib.sha256(piece).digest()) for piece in pieces]
        for chunk_hash, piece in zip(hashes, pieces):
            db.put_object_chunk(chunk_hash, piece)
        object_id = zova.ObjectId(hashlib.sha256(data).digest())
        db.assemble_object_from_chunks(object_id, len(data), [
            zova.ObjectManifestChunk(index, chunk_hash, index * 1000, 1000)
            for index, chunk_hash in enumerate(hashes)])
        assert db.object_chunk_count(object_id) == 300
    with zova.Database.create(str(tmp_path / "reference.zova")) as reference:
        assert reference.put_object(data) == object_id
        expected = [(c.hash, c.size_bytes) for c in reference.object_manifest(object_id).chunks]
    destination = str(tmp_path / "out.zova")
    code, report = salvage_json(source, destination)
    assert code == 0 and report["copied"]["objects"] == 1, report
    assert report["copied"]["loose_chunks"] == 0
    with zova.Database.open(destination) as copy:
        assert [(c.hash, c.size_bytes) for c in copy.object_manifest(object_id).chunks] == expected
        assert copy.get_object(object_id) == data
        assert copy.prepare("select count(*) from _zova_chunks").fetchall() == [(len(expected),)]


def test_rows_of_a_table_with_a_generated_column_are_skipped_as_upstream_issue13_4(tmp_path):
    source = str(tmp_path / "generated.zova")
    with zova.Database.create(source) as db:
        db.exec("create table a (x integer, y integer generated always as (x * 2) stored)")
        db.exec("create table b (x integer)")
        db.exec("insert into a (x) values (1), (2)")
        db.exec("insert into b values (7)")
    code, report = salvage_json(source, str(tmp_path / "out.zova"))
    assert code == 4 and report["status"] == "partial"
    assert report["skipped"]["user_rows"] == 2 and report["copied"]["user_rows"] == 1
    assert report["skipped"]["user_tables"] == 1 and report["copied"]["user_tables"] == 2
    assert [(i["table"], i["rowid"]) for i in report["issues"] if i["kind"] == "lost_user_row"] == \
        [("a", 1), ("a", 2)]


# ---- item 5: a file whose identity is damaged can be salvaged ----

IDENTITY_DAMAGE = {
    "meta_dropped": "drop table _zova_meta",
    "magic_edited": "update _zova_meta set value = 'nope' where key = 'magic'",
    "vectors_dropped": "drop table _zova_vectors",
    "objects_altered": "alter table _zova_objects add column extra integer",
}


@pytest.mark.parametrize("damage", sorted(IDENTITY_DAMAGE))
def test_a_file_with_damaged_identity_is_salvaged_issue13_5(tmp_path, damage):
    source = str(tmp_path / "identity.zova")
    payload = os.urandom(200_000)
    with zova.Database.create(source) as db:
        db.exec("create table docs (title text)")
        db.exec("insert into docs values ('kept'), ('also kept')")
        object_id = db.put_object(payload)
        db.create_vector_collection("c", zova.VectorCollectionOptions(2, zova.VectorMetric.L2))
        db.put_vector("c", "v", [1.0, 2.0])
    raw = sqlite3.connect(source)
    raw.execute(IDENTITY_DAMAGE[damage])
    raw.commit()
    raw.close()
    with pytest.raises(zova.ZovaError) as opened:
        zova.Database.open(source)
    assert opened.value.status_name == "ZOVA_NOT_ZOVA_DATABASE"
    before = Path(source).read_bytes()

    doctor = subprocess.run([ZOVA, "doctor", source], capture_output=True, text=True)
    assert doctor.returncode == 4, doctor.stderr
    assert "error: identity damaged: NotZovaDatabase" in doctor.stderr
    assert f"run zova salvage --dry-run {source}" in doctor.stderr
    assert "check --deep" not in doctor.stderr   # it would stop where doctor stopped (issue 13 item 8)

    destination = str(tmp_path / "rescued.zova")
    code, report = salvage_json(source, destination)
    assert code == 0 and report["status"] == "ok", report
    assert [(i["kind"], i["detail"]) for i in report["issues"]] == [("identity_damaged", "NotZovaDatabase")]
    assert report["copied"]["objects"] == 1 and report["copied"]["user_rows"] == 2
    assert report["copied"]["vectors"] == (0 if damage == "vectors_dropped" else 1)
    assert Path(source).read_bytes() == before   # the source is never modified
    assert diagnostics.check(destination, deep=True).ok
    with zova.Database.open(destination) as copy:
        assert copy.get_object(object_id) == payload
        assert copy.prepare("select title from docs order by rowid").fetchall() == [("kept",), ("also kept",)]


def test_a_plain_sqlite_file_is_still_not_a_zova_file_issue13_5(tmp_path):
    plain = str(tmp_path / "plain.zova")
    raw = sqlite3.connect(plain)
    raw.execute("create table t (a)")
    raw.commit()
    raw.close()
    doctor = subprocess.run([ZOVA, "doctor", plain], capture_output=True, text=True)
    assert doctor.returncode == 3 and "NotZovaDatabase" in doctor.stderr
    salvage = subprocess.run([ZOVA, "salvage", plain, str(tmp_path / "out.zova")], capture_output=True, text=True)
    assert salvage.returncode == 3 and not (tmp_path / "out.zova").exists()


def test_doctor_after_a_failed_quick_check_leads_to_salvage_issue13_8(tmp_path):
    source = str(tmp_path / "quick.zova")
    with zova.Database.create(source) as db:
        db.exec("create table t (a integer check (a > 0))")
    raw = sqlite3.connect(source)
    raw.execute("pragma ignore_check_constraints = 1")
    raw.execute("insert into t values (-1)")
    raw.commit()
    raw.close()
    doctor = subprocess.run([ZOVA, "doctor", source], capture_output=True, text=True)
    assert doctor.returncode == 4 and "sqlite quick_check failed" in doctor.stderr
    assert "check --deep" not in doctor.stderr and "zova salvage --dry-run" in doctor.stderr


# ---- threads: salvage, doctor and check while another thread writes the source ----

@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_salvage_while_another_thread_writes_the_source_reports_no_false_loss_issue13_1(tmp_path, journal):
    """Salvage reads one snapshot of the source: what a writer adds meanwhile
    is neither copied nor reported lost, and the copy verifies (without the
    snapshot, objects added during the copy were reported lost). In WAL mode
    doctor and check --deep run beside the writer too; in rollback-journal
    mode readers and the writer take turns on the file lock."""
    import threading

    source = str(tmp_path / "busy.zova")
    with zova.Database.create(source) as db:
        with db.prepare(f"pragma journal_mode = {journal}") as statement:
            assert statement.fetchall() == [(journal,)]
        db.exec("create table log (n integer)")
        for start in range(0, 200, 50):
            db.put_objects([os.urandom(20_000) for _ in range(50)])
        db.create_vector_collection("c", zova.VectorCollectionOptions(4, zova.VectorMetric.COSINE))
        for i in range(200):
            db.put_vector("c", f"v{i}", [1.0, float(i), 2.0, 3.0])
    stop = threading.Event()
    written = [0]
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with zova.Database.open(source) as writer:
                writer.set_busy_timeout(60_000)   # rollback mode: it waits out each salvage
                while not stop.is_set():
                    writer.put_object(os.urandom(30_000))
                    writer.put_vector("c", f"w{written[0]}", [1.0, 1.0, 1.0, float(written[0])])
                    writer.exec(f"insert into log values ({written[0]})")
                    written[0] += 1
        except BaseException as error:   # noqa: BLE001 - reported by the main thread
            errors.append(error)

    thread = threading.Thread(target=write)
    thread.start()
    try:
        reports = []
        for round_ in range(3):
            destination = str(tmp_path / f"copy{round_}.zova")
            reports.append((diagnostics.salvage(source, destination, limit=100), destination))
            if journal == "wal":
                assert diagnostics.doctor(source).ok
                assert diagnostics.check(source, deep=True).ok
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    assert written[0] > 0
    for report, destination in reports:
        assert report.status == "ok", report.to_dict()
        assert report.copied["objects"] >= 200 and report.copied["vectors"] >= 200
        assert diagnostics.check(destination, deep=True).ok
