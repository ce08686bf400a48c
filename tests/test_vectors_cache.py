"""The search matrix cache stays correct (docs/c-api.md §4.13 results are always those of a
fresh exact scan) across writes from this handle, from other handles, from another
process, inside transactions and savepoints, and through raw SQL on the private
tables. Also: the cache holds at most 1.1x the raw float32 bytes."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import zova
from zova import VectorCollectionOptions, VectorInput


def ids_of(results):
    return [r.id for r in results]


@pytest.fixture
def filled(db):
    rng = np.random.default_rng(11)
    matrix = rng.standard_normal((500, 16)).astype(np.float32)
    db.create_vector_collection("v", VectorCollectionOptions(16, 1))
    db.put_vectors("v", [f"r{i:03d}" for i in range(500)], matrix)
    return db, matrix


def test_writes_on_this_handle_invalidate(filled):
    db, matrix = filled
    q = matrix[5] + 0.01
    assert ids_of(db.search_vectors("v", q, 1)) == ["r005"]  # builds the cache
    db.put_vector("v", "new", q)
    assert ids_of(db.search_vectors("v", q, 1)) == ["new"]
    db.delete_vector("v", "new")
    assert ids_of(db.search_vectors("v", q, 1)) == ["r005"]
    db.put_vector("v", "r005", -q)  # update in place
    assert "r005" not in ids_of(db.search_vectors("v", q, 3))
    db.put_vectors("v", [VectorInput("a", q), VectorInput("b", q + 1)])
    assert ids_of(db.search_vectors("v", q, 1)) == ["a"]
    db.delete_vector_collection("v")
    db.create_vector_collection("v", VectorCollectionOptions(2, 2))
    db.put_vector("v", "only", [1, 1])
    assert ids_of(db.search_vectors("v", [1, 0], 5)) == ["only"]


def test_transactions_and_savepoints(filled):
    db, matrix = filled
    q = matrix[9] + 0.01
    assert ids_of(db.search_vectors("v", q, 1)) == ["r009"]
    db.begin()
    db.put_vector("v", "tx", q)
    assert ids_of(db.search_vectors("v", q, 1)) == ["tx"]  # sees its own uncommitted write
    db.rollback()
    assert ids_of(db.search_vectors("v", q, 1)) == ["r009"]
    db.begin()
    db.savepoint("a")
    db.put_vector("v", "sp", q)
    assert ids_of(db.search_vectors("v", q, 1)) == ["sp"]
    db.rollback_to_savepoint("a")  # no hook fires for ROLLBACK TO
    assert ids_of(db.search_vectors("v", q, 1)) == ["r009"]
    db.release_savepoint("a")
    db.put_vector("v", "kept", q)
    db.commit()
    assert ids_of(db.search_vectors("v", q, 1)) == ["kept"]


def test_raw_sql_on_private_tables_is_seen(filled):
    db, matrix = filled
    q = matrix[1]
    assert len(db.search_vectors("v", q, 1000)) == 500
    db.exec("delete from _zova_vectors where vector_id >= 'r250'")
    assert len(db.search_vectors("v", q, 1000)) == 250
    db.exec("delete from _zova_vectors")  # the truncate optimisation skips the update hook
    assert db.search_vectors("v", q, 1000) == []


def test_raw_sql_inside_a_transaction_is_seen(filled):
    db, matrix = filled
    q = matrix[1]
    assert len(db.search_vectors("v", q, 1000)) == 500
    db.begin()
    db.exec("delete from _zova_vectors")  # truncate optimisation: no update hook unless disabled
    assert db.search_vectors("v", q, 1000) == []
    db.rollback()
    assert len(db.search_vectors("v", q, 1000)) == 500
    db.begin()
    db.exec("update _zova_vectors set \"values\" = (select \"values\" from _zova_vectors where vector_id = 'r000')"
            " where vector_id = 'r001'")
    assert db.search_vectors("v", q, 1)[0].distance > 0  # r001 changed, uncommitted
    db.rollback()
    assert len(db.search_vectors("v", q, 1000)) == 500


def test_other_handle_in_this_process(filled, path):
    db, matrix = filled
    q = matrix[3] + 0.01
    assert ids_of(db.search_vectors("v", q, 1)) == ["r003"]
    other = zova.Database.open(path)
    try:
        other.put_vector("v", "other", q)
        assert ids_of(db.search_vectors("v", q, 1)) == ["other"]
        other.delete_vector("v", "other")
        assert ids_of(db.search_vectors("v", q, 1)) == ["r003"]
    finally:
        other.close()


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_another_process_writing(filled, path, journal):
    db, matrix = filled
    db.exec(f"pragma journal_mode = {journal}")
    q = matrix[7] + 0.01
    assert ids_of(db.search_vectors("v", q, 1)) == ["r007"]
    script = (
        "import sys, zova\n"
        "db = zova.Database.open(sys.argv[1])\n"
        "db.put_vector('v', 'proc', [float(x) for x in sys.argv[2].split(',')])\n"
        "db.close()\n"
    )
    subprocess.run([sys.executable, "-c", script, path, ",".join(str(float(x)) for x in q)], check=True)
    assert ids_of(db.search_vectors("v", q, 1)) == ["proc"]
    subprocess.run([sys.executable, "-c", "import sys, zova\ndb = zova.Database.open(sys.argv[1])\n"
                    "db.delete_vector('v', 'proc')\ndb.close()\n", path], check=True)
    assert ids_of(db.search_vectors("v", q, 1)) == ["r007"]


def test_read_only_handle_sees_later_commits(filled, path):
    db, matrix = filled
    ro = zova.Database.open(path, read_only=True)
    try:
        q = matrix[2] + 0.01
        assert ids_of(ro.search_vectors("v", q, 1)) == ["r002"]
        db.put_vector("v", "w", q)
        assert ids_of(ro.search_vectors("v", q, 1)) == ["w"]
    finally:
        ro.close()


def test_cache_memory_is_at_most_1_1x_raw(db):
    rng = np.random.default_rng(2)
    matrix = rng.standard_normal((3000, 384)).astype(np.float32)
    db.create_vector_collection("big", VectorCollectionOptions(384, 0))
    db.put_vectors("big", [f"b{i}" for i in range(3000)], matrix)
    assert db.vector_cache_bytes() == 0
    db.search_vectors("big", matrix[0], 10)
    used = db.vector_cache_bytes()
    raw = matrix.nbytes
    assert raw <= used <= 1.1 * raw
    db.search_vectors("big", matrix[1], 10)
    assert db.vector_cache_bytes() == used  # reused, not duplicated
    db.put_vector("big", "b0", matrix[5])
    db.search_vectors("big", matrix[1], 10)
    assert db.vector_cache_bytes() == used  # rebuilt in place of the stale one


def test_close_with_open_transaction_after_vector_writes(path):
    """Regression: SQLite frees client data before rolling back on close; the
    vector hooks must be gone by then (use-after-free otherwise, seen by valgrind)."""
    for _ in range(3):
        db = zova.Database.create(path) if not __import__("os").path.exists(path) else zova.Database.open(path)
        if not db.has_vector_collection("t"):
            db.create_vector_collection("t", VectorCollectionOptions(2, 1))
        db.begin()
        db.put_vector("t", "x", [1, 2])
        db.search_vectors("t", [1, 2], 1)
        db.close()
    db = zova.Database.open(path)
    assert not db.has_vector("t", "x")
    db.close()


def test_stale_matrices_of_other_collections_are_released(db):
    matrix = np.ones((200, 384), np.float32)
    for name in ("one", "two"):
        db.create_vector_collection(name, VectorCollectionOptions(384, 1))
        db.put_vectors(name, [f"{name}{i}" for i in range(200)], matrix)
    for name in ("one", "two"):
        db.search_vectors(name, matrix[0], 1)
    assert db.vector_cache_bytes() >= 2 * matrix.nbytes
    db.delete_vector_collection("one")
    db.search_vectors("two", matrix[0], 1)
    assert matrix.nbytes <= db.vector_cache_bytes() <= 1.1 * matrix.nbytes


# ---- patching the cached matrix after this handle's own writes ----

def reference_top(rows: dict, q, limit):
    hits = sorted((float(np.sqrt(np.cumsum((q.astype(np.float64) - v.astype(np.float64)) ** 2)[-1])), k.encode())
                  for k, v in rows.items())
    return [(k.decode(), d) for d, k in hits[:limit]]


def test_own_small_writes_patch_instead_of_rebuilding(filled):
    db, matrix = filled
    rows = {f"r{i:03d}": matrix[i] for i in range(500)}
    rng = np.random.default_rng(21)
    q = matrix[0]
    assert [(r.id, r.distance) for r in db.search_vectors("v", q, 500)] == reference_top(rows, q, 500)
    builds = db._vector_cache_stats()["builds"]
    for step in range(60):
        action = rng.integers(0, 4)
        key = f"r{rng.integers(0, 520):03d}"
        if action == 0 or key not in rows:
            rows[key] = rng.standard_normal(16).astype(np.float32)
            db.put_vector("v", key, rows[key])
        elif action == 1:
            del rows[key]
            db.delete_vector("v", key)
        elif action == 2:
            new = {f"b{step}-{j}": rng.standard_normal(16).astype(np.float32) for j in range(3)}
            rows.update(new)
            db.put_vectors("v", list(new), np.stack(list(new.values())))
        else:
            with db.savepoint_context("s"):
                rows[key] = rng.standard_normal(16).astype(np.float32)
                db.put_vector("v", key, rows[key])
        q = rng.standard_normal(16).astype(np.float32)
        assert [(r.id, r.distance) for r in db.search_vectors("v", q, 600)] == reference_top(rows, q, 600)
    stats = db._vector_cache_stats()
    assert stats["builds"] == builds and stats["patches"] >= 60
    assert db.vector_collection_info("v").vector_count == len(rows)


def test_patch_falls_back_to_rebuild_when_needed(filled, path):
    db, matrix = filled
    q = matrix[4] + 0.01
    assert db.search_vectors("v", q, 1)[0].id == "r004"
    builds = db._vector_cache_stats()["builds"]
    # REPLACE conflict resolution deletes the old row without the update hook
    db.exec("insert or replace into _zova_vectors (collection_name, vector_id, dimensions, \"values\") "
            "select collection_name, vector_id, dimensions, \"values\" from _zova_vectors where vector_id = 'r005'")
    assert len(db.search_vectors("v", q, 1000)) == 500
    assert db._vector_cache_stats()["builds"] == builds + 1
    # a rollback (no per-row undo is logged)
    db.begin()
    db.put_vector("v", "tmp", q)
    db.rollback()
    assert db.search_vectors("v", q, 1)[0].id == "r004"
    assert db._vector_cache_stats()["builds"] == builds + 2
    # a commit by another connection
    other = zova.Database.open(path)
    other.put_vector("v", "ext", q)
    other.close()
    db.put_vector("v", "own", -q)
    assert db.search_vectors("v", q, 1)[0].id == "ext"
    assert db._vector_cache_stats()["builds"] == builds + 3
    # more changes than the log keeps
    big = np.random.default_rng(1).standard_normal((70000, 16)).astype(np.float32)
    db.put_vectors("v", [f"z{i}" for i in range(70000)], big)
    assert db.search_vectors("v", big[123], 1)[0].id == "z123"
    assert db._vector_cache_stats()["builds"] == builds + 4


def test_rowid_changes_through_sql_are_seen(filled):
    db, matrix = filled
    q = matrix[9]
    assert db.search_vectors("v", q, 1)[0].id == "r009"
    db.exec("update _zova_vectors set rowid = rowid + 100000 where vector_id in ('r009', 'r010')")
    assert [r.id for r in db.search_vectors("v", q, 2)][0] == "r009"
    db.vacuum()
    assert len(db.search_vectors("v", q, 1000)) == 500 and db.search_vectors("v", q, 1)[0].id == "r009"


def test_searches_inside_a_write_transaction_use_an_overlay(filled):
    """Uncommitted vector changes: the committed matrix is searched minus the changed
    rows, plus those rows read fresh; ROLLBACK TO, deletes, updates and re-inserts
    inside the transaction all give the reference results without a rebuild."""
    db, matrix = filled
    rows = {f"r{i:03d}": matrix[i] for i in range(500)}
    rng = np.random.default_rng(33)
    q = matrix[0]
    assert [(r.id, r.distance) for r in db.search_vectors("v", q, 500)] == reference_top(rows, q, 500)
    builds = db._vector_cache_stats()["builds"]

    def check():
        query = rng.standard_normal(16).astype(np.float32)
        assert [(r.id, r.distance) for r in db.search_vectors("v", query, 50)] == reference_top(rows, query, 50)
        assert [(r.id, r.distance) for r in db.search_vectors("v", query, 600)] == reference_top(rows, query, 600)

    db.begin()
    for step in range(30):
        key = f"r{rng.integers(0, 520):03d}"
        if step % 3 == 2 and key in rows:
            del rows[key]
            db.delete_vector("v", key)
        else:
            rows[key] = rng.standard_normal(16).astype(np.float32)
            db.put_vector("v", key, rows[key])
        check()
    saved = dict(rows)
    db.savepoint("sp")
    for key in list(rows)[:40]:
        del rows[key]
        db.delete_vector("v", key)
    rows["fresh"] = q
    db.put_vector("v", "fresh", q)
    check()
    db.rollback_to_savepoint("sp")  # no hook: the overlay re-reads the current rows
    rows = saved
    check()
    db.release_savepoint("sp")
    db.commit()
    check()
    assert db._vector_cache_stats()["builds"] == builds
    db.begin()
    db.put_vector("v", "gone", q)
    db.rollback()
    check()
    assert db._vector_cache_stats()["builds"] == builds + 1  # a rollback forces one rebuild


def test_overlay_falls_back_on_rows_deleted_without_the_hook(filled):
    db, matrix = filled
    q = matrix[6]
    assert db.search_vectors("v", q, 1)[0].id == "r006"
    db.begin()
    db.put_vector("v", "x", q + 1)
    db.exec("insert or replace into _zova_vectors (collection_name, vector_id, dimensions, \"values\") "
            "select collection_name, vector_id, dimensions, \"values\" from _zova_vectors where vector_id = 'r006'")
    assert len(db.search_vectors("v", q, 1000)) == 501
    assert db.search_vectors("v", q, 1)[0].id == "r006"
    db.rollback()
    assert len(db.search_vectors("v", q, 1000)) == 500


# ---- the fill of a new matrix (csrc/vector_cache.c): helper thread or calling thread ----

FILL_SCRIPT = """
import sys, numpy as np, zova
db = zova.Database.open(sys.argv[1])
rng = np.random.default_rng(5)
for name in sys.argv[2:]:
    q = rng.standard_normal(db.vector_collection_info(name).dimensions).astype(np.float32)
    try:
        print(name, [(r.id, r.distance.hex()) for r in db.search_vectors(name, q, 40)])
    except zova.ZovaError as error:
        print(name, "status", error.status)
"""


def fill_outputs(path, names):
    """The same searches on a fresh handle with the fill on a helper thread
    (ZOVA_VECTOR_THREADS=2), on the calling thread (=1) and with the portable kernels."""
    import os
    outputs = []
    for env in ({"ZOVA_VECTOR_THREADS": "2"}, {"ZOVA_VECTOR_THREADS": "1"},
                {"ZOVA_VECTOR_THREADS": "2", "ZOVA_VECTOR_KERNEL": "portable"}):
        done = subprocess.run([sys.executable, "-c", FILL_SCRIPT, path, *names], env=dict(os.environ, **env),
                              capture_output=True, text=True, check=True)
        outputs.append(done.stdout)
    return outputs


def test_large_fills_give_the_reference_results_on_either_thread(db, path):
    """Collections above and below the helper-thread size, dimensions with and without a
    multiple of 8, all metrics: exact distances identical to the reference sums (Appendix B)
    and bit for bit the same with the fill on either thread and with the portable kernels."""
    from test_vectors_search import ref_search
    rng = np.random.default_rng(21)
    expected = {}
    for name, n, dims, metric in (("a", 9000, 37, 0), ("b", 5000, 16, 1), ("c", 4100, 3, 2), ("d", 900, 40, 0)):
        matrix = rng.standard_normal((n, dims)).astype(np.float32)
        matrix[::97] *= np.float32(1e-20)  # tiny norms beside ordinary ones
        ids = [f"{name}{i:05d}" for i in range(n)]
        db.create_vector_collection(name, VectorCollectionOptions(dims, metric))
        db.put_vectors(name, ids, matrix)
        expected[name] = (metric, dict(zip(ids, matrix)))
    db.close()
    outputs = fill_outputs(path, list(expected))
    assert outputs[0] == outputs[1] == outputs[2]
    rng = np.random.default_rng(5)  # the queries of FILL_SCRIPT
    for line, (name, (metric, rows)) in zip(outputs[0].splitlines(), expected.items()):
        q = rng.standard_normal(len(next(iter(rows.values())))).astype(np.float32)
        want = [(vid, float(d).hex()) for vid, d in ref_search(metric, rows, q, 40)]
        assert line == f"{name} {want}"


@pytest.mark.parametrize("position", [0, 1023, 1024, 4500, 8999])
@pytest.mark.parametrize("damage", ["nan", "inf", "zeros", "short", "dimensions"])
def test_a_corrupt_row_anywhere_in_a_large_fill_is_74(db, path, position, damage):
    """docs/file-format.md §4: every stored row is checked while the matrix is filled, in the
    first chunk, at a chunk boundary, in the middle and in the last, partial chunk."""
    rng = np.random.default_rng(position)
    db.create_vector_collection("v", VectorCollectionOptions(8, 0))
    db.put_vectors("v", [f"r{i:05d}" for i in range(9000)], rng.standard_normal((9000, 8)).astype(np.float32))
    rowid = db.execute("select rowid from _zova_vectors order by rowid limit 1 offset ?", [position]).fetchone()[0]
    value = {"nan": np.float32("nan"), "inf": np.float32("-inf"), "zeros": np.float32(0)}.get(damage)
    if value is not None:
        blob = np.ones(8, np.float32) if damage != "zeros" else np.zeros(8, np.float32)
        blob[5] = value
        db.exec(f"update _zova_vectors set \"values\" = x'{blob.tobytes().hex()}' where rowid = {rowid}")
    elif damage == "short":
        db.exec("pragma ignore_check_constraints = 1")
        db.exec(f"update _zova_vectors set \"values\" = x'0000803f' where rowid = {rowid}")
    else:
        db.exec("pragma ignore_check_constraints = 1")
        db.exec(f"update _zova_vectors set dimensions = 9 where rowid = {rowid}")
    db.close()
    for output in fill_outputs(path, ["v"]):
        assert output == "v status 74\n"


def test_a_damaged_index_that_undercounts_the_rows(db, path):
    """The matrix is sized by the row count from the index; a damaged index that counts
    fewer rows than the table scan finds makes the fill grow (with the helper stopped)
    instead of writing past the matrix, and every row is searched."""
    import sqlite3
    from test_vectors_search import ref_search
    rng = np.random.default_rng(4)
    matrix = rng.standard_normal((10000, 4)).astype(np.float32)
    ids = [f"r{i:05d}" for i in range(10000)]
    db.create_vector_collection("v", VectorCollectionOptions(4, 1))
    db.put_vectors("v", ids, matrix)
    db.close()
    conn = sqlite3.connect(path)
    conn.execute("create index half on _zova_vectors(collection_name, vector_id) where vector_id < 'r05000'")
    root = conn.execute("select rootpage from sqlite_master where name = 'half'").fetchone()[0]
    conn.execute("pragma writable_schema = 1")
    conn.execute("update sqlite_master set rootpage = ? where name = 'sqlite_autoindex__zova_vectors_1'", [root])
    conn.execute("delete from sqlite_master where name = 'half'")
    conn.commit()
    conn.close()
    conn = sqlite3.connect(path)
    assert conn.execute("select count(*) from _zova_vectors where collection_name = 'v'").fetchone() == (5000,)
    conn.close()
    rng = np.random.default_rng(5)  # the query of FILL_SCRIPT
    q = rng.standard_normal(4).astype(np.float32)
    want = [(vid, float(d).hex()) for vid, d in ref_search(1, dict(zip(ids, matrix)), q, 40)]
    for output in fill_outputs(path, ["v"]):
        assert output == f"v {want}\n"


def test_a_cancelled_fill_leaves_no_partial_matrix(db, path):
    """A first search cancelled while its matrix is being filled raises Interrupted (or, when
    the cancel comes too late, returns); either way the handle's next search gives the
    reference results: an interrupted fill caches nothing."""
    import threading
    rng = np.random.default_rng(9)
    matrix = rng.standard_normal((60000, 32)).astype(np.float32)
    db.create_vector_collection("v", VectorCollectionOptions(32, 1))
    db.put_vectors("v", [f"r{i:05d}" for i in range(60000)], matrix)
    q = matrix[123] + np.float32(0.001)
    want = ids_of(db.search_vectors("v", q, 5))
    assert want[0] == "r00123"
    db.close()
    for delay in (0.0, 0.002, 0.005, 0.01, 0.02, 0.04):
        handle = zova.Database.open(path)
        token = zova.Cancel()
        result = {}

        def first_search():
            try:
                with token.bound():
                    result["ids"] = ids_of(handle.search_vectors("v", q, 5))
            except zova.Interrupted:
                result["ids"] = "interrupted"

        worker = threading.Thread(target=first_search)
        worker.start()
        threading.Event().wait(delay)
        token.cancel()
        worker.join()
        assert result["ids"] in ("interrupted", want)  # which one depends on the timing
        assert ids_of(handle.search_vectors("v", q, 5)) == want
        handle.close()
