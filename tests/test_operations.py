"""Operational copies and conversion: backup, compact, restore, convert, vacuum
(docs/c-api.md §4.6, §5.10, §5.12, §7.4; docs/cli.md §1.7, docs/python.md §2.3)."""
from __future__ import annotations

import hashlib
import os
import sqlite3
import threading

import pytest

import zova
import zova_fixtures as fx
from zova._native import ffi, lib


def _digest(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _rows(db: zova.Database, sql: str) -> list[tuple]:
    with db.prepare(sql) as statement:
        return statement.fetchall()


def _make_source(path: str) -> None:
    with zova.Database.create(path) as db:
        db.exec("create table notes(id integer primary key, body text); "
                "create index notes_body on notes(body)")
        for i in range(200):
            db.exec(f"insert into notes(body) values ('note {i}')")


@pytest.fixture
def source(tmp_path):
    path = str(tmp_path / "source.zova")
    _make_source(path)
    return path


def _status(excinfo) -> int:
    return excinfo.value.status


# ---- backup (docs/c-api.md §4.6, §7.4) ----

def test_backup_copies_everything_and_verifies_c_abi_4_6(source, tmp_path):
    destination = str(tmp_path / "copy.zova")
    with zova.Database.open(source) as db:
        db.backup_to(destination)
    with zova.Database.open(destination, read_only=True) as copy:
        assert _rows(copy, "select count(*), min(body), max(id) from notes") == [(200, "note 0", 200)]
        assert _rows(copy, "select value from _zova_meta where key = 'format_version'") == [("3",)]


def test_backup_no_verify_still_copies_c_abi_7_4(source, tmp_path):
    destination = str(tmp_path / "copy.zova")
    with zova.Database.open(source) as db:
        db.backup_to(destination, verify=False)
    with zova.Database.open(destination) as copy:
        assert _rows(copy, "select count(*) from notes") == [(200,)]


def test_backup_never_overwrites_existing_destination_c_abi_5_10(source, tmp_path):
    destination = tmp_path / "taken.zova"
    destination.write_bytes(b"precious bytes")
    with zova.Database.open(source) as db:
        with pytest.raises(zova.ZovaError) as excinfo:
            db.backup_to(str(destination))
    assert _status(excinfo) == 33
    assert excinfo.value.status_name == "ZOVA_DESTINATION_EXISTS"
    assert destination.read_bytes() == b"precious bytes"


def test_backup_destination_needs_zova_suffix_c_abi_5_10(source, tmp_path):
    with zova.Database.open(source) as db:
        for name in ("copy.sqlite", "copy.ZOVA", "copy.zova.bak"):
            with pytest.raises(zova.ZovaError) as excinfo:
                db.backup_to(str(tmp_path / name))
            assert _status(excinfo) == 30
            assert not (tmp_path / name).exists()


def test_backup_missing_parent_is_cant_open_c_abi_5_10(source, tmp_path):
    with zova.Database.open(source) as db:
        with pytest.raises(zova.ZovaError) as excinfo:
            db.backup_to(str(tmp_path / "missing" / "copy.zova"))
    assert _status(excinfo) == 13
    assert not (tmp_path / "missing").exists()


def test_backup_failed_verification_leaves_no_file_c_abi_5_12(source, tmp_path):
    fx.break_quick_check(source)
    destination = tmp_path / "copy.zova"
    with zova.Database.open(source) as db:
        with pytest.raises(zova.ZovaError) as excinfo:
            db.backup_to(str(destination))
        assert _status(excinfo) == 15
        assert not destination.exists()
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith("copy")] == []
        # Without verification the same copy is kept (the copy itself succeeds).
        db.backup_to(str(destination), verify=False)
    assert destination.exists()


def test_backup_flags_and_null_arguments_c_abi_7_4(source, tmp_path):
    destination = ffi.new("char[]", str(tmp_path / "copy.zova").encode())
    with zova.Database.open(source) as db:
        assert lib.zova_database_backup(ffi.NULL) == 1
        request = ffi.new("zova_database_backup_request *")
        request.destination_path = destination
        assert lib.zova_database_backup(request) == 1  # NULL db
        request.db = db._handle()
        request.flags = 2
        assert lib.zova_database_backup(request) == 1
        request.flags = 0
        request.destination_path = ffi.NULL
        assert lib.zova_database_backup(request) == 1
    assert not (tmp_path / "copy.zova").exists()


def test_racing_backups_exactly_one_wins_c_abi_5_10(source, tmp_path):
    """Two handles copying to the same path at the same time: one copy wins, the
    other gets DESTINATION_EXISTS and does not delete or damage the winner's file."""
    for round_number in range(6):
        destination = str(tmp_path / f"race{round_number}.zova")
        handles = [zova.Database.open(source) for _ in range(2)]
        barrier = threading.Barrier(2)
        outcomes: list = [None, None]

        def run(index: int, use_compact: bool) -> None:
            barrier.wait()
            try:
                if use_compact:
                    handles[index].compact_to(destination)
                else:
                    handles[index].backup_to(destination)
                outcomes[index] = 0
            except zova.ZovaError as error:
                outcomes[index] = error.status

        threads = [threading.Thread(target=run, args=(i, (round_number + i) % 2 == 1)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for handle in handles:
            handle.close()
        assert sorted(outcomes) == [0, 33], outcomes
        with zova.Database.open(destination) as copy:
            assert _rows(copy, "select count(*) from notes") == [(200,)]
            assert _rows(copy, "pragma quick_check") == [("ok",)]


def test_backup_python_argument_types_cli_bindings_2_3(source, tmp_path):
    with zova.Database.open(source) as db:
        with pytest.raises(TypeError):
            db.backup_to(5)
        with pytest.raises(ValueError, match="interior NUL"):
            db.backup_to(str(tmp_path / "co\0py.zova"))
        with pytest.raises(TypeError):
            db.backup_to(str(tmp_path / "copy.zova"), verify=1)
    db.close()
    with pytest.raises(zova.ClosedHandleError):
        db.backup_to(str(tmp_path / "copy.zova"))


# ---- compact (docs/c-api.md §4.6, §7.4) ----

def test_compact_shrinks_and_leaves_source_unchanged_c_abi_4_6(source, tmp_path):
    with zova.Database.open(source) as db:
        db.exec("create table bulk(x); insert into bulk select zeroblob(4000) from notes")
        db.exec("drop table bulk")
    before = _digest(source)
    destination = str(tmp_path / "compact.zova")
    with zova.Database.open(source) as db:
        db.compact_to(destination)
    assert _digest(source) == before
    assert os.path.getsize(destination) < os.path.getsize(source)
    with zova.Database.open(destination) as copy:
        assert _rows(copy, "select count(*) from notes") == [(200,)]
        assert _rows(copy, "pragma freelist_count") == [(0,)]


def test_compact_destination_rules_c_abi_7_4(source, tmp_path):
    taken = tmp_path / "taken.zova"
    taken.write_bytes(b"")
    with zova.Database.open(source) as db:
        with pytest.raises(zova.ZovaError) as excinfo:
            db.compact_to(str(taken))
        assert _status(excinfo) == 33
        with pytest.raises(zova.ZovaError) as excinfo:
            db.compact_to(str(tmp_path / "compact.db"))
        assert _status(excinfo) == 30
        with pytest.raises(zova.ZovaError) as excinfo:
            db.compact_to(str(tmp_path / "nowhere" / "compact.zova"))
        assert _status(excinfo) == 13
    assert taken.read_bytes() == b""


def test_compact_inside_transaction_fails_without_file_c_abi_7_4(source, tmp_path):
    destination = tmp_path / "compact.zova"
    with zova.Database.open(source) as db:
        db.begin()
        with pytest.raises(zova.ZovaError) as excinfo:
            db.compact_to(str(destination))
        assert _status(excinfo) == 17
        db.rollback()
    assert not destination.exists()


def test_compact_failed_verification_leaves_no_file_c_abi_5_12(source, tmp_path):
    fx.break_quick_check(source)
    destination = tmp_path / "compact.zova"
    with zova.Database.open(source) as db:
        with pytest.raises(zova.ZovaError) as excinfo:
            db.compact_to(str(destination))
        assert _status(excinfo) == 15
        assert not destination.exists()
        db.compact_to(str(destination), verify=False)
    assert destination.exists()


# ---- restore (docs/c-api.md §4.6, §7.4) ----

def test_restore_roundtrip_c_abi_4_6(source, tmp_path):
    backup = str(tmp_path / "backup.zova")
    restored = str(tmp_path / "restored.zova")
    with zova.Database.open(source) as db:
        db.backup_to(backup)
    before = _digest(backup)
    zova.restore_backup(backup, restored)
    assert _digest(backup) == before
    with zova.Database.open(restored) as db:
        assert _rows(db, "select count(*) from notes") == [(200,)]
        db.exec("insert into notes(body) values ('after restore')")  # a normal writable file


def test_restore_source_and_destination_errors_c_abi_7_4(source, tmp_path):
    plain = tmp_path / "plain.sqlite"
    sqlite3.connect(plain).execute("create table x(a)").connection.close()
    cases = [
        (str(plain), str(tmp_path / "r1.zova"), 30),
        (str(tmp_path / "absent.zova"), str(tmp_path / "r2.zova"), 31),
        (str(tmp_path / "no" / "absent.zova"), str(tmp_path / "r3.zova"), 13),
        (source, str(tmp_path / "r4.sqlite"), 30),
        (source, source, 33),
        (source, str(tmp_path / "no" / "r5.zova"), 13),
    ]
    for src, dst, expected in cases:
        with pytest.raises(zova.ZovaError) as excinfo:
            zova.restore_backup(src, dst)
        assert _status(excinfo) == expected, (src, dst)
        assert excinfo.value.message  # docs/c-api.md §5.6: a non-empty diagnostic
    for name in ("r1.zova", "r2.zova", "r3.zova", "r4.sqlite"):
        assert not (tmp_path / name).exists()


def test_restore_renamed_plain_sqlite_is_not_zova_database_c_abi_7_4(tmp_path):
    fake = tmp_path / "fake.zova"
    sqlite3.connect(fake).execute("create table x(a)").connection.close()
    with pytest.raises(zova.ZovaError) as excinfo:
        zova.restore_backup(str(fake), str(tmp_path / "out.zova"))
    assert _status(excinfo) == 31
    assert not (tmp_path / "out.zova").exists()


def test_restore_failed_verification_leaves_no_file_c_abi_5_12(source, tmp_path):
    fx.break_quick_check(source)
    destination = tmp_path / "restored.zova"
    with pytest.raises(zova.ZovaError) as excinfo:
        zova.restore_backup(source, str(destination))
    assert _status(excinfo) == 15
    assert not destination.exists()
    zova.restore_backup(source, str(destination), verify=False)
    assert destination.exists()


def test_restore_null_and_flag_checks_c_abi_7_4(source, tmp_path):
    assert lib.zova_database_restore(ffi.NULL) == 1
    message = ffi.new("zova_message *")
    src = ffi.new("char[]", source.encode())
    dst = ffi.new("char[]", str(tmp_path / "r.zova").encode())
    request = ffi.new("zova_database_restore_request *")
    request.out_error_message = message
    request.destination_path = dst
    assert lib.zova_database_restore(request) == 1
    assert message.data != ffi.NULL
    lib.zova_message_free(message)
    request.source_path = src
    request.flags = 4
    assert lib.zova_database_restore(request) == 1
    lib.zova_message_free(message)
    request.flags = lib.ZOVA_RESTORE_NO_VERIFY
    assert lib.zova_database_restore(request) == 0
    assert message.data == ffi.NULL


# ---- convert (docs/c-api.md §4.6, §7.4) ----

def _plain_sqlite(path, statements: list[str]) -> None:
    connection = sqlite3.connect(path)
    for statement in statements:
        connection.execute(statement)
    connection.commit()
    connection.close()


def test_convert_keeps_user_data_and_never_touches_source_c_abi_4_6(tmp_path):
    plain = tmp_path / "app.db"
    _plain_sqlite(plain, ["create table people(id integer primary key, name text)",
                          "insert into people(name) values ('ada'), ('grace')",
                          "create index people_name on people(name)",
                          "create view people_view as select name from people"])
    before = _digest(str(plain))
    mtime = os.stat(plain).st_mtime_ns
    destination = str(tmp_path / "app.zova")
    zova.convert_sqlite_to_zova(str(plain), destination)
    assert _digest(str(plain)) == before
    assert os.stat(plain).st_mtime_ns == mtime
    with zova.Database.open(destination) as db:
        assert _rows(db, "select name from people_view order by name") == [("ada",), ("grace",)]
        assert _rows(db, "select key, value from _zova_meta order by key") == [("format_version", "3"),
                                                                               ("magic", "zova")]
        assert _rows(db, "select count(*) from sqlite_master where name like '\\_zova\\_%' escape '\\' "
                         "and type = 'table'") == [(6,)]


@pytest.mark.parametrize("statement", [
    "create table _zova_things(a)",
    "create table _ZOVA_Upper(a)",
    "create table ok(a); create index _Zova_idx on ok(a)",
    "create table ok(a); create view _zova_view as select a from ok",
])
def test_convert_refuses_reserved_names_with_34_c_abi_7_4(tmp_path, statement):
    plain = tmp_path / "reserved.db"
    connection = sqlite3.connect(plain)
    connection.executescript(statement)
    connection.close()
    before = _digest(str(plain))
    destination = tmp_path / "reserved.zova"
    with pytest.raises(zova.ZovaError) as excinfo:
        zova.convert_sqlite_to_zova(str(plain), str(destination))
    assert _status(excinfo) == 34
    assert excinfo.value.status_name == "ZOVA_ZOVA_NAME_CONFLICT"
    assert not destination.exists()
    assert _digest(str(plain)) == before


def test_convert_errors_in_spec_order_c_abi_7_4(tmp_path):
    plain = tmp_path / "app.db"
    _plain_sqlite(plain, ["create table t(a)"])
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database at all" * 100)
    existing = tmp_path / "existing.zova"
    existing.write_bytes(b"keep")
    cases = [
        (str(plain), str(tmp_path / "out.db"), 30),
        (str(plain), str(existing), 33),
        (str(plain), str(tmp_path / "no" / "out.zova"), 13),
        (str(tmp_path / "absent.db"), str(tmp_path / "out1.zova"), 13),
        (str(garbage), str(tmp_path / "out2.zova"), 17),
        # the destination check comes first: an existing destination wins over a missing source
        (str(tmp_path / "absent.db"), str(existing), 33),
    ]
    for src, dst, expected in cases:
        with pytest.raises(zova.ZovaError) as excinfo:
            zova.convert_sqlite_to_zova(src, dst)
        assert _status(excinfo) == expected, (src, dst)
        assert excinfo.value.message
    assert existing.read_bytes() == b"keep"
    assert not (tmp_path / "out1.zova").exists() and not (tmp_path / "out2.zova").exists()


def test_convert_of_a_zova_file_conflicts_c_abi_7_4(source, tmp_path):
    # A .zova file has _zova_ tables, so converting it again is a name conflict.
    with pytest.raises(zova.ZovaError) as excinfo:
        zova.convert_sqlite_to_zova(source, str(tmp_path / "again.zova"))
    assert _status(excinfo) == 34


def test_convert_empty_sqlite_file_c_abi_4_6(tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    destination = str(tmp_path / "empty.zova")
    zova.convert_sqlite_to_zova(str(empty), destination)
    with zova.Database.open(destination) as db:
        assert _rows(db, "select count(*) from sqlite_master where type = 'table'") == [(6,)]
    assert empty.read_bytes() == b""


# ---- vacuum (docs/c-api.md §4.6, §7.3) ----

def test_vacuum_in_place_and_refused_in_transaction_c_abi_7_3(source):
    with zova.Database.open(source) as db:
        db.exec("create table bulk(x); insert into bulk select zeroblob(4000) from notes; drop table bulk")
        assert _rows(db, "pragma freelist_count")[0][0] > 0
        db.vacuum()
        assert _rows(db, "pragma freelist_count") == [(0,)]
        db.begin()
        with pytest.raises(zova.ZovaError) as excinfo:
            db.vacuum()
        assert _status(excinfo) == 17
        db.rollback()
    with zova.Database.open(source, read_only=True) as db:
        with pytest.raises(zova.ZovaError) as excinfo:
            db.vacuum()
        assert _status(excinfo) in (14, 17)


# ---- copies of files holding objects (verification reads every object and chunk, docs/c-api.md §5.12) ----

def _objects_file(path: str) -> list:
    with zova.Database.create(path) as db:
        db.exec("create table t(a)")
        ids = [db.put_object(os.urandom(70_000 + i)) for i in range(5)]
        db.put_object_chunk(zova.object_chunk_id(b"loose chunk"), b"loose chunk")
    return ids


def test_copies_of_objects_verify_and_read_back_c_abi_5_12(tmp_path):
    source = str(tmp_path / "objects.zova")
    ids = _objects_file(source)
    with zova.Database.open(source) as db:
        originals = [db.get_object(i) for i in ids]
        db.backup_to(str(tmp_path / "b.zova"))
        db.compact_to(str(tmp_path / "c.zova"))
    zova.restore_backup(str(tmp_path / "b.zova"), str(tmp_path / "r.zova"))
    for name in ("b.zova", "c.zova", "r.zova"):
        with zova.Database.open(str(tmp_path / name)) as copy:
            assert [copy.get_object(i) for i in ids] == originals
            assert copy.get_object_chunk(zova.object_chunk_id(b"loose chunk")) == b"loose chunk"


@pytest.mark.parametrize("damage", ["zeroed_chunk", "zeroed_loose_chunk"])
def test_copies_with_a_corrupt_chunk_fail_and_leave_nothing_c_abi_5_12(tmp_path, damage):
    """(observed) a zeroed chunk makes backup and compact fail verification with ObjectCorrupt."""
    source = str(tmp_path / "objects.zova")
    ids = _objects_file(source)
    with zova.Database.open(source) as db:
        if damage == "zeroed_chunk":
            hash_ = _rows(db, "select chunk_hash from _zova_object_chunks where object_id = ? and chunk_index = 0"
                          .replace("?", "x'" + ids[1].hex() + "'"))[0][0]
        else:
            hash_ = zova.object_chunk_id(b"loose chunk").bytes
        db.exec(f"update _zova_chunks set data = zeroblob(size_bytes) where chunk_hash = x'{hash_.hex()}'")
        for method in (db.backup_to, db.compact_to):
            destination = tmp_path / f"{method.__name__}.zova"
            with pytest.raises(zova.ZovaError) as excinfo:
                method(str(destination))
            assert _status(excinfo) == 54
            assert not destination.exists()
            method(str(destination), verify=False)
            assert destination.exists()
    with pytest.raises(zova.ZovaError) as excinfo:
        zova.restore_backup(source, str(tmp_path / "restored.zova"))
    assert _status(excinfo) == 54
    assert not (tmp_path / "restored.zova").exists()


# ---- the same operations from C, through the public header and libzova_c.a only ----

def test_c_program_backup_compact_restore_convert_c_abi_4_6(tmp_path):
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    archive = root / "build" / "lib" / "libzova_c.a"
    assert archive.exists(), f"{archive} is missing: run `python build.py lib` (the test command does)"
    binary = tmp_path / "copies_test"
    subprocess.run(["cc", "-std=c99", "-pedantic", "-Wall", "-Werror", f"-I{root / 'include'}",
                    str(root / "tests" / "c" / "copies_test.c"), str(archive), "-lsqlite3", "-lpthread", "-ldl",
                    "-lm", "-o", str(binary)], check=True)
    work = tmp_path / "work"
    work.mkdir()
    result = subprocess.run([str(binary), str(work)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "copies_test: ok"


def test_copies_from_a_read_only_handle_c_abi_4_6(source, tmp_path):
    before = _digest(source)
    with zova.Database.open(source, read_only=True) as db:
        db.backup_to(str(tmp_path / "ro-backup.zova"))
        db.compact_to(str(tmp_path / "ro-compact.zova"))
    assert _digest(source) == before
    for name in ("ro-backup.zova", "ro-compact.zova"):
        with zova.Database.open(str(tmp_path / name)) as copy:
            assert _rows(copy, "select count(*) from notes") == [(200,)]


def test_backup_of_a_wal_database_c_abi_4_6(source, tmp_path):
    """A WAL-mode source with committed pages still in its -wal file: the copy has them."""
    with zova.Database.open(source) as db:
        db.exec("pragma journal_mode = wal")
        db.exec("insert into notes(body) values ('in the wal')")
        assert os.path.getsize(source + "-wal") > 0
        db.backup_to(str(tmp_path / "wal-backup.zova"))
        db.compact_to(str(tmp_path / "wal-compact.zova"))
    for name in ("wal-backup.zova", "wal-compact.zova"):
        with zova.Database.open(str(tmp_path / name), read_only=True) as copy:
            assert _rows(copy, "select count(*) from notes where body = 'in the wal'") == [(1,)]
