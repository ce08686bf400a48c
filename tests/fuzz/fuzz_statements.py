"""Fuzz target: random SQL text and binds through prepare / bind / step /
column / reset / exec (docs/c-api.md §4.4, §4.7). Half of the inputs build SQL from a
token list (tables, Zova's private tables, the vector SQL helpers, parameters),
the other half pass raw bytes. Checks: only defined statuses, out_statement
NULL exactly on failure, step results ROW/DONE, column_name range rule, text
and blob protocol B, and that the handle closes cleanly (no leaked children).

    python tests/fuzz/fuzz_statements.py -max_total_time=60 tests/fuzz/corpus/statements
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import atheris  # noqa: E402

from _common import OK, Db, check_status, ffi, lib, run, scratch_dir  # noqa: E402

TOKENS = [
    b"select", b"from", b"where", b"insert into", b"values", b"update", b"set", b"delete from", b"create table",
    b"create index", b"drop table", b"begin", b"begin immediate", b"commit", b"rollback", b"savepoint", b"release",
    b"t1", b"t2", b"_zova_objects", b"_zova_chunks", b"_zova_object_chunks", b"_zova_vectors",
    b"_zova_vector_collections", b"_zova_meta", b"sqlite_master", b"a", b"b", b"c", b"rowid", b"?", b"?1", b"?2",
    b"?999", b":x", b"@y", b"$z", b"0", b"1", b"-1", b"2.5", b"9223372036854775807", b"1e308", b"'x'", b"''",
    b"x'00ff'", b"x''", b"NULL", b"(", b")", b",", b"*", b"+", b"-", b"/", b"%", b"||", b"=", b"<", b">", b"is",
    b"not", b"and", b"or", b"order by", b"limit", b"offset", b"group by", b"having", b"union", b"union all",
    b"join", b"on", b"as", b"cast(", b"integer", b"real", b"text", b"blob", b"length(", b"hex(", b"substr(",
    b"abs(", b"typeof(", b"json(", b"json_extract(", b"char(", b"unicode(", b"count(", b"sum(", b"max(",
    b"zova_vector_distance(", b"zova_vector_distance_by_id(", b"zova_vector_search", b"collection",
    b"query_vector", b"source_vector_id", b"top_k", b"max_distance", b"rank", b"vector_id", b"distance",
    b"'coll'", b"'v1'", b"'v2'", b"x'0000803f00000000'", b"x'0000803f'", b";", b"--", b"/*", b"*/",
    b"pragma quick_check", b"pragma table_info(", b"explain", b"distinct", b"case when", b"then", b"else", b"end",
    b"in", b"between", b"like", b"glob", b"exists", b"with", b"default", b"primary key", b"unique", b"check(",
    b"returning", b"upsert", b"on conflict do nothing", b"replace", b"\xff", b"\x00", b"\xc3\xa9",
]

_state = {"db": None, "count": 0, "dir": None}


def database() -> Db:
    if _state["db"] is None or _state["count"] >= 300:
        if _state["db"] is not None:
            _state["db"].close()
            os.unlink(_state["path"])
        if _state["dir"] is None:
            _state["dir"] = scratch_dir("statements")
            os.chdir(_state["dir"])  # ATTACH / VACUUM INTO from fuzzed SQL land here
        _state["path"] = os.path.join(_state["dir"], "statements.zova")
        db = Db(_state["path"])
        assert db.status == OK
        assert db.exec(b"create table t1(a, b, c); create table t2(a integer primary key, b text unique);"
                       b"insert into t1 values (1, 'one', x'01'), (2.5, NULL, 'z');"
                       b"insert into t2 values (1, 'a'), (2, 'b')") == OK
        coll = ffi.new("zova_vector_collection_create_request *", [db.ptr, db.s(b"coll"), [2, 1]])
        assert lib.zova_vector_collection_create(coll) == OK
        for vid, values in ((b"v1", [1.0, 0.0]), (b"v2", [0.0, 1.0])):
            floats = ffi.new("float[]", values)
            put = ffi.new("zova_vector_put_request *", [db.ptr, db.s(b"coll"), db.s(vid), floats, 2])
            assert lib.zova_vector_put(put) == OK
        db.keep.clear()
        _state["db"], _state["count"] = db, 0
    _state["count"] += 1
    return _state["db"]


def make_sql(fdp: atheris.FuzzedDataProvider) -> bytes:
    if fdp.ConsumeBool():
        return fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 400))
    parts = []
    for _ in range(fdp.ConsumeIntInRange(1, 40)):
        if fdp.ConsumeIntInRange(0, 9) == 0:
            parts.append(fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 8)))
        else:
            parts.append(TOKENS[fdp.ConsumeIntInRange(0, len(TOKENS) - 1)])
    return b" ".join(parts)


def bind_some(fdp, stmt, keep) -> None:
    for _ in range(fdp.ConsumeIntInRange(0, 5)):
        index = fdp.ConsumeIntInRange(-1, 6)
        kind = fdp.ConsumeIntInRange(0, 4)
        if kind == 0:
            status = lib.zova_statement_bind_null(ffi.new("zova_statement_bind_null_request *", [stmt, index]))
        elif kind == 1:
            value = fdp.ConsumeIntInRange(-2**63, 2**63 - 1)
            status = lib.zova_statement_bind_int64(ffi.new("zova_statement_bind_int64_request *",
                                                           [stmt, index, value]))
        elif kind == 2:
            status = lib.zova_statement_bind_double(ffi.new("zova_statement_bind_double_request *",
                                                            [stmt, index, fdp.ConsumeRegularFloat()
                                                             if fdp.ConsumeBool() else fdp.ConsumeFloat()]))
        else:
            data = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 64))
            buf = ffi.new("uint8_t[]", data) if data else (ffi.NULL if fdp.ConsumeBool() else ffi.new("uint8_t[1]"))
            keep.append(buf)
            if kind == 3:
                status = lib.zova_statement_bind_text(ffi.new("zova_statement_bind_text_request *",
                                                              [stmt, index, buf, len(data)]))
            else:
                status = lib.zova_statement_bind_blob(ffi.new("zova_statement_bind_blob_request *",
                                                              [stmt, index, buf, len(data)]))
        check_status(status)
        if index < 1:
            assert status != OK


def read_columns(stmt) -> None:
    count = ffi.new("int *", -7)
    assert lib.zova_statement_column_count(ffi.new("zova_statement_column_count_request *", [stmt, count])) == OK
    n = count[0]
    assert n >= 0
    text, buf, name = ffi.new("zova_text *"), ffi.new("zova_buffer *"), ffi.new("zova_text *")
    ctype, i64, dbl = ffi.new("zova_column_type *"), ffi.new("int64_t *"), ffi.new("double *")
    for index in (-1, *range(n), n, 2**31 - 1):
        status = lib.zova_statement_column_name(ffi.new("zova_statement_column_name_request *", [stmt, index, name]))
        if 0 <= index < n:
            assert status == OK and name.data != ffi.NULL
            assert len(ffi.string(name.data)) <= name.len
        else:
            assert status == lib.ZOVA_MISUSE and name.data == ffi.NULL
        assert lib.zova_statement_column_type(ffi.new("zova_statement_column_type_request *",
                                                      [stmt, index, ctype])) == OK
        assert 1 <= int(ctype[0]) <= 5
        is_null = int(ctype[0]) == lib.ZOVA_COLUMN_NULL
        assert lib.zova_statement_column_int64(ffi.new("zova_statement_column_int64_request *",
                                                       [stmt, index, i64])) == OK
        assert lib.zova_statement_column_double(ffi.new("zova_statement_column_double_request *",
                                                        [stmt, index, dbl])) == OK
        assert lib.zova_statement_column_text(ffi.new("zova_statement_column_text_request *",
                                                      [stmt, index, text])) == OK
        assert (text.data == ffi.NULL) == is_null
        if text.data != ffi.NULL:
            assert text.data[text.len] == b"\x00"
        assert lib.zova_statement_column_blob(ffi.new("zova_statement_column_blob_request *",
                                                      [stmt, index, buf])) == OK
        assert (buf.data == ffi.NULL) == (buf.len == 0)
        if buf.len:
            bytes(ffi.buffer(buf.data, buf.len))
    lib.zova_text_free(text)
    lib.zova_text_free(name)
    lib.zova_buffer_free(buf)


def TestOneInput(data: bytes) -> None:
    db = database()
    fdp = atheris.FuzzedDataProvider(data)
    keep: list = []
    for _ in range(fdp.ConsumeIntInRange(1, 3)):
        sql = make_sql(fdp)
        if fdp.ConsumeIntInRange(0, 4) == 0:
            db.exec(sql)
            continue
        out = ffi.new("zova_statement **", ffi.cast("zova_statement *", 1))
        status = check_status(lib.zova_database_prepare(
            ffi.new("zova_database_prepare_request *", [db.ptr, db.s(sql), out])))
        stmt = out[0]
        if status != OK:
            assert stmt == ffi.NULL
            assert db.last_error()
            continue
        assert stmt != ffi.NULL
        pcount = ffi.new("int *")
        assert lib.zova_statement_parameter_count(
            ffi.new("zova_statement_parameter_count_request *", [stmt, pcount])) == OK
        pindex = ffi.new("int *")
        assert lib.zova_statement_parameter_index(ffi.new(
            "zova_statement_parameter_index_request *", [stmt, db.s(fdp.ConsumeBytes(4)), pindex])) == OK
        assert 0 <= pindex[0] <= pcount[0]
        bind_some(fdp, stmt, keep)
        result = ffi.new("zova_step_result *")
        for _ in range(fdp.ConsumeIntInRange(0, 6)):
            status = check_status(lib.zova_statement_step(ffi.new("zova_statement_step_request *", [stmt, result])))
            if status == OK:
                assert int(result[0]) in (lib.ZOVA_STEP_ROW, lib.ZOVA_STEP_DONE)
                read_columns(stmt)
            if fdp.ConsumeIntInRange(0, 3) == 0:
                check_status(lib.zova_statement_reset(stmt))
            if fdp.ConsumeIntInRange(0, 5) == 0:
                assert lib.zova_statement_clear_bindings(stmt) == OK
                bind_some(fdp, stmt, keep)
        read_columns(stmt)
        assert lib.zova_statement_finalize(stmt) == OK
    db.keep.clear()
    # leave no transaction behind for the next input
    lib.zova_database_rollback(ffi.new("zova_database_simple_request *", [db.ptr]))


if __name__ == "__main__":
    run(TestOneInput)
