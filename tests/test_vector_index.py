"""Approximate vector search (issue 17; docs/c-api.md §4.17, docs/file-format.md §5,
docs/python.md §2.4): the HNSW index persisted in the file, maintained in the
same transaction as Zova's vector writes, never stale for writers that know
nothing of it (stdlib sqlite3 here), exact distances and tie order, filters,
rollback, SIGKILL, threads, and the format rules of docs/file-format.md §1-2.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import zova
import zova.diagnostics
from zova._native import ffi, lib

DIMS = 32


def clustered(n: int, dims: int = DIMS, *, n_queries: int = 0, seed: int = 0):
    """Deterministic embedding-like data: points in 8 latent dimensions around
    uneven clusters, mapped linearly into `dims`, plus a little noise (uniform
    Gaussian vectors have no structure; real embeddings do)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((60, 8))
    weights = 1.0 / np.arange(1, 61) ** 0.7
    weights /= weights.sum()
    mixing = rng.standard_normal((8, dims)) / np.sqrt(8)

    def draw(count):
        labels = rng.choice(60, size=count, p=weights)
        latent = centres[labels] + 0.45 * rng.standard_normal((count, 8))
        return (latent @ mixing + 0.03 * rng.standard_normal((count, dims))).astype(np.float32)

    return draw(n), draw(n_queries)


def ids_of(n: int, prefix: str = "v") -> list[str]:
    return [f"{prefix}{i:06d}" for i in range(n)]


def indexed(db, n: int, *, metric: int = 0, seed: int = 0, name: str = "c"):
    base, _ = clustered(n, seed=seed)
    db.create_vector_collection(name, zova.VectorCollectionOptions(DIMS, metric))
    db.put_vectors(name, ids_of(n), base)
    db.create_vector_index(name)
    return base


def index_rows(path: str, collection: str = "c") -> dict[str, int]:
    """vector id -> node number of the persisted graph, read with stdlib sqlite3."""
    with sqlite3.connect(path) as con:
        return dict(con.execute("select vector_id, node from _zova_vector_index_nodes where collection_name = ?",
                                (collection,)))


def vector_ids(path: str, collection: str = "c") -> set[str]:
    with sqlite3.connect(path) as con:
        return {r[0] for r in con.execute("select vector_id from _zova_vectors where collection_name = ?",
                                          (collection,))}


def assert_in_step(path: str, collection: str = "c") -> None:
    """The persisted graph covers exactly the stored vectors (nothing pending)."""
    rows = index_rows(path, collection)
    assert set(rows) == vector_ids(path, collection)
    assert len(set(rows.values())) == len(rows)
    with sqlite3.connect(path) as con:
        assert con.execute("select count(*) from _zova_vector_index_log").fetchone()[0] == 0


def exact_ids(db, query, k, collection="c"):
    return [r.id for r in db.search_vectors(collection, query, k)]


# ---- search quality and results ----

def test_recall_at_default_ef_on_clustered_data(db):
    base = indexed(db, 4000)
    _, queries = clustered(4000, n_queries=100, seed=0)
    found = 0
    for q in queries:
        approx = {r.id for r in db.search_vectors_approx("c", q, 10)}
        found += len(approx & set(exact_ids(db, q, 10)))
    assert found / (10 * len(queries)) >= 0.95
    assert db.vector_index_info("c").default_ef == zova.DEFAULT_EF == 64
    assert base.shape == (4000, DIMS)


@pytest.mark.parametrize("metric", [0, 1, 2])
def test_exact_distances_and_order(db, metric):
    indexed(db, 600, metric=metric)
    _, queries = clustered(600, n_queries=10, seed=3)
    for q in queries:
        exact = db.search_vectors("c", q, 600)
        by_id = {r.id: r.distance for r in exact}
        approx = db.search_vectors_approx("c", q, 20, ef=600)
        assert [r.id for r in approx] == [r.id for r in exact[:20]]
        for r in approx:
            assert r.distance == by_id[r.id]  # bit-identical doubles
        ids, distances = db.search_vectors_approx("c", q, 20, ef=600, as_arrays=True)
        assert list(ids) == [r.id for r in approx] and distances.dtype == np.float64


def test_ties_are_ordered_by_id_as_exact_search_orders_them(db):
    db.create_vector_collection("c", zova.VectorCollectionOptions(4, 1))
    same = [1.0, 2.0, 3.0, 4.0]
    db.put_vectors("c", ["t9", "t10", "t1", "ta", "tB"], np.array([same] * 5, dtype=np.float32))
    db.put_vectors("c", ids_of(50, "far"), np.full((50, 4), 100.0, dtype=np.float32) + np.arange(50)[:, None])
    db.create_vector_index("c")
    approx = db.search_vectors_approx("c", same, 5)
    assert [r.id for r in approx] == ["t1", "t10", "t9", "tB", "ta"] == exact_ids(db, same, 5)
    assert all(r.distance == 0.0 for r in approx)


def test_filters_candidates_max_distance_and_source(db):
    indexed(db, 800)
    _, queries = clustered(800, n_queries=3, seed=5)
    q = queries[0]
    candidates = ids_of(800)[::7] + ["missing"]
    assert [(r.id, r.distance) for r in db.search_vectors_approx("c", q, 10, candidate_ids=candidates)] == \
        [(r.id, r.distance) for r in db.search_vectors_in("c", q, candidates, 10)]
    exact = db.search_vectors("c", q, 50)
    limit = exact[9].distance
    within = db.search_vectors_approx("c", q, 50, ef=800, max_distance=limit)
    assert [r.id for r in within] == [r.id for r in exact[:10]] and all(r.distance <= limit for r in within)
    by_id = db.search_vectors_approx_by_id("c", "v000042", 5, ef=800)
    assert "v000042" not in [r.id for r in by_id]
    assert [r.id for r in by_id] == [r.id for r in db.search_vectors_by_id("c", "v000042", 5)]
    assert db.search_vectors_approx("c", q, 0) == []


# ---- maintenance by Zova's writes, persistence ----

def test_writes_keep_the_index_in_step_and_it_persists(path):
    with zova.Database.create(path) as db:
        indexed(db, 500)
        extra, _ = clustered(50, seed=9)
        db.put_vector("c", "new1", extra[0])
        db.put_vectors("c", ids_of(40, "n"), extra[1:41])
        db.put_vectors("c", ids_of(5), extra[41:46])          # replace five
        db.delete_vector("c", "v000100")
        assert db.search_vectors_approx("c", extra[0], 1)[0].id == "new1"
        assert db.search_vectors_approx("c", extra[42], 1)[0].id == "v000001"
        info = db.vector_index_info("c")
        assert info.vector_count == 540 and info.pending_changes == 0 and info.disk_bytes > 0
        assert info.memory_bytes > 540 * DIMS * 4
    assert_in_step(path)
    with zova.Database.open(path) as db:
        assert db.vector_index_info("c").memory_bytes == 0     # nothing loaded yet
        assert db.search_vectors_approx("c", extra[0], 1)[0].id == "new1"
        assert "v000100" not in {r.id for r in db.search_vectors_approx("c", extra[0], 100, ef=600)}
        db.delete_vector_collection("c")
        assert not db.has_vector_collection("c")
    with sqlite3.connect(path) as con:   # the last index took its tables and triggers with it
        names = {r[0] for r in con.execute("select name from sqlite_schema where name like '_zova_vector_index%'")}
        assert names == set()


def test_drop_restores_upstream_schema_and_rebuild(path):
    with zova.Database.create(path) as db:
        db.create_vector_collection("other", zova.VectorCollectionOptions(DIMS, 0))
    with sqlite3.connect(path) as con:
        before = sorted(con.execute("select type, name, sql from sqlite_schema"))
    with zova.Database.open(path) as db:
        indexed(db, 200)
        db.create_vector_index("other")
        db.drop_vector_index("other")
        db.rebuild_vector_index("c")
        assert db.vector_index_info("other") is None
        assert db.vector_index_info("c").vector_count == 200
        db.drop_vector_index("c")
        db.delete_vector_collection("c")
    with sqlite3.connect(path) as con:
        assert sorted(con.execute("select type, name, sql from sqlite_schema")) == before


def test_rollback_leaves_index_and_vectors_in_step(path):
    with zova.Database.create(path) as db:
        indexed(db, 300)
        extra, _ = clustered(20, seed=11)
        db.begin()
        db.put_vectors("c", ids_of(20, "tx"), extra)
        db.delete_vector("c", "v000003")
        assert db.search_vectors_approx("c", extra[0], 1)[0].id == "tx000000"
        db.rollback()
        hits = {r.id for r in db.search_vectors_approx("c", extra[0], 300, ef=400)}
        assert not any(h.startswith("tx") for h in hits) and "v000003" in hits
        db.begin()
        db.put_vector("c", "kept", extra[1])
        db.commit()
        assert db.search_vectors_approx("c", extra[1], 1)[0].id == "kept"
    assert_in_step(path)


# ---- writers that know nothing of the index ----

def test_stdlib_sqlite3_writer_is_seen_by_the_next_search(path):
    db = zova.Database.create(path)
    indexed(db, 400)
    extra, _ = clustered(3, seed=13)
    assert db.search_vectors_approx("c", extra[0], 1)  # graph loaded in this handle
    with sqlite3.connect(path) as con:   # the format allows these writes (docs/file-format.md §2)
        con.execute("insert into _zova_vectors values ('c', 'foreign', ?, ?)", (DIMS, extra[0].tobytes()))
        con.execute("insert or replace into _zova_vectors values ('c', 'v000007', ?, ?)", (DIMS, extra[1].tobytes()))
        con.execute("update _zova_vectors set \"values\" = ? where collection_name = 'c' and vector_id = 'v000008'",
                    (extra[2].tobytes(),))
        con.execute("delete from _zova_vectors where collection_name = 'c' and vector_id = 'v000009'")
    for handle in (db, zova.Database.open(path, read_only=True)):
        assert handle.search_vectors_approx("c", extra[0], 1)[0].id == "foreign"
        top = handle.search_vectors_approx("c", extra[1], 1)[0]
        assert top.id == "v000007" and top.distance == handle.search_vectors("c", extra[1], 1)[0].distance
        assert handle.search_vectors_approx("c", extra[2], 1)[0].id == "v000008"
        every = {r.id for r in handle.search_vectors_approx("c", extra[0], 500, ef=1000)}
        assert "v000009" not in every and len(every) == 400
        assert handle.vector_index_info("c").pending_changes > 0
    db.put_vector("c", "zova", extra[0] + 1)   # the next Zova write folds the log in
    assert db.vector_index_info("c").pending_changes == 0
    db.close()
    assert_in_step(path)


def test_writes_without_the_triggers_are_reported_not_served(path):
    with zova.Database.create(path) as db:
        indexed(db, 100)
    with sqlite3.connect(path) as con:
        con.execute("drop trigger _zova_vector_index_on_delete")
        con.execute("delete from _zova_vectors where vector_id = 'v000001'")
    with zova.Database.open(path) as db:
        with pytest.raises(zova.CorruptError, match="rebuild"):
            db.search_vectors_approx("c", np.ones(DIMS), 3)
        db.rebuild_vector_index("c")  # the repair, triggers included
        assert len(db.search_vectors_approx("c", np.ones(DIMS), 200, ef=500)) == 99
    with sqlite3.connect(path) as con:
        con.execute("delete from _zova_vectors where vector_id = 'v000002'")
    with zova.Database.open(path) as db:
        assert len(db.search_vectors_approx("c", np.ones(DIMS), 200, ef=500)) == 98


# ---- the file format ----

def test_file_still_follows_the_upstream_rules(path):
    with zova.Database.create(path) as db:
        indexed(db, 50)
    with sqlite3.connect(path) as con:
        tables = dict(con.execute("select name, sql from sqlite_schema where type = 'table'"))
        triggers = dict(con.execute("select name, tbl_name from sqlite_schema where type = 'trigger'"))
        meta = sorted(con.execute("select key, value from _zova_meta"))
    # the five data tables and _zova_meta are untouched; the extras are _zova_* tables and triggers
    assert meta == [("format_version", "3"), ("magic", "zova")]
    assert {"_zova_vector_indexes", "_zova_vector_index_nodes", "_zova_vector_index_log"} <= set(tables)
    assert triggers == {f"_zova_vector_index_on_{op}": "_zova_vectors" for op in ("insert", "update", "delete")}
    with zova.Database.open(path, read_only=True) as db:
        assert db.vector_collection_info("c").vector_count == 50
        assert db.search_vectors_approx("c", np.ones(DIMS), 3)
    report = zova.diagnostics.check(path, deep=True)
    assert report.ok, report.to_dict()


def test_private_table_rules_cover_the_index_tables(db):
    indexed(db, 20)
    for sql in ("drop table _zova_vector_index_nodes", "alter table _zova_vector_index_log add column x",
                "create table _zova_vector_index_extra (x)",
                "create trigger t after delete on _zova_vector_index_log begin select 1; end"):
        with pytest.raises(zova.SQLiteError, match="_zova_"):
            db.exec(sql)


def test_a_planted_trigger_with_the_index_name_but_other_text_is_foreign(path):
    with zova.Database.create(path) as db:
        indexed(db, 20)
    with sqlite3.connect(path) as con:
        con.execute("drop trigger _zova_vector_index_on_insert")
        con.execute("create trigger _zova_vector_index_on_insert after insert on _zova_vectors begin "
                    "delete from _zova_vectors; end")
    with zova.Database.open(path) as db:
        with pytest.raises(zova.CorruptError, match="did not create"):
            db.put_vector("c", "x", np.ones(DIMS))


# ---- bad inputs ----

def test_bad_inputs_give_clear_errors(db):
    db.create_vector_collection("plain", zova.VectorCollectionOptions(DIMS, 0))
    indexed(db, 30)
    with pytest.raises(zova.NotFoundError):
        db.create_vector_index("missing")
    with pytest.raises(zova.NotFoundError):
        db.search_vectors_approx("missing", np.ones(DIMS), 3)
    with pytest.raises(zova.InvalidArgumentError, match="has no index"):
        db.search_vectors_approx("plain", np.ones(DIMS), 3)
    with pytest.raises(zova.InvalidArgumentError, match="has no index"):
        db.drop_vector_index("plain")
    with pytest.raises(zova.InvalidArgumentError, match="already has an index"):
        db.create_vector_index("c")
    with pytest.raises(zova.InvalidArgumentError, match="m must be"):
        db.create_vector_index("plain", m=1)
    with pytest.raises(zova.InvalidArgumentError, match="ef_construction"):
        db.create_vector_index("plain", ef_construction=5000)
    for ef in (0, 5000):
        with pytest.raises(ValueError, match="ef must be"):
            db.search_vectors_approx("c", np.ones(DIMS), 3, ef=ef)
    with pytest.raises(zova.VectorError):
        db.search_vectors_approx("c", np.ones(DIMS + 1), 3)
    with pytest.raises(zova.NotFoundError):
        db.search_vectors_approx_by_id("c", "nope", 3)
    assert db.vector_index_info("plain") is None
    # the C ABI refuses ef above the maximum too
    q = np.ones(DIMS, dtype=np.float32)
    out = ffi.new("zova_vector_search_results *")
    name = ffi.new("char[]", b"c")
    request = ffi.new("zova_vector_index_search_request *")
    request.db = db._handle()
    request.collection_name = name
    request.query = ffi.from_buffer("float[]", q)
    request.query_len = DIMS
    request.limit = 3
    request.ef = lib.ZOVA_VECTOR_INDEX_MAX_EF + 1
    request.out_results = out
    assert lib.zova_vector_index_search(request) == lib.ZOVA_INVALID_ARGUMENT
    request.ef = 0
    request.flags = 4
    assert lib.zova_vector_index_search(request) == lib.ZOVA_INVALID_ARGUMENT
    request.flags = 0
    assert lib.zova_vector_index_search(request) == lib.ZOVA_OK and out.len == 3
    lib.zova_vector_search_results_free(out)


# ---- threads ----

def test_search_while_another_thread_writes_then_closes(path):
    db = zova.Database.create(path)
    indexed(db, 300)
    extra, queries = clustered(200, n_queries=5, seed=17)
    errors: list[BaseException] = []
    stop = threading.Event()

    def searcher():
        while not stop.is_set():
            try:
                for q in queries:
                    hits = db.search_vectors_approx("c", q, 5)
                    assert len(hits) == 5
            except zova.ClosedHandleError:
                return
            except BaseException as e:  # noqa: BLE001
                errors.append(e)
                return

    threads = [threading.Thread(target=searcher) for _ in range(2)]
    for t in threads:
        t.start()
    for i in range(0, 200, 20):
        db.put_vectors("c", ids_of(20, f"w{i}-"), extra[i:i + 20])
        db.delete_vector("c", f"v{i:06d}")
    db.close()
    stop.set()
    for t in threads:
        t.join()
    assert not errors
    assert_in_step(path)


# ---- SIGKILL mid-transaction ----

CHILD = textwrap.dedent("""
    import sys, numpy as np, zova
    path, seed = sys.argv[1], int(sys.argv[2])
    rng = np.random.default_rng(seed)
    db = zova.Database.open(path)
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        batch = rng.standard_normal((30, 32)).astype(np.float32)
        batch[:, 0] += 1.0
        db.begin()
        db.put_vectors("c", [f"k{seed}-{n}-{i}" for i in range(30)], batch)
        db.delete_vector("c", sorted(db.search_vectors_approx("c", batch[0], 40, ef=64), key=lambda r: r.id)[-1].id)
        db.commit()
        db.put_vector("c", f"one{seed}-{n}", batch[1])
""")


def test_sigkill_mid_transaction_leaves_index_and_vectors_in_step(path, tmp_path):
    with zova.Database.create(path) as db:
        indexed(db, 300)
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    rng = np.random.default_rng(23)
    for kill in range(6):
        child = subprocess.Popen([sys.executable, str(script), path, str(kill)], stdout=subprocess.PIPE,
                                 env=dict(os.environ))
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(float(rng.uniform(0.05, 0.6)))
        child.send_signal(signal.SIGKILL)
        child.wait()
        with zova.Database.open(path) as db:   # recovery, then the graph must match the vectors
            q = np.ones(DIMS, dtype=np.float32)
            everything = db.search_vectors_approx("c", q, 100_000, ef=4096)
            assert len(everything) == db.vector_collection_info("c").vector_count
        assert_in_step(path)


# ---- check --deep, doctor, salvage, compact, CLI ----

def test_deep_check_reports_a_stale_index_and_doctor_suggests_rebuilding(path):
    with zova.Database.create(path) as db:
        indexed(db, 60)
    assert zova.diagnostics.check(path, deep=True).ok
    with sqlite3.connect(path) as con:   # a graph row lost, and a damaged one
        con.execute("delete from _zova_vector_index_nodes where vector_id = 'v000005'")
    report = zova.diagnostics.check(path, deep=True)
    kinds = {issue.kind for issue in report.diagnostics.issues}
    # the graph misses a vector, and lists still name its node
    assert not report.ok and kinds == {"vector_index_stale", "vector_index_damaged"}
    assert all("repairable: zova index rebuild" in issue.detail for issue in report.diagnostics.issues)
    doctor = zova.diagnostics.doctor(path)
    assert doctor.suggested_actions(path)[0] == f"run: zova index rebuild {path} c"
    with sqlite3.connect(path) as con:
        con.execute("update _zova_vector_index_nodes set links = x'0100' where vector_id = 'v000006'")
    assert "vector_index_damaged" in {i.kind for i in zova.diagnostics.check(path, deep=True).diagnostics.issues}
    with zova.Database.open(path) as db:
        with pytest.raises(zova.CorruptError, match="rebuild"):
            db.search_vectors_approx("c", np.ones(DIMS), 3)
        db.rebuild_vector_index("c")
    assert zova.diagnostics.check(path, deep=True).ok
    with sqlite3.connect(path) as con:   # writes by other programs waiting in the log are not stale
        con.execute("delete from _zova_vectors where vector_id = 'v000007'")
    assert zova.diagnostics.check(path, deep=True).ok


def test_salvage_rebuilds_and_compact_keeps_the_index(path, tmp_path):
    with zova.Database.create(path) as db:
        indexed(db, 80)
        db.create_vector_collection("plain", zova.VectorCollectionOptions(DIMS, 1))
    rescued, compacted = str(tmp_path / "rescued.zova"), str(tmp_path / "compact.zova")
    assert zova.diagnostics.salvage(path, rescued).destination_verified
    with zova.Database.open(path) as db:
        db.compact_to(compacted)
    for copy in (rescued, compacted):
        with zova.Database.open(copy) as db:
            assert db.vector_index_info("c").vector_count == 80
            assert db.vector_index_info("plain") is None
            assert db.search_vectors_approx("c", np.ones(DIMS), 1)
        assert_in_step(copy)


def test_cli_index_commands(path):
    import json

    with zova.Database.create(path) as db:
        db.create_vector_collection("c", zova.VectorCollectionOptions(DIMS, 0))
        db.put_vectors("c", ids_of(40), clustered(40)[0])

    def run(*args):
        return subprocess.run([sys.executable, "-m", "zova.cli", "index", *args], capture_output=True, text=True)

    created = run("--json", "create", path, "c")
    assert created.returncode == 0, created.stderr
    doc = json.loads(created.stdout)
    assert doc["exists"] and doc["kind"] == "hnsw" and doc["vector_count"] == 40 and doc["m"] == 16
    assert run("info", path, "c").stdout.splitlines()[3] == "exists: true"
    assert run("rebuild", path, "c").returncode == 0
    assert run("drop", path, "c").returncode == 0
    assert json.loads(run("--json", "info", path, "c").stdout)["exists"] is False
    missing = run("drop", path, "c")
    assert missing.returncode == 4 and "has no index" in missing.stderr
    assert run("info", path, "nope").returncode == 4
    assert run("bogus", path, "c").returncode == 2
    assert run("create", path).returncode == 2
    assert "create|drop|rebuild|info" in run("--help").stdout
