"""Transactions, savepoints, vacuum and busy handling (docs/c-api.md §4.5, §7.3, §2.4;
bindings §2.4 savepoint_context)."""
from __future__ import annotations

import pytest

import zova
from zova import ZovaError
from zova._native import ffi, lib


def status_of(call, *args) -> int:
    with pytest.raises(ZovaError) as info:
        call(*args)
    return info.value.status


def count(db) -> int:
    return db.prepare("select count(*) from t").fetchall()[0][0]


@pytest.fixture
def table(db):
    db.exec("create table t (a)")
    return db


def test_commit_and_rollback(table):
    table.begin()
    table.exec("insert into t values (1)")
    table.commit()
    table.begin_immediate()
    table.exec("insert into t values (2)")
    table.rollback()
    assert count(table) == 1


def test_transaction_misuse_is_17(table):
    assert status_of(table.commit) == lib.ZOVA_SQLITE_ERROR
    assert status_of(table.rollback) == lib.ZOVA_SQLITE_ERROR
    table.begin()
    assert status_of(table.begin) == lib.ZOVA_SQLITE_ERROR
    assert status_of(table.begin_immediate) == lib.ZOVA_SQLITE_ERROR
    assert status_of(table.vacuum) == lib.ZOVA_SQLITE_ERROR  # inside a transaction
    table.rollback()


def test_vacuum_with_a_running_statement_is_17(table):
    table.exec("insert into t values (1), (2)")
    with table.prepare("select a from t") as select:
        select.step()
        assert status_of(table.vacuum) == lib.ZOVA_SQLITE_ERROR
    table.vacuum()


def test_vacuum_shrinks_the_file(table, path):
    import os
    table.exec("insert into t select randomblob(10000) from (with recursive n(i) as "
               "(select 1 union all select i + 1 from n where i < 200) select i from n)")
    table.exec("delete from t")
    before = os.path.getsize(path)
    table.vacuum()
    assert os.path.getsize(path) < before / 4


def test_savepoints_nest_and_roll_back(table):
    table.savepoint("outer")
    table.exec("insert into t values (1)")
    table.savepoint("inner_1")
    table.exec("insert into t values (2)")
    table.rollback_to_savepoint("inner_1")
    assert count(table) == 1
    table.release_savepoint("inner_1")
    table.release_savepoint("outer")
    assert count(table) == 1


@pytest.mark.parametrize("name", ["", "1abc", "has space", "semi;colon", "a-b", "x" * 65, "_zova_x", "_ZOVA_x",
                                  "_Zova_", "é"])
def test_bad_savepoint_names_are_invalid_argument(table, name):
    """docs/c-api.md §2.4: 1–64 bytes of [A-Za-z_][A-Za-z0-9_]*, not starting with _zova_."""
    for call in (table.savepoint, table.rollback_to_savepoint, table.release_savepoint):
        error = pytest.raises(ZovaError, call, name).value
        assert error.status == lib.ZOVA_INVALID_ARGUMENT


@pytest.mark.parametrize("name", ["a", "_", "_zova", "zova_x", "A1_b2", "x" * 64])
def test_good_savepoint_names(table, name):
    table.savepoint(name)
    table.release_savepoint(name)


def test_unknown_savepoint_is_17_with_sqlite_message(table):
    error = pytest.raises(ZovaError, table.release_savepoint, "missing_sp").value
    assert error.status == lib.ZOVA_SQLITE_ERROR and "no such savepoint: missing_sp" in error.message
    error = pytest.raises(ZovaError, table.rollback_to_savepoint, "missing_sp").value
    assert error.status == lib.ZOVA_SQLITE_ERROR and "no such savepoint" in error.message


def test_savepoint_c_abi_null_name(native):
    request = ffi.new("zova_database_savepoint_request *", [native.ptr, ffi.NULL])
    assert lib.zova_database_savepoint(request) == lib.ZOVA_INVALID_ARGUMENT
    assert lib.zova_database_rollback_to_savepoint(request) == lib.ZOVA_INVALID_ARGUMENT
    assert lib.zova_database_release_savepoint(request) == lib.ZOVA_INVALID_ARGUMENT


def test_savepoint_context_releases_on_success(table):
    with table.savepoint_context("work") as scoped:
        assert scoped is table
        scoped.exec("insert into t values (1)")
    assert count(table) == 1
    assert status_of(table.release_savepoint, "work") == lib.ZOVA_SQLITE_ERROR  # already released


def test_savepoint_context_rolls_back_and_reraises(table):
    with pytest.raises(RuntimeError, match="abort"):
        with table.savepoint_context("work"):
            table.exec("insert into t values (1)")
            raise RuntimeError("abort")
    assert count(table) == 0


def test_savepoint_context_nests(table):
    with table.savepoint_context("outer"):
        table.exec("insert into t values (1)")
        with pytest.raises(ValueError):
            with table.savepoint_context("inner"):
                table.exec("insert into t values (2)")
                raise ValueError
    assert count(table) == 1


def test_savepoint_context_bad_name_raises_before_body(table):
    ran = []
    with pytest.raises(ZovaError) as info:
        with table.savepoint_context("bad name"):
            ran.append(True)
    assert info.value.status == lib.ZOVA_INVALID_ARGUMENT
    assert ran == []


def test_busy_between_handles(path):
    """docs/c-api.md §7.3: BEGIN IMMEDIATE against another writer ⇒ 10 (or 11) after the busy timeout."""
    writer = zova.Database.create(path)
    writer.exec("create table t (a)")
    other = zova.Database.open(path, busy_timeout_ms=50)
    writer.begin_immediate()
    assert status_of(other.begin_immediate) in (lib.ZOVA_BUSY, lib.ZOVA_LOCKED)
    assert status_of(other.exec, "insert into t values (1)") in (lib.ZOVA_BUSY, lib.ZOVA_LOCKED)
    writer.commit()
    other.exec("insert into t values (1)")
    other.set_busy_timeout(0)
    other.set_busy_timeout(2147483647)
    with pytest.raises(OverflowError):
        other.set_busy_timeout(2**32)
    writer.close()
    other.close()


def test_busy_timeout_over_int_max_is_invalid_argument(native):
    request = ffi.new("zova_database_busy_timeout_request *", [native.ptr, 2147483648])
    assert lib.zova_database_set_busy_timeout(request) == lib.ZOVA_INVALID_ARGUMENT
    request.milliseconds = 2147483647
    assert lib.zova_database_set_busy_timeout(request) == lib.ZOVA_OK


def test_reader_sees_committed_data_only(path):
    with zova.Database.create(path) as writer, zova.Database.create(path + ".other.zova") as _:
        writer.exec("create table t (a)")
        reader = zova.Database.open(path, read_only=True)
        writer.begin()
        writer.exec("insert into t values (1)")
        assert count(reader) == 0
        writer.commit()
        assert count(reader) == 1
        reader.close()
