"""How Zova reaches users outside this repository (issue 15; docs/c.md): the
sdist holds exactly what the build needs and installs into a fresh Python 3.10
venv with the lowest dependency versions pyproject.toml allows; `python -m build`
works from the root and builds the wheel out of the tree; libzova_c builds with
a Python that has no cffi; the library exports only zova_*, so a C program can
use the system SQLite beside it."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from zova_fixtures import header_functions

ROOT = Path(__file__).resolve().parent.parent
LIB_DIR = ROOT / "build" / "lib"
HEADER_FUNCTIONS = header_functions()
# The lowest versions pyproject.toml allows (its comment points here).
MINIMUM_PINS = ["cffi==1.15.1", "numpy==1.23.2", "click==8.0.0", "pytest==7.0.0", "hypothesis==6.0.0"]
MINIMUM_SUITES = ["test_objects.py", "test_vectors.py", "test_records_api.py", "test_statements.py", "test_cli.py",
                  "test_cli_click.py"]


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is required for the packaging tests and was not found on PATH"
    return path


def python310() -> str:
    """Python 3.10, the lowest version requires-python allows."""
    candidates = sorted(Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")).glob("versions/3.10*/bin/python3.10"))
    found = [str(path) for path in candidates] + [p for p in [shutil.which("python3.10")] if p]
    for candidate in found:
        if subprocess.run([candidate, "--version"], capture_output=True).returncode == 0:
            return candidate
    raise AssertionError("Python 3.10 (the lowest requires-python) is needed to test the minimum versions and "
                         "was not found (pyenv versions or python3.10 on PATH)")


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{command} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result


def make_venv(python: str, where: Path) -> Path:
    run([python, "-m", "venv", str(where)])
    return where / "bin" / "python"


def venv_env() -> dict[str, str]:
    """The environment for a venv's commands: nothing of this process's
    PYTHONPATH (it could point at a working tree built for another Python)."""
    return {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}


def in_tree_build_output() -> list[str]:
    """What a setuptools build run in the tree would leave there: egg-info,
    build/lib.*, build/temp.*, build/bdist.*, dist/ (build.py's own build/lib
    and build/obj are not among them)."""
    found = [*ROOT.glob("*.egg-info"), *(ROOT / "python").glob("*.egg-info"), *(ROOT / "build").glob("lib.*"),
             *(ROOT / "build").glob("temp.*"), *(ROOT / "build").glob("bdist.*"), ROOT / "dist"]
    return sorted(str(path.relative_to(ROOT)) for path in found if path.exists())


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """`python -m build` run in the repository root: an sdist, then a wheel built
    from it in a temporary directory."""
    out = tmp_path_factory.mktemp("dist")
    assert not in_tree_build_output(), "clean these from the tree first"
    run([sys.executable, "-m", "build", "--outdir", str(out)], cwd=ROOT, timeout=900)
    assert not in_tree_build_output(), "python -m build wrote into the source tree"
    return out


def test_bundle_includes_every_core_file():
    bundled = re.findall(r'^#include "(\w+\.c)"$', (ROOT / "csrc" / "bundle.c").read_text(), flags=re.M)
    core = sorted(path.name for path in (ROOT / "csrc").glob("*.c") if path.name != "bundle.c")
    assert bundled[0] == "sqlite3.c"
    assert sorted(bundled[1:]) == core


def test_sdist_holds_exactly_the_build_inputs(dist):
    (sdist,) = dist.glob("zova-*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
        members = {name for name in members
                   if not any(m.startswith(name + "/") for m in members)}  # files, not directories
    package = {str(path.relative_to(ROOT)) for path in (ROOT / "python" / "zova").rglob("*")
               if path.suffix == ".py" and "__pycache__" not in path.parts}
    expected = {"build.py", "setup.py", "pyproject.toml", "README.md", "MANIFEST.in", "PKG-INFO", "setup.cfg",
                "include/zova.h", "python/zova/py.typed", "python/zova/_native_shims.h",
                "vendor/sqlite-3.53.2/sqlite3.c", "vendor/sqlite-3.53.2/sqlite3.h",
                *(f"csrc/{path.name}" for path in (ROOT / "csrc").iterdir() if path.suffix in (".c", ".h")),
                *package}
    assert members == expected, (f"missing: {sorted(expected - members)}, "
                                 f"not needed: {sorted(members - expected)}")


def test_wheel_is_built_out_of_tree_with_only_the_package(dist):
    (wheel,) = dist.glob("zova-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    extensions = [name for name in names if name.startswith("zova/_native") and name.endswith(".so")]
    assert len(extensions) == 1, names
    assert not [name for name in names if name.endswith((".c", ".h", ".o"))], names
    assert "zova/py.typed" in names and "zova/diagnostics/salvage.py" in names


def test_wheel_never_reuses_an_earlier_builds_objects(tmp_path):
    """An earlier in-tree build left garbage where setuptools kept its objects
    and extension (build/temp.*, build/lib.*); `pip wheel .` compiles in a new
    temporary directory, so the wheel works and the tree gains nothing."""
    tag = f"linux-x86_64-cpython-{sys.version_info.major}{sys.version_info.minor}"
    planted = [ROOT / "build" / f"temp.{tag}" / "csrc" / "database.o",
               ROOT / "build" / f"lib.{tag}" / "zova" / "_native.abi3.so"]
    for path in planted:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"garbage from an earlier build")
    try:
        run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
             "--disable-pip-version-check", "-w", str(tmp_path / "wheels"), str(ROOT)], timeout=900)
        assert in_tree_build_output() == sorted(f"build/{kind}.{tag}" for kind in ("lib", "temp")), \
            "pip wheel . wrote into the source tree"
    finally:
        for path in planted:
            shutil.rmtree(path.parent.parent)
    (wheel,) = (tmp_path / "wheels").glob("zova-*.whl")
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    probe = ("import zova, tempfile, os\n"
             "path = os.path.join(tempfile.mkdtemp(), 'w.zova')\n"
             "with zova.Database.create(path) as db:\n"
             "    print(db.get_object(db.put_object(b'wheel')).decode())\n")
    result = run([sys.executable, "-c", probe], env=dict(os.environ, PYTHONPATH=str(target)), cwd=tmp_path)
    assert result.stdout == "wheel\n"


def test_sdist_installs_into_a_fresh_python310_venv_with_the_minimum_versions(dist, tmp_path):
    """The versions pyproject.toml calls minimum really run: the quickstart and
    the object, vector, record, statement and CLI suites, against the sdist installed
    (and compiled) in a new venv."""
    (sdist,) = dist.glob("zova-*.tar.gz")
    python = make_venv(python310(), tmp_path / "venv")
    pip = [str(python), "-m", "pip", "--disable-pip-version-check", "--quiet"]
    run([*pip, "install", *MINIMUM_PINS], timeout=900, env=venv_env())
    run([*pip, "install", str(sdist)], timeout=900, env=venv_env())
    versions = run([str(python), "-m", "pip", "list", "--format=freeze"], env=venv_env()).stdout
    for pin in MINIMUM_PINS:
        assert pin in versions, versions
    work = tmp_path / "work"
    work.mkdir()
    quickstart = run([str(python), str(ROOT / "examples" / "quickstart.py")], cwd=work, timeout=300,
                     env=venv_env())
    assert "nearest documents to the query" in quickstart.stdout
    version = run([str(tmp_path / "venv" / "bin" / "zova"), "--version"], env=venv_env()).stdout
    assert "0.17.0" in version
    suites = run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--rootdir={ROOT}",
                  *(str(ROOT / "tests" / name) for name in MINIMUM_SUITES)], cwd=work, timeout=1200, env=venv_env())
    assert re.search(r"\d+ passed", suites.stdout) and "failed" not in suites.stdout, suites.stdout
    imported_from = run([str(python), "-c", "import zova; print(zova.__file__)"], cwd=work, env=venv_env()).stdout
    assert str(tmp_path / "venv") in imported_from


def test_library_builds_with_a_python_that_has_no_cffi(tmp_path):
    """`build.py lib` and `build.py install` need no third-party module."""
    python = make_venv(sys.executable, tmp_path / "venv")
    missing = subprocess.run([str(python), "-c", "import cffi"], capture_output=True, env=venv_env())
    assert missing.returncode != 0, "the fresh venv unexpectedly has cffi"
    out = tmp_path / "out" / "lib"
    run([str(python), str(ROOT / "build.py"), "lib", "--out", str(out)], timeout=900, env=venv_env())
    assert (out / "libzova_c.a").exists() and (out / "libzova_c.so").exists()
    assert exported_symbols(out / "libzova_c.so") == sorted(HEADER_FUNCTIONS)
    run([str(python), str(ROOT / "build.py"), "install", "--prefix", str(tmp_path / "prefix")], timeout=900,
        env=venv_env())
    assert (tmp_path / "prefix" / "lib" / "pkgconfig" / "zova-static.pc").exists()


def exported_symbols(shared: Path) -> list[str]:
    lines = run(["nm", "-D", "--defined-only", str(shared)]).stdout.splitlines()
    return sorted(line.split()[-1] for line in lines if line.strip())


def test_shared_library_exports_only_the_zova_functions():
    assert (LIB_DIR / "libzova_c.so").exists(), "run `python build.py lib` (the test command does)"
    assert len(HEADER_FUNCTIONS) == 103
    assert exported_symbols(LIB_DIR / "libzova_c.so") == sorted(HEADER_FUNCTIONS)


def test_archive_defines_no_global_but_the_zova_functions():
    lines = run(["nm", "-g", "--defined-only", str(LIB_DIR / "libzova_c.a")]).stdout.splitlines()
    defined = sorted(line.split()[-1] for line in lines if re.match(r"^[0-9a-f]+ [A-Z] ", line))
    assert defined == sorted(HEADER_FUNCTIONS)


SQLITE_BESIDE_ZOVA = r"""
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include "zova.h"

int main(void) {
    zova_database *db = NULL;
    zova_database_open_request open = {"beside.zova", &db, NULL};
    sqlite3 *plain = NULL;
    if (zova_database_create(&open) != ZOVA_OK) return 1;
    if (sqlite3_open("plain.sqlite", &plain) != SQLITE_OK) return 2;
    if (sqlite3_exec(plain, "create table t(x); insert into t values (1)", NULL, NULL, NULL) != SQLITE_OK) return 3;
    sqlite3_close(plain);
    if (zova_database_close(db) != ZOVA_OK) return 4;
    /* The system library answers, as its header says: Zova's SQLite did not replace it. */
    printf("%s %s\n", sqlite3_libversion(), SQLITE_VERSION);
    return strcmp(sqlite3_libversion(), SQLITE_VERSION) == 0 ? 0 : 5;
}
"""


@pytest.mark.parametrize("library", ["libzova_c.a", "libzova_c.so"])
def test_c_program_uses_the_system_sqlite_beside_zova(tmp_path, library):
    (tmp_path / "beside.c").write_text(SQLITE_BESIDE_ZOVA)
    binary = tmp_path / "beside"
    run([tool("gcc"), "-std=c99", "-Wall", "-Werror", f"-I{ROOT / 'include'}", str(tmp_path / "beside.c"),
         str(LIB_DIR / library), f"-Wl,-rpath,{LIB_DIR}", "-lsqlite3", "-lpthread", "-ldl", "-lm",
         "-o", str(binary)])
    result = run([str(binary)], cwd=tmp_path)
    system_version, header_version = result.stdout.split()
    assert system_version == header_version and system_version != "3.53.2", result.stdout


def test_binding_copies_of_the_c_sources_are_committed_with_the_sources():
    """bindings/go/csrc and bindings/rust/zova-sys/csrc are what the Go module
    and the zova-sys crate compile outside this repository: in the commit, each
    file must be the same blob as its source (python3 build.py sync-bindings)."""
    if not (ROOT / ".git").exists():
        pytest.fail("this test compares committed blobs and needs the git checkout")
    tree = run(["git", "ls-tree", "-r", "HEAD", "csrc", "include/zova.h", "vendor/sqlite-3.53.2",
                "bindings/go/csrc", "bindings/rust/zova-sys/csrc"], cwd=ROOT).stdout
    blobs = {line.split("\t")[1]: line.split()[2] for line in tree.splitlines()}
    sources = {Path(path).name: blob for path, blob in blobs.items()
               if not path.startswith("bindings/") and not path.endswith(("README.md", "sqlite3ext.h"))}
    for copy_dir in ("bindings/go/csrc", "bindings/rust/zova-sys/csrc"):
        copies = {Path(path).name: blob for path, blob in blobs.items() if path.startswith(copy_dir + "/")}
        stale = sorted(name for name in sources if copies.get(name) != sources[name])
        extra = sorted(set(copies) - set(sources))
        assert not stale and not extra, (f"{copy_dir} in HEAD differs from the sources: stale {stale}, extra {extra}; "
                                         "run `python3 build.py sync-bindings` and commit the copies")
