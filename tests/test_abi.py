"""The C ABI contract: header, struct layout, symbols, versions and the C test
program linked against libzova_c.a (docs/c-api.md §1, §2, §3, §9)."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from zova._native import ffi, lib

ROOT = Path(__file__).resolve().parent.parent
HEADER = ROOT / "include" / "zova.h"
LIB_DIR = ROOT / "build" / "lib"
ARCHIVE = LIB_DIR / "libzova_c.a"
LAYOUT = json.loads((Path(__file__).parent / "abi_layout.json").read_text())

# docs/c-api.md §0.1: the 91 functions of upstream 0.17.0.
ABI_FUNCTIONS = re.findall(r"^(?:zova_status|void|const char \*|uint32_t) ?\*?(zova_\w+)\(", HEADER.read_text(),
                           flags=re.M)


def require_archive() -> Path:
    assert ARCHIVE.exists(), f"{ARCHIVE} is missing: run `python build.py lib` (the test command does)"
    return ARCHIVE


def test_header_declares_91_upstream_functions_plus_additions():
    additions = {"zova_object_put_many", "zova_vector_search_batch", "zova_vector_index_create",
                 "zova_vector_index_drop", "zova_vector_index_rebuild", "zova_vector_index_info_get",
                 "zova_vector_index_search"}
    upstream = [name for name in ABI_FUNCTIONS if name not in additions]
    assert len(upstream) == 91
    assert len(set(ABI_FUNCTIONS)) == len(ABI_FUNCTIONS)


@pytest.mark.parametrize("name", sorted(LAYOUT))
def test_struct_layout_matches_c_abi_section_3(name):
    expected = LAYOUT[name]
    assert ffi.sizeof(name) == expected["size"]
    for field, offset in expected["fields"].items():
        assert ffi.offsetof(name, field) == offset, field


def test_layout_table_covers_all_77_structs():
    assert len(LAYOUT) == 77


@pytest.mark.parametrize("compiler,flags,suffix", [
    ("gcc", ["-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror"], ".c"),
    ("g++", ["-std=c++17", "-pedantic", "-Wall", "-Wextra", "-Werror"], ".cpp"),
])
def test_header_compiles_as_c99_and_cxx17(tmp_path, compiler, flags, suffix):
    source = tmp_path / f"header{suffix}"
    source.write_text(
        '#include "zova.h"\n'
        "int main(void) {\n"
        "    zova_database_open_request request = {0, 0, 0};\n"
        "    (void)request;\n"
        "    return (ZOVA_BACKUP_NO_VERIFY == 1u && ZOVA_COMPACT_NO_VERIFY == 1u &&\n"
        "            ZOVA_RESTORE_NO_VERIFY == 1u && ZOVA_OPEN_READ_ONLY == 1u) ? 0 : 1;\n"
        "}\n")
    subprocess.run([compiler, *flags, f"-I{ROOT / 'include'}", "-c", str(source), "-o", str(tmp_path / "x.o")],
                   check=True)


def test_versions_and_status_names():
    assert (lib.zova_abi_version_major(), lib.zova_abi_version_minor(), lib.zova_abi_version_patch()) == (0, 17, 0)
    assert ffi.string(lib.zova_abi_version_string()) == b"0.17.0"
    assert ffi.string(lib.zova_status_name(lib.ZOVA_OBJECT_NOT_FOUND)) == b"ZOVA_OBJECT_NOT_FOUND"
    assert ffi.string(lib.zova_status_name(lib.ZOVA_VECTOR_INVALID)) == b"ZOVA_VECTOR_INVALID"
    for unknown in (-1, 3, 18, 35, 60, 76, 2**31 - 1, -(2**31)):
        # cffi sees this enum as unsigned: pass negatives as their 32-bit pattern.
        status = ffi.cast("zova_status", unknown & 0xFFFFFFFF)
        assert ffi.string(lib.zova_status_name(status)) == b"ZOVA_UNKNOWN_STATUS"
    assert ffi.string(lib.zova_database_last_error_message(ffi.NULL)) == b"invalid database handle"


def test_every_status_has_its_own_name():
    codes = [0, 1, 2, *range(10, 18), *range(30, 35), *range(50, 60), *range(70, 76)]
    assert len(codes) == 32
    for code in codes:
        name = ffi.string(lib.zova_status_name(code)).decode()
        assert getattr(lib, name) == code


def _nm_symbols(archive: Path) -> list[tuple[str, str]]:
    output = subprocess.run(["nm", "-g", str(archive)], check=True, capture_output=True, text=True).stdout
    symbols = []
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 2 and len(parts[-2]) == 1:
            symbols.append((parts[-2], parts[-1]))
    return symbols


def test_archive_exports_every_function_and_only_zova_prefixed_names():
    """docs/c-api.md §9.1: every symbol matching _?(Zova|zova)... must be _?zova_..."""
    symbols = _nm_symbols(require_archive())
    defined = {name for kind, name in symbols if kind in "TDBR"}
    for function in ABI_FUNCTIONS:
        assert function in defined, function
    offenders = [name for _, name in symbols
                 if re.match(r"_?(Zova|zova)", name) and not re.match(r"_?zova_", name)]
    assert offenders == []


def test_c_program_links_with_only_pthread_dl_m(tmp_path):
    binary = tmp_path / "records_test"
    subprocess.run(["gcc", "-std=c99", "-pedantic", "-Wall", "-Werror", f"-I{ROOT / 'include'}",
                    str(ROOT / "tests" / "c" / "records_test.c"), str(require_archive()),
                    "-lpthread", "-ldl", "-lm", "-o", str(binary)], check=True)
    result = subprocess.run([str(binary), str(tmp_path / "records.zova")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_shared_library_exports_the_abi():
    shared = LIB_DIR / "libzova_c.so"
    assert shared.exists(), "run `python build.py lib`"
    output = subprocess.run(["nm", "-D", "--defined-only", str(shared)], check=True, capture_output=True,
                            text=True).stdout
    exported = {line.split()[-1] for line in output.splitlines() if line.strip()}
    assert set(ABI_FUNCTIONS) <= exported
    assert not [name for name in exported if name.startswith("zv_")]
