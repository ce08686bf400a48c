"""Runs every benchmark in bench/ one after the other; each prints its ratios
against the peers it measures in the same run.

    python bench/run_all.py            (pip install '.[bench]' first, for sqlite-vec)
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = ["bench_records.py", "bench_objects.py", "bench_vectors.py", "bench_ann.py", "bench_check.py", "bench_cli_start.py",
              "bench_go.py",
              "bench_rust.py"]


def main() -> int:
    here = Path(__file__).resolve().parent
    failed = []
    for name in BENCHMARKS:
        print(f"==== {name}", flush=True)
        if subprocess.run([sys.executable, str(here / name)]).returncode != 0:
            failed.append(name)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
