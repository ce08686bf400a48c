"""Vector search: the 8 variants of docs/c-api.md §4.13 with the statuses of §7.9, and
results equal to a numpy brute-force reference (Appendix B distances accumulated in
double in index order, ties by bytewise id) for all three metrics (hypothesis)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zova
from zova import VectorCollectionOptions, ZovaError
from zova._native import ffi, lib

OK, INVALID_ARGUMENT = 0, 1
COLL_NOT_FOUND, NOT_FOUND, DIM_MISMATCH, CORRUPT, INVALID = 71, 72, 73, 74, 75
METRICS = (0, 1, 2)


def status_of(call, *args):
    with pytest.raises(ZovaError) as info:
        call(*args)
    return info.value.status


# ---- reference (Appendix B) ----

def seq_sum(terms: np.ndarray) -> float:
    """Left-to-right double sum (np.cumsum is sequential), like the C core."""
    return float(np.cumsum(terms)[-1]) if len(terms) else 0.0


def ref_distance(metric: int, q: np.ndarray, v: np.ndarray) -> float:
    q64, v64 = q.astype(np.float64), v.astype(np.float64)
    if metric == 0:
        dot = seq_sum(q64 * v64)
        return 1.0 - dot / (math.sqrt(seq_sum(q64 * q64)) * math.sqrt(seq_sum(v64 * v64)))
    if metric == 1:
        d = q64 - v64
        return math.sqrt(seq_sum(d * d))
    return -seq_sum(q64 * v64)


def ref_search(metric, rows: dict, q, limit, *, candidates=None, max_distance=None, exclude=None):
    ids = sorted(set(candidates)) if candidates is not None else list(rows)
    hits = []
    for vid in ids:
        if vid == exclude or vid not in rows:
            continue
        d = ref_distance(metric, q, rows[vid])
        if max_distance is None or d <= max_distance:
            hits.append((d, vid.encode()))
    hits.sort()
    return [(vid.decode(), d) for d, vid in hits[:limit]]


def got(results):
    return [(r.id, r.distance) for r in results]


# ---- fixtures ----

@pytest.fixture
def small(db):
    """Hand-checked data: ties, negative dot distances, ids ordered bytewise."""
    db.create_vector_collection("c", VectorCollectionOptions(2, 0))
    db.create_vector_collection("l", VectorCollectionOptions(2, 1))
    db.create_vector_collection("d", VectorCollectionOptions(2, 2))
    rows = {"b": [1, 0], "a": [2, 0], "ab": [0, 1], "B": [3, 0], "z": [1, 1], "é": [-1, 0]}
    for name in ("c", "l", "d"):
        for vid, values in rows.items():
            db.put_vector(name, vid, values)
    return db


def test_ties_are_ordered_by_bytewise_id_appendix_b(small):
    # cosine: B, a, b all at distance 0 -> bytewise id order "B" < "a" < "b"
    assert got(small.search_vectors("c", [5, 0], 3)) == [("B", 0.0), ("a", 0.0), ("b", 0.0)]
    # the cut at the limit keeps the smallest ids among equal distances
    assert got(small.search_vectors("c", [5, 0], 2)) == [("B", 0.0), ("a", 0.0)]
    # "é" (0xC3...) sorts after ASCII
    assert [r.id for r in small.search_vectors("c", [5, 0], 10)][-1] == "é"
    # shorter prefix first: "a" < "ab"
    res = small.search_vectors("l", [1, 0.5], 10)
    assert [r.id for r in res][:2] == ["b", "z"]


def test_dot_distance_is_negative_dot_and_thresholds_may_be_negative_appendix_b(small):
    res = small.search_vectors("d", [1, 0], 2)
    assert got(res) == [("B", -3.0), ("a", -2.0)]
    assert got(small.search_vectors_within("d", [1, 0], -2.0, 10)) == [("B", -3.0), ("a", -2.0)]  # inclusive


def test_max_distance_is_inclusive_c_abi_0_2(small):
    assert got(small.search_vectors_within("l", [0, 0], 1.0, 10)) == [("ab", 1.0), ("b", 1.0), ("é", 1.0)]
    assert got(small.search_vectors_within("l", [0, 0], 0.999, 10)) == []
    assert got(small.search_vectors_in_within("l", [0, 0], ["b", "a", "zz"], 1.0, 10)) == [("b", 1.0)]


def test_limit_zero_is_ok_and_empty_c_abi_7_9(small):
    assert small.search_vectors("l", [0, 0], 0) == []
    assert small.search_vectors_by_id("l", "a", 0) == []
    assert small.search_vectors_in("l", [0, 0], ["a"], 0) == []
    # candidates are still validated when limit == 0
    assert status_of(small.search_vectors_in, "l", [0, 0], ["a", ""], 0) == INVALID
    # but the source must exist
    assert status_of(small.search_vectors_by_id, "l", "missing", 0) == NOT_FOUND


def test_by_id_excludes_the_source_c_abi_4_13(small):
    res = small.search_vectors_by_id("l", "a", 10)
    assert "a" not in [r.id for r in res] and len(res) == 5
    assert got(res)[:2] == [("B", 1.0), ("b", 1.0)]
    res = small.search_vectors_by_id_in("l", "a", ["a", "b", "b", "nope"], 10)
    assert got(res) == [("b", 1.0)]
    assert got(small.search_vectors_by_id_within("l", "a", 1.0, 10)) == [("B", 1.0), ("b", 1.0)]
    assert got(small.search_vectors_by_id_in_within("l", "a", ["a", "z", "B"], 1.0, 10)) == [("B", 1.0)]


def test_candidates_deduplicated_unknown_skipped_c_abi_4_13(small):
    res = small.search_vectors_in("l", [1, 0], ["b", "b", "unknown", "a", "b"], 10)
    assert got(res) == [("b", 0.0), ("a", 1.0)]
    assert small.search_vectors_in("l", [1, 0], [], 10) == []
    with pytest.raises(TypeError):
        small.search_vectors_in("l", [1, 0], "b", 10)


def test_search_statuses_in_order_c_abi_7_9(small):
    assert status_of(small.search_vectors, "", [1], 1) == INVALID
    assert status_of(small.search_vectors, "nope", [1], 1) == COLL_NOT_FOUND
    assert status_of(small.search_vectors, "l", [1], 1) == DIM_MISMATCH
    assert status_of(small.search_vectors, "l", [1, math.nan], 1) == INVALID
    assert status_of(small.search_vectors, "l", [1, math.inf], 0) == INVALID
    assert status_of(small.search_vectors, "c", [0, 0], 1) == INVALID
    small.search_vectors("l", [0, 0], 1)  # zero query is fine for l2
    assert status_of(small.search_vectors_within, "l", [1], math.nan, 1) == DIM_MISMATCH  # query first
    for bad in (math.nan, math.inf, -math.inf):
        assert status_of(small.search_vectors_within, "l", [1, 0], bad, 1) == INVALID
        assert status_of(small.search_vectors_by_id_within, "l", "missing", bad, 1) == INVALID  # before 72
    assert status_of(small.search_vectors_in, "l", [1], ["_zova_x"], 1) == DIM_MISMATCH
    assert status_of(small.search_vectors_in, "l", [1, 0], ["x" * 256], 1) == INVALID
    assert status_of(small.search_vectors_by_id, "l", "", 1) == INVALID
    assert status_of(small.search_vectors_by_id, "nope", "", 1) == INVALID  # source id before coll
    assert status_of(small.search_vectors_by_id, "nope", "a", 1) == COLL_NOT_FOUND
    assert status_of(small.search_vectors_by_id_in, "l", "missing", [""], 1) == NOT_FOUND  # source before cands
    assert status_of(small.search_vectors_by_id_in, "l", "a", [""], 1) == INVALID


def test_stored_row_problems_are_74_c_abi_7_9(small):
    small.exec("update _zova_vectors set \"values\" = x'0000000000000000' where collection_name = 'c' "
               "and vector_id = 'z'")  # zero cosine row
    assert status_of(small.search_vectors, "c", [1, 0], 1) == CORRUPT
    assert status_of(small.search_vectors_by_id, "c", "z", 1) == CORRUPT
    assert got(small.search_vectors_in("c", [1, 0], ["a"], 1)) == [("a", 0.0)]  # only candidates are read
    assert status_of(small.search_vectors_in, "c", [1, 0], ["z"], 1) == CORRUPT
    small.exec("pragma ignore_check_constraints = 1")
    small.exec("update _zova_vectors set \"values\" = x'00' where collection_name = 'l' and vector_id = 'z'")
    assert status_of(small.search_vectors, "l", [1, 0], 1) == CORRUPT


def test_search_null_pointers_and_reset_c_abi_5_2(small):
    native = small._handle()
    name = ffi.new("char[]", b"l")
    q = ffi.new("float[]", [1, 0])
    out = ffi.new("zova_vector_search_results *")
    out.len = 7
    request = ffi.new("zova_vector_search_request *", [native, name, ffi.NULL, 2, 5, out])
    assert lib.zova_vector_search(request) == INVALID_ARGUMENT
    assert out.len == 7  # pointer checks come before the reset
    request = ffi.new("zova_vector_search_request *", [native, name, q, 2, 5, ffi.NULL])
    assert lib.zova_vector_search(request) == INVALID_ARGUMENT
    ids = ffi.new("char *[]", [ffi.new("char[]", b"a"), ffi.NULL])
    request = ffi.new("zova_vector_search_in_request *", [native, name, q, 2, ids, 2, 5, out])
    assert lib.zova_vector_search_in(request) == INVALID_ARGUMENT
    assert out.len == 0 and out.items == ffi.NULL  # reset happened before the candidate checks
    request = ffi.new("zova_vector_search_in_request *", [native, name, q, 2, ffi.NULL, 1, 5, out])
    assert lib.zova_vector_search_in(request) == INVALID_ARGUMENT
    request = ffi.new("zova_vector_search_in_request *", [native, name, q, 2, ffi.NULL, 0, 5, out])
    assert lib.zova_vector_search_in(request) == OK and out.len == 0
    request = ffi.new("zova_vector_search_by_id_request *", [native, name, ffi.NULL, 5, out])
    assert lib.zova_vector_search_by_id(request) == INVALID_ARGUMENT
    request = ffi.new("zova_vector_search_request *", [native, name, q, 2, 5, out])
    assert lib.zova_vector_search(request) == OK and out.len == 5
    lib.zova_vector_search_results_free(out)
    assert lib.zova_vector_search(ffi.NULL) == INVALID_ARGUMENT


# ---- against the numpy reference ----

def build(db, metric, matrix, ids):
    name = f"m{metric}"
    if not db.has_vector_collection(name):
        db.create_vector_collection(name, VectorCollectionOptions(matrix.shape[1], metric))
    db.put_vectors(name, ids, matrix)
    return name


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("dims", [1, 7, 8, 33, 384])
def test_random_matrix_equals_reference(db, metric, dims):
    rng = np.random.default_rng(dims * 10 + metric)
    n = 300
    matrix = rng.standard_normal((n, dims)).astype(np.float32)
    ids = [f"id{i:04d}" for i in range(n)]
    name = build(db, metric, matrix, ids)
    rows = dict(zip(ids, matrix))
    for trial in range(3):
        q = rng.standard_normal(dims).astype(np.float32)
        for limit in (1, 10, n + 5):
            assert got(db.search_vectors(name, q, limit)) == ref_search(metric, rows, q, limit)
        source = ids[trial * 7]
        assert got(db.search_vectors_by_id(name, source, 10)) == ref_search(metric, rows, rows[source], 10,
                                                                          exclude=source)
        ref_all = ref_search(metric, rows, q, n)
        threshold = ref_all[n // 5][1]  # an exact stored distance: inclusive edge
        assert got(db.search_vectors_within(name, q, threshold, n)) == ref_search(metric, rows, q, n,
                                                                                  max_distance=threshold)
        assert len(db.search_vectors_within(name, q, threshold, n)) >= n // 5 + 1


def finite_f32(max_abs):
    return st.floats(min_value=-max_abs, max_value=max_abs, allow_nan=False, allow_infinity=False, width=32)


@st.composite
def datasets(draw):
    metric = draw(st.sampled_from(METRICS))
    dims = draw(st.integers(1, 20))
    n = draw(st.integers(1, 40))
    small_ints = draw(st.booleans())  # small integers give many exact ties
    element = st.integers(-3, 3).map(float) if small_ints else finite_f32(1e6)
    matrix = np.array(draw(st.lists(st.lists(element, min_size=dims, max_size=dims), min_size=n, max_size=n)),
                      dtype=np.float32).reshape(n, dims)
    q = np.array(draw(st.lists(element, min_size=dims, max_size=dims)), dtype=np.float32)
    if metric == 0:
        matrix[~np.any(matrix != 0, axis=1), 0] = 1.0
        if not np.any(q != 0):
            q[0] = 1.0
    ids = draw(st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\0"), min_size=1, max_size=4)
                        .filter(lambda s: len(s.encode()) <= 255 and not s.lower().startswith("_zova_")),
                        min_size=n, max_size=n, unique=True))
    limit = draw(st.integers(0, n + 2))
    return metric, matrix, ids, q, limit


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=datasets(), extra=st.data())
def test_hypothesis_all_variants_equal_reference(tmp_path_factory, data, extra):
    metric, matrix, ids, q, limit = data
    path = str(tmp_path_factory.mktemp("h") / "h.zova")
    with zova.Database.create(path) as db:
        name = build(db, metric, matrix, ids)
        rows = dict(zip(ids, matrix))
        assert got(db.search_vectors(name, q, limit)) == ref_search(metric, rows, q, limit)
        cands = extra.draw(st.lists(st.sampled_from(ids + ["missing"]), max_size=10))
        assert got(db.search_vectors_in(name, q, cands, limit)) == ref_search(metric, rows, q, limit,
                                                                              candidates=cands)
        all_d = [d for _, d in ref_search(metric, rows, q, len(ids))]
        threshold = extra.draw(st.sampled_from(all_d)) if all_d else 0.0
        assert got(db.search_vectors_within(name, q, threshold, limit)) == ref_search(
            metric, rows, q, limit, max_distance=threshold)
        assert got(db.search_vectors_in_within(name, q, cands, threshold, limit)) == ref_search(
            metric, rows, q, limit, candidates=cands, max_distance=threshold)
        source = extra.draw(st.sampled_from(ids))
        sq = rows[source]
        assert got(db.search_vectors_by_id(name, source, limit)) == ref_search(metric, rows, sq, limit,
                                                                             exclude=source)
        assert got(db.search_vectors_by_id_in(name, source, cands + [source], limit)) == ref_search(
            metric, rows, sq, limit, candidates=cands + [source], exclude=source)
        assert got(db.search_vectors_by_id_within(name, source, threshold, limit)) == ref_search(
            metric, rows, sq, limit, max_distance=threshold, exclude=source)
        assert got(db.search_vectors_by_id_in_within(name, source, cands, threshold, limit)) == ref_search(
            metric, rows, sq, limit, candidates=cands, max_distance=threshold, exclude=source)


def test_extreme_magnitudes_use_exact_path(db):
    """Values whose float32 products overflow still give exact results."""
    rng = np.random.default_rng(5)
    for metric in METRICS:
        matrix = (rng.standard_normal((50, 16)) * 1e30).astype(np.float32)
        matrix[::7] *= 1e-50  # tiny rows too (subnormal after scaling for some)
        matrix[matrix == 0] = 1e-38
        ids = [f"x{i}" for i in range(50)]
        name = build(db, metric, matrix, ids)
        rows = dict(zip(ids, matrix))
        q = (rng.standard_normal(16) * 1e30).astype(np.float32)
        assert got(db.search_vectors(name, q, 5)) == ref_search(metric, rows, q, 5)


def test_near_duplicates_cluster_keeps_exact_order(db):
    """Many rows within float32 noise of each other: the candidate margin must
    keep every row that can win after exact recomputation."""
    rng = np.random.default_rng(9)
    base = rng.standard_normal(384).astype(np.float32)
    matrix = np.repeat(base[None, :], 2000, axis=0)
    noise_rows = rng.integers(0, 2000, 400)
    matrix[noise_rows, rng.integers(0, 384, 400)] += np.float32(1e-6)
    ids = [f"n{i:05d}" for i in range(2000)]
    for metric in METRICS:
        name = build(db, metric, matrix, ids)
        rows = dict(zip(ids, matrix))
        assert got(db.search_vectors(name, base, 25)) == ref_search(metric, rows, base, 25)


def test_portable_kernel_gives_the_same_results(tmp_path):
    """ZOVA_VECTOR_KERNEL=portable in a subprocess: same output as the default kernel."""
    import subprocess
    import sys
    script = (
        "import numpy as np, zova, sys\n"
        "db = zova.Database.create(sys.argv[1])\n"
        "rng = np.random.default_rng(3)\n"
        "X = rng.standard_normal((500, 37)).astype(np.float32)\n"
        "for m in (0, 1, 2):\n"
        "    db.create_vector_collection(f'c{m}', zova.VectorCollectionOptions(37, m))\n"
        "    db.put_vectors(f'c{m}', [f'i{k}' for k in range(500)], X)\n"
        "    r = db.search_vectors(f'c{m}', X[3] + 0.5, 20)\n"
        "    print([(x.id, x.distance.hex()) for x in r])\n"
    )
    outputs = []
    for i, env in enumerate(({}, {"ZOVA_VECTOR_KERNEL": "portable"})):
        import os
        full = dict(os.environ, **env)
        done = subprocess.run([sys.executable, "-c", script, str(tmp_path / f"k{i}.zova")], env=full,
                              capture_output=True, text=True, check=True)
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] and outputs[0].count("(") >= 60


def test_concurrent_searches_share_a_handle_and_use_their_own(db, path):
    """docs/c-api.md §5.7: calls on one handle serialize; separate handles run in parallel."""
    import threading
    rng = np.random.default_rng(8)
    matrix = rng.standard_normal((3000, 64)).astype(np.float32)
    build(db, 0, matrix, [f"t{i}" for i in range(3000)])
    queries = rng.standard_normal((12, 64)).astype(np.float32)
    expected = [got(db.search_vectors("m0", q, 7)) for q in queries]
    failures = []

    def worker(handle):
        for _ in range(3):
            for q, want in zip(queries, expected):
                if got(handle.search_vectors("m0", q, 7)) != want:
                    failures.append(1)

    others = [zova.Database.open(path, read_only=True) for _ in range(2)]
    threads = [threading.Thread(target=worker, args=(h,)) for h in (db, db, *others)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for h in others:
        h.close()
    assert failures == []


def test_large_collections_built_by_table_scan_or_index(db):
    """The matrix is read in table order when the collection is most of the table and
    through the index otherwise; both give the reference results."""
    rng = np.random.default_rng(12)
    big = rng.standard_normal((3000, 8)).astype(np.float32)
    small = rng.standard_normal((1200, 8)).astype(np.float32)
    import uuid
    big_ids = [str(uuid.UUID(int=int(x))) for x in rng.integers(0, 2**62, 3000)]
    small_ids = [str(uuid.UUID(int=int(x))) for x in rng.integers(0, 2**62, 1200)]
    for name, matrix, ids in (("big", big, big_ids), ("small", small, small_ids)):
        db.create_vector_collection(name, VectorCollectionOptions(8, 1))
        db.put_vectors(name, ids, matrix)
    for name, matrix, ids in (("big", big, big_ids), ("small", small, small_ids)):
        rows = dict(zip(ids, matrix))
        q = rng.standard_normal(8).astype(np.float32)
        assert got(db.search_vectors(name, q, 2000)) == ref_search(1, rows, q, 2000)
