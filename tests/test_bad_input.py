"""Table-driven bad-input tests over every function of include/zova.h, called
through cffi: NULL request, NULL handle, each required NULL pointer, NULL
pointer with a non-zero length, huge lengths the C API rejects before reading,
invalid UTF-8 / NUL-containing / reserved strings, and the child-handle close
rules. Statuses are those of docs/c-api.md §5.1 (pointer and length rules), §5.2
(output protocols), §5.5 (last error), §6.3 (check order) and §7 (per-function
tables). The table must name every function declared in the header.
"""
from __future__ import annotations

import hashlib
import math
import struct
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from zova._native import ffi, lib

from conftest import NativeDb
from zova_fixtures import header_functions

SIZE_MAX = 2**64 - 1
SENTINEL_SQL = "select * from sentinel_missing_table"
SENTINEL_MESSAGE = "no such table: sentinel_missing_table"


@dataclass
class Row:
    """One function of the ABI.

    kind: "request" (takes `const X_request *` with a handle field), "message"
    (request without handle; diagnostics via out_error_message), "direct" (takes
    a handle pointer), "pure" (id helpers), "static" (version, status name, last
    error text; never fail), "free" (NULL-safe void free functions), "cancel"
    (the cancellation tokens of docs/c-api.md §4.15, NULL-tolerant by design).
    required: pointer fields whose NULL gives INVALID_ARGUMENT(1), in check order.
    pairs: (pointer field, length field) pairs where NULL with len > 0 gives 1.
    """
    kind: str
    request: str = ""
    handle: str = ""
    required: list[str] = field(default_factory=list)
    pairs: list[tuple[str, str]] = field(default_factory=list)


def R(request: str, handle: str = "db", required=(), pairs=()) -> Row:
    return Row("request", request, handle, list(required), list(pairs))


SEARCH_Q = [("query", "query_len")]
SEARCH_IN = [("query", "query_len"), ("candidate_ids", "candidate_count")]

# docs/c-api.md §7, one row per exported function (the 91 of upstream, zova_object_put_many,
# zova_vector_search_batch, the 5 cancellation functions of docs/c-api.md §4.15 and the 5
# vector index functions of §4.17).
TABLE: dict[str, Row] = {
    # §7.1
    "zova_abi_version_major": Row("static"),
    "zova_abi_version_minor": Row("static"),
    "zova_abi_version_patch": Row("static"),
    "zova_abi_version_string": Row("static"),
    "zova_status_name": Row("static"),
    "zova_database_last_error_message": Row("static"),
    "zova_buffer_free": Row("free", "zova_buffer"),
    "zova_message_free": Row("free", "zova_message"),
    "zova_text_free": Row("free", "zova_text"),
    "zova_object_manifest_free": Row("free", "zova_object_manifest"),
    "zova_vector_free": Row("free", "zova_vector"),
    "zova_vector_search_results_free": Row("free", "zova_vector_search_results"),
    "zova_vector_collection_info_free": Row("free", "zova_vector_collection_info"),
    "zova_vector_collection_list_free": Row("free", "zova_vector_collection_list"),
    "zova_cancel_create": Row("cancel"),
    "zova_cancel_request": Row("cancel"),
    "zova_cancel_requested": Row("cancel"),
    "zova_cancel_free": Row("cancel"),
    "zova_thread_set_cancel": Row("cancel"),
    "zova_object_id_from_bytes": Row("pure", "zova_object_id"),
    "zova_object_chunk_id_from_bytes": Row("pure", "zova_object_chunk_id"),
    # §7.2
    "zova_database_create": Row("message", "zova_database_open_request", required=["out_db", "path"]),
    "zova_database_open": Row("message", "zova_database_open_request", required=["out_db", "path"]),
    "zova_database_open_with_options": Row("message", "zova_database_open_options_request",
                                           required=["out_db", "path"]),
    "zova_database_close": Row("direct", "zova_database"),
    # §7.3
    "zova_database_exec": R("zova_database_exec_request", required=["sql"]),
    "zova_database_set_busy_timeout": R("zova_database_busy_timeout_request"),
    "zova_database_last_insert_rowid": R("zova_database_last_insert_rowid_request", required=["out_rowid"]),
    "zova_database_changes": R("zova_database_changes_request", required=["out_changes"]),
    "zova_database_total_changes": R("zova_database_total_changes_request", required=["out_total_changes"]),
    "zova_database_begin": R("zova_database_simple_request"),
    "zova_database_begin_immediate": R("zova_database_simple_request"),
    "zova_database_commit": R("zova_database_simple_request"),
    "zova_database_rollback": R("zova_database_simple_request"),
    "zova_database_savepoint": R("zova_database_savepoint_request", required=["name"]),
    "zova_database_rollback_to_savepoint": R("zova_database_savepoint_request", required=["name"]),
    "zova_database_release_savepoint": R("zova_database_savepoint_request", required=["name"]),
    "zova_database_vacuum": R("zova_database_simple_request"),
    # §7.4
    "zova_database_backup": R("zova_database_backup_request", required=["destination_path"]),
    "zova_database_compact": R("zova_database_compact_request", required=["destination_path"]),
    "zova_database_restore": Row("message", "zova_database_restore_request",
                                 required=["source_path", "destination_path"]),
    "zova_convert_sqlite_to_zova": Row("message", "zova_convert_sqlite_to_zova_request",
                                       required=["source_path", "dest_path"]),
    # §7.5
    "zova_database_prepare": R("zova_database_prepare_request", required=["sql", "out_statement"]),
    "zova_statement_finalize": Row("direct", "zova_statement"),
    "zova_statement_step": R("zova_statement_step_request", "statement", ["out_result"]),
    "zova_statement_reset": Row("direct", "zova_statement"),
    "zova_statement_clear_bindings": Row("direct", "zova_statement"),
    "zova_statement_bind_null": R("zova_statement_bind_null_request", "statement"),
    "zova_statement_bind_int64": R("zova_statement_bind_int64_request", "statement"),
    "zova_statement_bind_double": R("zova_statement_bind_double_request", "statement"),
    "zova_statement_bind_text": R("zova_statement_bind_text_request", "statement", pairs=[("data", "len")]),
    "zova_statement_bind_blob": R("zova_statement_bind_blob_request", "statement", pairs=[("data", "len")]),
    "zova_statement_parameter_count": R("zova_statement_parameter_count_request", "statement", ["out_count"]),
    "zova_statement_parameter_index": R("zova_statement_parameter_index_request", "statement",
                                        ["name", "out_index"]),
    "zova_statement_column_count": R("zova_statement_column_count_request", "statement", ["out_count"]),
    "zova_statement_column_name": R("zova_statement_column_name_request", "statement", ["out_name"]),
    "zova_statement_column_type": R("zova_statement_column_type_request", "statement", ["out_type"]),
    "zova_statement_column_int64": R("zova_statement_column_int64_request", "statement", ["out_value"]),
    "zova_statement_column_double": R("zova_statement_column_double_request", "statement", ["out_value"]),
    "zova_statement_column_text": R("zova_statement_column_text_request", "statement", ["out_text"]),
    "zova_statement_column_blob": R("zova_statement_column_blob_request", "statement", ["out_buffer"]),
    # §7.6
    "zova_object_put": R("zova_object_put_request", required=["out_id"], pairs=[("data", "len")]),
    "zova_object_put_many": R("zova_object_put_many_request", required=["out_ids", "data", "lens"]),
    "zova_object_get": R("zova_object_get_request", required=["out_buffer"]),
    "zova_object_read_range": R("zova_object_read_range_request", required=["out_copied"],
                                pairs=[("buffer", "buffer_len")]),
    "zova_object_delete": R("zova_object_delete_request"),
    "zova_object_exists": R("zova_object_exists_request", required=["out_exists"]),
    "zova_object_size": R("zova_object_size_request", required=["out_size"]),
    "zova_object_chunk_count": R("zova_object_chunk_count_request", required=["out_count"]),
    "zova_object_manifest_get": R("zova_object_manifest_get_request", required=["out_manifest"]),
    "zova_object_chunk_get": R("zova_object_chunk_get_request", required=["out_buffer"]),
    "zova_object_chunk_put": R("zova_object_chunk_put_request", pairs=[("data", "len")]),
    "zova_object_chunk_delete": R("zova_object_chunk_delete_request", required=["out_deleted"]),
    "zova_object_assemble_from_chunks": R("zova_object_assemble_from_chunks_request",
                                          pairs=[("chunks", "chunk_count")]),
    # §7.7
    "zova_object_writer_create": R("zova_object_writer_create_request", required=["out_writer"]),
    "zova_object_writer_write": R("zova_object_writer_write_request", "writer", pairs=[("data", "len")]),
    "zova_object_writer_finish": R("zova_object_writer_finish_request", "writer", ["out_id"]),
    "zova_object_writer_cancel": R("zova_object_writer_cancel_request", "writer"),
    "zova_object_writer_destroy": Row("direct", "zova_object_writer"),
    # §7.8
    "zova_vector_collection_create": R("zova_vector_collection_create_request", required=["name"]),
    "zova_vector_collection_exists": R("zova_vector_collection_exists_request", required=["name", "out_exists"]),
    "zova_vector_collection_info_get": R("zova_vector_collection_info_get_request",
                                         required=["name", "out_info"]),
    "zova_vector_collections_list": R("zova_vector_collections_list_request", required=["out_list"]),
    "zova_vector_collection_delete": R("zova_vector_collection_delete_request", required=["name"]),
    "zova_vector_put": R("zova_vector_put_request", required=["collection_name", "vector_id"],
                         pairs=[("values", "values_len")]),
    "zova_vector_put_many": R("zova_vector_put_many_request", required=["collection_name"],
                              pairs=[("vectors", "vectors_len")]),
    "zova_vector_get": R("zova_vector_get_request", required=["collection_name", "vector_id", "out_vector"]),
    "zova_vector_exists": R("zova_vector_exists_request", required=["collection_name", "vector_id", "out_exists"]),
    "zova_vector_delete": R("zova_vector_delete_request", required=["collection_name", "vector_id"]),
    # §7.9
    "zova_vector_search": R("zova_vector_search_request", required=["collection_name", "out_results"],
                            pairs=SEARCH_Q),
    "zova_vector_search_within": R("zova_vector_search_within_request",
                                   required=["collection_name", "out_results"], pairs=SEARCH_Q),
    "zova_vector_search_in": R("zova_vector_search_in_request", required=["collection_name", "out_results"],
                               pairs=SEARCH_IN),
    "zova_vector_search_in_within": R("zova_vector_search_in_within_request",
                                      required=["collection_name", "out_results"], pairs=SEARCH_IN),
    "zova_vector_search_by_id": R("zova_vector_search_by_id_request",
                                  required=["collection_name", "source_vector_id", "out_results"]),
    "zova_vector_search_by_id_within": R("zova_vector_search_by_id_within_request",
                                         required=["collection_name", "source_vector_id", "out_results"]),
    "zova_vector_search_by_id_in": R("zova_vector_search_by_id_in_request",
                                     required=["collection_name", "source_vector_id", "out_results"],
                                     pairs=[("candidate_ids", "candidate_count")]),
    "zova_vector_search_by_id_in_within": R("zova_vector_search_by_id_in_within_request",
                                            required=["collection_name", "source_vector_id", "out_results"],
                                            pairs=[("candidate_ids", "candidate_count")]),
    # additions
    "zova_vector_search_batch": R("zova_vector_search_batch_request", required=["collection_name", "out_results"],
                                  pairs=[("queries", "query_count"), ("candidate_ids", "candidate_count")]),
    "zova_vector_index_create": R("zova_vector_index_create_request", required=["collection_name"]),
    "zova_vector_index_drop": R("zova_vector_index_request", required=["collection_name"]),
    "zova_vector_index_rebuild": R("zova_vector_index_request", required=["collection_name"]),
    "zova_vector_index_info_get": R("zova_vector_index_info_get_request", required=["collection_name", "out_info"]),
    "zova_vector_index_search": R("zova_vector_index_search_request", required=["collection_name", "out_results"],
                                  pairs=SEARCH_IN),
}

REQUEST_ROWS = sorted(name for name, row in TABLE.items() if row.kind == "request")
MESSAGE_ROWS = sorted(name for name, row in TABLE.items() if row.kind == "message")
REQUIRED_CASES = [(name, f) for name, row in sorted(TABLE.items()) if row.kind == "request" for f in row.required]
MESSAGE_REQUIRED_CASES = [(name, f) for name in MESSAGE_ROWS for f in TABLE[name].required]
PAIR_CASES = [(name, p, n) for name, row in sorted(TABLE.items()) for p, n in row.pairs]


def test_table_covers_every_header_function_5_1():
    """A function added to include/zova.h without a row here fails this test."""
    declared = header_functions()
    assert len(declared) == 103, declared
    assert len(set(declared)) == 103
    assert sorted(declared) == sorted(TABLE), set(declared) ^ set(TABLE)
    for name in declared:
        assert hasattr(lib, name), name


def test_table_request_types_and_fields_exist_3_3():
    for name, row in TABLE.items():
        if row.kind in ("request", "message"):
            fields = dict(ffi.typeof(row.request).fields)
            for f in row.required + [p for pair in row.pairs for p in pair] + ([row.handle] if row.handle else []):
                assert f in fields, (name, f)


# ---- the environment every row runs in ----

class Env:
    """An open database holding a collection `coll` (dims 2, l2, indexed) with vectors
    v1, v2, one stored object, a prepared statement with two parameters and
    an open object writer; keeps every cffi allocation alive."""

    def __init__(self, tmp_path: Path):
        self.tmp = tmp_path
        self.native = NativeDb(str(tmp_path / "env.zova"))
        self.db = self.native.ptr
        self.keep: list = []
        assert self.native.exec("create table t(a, b)") == 0
        assert self.call("zova_vector_collection_create", name=self.s("coll"),
                         options={"dimensions": 2, "metric": 1}) == 0
        for vid, values in (("v1", [1.0, 0.0]), ("v2", [0.0, 1.0])):
            assert self.call("zova_vector_put", collection_name=self.s("coll"), vector_id=self.s(vid),
                             values=self.floats(values), values_len=2) == 0
        # an index on coll, so approximate search reaches its argument checks
        assert self.call("zova_vector_index_create", collection_name=self.s("coll")) == 0
        self.object_bytes = b"hello zova object"
        out_id = ffi.new("zova_object_id *")
        assert self.call("zova_object_put", data=self.b(self.object_bytes), len=len(self.object_bytes),
                         out_id=out_id) == 0
        self.object_id = bytes(out_id[0].bytes)
        status, self.statement = self.native.prepare("select :a, ?2, 'x' as c")
        assert status == 0
        out_writer = ffi.new("zova_object_writer **")
        assert self.call("zova_object_writer_create", out_writer=out_writer) == 0
        self.writer = out_writer[0]

    def close(self):
        lib.zova_statement_finalize(self.statement)
        lib.zova_object_writer_destroy(self.writer)
        assert self.native.close() == 0

    # allocation helpers (kept alive for the test's duration)
    def s(self, text) -> object:
        value = ffi.new("char[]", text if isinstance(text, bytes) else text.encode())
        self.keep.append(value)
        return value

    def b(self, data: bytes):
        value = ffi.new("uint8_t[]", max(len(data), 1))
        ffi.memmove(value, data, len(data))
        self.keep.append(value)
        return value

    def floats(self, values):
        value = ffi.new("float[]", list(values) or [0.0])
        self.keep.append(value)
        return value

    def strings(self, items):
        cells = [self.s(item) for item in items]
        value = ffi.new("const char *[]", cells or [ffi.NULL])
        self.keep.append(value)
        return value

    def set_sentinel_error(self):
        assert self.native.exec(SENTINEL_SQL) == lib.ZOVA_SQLITE_ERROR
        assert self.native.last_error() == SENTINEL_MESSAGE

    def handle_for(self, row: Row):
        return {"db": self.db, "statement": self.statement, "writer": self.writer}[row.handle]

    # a request with every field filled with something valid
    def baseline(self, name: str) -> dict:
        row = TABLE[name]
        values: dict = {}
        for fname, fdesc in ffi.typeof(row.request).fields:
            ctype = fdesc.type
            if fname == row.handle:
                values[fname] = self.handle_for(row)
            elif fname in ("path", "source_path"):
                values[fname] = self.s(str(self.tmp / "env.zova"))
            elif fname in ("destination_path", "dest_path"):
                values[fname] = self.s(str(self.tmp / "fresh_destination.zova"))
            elif fname == "sql":
                values[fname] = self.s("select 1")
            elif fname == "name" and name.startswith("zova_database"):
                values[fname] = self.s("sp")
            elif fname == "name" and name.startswith("zova_statement"):
                values[fname] = self.s(":a")
            elif fname in ("name", "collection_name"):
                values[fname] = self.s("coll")
            elif fname in ("vector_id", "source_vector_id"):
                values[fname] = self.s("v1")
            elif fname in ("query", "values"):
                values[fname] = self.floats([0.5, 0.5])
                values[fname + "_len"] = 2
            elif fname == "queries":
                values[fname] = self.floats([0.5, 0.5])
                values["query_count"], values["query_len"] = 1, 2
            elif fname == "candidate_ids":
                values[fname] = self.strings(["v1", "v2"])
                values["candidate_count"] = 2
            elif fname == "vectors":
                rows = ffi.new("zova_vector_input[]", 1)
                rows[0].id = self.s("v3")
                rows[0].values = self.floats([0.25, 0.75])
                rows[0].values_len = 2
                self.keep.append(rows)
                values["vectors"], values["vectors_len"] = rows, 1
            elif fname == "chunks":
                chunks = ffi.new("zova_object_manifest_chunk[]", 1)
                self.keep.append(chunks)
                values["chunks"], values["chunk_count"] = chunks, 1
            elif name == "zova_object_put_many" and fname == "data":
                values["data"] = ffi.new("const uint8_t *[]", [self.b(b"many")])
                values["lens"] = ffi.new("size_t[]", [4])
                values["count"] = 1
                self.keep += [values["data"], values["lens"]]
            elif fname in ("data", "buffer"):
                values[fname] = self.b(b"abc")
                values["len" if fname == "data" else "buffer_len"] = 3
            elif fname in ("id", "hash", "expected_hash"):
                values[fname] = {"bytes": list(self.object_id)}
            elif fname.startswith("out_"):
                target = ffi.new(ctype.item.cname + ("[1]" if fname == "out_ids" else "*"))
                self.keep.append(target)
                values[fname] = target
            elif fname == "limit":
                values[fname] = 5
            elif fname == "max_distance":
                values[fname] = 10.0
            elif fname == "index" and values.get(row.handle) is not None:
                values[fname] = 1
        return values

    def build(self, function: str, **overrides):
        row = TABLE[function]
        values = self.baseline(function)
        values.update(overrides)
        request = ffi.new(row.request + " *")
        for key, value in values.items():
            setattr(request, key, value)
        return request

    def call(self, function: str, **fields) -> int:
        row = TABLE[function]
        request = ffi.new(row.request + " *")
        if row.handle and row.handle not in fields:
            fields[row.handle] = self.db
        for key, value in fields.items():
            setattr(request, key, value)
        return getattr(lib, function)(request)


@pytest.fixture
def env(tmp_path):
    environment = Env(tmp_path)
    yield environment
    environment.close()


def snapshot(request, row: Row) -> dict:
    """The bytes every out pointer of the request points at."""
    saved = {}
    for fname, fdesc in ffi.typeof(row.request).fields:
        value = getattr(request, fname)
        if (fname.startswith("out_") or fname == "buffer") and value != ffi.NULL:
            size = ffi.sizeof(fdesc.type.item) if fname != "buffer" else request.buffer_len
            saved[fname] = bytes(ffi.buffer(value, size))
    return saved


def poison(request, row: Row) -> None:
    for fname, fdesc in ffi.typeof(row.request).fields:
        value = getattr(request, fname)
        if fname.startswith("out_") and value != ffi.NULL:
            ffi.memmove(value, b"\xab" * ffi.sizeof(fdesc.type.item), ffi.sizeof(fdesc.type.item))


# ---- §5.1: NULL request / NULL handle have no side effect ----

@pytest.mark.parametrize("name", REQUEST_ROWS)
def test_null_request_is_invalid_argument_without_side_effect_5_1(env, name):
    env.set_sentinel_error()
    assert getattr(lib, name)(ffi.NULL) == lib.ZOVA_INVALID_ARGUMENT
    assert env.native.last_error() == SENTINEL_MESSAGE


@pytest.mark.parametrize("name", REQUEST_ROWS)
def test_null_handle_is_invalid_argument_without_side_effect_5_1(env, name):
    row = TABLE[name]
    request = env.build(name, **{row.handle: ffi.NULL})
    poison(request, row)
    before = snapshot(request, row)
    env.set_sentinel_error()
    assert getattr(lib, name)(request) == lib.ZOVA_INVALID_ARGUMENT
    assert env.native.last_error() == SENTINEL_MESSAGE
    assert snapshot(request, row) == before, "an output was written"


@pytest.mark.parametrize("name", sorted(n for n, r in TABLE.items() if r.kind == "direct"))
def test_null_direct_handle_is_invalid_argument_5_8(env, name):
    env.set_sentinel_error()
    assert getattr(lib, name)(ffi.NULL) == lib.ZOVA_INVALID_ARGUMENT
    assert env.native.last_error() == SENTINEL_MESSAGE


@pytest.mark.parametrize("name", MESSAGE_ROWS)
def test_null_request_message_functions_5_6(name):
    assert getattr(lib, name)(ffi.NULL) == lib.ZOVA_INVALID_ARGUMENT


# ---- §5.1/§6.3: required pointers ----

@pytest.mark.parametrize("name,field_name", REQUIRED_CASES)
def test_required_null_pointer_is_invalid_argument_and_sets_last_error_6_3(env, name, field_name):
    row = TABLE[name]
    request = env.build(name, **{field_name: ffi.NULL})
    env.set_sentinel_error()
    assert getattr(lib, name)(request) == lib.ZOVA_INVALID_ARGUMENT
    message = env.native.last_error()
    assert message and message != SENTINEL_MESSAGE, "failure after the handle is resolved sets the last error (5.5)"


@pytest.mark.parametrize("name,pointer,length", PAIR_CASES)
def test_null_pointer_with_length_is_invalid_argument_5_1(env, name, pointer, length):
    request = env.build(name, **{pointer: ffi.NULL, length: 1})
    env.set_sentinel_error()
    assert getattr(lib, name)(request) == lib.ZOVA_INVALID_ARGUMENT
    assert env.native.last_error() != SENTINEL_MESSAGE


@pytest.mark.parametrize("name,pointer,length", PAIR_CASES)
def test_null_pointer_with_zero_length_is_not_a_pointer_error_5_1(env, name, pointer, length):
    """len == 0 is always valid and the pointer is ignored (§5.1); the call
    then fails, if at all, with a domain status, never INVALID_ARGUMENT."""
    if name == "zova_object_read_range":
        out = ffi.new("size_t *", 99)
        request = env.build(name, buffer=ffi.NULL, buffer_len=0, out_copied=out)
        assert lib.zova_object_read_range(request) == lib.ZOVA_OK
        assert out[0] == 0
        return
    request = env.build(name, **{pointer: ffi.NULL, length: 0})
    status = getattr(lib, name)(request)
    assert status != lib.ZOVA_INVALID_ARGUMENT, name


EXPECTED_ZERO_LENGTH = {
    # §7 outcomes once the pointer is ignored
    ("zova_statement_bind_text", "data"): lib.ZOVA_OK,
    ("zova_statement_bind_blob", "data"): lib.ZOVA_OK,
    ("zova_object_put", "data"): lib.ZOVA_OK,                      # the empty object
    ("zova_object_chunk_put", "data"): lib.ZOVA_OBJECT_CORRUPT,    # chunk size 0 (§0.2 item 7)
    ("zova_object_assemble_from_chunks", "chunks"): lib.ZOVA_OBJECT_MANIFEST_INVALID,  # size>0, no chunks
    ("zova_vector_put", "values"): lib.ZOVA_VECTOR_DIMENSION_MISMATCH,
    ("zova_vector_put_many", "vectors"): lib.ZOVA_OK,
    ("zova_vector_search", "query"): lib.ZOVA_VECTOR_DIMENSION_MISMATCH,
    ("zova_vector_search_within", "query"): lib.ZOVA_VECTOR_DIMENSION_MISMATCH,
    ("zova_vector_search_in", "query"): lib.ZOVA_VECTOR_DIMENSION_MISMATCH,
    ("zova_vector_search_in_within", "query"): lib.ZOVA_VECTOR_DIMENSION_MISMATCH,
    ("zova_vector_search_in", "candidate_ids"): lib.ZOVA_OK,
    ("zova_vector_search_in_within", "candidate_ids"): lib.ZOVA_OK,
    ("zova_vector_search_by_id_in", "candidate_ids"): lib.ZOVA_OK,
    ("zova_vector_search_by_id_in_within", "candidate_ids"): lib.ZOVA_OK,
    ("zova_vector_search_batch", "queries"): lib.ZOVA_OK,          # no queries, no results
    ("zova_vector_search_batch", "candidate_ids"): lib.ZOVA_OK,    # with the IN flag: no candidates
    ("zova_vector_index_search", "query"): lib.ZOVA_VECTOR_DIMENSION_MISMATCH,
    ("zova_vector_index_search", "candidate_ids"): lib.ZOVA_OK,    # with the IN flag: no candidates
}


@pytest.mark.parametrize("name,pointer", sorted(EXPECTED_ZERO_LENGTH))
def test_zero_length_exact_status_7(env, name, pointer):
    row = TABLE[name]
    length = dict(row.pairs)[pointer]
    overrides = {pointer: ffi.NULL, length: 0}
    if name == "zova_vector_search_batch" and pointer == "candidate_ids":
        overrides["flags"] = lib.ZOVA_VECTOR_SEARCH_BATCH_IN
    if name == "zova_vector_index_search" and pointer == "candidate_ids":
        overrides["flags"] = lib.ZOVA_VECTOR_INDEX_SEARCH_IN
    if name == "zova_object_assemble_from_chunks":
        overrides["size_bytes"] = 10
        overrides["id"] = {"bytes": [7] * 32}  # not the stored object (that would be 51 first)
    request = env.build(name, **overrides)
    assert getattr(lib, name)(request) == EXPECTED_ZERO_LENGTH[(name, pointer)]
    if pointer == "candidate_ids":
        assert request.out_results.len == 0 and request.out_results.items == ffi.NULL


def test_null_array_elements_are_invalid_argument_5_1(env):
    for name in ("zova_vector_search_in", "zova_vector_search_in_within", "zova_vector_search_by_id_in",
                 "zova_vector_search_by_id_in_within"):
        ids = ffi.new("const char *[]", [env.s("v1"), ffi.NULL])
        assert getattr(lib, name)(env.build(name, candidate_ids=ids, candidate_count=2)) == 1, name
    ids = ffi.new("const char *[]", [env.s("v1"), ffi.NULL])
    assert lib.zova_vector_search_batch(env.build("zova_vector_search_batch", candidate_ids=ids, candidate_count=2,
                                                  flags=lib.ZOVA_VECTOR_SEARCH_BATCH_IN)) == 1
    rows = ffi.new("zova_vector_input[]", 2)
    rows[0].id, rows[0].values, rows[0].values_len = env.s("a"), env.floats([1, 2]), 2
    rows[1].id, rows[1].values, rows[1].values_len = ffi.NULL, env.floats([1, 2]), 2
    assert lib.zova_vector_put_many(env.build("zova_vector_put_many", vectors=rows, vectors_len=2)) == 1
    rows[1].id, rows[1].values, rows[1].values_len = env.s("b"), ffi.NULL, 2
    assert lib.zova_vector_put_many(env.build("zova_vector_put_many", vectors=rows, vectors_len=2)) == 1
    # nothing was written by the rejected batches
    exists = ffi.new("uint8_t *", 7)
    assert env.call("zova_vector_exists", collection_name=env.s("coll"), vector_id=env.s("a"),
                    out_exists=exists) == 0
    assert exists[0] == 0
    # put_many addition: NULL data[i] with lens[i] > 0
    data = ffi.new("const uint8_t *[]", [env.b(b"x"), ffi.NULL])
    lens = ffi.new("size_t[]", [1, 1])
    out_ids = ffi.new("zova_object_id[2]")
    assert env.call("zova_object_put_many", data=data, lens=lens, count=2, out_ids=out_ids) == 1


# ---- §5.2: outputs on failure ----

def test_protocol_a_outputs_are_reset_on_domain_failure_5_2(env):
    out = ffi.new("zova_vector_search_results *")
    out.items, out.len = ffi.cast("zova_vector_search_result *", 0x1234), 77
    status = env.call("zova_vector_search", collection_name=env.s("absent"), query=env.floats([1, 1]),
                      query_len=2, limit=3, out_results=out)
    assert status == lib.ZOVA_VECTOR_COLLECTION_NOT_FOUND
    assert out.items == ffi.NULL and out.len == 0
    buffer = ffi.new("zova_buffer *")
    buffer.data, buffer.len = ffi.cast("uint8_t *", 0x1234), 9
    assert env.call("zova_object_get", id={"bytes": [0] * 32}, out_buffer=buffer) == lib.ZOVA_OBJECT_NOT_FOUND
    assert buffer.data == ffi.NULL and buffer.len == 0


def test_protocol_c_scalars_untouched_on_failure_5_2(env):
    size = ffi.new("uint64_t *", 12345)
    assert env.call("zova_object_size", id={"bytes": [1] * 32}, out_size=size) == lib.ZOVA_OBJECT_NOT_FOUND
    assert size[0] == 12345
    exists = ffi.new("uint8_t *", 9)
    assert env.call("zova_vector_exists", collection_name=env.s("coll"), vector_id=env.s("_zova_x"),
                    out_exists=exists) == lib.ZOVA_VECTOR_INVALID
    assert exists[0] == 9


def test_handle_outputs_set_null_before_path_check_5_2(tmp_path):
    out_db = ffi.new("zova_database **", ffi.cast("zova_database *", 0x1234))
    message = ffi.new("zova_message *")
    request = ffi.new("zova_database_open_request *", [ffi.NULL, out_db, message])
    assert lib.zova_database_open(request) == lib.ZOVA_INVALID_ARGUMENT
    assert out_db[0] == ffi.NULL
    assert message.data != ffi.NULL and message.len > 0
    lib.zova_message_free(message)


def test_prepare_out_statement_untouched_when_sql_null_5_2(env):
    out = ffi.new("zova_statement **", ffi.cast("zova_statement *", 0x1234))
    assert env.call("zova_database_prepare", sql=ffi.NULL, out_statement=out) == 1
    assert out[0] == ffi.cast("zova_statement *", 0x1234)
    out[0] = ffi.cast("zova_statement *", 0x1234)
    for sql in ("", "   ", "-- only a comment", "/* c */ ;"):
        assert env.call("zova_database_prepare", sql=env.s(sql), out_statement=out) == 1, sql
        assert out[0] == ffi.NULL


def test_writer_create_out_writer_null_first_5_2(env):
    assert env.native.exec("begin") == 0
    out = ffi.new("zova_object_writer **", ffi.cast("zova_object_writer *", 0x1234))
    assert env.call("zova_object_writer_create", out_writer=out) == lib.ZOVA_OBJECT_TRANSACTION_ACTIVE
    assert out[0] == ffi.NULL
    assert env.native.exec("rollback") == 0


def test_read_range_out_copied_zeroed_before_buffer_check_5_2(env):
    out = ffi.new("size_t *", 99)
    request = env.build("zova_object_read_range", buffer=ffi.NULL, buffer_len=5, out_copied=out)
    assert lib.zova_object_read_range(request) == 1
    assert out[0] == 0


# ---- message-based functions (§5.6, §7.2, §7.4) ----

def message_request(tmp_path: Path, name: str, keep: list, **overrides):
    row = TABLE[name]
    values = {}
    for fname, _ in ffi.typeof(row.request).fields:
        if fname == "out_db":
            values[fname] = ffi.new("zova_database **")
        elif fname == "out_error_message":
            values[fname] = ffi.new("zova_message *")
        elif fname in ("path", "source_path"):
            values[fname] = ffi.new("char[]", str(tmp_path / "src.zova").encode())
        elif fname in ("dest_path", "destination_path"):
            values[fname] = ffi.new("char[]", str(tmp_path / "dst.zova").encode())
    values.update(overrides)
    keep.extend(values.values())
    request = ffi.new(row.request + " *")
    for key, value in values.items():
        setattr(request, key, value)
    return request


@pytest.mark.parametrize("name,field_name", MESSAGE_REQUIRED_CASES)
def test_message_function_required_pointer_5_6(tmp_path, name, field_name):
    keep: list = []
    request = message_request(tmp_path, name, keep, **{field_name: ffi.NULL})
    assert getattr(lib, name)(request) == lib.ZOVA_INVALID_ARGUMENT
    assert request.out_error_message.data != ffi.NULL and request.out_error_message.len > 0
    lib.zova_message_free(request.out_error_message)
    # without a message container the status is the same
    request.out_error_message = ffi.NULL
    assert getattr(lib, name)(request) == lib.ZOVA_INVALID_ARGUMENT
    assert not (tmp_path / "dst.zova").exists()


@pytest.mark.parametrize("name,overrides", [
    ("zova_database_open_with_options", {"flags": 2}),
    ("zova_database_open_with_options", {"flags": 0x80000000}),
    ("zova_database_open_with_options", {"busy_timeout_ms": 2**31}),
    ("zova_database_open_with_options", {"busy_timeout_ms": 2**32 - 1}),
    ("zova_database_restore", {"flags": 2}),
])
def test_message_function_bad_flags_are_invalid_argument_2_3(tmp_path, name, overrides):
    keep: list = []
    request = message_request(tmp_path, name, keep, **overrides)
    assert getattr(lib, name)(request) == lib.ZOVA_INVALID_ARGUMENT
    assert request.out_db == ffi.NULL or request.out_db[0] == ffi.NULL if hasattr(request, "out_db") else True
    lib.zova_message_free(request.out_error_message)


@pytest.mark.parametrize("flags_field,name", [("flags", "zova_database_backup"), ("flags", "zova_database_compact")])
def test_operational_copy_bad_flags_2_3(env, flags_field, name):
    for flags in (2, 3, 0xFFFFFFFF):
        request = env.build(name, **{flags_field: flags})
        assert getattr(lib, name)(request) == lib.ZOVA_INVALID_ARGUMENT
    assert not (env.tmp / "fresh_destination.zova").exists()


def test_busy_timeout_limit_2_4(env):
    assert env.call("zova_database_set_busy_timeout", milliseconds=2**31) == 1
    assert env.call("zova_database_set_busy_timeout", milliseconds=2**32 - 1) == 1
    assert env.call("zova_database_set_busy_timeout", milliseconds=2**31 - 1) == 0
    assert env.call("zova_database_set_busy_timeout", milliseconds=0) == 0


def test_metric_out_of_range_is_invalid_argument_7_8(env):
    for metric in (-1, 3, 2**31 - 1):
        status = env.call("zova_vector_collection_create", name=env.s("m"),
                          options={"dimensions": 2, "metric": metric})
        assert status == lib.ZOVA_INVALID_ARGUMENT, metric
    # metric is checked before the name (7.8): a bad name with a bad metric is still 1
    assert env.call("zova_vector_collection_create", name=env.s(""),
                    options={"dimensions": 2, "metric": 9}) == lib.ZOVA_INVALID_ARGUMENT
    for dims in (0, 16385, 2**32 - 1):
        assert env.call("zova_vector_collection_create", name=env.s("m"),
                        options={"dimensions": dims, "metric": 0}) == lib.ZOVA_VECTOR_INVALID


# ---- huge lengths the C API rejects before reading the bytes (docs/c-api.md §5.1) ----

def test_huge_lengths_rejected_before_reading_7(env):
    one = env.b(b"x")
    # object_put: size > INT64_MAX => 57 (7.6), checked before hashing
    out_id = ffi.new("zova_object_id *")
    assert env.call("zova_object_put", data=one, len=SIZE_MAX, out_id=out_id) == lib.ZOVA_OBJECT_TOO_LARGE
    assert env.call("zova_object_put", data=one, len=2**63, out_id=out_id) == lib.ZOVA_OBJECT_TOO_LARGE
    # put_many addition: "same statuses as zova_object_put"
    data = ffi.new("const uint8_t *[]", [one])
    lens = ffi.new("size_t[]", [SIZE_MAX])
    out_ids = ffi.new("zova_object_id[1]")
    assert env.call("zova_object_put_many", data=data, lens=lens, count=1,
                    out_ids=out_ids) == lib.ZOVA_OBJECT_TOO_LARGE
    # chunk_put: len > 65536 => 54 before hashing
    for length in (65537, 2**32, SIZE_MAX):
        assert env.call("zova_object_chunk_put", expected_hash={"bytes": [0] * 32}, data=one,
                        len=length) == lib.ZOVA_OBJECT_CORRUPT
    # assemble: size_bytes > INT64_MAX => 57 before looking at chunks
    assert env.call("zova_object_assemble_from_chunks", id={"bytes": [3] * 32}, size_bytes=SIZE_MAX,
                    chunks=ffi.NULL, chunk_count=0) == lib.ZOVA_OBJECT_TOO_LARGE
    # read_range: offset == size copies nothing whatever buffer_len says; offset > size => 56
    size = len(env.object_bytes)
    copied = ffi.new("size_t *", 5)
    status = env.call("zova_object_read_range", id={"bytes": list(env.object_id)}, offset=size, buffer=one,
                      buffer_len=SIZE_MAX, out_copied=copied)
    assert (status, copied[0]) == (lib.ZOVA_OK, 0)
    for offset in (size + 1, SIZE_MAX):
        status = env.call("zova_object_read_range", id={"bytes": list(env.object_id)}, offset=offset,
                          buffer=one, buffer_len=SIZE_MAX, out_copied=copied)
        assert status == lib.ZOVA_OBJECT_RANGE_INVALID
    status = env.call("zova_object_read_range", id={"bytes": [9] * 32}, offset=0, buffer=one,
                      buffer_len=SIZE_MAX, out_copied=copied)
    assert status == lib.ZOVA_OBJECT_NOT_FOUND
    # vectors: length mismatch (73) is decided before reading the values
    f = env.floats([1.0])
    assert env.call("zova_vector_put", collection_name=env.s("coll"), vector_id=env.s("h"), values=f,
                    values_len=SIZE_MAX) == lib.ZOVA_VECTOR_DIMENSION_MISMATCH
    results = ffi.new("zova_vector_search_results *")
    for name in ("zova_vector_search", "zova_vector_search_within", "zova_vector_search_in",
                 "zova_vector_search_in_within"):
        request = env.build(name, query=f, query_len=SIZE_MAX, out_results=results)
        assert getattr(lib, name)(request) == lib.ZOVA_VECTOR_DIMENSION_MISMATCH, name
    rows = ffi.new("zova_vector_input[]", 1)
    rows[0].id, rows[0].values, rows[0].values_len = env.s("h"), f, SIZE_MAX
    assert lib.zova_vector_put_many(env.build("zova_vector_put_many", vectors=rows,
                                              vectors_len=1)) == lib.ZOVA_VECTOR_DIMENSION_MISMATCH
    # bind_text / bind_blob: over SQLite's length limit => 17 (TOOBIG, 6.2)
    for name in ("zova_statement_bind_text", "zova_statement_bind_blob"):
        for length in (2**31, SIZE_MAX):
            request = env.build(name, index=1, data=one, len=length)
            assert getattr(lib, name)(request) == lib.ZOVA_SQLITE_ERROR, (name, length)


def test_writer_total_size_over_int64_max_7_7(env):
    one = env.b(b"x")
    assert env.call("zova_object_writer_write", writer=env.writer, data=one, len=SIZE_MAX) == \
        lib.ZOVA_OBJECT_TOO_LARGE
    assert env.call("zova_object_writer_write", writer=env.writer, data=one, len=1) == lib.ZOVA_OK
    assert env.call("zova_object_writer_write", writer=env.writer, data=one, len=2**63 - 1) == \
        lib.ZOVA_OBJECT_TOO_LARGE


# ---- strings: invalid UTF-8, embedded NUL, reserved prefix, limits (§2.4, §5.4) ----

BAD_NAMES = [b"", b"\xff", b"ab\xc3", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"x" * 256,
             b"_zova_x", b"_ZOVA_x", b"_Zova_"]
GOOD_NAMES = [b"x" * 255, "caf\u00e9".encode(), "\U0001f600".encode(), b"_zova", b"zova_"]


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_invalid_vector_names_and_ids_are_vector_invalid_2_4(env, bad):
    f = env.floats([1.0, 2.0])
    res = ffi.new("zova_vector_search_results *")
    checks = [
        ("zova_vector_collection_create", dict(name=env.s(bad), options={"dimensions": 2, "metric": 0})),
        ("zova_vector_collection_exists", dict(name=env.s(bad), out_exists=ffi.new("uint8_t *"))),
        ("zova_vector_collection_info_get", dict(name=env.s(bad), out_info=ffi.new("zova_vector_collection_info *"))),
        ("zova_vector_collection_delete", dict(name=env.s(bad))),
        ("zova_vector_put", dict(collection_name=env.s(bad), vector_id=env.s("a"), values=f, values_len=2)),
        ("zova_vector_put", dict(collection_name=env.s("coll"), vector_id=env.s(bad), values=f, values_len=2)),
        ("zova_vector_get", dict(collection_name=env.s("coll"), vector_id=env.s(bad),
                                 out_vector=ffi.new("zova_vector *"))),
        ("zova_vector_exists", dict(collection_name=env.s("coll"), vector_id=env.s(bad),
                                    out_exists=ffi.new("uint8_t *"))),
        ("zova_vector_delete", dict(collection_name=env.s(bad), vector_id=env.s("v1"))),
        ("zova_vector_delete", dict(collection_name=env.s("coll"), vector_id=env.s(bad))),
        ("zova_vector_search", dict(collection_name=env.s(bad), query=f, query_len=2, limit=1, out_results=res)),
        ("zova_vector_search_by_id", dict(collection_name=env.s("coll"), source_vector_id=env.s(bad), limit=1,
                                          out_results=res)),
        ("zova_vector_search_in", dict(collection_name=env.s("coll"), query=f, query_len=2,
                                       candidate_ids=env.strings([b"v1", bad]), candidate_count=2, limit=0,
                                       out_results=res)),
        ("zova_vector_search_by_id_in", dict(collection_name=env.s("coll"), source_vector_id=env.s("v1"),
                                             candidate_ids=env.strings([bad]), candidate_count=1, limit=3,
                                             out_results=res)),
    ]
    for name, fields in checks:
        assert env.call(name, **fields) == lib.ZOVA_VECTOR_INVALID, name
    rows = ffi.new("zova_vector_input[]", 2)
    rows[0].id, rows[0].values, rows[0].values_len = env.s("ok"), f, 2
    rows[1].id, rows[1].values, rows[1].values_len = env.s(bad), f, 2
    assert env.call("zova_vector_put_many", collection_name=env.s("coll"), vectors=rows,
                    vectors_len=2) == lib.ZOVA_VECTOR_INVALID
    exists = ffi.new("uint8_t *")
    assert env.call("zova_vector_exists", collection_name=env.s("coll"), vector_id=env.s("ok"),
                    out_exists=exists) == 0 and exists[0] == 0


@pytest.mark.parametrize("good", GOOD_NAMES)
def test_boundary_names_are_accepted_2_4(env, good):
    assert env.call("zova_vector_collection_create", name=env.s(good),
                    options={"dimensions": 1, "metric": 1}) == 0
    f = env.floats([3.0])
    assert env.call("zova_vector_put", collection_name=env.s(good), vector_id=env.s(good), values=f,
                    values_len=1) == 0
    out = ffi.new("zova_vector *")
    assert env.call("zova_vector_get", collection_name=env.s(good), vector_id=env.s(good), out_vector=out) == 0
    assert ffi.string(out.id, out.id_len) == good and out.id_len == len(good)
    lib.zova_vector_free(out)


def test_embedded_nul_truncates_c_strings_5_4(env):
    """C strings end at their first NUL: "v1\\0junk" names v1, "coll\\0x" names coll."""
    exists = ffi.new("uint8_t *")
    assert env.call("zova_vector_exists", collection_name=env.s(b"coll\x00zzz"), vector_id=env.s(b"v1\x00\xff"),
                    out_exists=exists) == 0
    assert exists[0] == 1
    # a path whose .zova suffix lies after a NUL does not end in .zova (5.10)
    out_db = ffi.new("zova_database **")
    path = ffi.new("char[]", str(env.tmp / "nul").encode() + b"\x00.zova")
    assert lib.zova_database_create(ffi.new("zova_database_open_request *", [path, out_db, ffi.NULL])) == \
        lib.ZOVA_NOT_ZOVA_PATH
    # SQL after a NUL is not seen: exec runs only the first part
    assert env.native.exec("insert into t values (1, 2)\x00; drop table t") == 0
    assert env.native.exec("select * from t") == 0


def test_invalid_utf8_in_sql_and_binds_is_not_validated_5_4(env):
    assert env.native.exec("insert into t values ('\xff', x'00')".encode("latin-1").decode("latin-1")) == 0
    raw = ffi.new("char[]", b"insert into t values ('\xff\xfe', 1)")
    request = ffi.new("zova_database_exec_request *", [env.db, raw])
    assert lib.zova_database_exec(request) == 0
    bad = env.b(b"\xff\x00\xfe")
    assert env.call("zova_statement_bind_text", statement=env.statement, index=1, data=bad, len=3) == 0
    status, row = env.native.step(env.statement)
    assert (status, row) == (0, lib.ZOVA_STEP_ROW)
    text = ffi.new("zova_text *")
    assert env.call("zova_statement_column_text", statement=env.statement, index=0, out_text=text) == 0
    assert ffi.buffer(text.data, text.len)[:] == b"\xff\x00\xfe"
    lib.zova_text_free(text)
    assert lib.zova_statement_reset(env.statement) == 0
    # unknown / ill-formed parameter names give index 0 with OK
    out = ffi.new("int *", 5)
    for name in (b"\xff", b"", b":a\xff", b"a"):
        assert env.call("zova_statement_parameter_index", statement=env.statement, name=env.s(name),
                        out_index=out) == 0
        assert out[0] == 0, name


@pytest.mark.parametrize("name", [b"", b"1abc", b"a-b", b"a b", b"\xff", "caf\u00e9".encode(), b"x" * 65,
                                  b"_zova_sp", b"_ZOVA_sp", b"sp;drop table t"])
def test_invalid_savepoint_names_2_4(env, name):
    for function in ("zova_database_savepoint", "zova_database_rollback_to_savepoint",
                     "zova_database_release_savepoint"):
        assert env.call(function, name=env.s(name)) == lib.ZOVA_INVALID_ARGUMENT, function
    assert env.native.exec("select count(*) from t") == 0


def test_valid_savepoint_name_limits_2_4(env):
    for name in (b"a", b"_", b"x" * 64, b"_zov_a", b"A_1"):
        assert env.call("zova_database_savepoint", name=env.s(name)) == 0
        assert env.call("zova_database_release_savepoint", name=env.s(name)) == 0


@pytest.mark.parametrize("path", [b"", b".", b"x.ZOVA", b"x.zova ", b"x.zov", b"\xff\xfe", b"dir/"])
def test_paths_without_zova_suffix_5_10(env, path):
    out_db = ffi.new("zova_database **")
    c_path = env.s(path)
    for function in (lib.zova_database_create, lib.zova_database_open):
        assert function(ffi.new("zova_database_open_request *", [c_path, out_db, ffi.NULL])) == 30
        assert out_db[0] == ffi.NULL
    assert env.call("zova_database_backup", destination_path=c_path) == 30
    assert env.call("zova_database_compact", destination_path=c_path) == 30


def test_invalid_utf8_path_is_passed_through_5_4(tmp_path):
    """Paths are passed to the OS without normalisation: bytes that are not
    UTF-8 make a valid Linux file name."""
    raw = str(tmp_path).encode() + b"/\xff\xfe.zova"
    out_db = ffi.new("zova_database **")
    c_path = ffi.new("char[]", raw)
    assert lib.zova_database_create(ffi.new("zova_database_open_request *", [c_path, out_db, ffi.NULL])) == 0
    assert lib.zova_database_close(out_db[0]) == 0
    assert (Path(raw.decode("utf-8", "surrogateescape"))).exists()
    assert lib.zova_database_open(ffi.new("zova_database_open_request *", [c_path, out_db, ffi.NULL])) == 0
    assert lib.zova_database_close(out_db[0]) == 0


# ---- non-finite floats (§2.4) ----

@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_values_and_thresholds_are_vector_invalid_2_4(env, bad):
    f = env.floats([1.0, bad])
    res = ffi.new("zova_vector_search_results *")
    assert env.call("zova_vector_put", collection_name=env.s("coll"), vector_id=env.s("n"), values=f,
                    values_len=2) == lib.ZOVA_VECTOR_INVALID
    assert env.call("zova_vector_search", collection_name=env.s("coll"), query=f, query_len=2, limit=1,
                    out_results=res) == lib.ZOVA_VECTOR_INVALID
    good = env.floats([1.0, 1.0])
    assert env.call("zova_vector_search_within", collection_name=env.s("coll"), query=good, query_len=2,
                    max_distance=bad, limit=1, out_results=res) == lib.ZOVA_VECTOR_INVALID
    assert env.call("zova_vector_search_by_id_within", collection_name=env.s("coll"),
                    source_vector_id=env.s("v1"), max_distance=bad, limit=1,
                    out_results=res) == lib.ZOVA_VECTOR_INVALID


def test_zero_cosine_vector_is_vector_invalid_2_4(env):
    assert env.call("zova_vector_collection_create", name=env.s("cos"),
                    options={"dimensions": 2, "metric": 0}) == 0
    zero = env.floats([0.0, -0.0])
    assert env.call("zova_vector_put", collection_name=env.s("cos"), vector_id=env.s("z"), values=zero,
                    values_len=2) == lib.ZOVA_VECTOR_INVALID
    res = ffi.new("zova_vector_search_results *")
    assert env.call("zova_vector_search", collection_name=env.s("cos"), query=zero, query_len=2, limit=1,
                    out_results=res) == lib.ZOVA_VECTOR_INVALID


# ---- child handles and close (§5.8) ----

def test_close_refused_with_live_children_then_children_still_work_5_8(env):
    assert env.native.close() == lib.ZOVA_MISUSE
    assert "live child" in env.native.last_error()
    # statement and writer remain usable
    status, row = env.native.step(env.statement)
    assert (status, row) == (0, lib.ZOVA_STEP_ROW)
    assert lib.zova_statement_reset(env.statement) == 0
    assert env.call("zova_object_writer_write", writer=env.writer, data=env.b(b"abc"), len=3) == 0
    assert lib.zova_statement_finalize(env.statement) == 0
    assert env.native.close() == lib.ZOVA_MISUSE  # the writer is still live
    assert "live child" in env.native.last_error()
    out_id = ffi.new("zova_object_id *")
    assert env.call("zova_object_writer_finish", writer=env.writer, out_id=out_id) == 0
    assert bytes(out_id[0].bytes) == hashlib.sha256(b"abc").digest()
    # a finished writer refuses writes/finish/cancel with 59 but still counts as live
    assert env.call("zova_object_writer_write", writer=env.writer, data=env.b(b"x"), len=1) == 59
    assert env.call("zova_object_writer_finish", writer=env.writer, out_id=out_id) == 59
    assert env.call("zova_object_writer_cancel", writer=env.writer) == 59
    assert env.native.close() == lib.ZOVA_MISUSE
    assert lib.zova_object_writer_destroy(env.writer) == 0
    status, env.statement = env.native.prepare("select 1")  # fresh children for the fixture teardown
    out_writer = ffi.new("zova_object_writer **")
    assert env.call("zova_object_writer_create", out_writer=out_writer) == 0
    env.writer = out_writer[0]


# ---- pure, static and free functions (§7.1) ----

def test_id_helpers_pointer_rules_7_1():
    for name, out_type in (("zova_object_id_from_bytes", "zova_object_id *"),
                           ("zova_object_chunk_id_from_bytes", "zova_object_chunk_id *")):
        function = getattr(lib, name)
        out = ffi.new(out_type)
        ffi.memmove(out, b"\xab" * 32, 32)
        assert function(b"abc", 3, ffi.NULL) == 1
        assert function(ffi.NULL, 1, out) == 1
        assert function(ffi.NULL, SIZE_MAX, out) == 1
        assert bytes(out[0].bytes) == b"\xab" * 32
        assert function(ffi.NULL, 0, out) == 0
        assert bytes(out[0].bytes) == hashlib.sha256(b"").digest()
        assert function(b"a\x00b", 3, out) == 0
        assert bytes(out[0].bytes) == hashlib.sha256(b"a\x00b").digest()


@pytest.mark.parametrize("name", sorted(n for n, r in TABLE.items() if r.kind == "free"))
def test_free_functions_accept_null_and_are_idempotent_4_2(name):
    function = getattr(lib, name)
    function(ffi.NULL)
    container = ffi.new(TABLE[name].request + " *")
    function(container)
    function(container)
    assert bytes(ffi.buffer(container)) == bytes(ffi.sizeof(TABLE[name].request))


def test_free_functions_reset_library_containers_4_2(env):
    manifest = ffi.new("zova_object_manifest *")
    assert env.call("zova_object_manifest_get", id={"bytes": list(env.object_id)}, out_manifest=manifest) == 0
    assert ffi.string(manifest.chunker) == b"fastcdc-v1"
    lib.zova_object_manifest_free(manifest)
    lib.zova_object_manifest_free(manifest)
    assert manifest.chunks == ffi.NULL and manifest.chunks_len == 0 and manifest.chunker == ffi.NULL
    info = ffi.new("zova_vector_collection_list *")
    assert env.call("zova_vector_collections_list", out_list=info) == 0 and info.len == 1
    lib.zova_vector_collection_list_free(info)
    lib.zova_vector_collection_list_free(info)
    assert info.items == ffi.NULL and info.len == 0


@pytest.mark.parametrize("name", sorted(n for n, r in TABLE.items() if r.kind == "static"))
def test_static_functions_never_fail_7_1(name):
    function = getattr(lib, name)
    if name == "zova_status_name":
        for code in (0, 1, 3, 75, 76, 2**31 - 1):
            assert ffi.string(function(code))
    elif name == "zova_database_last_error_message":
        assert ffi.string(function(ffi.NULL)) == b"invalid database handle"
    elif name == "zova_abi_version_string":
        assert ffi.string(function()) == b"0.17.0"
    else:
        assert function() in (0, 17)


def test_cancel_tokens_take_null_4_15():
    """NULL out is the one error; a NULL token is ignored, reads as not
    requested, and unbinds the thread."""
    assert [name for name, row in TABLE.items() if row.kind == "cancel"] == [
        "zova_cancel_create", "zova_cancel_request", "zova_cancel_requested", "zova_cancel_free",
        "zova_thread_set_cancel"]
    assert lib.zova_cancel_create(ffi.NULL) == lib.ZOVA_INVALID_ARGUMENT
    lib.zova_cancel_request(ffi.NULL)
    assert lib.zova_cancel_requested(ffi.NULL) == 0
    lib.zova_cancel_free(ffi.NULL)
    assert lib.zova_thread_set_cancel(ffi.NULL) == lib.ZOVA_OK


def test_float_struct_helpers_are_native_order_5_1(env):
    """values are native-order binary32 in memory (sanity for the fuzz targets)."""
    out = ffi.new("zova_vector *")
    assert env.call("zova_vector_get", collection_name=env.s("coll"), vector_id=env.s("v1"), out_vector=out) == 0
    assert struct.pack("=2f", *[out.values[i] for i in range(2)]) == struct.pack("=2f", 1.0, 0.0)
    lib.zova_vector_free(out)


@pytest.mark.parametrize("name", REQUEST_ROWS)
def test_last_error_cleared_on_success_and_set_on_failure_5_5(env, name):
    """Every call that resolves its handle either succeeds and clears the last
    error to "" or fails and replaces it (docs/c-api.md §5.5), children included."""
    env.set_sentinel_error()
    request = env.build(name)
    status = getattr(lib, name)(request)
    message = env.native.last_error()
    if status == lib.ZOVA_OK:
        assert message == ""
    else:
        assert message and message != SENTINEL_MESSAGE, (status, message)
    if name == "zova_database_prepare" and status == lib.ZOVA_OK:
        assert lib.zova_statement_finalize(request.out_statement[0]) == lib.ZOVA_OK
    if name == "zova_object_writer_create" and status == lib.ZOVA_OK:
        assert lib.zova_object_writer_destroy(request.out_writer[0]) == lib.ZOVA_OK
