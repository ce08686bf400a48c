"""C and C++ consumers of libzova_c (issue 6; docs/c-api.md §1): one program per area,
compiled as C99 -pedantic (and one as C++17) against include/zova.h and
build/lib/libzova_c.a with only -lpthread -ldl -lm, then run; and the
documented install command (`python build.py install --prefix DIR`) used the
way a C user would, through pkg-config, for both the static and shared library."""
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


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is required for the C tests and was not found on PATH"
    return path


def build_and_run(tmp_path: Path, compiler: list[str], source: Path, link: list[str] = ()) -> None:
    assert ARCHIVE.exists(), f"{ARCHIVE} is missing: run `python build.py lib` (the test command does)"
    binary = tmp_path / source.stem
    subprocess.run([*compiler, f"-I{ROOT / 'include'}", f"-I{SOURCES}", str(source), str(ARCHIVE), *link, *LINK,
                    "-o", str(binary)], check=True)
    work = tmp_path / "work"
    work.mkdir()
    result = subprocess.run([str(binary), str(work)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


C99 = ["-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror"]


@pytest.mark.parametrize("name", ["objects_test.c", "vectors_test.c"])
def test_c99_program(tmp_path, name):
    build_and_run(tmp_path, [tool("gcc"), *C99], SOURCES / name)


def test_c99_operations_program(tmp_path):
    # The program makes a plain SQLite file to convert with the system's SQLite
    # (sqlite3.h, -lsqlite3): libzova_c's own SQLite is internal (docs/c.md).
    build_and_run(tmp_path, [tool("gcc"), *C99], SOURCES / "operations_test.c", link=["-lsqlite3"])


def test_c99_objects_without_threads(tmp_path):
    # Every pthread_create fails (the program defines its own): the chunk
    # pipeline cuts on the calling thread, with the same ids and chunks.
    build_and_run(tmp_path, [tool("gcc"), *C99], SOURCES / "no_threads_test.c")


def test_cxx17_program_over_every_area(tmp_path):
    build_and_run(tmp_path, [tool("g++"), "-std=c++17", "-pedantic", "-Wall", "-Wextra", "-Werror"],
                  SOURCES / "areas_test.cpp")


@pytest.mark.parametrize(("package", "flags", "linkage"), [
    ("zova", [], "shared"),
    ("zova", ["--static"], "shared"),  # --static adds only Libs.private; the rpath still finds the .so
    ("zova-static", [], "static"),
    ("zova-static", ["--static"], "static"),
])
def test_installed_library_through_pkg_config(tmp_path, package, flags, linkage):
    """docs/c.md's recipes: `python build.py install --prefix DIR`, then
    `cc hello.c $(pkg-config --cflags --libs zova)` (or zova-static); the
    program runs without LD_LIBRARY_PATH."""
    prefix = tmp_path / "prefix"
    subprocess.run([sys.executable, str(ROOT / "build.py"), "install", "--prefix", str(prefix)], check=True,
                   capture_output=True)
    assert (prefix / "include" / "zova.h").exists()
    env = dict(os.environ, PKG_CONFIG_PATH=str(prefix / "lib" / "pkgconfig"))
    pkg = subprocess.run([tool("pkg-config"), "--cflags", "--libs", *flags, package], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    binary = tmp_path / "objects_test"
    subprocess.run([tool("gcc"), *C99, f"-I{SOURCES}", str(SOURCES / "objects_test.c"), "-o", str(binary), *pkg],
                   check=True)
    work = tmp_path / "work"
    work.mkdir()
    run_env = {key: value for key, value in os.environ.items() if key != "LD_LIBRARY_PATH"}
    result = subprocess.run([str(binary), str(work)], env=run_env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    linked = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
    assert ("libzova_c.so" in linked) == (linkage == "shared")
