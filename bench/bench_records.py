"""Records benchmark (issue 2): 100,000 prepared inserts in one transaction and a
full select, through zova's Python API and through the standard library's
sqlite3 doing the same work in the same run. Prints times and ratios.

Target: zova at most 2x sqlite3's time per row. Issue 14: ``db.executemany`` of
the 100,000 3-column rows and ``db.execute(...).fetchall()`` of them, against
sqlite3's ``executemany`` and ``execute(...).fetchall()``: at most 1.2x.
Run: python bench/bench_records.py [rows]
"""
from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time

import zova

SCHEMA = "create table t (id integer primary key, name text, score real)"
INSERT = "insert into t (id, name, score) values (?, ?, ?)"
SELECT = "select id, name, score from t"


def best_of(runs: int, function) -> float:
    return min(function() for _ in range(runs))


def insert_rows(db: zova.Database, rows: int) -> float:
    """The zova side of the insert workload (also timed by bench_rust): seconds."""
    start = time.perf_counter()
    db.begin()
    with db.prepare(INSERT) as insert:
        for i in range(rows):
            insert.bind_int(1, i)
            insert.bind_text(2, f"name{i}")
            insert.bind_float(3, i * 0.5)
            insert.step()
            insert.reset()
    db.commit()
    return time.perf_counter() - start


def sqlite_insert_rows(connection: sqlite3.Connection, rows: int) -> float:
    """The same workload through the standard library's sqlite3: seconds."""
    start = time.perf_counter()
    with connection:
        for i in range(rows):
            connection.execute(INSERT, (i, f"name{i}", i * 0.5))
    return time.perf_counter() - start


def zova_executemany(directory: str, rows: list) -> float:
    path = os.path.join(directory, f"records-{time.monotonic_ns()}.zova")
    with zova.Database.create(path) as db:
        db.exec(SCHEMA)
        start = time.perf_counter()
        db.executemany(INSERT, rows)  # one transaction (executemany is all or nothing)
        return time.perf_counter() - start


def sqlite_executemany(directory: str, rows: list) -> float:
    path = os.path.join(directory, f"records-{time.monotonic_ns()}.db")
    connection = sqlite3.connect(path)
    connection.execute(SCHEMA)
    start = time.perf_counter()
    with connection:  # one transaction, committed
        connection.executemany(INSERT, rows)
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed


def zova_insert(directory: str, rows: int) -> float:
    path = os.path.join(directory, f"records-{time.monotonic_ns()}.zova")
    with zova.Database.create(path) as db:
        db.exec(SCHEMA)
        return insert_rows(db, rows)


def sqlite_insert(directory: str, rows: int) -> float:
    path = os.path.join(directory, f"records-{time.monotonic_ns()}.db")
    connection = sqlite3.connect(path)
    connection.execute(SCHEMA)
    elapsed = sqlite_insert_rows(connection, rows)
    connection.close()
    return elapsed


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as directory:
        zi = best_of(3, lambda: zova_insert(directory, rows))
        si = best_of(3, lambda: sqlite_insert(directory, rows))
        values = [(i, f"name{i}", i * 0.5) for i in range(rows)]
        zm = best_of(5, lambda: zova_executemany(directory, values))
        sm = best_of(5, lambda: sqlite_executemany(directory, values))

        path = os.path.join(directory, "select.zova")
        with zova.Database.create(path) as db:
            db.exec(SCHEMA)
            db.exec(f"with recursive n(i) as (select 0 union all select i + 1 from n where i < {rows - 1}) "
                    "insert into t select i, 'name' || i, i * 0.5 from n")
        db = zova.Database.open(path)
        connection = sqlite3.connect(path)
        expected = connection.execute(SELECT).fetchall()

        def zova_fetchall() -> float:
            start = time.perf_counter()
            with db.prepare(SELECT) as select:
                result = select.fetchall()
            elapsed = time.perf_counter() - start
            assert result == expected
            return elapsed

        def zova_columns() -> float:
            start = time.perf_counter()
            result = []
            with db.prepare(SELECT) as select:
                while select.step() == zova.Step.ROW:
                    result.append((select.column_int(0), select.column_text(1), select.column_float(2)))
            elapsed = time.perf_counter() - start
            assert result == expected
            return elapsed

        def zova_execute_fetchall() -> float:
            start = time.perf_counter()
            result = db.execute(SELECT).fetchall()
            elapsed = time.perf_counter() - start
            assert result == expected
            return elapsed

        def sqlite_fetchall() -> float:
            start = time.perf_counter()
            connection.execute(SELECT).fetchall()
            return time.perf_counter() - start

        zs = best_of(5, zova_fetchall)
        ze = best_of(5, zova_execute_fetchall)
        zc = best_of(3, zova_columns)
        ss = best_of(5, sqlite_fetchall)
        db.close()
        connection.close()

    print(f"records benchmark, {rows:,} rows (best of runs; peer: Python sqlite3 {sqlite3.sqlite_version})")
    print(f"  insert (prepared, one transaction): zova {zi:.3f}s  sqlite3 {si:.3f}s  ratio {zi / si:.2f}x"
          f"  ({zi / rows * 1e6:.2f} vs {si / rows * 1e6:.2f} us/row)")
    print(f"  select all (Statement.fetchall):    zova {zs:.3f}s  sqlite3 {ss:.3f}s  ratio {zs / ss:.2f}x")
    print(f"  executemany (3 columns):            zova {zm:.3f}s  sqlite3 {sm:.3f}s  ratio {zm / sm:.2f}x")
    print(f"  execute(select).fetchall():         zova {ze:.3f}s  sqlite3 {ss:.3f}s  ratio {ze / ss:.2f}x")
    print(f"  select all (step + column_* calls): zova {zc:.3f}s  sqlite3 {ss:.3f}s  ratio {zc / ss:.2f}x")
    print("  target: insert and full select at most 2.00x sqlite3 per row; executemany and "
          "execute(select).fetchall() at most 1.20x")


if __name__ == "__main__":
    main()
