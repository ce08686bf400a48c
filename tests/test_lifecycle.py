"""Create, open and close: file identity and validation (docs/file-format.md §1–§2,
docs/c-api.md §4.3, §5.10, §7.2), and the Python Database lifecycle (docs/python.md §2.3–§2.5)."""
from __future__ import annotations

import os
import sqlite3

import pytest

import zova
from zova import ZovaError
from zova._native import ffi, lib

from conftest import NativeDb

# docs/file-format.md §2, exactly as sqlite_master stores the DDL Zova creates.
CANONICAL_DDL = {
    "_zova_meta": "CREATE TABLE _zova_meta (\n  key text primary key,\n  value text not null\n)",
    "_zova_objects": (
        "CREATE TABLE _zova_objects (\n"
        "  object_id blob not null primary key check (length(object_id) = 32),\n"
        "  size_bytes integer not null check (size_bytes >= 0),\n"
        "  chunk_count integer not null check (chunk_count >= 0),\n"
        "  chunker text not null check (chunker = 'fastcdc-v1')\n)"),
    "_zova_chunks": (
        "CREATE TABLE _zova_chunks (\n"
        "  chunk_hash blob not null primary key check (length(chunk_hash) = 32),\n"
        "  size_bytes integer not null check (size_bytes > 0 and size_bytes <= 65536),\n"
        "  data blob not null check (length(data) = size_bytes)\n)"),
    "_zova_object_chunks": (
        "CREATE TABLE _zova_object_chunks (\n"
        "  object_id blob not null check (length(object_id) = 32),\n"
        "  chunk_index integer not null check (chunk_index >= 0),\n"
        "  chunk_hash blob not null check (length(chunk_hash) = 32),\n"
        "  offset integer not null check (offset >= 0),\n"
        "  size_bytes integer not null check (size_bytes > 0 and size_bytes <= 65536),\n"
        "  primary key (object_id, chunk_index),\n"
        "  foreign key (object_id) references _zova_objects(object_id),\n"
        "  foreign key (chunk_hash) references _zova_chunks(chunk_hash)\n)"),
    "_zova_vector_collections": (
        "CREATE TABLE _zova_vector_collections (\n"
        "  name text not null primary key check (length(name) > 0 and length(name) <= 255),\n"
        "  dimensions integer not null check (dimensions > 0 and dimensions <= 16384),\n"
        "  metric text not null check (metric in ('cosine', 'l2', 'dot')),\n"
        "  element_type text not null check (element_type = 'f32')\n)"),
    "_zova_vectors": (
        "CREATE TABLE _zova_vectors (\n"
        "  collection_name text not null,\n"
        "  vector_id text not null check (length(vector_id) > 0),\n"
        "  dimensions integer not null check (dimensions > 0 and dimensions <= 16384),\n"
        "  \"values\" blob not null check (length(\"values\") = dimensions * 4),\n"
        "  primary key (collection_name, vector_id),\n"
        "  foreign key (collection_name) references _zova_vector_collections(name)\n)"),
}


def status_of(call, *args, **kwargs) -> int:
    with pytest.raises(ZovaError) as info:
        call(*args, **kwargs)
    return info.value.status


def test_created_file_is_exactly_format_3(path):
    zova.Database.create(path).close()
    with sqlite3.connect(path) as plain:
        tables = dict(plain.execute("select name, sql from sqlite_master where type = 'table'"))
        meta = sorted(plain.execute("select key, value from _zova_meta"))
        others = plain.execute("select type, name from sqlite_master where type != 'table' "
                               "and name not like 'sqlite_autoindex%'").fetchall()
        pragmas = [plain.execute(f"pragma {name}").fetchone()[0] for name in ("application_id", "user_version")]
        journal = plain.execute("pragma journal_mode").fetchone()[0]
    assert tables == CANONICAL_DDL
    assert list(tables) == list(CANONICAL_DDL)  # created in the order of docs/file-format.md §2
    assert meta == [("format_version", "3"), ("magic", "zova")]
    assert others == []
    assert pragmas == [0, 0]
    assert journal == "delete"


def test_create_never_overwrites(path):
    zova.Database.create(path).close()
    before = open(path, "rb").read()
    error = pytest.raises(ZovaError, zova.Database.create, path).value
    assert error.status == lib.ZOVA_DESTINATION_EXISTS
    assert error.message == "DestinationExists"
    assert open(path, "rb").read() == before


@pytest.mark.parametrize("name", ["db.sqlite", "db.ZOVA", "db.zova.bak", "zova", ".zov"])
def test_wrong_suffix_is_30_for_create_and_open(tmp_path, name):
    target = str(tmp_path / name)
    assert status_of(zova.Database.create, target) == lib.ZOVA_NOT_ZOVA_PATH
    assert status_of(zova.Database.open, target) == lib.ZOVA_NOT_ZOVA_PATH
    assert not os.path.exists(target)


def test_missing_file_with_parent_is_31_and_without_parent_is_13(tmp_path):
    assert status_of(zova.Database.open, str(tmp_path / "absent.zova")) == lib.ZOVA_NOT_ZOVA_DATABASE
    assert status_of(zova.Database.open, str(tmp_path / "no" / "dir.zova")) == lib.ZOVA_CANT_OPEN
    assert status_of(zova.Database.create, str(tmp_path / "no" / "dir.zova")) == lib.ZOVA_CANT_OPEN


def test_missing_file_without_directory_part_is_31(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert status_of(zova.Database.open, "absent.zova") == lib.ZOVA_NOT_ZOVA_DATABASE
    zova.Database.create("relative.zova").close()
    zova.Database.open("relative.zova").close()


def test_non_sqlite_bytes_are_31(tmp_path):
    target = tmp_path / "garbage.zova"
    target.write_bytes(b"this is not an sqlite database at all" * 200)
    assert status_of(zova.Database.open, str(target)) == lib.ZOVA_NOT_ZOVA_DATABASE


def test_empty_file_is_31(tmp_path):
    target = tmp_path / "empty.zova"
    target.write_bytes(b"")
    assert status_of(zova.Database.open, str(target)) == lib.ZOVA_NOT_ZOVA_DATABASE
    assert target.read_bytes() == b""  # open never writes


def test_plain_sqlite_renamed_is_31(tmp_path):
    target = str(tmp_path / "plain.zova")
    with sqlite3.connect(target) as plain:
        plain.execute("create table t (a)")
    assert status_of(zova.Database.open, target) == lib.ZOVA_NOT_ZOVA_DATABASE


@pytest.mark.parametrize("sql,status", [
    ("update _zova_meta set value = 'other' where key = 'magic'", 31),
    ("delete from _zova_meta where key = 'magic'", 31),
    ("delete from _zova_meta where key = 'format_version'", 31),
    ("update _zova_meta set value = '4' where key = 'format_version'", 32),
    ("update _zova_meta set value = '2' where key = 'format_version'", 32),
    ("drop table _zova_vectors", 31),
    ("drop table _zova_chunks", 31),
    ("alter table _zova_objects add column extra text", 31),
    ("pragma writable_schema = 1; update sqlite_master set sql = replace(sql, 'size_bytes >= 0', "
     "'size_bytes >= 1') where name = '_zova_objects'", 31),
])
def test_tampered_identity_or_private_ddl(path, sql, status):
    zova.Database.create(path).close()
    with sqlite3.connect(path) as plain:
        plain.executescript(sql)
    assert status_of(zova.Database.open, path) == status
    assert status_of(zova.Database.open, path, read_only=True) == status


def test_ddl_comparison_ignores_ascii_whitespace_and_case(path):
    zova.Database.create(path).close()
    with sqlite3.connect(path) as plain:
        plain.executescript(
            "pragma writable_schema = 1;"
            "update sqlite_master set sql = upper(replace(sql, char(10), '   ')) where name = '_zova_meta';")
    zova.Database.open(path).close()


def test_open_never_writes(path):
    with zova.Database.create(path) as db:
        db.exec("create table t (a); insert into t values (1)")
    before = open(path, "rb").read()
    mtime = os.stat(path).st_mtime_ns
    zova.Database.open(path).close()
    zova.Database.open(path, read_only=True).close()
    assert open(path, "rb").read() == before
    assert os.stat(path).st_mtime_ns == mtime


def test_read_only_handle_reads_and_refuses_writes(path):
    with zova.Database.create(path) as db:
        db.exec("create table t (a)")
    with zova.Database.open(path, read_only=True) as db:
        with db.prepare("select count(*) from t") as statement:
            assert statement.step() == zova.Step.ROW
        assert status_of(db.exec, "insert into t values (1)") == lib.ZOVA_READ_ONLY
        assert "readonly" in pytest.raises(ZovaError, db.exec, "insert into t values (1)").value.message
        assert status_of(db.vacuum) in (lib.ZOVA_READ_ONLY, lib.ZOVA_SQLITE_ERROR)


def test_open_options_flags_and_busy_timeout_validation(path):
    zova.Database.create(path).close()
    path_c = ffi.new("char[]", path.encode())
    out = ffi.new("zova_database **")
    message = ffi.new("zova_message *")
    request = ffi.new("zova_database_open_options_request *")
    request.path = path_c
    request.out_db = out
    request.out_error_message = message
    for flags, timeout in ((2, 0), (0x80000000, 0), (3, 0), (0, 2147483648), (0, 0xFFFFFFFF)):
        request.flags = flags
        request.busy_timeout_ms = timeout
        out[0] = ffi.cast("zova_database *", 1)
        assert lib.zova_database_open_with_options(request) == lib.ZOVA_INVALID_ARGUMENT
        assert out[0] == ffi.NULL
        assert message.data != ffi.NULL and message.len > 0
        lib.zova_message_free(message)
    request.flags = 1
    request.busy_timeout_ms = 2147483647
    assert lib.zova_database_open_with_options(request) == lib.ZOVA_OK
    assert message.data == ffi.NULL
    assert lib.zova_database_close(out[0]) == lib.ZOVA_OK
    with pytest.raises(OverflowError):
        zova.Database.open(path, busy_timeout_ms=-1)
    with pytest.raises(OverflowError):
        zova.Database.open(path, busy_timeout_ms=2**32)


def test_open_and_create_null_arguments_c_abi_5_1(path):
    """docs/c-api.md §7.2 check order: NULL request touches nothing; out_db before path."""
    assert lib.zova_database_create(ffi.NULL) == lib.ZOVA_INVALID_ARGUMENT
    assert lib.zova_database_open(ffi.NULL) == lib.ZOVA_INVALID_ARGUMENT
    assert lib.zova_database_open_with_options(ffi.NULL) == lib.ZOVA_INVALID_ARGUMENT
    out = ffi.new("zova_database **")
    message = ffi.new("zova_message *")
    for function in (lib.zova_database_create, lib.zova_database_open):
        request = ffi.new("zova_database_open_request *")
        request.out_error_message = message
        assert function(request) == lib.ZOVA_INVALID_ARGUMENT  # out_db NULL
        assert message.data != ffi.NULL
        request.out_db = out
        out[0] = ffi.cast("zova_database *", 1)
        assert function(request) == lib.ZOVA_INVALID_ARGUMENT  # path NULL
        assert out[0] == ffi.NULL
        request.out_error_message = ffi.NULL  # diagnostics optional
        assert function(request) == lib.ZOVA_INVALID_ARGUMENT
    lib.zova_message_free(message)
    assert not os.path.exists(path)


def test_error_message_for_open_failures_is_the_kind_name(tmp_path):
    error = pytest.raises(ZovaError, zova.Database.open, str(tmp_path / "x.txt")).value
    assert (error.status, error.status_name, error.message) == (30, "ZOVA_NOT_ZOVA_PATH", "NotZovaPath")
    assert str(error) == "ZOVA_NOT_ZOVA_PATH: NotZovaPath"
    assert error.args == ("ZOVA_NOT_ZOVA_PATH: NotZovaPath",)


def test_python_path_is_str_bytes_or_path_like(tmp_path):
    zova.Database.create(tmp_path / "p.zova").close()
    zova.Database.open(tmp_path / "p.zova").close()
    zova.Database.open(os.fsencode(tmp_path / "p.zova")).close()
    with pytest.raises(TypeError, match="os.PathLike"):
        zova.Database.open(5)
    with pytest.raises(ValueError, match="interior NUL"):
        zova.Database.create(str(tmp_path / "a\0b.zova"))
    with pytest.raises(TypeError):
        zova.Database()


def test_close_with_live_children_is_16_and_handle_stays_usable(native):
    """docs/c-api.md §5.8 / §0.2 item 11."""
    status, statement = native.prepare("select 1")
    assert status == 0
    assert native.close() == lib.ZOVA_MISUSE
    assert "live child" in native.last_error()
    assert "1 statements, 0 object writers" in native.last_error()
    assert native.exec("create table still_usable (a)") == 0
    assert native.step(statement) == (0, lib.ZOVA_STEP_ROW)
    assert lib.zova_statement_finalize(statement) == 0
    assert native.last_error() == ""
    assert native.close() == 0
    native.ptr = ffi.NULL  # the fixture's close then sees NULL


def test_close_with_open_transaction_rolls_back(path):
    handle = NativeDb(path)
    assert handle.exec("create table t (a)") == 0
    assert handle.exec("begin; insert into t values (1)") == 0
    assert handle.close() == 0
    with zova.Database.open(path) as db:
        assert db.prepare("select count(*) from t").fetchall() == [(0,)]


def test_database_close_keeps_statements_alive_bindings_2_5(path):
    db = zova.Database.create(path)
    db.exec("create table t (a); insert into t values (1), (2)")
    statement = db.prepare("select a from t order by a")
    db.close()
    db.close()  # idempotent
    with pytest.raises(zova.ClosedHandleError, match="database is closed"):
        db.exec("select 1")
    assert statement.step() == zova.Step.ROW
    assert statement.column_int(0) == 1
    statement.close()
    statement.close()
    with pytest.raises(zova.ClosedHandleError, match="statement is closed"):
        statement.step()
    # The native handle is closed now: the file can be reopened and written.
    with zova.Database.open(path) as again:
        again.exec("insert into t values (3)")


def test_garbage_collected_statement_releases_the_database(path):
    import gc
    db = zova.Database.create(path)
    native = db._native
    db.prepare("select 1")  # dropped immediately
    gc.collect()
    db.close()
    assert native.ptr == ffi.NULL


def test_context_manager_closes_and_propagates(path):
    with pytest.raises(KeyError):
        with zova.Database.create(path) as db:
            assert isinstance(db, zova.Database)
            raise KeyError("boom")
    with pytest.raises(zova.ClosedHandleError):
        db.exec("select 1")
