"""Vectors as arrays (issue 14): search_vectors_batch (zova_vector_search_batch in
include/zova.h) against the single-query searches row by row, its filters, padding,
bad inputs, threads, cancellation and the kernel dispatch; as_arrays=True on the
single-query searches; get_vectors and list_vector_ids."""
from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import zova
from zova._native import ffi, lib

METRICS = (zova.VectorMetric.COSINE, zova.VectorMetric.L2, zova.VectorMetric.DOT)


@pytest.fixture
def db(tmp_path):
    with zova.Database.create(str(tmp_path / "batch.zova")) as database:
        yield database


def fill(db, name, matrix, metric, prefix="id"):
    db.create_vector_collection(name, zova.VectorCollectionOptions(matrix.shape[1], metric))
    ids = [f"{prefix}{i:05d}" for i in range(len(matrix))]
    db.put_vectors(name, ids, matrix)
    return ids


def row_of(ids, distances, q):
    """Row q of a batch result without its padding, as (id, distance) pairs."""
    width = sum(1 for vid in ids[q] if vid is not None)
    assert all(vid is None for vid in ids[q, width:])
    assert np.all(np.isinf(distances[q, width:]))
    return list(zip(ids[q, :width].tolist(), distances[q, :width].tolist()))


def hits_of(hits):
    return [(hit.id, hit.distance) for hit in hits]


def tie_heavy(rng, n, dims):
    """Small integer vectors with many exact duplicates: lots of equal distances."""
    base = rng.integers(-2, 3, size=(n // 4 + 1, dims)).astype(np.float32)
    base[np.all(base == 0, axis=1), 0] = 1.0  # cosine needs non-zero rows
    return base[rng.integers(0, len(base), size=n)]


# ---- identical to the single-query searches ----

@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("dims", [1, 7, 16, 37])
@pytest.mark.parametrize("kind", ["random", "ties"])
def test_batch_equals_single_search_per_row(db, metric, dims, kind):
    rng = np.random.default_rng(dims * 10 + int(metric))
    matrix = (rng.standard_normal((1500, dims)).astype(np.float32) if kind == "random"
              else tie_heavy(rng, 1500, dims))
    fill(db, "c", matrix, metric)
    queries = np.concatenate([matrix[:5], tie_heavy(rng, 20, dims),
                              rng.standard_normal((20, dims)).astype(np.float32)])
    for k in (1, 3, 10, 64, 2000):
        ids, distances = db.search_vectors_batch("c", queries, k)
        assert ids.shape == distances.shape == (len(queries), k)
        assert ids.dtype == object and distances.dtype == np.float64
        for q in range(len(queries)):
            assert row_of(ids, distances, q) == hits_of(db.search_vectors("c", queries[q], k)), (k, q)


@pytest.mark.parametrize("metric", METRICS)
def test_batch_filters_equal_the_single_query_variants(db, metric):
    rng = np.random.default_rng(5 + int(metric))
    matrix = np.concatenate([rng.standard_normal((900, 24)), tie_heavy(rng, 300, 24)]).astype(np.float32)
    ids = fill(db, "c", matrix, metric)
    queries = np.concatenate([matrix[::97], rng.standard_normal((10, 24)).astype(np.float32)])
    limit = {zova.VectorMetric.COSINE: 0.8, zova.VectorMetric.L2: 6.0, zova.VectorMetric.DOT: -4.0}[metric]
    candidates = ids[::5] + ids[:3] + ["absent-1", "absent-2"]  # duplicates and unknown ids
    for k in (1, 10, 500):
        found, dist = db.search_vectors_batch("c", queries, k, max_distance=limit)
        for q in range(len(queries)):
            assert row_of(found, dist, q) == hits_of(db.search_vectors_within("c", queries[q], limit, k))
        found, dist = db.search_vectors_batch("c", queries, k, candidate_ids=candidates)
        for q in range(len(queries)):
            assert row_of(found, dist, q) == hits_of(db.search_vectors_in("c", queries[q], candidates, k))
        found, dist = db.search_vectors_batch("c", queries, k, candidate_ids=candidates, max_distance=limit)
        for q in range(len(queries)):
            expected = db.search_vectors_in_within("c", queries[q], candidates, limit, k)
            assert row_of(found, dist, q) == hits_of(expected)
    # exclude_ids with the stored rows as queries: the by_id searches
    sources = ids[::61]
    stored = db.get_vectors("c", sources)
    for k in (1, 10, 300):
        found, dist = db.search_vectors_batch("c", stored, k, exclude_ids=sources)
        for q, source in enumerate(sources):
            assert row_of(found, dist, q) == hits_of(db.search_vectors_by_id("c", source, k))
        found, dist = db.search_vectors_batch("c", stored, k, exclude_ids=sources, candidate_ids=candidates,
                                              max_distance=limit)
        for q, source in enumerate(sources):
            expected = db.search_vectors_by_id_in_within("c", source, candidates, limit, k)
            assert row_of(found, dist, q) == hits_of(expected)


def test_exclude_ids_none_entries_and_absent_ids_exclude_nothing(db):
    matrix = np.eye(4, dtype=np.float32)
    fill(db, "c", matrix, zova.VectorMetric.L2)
    found, _ = db.search_vectors_batch("c", matrix[:3], 2, exclude_ids=[None, "id00001", "nope"])
    assert found[0, 0] == "id00000" and found[1, 0] != "id00001" and found[2, 0] == "id00002"


def test_uncommitted_changes_are_seen_like_single_searches(db):
    rng = np.random.default_rng(11)
    matrix = rng.standard_normal((800, 12)).astype(np.float32)
    ids = fill(db, "c", matrix, zova.VectorMetric.COSINE)
    queries = rng.standard_normal((15, 12)).astype(np.float32)
    db.search_vectors_batch("c", queries, 5)  # builds the cached matrix
    db.exec("begin")
    db.put_vector("c", "fresh", queries[0])
    db.delete_vector("c", ids[7])
    db.put_vector("c", ids[9], queries[1])
    found, dist = db.search_vectors_batch("c", queries, 5)
    for q in range(len(queries)):
        assert row_of(found, dist, q) == hits_of(db.search_vectors("c", queries[q], 5))
    assert found[0, 0] == "fresh" and found[1, 0] == ids[9]
    db.exec("rollback")
    found, dist = db.search_vectors_batch("c", queries, 5)
    assert "fresh" not in found


# ---- padding and shapes ----

def test_padding_where_fewer_than_k_hits(db):
    fill(db, "c", np.array([[1, 0], [0, 1], [1, 1]], np.float32), zova.VectorMetric.L2)
    found, dist = db.search_vectors_batch("c", np.array([[1, 0], [5, 5]], np.float32), 5)
    assert found.tolist() == [["id00000", "id00002", "id00001", None, None],
                              ["id00002", "id00000", "id00001", None, None]]
    assert np.isinf(dist[:, 3:]).all() and np.isfinite(dist[:, :3]).all()
    found, dist = db.search_vectors_batch("c", np.array([[1, 0]], np.float32), 4, max_distance=0.5)
    assert found.tolist() == [["id00000", None, None, None]] and dist[0, 0] == 0.0
    found, dist = db.search_vectors_batch("c", np.array([[1, 0]], np.float32), 2, candidate_ids=[])
    assert found.tolist() == [[None, None]]


def test_k_zero_and_no_queries(db):
    fill(db, "c", np.ones((3, 4), np.float32), zova.VectorMetric.DOT)
    found, dist = db.search_vectors_batch("c", np.ones((2, 4), np.float32), 0)
    assert found.shape == dist.shape == (2, 0)
    found, dist = db.search_vectors_batch("c", np.zeros((0, 4), np.float32), 3)
    assert found.shape == dist.shape == (0, 3)
    found, dist = db.search_vectors_batch("c", np.ones((2, 4), np.float32), np.int64(2))
    assert found.shape == (2, 2)


def test_empty_collection(db):
    db.create_vector_collection("c", zova.VectorCollectionOptions(3, zova.VectorMetric.COSINE))
    found, dist = db.search_vectors_batch("c", np.ones((2, 3), np.float32), 2)
    assert found.tolist() == [[None, None], [None, None]]


# ---- bad inputs ----

def test_bad_query_arrays(db):
    fill(db, "c", np.ones((3, 4), np.float32), zova.VectorMetric.COSINE)
    with pytest.raises(ValueError, match="2-D"):
        db.search_vectors_batch("c", np.ones(4, np.float32), 1)
    with pytest.raises(ValueError, match="2-D"):
        db.search_vectors_batch("c", [], 1)
    with pytest.raises(ValueError, match="2-D"):
        db.search_vectors_batch("c", np.ones((1, 2, 4), np.float32), 1)
    with pytest.raises(TypeError):
        db.search_vectors_batch("c", np.ones((1, 4), np.complex64), 1)
    with pytest.raises(TypeError):
        db.search_vectors_batch("c", [["a", "b", "c", "d"]], 1)
    with pytest.raises(TypeError):
        db.search_vectors_batch("c", b"\0" * 16, 1)
    # other real dtypes and non-contiguous arrays are converted
    as_float32 = db.search_vectors_batch("c", np.ones((2, 4), np.float32), 2)
    for other in (np.ones((2, 4), np.int32), np.ones((2, 4), np.float64), np.ones((4, 2)).T, [[1, 1, 1, 1]] * 2):
        converted = db.search_vectors_batch("c", other, 2)
        assert converted[0].tolist() == as_float32[0].tolist()
    with pytest.raises(zova.VectorError) as caught:
        db.search_vectors_batch("c", np.ones((2, 5), np.float32), 1)
    assert caught.value.status == lib.ZOVA_VECTOR_DIMENSION_MISMATCH
    assert "5" in caught.value.message and "4" in caught.value.message and '"c"' in caught.value.message


def test_bad_k_and_filters(db):
    fill(db, "c", np.ones((3, 4), np.float32), zova.VectorMetric.L2)
    queries = np.ones((2, 4), np.float32)
    with pytest.raises(ValueError, match="k"):
        db.search_vectors_batch("c", queries, -1)
    for bad in (1.5, "3", None, True):
        with pytest.raises(TypeError):
            db.search_vectors_batch("c", queries, bad)
    with pytest.raises(TypeError):
        db.search_vectors_batch("c", queries, 1, max_distance="1")
    for bad in (float("nan"), float("inf")):
        with pytest.raises(zova.VectorError, match="max_distance"):
            db.search_vectors_batch("c", queries, 1, max_distance=bad)
    with pytest.raises(ValueError, match="exclude_ids"):
        db.search_vectors_batch("c", queries, 1, exclude_ids=["id00000"])
    with pytest.raises(TypeError):
        db.search_vectors_batch("c", queries, 1, exclude_ids="id00000")
    with pytest.raises(TypeError):
        db.search_vectors_batch("c", queries, 1, candidate_ids="id00000")
    with pytest.raises(zova.VectorError):
        db.search_vectors_batch("c", queries, 1, candidate_ids=["_zova_reserved"])
    with pytest.raises(zova.VectorError):
        db.search_vectors_batch("c", queries, 1, exclude_ids=[None, ""])


def test_bad_query_values_name_the_query(db):
    fill(db, "c", np.ones((3, 4), np.float32), zova.VectorMetric.COSINE)
    queries = np.ones((3, 4), np.float32)
    queries[1, 2] = np.nan
    with pytest.raises(zova.VectorError, match="query 1") as caught:
        db.search_vectors_batch("c", queries, 1)
    assert caught.value.status == lib.ZOVA_VECTOR_INVALID
    queries[1, 2] = np.inf
    with pytest.raises(zova.VectorError, match="query 1"):
        db.search_vectors_batch("c", queries, 1)
    queries[1] = 1.0
    queries[2] = 0.0
    with pytest.raises(zova.VectorError, match="query 2 is all zeros"):
        db.search_vectors_batch("c", queries, 1)


def test_unknown_collection_and_names(db):
    with pytest.raises(zova.NotFoundError) as caught:
        db.search_vectors_batch("absent", np.ones((1, 2), np.float32), 1)
    assert caught.value.status == lib.ZOVA_VECTOR_COLLECTION_NOT_FOUND
    with pytest.raises(zova.VectorError):
        db.search_vectors_batch("_zova_x", np.ones((1, 2), np.float32), 1)
    with pytest.raises(TypeError):
        db.search_vectors_batch(3, np.ones((1, 2), np.float32), 1)


def test_c_request_rules(db):
    """The ABI's own checks (include/zova.h): unknown flags, NULL queries with a count."""
    fill(db, "c", np.ones((3, 2), np.float32), zova.VectorMetric.L2)
    out = ffi.new("zova_vector_search_results[2]")
    name = ffi.new("char[]", b"c")
    values = ffi.new("float[]", [1.0, 1.0, 2.0, 2.0])
    request = ffi.new("zova_vector_search_batch_request *")
    request.db, request.collection_name, request.out_results = db._handle(), name, out
    request.queries, request.query_count, request.query_len, request.limit = values, 2, 2, 2
    request.flags = 4
    assert lib.zova_vector_search_batch(request) == lib.ZOVA_INVALID_ARGUMENT
    request.flags = 0
    request.queries = ffi.NULL
    assert lib.zova_vector_search_batch(request) == lib.ZOVA_INVALID_ARGUMENT
    request.queries = values
    request.query_count = 2**62
    assert lib.zova_vector_search_batch(request) == lib.ZOVA_INVALID_ARGUMENT
    request.query_count = 2
    assert lib.zova_vector_search_batch(request) == lib.ZOVA_OK
    assert out[0].len == 2 and out[1].len == 2
    for q in range(2):
        lib.zova_vector_search_results_free(ffi.addressof(out, q))


# ---- threads, close and cancel ----

def test_threads_racing_on_one_handle_with_a_writer_and_a_close(tmp_path):
    rng = np.random.default_rng(21)
    matrix = rng.standard_normal((4000, 32)).astype(np.float32)
    queries = rng.standard_normal((24, 32)).astype(np.float32)
    db = zova.Database.create(str(tmp_path / "race.zova"))
    fill(db, "c", matrix, zova.VectorMetric.COSINE)
    start = threading.Barrier(5)
    closing = threading.Event()
    problems: list = []
    results: list = []

    def searcher():
        start.wait()
        while True:
            try:
                found, dist = db.search_vectors_batch("c", queries, 8)
            except zova.ClosedHandleError:
                return
            except BaseException as error:  # pragma: no cover - reported below
                problems.append(error)
                return
            results.append((found, dist))

    def writer():
        start.wait()
        i = 0
        while not closing.is_set():
            try:
                db.put_vectors("c", [f"new{i % 300}"], rng.standard_normal((1, 32)).astype(np.float32))
                db.delete_vector("c", f"id{i % 4000:05d}")
            except zova.ClosedHandleError:
                return
            except BaseException as error:  # pragma: no cover
                problems.append(error)
                return
            i += 1

    threads = [threading.Thread(target=searcher) for _ in range(3)] + [threading.Thread(target=writer)]
    for thread in threads:
        thread.start()
    start.wait()
    while len(results) < 20 and not problems:
        threading.Event().wait(0.01)
    closing.set()
    db.close()
    for thread in threads:
        thread.join()
    assert problems == []
    assert results
    for found, dist in results:
        assert found.shape == (24, 8)
        assert all(vid is not None for vid in found.ravel())
        for q in range(24):
            pairs = list(zip(dist[q].tolist(), found[q].tolist()))
            assert pairs == sorted(pairs) and len(set(found[q])) == 8
    with pytest.raises(zova.ClosedHandleError):
        db.search_vectors_batch("c", queries, 8)


def test_cancel_token_stops_a_big_batch(db):
    rng = np.random.default_rng(4)
    matrix = rng.standard_normal((40_000, 256)).astype(np.float32)
    fill(db, "c", matrix, zova.VectorMetric.DOT)
    queries = rng.standard_normal((3000, 256)).astype(np.float32)
    token = zova.Cancel()
    token.cancel()
    with token.bound(), pytest.raises(zova.Interrupted):
        db.search_vectors_batch("c", queries, 10)  # requested before the call
    token = zova.Cancel()
    timer = threading.Timer(0.05, token.cancel)
    with token.bound(), pytest.raises(zova.Interrupted):
        timer.start()
        db.search_vectors_batch("c", queries, 10)  # about 30 G multiply-adds
    timer.join()
    found, _ = db.search_vectors_batch("c", queries[:2], 3)  # the handle works afterwards
    assert found.shape == (2, 3) and None not in found


# ---- kernels picked at run time ----

def cpu_flags() -> set:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


KERNEL_SCRIPT = """
import sys
import numpy as np
import zova
from zova._native import ffi, lib
print(ffi.string(lib.zv_py_vector_kernel_name()).decode())
db = zova.Database.create(sys.argv[1])
rng = np.random.default_rng(3)
for dims in (5, 16, 37, 64):
    X = rng.standard_normal((700, dims)).astype(np.float32)
    Q = np.concatenate([X[:3] + 0.25, rng.standard_normal((7, dims)).astype(np.float32)])
    for m in (0, 1, 2):
        name = f"c{m}_{dims}"
        db.create_vector_collection(name, zova.VectorCollectionOptions(dims, m))
        db.put_vectors(name, [f"i{k}" for k in range(700)], X)
        ids, dist = db.search_vectors_batch(name, Q, 15)
        print(ids.tolist(), [d.hex() for d in dist.ravel()])
        print([(h.id, h.distance.hex()) for h in db.search_vectors(name, Q[0], 15)])
"""


def test_every_kernel_gives_the_same_results(tmp_path):
    """ZOVA_VECTOR_KERNEL caps the kernels (portable, avx2); the default picks the
    best the CPU has, AVX-512F only where cpuid reports it."""
    flags = cpu_flags()
    best = "portable"
    if {"avx2", "fma"} <= flags:
        best = "avx512f" if "avx512f" in flags else "avx2-fma"
    expected = {None: best, "portable": "portable", "avx2": "portable" if best == "portable" else "avx2-fma",
                "avx512": best}
    outputs = {}
    for i, cap in enumerate(expected):
        env = dict(os.environ)
        env.pop("ZOVA_VECTOR_KERNEL", None)
        if cap:
            env["ZOVA_VECTOR_KERNEL"] = cap
        done = subprocess.run([sys.executable, "-c", KERNEL_SCRIPT, str(tmp_path / f"k{i}.zova")], env=env,
                              capture_output=True, text=True, check=True)
        name, _, rest = done.stdout.partition("\n")
        assert name == expected[cap], cap
        outputs[cap] = rest
    assert len(set(outputs.values())) == 1
    assert outputs[None].count("'i") > 1000


# ---- as_arrays, get_vectors, list_vector_ids ----

def test_single_searches_as_arrays(db):
    rng = np.random.default_rng(2)
    matrix = rng.standard_normal((200, 8)).astype(np.float32)
    ids = fill(db, "c", matrix, zova.VectorMetric.COSINE)
    query = matrix[3]
    calls = [
        ("search_vectors", (query, 5)),
        ("search_vectors_in", (query, ids[:50], 5)),
        ("search_vectors_within", (query, 0.9, 500)),
        ("search_vectors_in_within", (query, ids[:50], 0.9, 5)),
        ("search_vectors_by_id", (ids[3], 5)),
        ("search_vectors_by_id_in", (ids[3], ids[:50], 5)),
        ("search_vectors_by_id_within", (ids[3], 0.9, 500)),
        ("search_vectors_by_id_in_within", (ids[3], ids[:50], 0.9, 5)),
    ]
    for method, args in calls:
        hits = getattr(db, method)("c", *args)
        assert isinstance(hits, list) and all(isinstance(h, zova.VectorSearchResult) for h in hits)
        found, dist = getattr(db, method)("c", *args, as_arrays=True)
        assert found.dtype == object and dist.dtype == np.float64 and found.shape == dist.shape == (len(hits),)
        assert list(zip(found.tolist(), dist.tolist())) == hits_of(hits), method
    found, dist = db.search_vectors("c", query, 0, as_arrays=True)
    assert found.shape == dist.shape == (0,)


def test_get_vectors(db):
    rng = np.random.default_rng(9)
    matrix = rng.standard_normal((50, 6)).astype(np.float32)
    ids = fill(db, "c", matrix, zova.VectorMetric.L2)
    got = db.get_vectors("c", [ids[4], ids[0], ids[4]])
    assert got.dtype == np.float32 and got.shape == (3, 6)
    assert np.array_equal(got, matrix[[4, 0, 4]])
    assert db.get_vectors("c", []).shape == (0, 6)
    with pytest.raises(zova.NotFoundError, match="'missing'") as caught:
        db.get_vectors("c", [ids[1], "missing"])
    assert caught.value.status == lib.ZOVA_VECTOR_NOT_FOUND
    with pytest.raises(zova.NotFoundError):
        db.get_vectors("absent", [ids[0]])
    with pytest.raises(TypeError):
        db.get_vectors("c", ids[0])


def test_list_vector_ids_pages_in_id_order(db):
    rng = np.random.default_rng(1)
    names = [f"v{rng.integers(0, 10**9)}" for _ in range(103)] + ["é", "Z", "a", "ab", "a\u00ff"]
    db.create_vector_collection("c", zova.VectorCollectionOptions(2, zova.VectorMetric.L2))
    db.create_vector_collection("other", zova.VectorCollectionOptions(2, zova.VectorMetric.L2))
    db.put_vectors("c", names, np.ones((len(names), 2), np.float32))
    db.put_vector("other", "zzz", [1.0, 2.0])
    expected = sorted(set(names), key=lambda s: s.encode("utf-8"))
    assert db.list_vector_ids("c") == expected
    pages, after = [], None
    while True:
        page = db.list_vector_ids("c", limit=10, after=after)
        if not page:
            break
        assert len(page) <= 10
        pages += page
        after = page[-1]
    assert pages == expected
    assert db.list_vector_ids("c", limit=0) == []
    assert db.list_vector_ids("c", limit=np.int64(3)) == expected[:3]
    assert db.list_vector_ids("c", after=expected[-1]) == []
    assert db.list_vector_ids("other") == ["zzz"]
    with pytest.raises(zova.NotFoundError):
        db.list_vector_ids("absent")
    with pytest.raises(ValueError):
        db.list_vector_ids("c", limit=-1)
    with pytest.raises(TypeError):
        db.list_vector_ids("c", after=3)
