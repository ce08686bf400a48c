"""Concurrency (issue 7): several processes on one file with a busy timeout lose
no write and corrupt nothing; readers keep working during writes in WAL mode.
Contention may surface only as BUSY/LOCKED, which the workers retry."""
from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time

import pytest

import zova
from zova._native import lib

RETRYABLE = (lib.ZOVA_BUSY, lib.ZOVA_LOCKED)


def _writer_process(path: str, worker: int, rows: int, wal: bool, queue) -> None:
    unexpected = []
    busy = 0
    while True:  # validation reads the schema, which may also meet a writer's lock
        try:
            db = zova.Database.open(path, busy_timeout_ms=20)
            break
        except zova.ZovaError as error:
            if error.status not in RETRYABLE:
                queue.put((worker, busy, [str(error)]))
                return
            busy += 1
    for i in range(rows):
        while True:
            try:
                db.begin_immediate()
                with db.prepare("insert into log (worker, seq) values (?, ?)") as insert:
                    insert.bind_int(1, worker)
                    insert.bind_int(2, i)
                    insert.step()
                db.commit()
                break
            except zova.ZovaError as error:
                if error.status not in RETRYABLE:
                    unexpected.append(str(error))
                    break
                busy += 1
                try:
                    db.rollback()
                except zova.ZovaError:
                    pass
    db.close()
    queue.put((worker, busy, unexpected))


@pytest.mark.parametrize("wal", [False, True], ids=["rollback-journal", "wal"])
def test_four_processes_one_file_no_lost_writes(path, wal):
    with zova.Database.create(path) as db:
        if wal:
            db.exec("pragma journal_mode = wal")
        db.exec("create table log (worker integer, seq integer, primary key (worker, seq))")
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    rows = 150
    processes = [context.Process(target=_writer_process, args=(path, n, rows, wal, queue)) for n in range(4)]
    for process in processes:
        process.start()
    results = [queue.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert [unexpected for _, _, unexpected in results] == [[], [], [], []]
    with zova.Database.open(path) as db:
        assert db.prepare("select count(*) from log").fetchall() == [(4 * rows,)]
        assert db.prepare("select worker, count(*), min(seq), max(seq) from log group by worker").fetchall() == [
            (n, rows, 0, rows - 1) for n in range(4)]
    with sqlite3.connect(path) as plain:
        assert plain.execute("pragma integrity_check").fetchall() == [("ok",)]


def test_readers_during_writes_in_wal_mode(path):
    with zova.Database.create(path) as db:
        db.exec("pragma journal_mode = wal; create table t (a integer)")
    stop = threading.Event()
    failures = []
    seen = []

    def reader() -> None:
        db = zova.Database.open(path, read_only=True)
        last = 0
        while not stop.is_set():
            try:
                with db.prepare("select count(*), coalesce(sum(a), 0) from t") as select:
                    count, total = select.fetchall()[0]
                if total != count * (count + 1) // 2 or count < last:
                    failures.append((count, total))
                last = count
                seen.append(count)
            except zova.ZovaError as error:  # a WAL reader never waits for the writer
                failures.append(str(error))
        db.close()

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    with zova.Database.open(path) as writer:
        for i in range(1, 301):
            writer.begin_immediate()
            writer.exec(f"insert into t values ({i})")
            writer.commit()
    time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join()
    assert failures == []
    assert seen and max(seen) == 300
