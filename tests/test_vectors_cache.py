"""The search matrix cache stays correct (c-abi §4.13 results are always those of a
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
