"""Crash safety (issue 7; docs/c-api.md §4.8-§4.13 atomicity, docs/cli.md §1.6 deep check).

A child process (tests/crash_worker.py) runs object puts, put_objects batches,
writer streams (some longer than the writer's 8 MiB buffer, so chunks commit
before finish), vector put/put_many and SQL transactions on one file, and is
SIGKILLed at a random moment. The child appends a line to a side log and
fsyncs it after each call RETURNS. After every kill the file must open,
``pragma integrity_check`` and the deep check must be clean, every logged
write must be present and intact (objects byte-identical, vectors equal, SQL
rows present), the op cut off by the kill must be all or nothing, and nothing
nobody wrote may be visible. Loose chunks left by a killed writer stream are
valid (docs/file-format.md §3: loose chunks are kept; the deep check verifies them).

CI: 20 kills per journal mode. ``ZOVA_LONG=1``: 200 kills per mode. A second
test kills one of two writers on the same file while the other keeps writing
(so a live process meets the dead one's hot journal or WAL), then the other.
The default rollback journal and WAL (set by the application, as Zova sets no
PRAGMA, docs/file-format.md §1) are both covered.
"""
from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import zova
from crash_worker import COLLECTION, CRASH_KINDS, DIMENSIONS, SCHEMA, Expected, read_log, verify

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crash_worker.py")
LONG = os.environ.get("ZOVA_LONG") == "1"
KILLS = 200 if LONG else 20
PAIR_ROUNDS = 60 if LONG else 6
FILE_EVERY = 10          # a fresh file every N kills bounds the verification cost of the long run
MAX_DELAY = 0.6          # seconds a child runs before its SIGKILL (uniform from 0)
BASE_SEED = int(os.environ.get("ZOVA_CRASH_SEED", "7001"))


def _new_file(path: str, wal: bool) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    with zova.Database.create(path) as db:
        if wal:
            db.exec("pragma journal_mode = wal")
        db.create_vector_collection(COLLECTION, zova.VectorCollectionOptions(DIMENSIONS, 0))
        db.exec(SCHEMA)


def _wait_ready(log: str, process: subprocess.Popen, context: str) -> None:
    deadline = time.monotonic() + 60
    while not read_log(log):
        if process.poll() is not None:
            raise AssertionError(f"{context}: child exited with {process.returncode} before opening")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"{context}: child did not open the file within 60 s")
        time.sleep(0.005)


def crash_campaign(tmp_path, wal: bool, kills: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    path = str(tmp_path / "crash.zova")
    mode = "wal" if wal else "rollback-journal"
    stats = {"kills": 0, "mid_call": 0, "hot_journal": 0, "files": 0, "done_ops": 0, "objects": 0, "vectors": 0,
             "rows": 0, "loose_chunks": 0, "max_done_per_child": 0, "verify_seconds": 0.0}
    done_kinds: collections.Counter = collections.Counter()
    expected = None
    for kill in range(kills):
        if kill % FILE_EVERY == 0:
            _new_file(path, wal)
            expected = Expected()
            stats["files"] += 1
        child_seed = seed * 100_000 + kill
        context = f"[{mode} base seed {seed}, kill {kill}, child seed {child_seed}]"
        log = str(tmp_path / f"log-{kill}.jsonl")
        with open(tmp_path / f"child-{kill}.err", "wb") as err:
            process = subprocess.Popen([sys.executable, WORKER, path, log, str(child_seed), "crash", "0", "0",
                                        ",".join(CRASH_KINDS)], stdout=subprocess.DEVNULL, stderr=err)
        try:
            _wait_ready(log, process, context)
            time.sleep(float(rng.uniform(0, MAX_DELAY)))
            process.send_signal(signal.SIGKILL)
        finally:
            process.kill()
            process.wait()
        records = read_log(log)
        errors = (tmp_path / f"child-{kill}.err").read_text()
        assert process.returncode == -signal.SIGKILL, f"{context}: child ended {process.returncode}: {errors}"
        before = len(expected.done)
        last = expected.add_log(records)
        stats["kills"] += 1
        stats["mid_call"] += "intent" in last
        stats["done_ops"] += len(expected.done) - before
        done_kinds.update(op["kind"] for _, op in expected.done[before:])
        stats["max_done_per_child"] = max(stats["max_done_per_child"], len(expected.done) - before)
        hot = (os.path.exists(path + "-journal") and os.path.getsize(path + "-journal") > 0) or \
            (os.path.exists(path + "-wal") and os.path.getsize(path + "-wal") > 0)
        stats["hot_journal"] += hot
        started = time.monotonic()
        counts = verify(path, expected, context)
        stats["verify_seconds"] += time.monotonic() - started
        if kill % FILE_EVERY == FILE_EVERY - 1 or kill == kills - 1:
            for key in ("objects", "vectors", "rows"):
                stats[key] += counts[key]
        stats["loose_chunks"] = max(stats["loose_chunks"], counts["loose_chunks"])
        os.unlink(log)
    if wal:
        with zova.Database.open(path) as db:
            assert db.prepare("pragma journal_mode").fetchall() == [("wal",)]
    # The CLI agrees on the last file (docs/cli.md §1.6: exit 0, deep_check ok).
    cli = os.path.join(os.path.dirname(sys.executable), "zova")
    result = subprocess.run([cli, "check", "--deep", "--json", path], capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout)["deep_check"] == "ok"
    stats["verify_seconds"] = round(stats["verify_seconds"], 1)
    stats["returned_by_kind"] = dict(done_kinds)
    print(f"\ncrash campaign {mode}: {stats}")
    return stats


@pytest.mark.parametrize("wal", [False, True], ids=["rollback-journal", "wal"])
def test_sigkill_at_random_moments_loses_no_returned_write_issue7(tmp_path, wal):
    """Issue 7 crash safety: KILLS SIGKILLs (20 in CI, 200 with ZOVA_LONG=1)."""
    stats = crash_campaign(tmp_path, wal, KILLS, BASE_SEED + (1 if wal else 0))
    assert stats["kills"] == KILLS
    # The campaign must really have exercised work: writes returned, and some
    # kills landed inside a call (the last log line an intent).
    assert stats["done_ops"] >= KILLS
    assert stats["mid_call"] >= KILLS // 4, stats


@pytest.mark.parametrize("wal", [False, True], ids=["rollback-journal", "wal"])
def test_sigkill_one_of_two_writers_while_the_other_writes_issue7(tmp_path, wal):
    """Two children write to one file with a busy timeout (retrying BUSY); one is
    killed at a random moment and the other keeps writing over its remains, then
    it is killed too. Every returned write of both must be there afterwards."""
    seed = BASE_SEED + 10 + (1 if wal else 0)
    rng = np.random.default_rng(seed)
    path = str(tmp_path / "pair.zova")
    mode = "wal" if wal else "rollback-journal"
    mid_call = returned = 0
    expected = Expected()
    for round_ in range(PAIR_ROUNDS):
        if round_ % FILE_EVERY == 0:
            returned += len(expected.done)
            _new_file(path, wal)
            expected = Expected()
        context = f"[{mode} pair base seed {seed}, round {round_}]"
        children = []
        for slot in range(2):
            child_seed = seed * 100_000 + 2 * round_ + slot
            log = str(tmp_path / f"pair-{round_}-{slot}.jsonl")
            process = subprocess.Popen([sys.executable, WORKER, path, log, str(child_seed), "crash", "0", "5000"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            children.append((process, log))
        try:
            for process, log in children:
                _wait_ready(log, process, context)
            for process, log in children:
                time.sleep(float(rng.uniform(0.05, MAX_DELAY / 2)))
                process.send_signal(signal.SIGKILL)
                process.wait()
        finally:
            for process, _ in children:
                process.kill()
                process.wait()
        for process, log in children:
            errors = process.stderr.read().decode()
            process.stderr.close()
            assert process.returncode == -signal.SIGKILL, f"{context}: child ended {process.returncode}: {errors}"
            mid_call += "intent" in expected.add_log(read_log(log))
        verify(path, expected, context)
    returned += len(expected.done)
    print(f"\npair crash {mode}: {PAIR_ROUNDS} rounds, {2 * PAIR_ROUNDS} kills ({mid_call} inside a call), "
          f"{returned} returned writes checked")
    assert returned >= PAIR_ROUNDS
