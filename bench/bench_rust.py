"""Rust binding benchmark: the same workloads through the Rust `zova` crate
(bindings/rust/zova/examples/bench.rs, release build), zova's Python API and
the standard library's sqlite3, all in the same run. Prints times and ratios.

Workloads: N prepared inserts in one transaction, a full select, M object puts
and gets of S bytes each, 10,000 128-dim cosine vectors in one put_vectors call
and 100 top-10 searches.
Run: python bench/bench_rust.py [rows] [objects] [object_size]
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import zova

from bench_records import SCHEMA, SELECT, insert_rows, sqlite_insert_rows

ROOT = Path(__file__).resolve().parent.parent
WORKSPACE = ROOT / "bindings" / "rust"


VECTORS, SEARCHES, DIMS = 10_000, 100, 128


def vector_values(i: int) -> list[float]:
    # The same f32 values as examples/bench.rs.
    return [((i * 131 + j * 17) % 1000) / 1000.0 - 0.5 for j in range(DIMS)]


def payloads(objects: int, size: int) -> list[bytes]:
    return [bytes(((i * 31 + j * 7) ^ (j >> 3)) & 0xFF for j in range(size)) for i in range(objects)]


def run_rust(directory: str, rows: int, objects: int, size: int) -> dict[str, float]:
    cargo = shutil.which("cargo") or str(Path.home() / ".cargo" / "bin" / "cargo")
    env = dict(os.environ, ZOVA_PYTHON=sys.executable)
    env.pop("ZOVA_LIB_DIR", None)
    subprocess.run([cargo, "build", "--offline", "--release", "-p", "zova", "--example", "bench"], cwd=WORKSPACE,
                   env=env, check=True, capture_output=True)
    binary = WORKSPACE / "target" / "release" / "examples" / "bench"
    out = subprocess.run([str(binary), directory, str(rows), str(objects), str(size), str(VECTORS), str(SEARCHES)],
                         check=True,
                         capture_output=True, text=True).stdout
    return {name: float(value) for name, value in (line.split() for line in out.splitlines())}


def run_python(directory: str, rows: int, data: list[bytes]) -> dict[str, float]:
    times = {}
    with zova.Database.create(os.path.join(directory, f"bench-py-{time.monotonic_ns()}.zova")) as db:
        db.exec(SCHEMA)
        times["insert"] = insert_rows(db, rows)
        start = time.perf_counter()
        with db.prepare(SELECT) as select:
            seen = 0
            while select.step() == zova.Step.ROW:
                select.column_int(0), select.column_text(1), select.column_float(2)
                seen += 1
        assert seen == rows
        times["select"] = time.perf_counter() - start
        start = time.perf_counter()
        ids = [db.put_object(item) for item in data]
        times["put_object"] = time.perf_counter() - start
        start = time.perf_counter()
        for object_id in ids:
            db.get_object(object_id)
        times["get_object"] = time.perf_counter() - start
        values = [vector_values(i) for i in range(VECTORS)]
        inputs = [zova.VectorInput(f"v{i}", v) for i, v in enumerate(values)]
        db.create_vector_collection("bench", zova.VectorCollectionOptions(DIMS, zova.VectorMetric.COSINE))
        start = time.perf_counter()
        db.put_vectors("bench", inputs)
        times["put_vectors"] = time.perf_counter() - start
        start = time.perf_counter()
        for i in range(SEARCHES):
            assert len(db.search_vectors("bench", values[(i * 97) % VECTORS], 10)) == 10
        times["search_vectors"] = time.perf_counter() - start
    return times


def run_sqlite(directory: str, rows: int) -> dict[str, float]:
    connection = sqlite3.connect(os.path.join(directory, f"bench-sqlite-{time.monotonic_ns()}.db"))
    connection.execute(SCHEMA)
    times = {"insert": sqlite_insert_rows(connection, rows)}
    start = time.perf_counter()
    assert sum(1 for _ in connection.execute(SELECT)) == rows
    times["select"] = time.perf_counter() - start
    connection.close()
    return times


def main() -> int:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    objects = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 4_096
    data = payloads(objects, size)
    with tempfile.TemporaryDirectory() as directory:
        rust = min((run_rust(directory, rows, objects, size) for _ in range(3)), key=lambda t: t["insert"])
        python = min((run_python(directory, rows, data) for _ in range(3)), key=lambda t: t["insert"])
        plain = min((run_sqlite(directory, rows) for _ in range(3)), key=lambda t: t["insert"])
    print(f"rows={rows} objects={objects}x{size}B (best of 3)")
    print(f"{'workload':<14}{'rust s':>10}{'python s':>10}{'sqlite3 s':>11}{'rust/python':>13}{'rust/sqlite3':>14}")
    for name in ("insert", "select", "put_object", "get_object", "put_vectors", "search_vectors"):
        peer = plain.get(name)
        print(f"{name:<14}{rust[name]:>10.4f}{python[name]:>10.4f}{peer if peer is not None else float('nan'):>11.4f}"
              f"{rust[name] / python[name]:>13.2f}{(rust[name] / peer) if peer else float('nan'):>14.2f}")
    print(f"{'shared_insert':<14}{rust['shared_insert']:>10.4f}  (SharedDatabase, vs Database: "
          f"{rust['shared_insert'] / rust['insert']:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
