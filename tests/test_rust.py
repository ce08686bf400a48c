"""The Rust bindings in bindings/rust (docs/rust.md §4): runs the cargo
workspace's own tests (zova-sys ABI checks, the safe `zova` crate's tests and
doc-tests) and the README example program with the machine's Rust toolchain;
builds a crate outside the repository against the binding by a path
dependency, with Python made unusable, to show that zova-sys compiles its
bundled C sources with the `cc` crate and needs nothing else; checks what
`cargo package` ships, that the bundled copy of the C sources is current, and
that ZOVA_LIB_DIR still links a prebuilt library. A missing `cargo` is a
failure, never a skip.

Cargo's target directories are kept under bindings/rust/target (gitignored), one
per way of building zova-sys, so repeated runs reuse the compiled C: the first
compile of the bundled SQLite takes a while, and switching ZOVA_LIB_DIR on and
off in one target directory would recompile it every time."""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKSPACE = ROOT / "bindings" / "rust"
SYS_CRATE = WORKSPACE / "zova-sys"
BUNDLED_SOURCES = SYS_CRATE / "csrc"
TARGETS = WORKSPACE / "target"
LIB_DIR = ROOT / "build" / "lib"
# Variables of the former Python-driven build, and the two that pick a prebuilt library.
ZOVA_BUILD_VARIABLES = ("ZOVA_LIB_DIR", "ZOVA_INCLUDE_DIR", "ZOVA_SOURCE_DIR", "ZOVA_PYTHON")


def cargo() -> str:
    found = shutil.which("cargo") or str(Path.home() / ".cargo" / "bin" / "cargo")
    assert Path(found).exists(), "cargo is not installed: the Rust binding tests (docs/rust.md §4) cannot run"
    return found


@pytest.fixture(scope="module")
def no_python(tmp_path_factory) -> Path:
    """A directory whose `python3` and `python` fail loudly and leave a mark:
    first on PATH, it shows that no build step runs Python."""
    shims = tmp_path_factory.mktemp("no-python")
    for name in ("python", "python3"):
        shim = shims / name
        shim.write_text(f'#!/bin/sh\necho "{name} was run: $*" >> "{shims}/ran"\necho "no Python here" >&2\nexit 97\n')
        shim.chmod(shim.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return shims


def cargo_env(no_python: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ZOVA_BUILD_VARIABLES}
    env["PATH"] = f"{no_python}{os.pathsep}{env.get('PATH', '')}"
    env["CARGO_TERM_COLOR"] = "never"
    env.pop("CARGO_TARGET_DIR", None)
    env.update(extra)
    return env


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([cargo(), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)


def assert_python_unused(no_python: Path) -> None:
    ran = no_python / "ran"
    assert not ran.exists(), ran.read_text()


def lock_packages(lock: str) -> dict[str, tuple[str | None, list[str]]]:
    """name -> (source, dependency names) of a Cargo.lock."""
    packages = {}
    for block in lock.split("[[package]]")[1:]:
        name = re.search(r'^name = "([^"]+)"', block, flags=re.M).group(1)
        source = re.search(r'^source = "([^"]+)"', block, flags=re.M)
        deps = re.search(r"^dependencies = \[(.*?)\]", block, flags=re.M | re.S)
        packages[name] = (source and source.group(1),
                          [d.split()[0] for d in re.findall(r'"([^"]+)"', deps.group(1))] if deps else [])
    return packages


def registry_closure(packages: dict[str, tuple[str | None, list[str]]], root: str) -> set[str]:
    seen, todo = set(), [root]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(packages[name][1])
    return seen


def assert_only_cc_from_crates_io(lock: str, local: set[str]) -> None:
    """The crates of a lock file are `local` plus `cc` and what `cc` itself pulls in."""
    packages = lock_packages(lock)
    assert "cc" in packages, lock
    from_registry = {name for name, (source, _) in packages.items() if source}
    assert from_registry == registry_closure(packages, "cc"), lock
    assert set(packages) - from_registry == local, lock
    assert packages["zova-sys"][1] == ["cc"], lock
    assert packages["zova"][1] == ["zova-sys"], lock


def test_lock_file_holds_the_workspace_crates_and_cc_only_section_4_1():
    assert_only_cc_from_crates_io((WORKSPACE / "Cargo.lock").read_text(), {"zova", "zova-sys"})
    # cc is zova-sys's one dependency, and only a build-dependency.
    manifest = (SYS_CRATE / "Cargo.toml").read_text()
    assert re.search(r'^\[build-dependencies\]\ncc = "1"\n', manifest, flags=re.M), manifest
    assert re.search(r"^\[dependencies\]\n(\n|$)", manifest, flags=re.M), manifest


def test_cargo_test_passes_section_4(no_python):
    result = run(["test", "--locked", "--workspace", "--no-fail-fast"], WORKSPACE, cargo_env(no_python))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]
    totals = [tuple(map(int, m)) for m in re.findall(r"test result: ok\. (\d+) passed; (\d+) failed", output)]
    passed = sum(p for p, _ in totals)
    assert sum(f for _, f in totals) == 0, output[-20000:]
    # zova-sys ABI checks plus the safe crate's unit, integration and doc tests all ran.
    assert passed >= 40, f"only {passed} Rust tests ran:\n{output[-20000:]}"
    assert "warning" not in result.stderr, result.stderr[-20000:]
    assert_python_unused(no_python)


def test_readme_example_program_runs_section_4_3(tmp_path, no_python):
    result = run(["run", "--locked", "-p", "zova", "--example", "quickstart", "--", str(tmp_path / "example.zova")],
                 WORKSPACE, cargo_env(no_python))
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
    assert_python_unused(no_python)


OUTSIDE_MAIN = r"""
use zova::{Database, Step, VectorCollectionOptions, VectorInput, VectorMetric};

fn main() -> zova::Result<()> {
    let path = std::env::args().nth(1).expect("path of the .zova file");
    let db = Database::create(&path)?;
    db.exec("CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT NOT NULL);
             INSERT INTO notes(body) VALUES ('first'), ('second'), ('third');")?;
    let mut query = db.prepare("SELECT id, body FROM notes WHERE id >= ?1 ORDER BY id")?;
    query.bind_i64(1, 2)?;
    while query.step()? == Step::Row {
        println!("note {} {}", query.column_i64(0)?, query.column_text(1)?.unwrap_or_default());
    }
    drop(query);

    let data: &[u8] = b"bytes from a crate outside the repository";
    let id = db.put_object(data)?;
    let back = db.get_object(&id)?;
    assert_eq!(back, data);
    println!("object {} {} bytes", id.to_hex(), back.len());

    db.create_vector_collection("points", VectorCollectionOptions::new(3, VectorMetric::L2))?;
    db.put_vectors("points", &[
        VectorInput::new("x", &[1.0, 0.0, 0.0]),
        VectorInput::new("y", &[0.0, 1.0, 0.0]),
        VectorInput::new("far", &[0.0, 3.0, 4.0]),
    ])?;
    db.put_vectors("points", &[VectorInput::new("x", &[2.0, 0.0, 0.0])])?; // upsert: replaces x
    for hit in db.search_vectors("points", &[0.0, 0.0, 0.0], 3)? {
        println!("hit {} {:.3}", hit.id, hit.distance);
    }
    println!("vectors {}", db.vector_collection_info("points")?.vector_count);
    db.close();
    println!("reopened notes {}", {
        let db = Database::open(&path)?;
        let mut count = db.prepare("SELECT count(*) FROM notes")?;
        count.step()?;
        count.column_i64(0)?
    });
    Ok(())
}
"""
OUTSIDE_DATA = b"bytes from a crate outside the repository"
OUTSIDE_OUTPUT = [
    "note 2 second",
    "note 3 third",
    f"object {hashlib.sha256(OUTSIDE_DATA).hexdigest()} {len(OUTSIDE_DATA)} bytes",
    "hit y 1.000",
    "hit x 2.000",
    "hit far 5.000",
    "vectors 3",
    "reopened notes 3",
]


def outside_crate(directory: Path) -> Path:
    """A binary crate in `directory` (outside the repository) with a path
    dependency on the safe crate; its own `[workspace]` keeps it standalone.
    Its Cargo.lock is the workspace's plus its own entry, so it builds
    `--locked` with the same `cc`."""
    assert not directory.resolve().is_relative_to(ROOT)
    crate = directory / "outside-app"
    (crate / "src").mkdir(parents=True)
    (crate / "Cargo.toml").write_text(
        '[package]\nname = "outside-app"\nversion = "0.1.0"\nedition = "2021"\npublish = false\n\n'
        f'[dependencies]\nzova = {{ path = "{WORKSPACE / "zova"}" }}\n\n[workspace]\n')
    (crate / "src" / "main.rs").write_text(OUTSIDE_MAIN)
    lock = (WORKSPACE / "Cargo.lock").read_text()
    (crate / "Cargo.lock").write_text(
        lock + '\n[[package]]\nname = "outside-app"\nversion = "0.1.0"\ndependencies = [\n "zova",\n]\n')
    return crate


def test_crate_outside_the_repository_builds_the_bundled_c_without_python_section_4_2(tmp_path, no_python):
    """No ZOVA_LIB_DIR, no ZOVA_INCLUDE_DIR, `python3`/`python` failing: zova-sys
    compiles its csrc/bundle.c with cc, quietly, and the program works."""
    crate = outside_crate(tmp_path)
    target = TARGETS / "outside-bundled"
    result = run(["run", "--locked", "--", str(tmp_path / "outside.zova")], crate,
                 cargo_env(no_python, CARGO_TARGET_DIR=str(target)))
    assert result.returncode == 0, (result.stdout + result.stderr)[-20000:]
    assert result.stdout.splitlines() == OUTSIDE_OUTPUT, result.stdout
    assert "warning" not in result.stderr, result.stderr[-20000:]
    assert_python_unused(no_python)
    assert (tmp_path / "outside.zova").is_file()
    # zova and zova-sys by path, cc (and what cc pulls in) from crates.io, nothing else.
    assert_only_cc_from_crates_io((crate / "Cargo.lock").read_text(), {"outside-app", "zova", "zova-sys"})
    # The archive linked is the one cc built in zova-sys's OUT_DIR, from the crate's own sources.
    archives = list(target.glob("debug/build/zova-sys-*/out/libzova_c.a"))
    assert archives, sorted(p.name for p in (target / "debug" / "build").iterdir())
    outputs = [p.read_text() for p in target.glob("debug/build/zova-sys-*/output")]
    assert any(f"cargo:include={BUNDLED_SOURCES}" in text and "cargo:rerun-if-changed=csrc/bundle.c" in text
               for text in outputs), outputs


def test_cargo_package_ships_build_rs_src_and_csrc_only_section_4_2(no_python):
    env = cargo_env(no_python)
    result = run(["package", "--list", "--locked", "-p", "zova-sys", "--allow-dirty"], WORKSPACE, env)
    assert result.returncode == 0, result.stderr[-20000:]
    listed = set(result.stdout.split())
    for required in ("build.rs", "Cargo.toml", "src/lib.rs", "csrc/bundle.c", "csrc/sqlite3.c", "csrc/sqlite3.h",
                     "csrc/zova.h"):
        assert required in listed, result.stdout
    # What cargo adds by itself to every package, beside the crate's own files.
    generated = {"Cargo.toml.orig", "Cargo.lock", ".cargo_vcs_info.json"}
    own = {"build.rs", "Cargo.toml"} | {f"src/{p.name}" for p in (SYS_CRATE / "src").iterdir()} \
        | {f"csrc/{p.name}" for p in BUNDLED_SOURCES.iterdir()}
    assert listed - generated == own, result.stdout
    assert not any(re.search(r"(^|/)(tests?|target|examples|benches)(/|$)", path) for path in listed), result.stdout
    # The packaged crate (nothing of the repository beside it) builds: cargo
    # unpacks it under target/package and compiles it there.
    result = run(["package", "--locked", "-p", "zova-sys", "--allow-dirty"], WORKSPACE,
                 cargo_env(no_python, CARGO_TARGET_DIR=str(TARGETS / "package-check")))
    assert result.returncode == 0, result.stderr[-20000:]
    assert "Verifying zova-sys" in result.stderr, result.stderr
    assert "warning" not in result.stderr, result.stderr[-20000:]
    assert_python_unused(no_python)


def test_bundled_c_sources_match_the_repository_section_4_2():
    sources = [*sorted((ROOT / "csrc").glob("*.c")), *sorted((ROOT / "csrc").glob("*.h")), ROOT / "include" / "zova.h",
               ROOT / "vendor" / "sqlite-3.53.2" / "sqlite3.c", ROOT / "vendor" / "sqlite-3.53.2" / "sqlite3.h"]
    assert ROOT / "csrc" / "bundle.c" in sources
    hint = "run `python3 build.py sync-bindings` and commit bindings/rust/zova-sys/csrc"
    copies = {p.name for p in BUNDLED_SOURCES.iterdir()}
    assert copies == {p.name for p in sources}, f"{BUNDLED_SOURCES} holds other files than the C sources: {hint}"
    stale = [p.name for p in sources if (BUNDLED_SOURCES / p.name).read_bytes() != p.read_bytes()]
    assert not stale, f"{BUNDLED_SOURCES} is out of date ({', '.join(stale)} differ): {hint}"


def test_zova_lib_dir_is_used_as_is_section_4_2(tmp_path, no_python):
    """With ZOVA_LIB_DIR set, zova-sys links libzova_c.a from that directory and
    builds nothing: the ABI tests pass against build/lib (made by `build.py lib`,
    which tests/run.sh runs first), the crate outside the repository runs, and
    an empty directory fails at link time."""
    assert (LIB_DIR / "libzova_c.a").is_file(), f"{LIB_DIR}/libzova_c.a is missing: run `python3 build.py lib`"
    target = TARGETS / "lib-dir"
    env = cargo_env(no_python, ZOVA_LIB_DIR=str(LIB_DIR), CARGO_TARGET_DIR=str(target))
    result = run(["test", "--locked", "-p", "zova-sys"], WORKSPACE, env)
    assert result.returncode == 0, (result.stdout + result.stderr)[-20000:]
    assert "test result: ok. 5 passed" in result.stdout, result.stdout
    crate = outside_crate(tmp_path)
    result = run(["run", "--locked", "--", str(tmp_path / "outside.zova")], crate, env)
    assert result.returncode == 0, (result.stdout + result.stderr)[-20000:]
    assert result.stdout.splitlines() == OUTSIDE_OUTPUT, result.stdout
    # Nothing compiled: no archive in zova-sys's OUT_DIR, the build script linked build/lib.
    assert not list(target.glob("debug/build/zova-sys-*/out/libzova_c.a"))
    outputs = [p.read_text() for p in target.glob("debug/build/zova-sys-*/output")]
    assert outputs and all(f"cargo:rustc-link-search=native={LIB_DIR}" in text for text in outputs), outputs
    assert_python_unused(no_python)
    empty = tmp_path / "empty"
    empty.mkdir()
    env["ZOVA_LIB_DIR"] = str(empty)
    env["CARGO_TARGET_DIR"] = str(tmp_path / "target")
    result = run(["test", "--locked", "-p", "zova-sys", "--no-run"], WORKSPACE, env)
    assert result.returncode != 0
    assert "zova_c" in result.stderr, result.stderr[-20000:]
