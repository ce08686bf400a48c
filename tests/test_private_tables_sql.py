"""SQL cannot damage Zova's private tables (issue 13 item 5; README "Private
tables are off limits to SQL"). `db.exec("drop table _zova_meta")` used to
succeed and leave a file that no longer opened (NotZovaDatabase); `drop table
_zova_vectors` silently did nothing. exec and prepare now refuse, with status
17 and a message naming the table, every statement that drops, alters or
renames a private table, adds an index or trigger to one, or creates anything
under the reserved `_zova_` prefix. Everything else keeps working: reading the
private tables, user DDL, dropping foreign objects that other programs planted,
VACUUM and compact."""
from __future__ import annotations

import os
import sqlite3
import threading

import pytest

import zova
from zova import ZovaError, diagnostics
from zova._native import ffi, lib

from conftest import NativeDb

PRIVATE = ["_zova_meta", "_zova_objects", "_zova_chunks", "_zova_object_chunks", "_zova_vector_collections",
           "_zova_vectors"]

# (statement, the name the message must give, which message)
REFUSED = [
    *[(f"drop table {table}", table, "private") for table in PRIVATE],
    ("DROP TABLE _ZOVA_META", "_zova_meta", "private"),                # identifiers ignore case
    ("drop table if exists main._zova_chunks", "_zova_chunks", "private"),
    ('drop table "_zova_vectors"', "_zova_vectors", "private"),
    ("alter table _zova_objects add column extra text", "_zova_objects", "private"),
    ("alter table _zova_meta rename to meta", "_zova_meta", "private"),
    ("alter table _zova_vectors rename column vector_id to id", "_zova_vectors", "private"),
    ("alter table _zova_chunks drop column data", "_zova_chunks", "private"),
    ("create index by_size on _zova_objects (size_bytes)", "_zova_objects", "private"),
    ("create unique index if not exists by_hash on _zova_chunks (chunk_hash)", "_zova_chunks", "private"),
    ("create trigger evil after insert on _zova_chunks begin delete from docs; end", "_zova_chunks", "private"),
    ("create temp trigger evil after insert on main._zova_objects begin delete from main.docs; end",
     "_zova_objects", "private"),
    ("create trigger evil before delete on _zova_vectors begin select 1; end", "_zova_vectors", "private"),
    ("create table _zova_extra (a)", "_zova_extra", "reserved"),
    ("create temp table _zova_scratch (a)", "_zova_scratch", "reserved"),
    ("create view _zova_view as select 1", "_zova_view", "reserved"),
    ("create index _zova_index on docs (title)", "_zova_index", "reserved"),
    ("create trigger _zova_trigger after insert on docs begin select 1; end", "_zova_trigger", "reserved"),
]
MESSAGES = {
    "private": "{} is one of Zova's private tables: SQL cannot drop, alter or rename it",
    "reserved": "{}: names starting with _zova_ are reserved for Zova's private tables",
}


@pytest.fixture
def made(tmp_path):
    path = str(tmp_path / "guarded.zova")
    with zova.Database.create(path) as db:
        db.exec("create table docs (id integer primary key, title text)")
        db.exec("insert into docs (title) values ('keep me')")
        oid = db.put_object(os.urandom(150_000))
        db.create_vector_collection("c", zova.VectorCollectionOptions(2, zova.VectorMetric.L2))
        db.put_vector("c", "v", [1.0, 2.0])
    return path, oid


def schema(path: str) -> list:
    raw = sqlite3.connect(path)
    try:
        return raw.execute("select type, name, tbl_name, sql from sqlite_schema order by name").fetchall()
    finally:
        raw.close()


def assert_intact(path: str, oid) -> None:
    with zova.Database.open(path) as db:
        assert db.prepare("select title from docs").fetchall() == [("keep me",)]
        assert db.has_object(oid) and len(db.get_object(oid)) == 150_000
        assert db.get_vector("c", "v").values == [1.0, 2.0]
    assert diagnostics.check(path, deep=True).ok


@pytest.mark.parametrize("sql,name,kind", REFUSED, ids=[sql for sql, _, _ in REFUSED])
@pytest.mark.parametrize("entry", ["exec", "prepare"])
def test_ddl_on_private_tables_is_refused_with_the_table_named_issue13_5(made, sql, name, kind, entry):
    path, oid = made
    before = schema(path)
    with zova.Database.open(path) as db:
        with pytest.raises(ZovaError) as refused:
            if entry == "exec":
                db.exec(sql)
            else:
                db.prepare(sql)
        assert refused.value.status == lib.ZOVA_SQLITE_ERROR
        assert MESSAGES[kind].format(name) in refused.value.message
        # The handle goes on working, and the refusal left no trace.
        assert db.prepare("select count(*) from docs").fetchall() == [(1,)]
        db.put_object(b"after the refusal")
    assert schema(path) == before
    assert_intact(path, oid)


@pytest.mark.parametrize("sql,name,kind", REFUSED[::4], ids=[sql for sql, _, _ in REFUSED[::4]])
def test_c_abi_exec_and_prepare_return_17_with_the_message_issue13_5(made, sql, name, kind):
    path, oid = made
    native = NativeDb(path, create=False)
    try:
        assert native.exec(sql) == lib.ZOVA_SQLITE_ERROR
        assert MESSAGES[kind].format(name) in native.last_error()
        status, statement = native.prepare(sql)
        assert status == lib.ZOVA_SQLITE_ERROR and statement == ffi.NULL
        assert MESSAGES[kind].format(name) in native.last_error()
        assert native.exec("insert into docs (title) values ('fine')") == lib.ZOVA_OK
        assert native.last_error() == ""
    finally:
        assert lib.zova_database_close(native.ptr) == lib.ZOVA_OK


def test_the_first_statement_of_a_script_runs_and_the_refused_one_stops_it_issue13_5(made):
    """exec runs a script statement by statement (sqlite3_exec): what came
    before the refused statement ran, nothing after it did."""
    path, _ = made
    with zova.Database.open(path) as db:
        with pytest.raises(ZovaError, match="_zova_meta is one of Zova's private tables"):
            db.exec("insert into docs (title) values ('first'); drop table _zova_meta; "
                    "insert into docs (title) values ('never')")
        assert db.prepare("select title from docs order by id").fetchall() == [("keep me",), ("first",)]


def test_a_refusal_inside_a_transaction_leaves_the_transaction_open_issue13_5(made):
    path, oid = made
    with zova.Database.open(path) as db:
        db.begin()
        db.exec("insert into docs (title) values ('in the transaction')")
        with pytest.raises(ZovaError, match="_zova_objects is one of"):
            db.exec("alter table _zova_objects add column extra")
        db.commit()
        assert db.prepare("select count(*) from docs").fetchall() == [(2,)]


def test_attached_zova_files_are_guarded_too_issue13_5(made, tmp_path):
    path, oid = made
    other = str(tmp_path / "other.zova")
    zova.Database.create(other).close()
    with zova.Database.open(path) as db:
        db.exec(f"attach database '{other}' as other")
        with pytest.raises(ZovaError, match="_zova_meta is one of"):
            db.exec("drop table other._zova_meta")
        db.exec("detach database other")
    zova.Database.open(other).close()


def test_what_stays_allowed_issue13_5(made, tmp_path):
    """Reading private tables, user DDL of every kind, and dropping the foreign
    objects another program planted on private tables (what the foreign-trigger
    guard tells the user to do) keep working; so do VACUUM and compact, which
    rebuild the private tables themselves."""
    path, oid = made
    raw = sqlite3.connect(path)
    raw.execute("create trigger planted after insert on _zova_chunks begin delete from docs; end")
    raw.execute("create index planted_size on _zova_chunks (size_bytes)")
    raw.commit()
    raw.close()
    with zova.Database.open(path) as db:
        assert db.prepare("select count(*) from _zova_objects").fetchall() == [(1,)]
        db.exec("create table notes (body text); create index notes_body on notes (body)")
        db.exec("create view sizes as select object_id, size_bytes from _zova_objects")
        db.exec("create trigger on_notes after insert on notes begin insert into docs (title) values ('t'); end")
        db.exec("alter table notes add column extra integer; alter table notes rename to notes2")
        db.exec("drop trigger planted; drop index planted_size")
        db.put_object(b"the guard no longer refuses")
        db.exec("drop view sizes; drop trigger on_notes; drop table notes2")
        db.exec("vacuum")
        db.vacuum()
        db.compact_to(str(tmp_path / "compacted.zova"))
    assert_intact(path, oid)
    assert_intact(str(tmp_path / "compacted.zova"), oid)


def test_threads_refused_on_one_handle_each_get_their_own_message_issue13_5(made):
    """The refusal's reason is kept per thread: threads refused at once on one
    shared handle, while another thread writes on it, each read the table they
    named, and the writer never fails."""
    path, oid = made
    rounds = 60
    failures: list = []
    with zova.Database.open(path) as db:
        def refuse(table: str) -> None:
            for _ in range(rounds):
                try:
                    db.exec(f"drop table {table}")
                    failures.append(f"drop table {table} ran")
                except ZovaError as error:
                    if f"{table} is one of Zova's private tables" not in error.message:
                        failures.append(error.message)

        def write() -> None:
            try:
                for i in range(rounds):
                    db.put_object(f"object {i}".encode())
                    db.exec(f"insert into docs (title) values ('row {i}')")
            except ZovaError as error:
                failures.append(f"writer: {error}")

        threads = [threading.Thread(target=refuse, args=(table,)) for table in PRIVATE]
        threads.append(threading.Thread(target=write))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert db.prepare("select count(*) from docs").fetchall() == [(1 + rounds,)]
    zova.Database.open(path).close()
    assert diagnostics.check(path, deep=True).ok
