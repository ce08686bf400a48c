"""The Rust bindings in bindings/rust (cli-and-bindings §4): runs the cargo
workspace's own tests (zova-sys ABI checks, the safe `zova` crate's tests and
doc-tests) and the README example program with the machine's Rust toolchain,
offline. A missing `cargo` is a failure, never a skip."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKSPACE = ROOT / "bindings" / "rust"


def cargo() -> str:
    found = shutil.which("cargo") or str(Path.home() / ".cargo" / "bin" / "cargo")
    assert Path(found).exists(), "cargo is not installed: the Rust binding tests (cli-and-bindings §4) cannot run"
    return found


def run_cargo(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    # §4.2: without ZOVA_LIB_DIR, zova-sys/build.rs builds libzova_c.a by running
    # build.py lib; use this interpreter (it has cffi) for that.
    env.pop("ZOVA_LIB_DIR", None)
    env["ZOVA_PYTHON"] = sys.executable
    env.setdefault("CARGO_TERM_COLOR", "never")
    command, *rest = args
    return subprocess.run([cargo(), command, "--offline", *rest], cwd=WORKSPACE, env=env, capture_output=True, text=True,
                          timeout=1800)


def test_lock_file_holds_only_the_two_workspace_crates_section_4_1():
    lock = (WORKSPACE / "Cargo.lock").read_text()
    assert sorted(re.findall(r'^name = "([^"]+)"', lock, flags=re.M)) == ["zova", "zova-sys"]


def test_cargo_test_passes_section_4():
    result = run_cargo("test", "--workspace", "--no-fail-fast")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]
    totals = [tuple(map(int, m)) for m in re.findall(r"test result: ok\. (\d+) passed; (\d+) failed", output)]
    passed = sum(p for p, _ in totals)
    assert sum(f for _, f in totals) == 0, output[-20000:]
    # zova-sys ABI checks plus the safe crate's unit, integration and doc tests all ran.
    assert passed >= 40, f"only {passed} Rust tests ran:\n{output[-20000:]}"


def test_readme_example_program_runs_section_4_3(tmp_path):
    result = run_cargo("run", "-p", "zova", "--example", "quickstart", "--", str(tmp_path / "example.zova"))
    assert result.returncode == 0, (result.stdout + result.stderr)[-20000:]
    # The object id is SHA-256(b"hello, zova"); L2 distance from (0,1) to (0,0) is 1.
    assert result.stdout.splitlines() == [
        "1 ada",
        "2 grace",
        "rows: 2",
        "object: 11 bytes, id 635eaf82364ad847",
        "nearest: origin at 1.0",
        "people after threads: 4",
    ], result.stdout


def test_zova_lib_dir_is_used_as_is_section_4_2(tmp_path):
    """With ZOVA_LIB_DIR set, zova-sys links libzova_c.a from that directory and
    builds nothing: the ABI tests pass against build/lib, and an empty directory
    fails at link time."""
    subprocess.run([sys.executable, "build.py", "lib"], cwd=ROOT, check=True, capture_output=True)
    env = dict(os.environ, ZOVA_LIB_DIR=str(ROOT / "build" / "lib"), CARGO_TARGET_DIR=str(tmp_path / "target"),
               ZOVA_PYTHON="/nonexistent/python", CARGO_TERM_COLOR="never")
    result = subprocess.run([cargo(), "test", "--offline", "-p", "zova-sys"], cwd=WORKSPACE, env=env,
                            capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, (result.stdout + result.stderr)[-20000:]
    assert "test result: ok. 4 passed" in result.stdout, result.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    env["ZOVA_LIB_DIR"] = str(empty)
    result = subprocess.run([cargo(), "test", "--offline", "-p", "zova-sys", "--no-run"], cwd=WORKSPACE, env=env,
                            capture_output=True, text=True, timeout=1800)
    assert result.returncode != 0
    assert "zova_c" in result.stderr, result.stderr[-20000:]
