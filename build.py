"""Builds Zova's C core (csrc/ + vendored SQLite) two ways from the same sources.

* `ffibuilder` is the cffi builder of the Python extension `zova._native`;
  `pip install .` runs it through setup.py.
* `python build.py lib` builds `build/lib/libzova_c.a` and `build/lib/libzova_c.so`
  for C, Go and Rust programs (link with `-lzova_c -lpthread -ldl -lm`).
  `python build.py install --prefix DIR` also installs the header, both
  libraries and a pkg-config file under DIR.
* `python build.py develop` rebuilds the extension in place (python/zova/)
  from the same cached objects, for a fast edit-and-test loop.
* Sanitizers: `python build.py lib --sanitize` builds an AddressSanitizer +
  UndefinedBehaviorSanitizer library into build/lib-sanitize, and
  `ZOVA_SANITIZE=1 pip install .` builds the extension the same way (run Python
  with the runtimes preloaded; tests/run_sanitized.sh does all of it).
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

import cffi

ROOT = Path(__file__).resolve().parent
INCLUDE_DIR = ROOT / "include"
PYTHON_SHIMS = ROOT / "python" / "zova" / "_native_shims.h"
CSRC_DIR = ROOT / "csrc"
SQLITE_DIR = ROOT / "vendor" / "sqlite-3.53.2"
VERSION = "0.17.0"

# c-abi section 1: SQLite built thread-safe with FTS5, default settings otherwise.
DEFINES = [("SQLITE_THREADSAFE", "1"), ("SQLITE_ENABLE_FTS5", None)]
CFLAGS = ["-O2", "-fPIC", "-std=c99", "-Wall"]
SANITIZE_FLAGS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer",
                  "-g", "-O1"]
LINK_LIBS = ["pthread", "dl", "m"]


def c_sources() -> list[Path]:
    return sorted(CSRC_DIR.glob("*.c")) + [SQLITE_DIR / "sqlite3.c"]


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


ffibuilder = make_ffibuilder()


# ---- the C library for C, Go and Rust ----

def _compile(source: Path, obj: Path, cflags: list[str]) -> None:
    defines = [f"-D{name}" + (f"={value}" if value is not None else "") for name, value in DEFINES]
    command = ["cc", *cflags, *defines, f"-I{INCLUDE_DIR}", f"-I{CSRC_DIR}", f"-I{SQLITE_DIR}",
               "-c", str(source), "-o", str(obj)]
    subprocess.run(command, check=True)


def build_library(out_dir: Path, extra_cflags: list[str] | None = None) -> tuple[Path, Path]:
    """Compiles every source (only those newer than their object) and links
    libzova_c.a and libzova_c.so into out_dir."""
    cflags = CFLAGS + list(extra_cflags or [])
    obj_dir = out_dir.parent / "obj" / out_dir.name
    obj_dir.mkdir(parents=True, exist_ok=True)
    flags_file = obj_dir / "cflags"
    if not flags_file.exists() or flags_file.read_text() != " ".join(cflags):
        for stale in obj_dir.glob("*.o"):
            stale.unlink()
        flags_file.write_text(" ".join(cflags))
    jobs = []
    for source in c_sources():
        obj = obj_dir / (source.stem + ".o")
        newest_input = max([source.stat().st_mtime, (INCLUDE_DIR / "zova.h").stat().st_mtime,
                            *(h.stat().st_mtime for h in CSRC_DIR.glob("*.h"))])
        if not obj.exists() or obj.stat().st_mtime < newest_input:
            jobs.append((source, obj))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for future in [pool.submit(_compile, source, obj, cflags) for source, obj in jobs]:
            future.result()
    objects = [str(obj_dir / (source.stem + ".o")) for source in c_sources()]
    out_dir.mkdir(parents=True, exist_ok=True)
    archive = out_dir / "libzova_c.a"
    shared = out_dir / "libzova_c.so"
    archive.unlink(missing_ok=True)
    subprocess.run(["ar", "rcs", str(archive), *objects], check=True)
    subprocess.run(["cc", "-shared", *cflags, "-o", str(shared), *objects,
                    *(f"-l{lib}" for lib in LINK_LIBS)], check=True)
    return archive, shared


def install(prefix: Path, lib_dir: Path) -> None:
    """Installs header, libraries and zova.pc under prefix."""
    archive, shared = build_library(lib_dir)
    (prefix / "include").mkdir(parents=True, exist_ok=True)
    (prefix / "lib" / "pkgconfig").mkdir(parents=True, exist_ok=True)
    shutil.copy2(INCLUDE_DIR / "zova.h", prefix / "include" / "zova.h")
    shutil.copy2(archive, prefix / "lib" / archive.name)
    shutil.copy2(shared, prefix / "lib" / shared.name)
    (prefix / "lib" / "pkgconfig" / "zova.pc").write_text(
        f"prefix={prefix}\n"
        "libdir=${prefix}/lib\n"
        "includedir=${prefix}/include\n\n"
        "Name: zova\n"
        "Description: records, objects and vectors in one local .zova file\n"
        f"Version: {VERSION}\n"
        "Libs: -L${libdir} -lzova_c\n"
        f"Libs.private: {' '.join('-l' + lib for lib in LINK_LIBS)}\n"
        "Cflags: -I${includedir}\n"
    )
    print(f"installed zova {VERSION} under {prefix}")


def develop() -> Path:
    """Rebuilds python/zova/_native in place, linking the cached objects of
    `lib`: the fast edit-and-test loop (run tests with an editable install or
    PYTHONPATH=python). Only changed C files are recompiled."""
    lib_dir = ROOT / "build" / "lib"
    build_library(lib_dir)
    objects = [str(lib_dir.parent / "obj" / lib_dir.name / (source.stem + ".o")) for source in c_sources()]
    tmpdir = ROOT / "build" / "develop"
    built = Path(make_ffibuilder(objects).compile(tmpdir=str(tmpdir)))
    target = ROOT / "python" / "zova" / built.name
    shutil.copy2(built, target)
    return target


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    lib = commands.add_parser("lib", help="build build/lib/libzova_c.a and libzova_c.so")
    lib.add_argument("--out", type=Path, help="output directory (default build/lib or build/lib-sanitize)")
    lib.add_argument("--sanitize", action="store_true", help="AddressSanitizer + UndefinedBehaviorSanitizer")
    commands.add_parser("develop", help="rebuild python/zova/_native in place from cached objects")
    inst = commands.add_parser("install", help="install header, libraries and zova.pc")
    inst.add_argument("--prefix", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "lib":
        out = args.out or ROOT / "build" / ("lib-sanitize" if args.sanitize else "lib")
        archive, shared = build_library(out, SANITIZE_FLAGS if args.sanitize else None)
        print(archive)
        print(shared)
    elif args.command == "develop":
        print(develop())
    else:
        install(args.prefix.resolve(), ROOT / "build" / "lib")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
