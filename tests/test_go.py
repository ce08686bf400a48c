"""Runs the Go binding's test suite (cli-and-bindings §3) through bindings/go/test.sh.

The Go toolchain is a requirement of this test: a missing `go` fails loudly
instead of skipping. The library is rebuilt first (`build.py lib` is
incremental), so the Go tests link the current C core unless ZOVA_LIB_DIR
points elsewhere.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GO_DIR = ROOT / "bindings" / "go"


def test_go_toolchain_present():
    """cli-and-bindings §3.1: the Go binding needs a Go toolchain with cgo."""
    go = shutil.which("go")
    assert go is not None, "the `go` toolchain is not on PATH; the Go binding tests cannot run"
    version = subprocess.run([go, "version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("go version go"), version


def test_go_binding_suite_passes():
    """cli-and-bindings §3.1-§3.2: `bindings/go/test.sh` (go test ./...) passes."""
    assert shutil.which("go") is not None, "the `go` toolchain is not on PATH"
    env = dict(os.environ, PYTHON=sys.executable)
    if not env.get("ZOVA_LIB_DIR"):
        subprocess.run([sys.executable, "build.py", "lib"], cwd=ROOT, check=True,
                       capture_output=True, text=True)
    result = subprocess.run(["sh", str(GO_DIR / "test.sh"), "-v"], cwd=GO_DIR, env=env,
                            capture_output=True, text=True, timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"Go binding tests failed (exit {result.returncode}):\n{output[-20000:]}"
    assert "--- FAIL" not in output, output[-20000:]
    assert "\nok  \tgithub.com/atasesli/zova/bindings/go" in output, output[-5000:]


def _standalone_copy(tmp_path: Path) -> Path:
    """bindings/go copied outside the repository, so the #cgo default paths
    (../../include, ../../build/lib) do not exist."""
    target = tmp_path / "checkout" / "bindings" / "go"
    target.mkdir(parents=True)
    for item in GO_DIR.iterdir():
        if item.suffix == ".go" or item.name in ("go.mod", "test.sh"):
            shutil.copy2(item, target / item.name)
    return target


def test_go_test_sh_honours_zova_include_and_lib_dir(tmp_path):
    """cli-and-bindings §3.1: test.sh takes the header from ZOVA_INCLUDE_DIR and
    the archive from ZOVA_LIB_DIR (here copies outside the repository)."""
    assert shutil.which("go") is not None, "the `go` toolchain is not on PATH"
    subprocess.run([sys.executable, "build.py", "lib"], cwd=ROOT, check=True, capture_output=True, text=True)
    include_dir, lib_dir = tmp_path / "include", tmp_path / "lib"
    include_dir.mkdir()
    lib_dir.mkdir()
    shutil.copy2(ROOT / "include" / "zova.h", include_dir / "zova.h")
    shutil.copy2(ROOT / "build" / "lib" / "libzova_c.a", lib_dir / "libzova_c.a")
    copy = _standalone_copy(tmp_path)
    env = dict(os.environ, ZOVA_INCLUDE_DIR=str(include_dir), ZOVA_LIB_DIR=str(lib_dir))
    result = subprocess.run(["sh", "test.sh", "-run", "TestABIVersion|TestStatusNames|TestStatementBindAndColumns"],
                            cwd=copy, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr

    # Without the archive in ZOVA_LIB_DIR the link fails: the variable is what is used.
    (lib_dir / "libzova_c.a").unlink()
    result = subprocess.run(["sh", "test.sh", "-run", "TestABIVersion"], cwd=copy, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode != 0
    assert "zova_c" in result.stdout + result.stderr


def test_go_binding_concurrency_under_race_detector():
    """cli-and-bindings §3.2 locking: the concurrency tests pass under `go test -race`
    with cgocheck2 (no Go pointer reaches C)."""
    assert shutil.which("go") is not None, "the `go` toolchain is not on PATH"
    env = dict(os.environ, PYTHON=sys.executable, GOEXPERIMENT="cgocheck2")
    if not env.get("ZOVA_LIB_DIR"):
        subprocess.run([sys.executable, "build.py", "lib"], cwd=ROOT, check=True, capture_output=True, text=True)
    result = subprocess.run(["sh", str(GO_DIR / "test.sh"), "-race", "-run", "Concurrent|Writer|CloseFinalises"],
                            cwd=GO_DIR, env=env, capture_output=True, text=True, timeout=900)
    output = result.stdout + result.stderr
    assert "DATA RACE" not in output, output[-20000:]
    assert result.returncode == 0, output[-20000:]
