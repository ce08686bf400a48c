"""Ctrl-C and SIGTERM during a long command (issue 13 items 2 and 3): the
command stops within 0.5 s, removes the destination it created (nothing
half-made that looks finished is left), says so, and exits 130 (SIGINT) or
143 (SIGTERM). Driven through the installed ``zova`` on a file of 320 MiB.
On the old CLI, salvage printed "Aborted!", exited 1 and left a 53 KB
destination that passed check --deep; backup took effect after the copy."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time

import pytest

import zova
from zova_fixtures import installed_zova

LATENCY = 0.5   # seconds from the signal to the exit


ZOVA = installed_zova()


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> str:
    """A .zova file of 320 MiB of objects (five of 64 MiB), plus a user table."""
    path = str(tmp_path_factory.mktemp("interrupts") / "big.zova")
    with zova.Database.create(path) as db:
        db.exec("create table notes (body text)")
        db.exec("insert into notes values ('keep')")
        for _ in range(5):
            db.put_object(os.urandom(64 << 20))   # random: nothing deduplicates
    assert os.path.getsize(path) >= 300 << 20
    return path


@pytest.fixture(scope="module")
def big_sqlite(tmp_path_factory) -> str:
    """A plain SQLite file of 320 MiB for convert."""
    path = str(tmp_path_factory.mktemp("interrupts-sqlite") / "big.sqlite")
    raw = sqlite3.connect(path)
    raw.execute("create table blobs (data blob)")
    raw.executemany("insert into blobs values (?)", ((os.urandom(1 << 20),) for _ in range(320)))
    raw.commit()
    raw.close()
    return path


def wait_until_reading(process: subprocess.Popen, source: str) -> None:
    """Returns once ``process`` has ``source`` open: the command is at work
    (Python's start-up and the argument parsing are behind it), however slow
    this machine or the sanitizers make the start."""
    wanted = os.path.realpath(source)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            links = [os.readlink(f"/proc/{process.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{process.pid}/fd")]
        except OSError:
            links = []   # a descriptor closed while we looked: look again
        if wanted in links:
            return
        time.sleep(0.005)
    raise AssertionError(f"zova never opened {source}")


def default_signals() -> None:
    """In the child: SIGINT and SIGTERM at their defaults, as from a terminal
    (a suite started in the background by a shell inherits SIGINT ignored)."""
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.SIG_DFL)


def interrupt(argv: list[str], number: int, after: float) -> tuple[int, float, str]:
    """Starts ``zova argv``, sends ``number`` ``after`` seconds after it opened
    its source (the first existing file in argv; the command must still be
    running then), returns (exit code, seconds to exit, stderr)."""
    process = subprocess.Popen([ZOVA, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               preexec_fn=default_signals)
    wait_until_reading(process, next(arg for arg in argv if os.path.isfile(arg)))
    time.sleep(after)
    assert process.poll() is None, f"zova {' '.join(argv)} finished before the signal: make the file bigger"
    sent = time.monotonic()
    process.send_signal(number)
    try:
        _out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(f"zova {' '.join(argv)} ignored the signal for 30 s") from None
    return process.returncode, time.monotonic() - sent, err.decode()


def assert_nothing_left(destination: str) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        assert not os.path.exists(destination + suffix), destination + suffix


SIGNALS = [(signal.SIGINT, 130, "interrupted (Ctrl-C)"), (signal.SIGTERM, 143, "terminated (SIGTERM)")]


@pytest.mark.parametrize("number,code,said", SIGNALS, ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("after", [0.3, 0.9])
def test_salvage_interrupted_leaves_no_destination_issue13_2(big, tmp_path, number, code, said, after):
    destination = str(tmp_path / "rescued.zova")
    exit_code, latency, err = interrupt(["salvage", big, destination], number, after)
    assert exit_code == code, err
    assert latency < LATENCY, f"salvage took {latency:.3f} s to stop"
    assert err.splitlines()[-1] == f"salvage: {said}; nothing was kept ({destination} does not exist)"
    assert_nothing_left(destination)
    assert "Aborted!" not in err


@pytest.mark.parametrize("number,code,said", SIGNALS, ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("command", ["backup", "compact", "restore"])
def test_copies_interrupted_leave_no_destination_issue13_2(big, tmp_path, number, code, said, command):
    destination = str(tmp_path / f"{command}.zova")
    exit_code, latency, err = interrupt([command, big, destination], number, 0.25)
    assert exit_code == code, err
    assert latency < LATENCY, f"{command} took {latency:.3f} s to stop"
    assert err.splitlines()[-1] == f"{command}: {said}; nothing was kept ({destination} does not exist)"
    assert_nothing_left(destination)


@pytest.mark.parametrize("number,code,said", SIGNALS, ids=["SIGINT", "SIGTERM"])
def test_convert_interrupted_leaves_no_destination_issue13_2(big_sqlite, tmp_path, number, code, said):
    destination = str(tmp_path / "converted.zova")
    exit_code, latency, err = interrupt(["convert", big_sqlite, destination], number, 0.25)
    assert exit_code == code, err
    assert latency < LATENCY
    assert_nothing_left(destination)


@pytest.mark.parametrize("argv", [["check", "--deep"], ["doctor"], ["salvage", "--dry-run"]],
                         ids=["check-deep", "doctor", "salvage-dry-run"])
def test_checks_interrupted_stop_and_say_so_issue13_2(big, argv):
    exit_code, latency, err = interrupt([*argv, big], signal.SIGINT, 0.25)
    assert exit_code == 130 and latency < LATENCY, err
    assert err.splitlines()[-1] == f"{argv[0]}: interrupted (Ctrl-C)"


def test_an_existing_destination_is_never_removed_issue13_2(big, tmp_path):
    """DestinationExists: the interrupt must not delete a file the command did not create."""
    existing = tmp_path / "existing.zova"
    existing.write_bytes(b"keep me")
    result = subprocess.run([ZOVA, "backup", big, str(existing)], capture_output=True)
    assert result.returncode == 3 and existing.read_bytes() == b"keep me"


def test_the_source_is_intact_after_interrupts_issue13_2(big):
    from zova import diagnostics

    assert diagnostics.check(big, deep=True).ok


def test_a_signal_before_the_command_starts_ends_the_run_issue13_2(monkeypatch, capsys):
    """Ctrl-C while zova is still parsing its arguments: exit 130 and a line
    saying so, not click's "Aborted!" with exit 1."""
    from zova import cli

    def parse_then_signal(command, argv):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.01)   # the handler runs at the next bytecode of the main thread
        raise AssertionError("the signal was not taken")

    monkeypatch.setattr(cli, "check_arguments", parse_then_signal)
    # As from a terminal (pytest started in the background inherits SIG_IGN).
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        code = cli.main.main(args=["info", "whatever.zova"], standalone_mode=False)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler   # restored afterwards
    finally:
        signal.signal(signal.SIGINT, before)
    assert code == 130
    assert capsys.readouterr().err.splitlines()[-1] == "zova: interrupted (Ctrl-C)"


def test_a_signal_ignored_at_start_stays_ignored(big, tmp_path):
    """`zova backup a b &` in a shell script starts with SIGINT ignored (so the
    Ctrl-C meant for the foreground job does not reach it): zova keeps it
    ignored, finishes the backup and exits 0."""
    destination = str(tmp_path / "copy.zova")

    def ignore_sigint() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    process = subprocess.Popen([ZOVA, "backup", big, destination], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, preexec_fn=ignore_sigint)
    wait_until_reading(process, big)
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err.decode()
    with zova.Database.open(destination) as copy, zova.Database.open(big) as source:
        assert copy.list_objects() == source.list_objects()
    check = subprocess.run([ZOVA, "check", "--deep", destination], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
