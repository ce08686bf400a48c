"""Builds Zova's C core (csrc/ + vendored SQLite) two ways from the same sources.

* `make_ffibuilder()` returns the cffi builder of the Python extension
  `zova._native` (setup.py hands it to cffi; `pip install .` runs it). It
  compiles the core file by file. This is the only part that needs cffi.
* `python build.py lib` builds `build/lib/libzova_c.a` and `build/lib/libzova_c.so`
  for C, Go and Rust programs from csrc/bundle.c, the whole library as one
  translation unit with SQLite inside and hidden (docs/c.md). It needs only
  Python's standard library, a C compiler, `ar` and `objcopy`.
  `python build.py install --prefix DIR` also installs the header, both
  libraries and the pkg-config files zova.pc (shared) and zova-static.pc.
* `python build.py develop` rebuilds the extension in place (python/zova/)
  from cached per-file objects, recompiling only changed files: the fast
  edit-and-test loop.
* `python build.py sync-bindings` refreshes the copies of the C sources that
  the Go module (bindings/go/csrc) and the zova-sys crate
  (bindings/rust/zova-sys/csrc) compile, so each builds outside this
  repository; `lib` and `develop` run it too.
* Sanitizers: `python build.py lib --sanitize` builds an AddressSanitizer +
  UndefinedBehaviorSanitizer library into build/lib-sanitize, and
  `ZOVA_SANITIZE=1 pip install .` builds the extension the same way (run Python
  with the runtimes preloaded; tests/run_sanitized.sh does all of it).
* `python -m build` run in this directory finds this file before the `build`
  package (the current directory comes first on sys.path); this file then hands
  over to that package, so sdists and wheels build here as anywhere.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import cffi

ROOT = Path(__file__).resolve().parent
INCLUDE_DIR = ROOT / "include"
PYTHON_SHIMS = ROOT / "python" / "zova" / "_native_shims.h"
CSRC_DIR = ROOT / "csrc"
SQLITE_DIR = ROOT / "vendor" / "sqlite-3.53.2"
BUNDLE = CSRC_DIR / "bundle.c"
VERSION = "0.17.0"
# Where the Go module and the zova-sys crate keep their copy of the C sources.
BINDING_SOURCE_DIRS = [ROOT / "bindings" / "go" / "csrc", ROOT / "bindings" / "rust" / "zova-sys" / "csrc"]

# docs/c-api.md §1: SQLite built thread-safe with FTS5, default settings
# otherwise (csrc/bundle.c sets the same for the library).
DEFINES = [("SQLITE_THREADSAFE", "1"), ("SQLITE_ENABLE_FTS5", None)]
CFLAGS = ["-O2", "-fPIC", "-std=c99", "-Wall"]
SANITIZE_FLAGS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer",
                  "-g", "-O1"]
LINK_LIBS = ["pthread", "dl", "m"]


def c_sources() -> list[Path]:
    """The files of the C core one by one (the Python extension's build)."""
    return sorted(p for p in CSRC_DIR.glob("*.c") if p != BUNDLE) + [SQLITE_DIR / "sqlite3.c"]


def library_inputs() -> list[Path]:
    """Every file the library is compiled from (bundle.c includes them all)."""
    return [*CSRC_DIR.glob("*.c"), *CSRC_DIR.glob("*.h"), INCLUDE_DIR / "zova.h", SQLITE_DIR / "sqlite3.c",
            SQLITE_DIR / "sqlite3.h"]


def relative(path: Path) -> str:
    return os.path.relpath(path, ROOT)


def header_cdef() -> str:
    """include/zova.h without the preprocessor lines, as cffi's cdef wants it."""
    text = (INCLUDE_DIR / "zova.h").read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"#ifdef __cplusplus.*?#endif", "", text, flags=re.S)
    text = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return text.replace("1u << 0", "1")


def shim_cdef() -> str:
    """The struct typedefs and prototypes (each `static T name(args) {` line) of
    the Python-only shims."""
    text = re.sub(r"/\*.*?\*/", "", PYTHON_SHIMS.read_text(), flags=re.S)
    structs = re.findall(r"^typedef struct .*?^\} \w+;$", text, flags=re.M | re.S)
    signatures = re.findall(r"^static (.+?) \{$", text, flags=re.M)
    return "\n".join(structs + [signature + ";" for signature in signatures])


def make_ffibuilder(prebuilt_objects: list[str] | None = None) -> cffi.FFI:
    """The extension's builder; with prebuilt_objects it links those instead of
    compiling csrc and SQLite again (the `develop` command)."""
    import cffi  # only the Python extension needs it

    sanitize = os.environ.get("ZOVA_SANITIZE") == "1"
    builder = cffi.FFI()
    builder.cdef(header_cdef() + "\n" + shim_cdef())
    builder.set_source(
        "zova._native",
        '#include "zova.h"\n' + PYTHON_SHIMS.read_text(),
        sources=[] if prebuilt_objects else [relative(path) for path in c_sources()],
        extra_objects=prebuilt_objects or [],
        include_dirs=[str(d) if prebuilt_objects else relative(d) for d in (INCLUDE_DIR, CSRC_DIR, SQLITE_DIR)],
        define_macros=DEFINES,
        extra_compile_args=SANITIZE_FLAGS if sanitize else ["-O2"],
        extra_link_args=SANITIZE_FLAGS[:1] if sanitize else [],
        libraries=LINK_LIBS,
    )
    return builder


def _compile(source: Path, obj: Path, cflags: list[str], defines: list[tuple[str, str | None]]) -> None:
    macros = [f"-D{name}" + (f"={value}" if value is not None else "") for name, value in defines]
    command = ["cc", *cflags, *macros, f"-I{INCLUDE_DIR}", f"-I{CSRC_DIR}", f"-I{SQLITE_DIR}",
               "-c", str(source), "-o", str(obj)]
    subprocess.run(command, check=True)


def _flags_changed(obj_dir: Path, cflags: list[str]) -> None:
    """Drops obj_dir's objects when they were compiled with other flags."""
    obj_dir.mkdir(parents=True, exist_ok=True)
    flags_file = obj_dir / "cflags"
    if not flags_file.exists() or flags_file.read_text() != " ".join(cflags):
        for stale in obj_dir.glob("*.o"):
            stale.unlink()
        flags_file.write_text(" ".join(cflags))


def _outdated(obj: Path, inputs: list[Path]) -> bool:
    return not obj.exists() or obj.stat().st_mtime < max(path.stat().st_mtime for path in inputs)


def compile_objects(obj_dir: Path, extra_cflags: list[str] | None = None) -> list[str]:
    """Compiles each file of c_sources() into obj_dir (only those newer than
    their object, in parallel) and returns the objects: the extension's parts."""
    cflags = CFLAGS + list(extra_cflags or [])
    _flags_changed(obj_dir, cflags)
    headers = [INCLUDE_DIR / "zova.h", *CSRC_DIR.glob("*.h")]
    jobs = [(source, obj_dir / (source.stem + ".o")) for source in c_sources()]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for future in [pool.submit(_compile, source, obj, cflags, DEFINES)
                       for source, obj in jobs if _outdated(obj, [source, *headers])]:
            future.result()
    return [str(obj) for _, obj in jobs]


def build_library(out_dir: Path, extra_cflags: list[str] | None = None) -> tuple[Path, Path]:
    """Compiles csrc/bundle.c (when an input is newer than its object) and makes
    libzova_c.a and libzova_c.so in out_dir, both exporting only zova_*."""
    cflags = CFLAGS + ["-fvisibility=hidden"] + list(extra_cflags or [])
    obj_dir = out_dir.parent / "obj" / (out_dir.name + "-bundle")
    _flags_changed(obj_dir, cflags)
    obj = obj_dir / "bundle.o"
    if _outdated(obj, library_inputs()):
        _compile(BUNDLE, obj, cflags, [])
        # The core's internal functions (zv_*) are hidden; make them local to
        # the object too, so the archive defines no global but zova_*.
        subprocess.run(["objcopy", "--localize-hidden", str(obj)], check=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    archive = out_dir / "libzova_c.a"
    shared = out_dir / "libzova_c.so"
    archive.unlink(missing_ok=True)
    subprocess.run(["ar", "rcs", str(archive), str(obj)], check=True)
    subprocess.run(["cc", "-shared", *cflags, "-Wl,-soname,libzova_c.so", "-o", str(shared), str(obj),
                    *(f"-l{lib}" for lib in LINK_LIBS)], check=True)
    return archive, shared


def sync_bindings() -> list[Path]:
    """Makes bindings/go/csrc and bindings/rust/zova-sys/csrc hold exactly the
    library's inputs (flat: the core, zova.h, sqlite3.c, sqlite3.h), writing
    only files that differ; returns the files it wrote or removed."""
    inputs = {path.name: path for path in library_inputs()}
    changed = []
    for target in BINDING_SOURCE_DIRS:
        if not target.parent.is_dir():  # an sdist has no bindings
            continue
        target.mkdir(exist_ok=True)
        for name, source in inputs.items():
            copy = target / name
            if not copy.exists() or copy.read_bytes() != source.read_bytes():
                shutil.copyfile(source, copy)
                changed.append(copy)
        for stale in target.iterdir():
            if stale.name not in inputs:
                stale.unlink()
                changed.append(stale)
    return changed


def pkg_config_files(prefix: Path) -> dict[str, str]:
    """zova.pc links the shared library (with an rpath, so programs run without
    LD_LIBRARY_PATH); zova-static.pc links the archive."""
    common = (f"prefix={prefix}\n"
              "libdir=${prefix}/lib\n"
              "includedir=${prefix}/include\n\n"
              "Description: records, objects and vectors in one local .zova file\n"
              f"Version: {VERSION}\n"
              "Cflags: -I${includedir}\n")
    system_libs = " ".join("-l" + lib for lib in LINK_LIBS)
    return {
        "zova.pc": common + "Name: zova\n"
                   "Libs: -L${libdir} -Wl,-rpath,${libdir} -lzova_c\n"
                   f"Libs.private: {system_libs}\n",
        "zova-static.pc": common + "Name: zova-static\n"
                          f"Libs: ${{libdir}}/libzova_c.a {system_libs}\n",
    }


def install(prefix: Path, lib_dir: Path) -> None:
    """Installs header, libraries, zova.pc and zova-static.pc under prefix."""
    archive, shared = build_library(lib_dir)
    (prefix / "include").mkdir(parents=True, exist_ok=True)
    (prefix / "lib" / "pkgconfig").mkdir(parents=True, exist_ok=True)
    shutil.copy2(INCLUDE_DIR / "zova.h", prefix / "include" / "zova.h")
    shutil.copy2(archive, prefix / "lib" / archive.name)
    shutil.copy2(shared, prefix / "lib" / shared.name)
    for name, text in pkg_config_files(prefix).items():
        (prefix / "lib" / "pkgconfig" / name).write_text(text)
    print(f"installed zova {VERSION} under {prefix}")


def develop() -> Path:
    """Rebuilds python/zova/_native in place from per-file objects, compiling
    only changed C files (run tests with an editable install or
    PYTHONPATH=python)."""
    sync_bindings()
    objects = compile_objects(ROOT / "build" / "obj" / "develop")
    tmpdir = ROOT / "build" / "develop"
    built = Path(make_ffibuilder(objects).compile(tmpdir=str(tmpdir)))
    target = ROOT / "python" / "zova" / built.name
    shutil.copy2(built, target)
    return target


def hand_over_to_pypa_build() -> None:
    """Runs the `build` package as `python -m build` would have outside this
    directory (see the module docstring)."""
    import runpy

    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT]
    runpy.run_module("build", run_name="__main__", alter_sys=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    lib = commands.add_parser("lib", help="build build/lib/libzova_c.a and libzova_c.so")
    lib.add_argument("--out", type=Path, help="output directory (default build/lib or build/lib-sanitize)")
    lib.add_argument("--sanitize", action="store_true", help="AddressSanitizer + UndefinedBehaviorSanitizer")
    commands.add_parser("develop", help="rebuild python/zova/_native in place from cached objects")
    commands.add_parser("sync-bindings", help="refresh the C sources copied into bindings/go and zova-sys")
    inst = commands.add_parser("install", help="install header, libraries, zova.pc and zova-static.pc")
    inst.add_argument("--prefix", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "lib":
        sync_bindings()
        out = args.out or ROOT / "build" / ("lib-sanitize" if args.sanitize else "lib")
        archive, shared = build_library(out, SANITIZE_FLAGS if args.sanitize else None)
        print(archive)
        print(shared)
    elif args.command == "develop":
        print(develop())
    elif args.command == "sync-bindings":
        for path in sync_bindings():
            print(path)
    else:
        install(args.prefix.resolve(), ROOT / "build" / "lib")
    return 0


if __name__ == "__main__":
    if __spec__ is not None and __spec__.name == "build":
        hand_over_to_pypa_build()
    else:
        sys.exit(main(sys.argv[1:]))
