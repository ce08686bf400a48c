"""Objects benchmark (issues 3 and 16). Every figure is printed with its peer,
measured in the same run on the same bytes, and the ratio the target is set
on (best of --runs rounds, the functions taking turns within a round):

* put_object, get_object and the object writer of one random object against
  hashlib's single-stream SHA-256 of it (targets: put >= 0.4x, get >= 0.8x,
  the writer within 1.25x of put's time);
* 256 random 1 MiB range reads, and 256 from the first and from the last
  tenth of the object (same speed near the end as near the start), against
  SHA-256 of the same ranges (target >= 0.5x), with os.pread of the same
  bytes from a plain file for scale;
* 10,000 x 4 KiB put_objects against a plain stdlib sqlite3 loop storing
  sha256(blob) -> blob in one transaction (target >= 2x its rate).

Writes are timed from an empty file and include their commit (and fsync);
os.sync() runs before each, untimed, so that none waits for the writeback of
the one before (this VM's disk slows down for seconds after a few hundred MiB).

    python bench/bench_objects.py [--mib 256] [--small 10000] [--runs 5]
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))
import zova  # noqa: E402

RANGE = 1 << 20
RANGES = 256


def best_in_turn(runs: int, *functions: Callable[[], object], before: Callable[[], None] | None = None) -> list[float]:
    """The best time of each function over runs rounds, the functions taking
    turns within a round so that each meets the same machine state; before
    (untimed) runs ahead of each call."""
    best = [float("inf")] * len(functions)
    for _ in range(runs):
        for index, function in enumerate(functions):
            if before:
                before()
            start = time.perf_counter()
            function()
            best[index] = min(best[index], time.perf_counter() - start)
    return best


def remove(path: str) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    mib, runs = args.mib, args.runs
    size = mib << 20
    data = os.urandom(size)
    view = memoryview(data)
    rng = random.Random(16)
    tenth = max(size // 10 - RANGE, 0)
    spans = {
        "random": [rng.randrange(0, size - RANGE + 1) for _ in range(RANGES)],
        "first tenth": [rng.randrange(0, tenth + 1) for _ in range(RANGES)],
        "last tenth": [size - RANGE - rng.randrange(0, tenth + 1) for _ in range(RANGES)],
    }
    small = [os.urandom(4096) for _ in range(args.small)]

    with tempfile.TemporaryDirectory() as directory:
        db_path = os.path.join(directory, "bench.zova")

        def put() -> None:
            remove(db_path)
            with zova.Database.create(db_path) as db:
                db.put_object(data)

        def stream() -> None:
            remove(db_path)
            with zova.Database.create(db_path) as db:
                with db.object_writer() as writer:
                    for offset in range(0, size, 1 << 20):
                        writer.write(view[offset:offset + (1 << 20)])
                    writer.finish()

        def sha() -> None:
            hashlib.sha256(data).digest()

        put_s, writer_s, sha_put_s = best_in_turn(runs, put, stream, sha, before=os.sync)
        remove(db_path)

        plain = os.path.join(directory, "plain.bin")
        with open(plain, "wb") as f:
            f.write(data)
        fd = os.open(plain, os.O_RDONLY)
        with zova.Database.create(db_path) as db:
            oid = db.put_object(data)
            assert db.get_object(oid) == data
            for offsets in spans.values():
                for offset in offsets[:8]:
                    assert db.read_object_range(oid, offset, RANGE) == data[offset:offset + RANGE]
            get_s, sha_s = best_in_turn(runs, lambda: db.get_object(oid), sha)
            range_s = {}
            for name, offsets in spans.items():
                def ranges(offsets: list[int] = offsets) -> None:
                    for offset in offsets:
                        db.read_object_range(oid, offset, RANGE)

                def sha_ranges(offsets: list[int] = offsets) -> None:
                    for offset in offsets:
                        hashlib.sha256(view[offset:offset + RANGE]).digest()

                def pread(offsets: list[int] = offsets) -> None:
                    for offset in offsets:
                        os.pread(fd, RANGE, offset)
                range_s[name] = best_in_turn(runs, ranges, sha_ranges, pread)
        os.close(fd)

        small_path = os.path.join(directory, "small.zova")
        plain_db = os.path.join(directory, "plain.db")

        def many() -> None:
            remove(small_path)
            with zova.Database.create(small_path) as db:
                db.put_objects(small)

        def sqlite_loop() -> None:
            remove(plain_db)
            connection = sqlite3.connect(plain_db)
            connection.execute("create table blobs (sha256 blob primary key, data blob not null)")
            with connection:
                for blob in small:
                    connection.execute("insert into blobs values (?, ?)", (hashlib.sha256(blob).digest(), blob))
            connection.close()
        many_s, sqlite_s = best_in_turn(runs, many, sqlite_loop, before=os.sync)

    def rate(seconds: float, mebibytes: float = mib) -> str:
        return f"{mebibytes / seconds:7.0f} MiB/s"

    print(f"objects benchmark: {mib} MiB random object, best of {runs} rounds, SHA-256 accelerated: "
          f"{'yes' if zova._native.lib.zv_py_sha256_accelerated() else 'no'}")
    print(f"  hashlib.sha256      {sha_s * 1000:8.1f} ms {rate(sha_s)}  (peer of get; of put/writer: "
          f"{sha_put_s * 1000:.1f} ms)")
    print(f"  put_object          {put_s * 1000:8.1f} ms {rate(put_s)}  {sha_put_s / put_s:5.2f} x SHA-256 "
          f"(target >= 0.40)")
    print(f"  ObjectWriter 1 MiB  {writer_s * 1000:8.1f} ms {rate(writer_s)}  {writer_s / put_s:5.2f} x put time "
          f"(target <= 1.25)")
    print(f"  get_object          {get_s * 1000:8.1f} ms {rate(get_s)}  {sha_s / get_s:5.2f} x SHA-256 "
          f"(target >= 0.80)")
    total = RANGES * RANGE / (1 << 20)
    for name, (zova_s, sha_r_s, pread_s) in range_s.items():
        print(f"  {RANGES} x 1 MiB ranges, {name + ':':12} {rate(zova_s, total)}, SHA-256 of them "
              f"{rate(sha_r_s, total)}: {sha_r_s / zova_s:5.2f} x (target >= 0.50); pread {rate(pread_s, total)}")
    print(f"  put_objects {args.small} x 4 KiB: {many_s * 1000:7.1f} ms = {args.small / many_s:8,.0f} objects/s; "
          f"sqlite3 loop {sqlite_s * 1000:7.1f} ms = {args.small / sqlite_s:8,.0f}/s: {sqlite_s / many_s:5.2f} x "
          f"(target >= 2)")


if __name__ == "__main__":
    main()
