"""The Go binding (docs/go.md §3): its test suite through bindings/go/test.sh,
and the module used from another module the way a Go program uses it.

The Go toolchain is a requirement of these tests: a missing `go` fails loudly
instead of skipping. cgo compiles the C core and the vendored SQLite from the
module's own copy in bindings/go/csrc (one translation unit, csrc/bundle.c), so
nothing here builds the library first; the copy must be current
(`python3 build.py sync-bindings`), which test_go_csrc_copy_matches_sources
checks. The first cgo build of SQLite takes about a minute; the go build cache
makes the later ones fast.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GO_DIR = ROOT / "bindings" / "go"
MODULE = "github.com/atasesli/zova/bindings/go"
SQLITE_DIR = ROOT / "vendor" / "sqlite-3.53.2"

# The other SQLite linked beside Zova in test_go_program_links_zova_beside_mattn_sqlite3:
# fetched through the Go module proxy into the module cache (the only network
# these tests may use), pinned by the go.sum lines below.
MATTN = "github.com/mattn/go-sqlite3"
MATTN_VERSION = "v1.14.53"
MATTN_SUMS = (
    f"{MATTN} {MATTN_VERSION} h1:mnTM0owzUMrKuLo+0w51NUiB0ir2Fo7kFXlPt/l3BGs=\n"
    f"{MATTN} {MATTN_VERSION}/go.mod h1:6JTjA44L93a0QCyJef5YvlPoKXntQPjzWv5gtm9sB6w=\n"
)

# Variables that could hand the build a header, a library or flags from outside
# the module; none may be needed.
_OUTSIDE_BUILD_VARIABLES = ("CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_CXXFLAGS", "CGO_LDFLAGS", "PKG_CONFIG_PATH",
                            "GOFLAGS", "PYTHON", "PYTHONPATH", "VIRTUAL_ENV")

# What `go build` of a cgo program runs: the go command, the C compiler driver
# and the assembler, linker and archiver it calls.
_TOOLS = ("go", "cc", "gcc", "as", "ld", "ar")


def _go() -> str:
    go = shutil.which("go")
    assert go is not None, "the `go` toolchain is not on PATH; the Go binding tests cannot run"
    return go


def _python_shims(bin_dir: Path) -> Path:
    """`python` and `python3` in bin_dir that fail and leave a mark, so a build
    step that reaches for Python is seen even where the failure is swallowed."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    mark = bin_dir / "python-was-called"
    for name in ("python", "python3"):
        shim = bin_dir / name
        shim.write_text(f'#!/bin/sh\necho "$0 $*" >> "{mark}"\necho "python must not be needed" >&2\nexit 97\n')
        shim.chmod(0o755)
    return mark


def _build_env(path: str, **extra: str) -> dict[str, str]:
    """The caller's environment without anything that points the build outside
    the module, offline unless extra says otherwise."""
    env = {key: value for key, value in os.environ.items()
           if key not in _OUTSIDE_BUILD_VARIABLES and not key.startswith("ZOVA_")}
    env.update(PATH=path, CGO_ENABLED="1", GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local")
    env.update(extra)
    return env


def _go_and_cc_only(tmp_path: Path) -> tuple[str, Path]:
    """A PATH of one directory: symlinks to go and the C toolchain, and the
    failing python shims."""
    bin_dir = tmp_path / "bin"
    mark = _python_shims(bin_dir)
    for tool in _TOOLS:
        found = shutil.which(tool)
        assert found is not None, f"`{tool}` is not on PATH; a cgo build needs it"
        (bin_dir / tool).symlink_to(os.path.realpath(found))
    return str(bin_dir), mark


def _suite_env(tmp_path: Path, **extra: str) -> tuple[dict[str, str], Path]:
    """For test.sh: the usual PATH with failing python shims first."""
    mark = _python_shims(tmp_path / "shims")
    return _build_env(f"{tmp_path / 'shims'}{os.pathsep}{os.environ.get('PATH', '')}", **extra), mark


def _user_module(tmp_path: Path, main_go: str, requires: str = "", sums: str = "") -> Path:
    """A module outside the repository that requires the binding at v0.0.0 and
    replaces it with this checkout's bindings/go."""
    module = tmp_path / "zovauser"
    module.mkdir()
    assert not module.resolve().is_relative_to(ROOT), "the user module must be outside the repository"
    (module / "go.mod").write_text(
        "module example.com/zovauser\n\n"
        "go 1.26\n\n"
        f"require (\n\t{MODULE} v0.0.0\n{requires})\n\n"
        f"replace {MODULE} => {GO_DIR}\n")
    if sums:
        (module / "go.sum").write_text(sums)
    (module / "main.go").write_text(main_go)
    return module


def _go_build(module: Path, env: dict[str, str]) -> Path:
    binary = module / "zovauser"
    result = subprocess.run(["go", "build", "-o", str(binary), "."], cwd=module, env=env,
                            capture_output=True, text=True, timeout=900)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"go build failed in a module outside the repository:\n{output[-20000:]}"
    # cgo prints the C compiler's diagnostics; the core compiles without any.
    assert "warning" not in output.lower(), output[-20000:]
    return binary


def _run_suite(tmp_path: Path, *args: str, timeout: int = 900, **extra: str) -> str:
    env, mark = _suite_env(tmp_path, **extra)
    result = subprocess.run(["sh", str(GO_DIR / "test.sh"), *args], cwd=GO_DIR, env=env,
                            capture_output=True, text=True, timeout=timeout)
    output = result.stdout + result.stderr
    assert not mark.exists(), f"test.sh ran python: {mark.read_text()}"
    assert result.returncode == 0, f"Go binding tests failed (exit {result.returncode}):\n{output[-20000:]}"
    return output


def test_go_toolchain_present():
    """docs/go.md §3.1: the Go binding needs a Go toolchain with cgo."""
    version = subprocess.run([_go(), "version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("go version go"), version


def test_go_binding_suite_passes(tmp_path):
    """docs/go.md §3.1-§3.2: `bindings/go/test.sh` (go test ./...) passes with
    no Python, no ZOVA_* variable and no CGO flags."""
    _go()
    output = _run_suite(tmp_path, "-v")
    assert "--- FAIL" not in output, output[-20000:]
    assert "--- PASS: TestCSrcCopyIsComplete" in output, output[-5000:]
    assert f"\nok  \t{MODULE}" in output, output[-5000:]


def test_go_binding_concurrency_under_race_detector(tmp_path):
    """docs/go.md §3.2 locking: the concurrency tests pass under `go test -race`
    with cgocheck2 (no Go pointer reaches C)."""
    _go()
    env, mark = _suite_env(tmp_path, GOEXPERIMENT="cgocheck2")
    result = subprocess.run(["sh", str(GO_DIR / "test.sh"), "-race", "-run", "Concurrent|Writer|CloseFinalises"],
                            cwd=GO_DIR, env=env, capture_output=True, text=True, timeout=900)
    output = result.stdout + result.stderr
    assert not mark.exists(), mark.read_text()
    assert "DATA RACE" not in output, output[-20000:]
    assert result.returncode == 0, output[-20000:]


def _copy_sources() -> dict[str, Path]:
    sources = sorted((ROOT / "csrc").glob("*.c")) + sorted((ROOT / "csrc").glob("*.h"))
    sources += [ROOT / "include" / "zova.h", SQLITE_DIR / "sqlite3.c", SQLITE_DIR / "sqlite3.h"]
    by_name: dict[str, Path] = {}
    for source in sources:
        assert source.name not in by_name, f"{source} and {by_name[source.name]} have one name in the flat copy"
        by_name[source.name] = source
    return by_name


def test_go_csrc_copy_matches_sources():
    """bindings/go/csrc is a flat, byte-identical copy of csrc/*.c, csrc/*.h,
    include/zova.h and the vendored sqlite3.c and sqlite3.h, with nothing else."""
    fix = "run `python3 build.py sync-bindings` and commit bindings/go/csrc"
    copy_dir = GO_DIR / "csrc"
    assert copy_dir.is_dir(), f"{copy_dir} is missing; {fix}"
    sources = _copy_sources()
    assert "bundle.c" in sources
    copied = {entry.name for entry in copy_dir.iterdir()}
    missing, extra = sorted(set(sources) - copied), sorted(copied - set(sources))
    assert not missing, f"bindings/go/csrc lacks {missing}; {fix}"
    assert not extra, f"bindings/go/csrc has files that are not sources: {extra}; {fix}"
    stale = [name for name, source in sources.items()
             if (copy_dir / name).is_dir() or (copy_dir / name).read_bytes() != source.read_bytes()]
    assert not stale, f"bindings/go/csrc differs from the sources in {stale}; {fix}"


def test_go_package_refers_to_nothing_outside_the_module():
    """The cgo directives of the default build name only ${SRCDIR}/csrc and
    system libraries: no ../../include, no -L, no libzova_c (only the opt-in
    zova_system build links an installed library); test.sh needs neither
    Python nor ZOVA_*."""
    directives = []
    for source in sorted(GO_DIR.glob("*.go")):
        text = source.read_text()
        if source.name == "zova_system.go":
            assert text.startswith("//go:build zova_system\n"), text[:200]
            continue
        directives += [line for line in text.splitlines() if line.startswith("#cgo")]
    assert directives, "no #cgo directive found in bindings/go/*.go"
    for line in directives:
        assert "zova_c" not in line and "-L" not in line and ".." not in line, line
        assert all(flag.startswith("-I${SRCDIR}/csrc") or not flag.startswith("-I")
                   for flag in line.split()), line
    bundles = sorted(path.name for path in GO_DIR.glob("*.c"))
    assert bundles == ["zova_bundle.c"], bundles
    bundle = (GO_DIR / "zova_bundle.c").read_text()
    assert bundle.startswith("//go:build !zova_system\n") and '#include "csrc/bundle.c"' in bundle
    commands = "\n".join(line for line in (GO_DIR / "test.sh").read_text().splitlines()
                         if not line.lstrip().startswith("#"))
    assert "python" not in commands.lower() and "ZOVA_" not in commands, commands
    assert "CGO_" not in commands.replace("CGO_ENABLED", ""), commands


_USER_MAIN = r'''package main

import (
	"fmt"
	"os"
	"path/filepath"

	zova "github.com/atasesli/zova/bindings/go"
)

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func main() {
	path := filepath.Join(os.Args[1], "user.zova")
	db, err := zova.Create(path)
	check(err)

	check(db.Exec("create table notes(id integer primary key, title text not null)"))
	check(db.Exec("insert into notes(title) values ('hello from another module')"))
	query, err := db.Prepare("select id, title from notes")
	check(err)
	step, err := query.Step()
	check(err)
	if step != zova.StepRow {
		check(fmt.Errorf("no row"))
	}
	id, _ := query.ColumnInt64(0)
	title, _, _ := query.ColumnText(1)
	fmt.Printf("record %d %s\n", id, title)
	check(query.Close())

	objectID, err := db.PutObject([]byte("bytes from example.com/zovauser"))
	check(err)
	data, err := db.GetObject(objectID)
	check(err)
	fmt.Printf("object %s %d %s\n", objectID, len(data), data)

	check(db.CreateVectorCollection("embeddings", zova.VectorCollectionOptions{Dimensions: 3, Metric: zova.VectorMetricL2}))
	check(db.PutVectors("embeddings", []zova.VectorInput{
		{ID: "far", Values: []float32{10, 10, 10}},
		{ID: "near", Values: []float32{1, 0, 0}},
		{ID: "middle", Values: []float32{3, 0, 0}},
	}))
	results, err := db.SearchVectors("embeddings", []float32{0, 0, 0}, 2)
	check(err)
	for _, result := range results {
		fmt.Printf("search %s %.3f\n", result.ID, result.Distance)
	}
	check(db.Close())

	again, err := zova.Open(path)
	check(err)
	has, err := again.HasObject(objectID)
	check(err)
	fmt.Println("reopened", has, zova.ABIVersion())
	check(again.Close())
}
'''


def test_go_module_builds_from_another_module(tmp_path):
    """Issue 15: a module outside the repository requires the binding (replace
    to this checkout) and builds with only go and a C compiler on PATH, no CGO
    flags, no ZOVA_* variables, offline; the program writes and reads a .zova
    file, and exports no sqlite3_* symbol of its own."""
    _go()
    path, mark = _go_and_cc_only(tmp_path)
    env = _build_env(path)
    module = _user_module(tmp_path, _USER_MAIN)
    binary = _go_build(module, env)
    assert not mark.exists(), f"the build ran python: {mark.read_text()}"

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    result = subprocess.run([str(binary), str(data_dir)], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    payload = b"bytes from example.com/zovauser"
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "record 1 hello from another module",
        f"object {hashlib.sha256(payload).hexdigest()} {len(payload)} {payload.decode()}",
        "search near 1.000",
        "search middle 3.000",
    ], result.stdout + result.stderr
    assert len(lines) == 5 and re.fullmatch(r"reopened true \d+\.\d+\.\d+", lines[4]), result.stdout
    assert (data_dir / "user.zova").is_file()

    # SQLite is compiled with internal linkage inside the package: the zova_*
    # functions are global symbols of the program, no sqlite3_* function is.
    symbols = subprocess.run(["go", "tool", "nm", str(binary)], env=env, capture_output=True, text=True,
                             check=True, timeout=120).stdout
    defined = [line.split() for line in symbols.splitlines()]
    global_names = {fields[-1] for fields in defined if len(fields) >= 3 and fields[-2] in "TDBR"}
    assert "zova_database_create" in global_names, sorted(global_names)[:50]
    assert not [name for name in global_names if name.startswith("sqlite3")], \
        sorted(name for name in global_names if name.startswith("sqlite3"))[:20]


_MATTN_MAIN = r'''package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	zova "github.com/atasesli/zova/bindings/go"
	_ "github.com/mattn/go-sqlite3"
)

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func main() {
	plain, err := sql.Open("sqlite3", filepath.Join(os.Args[1], "plain.db"))
	check(err)
	var version string
	check(plain.QueryRow("select sqlite_version()").Scan(&version))
	_, err = plain.Exec("create table t(v text)")
	check(err)
	_, err = plain.Exec("insert into t values ('from mattn')")
	check(err)
	var v string
	check(plain.QueryRow("select v from t").Scan(&v))
	fmt.Println("mattn", v, version != "")
	check(plain.Close())

	db, err := zova.Create(filepath.Join(os.Args[1], "beside.zova"))
	check(err)
	check(db.Exec("create table t(v text)"))
	check(db.Exec("insert into t values ('from zova')"))
	query, err := db.Prepare("select v, sqlite_version() from t")
	check(err)
	_, err = query.Step()
	check(err)
	text, _, _ := query.ColumnText(0)
	zovaSQLite, _, _ := query.ColumnText(1)
	check(query.Close())
	fmt.Println("zova", text, zovaSQLite)
	check(db.Close())
}
'''


def test_go_program_links_zova_beside_mattn_sqlite3(tmp_path):
    """A program linking this package and github.com/mattn/go-sqlite3 (its own
    SQLite amalgamation, with external linkage) builds without duplicate
    symbols, and each SQLite works. The requirement is in the temporary module
    only; the module proxy (`go env GOPROXY`) is used only if the module cache
    lacks mattn/go-sqlite3."""
    go = _go()
    proxy = subprocess.run([go, "env", "GOPROXY"], capture_output=True, text=True, check=True).stdout.strip()
    path, mark = _go_and_cc_only(tmp_path)
    env = _build_env(path, GOPROXY=proxy or "https://proxy.golang.org")
    module = _user_module(tmp_path, _MATTN_MAIN, requires=f"\t{MATTN} {MATTN_VERSION}\n", sums=MATTN_SUMS)
    binary = _go_build(module, env)
    assert not mark.exists(), f"the build ran python: {mark.read_text()}"

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    result = subprocess.run([str(binary), str(data_dir)], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    vendored = re.search(r'#define SQLITE_VERSION\s+"([^"]+)"', (SQLITE_DIR / "sqlite3.h").read_text())
    assert vendored
    assert result.stdout.splitlines() == ["mattn from mattn true", f"zova from zova {vendored.group(1)}"], \
        result.stdout + result.stderr


def test_go_system_library_by_pkg_config(tmp_path):
    """With -tags zova_system the package compiles no C of its own and links
    the libzova_c installed by `build.py install` through pkg-config (zova.pc:
    the shared library, with an rpath); the ABI, status and statement tests and
    the example pass against it.

    The go build cache does not key packages on pkg-config's output: a package
    cached by an earlier run would keep its -L and rpath. So the prefix is a
    fixed directory of the checkout (build/, ignored by git), installed anew
    each run, and a define naming it (unused by the code) goes into the key."""
    _go()
    prefix = ROOT / "build" / "go-system-prefix"
    subprocess.run([sys.executable, "build.py", "install", "--prefix", str(prefix)], cwd=ROOT, check=True,
                   capture_output=True, text=True, timeout=900)
    prefix_key = hashlib.sha256(str(prefix).encode()).hexdigest()[:16]
    env = _build_env(os.environ.get("PATH", ""), PKG_CONFIG_PATH=str(prefix / "lib" / "pkgconfig"),
                     CGO_CPPFLAGS=f"-DZOVA_GO_TEST_PREFIX_{prefix_key}")
    listed = subprocess.run(["go", "list", "-tags", "zova_system", "-f", "{{.CFiles}}", "."], cwd=GO_DIR, env=env,
                            capture_output=True, text=True, check=True, timeout=120).stdout.strip()
    assert listed == "[]", listed
    test_binary = tmp_path / "zova.test"
    result = subprocess.run(["go", "test", "-tags", "zova_system", "-c", "-o", str(test_binary), "."],
                            cwd=GO_DIR, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    libraries = subprocess.run(["ldd", str(test_binary)], capture_output=True, text=True, check=True).stdout
    assert f"{prefix / 'lib' / 'libzova_c.so'}" in libraries, libraries
    result = subprocess.run([str(test_binary), "-test.count=1", "-test.v", "-test.run",
                             "TestABIVersion|TestStatusNames|TestStatementBindAndColumns|Example"],
                            cwd=GO_DIR, env=env, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]
    assert "--- PASS: TestABIVersion" in output and "--- PASS: Example" in output, output[-5000:]
