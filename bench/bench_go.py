"""Go binding benchmark (issue 6): the Go benchmarks in bindings/go/bench_test.go
next to the same workloads through zova's Python binding, measured in the same
run. Both bindings call the same C core, so the ratio shows what each binding
adds per call. Prints ns/op and the Go/Python ratio.

Run: python bench/bench_go.py [benchtime, default 1s]
"""
from __future__ import annotations

import os
import random
import re
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import zova

ROOT = Path(__file__).resolve().parent.parent
GO_DIR = ROOT / "bindings" / "go"


def go_benchmarks(benchtime: str) -> dict[str, float]:
    subprocess.run([sys.executable, "build.py", "lib"], cwd=ROOT, check=True, capture_output=True)
    result = subprocess.run(["sh", "test.sh", "-run", "^$", "-bench", ".", "-benchtime", benchtime],
                            cwd=GO_DIR, capture_output=True, text=True, env=dict(os.environ, PYTHON=sys.executable))
    found = {}
    for name, ns in re.findall(r"^Benchmark(\w+?)-\d+\s+\d+\s+([\d.]+) ns/op", result.stdout, flags=re.M):
        found[name] = float(ns)
    for name in re.findall(r"^--- FAIL: Benchmark(\w+)", result.stdout, flags=re.M):
        print(f"  (go benchmark {name} failed)")
    if not found:
        raise SystemExit(result.stdout + result.stderr)
    return found


def per_op(function, ops: int, runs: int = 3) -> float:
    best = min(function() for _ in range(runs))
    return best / ops * 1e9


def python_benchmarks(directory: str) -> dict[str, float]:
    out = {}
    rows = 100_000

    def insert() -> float:
        with zova.Database.create(os.path.join(directory, f"i{time.monotonic_ns()}.zova")) as db:
            db.exec("create table t (id integer primary key, name text, score real)")
            db.begin()
            with db.prepare("insert into t (id, name, score) values (?, ?, ?)") as stmt:
                start = time.perf_counter()
                for i in range(rows):
                    stmt.bind_int(1, i)
                    stmt.bind_text(2, "name")
                    stmt.bind_float(3, i * 0.5)
                    stmt.step()
                    stmt.reset()
                elapsed = time.perf_counter() - start
            db.commit()
            return elapsed

    out["InsertRow"] = per_op(insert, rows)

    with zova.Database.create(os.path.join(directory, "select.zova")) as db:
        db.exec("create table t (id integer primary key, name text, score real);"
                "with recursive n(i) as (select 0 union all select i + 1 from n where i < 99999) "
                "insert into t select i, 'name' || i, i * 0.5 from n")

        def select() -> float:
            with db.prepare("select id, name, score from t") as stmt:
                start = time.perf_counter()
                while stmt.step() == zova.Step.ROW:
                    stmt.column_int(0)
                    stmt.column_text(1)
                    stmt.column_float(2)
                return time.perf_counter() - start

        out["SelectRow"] = per_op(select, rows)

        payload = bytearray(random.Random(1).randbytes(1 << 20))
        counter = [0]

        def put() -> float:
            start = time.perf_counter()
            for _ in range(20):
                counter[0] += 1
                payload[:8] = struct.pack("<Q", counter[0])
                db.put_object(payload)
            return time.perf_counter() - start

        out["PutObject1MiB"] = per_op(put, 20)
        object_id = db.put_object(bytes(payload))
        out["GetObject1MiB"] = per_op(lambda: _timed(lambda: [db.get_object(object_id) for _ in range(20)]), 20)

        try:
            rng = random.Random(9)
            db.create_vector_collection("v", zova.VectorCollectionOptions(128, zova.VectorMetric.L2))
            vectors = [zova.VectorInput(f"v{i}", [rng.random() for _ in range(128)]) for i in range(10_000)]
            db.put_vectors("v", vectors)
            query = vectors[17].values
            out["SearchVectors"] = per_op(lambda: _timed(lambda: [db.search_vectors("v", query, 10) for _ in range(50)]), 50)
        except (zova.ZovaError, AttributeError) as error:  # vectors not in this build yet
            print(f"  (python vector search skipped: {error})")
    return out


def _timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> None:
    benchtime = sys.argv[1] if len(sys.argv) > 1 else "1s"
    go = go_benchmarks(benchtime)
    with tempfile.TemporaryDirectory() as directory:
        py = python_benchmarks(directory)
    print("Go binding vs Python binding, same C core, same run (ns/op; lower is better)")
    for name in ("InsertRow", "SelectRow", "PutObject1MiB", "GetObject1MiB", "SearchVectors"):
        if name in go and name in py:
            print(f"  {name:15s} go {go[name]:>12,.0f}  python {py[name]:>12,.0f}  go/python {go[name] / py[name]:.2f}x")
        else:
            print(f"  {name:15s} go {go.get(name, float('nan')):>12,.0f}  python {py.get(name, float('nan')):>12,.0f}")


if __name__ == "__main__":
    main()
