"""The installed ``zova`` command, driven as a user would (subprocess), for every
subcommand in text and JSON on healthy and damaged files (docs/cli.md §1)."""
from __future__ import annotations

import json
import os
import pty
import select
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import zova
import zova_fixtures as fx


ZOVA = fx.installed_zova()

SECRETS = ["hello object", "streamed object", "hidden chunk bytes", "7.25", "secret blob value",
           fx.SECRET_ROW, "create table", "CREATE TABLE", "hello.txt", "private body should not be printed"]


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json_out(self) -> dict:
        return json.loads(self.out)

    def json_err(self) -> dict:
        return json.loads(self.err)


def zova_cli(*args: str, cwd=None) -> Result:
    proc = subprocess.run([ZOVA, *args], capture_output=True, cwd=cwd, timeout=300)
    return Result(proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"))


def assert_bounded(result: Result, allow_two_point_zero: bool = False) -> None:
    """§1.5: no payloads, vector values, user row values or schema SQL."""
    text = result.out + result.err
    for secret in SECRETS:
        assert secret not in text, secret
    if not allow_two_point_zero:
        assert "2.0" not in text


def failed(result: Result, first: str, path: str) -> bool:
    """A failure's stderr: ``first`` exactly (the line scripts read, §1.3), then
    one line saying what is wrong with ``path`` in words (issue 13 item 8)."""
    lines = result.err.splitlines()
    assert result.err.endswith("\n") and len(lines) == 2, result.err
    assert lines[0] == first, result.err
    assert lines[1].startswith(f"  {path}: ") and len(lines[1]) > len(path) + 6, result.err
    return True


@pytest.fixture
def healthy(tmp_path):
    path = str(tmp_path / "healthy.zova")
    ids = fx.make_healthy(path)
    return path, ids


@pytest.fixture
def records_only(tmp_path):
    """A file with user rows only (copies of it verify without the object and vector APIs)."""
    path = str(tmp_path / "records.zova")
    with zova.Database.create(path) as db:
        db.exec("create table notes(id integer primary key, body text)")
        fx.run(db, "insert into notes(body) values (?)", fx.SECRET_ROW)
    return path


# ---- process model (§1.1) ----

def test_version_help_and_no_arguments_1_1():
    assert zova_cli("--version") == Result(0, "zova 0.17.0\n", "")
    for word in ("--help", "help"):
        result = zova_cli(word)
        assert result.code == 0 and result.err == ""
        assert "commands:" in result.out and "exit codes:" in result.out
    result = zova_cli()
    assert result.code == 2 and result.out == "" and "zova --version" in result.err
    result = zova_cli("--version", "x")
    assert result.code == 2 and result.err.startswith("usage error: unexpected argument after --version\n\n")
    result = zova_cli("help", "x")
    assert result.code == 2 and result.err.startswith("usage error: unexpected argument after help\n")
    result = zova_cli("frobnicate")
    assert result.code == 2 and result.err.startswith("unknown command: frobnicate\n\nusage:")


def test_usage_contains_every_synopsis_line_1_1():
    out = zova_cli("--help").out
    for line in ["--version", "--help", "info <file.zova>", "info --json <file.zova>",
                 "stats [--json] [--limit <n>] <file.zova>", "objects [--json] [--limit <n>] <file.zova>",
                 "object [--json] [--limit <n>] <file.zova> <object-id>",
                 "chunks [--json] [--limit <n>] <file.zova>", "chunk [--json] [--limit <n>] <file.zova> <chunk-id>",
                 "vectors [--json] [--limit <n>] <file.zova>",
                 "vector-collection [--json] [--limit <n>] <file.zova> <name>",
                 "tables [--json] [--limit <n>] <file.zova>", "check [--deep] <file.zova>",
                 "check --json [--deep] <file.zova>", "doctor [--json] [--limit <n>] <file.zova>",
                 "salvage --dry-run [--json] [--limit <n>] <source.zova>",
                 "salvage [--json] [--limit <n>] <source.zova> <destination.zova>",
                 "backup [--json] [--no-verify] <source.zova> <destination.zova>",
                 "compact [--json] [--no-verify] <source.zova> <destination.zova>",
                 "restore [--json] [--no-verify] <backup.zova> <destination.zova>",
                 "convert [--json] <source.sqlite> <destination.zova>"]:
        assert f"  zova {line}\n" in out, line


USAGE_CASES = [
    (["info"], "info requires <file.zova>"),
    (["info", "a.zova", "b.zova"], "info accepts only [--json] <file.zova>"),
    (["stats"], "stats requires <file.zova>"),
    (["stats", "a.zova", "b.zova"], "stats accepts only [--json] [--limit <n>] <file.zova>"),
    (["check"], "check requires <file.zova>"),
    (["check", "a.zova", "b.zova"], "check accepts only [--json] [--deep] <file.zova>"),
    (["objects"], "objects requires <file.zova>"),
    (["tables", "a.zova", "b.zova"], "too many arguments"),
    (["object"], "object requires <file.zova> <id>"),
    (["object", "a.zova"], "object requires <file.zova> <object-id>"),
    (["chunk", "a.zova"], "chunk requires <file.zova> <chunk-id>"),
    (["vector-collection", "a.zova"], "vector-collection requires <file.zova> <name>"),
    (["object", "a.zova", "ab" * 31], "object id must be 64 hex characters"),
    (["chunk", "a.zova", "zz" * 32], "chunk id must be 64 hex characters"),
    (["vector-collection", "a.zova", "_ZOVA_x"], "vector collection name is invalid"),
    (["vector-collection", "a.zova", "x" * 256], "vector collection name is invalid"),
    (["object", "a.zova", "ab" * 32, "extra"], "too many arguments"),
    (["salvage"], "salvage requires <source.zova>"),
    (["salvage", "a.zova"], "salvage execution requires <destination.zova>"),
    (["salvage", "--dry-run", "a.zova", "b.zova"], "salvage --dry-run does not accept a destination"),
    (["salvage", "a.zova", "b.sqlite"], "destination path must end in .zova"),
    (["backup"], "missing source path"),
    (["compact", "a.zova"], "missing destination path"),
    (["backup", "a.zova", "b.zova", "c.zova"],
     "backup accepts only [--json] [--no-verify] <source.zova> <destination.zova>"),
    (["restore", "a.zova", "b.zova", "c.zova"],
     "restore accepts only [--json] [--no-verify] <backup.zova> <destination.zova>"),
    (["objects", "--bogus", "a.zova"], "unknown flag"),
    # `--` and `--limit=5` are accepted since issue 13 item 7; these stay errors
    (["objects", "-", "a.zova"], "unknown flag"),
    (["objects", "--limit=", "a.zova"], "invalid --limit"),
    (["objects", "--limit=101", "a.zova"], "invalid --limit"),
    (["objects", "--json=1", "a.zova"], "--json does not take a value"),
    (["info", "a.zova", "--", "b.zova"], "info accepts only [--json] <file.zova>"),
    (["check", "--limit", "5", "a.zova"], "unknown flag"),
    (["doctor", "--deep", "a.zova"], "unknown flag"),
    (["info", "--limit", "5", "a.zova"], "unknown flag"),
    (["objects", "--limit", "1", "--limit", "2", "a.zova"], "duplicate --limit"),
    (["check", "--deep", "--deep", "a.zova"], "duplicate --deep"),
    (["salvage", "--dry-run", "--dry-run", "a.zova"], "duplicate --dry-run"),
    (["backup", "--no-verify", "--no-verify", "a.zova", "b.zova"], "duplicate --no-verify"),
    (["objects", "a.zova", "--limit"], "--limit requires a value"),
    (["objects", "--limit", "101", "a.zova"], "invalid --limit"),
    (["objects", "--limit", "", "a.zova"], "invalid --limit"),
    (["objects", "--limit", "+5", "a.zova"], "invalid --limit"),
    (["objects", "--limit", "0x5", "a.zova"], "invalid --limit"),
    (["objects", "--limit", " 5", "a.zova"], "invalid --limit"),
    (["objects", "--limit", "-0", "a.zova"], "invalid --limit"),
]


@pytest.mark.parametrize("argv,message", USAGE_CASES)
def test_usage_errors_text_1_2(argv, message):
    result = zova_cli(*argv)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith(f"usage error: {message}\n\nusage:\n"), result.err
    assert "  zova --version" in result.err


def test_usage_errors_json_1_1():
    result = zova_cli("objects", "--bogus", "a.zova", "--json")
    assert result.code == 2 and result.out == ""
    assert result.json_err() == {"cli_json_version": 1, "status": "error", "command": "objects", "kind": "error",
                                 "error": "unknown flag"}
    assert zova_cli("salvage", "--json", "a.zova", "b.db").json_err()["error"] == "destination path must end in .zova"
    # info/stats/check switch to JSON only once --json has been seen (observed)
    text = zova_cli("info", "--bogus", "--json")
    assert text.code == 2 and text.err.startswith("usage error: unknown flag")
    doc = zova_cli("check", "--json", "--bogus", "x.zova")
    assert doc.code == 2 and doc.json_err()["error"] == "unknown flag" and doc.json_err()["command"] == "check"
    assert zova_cli("stats", "--json").json_err()["error"] == "stats requires <file.zova>"
    # --limit always takes the next argument as its value, even --json (which then counts as present)
    assert zova_cli("objects", "--limit", "--json", "a.zova").json_err()["error"] == "invalid --limit"
    assert zova_cli("objects", "--json", "--json", "a.zova").json_err()["error"] == "duplicate --json"
    assert zova_cli("info", "--json", "--json", "a.zova").json_err()["error"] == "duplicate --json"


def test_limit_accepts_leading_zeros_and_bounds_1_1(healthy):
    path, _ = healthy
    assert zova_cli("objects", "--limit", "05", path).code == 0
    assert zova_cli("objects", "--limit", "100", path).code == 0
    assert zova_cli("objects", "--limit", "0", "--json", path).json_out()["limit"] == 0


# ---- open failures (§1.3) ----

def test_open_failures_exit_3_1_3(healthy, tmp_path):
    path, _ = healthy
    plain = tmp_path / "plain.zova"
    sqlite3.connect(plain).execute("create table x(a)").connection.close()
    garbage = tmp_path / "garbage.zova"
    garbage.write_bytes(b"not sqlite" * 1000)
    cases = [(str(tmp_path / "missing.zova"), "NotZovaDatabase"), (str(tmp_path / "no" / "x.zova"), "CantOpen"),
             (str(tmp_path / "file.sqlite"), "NotZovaPath"), (str(plain), "NotZovaDatabase"),
             (str(garbage), "NotZovaDatabase")]
    commands = ["info", "stats", "objects", "chunks", "vectors", "tables", "check", "doctor"]
    for number, (target, name) in enumerate(cases):
        for command in (commands[number % 8], commands[(number + 3) % 8], commands[(number + 6) % 8]):
            result = zova_cli(command, target)
            assert result.code == 3 and result.out == ""
            assert failed(result, f"{command} open failed: {name}", target)
        for command in (("doctor", "check", "objects")[number % 3],):
            doc = zova_cli(command, "--json", target)
            assert doc.code == 3
            data = doc.json_err()
            assert data.pop("message").startswith(f"{target}: ")
            assert data == {"cli_json_version": 1, "status": "error", "command": command, "kind": "error",
                            "error": name}
        doc = zova_cli("salvage", "--dry-run", "--json", target)
        assert doc.code == 3 and "issue_count" not in doc.json_err() and doc.json_err()["error"] == name
        doc = zova_cli("salvage", "--json", target, str(tmp_path / "dest.zova"))
        assert doc.code == 3 and "issue_count" not in doc.json_err()
        assert not (tmp_path / "dest.zova").exists()


def test_bad_meta_rows_and_truncation_1_3(healthy, tmp_path):
    path, _ = healthy
    version = str(tmp_path / "version.zova")
    magic = str(tmp_path / "magic.zova")
    truncated = str(tmp_path / "truncated.zova")
    for copy in (version, magic, truncated):
        shutil.copy(path, copy)
    fx.bad_meta_row(version, "format_version", "4")
    fx.bad_meta_row(magic, "magic", "nope")
    with zova.Database.open(truncated) as db:
        for _ in range(10):
            fx.put_object_sql(db, os.urandom(100_000), 50_000)
    fx.truncate(truncated, 0.5)
    # A truncated file is a damaged Zova file, not "not a Zova file": Corrupt (15)
    # as upstream says (issue 13 item 6).
    for target, name in ((version, "UnsupportedZovaVersion"), (magic, "NotZovaDatabase"),
                         (truncated, "Corrupt")):
        for argv in (["check", "--deep", target], ["info", target]):
            result = zova_cli(*argv)
            assert result.code == 3, argv
            assert failed(result, f"{argv[0]} open failed: {name}", target)
    result = zova_cli("doctor", version)
    assert result.code == 3 and failed(result, "doctor open failed: UnsupportedZovaVersion", version)
    result = zova_cli("salvage", "--dry-run", version)
    assert result.code == 3 and failed(result, "salvage open failed: UnsupportedZovaVersion", version)
    # A damaged Zova file: doctor sends it to salvage, which reads it (issue 13 item 5).
    for target, stage, name in ((magic, "identity damaged", "NotZovaDatabase"),
                                (truncated, "truncated file", "Corrupt")):
        result = zova_cli("doctor", target)
        assert result.code == 4 and f"error: {stage}: {name}" in result.err
        assert f"run zova salvage --dry-run {target}" in result.err
    result = zova_cli("salvage", "--dry-run", "--json", magic)
    assert result.code == 4 and [i["kind"] for i in result.json_err()["issues"]] == ["identity_damaged"]


def test_a_file_truncated_to_its_first_page_ends_the_advice_at_a_backup_issue13_6(healthy, tmp_path):
    """`truncate -s 4096`: open says Corrupt (15, upstream's status), doctor
    sends the file to salvage, and salvage, which can read nothing of it, says
    to restore a backup instead of sending it back to doctor (item 8)."""
    path, _ = healthy
    os.truncate(path, 4096)
    with pytest.raises(zova.ZovaError) as opened:
        zova.Database.open(path)
    assert opened.value.status == 15 and opened.value.status_name == "ZOVA_CORRUPT"
    doctor = zova_cli("doctor", path)
    assert doctor.code == 4 and "error: truncated file: Corrupt" in doctor.err
    assert f"run zova salvage --dry-run {path}" in doctor.err
    dry = zova_cli("salvage", "--dry-run", path)
    assert dry.code == 3 and failed(dry, "salvage open failed: Corrupt", path)
    assert dry.err.splitlines()[1].endswith("too damaged for salvage to read anything: restore it from a backup")
    assert "doctor" not in dry.err


def test_salvage_reads_a_truncated_file_1_6(healthy, tmp_path):
    """A truncated file does not open (exit 3 above), but salvage reads the pages
    that are left through a repaired temporary copy: the dry run reports a
    sqlite-area `truncated_file` issue, and the copy keeps what is readable."""
    path, _ = healthy
    with zova.Database.open(path) as db:
        db.exec("create table filler(x)")
        for _ in range(40):
            fx.run(db, "insert into filler values (?)", os.urandom(20_000))
    fx.truncate(path, 0.5)
    before = Path(path).read_bytes()
    dry = zova_cli("salvage", "--dry-run", "--json", path)
    assert dry.code == 4
    data = dry.json_err()
    assert data["recoverability"] == "unknown"
    assert [(i["area"], i["kind"], i["detail"]) for i in data["issues"]] == [("sqlite", "truncated_file", "Corrupt")]
    destination = str(tmp_path / "rescued.zova")
    result = zova_cli("salvage", "--json", path, destination)
    doc = result.json_err()   # partial: the lost pages held rows (issue 13 item 1)
    assert result.code == 4 and doc["status"] == "partial" and doc["destination_verified"] is True
    assert doc["copied"]["user_rows"] >= 2 and doc["skipped"]["user_rows"] >= 1
    assert Path(path).read_bytes() == before
    assert zova_cli("check", "--deep", destination).code == 0
    assert [p.name for p in tmp_path.iterdir()] == ["healthy.zova", "rescued.zova"] or \
        sorted(p.name for p in tmp_path.iterdir()) == ["healthy.zova", "rescued.zova"]


# ---- inspection (§1.4, §1.5) ----

def test_info_text_and_json_1_4(healthy):
    path, _ = healthy
    result = zova_cli("info", path)
    assert result.code == 0 and result.err == ""
    lines = result.out.splitlines()
    assert lines[0] == f"Zova database: {path}"
    keys = [line.split(":")[0] for line in lines[1:]]
    assert keys == ["package_version", "sqlite_version", "format_version", "database_bytes", "wal_bytes",
                    "journal_bytes", "page_count", "page_size", "freelist_count", "objects", "object_logical_bytes",
                    "chunks", "manifest_rows", "loose_chunks", "stored_chunk_bytes", "vector_collections", "vectors",
                    "user_tables", "private_tables"]
    assert "objects: 2" in lines and "loose_chunks: 1" in lines and "private_tables: 6" in lines
    doc = zova_cli("info", "--json", path).json_out()
    assert list(doc) == ["cli_json_version", "status", "command", "package_version", "sqlite_version",
                         "format_version", "files", "sqlite", "objects", "chunks", "vectors", "tables"]
    assert doc["format_version"] == "3" and doc["objects"] == {"count": 2, "logical_bytes": 13320}
    assert doc["chunks"] == {"count": 5, "manifest_rows": 4, "loose_count": 1, "stored_bytes": 13338}
    assert doc["vectors"] == {"collections": 1, "rows": 1} and doc["tables"] == {"user": 1, "private": 6}
    assert doc["files"]["database_bytes"] == os.path.getsize(path)
    for r in (result, zova_cli("info", "--json", path)):
        assert_bounded(r)
        assert "_zova_objects" not in r.out


def test_stats_text_and_json_1_4(healthy):
    path, _ = healthy
    result = zova_cli("stats", path)
    assert result.code == 0
    assert "object_chunk_count_avg: 2.00" in result.out and "chunk_size_avg: 2667.60" in result.out
    assert "  docs dimensions=2 metric=cosine vectors=1 stored_bytes=8" in result.out
    assert "deduped_bytes_saved: 0" in result.out
    assert_bounded(result, allow_two_point_zero=True)
    assert "_zova_objects" not in result.out
    doc = zova_cli("stats", "--json", "--limit", "1", path).json_out()
    assert doc["objects"]["size_avg"] == 6660 and isinstance(doc["objects"]["size_avg"], int)
    assert doc["chunks"]["size_avg"] == 2667.6
    assert doc["top_objects_truncated"] is True and len(doc["top_objects"]) == 1
    assert doc["top_objects"][0]["size_bytes"] == 13000
    assert doc["top_chunks"][0]["reference_count"] == 1 and doc["top_chunks_truncated"] is True
    assert doc["vector_collections"] == [{"name": "docs", "dimensions": 2, "metric": "cosine", "vector_count": 1,
                                          "stored_bytes": 8}]


def test_objects_and_object_1_4(healthy):
    path, ids = healthy
    a, b = ids["object_a"].hex(), ids["object_b"].hex()
    result = zova_cli("objects", path)
    assert result.out.splitlines()[1:4] == ["limit: 10", "truncated: false", "objects:"]
    assert f"  {a} size_bytes=13000 chunk_count=3 chunker=fastcdc-v1" in result.out
    assert result.out.index(b) < result.out.index(a)    # hex order
    doc = zova_cli("objects", "--json", "--limit", "0", path).json_out()
    assert doc["objects"] == [] and doc["truncated"] is True
    detail = zova_cli("object", path, a.upper())
    assert detail.code == 0
    assert f"object_id: {a}" in detail.out and "manifest_truncated: false" in detail.out
    assert "  index=0 chunk_hash=" in detail.out and "offset=6000 size_bytes=6000" in detail.out
    doc = zova_cli("object", "--json", "--limit", "2", path, a).json_out()
    assert doc["manifest_truncated"] is True and [m["chunk_index"] for m in doc["manifest"]] == [0, 1]
    for r in (result, detail):
        assert_bounded(r)
    missing = zova_cli("object", path, "00" * 32)
    assert missing.code == 4 and failed(missing, "object: not found: ObjectNotFound", path)
    doc = zova_cli("object", "--json", path, "00" * 32).json_err()
    assert doc["kind"] == "not found" and doc["error"] == "ObjectNotFound"


def test_object_reads_partial_manifest_and_rejects_bad_hash_1_4(healthy, tmp_path):
    path, ids = healthy
    a = ids["object_a"]
    with zova.Database.open(path) as db:
        fx.run(db, "delete from _zova_object_chunks where object_id = ? and chunk_index > 0", a)
    assert zova_cli("object", path, a.hex()).code == 0     # (tested upstream) no full validation
    connection = sqlite3.connect(path)
    connection.execute("pragma ignore_check_constraints = 1")
    connection.execute("update _zova_object_chunks set chunk_hash = x'0102' where object_id = ?", (a,))
    connection.commit()
    connection.close()
    result = zova_cli("object", path, a.hex())
    assert result.code == 4 and failed(result, "object: object corruption: ObjectCorrupt", path)


def test_empty_lists_print_none_1_4(tmp_path):
    path = str(tmp_path / "empty.zova")
    zova.Database.create(path).close()
    assert "objects: none\n" in zova_cli("objects", path).out
    assert "chunks: none\n" in zova_cli("chunks", path).out
    assert "collections: none\n" in zova_cli("vectors", path).out
    stats = zova_cli("stats", path).out
    assert "vector_collections:\n  none\n" in stats and "top_objects:\n  none\n" in stats
    assert "object_size_avg: 0.00" in stats
    doc = zova_cli("stats", "--json", path).json_out()
    assert doc["objects"]["size_avg"] == 0 and doc["top_chunks"] == []
    tables = zova_cli("tables", path).out
    assert "user_tables:\n  none\n" in tables


def test_chunks_and_chunk_1_4(healthy):
    path, ids = healthy
    loose = ids["loose"].hex()
    result = zova_cli("chunks", path)
    assert f"  {loose} size_bytes=18 reference_count=0 is_unreferenced=true" in result.out
    doc = zova_cli("chunks", "--json", path).json_out()
    assert [c["chunk_hash"] for c in doc["chunks"]] == sorted(c["chunk_hash"] for c in doc["chunks"])
    assert sum(c["loose"] for c in doc["chunks"]) == 1
    detail = zova_cli("chunk", path, loose)
    assert "reference_count: 0" in detail.out and "is_unreferenced: true" in detail.out
    assert "references:\n  none\n" in detail.out
    first = zova_cli("object", "--json", path, ids["object_a"].hex()).json_out()["manifest"][0]["chunk_hash"]
    doc = zova_cli("chunk", "--json", path, first).json_out()
    assert doc["chunk"] == {"size_bytes": 6000, "reference_count": 1, "loose": False}
    assert doc["references"] == [{"object_id": ids["object_a"].hex(), "chunk_index": 0, "offset": 0,
                                  "size_bytes": 6000}]
    for r in (result, detail):
        assert_bounded(r)
    missing = zova_cli("chunk", path, "ab" * 32)
    assert missing.code == 4 and failed(missing, "chunk: not found: ObjectChunkNotFound", path)


def test_vectors_and_vector_collection_1_4(healthy):
    path, _ = healthy
    result = zova_cli("vectors", path)
    assert "  docs dimensions=2 metric=cosine vectors=1 stored_bytes=8" in result.out
    detail = zova_cli("vector-collection", path, "docs")
    assert "vector_ids:\n  v1\n" in detail.out and "metric: cosine" in detail.out
    doc = zova_cli("vector-collection", "--json", "--limit", "0", path, "docs").json_out()
    assert doc["vector_ids"] == [] and doc["vector_ids_truncated"] is True and doc["stored_bytes"] == 8
    for r in (result, detail):
        assert_bounded(r)
    missing = zova_cli("vector-collection", path, "nope")
    assert missing.code == 4 and failed(missing, "vector-collection: not found: VectorCollectionNotFound", path)
    assert zova_cli("vector-collection", "--json", path, "nope").json_err()["kind"] == "not found"


def test_tables_1_4(healthy):
    path, _ = healthy
    result = zova_cli("tables", path)
    assert result.out.endswith("private_tables:\n  _zova_chunks\n  _zova_meta\n  _zova_object_chunks\n"
                               "  _zova_objects\n  _zova_vector_collections\n  _zova_vectors\n")
    doc = zova_cli("tables", "--json", "--limit", "2", path).json_out()
    assert doc["private_table_count"] == 6 and doc["private_tables"] == ["_zova_chunks", "_zova_meta"]
    assert doc["private_tables_truncated"] is True and doc["user_tables"] == ["notes"]
    assert_bounded(result)


def test_json_is_valid_for_any_name_1_8(tmp_path):
    path = str(tmp_path / "names.zova")
    weird = ['quote"back\\slash', "new\nline\ttab", "ctl\x01\x08\x0c\x1f", "unicod\u00e9 \u2603", "del\x7f"]
    with zova.Database.create(path) as db:
        for index, name in enumerate(weird):
            fx.put_collection_sql(db, name, 1, "l2")
            fx.put_vector_sql(db, name, f"id {index}\n\"x\"", [1.0])
            db.exec(f'create table "{name.replace(chr(34), chr(34) * 2)}"(a)')
    doc = zova_cli("vectors", "--json", path)
    assert doc.code == 0
    assert sorted(c["name"] for c in doc.json_out()["collections"]) == sorted(weird)
    assert "\\u0001\\u0008\\u000c\\u001f" in doc.out      # lowercase \u00XX, no \b or \f
    assert sorted(zova_cli("tables", "--json", path).json_out()["user_tables"]) == sorted(weird)
    stats = zova_cli("stats", "--json", path).json_out()
    assert len(stats["vector_collections"]) == len(weird)
    detail = zova_cli("vector-collection", "--json", path, weird[1])
    assert detail.json_out()["vector_ids"] == ['id 1\n"x"']
    text = zova_cli("vectors", path).out
    assert len(text.splitlines()) == 4 + len(weird)     # each name stays on one line
    # a vector NaN issue for a weird name is valid JSON too
    with zova.Database.open(path) as db:
        fx.run(db, 'update _zova_vectors set "values" = ? where collection_name = ?', fx.f32([float("nan")]),
               weird[0])
    check = zova_cli("check", "--deep", "--json", path)
    assert check.code == 4 and check.json_err()["issues"][0]["collection"] == weird[0]


# ---- check (§1.6) ----

def test_check_quick_healthy_1_6(healthy):
    path, _ = healthy
    assert zova_cli("check", path) == Result(0, "quick_check: ok\nstatus: ok\n", "")
    doc = zova_cli("check", "--json", path).json_out()
    assert doc == {"cli_json_version": 1, "status": "ok", "command": "check", "quick_check": "ok"}
    assert "deep_check" not in doc


def test_check_deep_healthy_1_6(healthy):
    path, _ = healthy
    result = zova_cli("check", "--deep", path)
    assert result.code == 0 and result.err == ""
    assert result.out.splitlines() == ["quick_check: ok", "deep_check: ok", "objects_checked: 2", "chunks_checked: 4",
                                       "vectors_checked: 1", "loose_chunks: 1", "issue_count: 0", "sqlite_issues: 0",
                                       "object_issues: 0", "chunk_issues: 0", "vector_issues: 0", "error_issues: 0",
                                       "status: ok"]
    doc = zova_cli("check", "--json", "--deep", path).json_out()
    assert list(doc) == ["cli_json_version", "status", "command", "quick_check", "deep_check", "checked",
                         "issue_count", "issue_counts", "severity_counts", "issues_truncated", "issues",
                         "suggested_actions"]
    assert doc["checked"] == {"objects": 2, "chunks": 4, "vectors": 1, "loose_chunks": 1}
    assert doc["suggested_actions"] == ["no action needed"]


def _damage(kind: str, path: str, ids: dict) -> list[tuple[str, str, str]]:
    """Applies one §1.6 damage; returns the expected (area, kind, detail) issues."""
    if kind == "flipped_chunk":
        fx.flip_chunk_bytes(path, ids["object_a"])
        return [("chunk", "chunk_integrity", "ObjectCorrupt"), ("object", "object_integrity", "ObjectCorrupt")]
    if kind == "missing_chunk":
        fx.delete_chunk_row(path, ids["object_a"], 2)
        return [("chunk", "missing_chunk", "ObjectChunkNotFound"), ("object", "object_manifest", "ObjectCorrupt")]
    if kind == "manifest_gap":
        fx.manifest_gap(path, ids["object_a"], 1)
        return [("object", "object_manifest", "ObjectCorrupt")]
    if kind == "bad_vector_blob":
        fx.bad_vector_blob(path)
        return [("vector", "vector_integrity", "VectorCorrupt")]
    if kind == "bad_vector_length":
        fx.bad_vector_length(path)
        return [("vector", "vector_integrity", "VectorCorrupt")]
    raise AssertionError(kind)


DAMAGE = ["flipped_chunk", "missing_chunk", "manifest_gap", "bad_vector_blob", "bad_vector_length"]


@pytest.mark.parametrize("kind", DAMAGE)
def test_check_deep_finds_each_damage_1_6(healthy, kind):
    path, ids = healthy
    expected = _damage(kind, path, ids)
    assert zova_cli("check", path).code == 0          # quick_check does not look at Zova rows
    result = zova_cli("check", "--deep", path)
    assert result.code == 4 and result.out == ""
    lines = result.err.splitlines()
    assert lines[0] == "deep_check: failed" and f"issue_count: {len(expected)}" in lines
    assert "issues:" in lines
    vector = expected[0][0] == "vector"
    assert ("vector corruption: detected" in lines) == vector
    assert ("object corruption: detected" in lines) == (not vector)
    for area, issue_kind, detail in expected:
        assert any(line.startswith(f"  area={area} kind={issue_kind} severity=error detail={detail}")
                   for line in lines), (area, issue_kind)
    doc = zova_cli("check", "--deep", "--json", path)
    assert doc.code == 4 and doc.out == ""
    data = doc.json_err()
    assert data["status"] == "error" and data["kind"] == "deep_check" and data["error"] == "corruption detected"
    assert "quick_check" not in data and "checked" not in data
    assert [(i["area"], i["kind"], i["detail"]) for i in data["issues"]] == expected
    assert data["suggested_actions"][2] == "run zova salvage --dry-run <file.zova>"
    assert_bounded(result)
    assert_bounded(doc)


def test_check_deep_issue_cap_is_ten_1_5(healthy):
    path, _ = healthy
    with zova.Database.open(path) as db:
        for i in range(12):
            fx.put_vector_sql(db, "docs", f"nan{i:02d}", [float("nan"), 1.0])
    data = zova_cli("check", "--deep", "--json", path).json_err()
    assert data["issue_count"] == 12 and len(data["issues"]) == 10 and data["issues_truncated"] is True
    assert data["issue_counts"]["vector"] == 12 and data["severity_counts"]["error"] == 12


def test_check_quick_check_failure_1_3(healthy):
    path, _ = healthy
    fx.break_quick_check(path)
    for argv in (["check", path], ["check", "--deep", path]):
        result = zova_cli(*argv)
        assert result.code == 4 and failed(result, "sqlite quick_check failed: CheckFailed", path)
    doc = zova_cli("check", "--json", path).json_err()
    assert f"zova salvage --dry-run {path}" in doc.pop("message")   # leads on, not back to check (item 8)
    assert doc == {"cli_json_version": 1, "status": "error", "command": "check", "kind": "sqlite quick_check failed",
                   "error": "CheckFailed"}


# ---- doctor (§1.6) ----

def test_doctor_healthy_1_6(healthy):
    path, _ = healthy
    result = zova_cli("doctor", path)
    assert result.code == 0 and result.err == ""
    assert result.out.startswith(f"Zova doctor: {path}\nstatus: ok\nquick_check: ok\nschema: ok\n")
    assert result.out.endswith("issues:\n  none\nsuggested_actions:\n  no action needed\n")
    doc = zova_cli("doctor", "--json", path).json_out()
    assert list(doc) == ["cli_json_version", "status", "command", "source_path", "quick_check", "schema", "checked",
                         "tables", "issue_count", "issue_counts", "severity_counts", "issues_truncated", "issues",
                         "suggested_actions"]
    assert doc["source_path"] == path and doc["tables"] == {"user": 1, "private": 6}
    assert_bounded(result)


@pytest.mark.parametrize("kind", DAMAGE)
def test_doctor_with_each_damage_1_6(healthy, kind):
    path, ids = healthy
    expected = _damage(kind, path, ids)
    result = zova_cli("doctor", path)
    assert result.code == 4 and result.out == ""
    assert "status: needs_attention" in result.err
    assert f"  run zova salvage --dry-run {path}" in result.err
    assert f"  run zova salvage {path} <destination.zova>" in result.err
    limited = zova_cli("doctor", "--limit", "0", path)
    assert "issues:\n  no issue examples shown\n" in limited.err and "issues_truncated: true" in limited.err
    data = zova_cli("doctor", "--json", path).json_err()
    assert data["status"] == "needs_attention" and data["issue_count"] == len(expected)
    assert "run zova salvage --dry-run <file.zova>" in data["suggested_actions"]
    assert_bounded(result)


def test_doctor_stage_failure_1_6(healthy):
    path, _ = healthy
    fx.break_quick_check(path)
    result = zova_cli("doctor", path)
    assert result.code == 4
    assert result.err.startswith(f"Zova doctor: {path}\nstatus: needs_attention\n"
                                 "error: sqlite quick_check failed: CheckFailed\nsuggested_actions:\n")
    data = zova_cli("doctor", "--json", path).json_err()
    assert data["error"] == "sqlite quick_check failed" and data["kind"] == "CheckFailed"
    assert data["status"] == "needs_attention" and "issue_count" not in data


# ---- salvage (§1.6) ----

def test_salvage_dry_run_healthy_and_damaged_1_6(healthy, tmp_path):
    path, ids = healthy
    before = Path(path).read_bytes()
    result = zova_cli("salvage", "--dry-run", path)
    assert result.code == 0 and "recoverability: recoverable" in result.out
    assert f"  run: zova salvage {path} <destination.zova>" in result.out
    doc = zova_cli("salvage", "--dry-run", "--json", path).json_out()
    assert doc["suggested_actions"][0] == "source appears recoverable" and doc["dry_run"] is True
    _damage("flipped_chunk", path, ids)
    before = Path(path).read_bytes()
    result = zova_cli("salvage", "--dry-run", path)
    assert result.code == 4 and result.out == ""
    assert "recoverability: partially_recoverable" in result.err and "skipped_objects: 1" in result.err
    assert f"  review this dry-run report before salvaging {path}" in result.err
    data = zova_cli("salvage", "--dry-run", "--json", path).json_err()
    assert data["status"] == "needs_attention" and data["skipped"]["chunks"] == 1
    assert list(data["recoverable"]) == ["user_tables", "user_schema_objects", "user_rows", "objects", "chunks",
                                         "loose_chunks", "vector_collections", "vectors"]
    assert Path(path).read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["healthy.zova"]    # nothing written
    assert_bounded(result)


@pytest.mark.parametrize("kind", DAMAGE)
def test_salvage_recovers_from_each_damage_1_6(healthy, tmp_path, kind):
    path, ids = healthy
    _damage(kind, path, ids)
    before = Path(path).read_bytes()
    destination = str(tmp_path / "rescued.zova")
    result = zova_cli("salvage", path, destination)
    # issue 13 item 1: what the source lists and the copy lacks makes the run partial (exit 4)
    assert result.code == 4, result.err
    assert "status: partial" in result.err
    assert "destination_verified: true" in result.err and "copied_user_rows: 2" in result.err
    assert Path(path).read_bytes() == before
    assert zova_cli("check", "--deep", destination).code == 0
    objects = 1 if kind in ("flipped_chunk", "missing_chunk", "manifest_gap") else 2
    vectors = 0 if kind.startswith("bad_vector") else 1
    doc = zova_cli("salvage", "--json", path, str(tmp_path / "again.zova")).json_err()
    assert doc["copied"]["objects"] == objects and doc["copied"]["vectors"] == vectors
    assert doc["destination_verified"] is True and doc["status"] == "partial"
    lost = [i["kind"] for i in doc["issues"] if i["kind"].startswith("lost_")]
    assert lost == ["lost_object"] * (2 - objects) + ["lost_vector"] * (1 - vectors)
    assert doc["suggested_actions"][-1] == "run zova check --deep on the destination before replacing any live file"
    assert_bounded(result)


def test_salvage_never_overwrites_1_6(healthy, tmp_path):
    path, _ = healthy
    existing = tmp_path / "existing.zova"
    existing.write_bytes(b"keep")
    result = zova_cli("salvage", path, str(existing))
    assert result.code == 4 and failed(result, "salvage failed: DestinationExists", str(existing))
    doc = zova_cli("salvage", "--json", path, str(existing)).json_err()
    assert doc.pop("message").startswith(f"{existing}: already exists")
    assert doc == {"cli_json_version": 1, "status": "error", "command": "salvage", "source_path": path,
                   "destination_path": str(existing), "error": "DestinationExists", "destination_verified": False}
    assert existing.read_bytes() == b"keep"


# ---- backup / compact / restore / convert (§1.7) ----

def test_backup_compact_restore_success_1_7(records_only, tmp_path):
    backup, compact, restored = (str(tmp_path / n) for n in ("b.zova", "c.zova", "r.zova"))
    result = zova_cli("backup", records_only, backup)
    assert result == Result(0, f"backup: ok\nsource: {records_only}\ndestination: {backup}\nverified: true\n", "")
    doc = zova_cli("compact", "--json", records_only, compact).json_out()
    assert doc == {"cli_json_version": 1, "status": "ok", "command": "compact", "source_path": records_only,
                   "destination_path": compact, "verified": True}
    result = zova_cli("restore", "--no-verify", backup, restored)
    assert result.code == 0 and "verified: false" in result.out
    for target in (backup, compact, restored):
        assert zova_cli("check", target).code == 0
    assert_bounded(result)


def test_operations_never_overwrite_and_clean_up_1_7(records_only, tmp_path):
    existing = tmp_path / "existing.zova"
    existing.write_bytes(b"keep")
    for command in ("backup", "compact", "restore"):
        result = zova_cli(command, records_only, str(existing))
        assert result.code == 3 and failed(result, f"{command}: operation failed: DestinationExists", str(existing))
        result = zova_cli(command, records_only, str(tmp_path / "missing" / "x.zova"))
        assert result.code == 3 and failed(result, f"{command}: operation failed: CantOpen",
                                           str(tmp_path / "missing" / "x.zova"))
        doc = zova_cli(command, "--json", records_only, str(tmp_path / "x.sqlite")).json_err()
        assert doc["kind"] == "operation failed" and doc["error"] == "NotZovaPath"
    assert existing.read_bytes() == b"keep"
    result = zova_cli("restore", str(tmp_path / "backup.sqlite"), str(tmp_path / "r.zova"))
    assert result.code == 3 and failed(result, "restore: operation failed: NotZovaPath", str(tmp_path / "backup.sqlite"))
    result = zova_cli("backup", str(tmp_path / "absent.zova"), str(tmp_path / "b.zova"))
    assert result.code == 3 and failed(result, "backup open failed: NotZovaDatabase", str(tmp_path / "absent.zova"))


def test_operations_verification_failure_leaves_no_file_1_7(records_only, tmp_path):
    fx.break_quick_check(records_only)
    for command in ("backup", "compact", "restore"):
        destination = tmp_path / f"{command}.zova"
        result = zova_cli(command, records_only, str(destination))
        assert result.code == 4 and failed(result, f"{command}: verification failed: Corrupt", records_only)
        assert not destination.exists()
        doc = zova_cli(command, "--json", records_only, str(destination)).json_err()
        assert doc["kind"] == "verification failed" and doc["error"] == "Corrupt"
        assert zova_cli(command, "--no-verify", records_only, str(destination)).code == 0
        assert destination.exists()


def test_convert_1_7(tmp_path):
    plain = tmp_path / "app.db"
    connection = sqlite3.connect(plain)
    connection.execute("create table people(name text)")
    connection.execute("insert into people values ('generated-secret-row-value')")
    connection.commit()
    connection.close()
    before = plain.read_bytes()
    destination = str(tmp_path / "app.zova")
    result = zova_cli("convert", str(plain), destination)
    assert result == Result(0, f"convert: ok\nsource: {plain}\ndestination: {destination}\n", "")
    assert plain.read_bytes() == before
    assert zova_cli("check", "--deep", destination).code == 0
    reserved = tmp_path / "reserved.db"
    connection = sqlite3.connect(reserved)
    connection.execute("create table _Zova_mine(a)")
    connection.close()
    result = zova_cli("convert", str(reserved), str(tmp_path / "reserved.zova"))
    assert result.code == 3 and failed(result, "convert: operation failed: ZovaNameConflict", str(reserved))
    assert not (tmp_path / "reserved.zova").exists()
    doc = zova_cli("convert", "--json", str(plain), destination).json_err()
    assert doc["error"] == "DestinationExists" and doc["kind"] == "operation failed"
    assert_bounded(result)


# ---- progress bars (§1 issue: terminal only, never with --json) ----

def _run_on_terminal(argv: list[str]) -> tuple[int, bytes]:
    """Runs zova with stdout and stderr on a pseudo-terminal; returns (code, output)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([ZOVA, *argv], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    os.close(slave)
    output = b""
    deadline = time.time() + 300
    while time.time() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    return proc.wait(), output


@pytest.fixture
def large(tmp_path):
    path = str(tmp_path / "large.zova")
    with zova.Database.create(path) as db:
        db.begin()
        for _ in range(8):
            fx.put_object_sql(db, os.urandom(1_000_000), 60_000)
        db.commit()
    return path


def test_progress_bar_only_on_a_terminal(large, tmp_path):
    code, output = _run_on_terminal(["check", "--deep", large])
    assert code == 0
    assert b"deep check" in output and b"%" in output and b"status: ok" in output
    code, output = _run_on_terminal(["check", "--deep", "--json", large])
    assert code == 0 and b"deep check" not in output and b"%" not in output
    json.loads(output.decode().replace("\r\n", "\n"))
    piped = zova_cli("check", "--deep", large)
    assert piped.code == 0 and piped.err == ""
    code, output = _run_on_terminal(["salvage", "--dry-run", large])
    assert code == 0 and b"salvage" in output and b"%" in output


def test_backup_of_zeroed_chunk_fails_verification_1_7(tmp_path):
    """(observed) backup or compact of a database with a zeroed chunk: exit 4,
    `backup: verification failed: ObjectCorrupt`, and no destination left."""
    source = str(tmp_path / "objects.zova")
    with zova.Database.create(source) as db:
        object_id = db.put_object(os.urandom(100_000))
        db.exec("update _zova_chunks set data = zeroblob(size_bytes) where chunk_hash = "
                f"(select chunk_hash from _zova_object_chunks where object_id = x'{object_id.hex()}' "
                "and chunk_index = 0)")
    for command in ("backup", "compact", "restore"):
        destination = tmp_path / f"{command}.zova"
        result = zova_cli(command, source, str(destination))
        assert result.code == 4 and failed(result, f"{command}: verification failed: ObjectCorrupt", source)
        assert not destination.exists()
    healthy = str(tmp_path / "healthy-objects.zova")
    with zova.Database.create(healthy) as db:
        data = os.urandom(300_000)
        object_id = db.put_object(data)
    assert zova_cli("backup", healthy, str(tmp_path / "b.zova")).code == 0
    with zova.Database.open(str(tmp_path / "b.zova")) as db:
        assert db.get_object(object_id) == data


def test_unexpected_error_is_exit_1_without_traceback_1_1(healthy, monkeypatch):
    """An error escaping a command prints `unexpected error: <Name>` and exits 1
    (driven in-process with click's runner, since it needs a fault injected)."""
    from click.testing import CliRunner

    from zova import cli, diagnostics

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(diagnostics, "summary", broken)
    result = CliRunner().invoke(cli.main, ["info", healthy[0]])
    assert result.exit_code == 1
    assert "unexpected error: RuntimeError" in result.output
    assert "Traceback" not in result.output


def test_backup_verifies_vectors_1_7(healthy, tmp_path):
    path, _ = healthy
    assert zova_cli("backup", path, str(tmp_path / "ok.zova")).code == 0
    fx.bad_vector_blob(path)
    for command in ("backup", "compact", "restore"):
        destination = tmp_path / f"{command}.zova"
        result = zova_cli(command, path, str(destination))
        assert result.code == 4 and failed(result, f"{command}: verification failed: VectorCorrupt", path)
        assert not destination.exists()


def test_check_deep_uses_integrity_check_1_6(healthy):
    path, _ = healthy
    connection = sqlite3.connect(path)
    connection.execute("pragma writable_schema=on")
    connection.execute("update sqlite_master set sql = 'CREATE INDEX notes_body ON notes(payload)' "
                       "where name = 'notes_body'")
    connection.commit()
    connection.close()
    assert zova_cli("check", path).code == 0
    result = zova_cli("check", "--deep", path)
    assert result.code == 4 and failed(result, "sqlite integrity_check failed: CheckFailed", path)


# ---- paths that are not UTF-8, and output that cannot be written (issue 12 item 16) ----

def test_a_path_that_is_not_utf8_works_and_prints_as_its_bytes_issue12_16(healthy, tmp_path):
    """A valid Linux file name need not be UTF-8; it used to end every command
    with "unexpected error: UnicodeEncodeError"."""
    source, _ = healthy
    odd = os.path.join(os.fsencode(str(tmp_path)), b"bad\xff.zova")
    shutil.copyfile(source, odd)
    info = subprocess.run([ZOVA, "info", odd], capture_output=True, timeout=300)
    assert info.returncode == 0, info.stderr
    assert info.stdout.startswith(b"Zova database: " + odd + b"\n")
    for command in (["check", "--deep"], ["doctor"], ["salvage", "--dry-run"]):
        result = subprocess.run([ZOVA, *command, odd], capture_output=True, timeout=300)
        assert result.returncode == 0, (command, result.stderr)
    as_json = subprocess.run([ZOVA, "info", "--json", odd], capture_output=True, timeout=300)
    assert json.loads(as_json.stdout)["objects"]["count"] == 2
    copy = os.path.join(os.fsencode(str(tmp_path)), b"copy\xfe.zova")
    backup = subprocess.run([ZOVA, "backup", odd, copy], capture_output=True, timeout=300)
    assert backup.returncode == 0 and copy in backup.stdout, backup.stderr
    assert zova_cli("check", "--deep", os.fsdecode(copy)).code == 0


def test_output_to_a_full_disk_is_reported_issue12_16(healthy):
    path, _ = healthy
    with open("/dev/full", "wb") as full:
        result = subprocess.run([ZOVA, "chunks", "--limit", "100", path], stdout=full, stderr=subprocess.PIPE,
                                timeout=300)
    assert result.returncode == 1
    assert result.stderr == b"cannot write output: No space left on device\n"


def test_output_to_a_closed_pipe_ends_quietly_issue12_16(healthy):
    path, _ = healthy
    read_end, write_end = os.pipe()
    os.close(read_end)   # every write to stdout now fails with EPIPE
    try:
        result = subprocess.run([ZOVA, "chunks", "--json", "--limit", "100", path], stdout=write_end,
                                stderr=subprocess.PIPE, timeout=300)
    finally:
        os.close(write_end)
    assert result.returncode == 1
    assert result.stderr == b""
