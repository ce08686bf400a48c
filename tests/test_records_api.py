"""The sqlite3-style records API (issue 14 "Records"; README "Records"):
db.execute / executemany / executescript, Cursor, Statement.execute and
db.transaction(), compared with the standard library's sqlite3 where they mirror it."""
from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict

import numpy as np
import pytest

import zova
from zova import ClosedHandleError, ZovaError
from zova._native import lib

DESCRIPTION = lambda *names: tuple((name, None, None, None, None, None, None) for name in names)  # noqa: E731


@pytest.fixture
def table(db):
    db.execute("create table t (id integer primary key, name text, score real, data blob)")
    return db


def invalid_argument(call, *args) -> str:
    with pytest.raises(ZovaError) as info:
        call(*args)
    assert info.value.status == lib.ZOVA_INVALID_ARGUMENT
    return info.value.message


# ---- execute and parameters ----

def test_execute_binds_every_type_and_reads_it_back(table):
    oid = zova.object_id(b"body")
    values = [(1, "a", 1.5, b"xy"), (2, "", 0.0, b""), (3, None, None, None), (4, "a\0b", -2.0, bytearray(b"\0z")),
              (5, "é", 1e300, memoryview(b"abc")), (6, "x", 2.5, oid)]
    for row in values:
        table.execute("insert into t values (?, ?, ?, ?)", row)
    rows = table.execute("select * from t order by id").fetchall()
    assert rows == [(1, "a", 1.5, b"xy"), (2, "", 0.0, b""), (3, None, None, None), (4, "a\0b", -2.0, b"\0z"),
                    (5, "é", 1e300, b"abc"), (6, "x", 2.5, oid.bytes)]


def test_bool_numpy_and_int_subclasses_bind_as_sqlite3_would(db):
    row = db.execute("select ?, ?, ?, ?, typeof(?)", (True, np.int64(7), np.float32(0.5), zova.Step.ROW,
                                                        np.float64(2.0))).fetchone()
    assert row == (1, 7, 0.5, int(zova.Step.ROW), "real")


def test_numbered_and_named_parameters(db):
    assert db.execute("select ?2, ?1, ?2", ("a", "b")).fetchall() == [("b", "a", "b")]
    for prefix in ":@$":
        sql = f"select {prefix}x, {prefix}y, {prefix}x"
        assert db.execute(sql, {"x": 1, "y": 2, "unused": 3}).fetchall() == [(1, 2, 1)]
    assert db.execute("select :x", OrderedDict(x="m")).fetchone() == ("m",)


def test_sequences_of_any_kind_bind(db):
    assert db.execute("select ?, ?", [1, 2]).fetchone() == (1, 2)
    assert db.execute("select ?, ?", range(3, 5)).fetchone() == (3, 4)
    assert db.execute("select 1", ()).fetchone() == (1,)
    assert db.execute("select 1", {}).fetchone() == (1,)


def test_wrong_parameter_count_names_both_counts(db):
    assert invalid_argument(db.execute, "select ?, ?, ?", (1, 2)) == \
        "execute: 2 parameters given, the statement takes 3"
    assert invalid_argument(db.execute, "select ?", (1, 2)) == "execute: 2 parameters given, the statement takes 1"
    assert invalid_argument(db.execute, "select 1", (1,)) == "execute: 1 parameter given, the statement takes 0"
    assert invalid_argument(db.execute, "select ?") == "execute: 0 parameters given, the statement takes 1"


def test_unsupported_types_name_the_parameter(db):
    with pytest.raises(TypeError, match=r"^execute: parameter 2 \(:title\): unsupported type dict$"):
        db.execute("select :id, :title", {"id": 1, "title": {}})
    with pytest.raises(TypeError, match=r"^execute: parameter 1: unsupported type object$"):
        db.execute("select ?", (object(),))
    with pytest.raises(TypeError, match=r"unsupported type list"):
        db.execute("select ?", ([1, 2],))
    with pytest.raises(OverflowError, match=r"^execute: parameter 1: int 18446744073709551616 does not fit"):
        db.execute("select ?", (2**64,))
    with pytest.raises(ValueError, match=r"^execute: parameter 1: str is not encodable as UTF-8"):
        db.execute("select ?", ("\ud800",))
    assert db.execute("select ?, ?", (2**63 - 1, -2**63)).fetchone() == (2**63 - 1, -2**63)


@pytest.mark.parametrize("params", [5, "ab", b"ab", {1, 2}, iter([1, 2]), None])
def test_parameters_must_be_a_sequence_or_a_mapping(db, params):
    with pytest.raises(TypeError, match="^execute: parameters must be a sequence or a mapping, not "):
        db.execute("select ?, ?", params)


def test_named_and_positional_mismatches(db):
    assert invalid_argument(db.execute, "select :a, :b", (1, 2)) == \
        "execute: the statement's parameters are named (:a, :b): give a mapping, not tuple"
    assert invalid_argument(db.execute, "select ?", {"a": 1}) == \
        "execute: parameter 1 is positional: a mapping binds only named parameters; give a sequence"
    assert "parameter 2 (:b) is named" in invalid_argument(db.execute, "select ?, :b", (1, 2))
    assert "parameter 1 is positional" in invalid_argument(db.execute, "select ?, :b", {"b": 1})


def test_missing_named_parameter(db):
    assert invalid_argument(db.execute, "select :a, :title", {"a": 1}) == \
        "execute: parameter 2 (:title) has no value: the mapping has no key 'title'"


def test_bad_parameters_leave_no_statement_and_no_change(table):
    with pytest.raises(TypeError):
        table.execute("insert into t (name) values (?)", ({},))
    assert table.execute("select count(*) from t").fetchone() == (0,)


def test_sqlite_errors_are_zova_errors_with_sqlite_messages(table):
    table.execute("insert into t (id) values (1)")
    with pytest.raises(ZovaError) as info:
        table.execute("insert into t (id) values (?)", (1,))
    assert info.value.status == lib.ZOVA_CONSTRAINT and "UNIQUE" in info.value.message
    with pytest.raises(ZovaError) as info:
        table.execute("select * from missing")
    assert info.value.status == lib.ZOVA_SQLITE_ERROR and "no such table" in info.value.message


def test_closed_database(path):
    db = zova.Database.create(path)
    db.execute("create table t (a)")
    cursor = db.execute("select * from (with recursive n(i) as (select 1 union all select i + 1 from n "
                        "where i < 1000) select i from n)")
    db.close()
    for call in (lambda: db.execute("select 1"), lambda: db.executemany("insert into t values (?)", [(1,)]),
                 lambda: db.executescript("select 1"), lambda: db.transaction().__enter__(),
                 lambda: db.in_transaction):
        with pytest.raises(ClosedHandleError):
            call()
    assert len(cursor.fetchall()) == 1000  # an open cursor keeps reading (README "Handles")


# ---- the cursor ----

def test_cursor_fetches_and_iterates(db):
    sql = "with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000) select i, 'r' || i from n"
    expected = [(i, f"r{i}") for i in range(1, 1001)]
    assert list(db.execute(sql)) == expected
    cursor = db.execute(sql)
    assert cursor.fetchone() == expected[0]
    assert cursor.fetchmany() == expected[1:2]  # arraysize 1
    cursor.arraysize = 3
    assert cursor.fetchmany() == expected[2:5]
    assert cursor.fetchmany(0) == []
    assert cursor.fetchmany(300) == expected[5:305]   # across batches of 256
    assert cursor.fetchmany(256) == expected[305:561]
    assert cursor.fetchall() == expected[561:]
    assert cursor.fetchone() is None and cursor.fetchmany(5) == [] and cursor.fetchall() == []


@pytest.mark.parametrize("size", [1, 2, 7, 255, 256, 257, 999, 1000, 5000])
def test_fetchmany_sizes_cover_every_row_once(db, size):
    cursor = db.execute("with recursive n(i) as (select 1 union all select i + 1 from n where i < 1000) "
                        "select i from n")
    rows = []
    while batch := cursor.fetchmany(size):
        assert len(batch) == min(size, 1000 - len(rows))
        rows.extend(batch)
    assert rows == [(i,) for i in range(1, 1001)]


def test_cursor_close(db):
    cursor = db.execute("select 1 union all select 2")
    cursor.close()
    cursor.close()
    for call in (cursor.fetchone, cursor.fetchall, lambda: cursor.fetchmany(2), lambda: next(cursor)):
        with pytest.raises(ClosedHandleError, match="cursor is closed"):
            call()
    with pytest.raises(TypeError):
        zova.Cursor()
    with pytest.raises(TypeError):
        db.execute("select 1").fetchmany("2")


SQLITE3_CASES = [
    ("create table u (a integer primary key, b)", ()),
    ("insert into u (b) values (?)", (1,)),
    ("insert into u (b) values (?), (?)", (2, 3)),
    ("  /* comment */ -- line\n INSERT into u (b) values (4)", ()),
    ("replace into u (a, b) values (1, 5)", ()),
    ("update u set b = b + 1", ()),
    ("select a, b as bee from u", ()),
    ("select 1 where 0", ()),
    ("delete from u where a > ?", (2,)),
    ("insert into u (b) values (9) returning a", ()),
]


def test_description_rowcount_lastrowid_match_sqlite3(db, tmp_path):
    connection = sqlite3.connect(str(tmp_path / "peer.db"), isolation_level=None)
    connection.execute("create table other (a integer primary key)")
    db.execute("create table other (a integer primary key)")
    for sql, params in SQLITE3_CASES:
        ours, theirs = db.execute(sql, params), connection.execute(sql, params)
        assert ours.description == theirs.description, sql
        assert ours.fetchall() == theirs.fetchall(), sql
        if "returning" not in sql:  # sqlite3 counts RETURNING rows as they are read; Zova says -1
            assert ours.rowcount == theirs.rowcount, sql
        if sql.lstrip().lower().startswith(("insert", "replace")) or "returning" in sql:
            assert ours.lastrowid == theirs.lastrowid, sql
    ours = db.executemany("insert into u (b) values (?)", [(10,), (11,), (12,)])
    theirs = connection.executemany("insert into u (b) values (?)", [(10,), (11,), (12,)])
    assert ours.rowcount == theirs.rowcount == 3 and ours.description is theirs.description is None
    assert ours.lastrowid == db.last_insert_rowid() == connection.execute("select max(a) from u").fetchone()[0]
    assert db.execute("select * from u").fetchall() == connection.execute("select * from u").fetchall()


def test_ddl_rowcount_is_minus_one_even_after_changes(db):
    db.execute("create table a (x)")
    db.execute("insert into a values (1), (2)")
    assert db.execute("create table b (x)").rowcount == -1
    assert db.executemany("create table if not exists c (x)", [()]).rowcount == -1


def test_execute_runs_only_the_first_statement_and_executescript_runs_all(db):
    db.executescript("create table a (x); insert into a values (1); insert into a values (2);")
    assert db.execute("select count(*) from a").fetchone() == (2,)
    assert db.executescript("") is None


def test_pragmas_with_rows_run_at_execute(db, path):
    db.execute("pragma journal_mode = wal")  # a row nobody reads: it still ran
    assert zova.Database.open(path).execute("pragma journal_mode").fetchone() == ("wal",)


# ---- executemany ----

def test_executemany_with_a_generator_and_more_rows_than_a_chunk(table):
    rows = ((i, f"n{i}", i / 2, None if i % 3 else bytes([i % 256])) for i in range(20_000))
    cursor = table.executemany("insert into t values (?, ?, ?, ?)", rows)
    assert cursor.rowcount == 20_000 and cursor.lastrowid == 19_999
    assert table.execute("select count(*), sum(id), count(data) from t").fetchone() == \
        (20_000, sum(range(20_000)), len([i for i in range(20_000) if not i % 3]))
    assert table.execute("select data from t where id = 3").fetchone() == (b"\x03",)


def test_executemany_named_rows_and_mixed_columns(table):
    rows = [{"id": 1, "name": "a", "data": 1}, {"id": 2, "name": None, "data": 2.5},
            {"id": 3, "name": "c\0d", "data": None, "extra": 0}]
    table.executemany("insert into t (id, name, data) values (:id, :name, :data)", rows)  # data: no affinity
    assert table.execute("select id, name, data, typeof(data) from t").fetchall() == \
        [(1, "a", 1, "integer"), (2, None, 2.5, "real"), (3, "c\0d", None, "null")]


def test_executemany_of_no_rows(table):
    cursor = table.executemany("insert into t (id) values (?)", [])
    assert cursor.rowcount == 0 and cursor.lastrowid is None and cursor.fetchall() == []


def test_executemany_rows_of_different_lengths_name_the_row(table):
    message = invalid_argument(table.executemany, "insert into t (id, name) values (?, ?)",
                               [(1, "a"), (2, "b"), (3,)])
    assert message == "executemany: row 2: 1 parameter given, the statement takes 2"
    rows = ((i, "x") for i in range(10_000))
    message = invalid_argument(table.executemany, "insert into t (id, name) values (?, ?)",
                               list(rows) + [(1, 2, 3)])
    assert message == "executemany: row 10000: 3 parameters given, the statement takes 2"
    assert table.execute("select count(*) from t").fetchone() == (0,)  # all or nothing


def test_executemany_bad_rows(table):
    sql = "insert into t (id, name) values (?, ?)"
    with pytest.raises(TypeError, match=r"^executemany: row 1: parameter 2: unsupported type dict$"):
        table.executemany(sql, [(1, "a"), (2, {})])
    with pytest.raises(TypeError, match=r"^executemany: row 1: parameters must be a sequence or a mapping, not int"):
        table.executemany(sql, [(1, "a"), 5])
    with pytest.raises(OverflowError, match=r"^executemany: row 2: parameter 1: int"):
        table.executemany(sql, [(1, "a"), (2, "b"), (2**70, "c")])
    assert "row 1: parameter 1 is positional" in invalid_argument(table.executemany, sql, [(1, "a"), {"x": 1}])
    message = invalid_argument(table.executemany, "insert into t (id) values (:id)", [{"id": 1}, {"di": 2}])
    assert message == "executemany: row 1: parameter 1 (:id) has no value: the mapping has no key 'id'"
    with pytest.raises(TypeError):
        table.executemany(sql, 5)
    assert "returns rows" in invalid_argument(table.executemany, "select ?", [(1,)])
    assert table.execute("select count(*) from t").fetchone() == (0,)


def test_executemany_failing_row_rolls_every_row_back(table):
    with pytest.raises(ZovaError) as info:
        table.executemany("insert into t (id) values (?)", [(1,), (2,), (1,)])
    assert info.value.status == lib.ZOVA_CONSTRAINT
    assert table.execute("select count(*) from t").fetchone() == (0,) and not table.in_transaction


def test_executemany_inside_a_transaction_is_a_savepoint(table):
    with table.transaction():
        table.execute("insert into t (id) values (100)")
        with pytest.raises(ZovaError):
            table.executemany("insert into t (id) values (?)", [(1,), (1,)])
        assert table.in_transaction
    assert table.execute("select id from t").fetchall() == [(100,)]


# ---- Statement.execute and iteration ----

def test_statement_execute_rebinds_and_iterates(table):
    with table.prepare("insert into t (id, name) values (?, ?)") as insert:
        for i in range(5):
            cursor = insert.execute((i, f"n{i}"))
            assert cursor.rowcount == 1 and cursor.lastrowid == i and list(cursor) == []
    with table.prepare("select name from t where id >= :low order by id") as select:
        assert list(select.execute({"low": 3})) == [("n3",), ("n4",)]
        assert select.execute({"low": 4}).fetchall() == [("n4",)]
        select.execute({"low": 0})
        assert list(select) == [(f"n{i}",) for i in range(5)]  # iterating the statement itself still works
        assert invalid_argument(select.execute, {}) == \
            "execute: parameter 1 (:low) has no value: the mapping has no key 'low'"


def test_statement_execute_clears_old_bindings(table):
    with table.prepare("select ?1, ?2") as select:
        select.bind_int(2, 9)
        assert select.execute((1, None)).fetchall() == [(1, None)]


def test_a_second_execute_makes_the_first_cursor_raise_misuse(db):
    sql = "with recursive n(i) as (select 1 union all select i + 1 from n where i < ?) select i from n"
    with db.prepare(sql) as select:
        first = select.execute((1000,))
        assert first.fetchmany(300)[-1] == (300,)
        assert select.execute((3,)).fetchall() == [(1,), (2,), (3,)]
        with pytest.raises(ZovaError) as info:
            first.fetchall()
        assert info.value.status == lib.ZOVA_MISUSE
        second = select.execute((1000,))
        select.step()
        with pytest.raises(ZovaError) as info:
            second.fetchmany(1000)
        assert info.value.status == lib.ZOVA_MISUSE


def test_statement_execute_on_a_closed_statement(table):
    select = table.prepare("select ?")
    select.close()
    with pytest.raises(ClosedHandleError):
        select.execute((1,))


# ---- transactions ----

def count(db) -> int:
    return db.execute("select count(*) from t").fetchone()[0]


def test_transaction_commits(table, path):
    with table.transaction() as scoped:
        assert scoped is table and table.in_transaction
        table.execute("insert into t (id) values (1)")
    assert not table.in_transaction
    with zova.Database.open(path) as other:
        assert other.execute("select id from t").fetchall() == [(1,)]


def test_transaction_rolls_back_and_reraises(table):
    with pytest.raises(KeyError):
        with table.transaction():
            table.execute("insert into t (id) values (1)")
            raise KeyError("x")
    assert count(table) == 0 and not table.in_transaction


def test_nested_transactions_are_savepoints(table):
    with table.transaction():
        table.execute("insert into t (id) values (1)")
        with pytest.raises(RuntimeError):
            with table.transaction():
                table.execute("insert into t (id) values (2)")
                with table.transaction(immediate=True):  # nested: immediate has no effect
                    table.execute("insert into t (id) values (3)")
                raise RuntimeError
        with table.transaction():
            table.execute("insert into t (id) values (4)")
        assert table.in_transaction
    assert table.execute("select id from t order by id").fetchall() == [(1,), (4,)]


def test_transaction_inside_begin_is_a_savepoint(table):
    table.begin()
    with pytest.raises(ValueError):
        with table.transaction():
            table.execute("insert into t (id) values (1)")
            raise ValueError
    assert table.in_transaction
    table.execute("insert into t (id) values (2)")
    table.commit()
    assert table.execute("select id from t").fetchall() == [(2,)]


def test_immediate_takes_the_write_lock_at_begin(table, path):
    with zova.Database.open(path) as other:
        with table.transaction(immediate=True):
            with pytest.raises(ZovaError) as info:
                other.begin_immediate()
            assert info.value.status == lib.ZOVA_BUSY
        with table.transaction():  # deferred: no lock until the first write
            other.begin_immediate()
            other.rollback()


def test_failed_commit_rolls_back(table):
    table.execute("create table parent (id integer primary key)")
    table.execute("create table child (p references parent (id) deferrable initially deferred)")
    table.execute("pragma foreign_keys = on")
    with pytest.raises(ZovaError) as info:
        with table.transaction():
            table.execute("insert into child values (7)")
    assert info.value.status == lib.ZOVA_CONSTRAINT
    assert not table.in_transaction and table.execute("select count(*) from child").fetchone() == (0,)


def test_transaction_misuse(table):
    context = table.transaction()
    with context:
        pass
    with pytest.raises(ZovaError) as info:
        context.__enter__()
    assert info.value.status == lib.ZOVA_MISUSE
    with pytest.raises(TypeError):
        table.transaction(immediate=1)


def test_with_db_closes_and_savepoint_context_is_unchanged(path):
    with zova.Database.create(path) as db:
        db.execute("create table t (a)")
        db.execute("insert into t values (1)")  # autocommit: nothing to commit at the end
        with db.savepoint_context("work"):
            db.execute("insert into t values (2)")
    with pytest.raises(ClosedHandleError):
        db.execute("select 1")
    with zova.Database.open(path) as db:
        assert db.execute("select a from t").fetchall() == [(1,), (2,)]


# ---- threads ----

def test_threads_execute_on_one_handle_while_it_closes(path):
    db = zova.Database.create(path)
    db.execute("create table t (a)")
    errors, results = [], []
    start = threading.Barrier(5)

    def work(worker: int):
        start.wait()
        try:
            for i in range(300):
                db.execute("insert into t values (?)", (worker * 1000 + i,))
                db.executemany("insert into t values (?)", [(-1,), (-2,)])
                results.append(db.execute("select count(*) from t").fetchall())
        except ClosedHandleError:
            pass
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    start.wait()
    db.close()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(len(rows) == 1 for rows in results)
    with pytest.raises(ClosedHandleError):
        db.execute("select 1")


def test_threads_share_one_cursor(db):
    cursor = db.execute("with recursive n(i) as (select 1 union all select i + 1 from n where i < 20000) "
                        "select i from n")
    seen: list = []

    def read():
        while batch := cursor.fetchmany(97):
            seen.extend(batch)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == [(i,) for i in range(1, 20001)]


def test_threads_run_transactions_on_their_own_handles(path):
    with zova.Database.create(path) as db:
        db.execute("create table t (a)")
    errors = []

    def work(worker: int):
        try:
            with zova.Database.open(path, busy_timeout_ms=20_000) as own:
                for i in range(20):
                    with own.transaction(immediate=True):
                        own.executemany("insert into t values (?)", [(worker,)] * 5)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with zova.Database.open(path) as db:
        assert db.execute("select a, count(*) from t group by a").fetchall() == [(n, 100) for n in range(4)]
