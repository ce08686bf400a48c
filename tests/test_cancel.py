"""Cancelling a long call from another thread (issue 13 item 3): zova.Cancel,
zova.Interrupted, and the C ABI under them (zova_cancel_*, zova_thread_set_cancel).

Each race runs the operation for real on a worker thread with a token bound,
cancels it from the main thread after about 0.2 s while it is still running,
and requires: zova.Interrupted (a ZovaError, status 17, message
"interrupted"), the call returning within 0.5 s of the request, no destination
left (nor its -journal/-wal/-shm), and a source that still passes a deep check.
The sources (a ~350 MB .zova of random objects, a ~400 MB plain SQLite file)
are made once per module."""
from __future__ import annotations

import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

import zova
import zova.diagnostics
from zova._native import ffi, lib

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = ROOT / "build" / "lib" / "libzova_c.a"
SUFFIXES = ("", "-journal", "-wal", "-shm")
CANCEL_AFTER = 0.2
LATENCY_LIMIT = 0.5
OBJECT_BYTES = 32 << 20
OBJECTS = 11  # ~350 MB of random bytes: nothing deduplicates


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """(big .zova path, its object ids, big plain SQLite path)."""
    directory = tmp_path_factory.mktemp("cancel-sources")
    zova_path = str(directory / "big.zova")
    generator = random.Random(13)
    ids = []
    with zova.Database.create(zova_path) as db:
        db.exec("create table notes(x); insert into notes values ('kept')")
        for _ in range(OBJECTS):
            ids.append(db.put_object(generator.randbytes(OBJECT_BYTES)))
    plain_path = str(directory / "plain.db")
    connection = sqlite3.connect(plain_path)
    connection.execute("create table blobs(b)")
    connection.execute("insert into blobs select zeroblob(1048576) from (with recursive n(i) as "
                       "(select 1 union all select i + 1 from n where i < 400) select i from n)")
    connection.commit()
    connection.close()
    assert os.path.getsize(zova_path) > 300 << 20
    assert os.path.getsize(plain_path) > 300 << 20
    yield zova_path, ids, plain_path
    shutil.rmtree(directory, ignore_errors=True)


def absent(path: str) -> bool:
    return not any(os.path.exists(path + suffix) for suffix in SUFFIXES)


def remove(path: str) -> None:
    for suffix in SUFFIXES:
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


class Race:
    """Runs call() on a worker thread with a fresh token bound; cancel() requests
    it from the calling thread once the worker has run for `after` seconds."""

    def __init__(self, call, after: float = CANCEL_AFTER) -> None:
        self.token = zova.Cancel()
        self.error: BaseException | None = None
        self.returned_at = None
        self._call = call
        self._thread = threading.Thread(target=self._run)
        self._thread.start()
        time.sleep(after)
        self.still_running = self._thread.is_alive()
        self.cancelled_at = time.perf_counter()
        self.token.cancel()
        self._thread.join(60)
        assert not self._thread.is_alive(), "the cancelled call did not return within 60 s"

    def _run(self) -> None:
        try:
            with self.token.bound():
                self._call()
        except BaseException as error:  # noqa: BLE001 - reported to the test
            self.error = error
        self.returned_at = time.perf_counter()

    @property
    def latency(self) -> float:
        return self.returned_at - self.cancelled_at

    def assert_interrupted(self) -> None:
        assert self.still_running, "the operation finished before the cancel: the race proves nothing"
        assert isinstance(self.error, zova.Interrupted), repr(self.error)
        assert isinstance(self.error, zova.ZovaError)
        assert self.error.status == lib.ZOVA_SQLITE_ERROR == 17
        assert self.error.status_name == "ZOVA_SQLITE_ERROR"
        assert self.error.message == "interrupted"
        assert self.latency < LATENCY_LIMIT, f"stopped {self.latency:.3f} s after the cancel"


def assert_source_sound(path: str) -> None:
    report = zova.diagnostics.check(path, deep=True)
    assert report.ok, report


# ---- the four operations, cancelled while they run ----

def test_cancel_backup_to(sources, tmp_path):
    src, _, _ = sources
    destination = str(tmp_path / "copy.zova")
    with zova.Database.open(src) as db:
        race = Race(lambda: db.backup_to(destination))
        race.assert_interrupted()
        assert absent(destination)
        # The handle works again, and so does this thread (nothing bound here).
        assert list(db.prepare("select x from notes")) == [("kept",)]
        with zova.Cancel().bound():
            db.backup_to(destination, verify=False)
        assert os.path.exists(destination)
    remove(destination)
    assert_source_sound(src)


def test_cancel_compact_to(sources, tmp_path):
    src, _, _ = sources
    destination = str(tmp_path / "compact.zova")
    with zova.Database.open(src) as db:
        race = Race(lambda: db.compact_to(destination))
        race.assert_interrupted()
        assert absent(destination)
        assert list(db.prepare("select count(*) from _zova_objects")) == [(OBJECTS,)]
    assert_source_sound(src)


def test_cancel_restore_backup_needs_no_database(sources, tmp_path):
    src, _, _ = sources
    destination = str(tmp_path / "restored.zova")
    race = Race(lambda: zova.restore_backup(src, destination))
    race.assert_interrupted()
    assert absent(destination)
    assert_source_sound(src)


def test_cancel_convert_sqlite_to_zova(sources, tmp_path):
    _, _, plain = sources
    destination = str(tmp_path / "converted.zova")
    size = os.path.getsize(plain)
    race = Race(lambda: zova.convert_sqlite_to_zova(plain, destination))
    race.assert_interrupted()
    assert absent(destination)
    assert os.path.getsize(plain) == size
    connection = sqlite3.connect(f"file:{plain}?mode=ro", uri=True)
    assert connection.execute("pragma quick_check").fetchall() == [("ok",)]
    assert connection.execute("select count(*) from blobs").fetchone() == (400,)
    connection.close()


def test_cancel_deep_check_fast_path(sources):
    """The C loop of the deep check (zova.diagnostics' fast path) stops too."""
    src, ids, _ = sources
    batch = [bytes(object_id) for object_id in ids] * 6  # ~2 GB to hash
    out_ok = ffi.new("char[]", len(batch))
    out_chunks = ffi.new("int64_t[]", len(batch))
    with zova.Database.open(src, read_only=True) as db:
        race = Race(lambda: db._call(lib.zv_py_deep_check_objects, db._handle(), b"".join(batch), len(batch),
                                     out_ok, out_chunks))
        race.assert_interrupted()
        # Unbound, the same check runs to the end and finds every object sound.
        db._call(lib.zv_py_deep_check_objects, db._handle(), b"".join(batch[:2]), 2, out_ok, out_chunks)
        assert list(ffi.unpack(out_ok, 2)) == [1, 1]


def test_cancel_big_object_write_and_read(sources, tmp_path):
    """Object calls stop too: a put rolls back, a get raises."""
    src, ids, _ = sources
    generator = random.Random(5)
    data = b"".join(generator.randbytes(OBJECT_BYTES) for _ in range(8))  # 256 MiB
    with zova.Database.create(str(tmp_path / "objects.zova")) as db:
        race = Race(lambda: db.put_object(data), after=0.1)
        race.assert_interrupted()
        assert list(db.prepare("select count(*) from _zova_objects")) == [(0,)]
        assert list(db.prepare("select count(*) from _zova_chunks")) == [(0,)]
    with zova.Database.open(src, read_only=True) as db:
        race = Race(lambda: [db.get_object(object_id) for object_id in ids], after=0.1)
        race.assert_interrupted()


# ---- a token requested before the call ----

@pytest.mark.parametrize("operation", ["backup", "compact", "restore", "convert"])
def test_token_requested_before_the_call_fails_at_once(sources, tmp_path, operation):
    src, _, plain = sources
    destination = str(tmp_path / "never.zova")
    token = zova.Cancel()
    token.cancel()
    with zova.Database.open(src) as db:
        calls = {
            "backup": lambda: db.backup_to(destination),
            "compact": lambda: db.compact_to(destination),
            "restore": lambda: zova.restore_backup(src, destination),
            "convert": lambda: zova.convert_sqlite_to_zova(plain, destination),
        }
        start = time.perf_counter()
        with token.bound(), pytest.raises(zova.Interrupted) as caught:
            calls[operation]()
        assert time.perf_counter() - start < 0.1
        assert caught.value.status == 17 and caught.value.message == "interrupted"
        assert absent(destination)


def test_requested_token_also_stops_open_and_queries(sources, tmp_path):
    src, _, _ = sources
    token = zova.Cancel()
    token.cancel()
    endless = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
    with zova.Database.open(src) as db, token.bound():
        with pytest.raises(zova.Interrupted):
            list(db.prepare(endless))
        with pytest.raises(zova.Interrupted):
            db.exec("create table big as " + endless.replace("select count(*)", "select x"))
    with zova.Database.open(src) as db:
        assert list(db.prepare("select count(*) from sqlite_master where name = 'big'")) == [(0,)]


# ---- the token and its binding ----

def test_interrupted_is_a_zova_error_decided_by_status_and_message():
    assert issubclass(zova.Interrupted, zova.ZovaError)
    assert "Cancel" in zova.__all__ and "Interrupted" in zova.__all__
    from zova.errors import error_for
    assert type(error_for(17, "interrupted")) is zova.Interrupted
    assert type(error_for(17, "no such table: x")) is zova.SQLiteError
    assert type(error_for(15, "interrupted")) is zova.CorruptError
    # No new status value: 18 stays unassigned.
    assert ffi.string(lib.zova_status_name(18)) == b"ZOVA_UNKNOWN_STATUS"


def test_cancel_with_nothing_running_is_harmless(tmp_path):
    token = zova.Cancel()
    assert not token.cancelled
    token.cancel()
    token.cancel()
    assert token.cancelled
    assert "cancelled" in repr(token)
    # Not bound anywhere: it stops nothing.
    with zova.Database.create(str(tmp_path / "a.zova")) as db:
        db.exec("create table t(x); insert into t values (1)")
        db.backup_to(str(tmp_path / "b.zova"))
    # Bound, then requested, then unbound without any call made meanwhile.
    other = zova.Cancel()
    with other.bound():
        other.cancel()
    zova.restore_backup(str(tmp_path / "b.zova"), str(tmp_path / "c.zova"))
    # The C functions accept NULL.
    lib.zova_cancel_request(ffi.NULL)
    lib.zova_cancel_free(ffi.NULL)
    assert lib.zova_cancel_requested(ffi.NULL) == 0
    assert lib.zova_cancel_create(ffi.NULL) == lib.ZOVA_INVALID_ARGUMENT


def test_bound_restores_the_previous_binding(tmp_path):
    with zova.Database.create(str(tmp_path / "a.zova")) as db:
        db.exec("create table t(x)")
        outer, inner = zova.Cancel(), zova.Cancel()
        inner.cancel()
        counter = iter(range(100))

        def backup():
            db.backup_to(str(tmp_path / f"copy{next(counter)}.zova"))

        with outer.bound() as bound:
            assert bound is outer
            with inner.bound():
                with pytest.raises(zova.Interrupted):
                    backup()
                with pytest.raises(zova.Interrupted):
                    zova.convert_sqlite_to_zova(str(tmp_path / "a.zova"), str(tmp_path / "x.zova"))
            backup()  # outer is bound again, and not requested
            outer.cancel()
            with pytest.raises(zova.Interrupted):
                backup()
        backup()  # nothing bound any more
        assert lib.zv_py_thread_cancel() == ffi.NULL


def test_binding_is_per_thread(tmp_path):
    """A token bound on one thread does not stop calls on another."""
    token = zova.Cancel()
    token.cancel()
    errors = []
    with zova.Database.create(str(tmp_path / "a.zova")) as db:
        db.exec("create table t(x)")
        with token.bound():
            def other_thread():
                try:
                    db.backup_to(str(tmp_path / "other.zova"))
                except BaseException as error:  # noqa: BLE001
                    errors.append(error)
            thread = threading.Thread(target=other_thread)
            thread.start()
            thread.join()
            with pytest.raises(zova.Interrupted):
                db.backup_to(str(tmp_path / "here.zova"))
    assert errors == []
    assert os.path.exists(tmp_path / "other.zova")
    assert absent(str(tmp_path / "here.zova"))


def test_many_threads_each_with_its_own_token(tmp_path):
    """Half the threads run endless queries and are cancelled; the other half
    run bounded ones with tokens nobody requests, and must finish normally."""
    path = str(tmp_path / "threads.zova")
    zova.Database.create(path).close()
    endless = "with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"
    bounded = "with recursive c(x) as (select 1 union all select x + 1 from c where x < 300000) select count(*) from c"
    count = 8
    tokens = [zova.Cancel() for _ in range(count)]
    results: dict[int, object] = {}
    started = threading.Barrier(count + 1)

    def worker(index: int) -> None:
        with zova.Database.open(path, read_only=True) as db, tokens[index].bound():
            started.wait()
            try:
                results[index] = list(db.prepare(endless if index % 2 == 0 else bounded))
            except zova.ZovaError as error:
                results[index] = error

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    started.wait()
    time.sleep(CANCEL_AFTER)
    cancelled_at = time.perf_counter()
    for index in range(0, count, 2):
        tokens[index].cancel()
    for thread in threads:
        thread.join(30)
    assert time.perf_counter() - cancelled_at < 10
    for index in range(count):
        if index % 2 == 0:
            assert isinstance(results[index], zova.Interrupted), results[index]
        else:
            assert results[index] == [(300000,)]
            assert not tokens[index].cancelled


def test_cancel_and_free_in_any_order():
    """Tokens requested by many threads at once, requested after the bound
    thread ended, never requested, dropped while other threads were using them."""
    tokens = [zova.Cancel() for _ in range(64)]
    barrier = threading.Barrier(8)

    def requester(offset: int) -> None:
        barrier.wait()
        for token in tokens[offset::2]:
            token.cancel()
            assert token.cancelled

    threads = [threading.Thread(target=requester, args=(i % 2,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(token.cancelled for token in tokens)

    # Bound on a thread that ends without unbinding, requested afterwards, freed.
    ended = zova.Cancel()

    def bind_and_end() -> None:
        lib.zova_thread_set_cancel(ended._ptr)

    thread = threading.Thread(target=bind_and_end)
    thread.start()
    thread.join()
    ended.cancel()
    del ended, tokens
    # A fresh token per call, dropped at once, on several threads.
    def churn() -> None:
        for _ in range(200):
            token = zova.Cancel()
            with token.bound():
                if random.random() < 0.5:
                    token.cancel()
            del token

    threads = [threading.Thread(target=churn) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert lib.zv_py_thread_cancel() == ffi.NULL


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals need the main thread")
def test_cancel_from_a_signal_handler(tmp_path):
    """Ctrl-C style: the main thread's signal handler requests the token of a
    worker running a long query."""
    path = str(tmp_path / "signal.zova")
    zova.Database.create(path).close()
    token = zova.Cancel()
    outcome = []

    def worker() -> None:
        with zova.Database.open(path) as db, token.bound():
            try:
                list(db.prepare("with recursive c(x) as (select 1 union all select x + 1 from c) "
                                "select count(*) from c"))
            except zova.ZovaError as error:
                outcome.append(error)

    previous = signal.signal(signal.SIGUSR1, lambda *_: token.cancel())
    try:
        thread = threading.Thread(target=worker)
        thread.start()
        time.sleep(CANCEL_AFTER)
        os.kill(os.getpid(), signal.SIGUSR1)
        thread.join(10)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert not thread.is_alive()
    assert token.cancelled
    assert len(outcome) == 1 and isinstance(outcome[0], zova.Interrupted)


# ---- the C ABI ----

NEW_FUNCTIONS = ["zova_cancel_create", "zova_cancel_request", "zova_cancel_requested", "zova_cancel_free",
                 "zova_thread_set_cancel"]


def test_header_declares_and_libraries_export_the_cancel_functions():
    header = (ROOT / "include" / "zova.h").read_text()
    assert "typedef struct zova_cancel zova_cancel;" in header
    for name in NEW_FUNCTIONS:
        assert re.search(rf"\b{name}\(", header), name
    assert ARCHIVE.exists(), "run `python build.py lib`"
    archive = subprocess.run(["nm", "-g", str(ARCHIVE)], check=True, capture_output=True, text=True).stdout
    shared = subprocess.run(["nm", "-D", "--defined-only", str(ARCHIVE.with_suffix(".so"))], check=True,
                            capture_output=True, text=True).stdout
    for name in NEW_FUNCTIONS:
        assert re.search(rf"^[0-9a-f]* T {name}$", archive, flags=re.M), name
        assert re.search(rf" T {name}$", shared, flags=re.M), name


def test_c_program_cancels_a_backup_from_a_second_pthread(tmp_path):
    assert ARCHIVE.exists(), "run `python build.py lib`"
    binary = tmp_path / "cancel_test"
    subprocess.run([shutil.which("gcc") or "gcc", "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror",
                    f"-I{ROOT / 'include'}", f"-I{ROOT / 'tests' / 'c'}",
                    str(ROOT / "tests" / "c" / "cancel_test.c"), str(ARCHIVE), "-lsqlite3", "-lpthread", "-ldl",
                    "-lm", "-o", str(binary)], check=True)
    work = tmp_path / "work"
    work.mkdir()
    result = subprocess.run([str(binary), str(work)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
