"""Fuzzing in CI (issue 7): every input kept under tests/fuzz/regressions/<target>
and the committed seed corpus tests/fuzz/corpus/<target> is replayed through its
atheris target, then each target fuzzes for a bounded time (FUZZ_SECONDS per
target, default 5 s; ~25 s in total). Longer runs by hand: tests/fuzz/README.md.
atheris is a test dependency: without it these tests fail, they do not skip.
Also holds the named regression tests of bugs found by this work."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from zova._native import ffi, lib

ROOT = Path(__file__).resolve().parent.parent
FUZZ = ROOT / "tests" / "fuzz"
TARGETS = ["statements", "objects", "vectors", "vector_sql", "open"]
SECONDS = int(os.environ.get("FUZZ_SECONDS", "5"))


def inputs(target: str) -> list[Path]:
    files = []
    for kind in ("regressions", "corpus"):
        directory = FUZZ / kind / target
        if directory.is_dir():
            files += sorted(p for p in directory.iterdir() if p.is_file())
    return files


def test_atheris_is_installed():
    import atheris  # noqa: F401  (a test dependency: pip install '.[test]')


def test_every_target_has_a_file_and_a_corpus():
    for target in TARGETS:
        assert (FUZZ / f"fuzz_{target}.py").is_file(), target
        assert inputs(target), f"no committed inputs for {target}"


@pytest.mark.parametrize("target", TARGETS)
def test_replay_regressions_and_corpus(target):
    files = inputs(target)
    assert files, f"no inputs for {target}: with no file arguments libFuzzer would fuzz forever"
    result = subprocess.run([sys.executable, str(FUZZ / f"fuzz_{target}.py"), *map(str, files)],
                            capture_output=True, text=True, timeout=900, cwd=FUZZ)
    assert result.returncode == 0, result.stderr[-5000:]
    assert result.stderr.count("Executed ") == len(files), result.stderr[-3000:]


@pytest.mark.parametrize("target", TARGETS)
def test_bounded_fuzz_run(tmp_path, target):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    seeds = FUZZ / "corpus" / target
    command = [sys.executable, str(FUZZ / f"fuzz_{target}.py"), f"-max_total_time={SECONDS}", "-timeout=60",
               "-rss_limit_mb=4096", f"-artifact_prefix={artifacts}/", str(corpus)]
    if seeds.is_dir():
        command.append(str(seeds))
    result = subprocess.run(command, capture_output=True, text=True, timeout=SECONDS + 600, cwd=tmp_path)
    crashes = sorted(artifacts.iterdir())
    assert result.returncode == 0 and not crashes, (
        f"{target} found a failing input; keep it in tests/fuzz/regressions/{target}/: "
        f"{[str(c) for c in crashes]}\n{result.stderr[-6000:]}")
    done = re.search(r"Done (\d+) runs in (\d+) second", result.stderr)
    assert done and int(done.group(1)) > 0, result.stderr[-2000:]
    print(f"{target}: {done.group(1)} executions in {done.group(2)} s")


# ---- bugs found by the bad-input / fuzz work ----

def test_bug_bind_length_over_int64_max_read_as_nul_terminated(tmp_path):
    """Bug 1 (csrc/statement.c): bind_text/bind_blob passed len > INT64_MAX to
    SQLite's *64 binders, which take it as a negative i64 and read the bytes up
    to a NUL (a heap over-read past a 1-byte buffer). Now 17 (TOOBIG, docs/c-api.md §6.2)
    without reading."""
    from conftest import NativeDb
    native = NativeDb(str(tmp_path / "bind.zova"))
    status, statement = native.prepare("select ?")
    assert status == 0
    one = ffi.new("uint8_t[1]", [0x41])  # no NUL after it
    for length in (2**63, 2**64 - 1):
        text = ffi.new("zova_statement_bind_text_request *", [statement, 1, one, length])
        assert lib.zova_statement_bind_text(text) == lib.ZOVA_SQLITE_ERROR
        blob = ffi.new("zova_statement_bind_blob_request *", [statement, 1, one, length])
        assert lib.zova_statement_bind_blob(blob) == lib.ZOVA_SQLITE_ERROR
    assert "too big" in native.last_error()
    assert lib.zova_statement_finalize(statement) == 0
    assert native.close() == 0
