"""Issue 13 items 7-11, driving the installed ``zova`` by subprocess: every
subcommand a click command (its own --help, --opt=value, --) that keeps §1's
usage errors; failures that say what is wrong with which path; progress on
stderr for every phase; a start-up that imports neither numpy nor the
diagnostics for --help; ``zova stats`` in upstream's line order."""
from __future__ import annotations

import json
import os
import pty
import select
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest

import zova
import zova_fixtures as fx
from test_cli import ZOVA, Result, zova_cli

COMMANDS = ["info", "stats", "objects", "object", "chunks", "chunk", "vectors", "vector-collection", "tables",
            "check", "doctor", "salvage", "backup", "compact", "restore", "convert"]
FLAGS = {
    "info": ["--json"], "stats": ["--json", "--limit"], "check": ["--json", "--deep"],
    "salvage": ["--json", "--limit", "--dry-run"], "backup": ["--json", "--no-verify"],
    "compact": ["--json", "--no-verify"], "restore": ["--json", "--no-verify"], "convert": ["--json"],
}


@pytest.fixture
def healthy(tmp_path):
    path = str(tmp_path / "healthy.zova")
    ids = fx.make_healthy(path)
    return path, ids


# ---- item 7: real click commands ----

@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_its_own_help_item7(command):
    result = zova_cli(command, "--help")
    assert result.code == 0 and result.err == "", result.err
    out = result.out
    assert out.startswith(f"Usage: zova {command} "), out
    assert "Example:\n" in out and f"    zova {command} " in out
    for flag in FLAGS.get(command, ["--json", "--limit"]) + ["--help"]:
        assert f"  {flag}" in out, flag
    for other in {"--json", "--limit", "--deep", "--dry-run", "--no-verify"} - set(FLAGS.get(command, ["--json",
                                                                                                        "--limit"])):
        assert other not in out.split("Options:")[1], other
    # --help wins wherever it stands among the options, before `--`
    assert zova_cli(command, "a.zova", "--help").out == out
    assert zova_cli(command, "--bogus", "--help").code == 0


def test_help_of_the_program_is_unchanged_item7():
    result = zova_cli("--help")
    assert result.code == 0 and result.out.startswith("usage:\n  zova --version\n")
    assert zova_cli("help") == result
    assert zova_cli("--version") == Result(0, "zova 0.17.0\n", "")


def test_option_value_forms_and_double_dash_item7(healthy, tmp_path):
    path, _ = healthy
    spaced = zova_cli("objects", "--limit", "1", path)
    assert spaced.code == 0 and "limit: 1" in spaced.out
    assert zova_cli("objects", "--limit=1", path) == spaced
    assert zova_cli("objects", path, "--limit=1") == spaced          # options anywhere among the paths
    assert zova_cli("objects", "--limit=1", "--", path) == spaced
    assert zova_cli("stats", "--json", "--limit=0", path).json_out()["limit"] == 0
    shutil.copy(path, tmp_path / "-x.zova")

    def here(*argv: str) -> Result:
        return zova_cli(*argv, cwd=tmp_path)

    assert here("info", "-x.zova").err.startswith("usage error: unknown flag\n")
    info = here("info", "--", "-x.zova")
    assert info.code == 0 and info.out.startswith("Zova database: -x.zova\n")
    assert here("info", "--json", "--", "-x.zova").json_out()["objects"]["count"] == 2
    assert here("check", "--deep", "--", "-x.zova").code == 0
    assert here("salvage", "--dry-run", "--", "-x.zova").code == 0
    backup = here("backup", "--", "-x.zova", "-y.zova")
    assert backup.code == 0 and "destination: -y.zova" in backup.out
    assert here("check", "--", "-y.zova").code == 0
    # after `--` even --json is a path
    assert here("info", "--", "--json").err.startswith("info open failed: NotZovaPath\n")


USAGE = [
    (["objects", "--limit=101", "a.zova"], "invalid --limit"),
    (["objects", "--limit=", "a.zova"], "invalid --limit"),
    (["objects", "--limit", "-1", "a.zova"], "invalid --limit"),
    (["objects", "--limit=1", "--limit=2", "a.zova"], "duplicate --limit"),
    (["objects", "--limit"], "--limit requires a value"),
    (["objects", "--lim", "3", "a.zova"], "unknown flag"),
    (["objects", "-h", "a.zova"], "unknown flag"),
    (["objects", "-", "a.zova"], "unknown flag"),
    (["check", "--deep=yes", "a.zova"], "--deep does not take a value"),
    (["check", "--limit=5", "a.zova"], "unknown flag"),
    (["object", "a.zova", "--", "--x"], "object id must be 64 hex characters"),
    (["info", "a.zova", "--", "b.zova"], "info accepts only [--json] <file.zova>"),
    (["salvage", "--dry-run", "--", "a.zova", "b.zova"], "salvage --dry-run does not accept a destination"),
    (["backup", "--", "a.zova"], "missing destination path"),
    (["objects", "--"], "objects requires <file.zova>"),
]


@pytest.mark.parametrize("argv,message", USAGE)
def test_usage_errors_keep_the_section_1_forms_item7(argv, message):
    result = zova_cli(*argv)
    assert result.code == 2 and result.out == ""
    assert result.err.startswith(f"usage error: {message}\n\nusage:\n  zova --version\n"), result.err
    command = argv[0]
    doc = zova_cli(command, "--json", *argv[1:])
    assert doc.code == 2 and doc.json_err() == {"cli_json_version": 1, "status": "error", "command": command,
                                                "kind": "error", "error": message}


def test_json_placement_of_usage_errors_item7():
    """§1.1: info, stats and check answer in JSON only once --json was read;
    the others whenever --json is among the options (not after `--`)."""
    assert zova_cli("info", "--bogus", "--json").err.startswith("usage error: unknown flag\n")
    assert zova_cli("check", "--json", "--bogus", "x.zova").json_err()["error"] == "unknown flag"
    assert zova_cli("stats", "a.zova", "b.zova", "--json").err.startswith("usage error: stats accepts only")
    assert zova_cli("stats", "--json", "a.zova", "b.zova").json_err()["error"].startswith("stats accepts only")
    assert zova_cli("check", "--json").json_err()["error"] == "check requires <file.zova>"
    assert zova_cli("tables", "--bogus", "a.zova", "--json").json_err()["error"] == "unknown flag"
    assert zova_cli("tables", "--bogus", "--", "--json").err.startswith("usage error: unknown flag\n")
    assert zova_cli("objects", "--limit", "--json", "a.zova").json_err()["error"] == "invalid --limit"


# ---- item 8: errors in words ----

def _message(result: Result, first: str) -> str:
    """The second stderr line of a failure whose first line is ``first``."""
    lines = result.err.splitlines()
    assert lines[0] == first and len(lines) == 2, result.err
    return lines[1]


def test_open_failures_say_what_is_wrong_item8(healthy, tmp_path):
    path, _ = healthy
    plain = tmp_path / "plain.zova"
    sqlite3.connect(plain).execute("create table x(a)").connection.close()
    text = tmp_path / "notes.zova"
    text.write_text("just some text\n")
    empty = tmp_path / "empty.zova"
    empty.write_bytes(b"")
    folder = tmp_path / "folder.zova"
    folder.mkdir()
    magic = str(tmp_path / "magic.zova")
    shutil.copy(path, magic)
    fx.bad_meta_row(magic, "magic", "nope")
    truncated = str(tmp_path / "truncated.zova")
    with zova.Database.create(truncated) as db:
        for _ in range(10):
            fx.put_object_sql(db, os.urandom(100_000), 50_000)
    fx.truncate(truncated, 0.5)
    version = str(tmp_path / "version.zova")
    shutil.copy(path, version)
    fx.bad_meta_row(version, "format_version", "4")
    cases = [
        (str(tmp_path / "missing.zova"), "NotZovaDatabase", "no such file"),
        (str(tmp_path / "no" / "x.zova"), "CantOpen", f"no such directory: {tmp_path / 'no'}"),
        (str(tmp_path / "x.sqlite"), "NotZovaPath", "not a .zova path"),
        (str(text), "NotZovaDatabase", "not a SQLite database file"),
        (str(empty), "NotZovaDatabase", "an empty file"),
        (str(folder), "CantOpen", "is a directory"),
        (str(plain), "NotZovaDatabase", f"a plain SQLite database, not a Zova file; use zova convert {plain} "),
        (magic, "NotZovaDatabase", f"run zova doctor {magic}"),
        (truncated, None, f"truncated to "),
        (version, "UnsupportedZovaVersion", "format version"),
    ]
    for target, name, words in cases:
        result = zova_cli("info", target)
        assert result.code == 3 and result.out == ""
        first = result.err.splitlines()[0]
        assert first == f"info open failed: {name}" if name else first.startswith("info open failed: "), first
        line = _message(result, first)
        assert line.startswith(f"  {target}: ") and words in line, (target, line)
        doc = zova_cli("stats", "--json", target).json_err()
        assert list(doc) == ["cli_json_version", "status", "command", "kind", "error", "message"]
        assert doc["message"] == line.strip() and doc["error"] == first.split(": ")[-1]
    assert f"run zova doctor {truncated}" in zova_cli("objects", truncated).err


def test_permission_denied_is_said_item8(healthy, tmp_path):
    """Root reads any file; setpriv drops the capability that lets it."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is needed to run zova without read permission as root")
    path, _ = healthy
    locked = tmp_path / "locked.zova"
    shutil.copy(path, locked)
    locked.chmod(0)
    closed = tmp_path / "closed"
    closed.mkdir()
    argv = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--", ZOVA]
    try:
        result = subprocess.run(argv + ["info", str(locked)], capture_output=True, text=True, timeout=300)
        if os.geteuid() != 0 or result.returncode == 0:
            pytest.skip("cannot take read permission away here")
        assert result.returncode == 3 and result.stderr.startswith("info open failed: ")
        assert f"  {locked}: permission denied" in result.stderr
        closed.chmod(0o555)
        backup = subprocess.run(argv + ["backup", path, str(closed / "b.zova")], capture_output=True, text=True,
                                timeout=300)
        assert backup.returncode == 3 and backup.stderr.startswith("backup: operation failed: CantOpen\n")
        assert f"  {closed / 'b.zova'}: permission denied: cannot create a file in {closed}" in backup.stderr
    finally:
        locked.chmod(0o644)
        closed.chmod(0o755)


def test_operation_failures_name_the_path_item8(healthy, tmp_path):
    path, _ = healthy
    existing = tmp_path / "existing.zova"
    existing.write_bytes(b"keep")
    result = zova_cli("backup", path, str(existing))
    assert f"  {existing}: already exists; Zova never overwrites" in result.err
    doc = zova_cli("compact", "--json", path, str(existing)).json_err()
    assert doc["error"] == "DestinationExists" and doc["message"].startswith(f"{existing}: already exists")
    assert list(doc)[-2:] == ["error", "message"]
    result = zova_cli("backup", path, str(tmp_path / "copy.sqlite"))
    assert _message(result, "backup: operation failed: NotZovaPath") == \
        f"  {tmp_path / 'copy.sqlite'}: not a .zova path (Zova opens and creates only files whose name ends in .zova)"
    result = zova_cli("restore", str(tmp_path / "gone.zova"), str(tmp_path / "r.zova"))
    assert result.code == 3 and f"  {tmp_path / 'gone.zova'}: no such file" in result.err
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n")
    result = zova_cli("convert", str(text), str(tmp_path / "c.zova"))
    assert result.code == 3 and _message(result, "convert: operation failed: SqliteError") == \
        f"  {text}: not a SQLite database file (it does not start with the SQLite header)"
    result = zova_cli("convert", str(tmp_path / "absent.db"), str(tmp_path / "c.zova"))
    assert result.code == 3 and f"  {tmp_path / 'absent.db'}: no such file" in result.err
    result = zova_cli("salvage", path, str(existing))
    assert _message(result, "salvage failed: DestinationExists").startswith(f"  {existing}: already exists")
    assert existing.read_bytes() == b"keep"
    missing = zova_cli("object", path, "00" * 32)
    assert _message(missing, "object: not found: ObjectNotFound") == f"  {path}: has no object {'00' * 32}"
    assert zova_cli("vector-collection", "--json", path, "nope").json_err()["message"] == \
        f"{path}: has no vector collection nope"


def test_advice_leads_somewhere_new_item8(healthy):
    """check stopping at quick_check must not send the user to doctor and back:
    it points at salvage; doctor then skips check --deep; and check --deep
    never suggests running itself again."""
    path, ids = healthy
    damaged = path.replace("healthy", "pages")
    shutil.copy(path, damaged)
    fx.break_quick_check(damaged)
    for argv in (["check", damaged], ["check", "--deep", damaged]):
        line = _message(zova_cli(*argv), "sqlite quick_check failed: CheckFailed")
        assert f"zova salvage --dry-run {damaged}" in line and "check" not in line.split(":", 1)[1].replace(
            "quick_check", "")
    doctor = zova_cli("doctor", damaged)
    assert doctor.code == 4 and "check --deep" not in doctor.err and f"zova salvage --dry-run {damaged}" in doctor.err
    assert all("check --deep" not in action
               for action in zova_cli("doctor", "--json", damaged).json_err()["suggested_actions"])
    fx.flip_chunk_bytes(path, ids["object_a"])
    deep = zova_cli("check", "--deep", "--json", path).json_err()
    actions = deep["suggested_actions"]
    assert len(actions) == 4 and actions[2] == "run zova salvage --dry-run <file.zova>"
    assert not any("check --deep" in action for action in actions)
    assert actions[1] == "run zova doctor <file.zova>"
    text = zova_cli("check", "--deep", path).err
    assert text.splitlines()[0] == "deep_check: failed"
    assert text.endswith(f"suggested_actions:\n  restore from a recent backup if available\n  run zova doctor {path}\n"
                         f"  run zova salvage --dry-run {path}\n  run zova salvage {path} <destination.zova>\n")


# ---- item 9: progress on stderr, for every phase ----

def _terminal_run(argv: list[str], *, stdout_tty: bool = False, stderr_tty: bool = True) -> tuple[int, bytes, bytes]:
    """Runs zova with the chosen streams on a pseudo-terminal; returns (code,
    terminal bytes, piped bytes)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([ZOVA, *argv], stdin=subprocess.DEVNULL,
                            stdout=slave if stdout_tty else subprocess.PIPE,
                            stderr=slave if stderr_tty else subprocess.PIPE)
    os.close(slave)
    terminal = b""
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
            terminal += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    piped = (proc.stdout or proc.stderr).read()
    return proc.wait(), terminal, piped


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """128 MiB of objects: long enough that the copy's verification is seen."""
    path = str(tmp_path_factory.mktemp("big") / "big.zova")
    with zova.Database.create(path) as db:
        db.begin()
        for _ in range(16):
            fx.put_object_sql(db, os.urandom(8 * 1024 * 1024), 60_000)
        db.commit()
    return path


def test_progress_needs_only_stderr_on_a_terminal_item9(big):
    code, terminal, stdout = _terminal_run(["check", "--deep", big])
    assert code == 0 and b"deep check: " in terminal and b"%" in terminal
    assert stdout.startswith(b"quick_check: ok\ndeep_check: ok\n") and b"\r" not in stdout and b"%" not in stdout
    code, terminal, stderr = _terminal_run(["check", "--deep", big], stdout_tty=True, stderr_tty=False)
    assert code == 0 and stderr == b"" and b"%" not in terminal and b"status: ok" in terminal
    code, terminal, stdout = _terminal_run(["check", "--deep", "--json", big])
    assert code == 0 and terminal == b"" and json.loads(stdout)["deep_check"] == "ok"


def test_progress_covers_the_phases_after_the_bytes_item9(big, tmp_path):
    code, terminal, _ = _terminal_run(["check", "--deep", big])
    assert code == 0 and b"integrity_check" in terminal   # the phase after the byte bar is named
    assert terminal.endswith(b"\r\x1b[K")                   # and the line is cleared before the report
    destination = str(tmp_path / "copy.zova")
    code, terminal, stdout = _terminal_run(["backup", big, destination])
    assert code == 0 and stdout.startswith(b"backup: ok\n"), terminal
    assert b"backup: copying [" in terminal and b"%" in terminal
    assert b"backup: verifying the destination" in terminal
    code, terminal, _ = _terminal_run(["backup", "--json", big, str(tmp_path / "quiet.zova")])
    assert code == 0 and terminal == b""
    code, terminal, _ = _terminal_run(["salvage", "--dry-run", big])
    assert code == 0 and b"salvage: " in terminal and b"%" in terminal


def test_no_progress_for_quick_commands_item9(healthy):
    code, terminal, stdout = _terminal_run(["doctor", healthy[0]])
    assert code == 0 and terminal == b"" and stdout.startswith(b"Zova doctor: ")


# ---- item 10: start-up ----

def _imported(code: str, *argv: str) -> set[str]:
    """The modules a fresh interpreter has imported after ``code`` ran (with argv)."""
    probe = (f"import sys\nsys.argv = ['zova', *{list(argv)!r}]\n{code}\n"
             "print('MODULES', *sorted(sys.modules), file=sys.__stderr__)\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    lines = [line for line in result.stderr.splitlines() if line.startswith("MODULES ")]
    assert lines, result.stderr
    return set(lines[-1].split()[1:])


def test_start_up_imports_neither_numpy_nor_diagnostics_for_help_item10(healthy):
    modules = _imported("import zova.cli")
    assert "numpy" not in modules and "zova.diagnostics" not in modules and "click" in modules
    modules = _imported("import zova")
    assert "numpy" not in modules
    code = ("from zova.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass")
    for argv in (["--help"], ["objects", "--help"]):
        modules = _imported(code, *argv)
        assert "zova.cli" in modules and "numpy" not in modules and "zova.diagnostics" not in modules, argv
    modules = _imported(code, "info", healthy[0])
    assert "zova.diagnostics" in modules and "numpy" not in modules


def test_vectors_still_use_numpy_when_asked_item10(tmp_path):
    script = ("import sys, zova\nassert 'numpy' not in sys.modules\n"
              f"db = zova.Database.create({str(tmp_path / 'v.zova')!r})\n"
              "db.create_vector_collection('c', zova.VectorCollectionOptions(2, 1))\n"
              "db.put_vector('c', 'a', [1.0, 2.0])\n"
              "import numpy\nassert isinstance(db.get_vector('c', 'a').array, numpy.ndarray)\n"
              "print(db.search_vectors('c', numpy.array([1.0, 2.0], dtype='float32'), 1)[0].id)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stdout == "a\n", result.stderr


# ---- item 11: stats in upstream's order ----

STATS_ORDER = [
    "package_version", "sqlite_version", "format_version", "database_bytes", "wal_bytes", "journal_bytes",
    "page_count", "page_size", "freelist_count", "objects", "object_logical_bytes", "object_size_min",
    "object_size_max", "object_size_avg", "object_chunk_count_min", "object_chunk_count_max",
    "object_chunk_count_avg", "chunks", "manifest_rows", "loose_chunks", "stored_chunk_bytes", "chunk_size_min",
    "chunk_size_max", "chunk_size_avg", "loose_chunk_bytes", "deduped_bytes_saved", "vectors", "user_tables",
    "private_tables", "limit", "vector_collections", "top_objects", "top_chunks",
]


def test_stats_lines_in_upstream_order_item11(healthy):
    path, _ = healthy
    result = zova_cli("stats", path)
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == f"Zova stats: {path}"
    keys = [line.split(":")[0] for line in lines[1:] if not line.startswith("  ")]
    assert keys == STATS_ORDER
    assert "vector_collections:" in lines and not any(line.startswith("vector_collections: ") for line in lines)
    index = lines.index("vector_collections:")
    assert lines[index + 1] == "  docs dimensions=2 metric=cosine vectors=1 stored_bytes=8"
    assert lines[index - 1] == "limit: 10"
