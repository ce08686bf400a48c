"""The library's own threads (process.c): the object writer's cutter and the
parallel vector scan (vector_kernels.c) start with every signal blocked, so a
signal sent to the process is handled by one of the application's threads,
never by ours (a handler would otherwise run, and interrupt system calls, on a
thread the application does not know about). Read from the kernel:
/proc/self/task/*/status."""
from __future__ import annotations

import os
import pathlib
import signal
import threading
import time

import zova

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1, signal.SIGCHLD, signal.SIGALRM, signal.SIGPIPE)


def _threads() -> set[str]:
    return set(os.listdir("/proc/self/task"))


def _blocked(tid: str) -> set[int]:
    """Which of SIGNALS thread tid blocks."""
    with open(f"/proc/self/task/{tid}/status") as status:
        for line in status:
            if line.startswith("SigBlk:"):
                mask = int(line.split()[1], 16)
                return {signum for signum in SIGNALS if mask >> (signum - 1) & 1}
    raise AssertionError("no SigBlk line")


def _wait_until_idle(tid: str) -> None:
    """Until the thread sleeps: the cutter waiting for more to cut (its only
    sleep; reading the staging file hits the page cache)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with open(f"/proc/self/task/{tid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "S":
                return
        time.sleep(0.01)
    raise AssertionError(f"thread {tid} never went idle")


def test_this_thread_lets_the_signals_through():
    """The check below can fail: the test's own thread blocks none of them."""
    assert _blocked(str(threading.get_native_id())) == set()


def test_object_writer_cutter_thread_blocks_every_signal(path):
    with zova.Database.create(path) as db:
        before = _threads()
        with db.object_writer() as writer:
            writer.write(os.urandom(4 << 20))  # 1 MiB or more to cut starts the cutter's thread
            ours = _threads() - before
            assert len(ours) == 1, ours
            tid = ours.pop()
            _wait_until_idle(tid)  # past glibc's start-up, which blocks every signal for a moment
            assert _blocked(tid) == set(SIGNALS)
            writer.finish()


def test_every_library_thread_starts_through_zv_thread_start():
    """The scan threads of vector_kernels.c start and end inside one search,
    too briefly to read their mask reliably (a thread glibc is still starting
    shows every signal blocked): instead, no C file but process.c calls
    pthread_create, so every thread gets the mask the test above reads."""
    csrc = pathlib.Path(__file__).resolve().parent.parent / "csrc"
    callers = sorted(source.name for source in csrc.glob("*.c") if "pthread_create(" in source.read_text())
    assert callers == ["process.c"]
