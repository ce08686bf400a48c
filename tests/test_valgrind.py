"""Memory checks of the C test programs (issue 7; docs/c-api.md §5.3 ownership, "never
leak"): every program in tests/c runs under valgrind memcheck with
--leak-check=full --error-exitcode=1 against build/lib/libzova_c.a, and under
AddressSanitizer + UndefinedBehaviorSanitizer with leak detection through
tests/run_sanitized.sh --c-only. A missing valgrind or sanitizer runtime fails
these tests; each harness is also shown to catch a planted leak."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "tests" / "c"
ARCHIVE = ROOT / "build" / "lib" / "libzova_c.a"
LINK = ["-lpthread", "-ldl", "-lm"]
PROGRAMS = sorted(p.name for p in SOURCES.iterdir() if p.suffix in (".c", ".cpp"))
VALGRIND = ["--leak-check=full", "--error-exitcode=1", "--track-origins=no", "--quiet"]
# Child processes get a clean environment even when this suite itself runs
# with the sanitizer runtimes preloaded (tests/run_sanitized.sh).
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is required for the memory-check tests and was not found on PATH"
    return path


def compile_program(tmp_path: Path, source: Path) -> Path:
    assert ARCHIVE.exists(), f"{ARCHIVE} is missing: run `python build.py lib`"
    compiler = [tool("g++"), "-std=c++17"] if source.suffix == ".cpp" else [tool("gcc"), "-std=c99"]
    binary = tmp_path / source.stem
    subprocess.run([*compiler, "-g", "-O1", f"-I{ROOT / 'include'}", f"-I{SOURCES}",
                    str(source), str(ARCHIVE), "-lsqlite3", *LINK, "-o", str(binary)],
                   check=True, env=CLEAN_ENV)
    return binary


def program_runs(binary: Path, work: Path) -> list[list[str]]:
    if binary.name == "records_test":
        return [[str(work / "records.zova")]]
    if binary.name == "interop":
        return [["write", str(work / "interop.zova"), "c"], ["read", str(work / "interop.zova")]]
    return [[str(work)]]


def test_every_c_program_is_covered():
    assert {"records_test.c", "objects_test.c", "vectors_test.c", "operations_test.c"} <= set(PROGRAMS)


@pytest.mark.parametrize("name", PROGRAMS)
def test_c_program_is_memcheck_clean(tmp_path, name):
    valgrind = tool("valgrind")
    binary = compile_program(tmp_path, SOURCES / name)
    work = tmp_path / "work"
    work.mkdir()
    for args in program_runs(binary, work):
        result = subprocess.run([valgrind, *VALGRIND, str(binary), *args], capture_output=True, text=True,
                                timeout=1200, env=CLEAN_ENV)
        assert result.returncode == 0, result.stderr[-6000:]
        assert "ERROR SUMMARY" not in result.stderr or "0 errors" in result.stderr
        if args[0] != "write" and binary.name != "interop":
            assert result.stdout.strip().endswith("ok"), result.stdout


def test_valgrind_reports_a_planted_leak(tmp_path):
    """The memcheck harness can fail: a program leaking one zova_buffer."""
    source = tmp_path / "leaky.c"
    source.write_text(
        '#include "zova.h"\n#include <stdlib.h>\n#include <string.h>\n'
        "int main(void) {\n"
        "    char *copy = malloc(32);\n"
        "    strcpy(copy, zova_abi_version_string());\n"
        "    copy = NULL;\n"
        "    return 0;\n"
        "}\n")
    binary = compile_program(tmp_path, source)
    result = subprocess.run([tool("valgrind"), *VALGRIND, str(binary)], capture_output=True, text=True,
                            env=CLEAN_ENV)
    assert result.returncode == 1
    assert "definitely lost" in result.stderr


def test_c_programs_under_asan_ubsan_with_leak_detection():
    """tests/run_sanitized.sh --c-only: every tests/c program, leaks checked."""
    result = subprocess.run(["sh", str(ROOT / "tests" / "run_sanitized.sh"), "--c-only"], capture_output=True,
                            text=True, timeout=3600, cwd=ROOT, env=dict(CLEAN_ENV, PYTHON=sys.executable))
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    for name in PROGRAMS:
        assert f"ok   {name}" in result.stdout, result.stdout


def test_asan_harness_reports_a_planted_leak(tmp_path):
    gcc = tool("gcc")
    runtime = subprocess.run([gcc, "-print-file-name=libasan.so"], capture_output=True, text=True,
                             env=CLEAN_ENV).stdout.strip()
    assert Path(runtime).is_file(), "gcc's AddressSanitizer runtime (libasan) is required"
    source = tmp_path / "leaky.c"
    source.write_text("#include <stdlib.h>\nint main(void) { void *p = malloc(24); p = 0; return p != 0; }\n")
    binary = tmp_path / "leaky"
    subprocess.run([gcc, "-fsanitize=address,undefined", "-g", str(source), "-o", str(binary)], check=True,
                   env=CLEAN_ENV)
    result = subprocess.run([str(binary)], capture_output=True, text=True,
                            env={"ASAN_OPTIONS": "detect_leaks=1:exitcode=86"})
    assert result.returncode == 86
    assert "LeakSanitizer" in result.stderr
