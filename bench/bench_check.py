"""Deep check benchmark (issue 5): ``zova check --deep`` on a file holding
256 MiB of objects, against re-reading the same file through ``get_object``
object by object (which verifies every chunk hash and every object hash), in the
same run. Prints times, throughput and the ratio.

Target: the deep check at least 3x faster than the get_object re-read.

A third figure bounds what any deep check can reach: docs/cli.md §1.6 makes
it do a full verified object read of every object, i.e. SHA-256 over every
object's bytes, which is also what get_object spends most of its time on. The
floor is hashlib.sha256 over the objects' bytes already in memory, spread over
all CPUs (one object is one sequential stream); get_object time / floor is the
best ratio a deep check could show on this machine even if reading the file,
the chunk hashes and integrity_check cost nothing.

A second peer does through the API everything the deep check verifies:
get_object (whole-object hash) plus get_object_chunk for every chunk of every
manifest (chunk hashes). Since commit da50e80 get_object alone checks only the
whole-object hash, which is half of the deep check's SHA-256 work.
Target (issue 13): the CLI's check --deep, end to end, within 1.5x the floor
plus the CLI's start-up, on 32 x 8 MiB objects and on one 256 MiB object.
Run: python bench/bench_check.py [total_mib] [object_size]   (object_size: 8 = 8 MiB, 64k = 64 KiB;
without arguments both shapes of the target)
"""
from __future__ import annotations

import compileall
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import zova
from zova import diagnostics


CPU: dict[str, float] = {}


def best_of(runs: int, function, label: str = "") -> float:
    """Best wall time of runs; also records the CPU time (all threads) of that run."""
    best = None
    for _ in range(runs):
        cpu = time.process_time()
        wall = function()
        cpu = time.process_time() - cpu
        if best is None or wall < best:
            best = wall
            CPU[label] = cpu
    return best


def build(path: str, total_mib: int, object_bytes: int) -> int:
    """Writes total_mib of random objects through put_object; returns the object count."""
    count = max(1, total_mib * 1024 * 1024 // object_bytes)
    with zova.Database.create(path) as db:
        for start in range(0, count, 256):
            db.put_objects([os.urandom(object_bytes) for _ in range(min(256, count - start))])
    return count


def parse_size(text: str) -> int:
    if text.lower().endswith("k"):
        return int(text[:-1]) * 1024
    return int(text) * 1024 * 1024


def deep_check_in_process(path: str) -> float:
    start = time.perf_counter()
    report = diagnostics.check(path, deep=True)
    elapsed = time.perf_counter() - start
    assert report.ok, report.to_dict()
    return elapsed


def deep_check_cli(path: str) -> float:
    command = Path(sys.executable).parent / "zova"
    start = time.perf_counter()
    proc = subprocess.run([str(command), "check", "--deep", path], capture_output=True)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr
    return elapsed


def get_object_reread(path: str) -> float:
    start = time.perf_counter()
    total = 0
    with zova.Database.open(path) as db:
        with db.prepare("select object_id from _zova_objects order by hex(object_id)") as statement:
            ids = [row[0] for row in statement]
        for raw in ids:
            total += len(db.get_object(zova.ObjectId(raw)))
    elapsed = time.perf_counter() - start
    assert total > 0
    return elapsed


def api_full_verification(path: str) -> float:
    """get_object for every object plus get_object_chunk for every manifest chunk."""
    start = time.perf_counter()
    with zova.Database.open(path) as db:
        with db.prepare("select object_id from _zova_objects order by hex(object_id)") as statement:
            ids = [zova.ObjectId(row[0]) for row in statement]
        for object_id in ids:
            db.get_object(object_id)
            for chunk in db.object_manifest(object_id).chunks:
                db.get_object_chunk(chunk.hash)
    return time.perf_counter() - start


def object_hash_floor(path: str) -> float:
    """hashlib.sha256 of every object's bytes (held in memory) on all CPUs."""
    with zova.Database.open(path) as db:
        with db.prepare("select object_id from _zova_objects") as statement:
            objects = [db.get_object(zova.ObjectId(row[0])) for row in statement]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        start = time.perf_counter()
        digests = list(pool.map(lambda data: hashlib.sha256(data).digest(), objects))
        elapsed = time.perf_counter() - start
    assert len(digests) == len(objects)
    return elapsed


def cli_startup() -> float:
    """One ``zova --version`` process: the start-up every CLI run pays."""
    command = Path(sys.executable).parent / "zova"
    start = time.perf_counter()
    proc = subprocess.run([str(command), "--version"], capture_output=True)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr
    return elapsed


def main() -> None:
    """Both shapes of issue 13 (32 x 8 MiB and one 256 MiB object) unless a
    total and an object size are given."""
    if len(sys.argv) > 1:
        shapes = [(int(sys.argv[1]), parse_size(sys.argv[2]) if len(sys.argv) > 2 else 8 * 1024 * 1024)]
    else:
        shapes = [(256, 8 * 1024 * 1024), (256, 256 * 1024 * 1024)]
    compileall.compile_dir(os.path.dirname(zova.__file__), quiet=1)   # bytecode, as pip install leaves it
    startup = best_of(10, cli_startup)
    print(f"CLI start-up (zova --version, best of 10): {startup * 1000:.0f} ms")
    for total_mib, object_bytes in shapes:
        run_shape(total_mib, object_bytes, startup)


def run_shape(total_mib: int, object_bytes: int, startup: float) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "objects.zova")
        start = time.perf_counter()
        count = build(path, total_mib, object_bytes)
        size = os.path.getsize(path)
        print(f"file: {count} objects x {object_bytes / 1024:.0f} KiB, {size / 2**20:.1f} MiB on disk "
              f"(built in {time.perf_counter() - start:.1f} s)")
        get_object_reread(path)   # warm the page cache for both sides
        baseline = best_of(3, lambda: get_object_reread(path), "get")
        full = best_of(3, lambda: api_full_verification(path), "full")
        deep = best_of(3, lambda: deep_check_in_process(path), "deep")
        cli = best_of(3, lambda: deep_check_cli(path))
        floor = best_of(3, lambda: object_hash_floor(path))
        mib = total_mib
        print(f"get_object re-read, object by object: {baseline:.3f} s ({mib / baseline:.0f} MiB/s)")
        print(f"get_object + get_object_chunk (same checks as --deep): {full:.3f} s ({mib / full:.0f} MiB/s)")
        print(f"check --deep (library):               {deep:.3f} s ({mib / deep:.0f} MiB/s)")
        print(f"zova check --deep (CLI process):      {cli:.3f} s ({mib / cli:.0f} MiB/s)")
        print(f"ratio get_object / deep check: library {baseline / deep:.2f}x, CLI {baseline / cli:.2f}x "
              f"(target >= 3x)")
        print(f"ratio same-checks API / deep check: library {full / deep:.2f}x, CLI {full / cli:.2f}x")
        print(f"floor, SHA-256 of the objects in memory on {os.cpu_count()} CPUs (hashlib): {floor:.3f} s; "
              f"best possible ratio get_object / deep check here: {baseline / floor:.2f}x")
        print(f"CPU seconds (all threads): get_object {CPU['get']:.3f}, same-checks API {CPU['full']:.3f}, "
              f"deep check {CPU['deep']:.3f}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        bound = 1.5 * floor + startup
        print(f"zova check --deep (CLI) / (1.5 x floor + start-up) = {cli:.3f} / {bound:.3f} s = "
              f"{cli / bound:.2f} (target <= 1.00)")


if __name__ == "__main__":
    main()
