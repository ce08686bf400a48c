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
