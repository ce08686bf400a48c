"""Fuzz target: vector collections, rows and the 8 search variants with fuzzed
arguments (docs/c-api.md §2.4, §4.11-§4.13, §7.8, §7.9, Appendix B): dimensions including
0 / 16385, metrics outside 0..2, names and ids from raw bytes (invalid UTF-8,
reserved prefix, > 255 bytes), values and queries with NaN / Inf / zero
norms, candidate lists with duplicates and unknown ids, limits and
thresholds. Every successful search is checked against a Python reference
(distances in double from f32, ordering by (distance, id bytes), limit,
threshold, by-id exclusion, candidate restriction).

    python tests/fuzz/fuzz_vectors.py -max_total_time=60 tests/fuzz/corpus/vectors
"""
from __future__ import annotations

import math
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import atheris  # noqa: E402

from _common import OK, Db, check_status, ffi, lib, run, scratch_dir  # noqa: E402

NAMES = [b"c0", b"c1", b"docs", b"_zova_x", b"", b"\xff", b"x" * 255, b"x" * 256, "\u00e9t\u00e9".encode()]
IDS = [b"a", b"b", b"c", b"d", b"a\xc3\xa9", b"_ZOVA_id", b"", b"\xc0\x80", b"i" * 255, b"i" * 256, b"ab", b"b"]
_state: dict = {"db": None, "count": 0, "dir": None}


def valid_name(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return 1 <= len(raw) <= 255 and not raw[:6].lower() == b"_zova_"


def database() -> Db:
    if _state["db"] is None or _state["count"] >= 250:
        if _state["db"] is not None:
            _state["db"].close()
            os.unlink(_state["path"])
        if _state["dir"] is None:
            _state["dir"] = scratch_dir("vectors")
        _state["path"] = os.path.join(_state["dir"], "vectors.zova")
        _state["db"], _state["count"] = Db(_state["path"]), 0
        _state["colls"] = {}  # name -> (dims, metric, {id: values as f32-rounded floats})
    _state["count"] += 1
    return _state["db"]


def f32(values):
    return [struct.unpack("f", struct.pack("f", v))[0] if math.isfinite(v) and abs(v) < 3.4e38 else v
            for v in values]


def consume_values(fdp, n: int) -> list[float]:
    mode = fdp.ConsumeIntInRange(0, 5)
    if mode == 0:
        return [fdp.ConsumeFloat() for _ in range(n)]  # NaN, Inf, subnormals, huge
    if mode == 1:
        return [0.0] * n
    return [float(fdp.ConsumeIntInRange(-4, 4)) / fdp.ConsumeIntInRange(1, 4) for _ in range(n)]


def pick(fdp, pool: list[bytes]) -> bytes:
    if fdp.ConsumeIntInRange(0, 6) == 0:
        return fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 10)).replace(b"\x00", b"")
    return pool[fdp.ConsumeIntInRange(0, len(pool) - 1)]


def distance(metric: int, q, v) -> float:
    dot = sum(a * b for a, b in zip(q, v))
    if metric == 0:
        return 1.0 - dot / (math.sqrt(sum(a * a for a in q)) * math.sqrt(sum(b * b for b in v)))
    if metric == 1:
        return math.sqrt(sum((a - b) ** 2 for a, b in zip(q, v)))
    return -dot


def f32_ok(values) -> bool:
    return all(math.isfinite(v) and abs(v) <= 3.4028234663852886e38 for v in values)


def op_create(db, fdp):
    name = pick(fdp, NAMES)
    dims = fdp.ConsumeIntInRange(1, 4) if fdp.ConsumeIntInRange(0, 5) else \
        [0, 16384, 16385, 2**32 - 1][fdp.ConsumeIntInRange(0, 3)]
    metric = fdp.ConsumeIntInRange(0, 2) if fdp.ConsumeIntInRange(0, 5) else fdp.ConsumeIntInRange(-2**31, 2**31 - 1)
    status = check_status(lib.zova_vector_collection_create(ffi.new(
        "zova_vector_collection_create_request *", [db.ptr, db.s(name), [dims, metric]])))
    _state.setdefault("log", []).append(("create", name, dims, metric, status))
    if metric not in (0, 1, 2):
        assert status == lib.ZOVA_INVALID_ARGUMENT
    elif not valid_name(name) or not 1 <= dims <= 16384:
        assert status == lib.ZOVA_VECTOR_INVALID
    elif name in _state["colls"]:
        assert status == lib.ZOVA_VECTOR_COLLECTION_EXISTS
    else:
        assert status == OK, db.last_error()
        _state["colls"][name] = (dims, metric, {})


def pick_coll(fdp) -> bytes:
    return pick(fdp, list(_state["colls"]) + NAMES[:3])


def expect_coll(name: bytes, status: int) -> bool:
    """True when the collection-level checks pass; asserts the failure status otherwise."""
    if not valid_name(name):
        assert status == lib.ZOVA_VECTOR_INVALID, status
        return False
    if name not in _state["colls"]:
        assert status == lib.ZOVA_VECTOR_COLLECTION_NOT_FOUND, status
        return False
    return True


def value_error(coll, values) -> int:
    dims, metric, _ = _state["colls"][coll]
    if len(values) != dims:
        return lib.ZOVA_VECTOR_DIMENSION_MISMATCH
    if not f32_ok(values) or (metric == 0 and all(v == 0 for v in f32(values))):
        return lib.ZOVA_VECTOR_INVALID
    return OK


def op_put(db, fdp):
    coll, vid = pick_coll(fdp), pick(fdp, IDS)
    n = fdp.ConsumeIntInRange(0, 5)
    values = consume_values(fdp, n)
    arr = ffi.new("float[]", values) if values else ffi.NULL
    status = check_status(lib.zova_vector_put(ffi.new("zova_vector_put_request *",
                                                      [db.ptr, db.s(coll), db.s(vid), arr, n])))
    if not expect_coll(coll, status):
        return
    if not valid_name(vid):
        assert status == lib.ZOVA_VECTOR_INVALID
        return
    assert status == value_error(coll, values), (status, db.last_error())
    if status == OK:
        _state["colls"][coll][2][vid] = f32(values)


def op_put_many(db, fdp):
    coll = pick_coll(fdp)
    rows = []
    for _ in range(fdp.ConsumeIntInRange(0, 4)):
        n = fdp.ConsumeIntInRange(0, 4)
        rows.append((pick(fdp, IDS), consume_values(fdp, n)))
    arr = ffi.new("zova_vector_input[]", max(len(rows), 1))
    for i, (vid, values) in enumerate(rows):
        floats = ffi.new("float[]", values) if values else ffi.NULL
        db.keep.append(floats)  # the owning cdata must outlive the call
        arr[i].id, arr[i].values, arr[i].values_len = db.s(vid), floats, len(values)
    status = check_status(lib.zova_vector_put_many(ffi.new("zova_vector_put_many_request *",
                                                           [db.ptr, db.s(coll), arr, len(rows)])))
    _state.setdefault("log", []).append(("many", coll, rows, status))
    if not expect_coll(coll, status):
        return
    expected = OK
    for vid, values in rows:
        expected = lib.ZOVA_VECTOR_INVALID if not valid_name(vid) else value_error(coll, values)
        if expected != OK:
            break
    if status != expected:
        info = ffi.new("zova_vector_collection_info *")
        st = lib.zova_vector_collection_info_get(ffi.new("zova_vector_collection_info_get_request *",
                                                         [db.ptr, db.s(coll), info]))
        actual = (st, info.dimensions, info.metric, info.vector_count)
        raise AssertionError((status, expected, coll, rows, _state["colls"][coll][:2],
                              len(_state["colls"][coll][2]), actual,
                              [e for e in _state["log"] if e[1] == coll][-10:], _state["count"]))
    if status == OK:
        for vid, values in rows:
            _state["colls"][coll][2][vid] = f32(values)


def op_get_delete(db, fdp):
    coll, vid = pick_coll(fdp), pick(fdp, IDS)
    if fdp.ConsumeBool():
        out = ffi.new("zova_vector *")
        status = check_status(lib.zova_vector_get(ffi.new("zova_vector_get_request *",
                                                          [db.ptr, db.s(coll), db.s(vid), out])))
        if valid_name(coll) and not valid_name(vid):
            assert status == lib.ZOVA_VECTOR_INVALID
        elif expect_coll(coll, status):
            stored = _state["colls"][coll][2].get(vid)
            if stored is None:
                assert status == lib.ZOVA_VECTOR_NOT_FOUND
            else:
                assert status == OK
                assert ffi.string(out.id, out.id_len) == vid
                assert [out.values[i] for i in range(out.values_len)] == stored
        lib.zova_vector_free(out)
    elif fdp.ConsumeBool():
        status = check_status(lib.zova_vector_delete(ffi.new("zova_vector_delete_request *",
                                                             [db.ptr, db.s(coll), db.s(vid)])))
        if valid_name(coll) and not valid_name(vid):
            assert status == lib.ZOVA_VECTOR_INVALID
        elif expect_coll(coll, status):
            existed = _state["colls"][coll][2].pop(vid, None) is not None
            assert status == (OK if existed else lib.ZOVA_VECTOR_NOT_FOUND)
    else:
        info = ffi.new("zova_vector_collection_list *")
        assert lib.zova_vector_collections_list(ffi.new("zova_vector_collections_list_request *",
                                                        [db.ptr, info])) == OK
        names = [ffi.string(info.items[i].name, info.items[i].name_len) for i in range(info.len)]
        assert names == sorted(_state["colls"])
        for i in range(info.len):
            dims, metric, rows = _state["colls"][names[i]]
            assert (info.items[i].dimensions, info.items[i].metric, info.items[i].vector_count) == \
                (dims, metric, len(rows))
        lib.zova_vector_collection_list_free(info)
        if fdp.ConsumeIntInRange(0, 3) == 0:
            coll = pick_coll(fdp)
            status = check_status(lib.zova_vector_collection_delete(ffi.new(
                "zova_vector_collection_delete_request *", [db.ptr, db.s(coll)])))
            _state.setdefault("log", []).append(("delete", coll, status))
            if expect_coll(coll, status):
                assert status == OK
                del _state["colls"][coll]


def op_search(db, fdp):
    coll = pick_coll(fdp)
    by_id, use_in, within = fdp.ConsumeBool(), fdp.ConsumeBool(), fdp.ConsumeBool()
    limit = fdp.ConsumeIntInRange(0, 5) if fdp.ConsumeIntInRange(0, 7) else 2**64 - 1
    max_distance = fdp.ConsumeFloat() if fdp.ConsumeIntInRange(0, 3) == 0 else fdp.ConsumeIntInRange(-4, 8) / 2
    dims = _state["colls"][coll][0] if coll in _state["colls"] else 2
    n = dims if fdp.ConsumeIntInRange(0, 4) else fdp.ConsumeIntInRange(0, 5)
    query = consume_values(fdp, n)
    source = pick(fdp, IDS)
    candidates = [pick(fdp, IDS) for _ in range(fdp.ConsumeIntInRange(0, 5))]
    out = ffi.new("zova_vector_search_results *")
    name = "zova_vector_search" + ("_by_id" if by_id else "") + ("_in" if use_in else "") + \
        ("_within" if within else "")
    fields = [db.ptr, db.s(coll)]
    if by_id:
        fields.append(db.s(source))
    else:
        qarr = ffi.new("float[]", query) if query else ffi.NULL
        db.keep.append(qarr)
        fields += [qarr, len(query)]
    if use_in:
        ids = ffi.new("const char *[]", [db.s(c) for c in candidates] or [ffi.NULL])
        db.keep.append(ids)
        fields += [ids, len(candidates)]
    if within:
        fields.append(max_distance)
    fields += [limit, out]
    status = check_status(getattr(lib, name)(ffi.new(name + "_request *", fields)))
    if status != OK:
        assert out.items == ffi.NULL and out.len == 0
        assert status in (lib.ZOVA_VECTOR_INVALID, lib.ZOVA_VECTOR_COLLECTION_NOT_FOUND,
                          lib.ZOVA_VECTOR_NOT_FOUND, lib.ZOVA_VECTOR_DIMENSION_MISMATCH), status
        return
    assert valid_name(coll) and coll in _state["colls"]
    dims, metric, rows = _state["colls"][coll]
    if by_id:
        assert source in rows
        q = rows[source]
    else:
        assert value_error(coll, query) == OK
        q = f32(query)
    if within:
        assert math.isfinite(max_distance)
    if use_in:
        assert all(valid_name(c) for c in candidates)
    got = [(out.items[i].distance, ffi.string(out.items[i].id, out.items[i].id_len)) for i in range(out.len)]
    lib.zova_vector_search_results_free(out)
    assert len(got) <= limit
    assert got == sorted(got), got
    pool = {c for c in (candidates if use_in else rows) if c in rows}
    if by_id:
        pool.discard(source)
    reference = {vid: distance(metric, q, rows[vid]) for vid in pool}
    for dist, vid in got:
        assert vid in pool, vid
        assert math.isclose(dist, reference[vid], rel_tol=1e-9, abs_tol=1e-9), (dist, reference[vid])
        if within:
            assert dist <= max_distance
    eligible = [vid for vid, d in reference.items() if not within or d <= max_distance]
    borderline = within and any(abs(d - max_distance) < 1e-9 for d in reference.values())
    if not borderline:
        assert len(got) == min(limit, len(eligible)), (got, eligible)


DAMAGE = [("_zova_vector_collections", ["name", "dimensions", "metric", "element_type"]),
          ("_zova_vectors", ["collection_name", "vector_id", "dimensions", '"values"'])]


def op_damage(db, fdp):
    """Damages private vector rows through SQL (CHECK constraints off), then
    runs every read and search: only defined statuses, and any result list is
    still sorted, within its limit and made of stored ids."""
    if not any(rows for _, _, rows in _state["colls"].values()):  # something to damage
        metric = fdp.ConsumeIntInRange(0, 2)
        assert lib.zova_vector_collection_create(ffi.new("zova_vector_collection_create_request *",
                                                         [db.ptr, db.s(b"dmg"), [2, metric]])) == OK
        _state["colls"][b"dmg"] = (2, metric, {})
        for vid, values in ((b"a", [1.0, 2.0]), (b"b", [-1.0, 0.5]), (b"c", [0.25, 4.0])):
            floats = ffi.new("float[]", values)
            assert lib.zova_vector_put(ffi.new("zova_vector_put_request *",
                                               [db.ptr, db.s(b"dmg"), db.s(vid), floats, 2])) == OK
            _state["colls"][b"dmg"][2][vid] = values
    assert db.exec(b"pragma ignore_check_constraints = 1") == OK
    keep: list = []
    for _ in range(fdp.ConsumeIntInRange(1, 3)):
        table, columns = DAMAGE[fdp.ConsumeIntInRange(0, len(DAMAGE) - 1)]
        column = columns[fdp.ConsumeIntInRange(0, len(columns) - 1)]
        sql = f"update {table} set {column} = ?2 where rowid in (select rowid from {table} limit 1 offset ?1)"
        out = ffi.new("zova_statement **")
        assert lib.zova_database_prepare(ffi.new("zova_database_prepare_request *",
                                                 [db.ptr, db.s(sql.encode()), out])) == OK
        stmt = out[0]
        lib.zova_statement_bind_int64(ffi.new("zova_statement_bind_int64_request *",
                                              [stmt, 1, fdp.ConsumeIntInRange(0, 5)]))
        kind = fdp.ConsumeIntInRange(0, 4)
        if kind == 0:
            lib.zova_statement_bind_null(ffi.new("zova_statement_bind_null_request *", [stmt, 2]))
        elif kind == 1:
            value = fdp.ConsumeIntInRange(-3, 20) if fdp.ConsumeBool() else fdp.ConsumeIntInRange(-2**63, 2**63 - 1)
            lib.zova_statement_bind_int64(ffi.new("zova_statement_bind_int64_request *", [stmt, 2, value]))
        else:
            data = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 24))
            if kind == 4:
                data = [b"cosine", b"l2", b"dot", b"f32", b"f64", b"COSINE"][fdp.ConsumeIntInRange(0, 5)]
            buf = ffi.new("uint8_t[]", data) if data else ffi.NULL
            keep.append(buf)
            name = "zova_statement_bind_blob" if kind == 2 else "zova_statement_bind_text"
            getattr(lib, name)(ffi.new(name + "_request *", [stmt, 2, buf, len(data)]))
        result = ffi.new("zova_step_result *")
        check_status(lib.zova_statement_step(ffi.new("zova_statement_step_request *", [stmt, result])))
        assert lib.zova_statement_finalize(stmt) == OK
    _state["count"] = 10**9  # the model no longer holds: fresh database for the next input
    listing = ffi.new("zova_vector_collection_list *")
    check_status(lib.zova_vector_collections_list(ffi.new("zova_vector_collections_list_request *",
                                                          [db.ptr, listing])))
    lib.zova_vector_collection_list_free(listing)
    names = list(_state["colls"]) + [b"c0"]
    for coll in names[:4]:
        info = ffi.new("zova_vector_collection_info *")
        check_status(lib.zova_vector_collection_info_get(ffi.new("zova_vector_collection_info_get_request *",
                                                                 [db.ptr, db.s(coll), info])))
        lib.zova_vector_collection_info_free(info)
        dims = _state["colls"].get(coll, (2,))[0]
        for vid in list(_state["colls"].get(coll, (0, 0, {}))[2])[:3] + [b"a"]:
            vec = ffi.new("zova_vector *")
            status = check_status(lib.zova_vector_get(ffi.new("zova_vector_get_request *",
                                                              [db.ptr, db.s(coll), db.s(vid), vec])))
            if status == OK:
                assert vec.values_len >= 1 and all(math.isfinite(vec.values[i]) for i in range(vec.values_len))
            lib.zova_vector_free(vec)
            results = ffi.new("zova_vector_search_results *")
            limit = fdp.ConsumeIntInRange(0, 6)
            status = check_status(lib.zova_vector_search_by_id(ffi.new(
                "zova_vector_search_by_id_request *", [db.ptr, db.s(coll), db.s(vid), limit, results])))
            check_results(results, limit, status)
        query = ffi.new("float[]", [1.0] * dims)
        for width in (dims, dims + 1):
            results = ffi.new("zova_vector_search_results *")
            limit = fdp.ConsumeIntInRange(0, 6)
            status = check_status(lib.zova_vector_search(ffi.new(
                "zova_vector_search_request *", [db.ptr, db.s(coll), query, min(width, dims), limit, results])))
            check_results(results, limit, status)
        status = check_status(lib.zova_vector_collection_delete(ffi.new(
            "zova_vector_collection_delete_request *", [db.ptr, db.s(coll)]))) if fdp.ConsumeBool() else OK
    del keep


def check_results(results, limit: int, status: int) -> None:
    got = [(results.items[i].distance, ffi.string(results.items[i].id, results.items[i].id_len))
           for i in range(results.len)]
    if status != OK:
        assert results.items == ffi.NULL and results.len == 0
    else:
        assert len(got) <= limit and got == sorted(got)
        assert all(not math.isnan(d) for d, _ in got)
    lib.zova_vector_search_results_free(results)


def op_transaction(db, fdp):
    """Rows and collections changed inside BEGIN / SAVEPOINT are seen by
    searches in the same transaction (the cached matrix plus an overlay of the
    uncommitted rows) and vanish again on rollback."""
    snapshot = {name: (d, m, dict(rows)) for name, (d, m, rows) in _state["colls"].items()}
    savepoint = fdp.ConsumeBool()
    if fdp.ConsumeBool():
        op_search(db, fdp)  # warm the cache before the transaction
    assert db.exec(b"savepoint fz" if savepoint else b"begin") == OK
    inner = [op_create, op_put, op_put, op_put_many, op_get_delete, op_search, op_search]
    for _ in range(fdp.ConsumeIntInRange(1, 8)):
        inner[fdp.ConsumeIntInRange(0, len(inner) - 1)](db, fdp)
    if fdp.ConsumeBool():
        assert db.exec(b"release fz" if savepoint else b"commit") == OK
    else:
        assert db.exec(b"rollback to fz; release fz" if savepoint else b"rollback") == OK
        _state["colls"] = snapshot
    op_search(db, fdp)


OPS = [op_create, op_put, op_put, op_put_many, op_get_delete, op_search, op_search, op_search, op_transaction,
       op_transaction, op_damage]


def TestOneInput(data: bytes) -> None:
    db = database()
    fdp = atheris.FuzzedDataProvider(data)
    for _ in range(fdp.ConsumeIntInRange(1, 10)):
        op = OPS[fdp.ConsumeIntInRange(0, len(OPS) - 1)]
        op(db, fdp)
        if op is op_damage:
            break
    db.keep.clear()


if __name__ == "__main__":
    run(TestOneInput)
