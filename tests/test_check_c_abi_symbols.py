"""tests/check_c_abi_symbols.sh (docs/c-api.md §9.1): passes on the real archive, and
fails on archives that miss a required symbol or export a badly prefixed one."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "check_c_abi_symbols.sh"
ARCHIVE = ROOT / "build" / "lib" / "libzova_c.a"

REQUIRED = ["zova_database_create", "zova_database_open", "zova_database_close", "zova_object_put",
            "zova_object_get", "zova_object_read_range", "zova_object_manifest_get", "zova_object_chunk_get",
            "zova_object_chunk_put", "zova_object_assemble_from_chunks", "zova_object_writer_create",
            "zova_object_writer_finish", "zova_status_name"]


def run_check(archive: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", str(SCRIPT), str(archive)], capture_output=True, text=True)


def make_archive(tmp_path: Path, names: list[str], extra: str = "") -> Path:
    source = tmp_path / "fake.c"
    source.write_text("".join(f"int {name}(void) {{ return 0; }}\n" for name in names) + extra)
    obj = tmp_path / "fake.o"
    subprocess.run(["cc", "-c", str(source), "-o", str(obj)], check=True)
    archive = tmp_path / "libfake.a"
    archive.unlink(missing_ok=True)
    subprocess.run(["ar", "rcs", str(archive), str(obj)], check=True)
    return archive


def test_real_archive_passes_9_1():
    assert ARCHIVE.exists(), f"{ARCHIVE} is missing: run `python build.py lib`"
    result = run_check(ARCHIVE)
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout


def test_minimal_conforming_archive_passes_9_1(tmp_path):
    archive = make_archive(tmp_path, REQUIRED + ["zova_extra_helper", "sqlite3_open", "other"])
    result = run_check(archive)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", ["zova_status_name", "zova_object_writer_finish", "zova_database_create"])
def test_missing_required_symbol_fails_9_1(tmp_path, missing):
    archive = make_archive(tmp_path, [n for n in REQUIRED if n != missing])
    result = run_check(archive)
    assert result.returncode == 1
    assert missing in result.stderr


def test_undefined_reference_does_not_count_as_defined_9_1(tmp_path):
    extra = "extern int zova_status_name(void);\nint use_it(void) { return zova_status_name(); }\n"
    archive = make_archive(tmp_path, [n for n in REQUIRED if n != "zova_status_name"], extra)
    result = run_check(archive)
    assert result.returncode == 1
    assert "zova_status_name" in result.stderr


@pytest.mark.parametrize("bad", ["zovaHelper", "Zova_x", "zovai_thing", "ZovaThing", "_zovax"])
def test_badly_prefixed_global_fails_9_1(tmp_path, bad):
    archive = make_archive(tmp_path, REQUIRED + [bad])
    result = run_check(archive)
    assert result.returncode == 1
    assert bad in result.stderr


def test_static_badly_named_symbol_is_fine_9_1(tmp_path):
    archive = make_archive(tmp_path, REQUIRED, "static int zovaHelper(void) { return 1; }\n"
                                               "int use_helper(void) { return zovaHelper(); }\n")
    assert run_check(archive).returncode == 0


def test_usage_errors_9_1(tmp_path):
    assert subprocess.run(["sh", str(SCRIPT)], capture_output=True).returncode == 2
    assert run_check(tmp_path / "absent.a").returncode == 2
