"""CLI start-up benchmark (issue 13 item 10): ``zova --help``, ``zova
--version`` and ``zova info`` on a small file, each a fresh process, against
``python -c pass`` (the interpreter's own start-up) and ``python -c "import
zova.cli"`` measured in the same run. Prints the best of N wall times, each
command's ratio to ``python -c pass``, and what zova adds on top of it.

Target: zova --help and zova info under 100 ms on the development machine
(the figures are machine-dependent; the ratios travel better).

Bytecode: an installed package has it (pip compiles on install), but a
checkout run with PYTHONDONTWRITEBYTECODE=1 (set on the machines here) would
compile every module on every start, so the benchmark compiles the package's
bytecode first, as pip does.

Run: python bench/bench_cli_start.py [runs]   (default 20)
"""
from __future__ import annotations

import compileall
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import zova


def zova_command() -> str:
    candidate = Path(sys.executable).parent / "zova"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    raise SystemExit("the installed `zova` command was not found next to sys.executable")


def best(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    command = zova_command()
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "small.zova")
        with zova.Database.create(path) as db:
            db.exec("create table notes(id integer primary key, body text)")
            db.put_object(os.urandom(100_000))
        cases = [
            ("python -c pass", [sys.executable, "-c", "pass"]),
            ('python -c "import zova.cli"', [sys.executable, "-c", "import zova.cli"]),
            ("zova --version", [command, "--version"]),
            ("zova --help", [command, "--help"]),
            ("zova objects --help", [command, "objects", "--help"]),
            ("zova info small.zova", [command, "info", path]),
        ]
        compileall.compile_dir(os.path.dirname(zova.__file__), quiet=1)   # as pip install does
        for _, argv in cases:   # warm the page cache
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        floor = None
        print(f"best of {runs} runs, wall time per process")
        for label, argv in cases:
            seconds = best(argv, runs)
            if floor is None:
                floor = seconds
                print(f"  {label:28s} {seconds * 1000:7.1f} ms")
                continue
            print(f"  {label:28s} {seconds * 1000:7.1f} ms   {seconds / floor:5.2f}x python   "
                  f"+{(seconds - floor) * 1000:5.1f} ms")
        help_time = best([command, "--help"], runs)
        info_time = best([command, "info", path], runs)
    verdict = "met" if max(help_time, info_time) < 0.100 else "NOT met"
    print(f"target (zova --help and zova info under 100 ms): {verdict} "
          f"({help_time * 1000:.1f} ms, {info_time * 1000:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
