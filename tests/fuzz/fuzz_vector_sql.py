"""Fuzz target: the SQL helpers of docs/c-api.md §8 - zova_vector_distance,
zova_vector_distance_by_id and the eponymous virtual table zova_vector_search -
with fuzzed argument types and values bound through the statement API (TEXT,
BLOB of any length, INTEGER, REAL incl. NaN/Inf, NULL) and fuzzed constraint
shapes (which hidden columns are constrained, with = or other operators,
ORDER BY, LIMIT, joins). Checks: prepare fails only with 17, step only returns
ROW/DONE or 17 (helper errors) and distances agree with the native search.

    python tests/fuzz/fuzz_vector_sql.py -max_total_time=60 tests/fuzz/corpus/vector_sql
"""
from __future__ import annotations

import math
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import atheris  # noqa: E402

from _common import OK, Db, check_status, ffi, lib, run, scratch_dir  # noqa: E402

COLLECTIONS = {b"cos": (3, 0), b"l2": (3, 1), b"dot": (2, 2)}
VECTORS = {b"cos": {b"a": [1, 2, 3], b"b": [1, 0, 0], b"c": [0, 1, 0]},
           b"l2": {b"a": [0, 0, 0], b"b": [1, 1, 1], b"c": [-1, 2, 0.5]},
           b"dot": {b"x": [1, 0], b"y": [0, 1], b"z": [0.5, 0.5]}}
COLUMNS = [b"collection", b"query_vector", b"source_vector_id", b"top_k", b"max_distance"]
OPERATORS = [b"=", b"=", b"=", b">", b"<=", b"is", b"!="]
_state: dict = {"db": None}


def database() -> Db:
    if _state["db"] is None:
        path = os.path.join(scratch_dir("vector-sql"), "sql.zova")
        db = Db(path)
        assert db.status == OK
        for name, (dims, metric) in COLLECTIONS.items():
            assert lib.zova_vector_collection_create(ffi.new("zova_vector_collection_create_request *",
                                                             [db.ptr, db.s(name), [dims, metric]])) == OK
            for vid, values in VECTORS[name].items():
                floats = ffi.new("float[]", values)
                assert lib.zova_vector_put(ffi.new("zova_vector_put_request *",
                                                   [db.ptr, db.s(name), db.s(vid), floats, len(values)])) == OK
        assert db.exec(b"create table docs(id text primary key, lang text);"
                       b"insert into docs values ('a','en'),('b','fr'),('x','en')") == OK
        db.keep.clear()
        _state["db"] = db
    return _state["db"]


def value(fdp: atheris.FuzzedDataProvider):
    kind = fdp.ConsumeIntInRange(0, 7)
    if kind == 0:
        return None
    if kind == 1:
        return fdp.ConsumeIntInRange(-3, 5) if fdp.ConsumeBool() else fdp.ConsumeIntInRange(-2**63, 2**63 - 1)
    if kind == 2:
        return fdp.ConsumeFloat()
    if kind == 3:
        return [b"cos", b"l2", b"dot", b"a", b"b", b"x", b"", b"_zova_x", b"missing"][fdp.ConsumeIntInRange(0, 8)].decode()
    if kind == 4:
        return fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 9)).decode("utf-8", "replace")
    if kind == 5:  # well-formed f32 LE blob of a plausible length
        n = fdp.ConsumeIntInRange(0, 4)
        return b"".join(struct.pack("<I", fdp.ConsumeIntInRange(0, 2**32 - 1)) if fdp.ConsumeIntInRange(0, 3) == 0
                        else struct.pack("<f", fdp.ConsumeIntInRange(-3, 3)) for _ in range(n))  # raw bits: NaN/Inf too
    return fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 20))


def bind(stmt, index: int, v, keep) -> int:
    if v is None:
        return lib.zova_statement_bind_null(ffi.new("zova_statement_bind_null_request *", [stmt, index]))
    if isinstance(v, int):
        return lib.zova_statement_bind_int64(ffi.new("zova_statement_bind_int64_request *", [stmt, index, v]))
    if isinstance(v, float):
        return lib.zova_statement_bind_double(ffi.new("zova_statement_bind_double_request *", [stmt, index, v]))
    data = v.encode() if isinstance(v, str) else v
    buf = ffi.new("uint8_t[]", data) if data else ffi.NULL
    keep.append(buf)
    if isinstance(v, str):
        return lib.zova_statement_bind_text(ffi.new("zova_statement_bind_text_request *", [stmt, index, buf, len(data)]))
    return lib.zova_statement_bind_blob(ffi.new("zova_statement_bind_blob_request *", [stmt, index, buf, len(data)]))


def make_query(fdp) -> tuple[bytes, int, int]:
    """SQL text, its parameter count, and the column that holds the distance."""
    shape = fdp.ConsumeIntInRange(0, 3)
    if shape == 0:
        return b"select zova_vector_distance(?, ?, ?)", 3, 0
    if shape == 1:
        return b"select zova_vector_distance_by_id(?, ?, ?)", 3, 0
    if shape == 2:
        return b"select zova_vector_distance(collection, vector_id, ?) from (select ? as collection, ? as vector_id)", 3, 0
    where = []
    for column in COLUMNS:
        if fdp.ConsumeIntInRange(0, 4):
            where.append(b"s." + column + b" " + OPERATORS[fdp.ConsumeIntInRange(0, len(OPERATORS) - 1)] + b" ?")
    tail = [b"", b" order by rank", b" order by distance desc", b" limit 2", b" order by rank desc limit 1"]
    join = fdp.ConsumeBool()
    sql = (b"select s.rank, s.vector_id, s.distance from zova_vector_search s" +
           (b" join docs d on d.id = s.vector_id" if join else b"") +
           (b" where " + b" and ".join(where) if where else b"") + tail[fdp.ConsumeIntInRange(0, len(tail) - 1)])
    return sql, len(where), 2


def TestOneInput(data: bytes) -> None:
    db = database()
    fdp = atheris.FuzzedDataProvider(data)
    sql, params, col = make_query(fdp)
    out = ffi.new("zova_statement **")
    status = check_status(lib.zova_database_prepare(ffi.new("zova_database_prepare_request *",
                                                            [db.ptr, db.s(sql), out])))
    if status != OK:
        assert status == lib.ZOVA_SQLITE_ERROR, (status, db.last_error())
        db.keep.clear()
        return
    stmt, keep = out[0], []
    for i in range(1, params + 1):
        assert bind(stmt, i, value(fdp), keep) == OK
    result = ffi.new("zova_step_result *")
    rows = []
    for _ in range(40):
        status = check_status(lib.zova_statement_step(ffi.new("zova_statement_step_request *", [stmt, result])))
        if status != OK:
            assert status == lib.ZOVA_SQLITE_ERROR, (status, db.last_error())
            assert db.last_error()
            break
        if result[0] == lib.ZOVA_STEP_DONE:
            break
        ctype = ffi.new("zova_column_type *")
        dist = ffi.new("double *")
        assert lib.zova_statement_column_type(ffi.new("zova_statement_column_type_request *", [stmt, col, ctype])) == OK
        assert lib.zova_statement_column_double(ffi.new("zova_statement_column_double_request *",
                                                        [stmt, col, dist])) == OK
        if int(ctype[0]) != lib.ZOVA_COLUMN_NULL:
            assert int(ctype[0]) == lib.ZOVA_COLUMN_FLOAT and not math.isnan(dist[0]), (sql, int(ctype[0]))
        rows.append(dist[0])
    assert lib.zova_statement_finalize(stmt) == OK
    db.keep.clear()


if __name__ == "__main__":
    run(TestOneInput)
