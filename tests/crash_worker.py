"""Child process of the crash and multi-process tests (issue 7).

    python crash_worker.py PATH LOG SEED MODE [OPS] [BUSY_MS] [KINDS] [PAUSE_MS]

Runs object puts, put_objects batches, writer streams, vector put_many and SQL
transactions on PATH with content derived from (SEED, op number), so the
parent can regenerate every payload exactly. Before each call it appends an
``intent`` line to LOG; after the call RETURNS it appends a ``done`` line and
fsyncs LOG. The parent therefore knows exactly which writes returned before a
SIGKILL (``done``) and which one may have been cut off (the last ``intent``).

MODE ``crash``: loop until killed. MODE ``contend``: run OPS operations with a
busy timeout of BUSY_MS, retrying BUSY/LOCKED (counted in the final ``exit``
line), then exit 0; any other error is logged as ``error`` and exits 3.
KINDS (comma separated) restricts the operation kinds. PAUSE_MS sleeps between
operations: a rollback-journal writer that commits back to back holds its
exclusive lock nearly all the time, and readers in another process are locked
out until it stops (SQLite's busy handler polls, it does not queue).

The generators below are imported by the tests to rebuild expected payloads.
"""
from __future__ import annotations

import json
import os
import sys
import time

import numpy as np

COLLECTION = "crashvec"
DIMENSIONS = 16
KINDS = ("obj", "objs", "stream", "vec", "vec1", "sql")
# "del" deletes the object the same child stored in its previous op. Only a
# lone child uses it: next to another writer a delete may legitimately make
# that writer's finish fail with 52 (docs/c-api.md §7.7, chunk deleted by another handle).
CRASH_KINDS = KINDS + ("del",)
SCHEMA = ("create table if not exists crash_rows (batch text not null, i integer not null, total integer not null, "
          "payload blob not null, primary key (batch, i))")
_COMMON_SEED = 0xC0FFEE
_MIB = 1 << 20
WRITER_FLUSH = 128 * _MIB  # ZV_WRITER_FLUSH: a write after this much is staged stores it before finish


# ---------------------------------------------------------------------------
# deterministic payloads (shared with the parent)


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng([int(k) for k in key])


def common_block(k: int) -> bytes:
    """One of 8 shared 96 KiB blocks: objects that start with one share chunks
    across ops and across killed children (deduplication under crashes)."""
    return _rng(_COMMON_SEED, k % 8).bytes(96 * 1024)


def object_bytes(seed: int, n: int, item: int, size: int, common: int) -> bytes:
    """The payload of object `item` of op `n`; common >= 0 prefixes a shared block."""
    unique = _rng(seed, n, item, 1).bytes(size)
    if common < 0:
        return unique
    return common_block(common) + unique


def stream_pieces(seed: int, n: int, size: int) -> list[int]:
    """How op n splits its stream into writes (sizes summing to `size`)."""
    rng = _rng(seed, n, 2)
    pieces = []
    left = size
    while left > 0:
        piece = min(left, int(rng.choice([1, 100, 4096, 65535, 65536, 300_000, 2 * _MIB])))
        pieces.append(piece)
        left -= piece
    return pieces


def vector_matrix(seed: int, n: int, count: int) -> np.ndarray:
    rng = _rng(seed, n, 3)
    matrix = rng.standard_normal((count, DIMENSIONS)).astype(np.float32)
    matrix[:, 0] += 0.5  # never a zero vector (the collection is cosine)
    return matrix


def vector_ids(seed: int, n: int, count: int) -> list[str]:
    return [f"v{seed}-{n}-{i}-of-{count}" for i in range(count)]


def sql_payload(seed: int, n: int, i: int) -> bytes:
    return _rng(seed, n, i, 4).bytes(int(_rng(seed, n, i, 5).integers(1, 3000)))


def plan(seed: int, n: int, kinds=KINDS) -> dict:
    """The op number n of a child with this seed (everything the parent needs)."""
    rng = _rng(seed, n, 0)
    kind = str(rng.choice(list(kinds)))
    op = {"kind": kind, "n": n}
    if kind == "obj":
        op["size"] = int(rng.choice([0, 1, 100, 3000, 70_000, 250_000]))
        op["common"] = int(rng.integers(0, 8)) if rng.random() < 0.3 else -1
        if op["size"] == 0:
            op["common"] = -1
    elif kind == "objs":
        count = int(rng.integers(1, 6))
        op["sizes"] = [int(rng.integers(1, 150_000)) for _ in range(count)]
        op["commons"] = [int(rng.integers(0, 8)) if rng.random() < 0.3 else -1 for _ in range(count)]
    elif kind == "stream":
        # A stream of more than the writer stages before a flush (128 MiB,
        # csrc/object_writer.c; writes are at most 2 MiB, so one follows)
        # commits chunks before finish: a kill then leaves loose chunks (valid,
        # docs/file-format.md §3; the deep check verifies them).
        op["size"] = int(rng.integers(WRITER_FLUSH + 2 * _MIB + 1, WRITER_FLUSH + 3 * _MIB)) if rng.random() < 0.15 \
            else int(rng.integers(1, 400_000))
        op["common"] = int(rng.integers(0, 8)) if rng.random() < 0.3 else -1
    elif kind == "vec":
        op["count"] = int(rng.integers(2, 60))
    elif kind == "vec1":
        op["count"] = 1
    elif kind == "sql":
        op["count"] = int(rng.integers(1, 40))
    elif kind == "del":
        previous = plan(seed, n - 1, kinds) if n > 0 else None
        usable = previous is not None and previous["kind"] in ("obj", "stream") and previous["size"] > 0
        op["target"] = previous if usable else None
    return op


def expected_objects(seed: int, op: dict) -> list[bytes]:
    """The payloads an op stores (objects of obj/objs/stream)."""
    n = op["n"]
    if op["kind"] == "obj" or op["kind"] == "stream":
        return [object_bytes(seed, n, 0, op["size"], op["common"])]
    if op["kind"] == "objs":
        return [object_bytes(seed, n, i, size, common)
                for i, (size, common) in enumerate(zip(op["sizes"], op["commons"]))]
    return []


# ---------------------------------------------------------------------------
# the child


class _Log:
    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def write(self, record: dict, sync: bool) -> None:
        os.write(self.fd, (json.dumps(record, separators=(",", ":")) + "\n").encode())
        if sync:
            os.fsync(self.fd)


def _retry(call, counter: dict, retryable: tuple):
    import zova
    while True:
        try:
            return call()
        except zova.ZovaError as error:
            if error.status not in retryable:
                raise
            counter[str(error.status)] = counter.get(str(error.status), 0) + 1


def run_op(db, seed: int, op: dict, busy: dict, retryable: tuple) -> dict:
    """Performs op; returns what the done line records."""
    import zova
    kind, n = op["kind"], op["n"]
    if kind == "obj":
        data = expected_objects(seed, op)[0]
        object_id = _retry(lambda: db.put_object(data), busy, retryable)
        return {"ids": [object_id.hex()]}
    if kind == "objs":
        items = expected_objects(seed, op)
        ids = _retry(lambda: db.put_objects(items), busy, retryable)
        return {"ids": [i.hex() for i in ids]}
    if kind == "stream":
        import zova
        data = expected_objects(seed, op)[0]
        view = memoryview(data)
        while True:
            writer = _retry(db.object_writer, busy, retryable)
            with writer:
                offset = 0
                for piece in stream_pieces(seed, n, len(data)):
                    # A failed write leaves the writer as before it: retry it.
                    _retry(lambda: writer.write(view[offset:offset + piece]), busy, retryable)
                    offset += piece
                try:
                    object_id = writer.finish()
                except zova.ZovaError as error:
                    # Python closes the writer after a failed finish
                    # (docs/python.md §2.3): stream again from the start.
                    if error.status not in retryable:
                        raise
                    busy[str(error.status)] = busy.get(str(error.status), 0) + 1
                    continue
            return {"ids": [object_id.hex()]}
    if kind in ("vec", "vec1"):
        count = op["count"]
        ids = vector_ids(seed, n, count)
        matrix = vector_matrix(seed, n, count)
        if kind == "vec1":
            _retry(lambda: db.put_vector(COLLECTION, ids[0], matrix[0]), busy, retryable)
        else:
            _retry(lambda: db.put_vectors(COLLECTION, ids, matrix), busy, retryable)
        return {}
    if kind == "del":
        if op["target"] is not None:
            data = expected_objects(seed, op["target"])[0]
            _retry(lambda: db.delete_object(zova.object_id(data)), busy, retryable)
        return {}
    if kind == "sql":
        count = op["count"]
        batch = f"b{seed}-{n}"

        def transaction() -> None:
            import zova
            db.begin_immediate()
            try:
                with db.prepare("insert into crash_rows (batch, i, total, payload) values (?, ?, ?, ?)") as insert:
                    for i in range(count):
                        insert.reset()
                        insert.bind_text(1, batch)
                        insert.bind_int(2, i)
                        insert.bind_int(3, count)
                        insert.bind_blob(4, sql_payload(seed, n, i))
                        insert.step()
                db.commit()
            except zova.ZovaError:
                db.rollback()
                raise
        _retry(transaction, busy, retryable)
        return {}
    raise ValueError(kind)


def main(argv: list[str]) -> int:
    import zova
    from zova._native import lib
    path, log_path, seed, mode = argv[1], argv[2], int(argv[3]), argv[4]
    ops = int(argv[5]) if len(argv) > 5 else 0
    busy_ms = int(argv[6]) if len(argv) > 6 else 0
    kinds = tuple(argv[7].split(",")) if len(argv) > 7 else KINDS
    pause_s = int(argv[8]) / 1000 if len(argv) > 8 else 0.0
    log = _Log(log_path)
    # With a busy timeout (contend, or crash next to another writer) BUSY and
    # LOCKED are retried; in a lone crash run any error is a failure.
    retryable = (lib.ZOVA_BUSY, lib.ZOVA_LOCKED) if mode == "contend" or busy_ms > 0 else ()
    busy: dict[str, int] = {}  # status -> retries
    db = _retry(lambda: zova.Database.open(path, busy_timeout_ms=busy_ms), busy, retryable)
    log.write({"ready": seed, "pid": os.getpid()}, True)
    n = 0
    try:
        while mode == "crash" or n < ops:
            op = plan(seed, n, kinds)
            log.write({"intent": op, "seed": seed}, False)
            done = run_op(db, seed, op, busy, retryable)
            log.write({"done": op, "seed": seed, **done}, True)
            n += 1
            if pause_s:
                time.sleep(pause_s)
    except Exception as error:  # reported to the parent, which fails the test
        log.write({"error": repr(error), "status": getattr(error, "status", None), "seed": seed, "n": n}, True)
        return 3
    db.close()
    log.write({"exit": seed, "ops": n, "busy_retries": sum(busy.values()), "retried_statuses": busy}, True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))


# ---------------------------------------------------------------------------
# the parent side: what the log says, and the checks after a kill


def read_log(path: str) -> list[dict]:
    """Complete lines of a child's log (a line cut by the kill is ignored)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return []
    lines = data.split(b"\n")
    return [json.loads(line) for line in lines[:-1] if line]


class Expected:
    """Every write whose call returned (``done``) and every write that may be in
    flight (``intent`` without ``done``) over all children on one file."""

    def __init__(self) -> None:
        self.done: list[tuple[int, dict]] = []
        self.intended: set[tuple[int, int]] = set()
        self.pending: list[tuple[int, dict]] = []
        self.object_ids: dict[bytes, tuple[int, dict, int]] = {}  # id -> (seed, op, item): must be there
        self.maybe_object_ids: set[bytes] = set()
        self.maybe_present: dict[bytes, tuple[int, dict, int]] = {}  # a delete was cut off: there or not
        self.deleted: set[bytes] = set()  # a delete returned: must be gone

    def add_log(self, records: list[dict]) -> dict:
        """Adds a killed child's log; returns its last record."""
        import hashlib
        open_intent = None
        for record in records:
            if "error" in record:
                raise AssertionError(f"child reported an error: {record}")
            if "intent" in record:
                open_intent = (record["seed"], record["intent"])
                self.intended.add((record["seed"], record["intent"]["n"]))
                target = record["intent"].get("target")
                if target is not None:
                    victim = hashlib.sha256(expected_objects(record["seed"], target)[0]).digest()
                    self.object_ids.pop(victim, None)
                    self.maybe_present[victim] = (record["seed"], target, 0)
                for item, data in enumerate(expected_objects(record["seed"], record["intent"])):
                    self.maybe_object_ids.add(hashlib.sha256(data).digest())
            elif "done" in record:
                seed, op = record["seed"], record["done"]
                assert open_intent == (seed, op), (open_intent, record)
                open_intent = None
                self.done.append((seed, op))
                if op.get("target") is not None:
                    victim = hashlib.sha256(expected_objects(seed, op["target"])[0]).digest()
                    del self.maybe_present[victim]
                    self.deleted.add(victim)
                payloads = expected_objects(seed, op)
                assert [hashlib.sha256(p).hexdigest() for p in payloads] == record.get("ids", []), record
                for item, data in enumerate(payloads):
                    self.object_ids.setdefault(hashlib.sha256(data).digest(), (seed, op, item))
        if open_intent is not None:
            self.pending.append(open_intent)
        return records[-1] if records else {}


def _fetch(db, sql: str, *params) -> list[tuple]:
    with db.prepare(sql) as statement:
        for index, value in enumerate(params, start=1):
            if isinstance(value, int):
                statement.bind_int(index, value)
            elif isinstance(value, str):
                statement.bind_text(index, value)
            else:
                statement.bind_blob(index, value)
        return statement.fetchall()


def verify(path: str, expected: Expected, context: str) -> dict:
    """All the after-kill checks of issue 7; raises AssertionError naming `context`.
    Returns counters (objects, vectors, rows, loose chunks) for the report."""
    import hashlib
    import zova
    from zova import diagnostics
    with zova.Database.open(path) as db:
        assert _fetch(db, "pragma integrity_check") == [("ok",)], context
        assert _fetch(db, "pragma foreign_key_check") == [], context
        # No manifest row without its object row, and no object row with a short manifest.
        assert _fetch(db, "select count(*) from _zova_object_chunks where object_id not in "
                          "(select object_id from _zova_objects)") == [(0,)], context
        assert _fetch(db, "select count(*) from _zova_objects o where chunk_count != (select count(*) from "
                          "_zova_object_chunks m where m.object_id = o.object_id)") == [(0,)], context
        # Every stored object was intended by some child, and every returned put is intact.
        stored = {row[0] for row in _fetch(db, "select object_id from _zova_objects")}
        phantom = stored - expected.maybe_object_ids - {hashlib.sha256(b"").digest()}
        assert not phantom, f"{context}: objects nobody wrote: {[p.hex() for p in phantom]}"
        for object_id, (seed, op, item) in expected.object_ids.items():
            data = expected_objects(seed, op)[item]
            got = db.get_object(zova.ObjectId(object_id))
            assert got == data, f"{context}: object {object_id.hex()} of seed {seed} op {op} differs"
        # Deletes: a returned one is gone for good, one cut off left the object whole or gone.
        for object_id in expected.deleted:
            assert not db.has_object(zova.ObjectId(object_id)), f"{context}: deleted {object_id.hex()} is back"
        for object_id, (seed, op, item) in expected.maybe_present.items():
            if db.has_object(zova.ObjectId(object_id)):
                assert db.get_object(zova.ObjectId(object_id)) == expected_objects(seed, op)[item], context
        # An op cut off by the kill is all or nothing.
        for seed, op in expected.pending:
            payloads = [p for p in expected_objects(seed, op) if p]
            present = [db.has_object(zova.object_id(p)) for p in payloads]
            assert all(present) or not any(present), f"{context}: half of {op} (seed {seed}) is visible"
            for p, here in zip(payloads, present):
                if here:
                    assert db.get_object(zova.object_id(p)) == p, context
        # Vectors: every returned put present and equal; every batch all or nothing.
        rows = _fetch(db, 'select vector_id, "values" from _zova_vectors where collection_name = ?', COLLECTION)
        stored_vectors = {vid: blob for vid, blob in rows}
        batches: dict[str, int] = {}
        for vid in stored_vectors:
            prefix, _, count = vid.rpartition("-of-")
            seed_n = prefix.rsplit("-", 1)[0]
            batches[seed_n + "-of-" + count] = batches.get(seed_n + "-of-" + count, 0) + 1
            seed, n = (int(x) for x in seed_n[1:].split("-"))
            assert (seed, n) in expected.intended, f"{context}: vector {vid} nobody wrote"
        for key, found in batches.items():
            assert found == int(key.rpartition("-of-")[2]), f"{context}: vector batch {key} has {found} rows"
        if stored_vectors:
            # Search over the recovered rows equals a numpy brute force (cosine, ties by id).
            ids = sorted(stored_vectors)
            matrix = np.stack([np.frombuffer(stored_vectors[i], dtype="<f4") for i in ids]).astype(np.float64)
            query = _rng(len(ids), 9).standard_normal(DIMENSIONS).astype(np.float32)
            q = query.astype(np.float64)
            distances = 1.0 - (matrix @ q) / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(q))
            order = sorted(range(len(ids)), key=lambda j: (distances[j], ids[j].encode()))[:10]
            results = db.search_vectors(COLLECTION, query, 10)
            assert [r.id for r in results] == [ids[j] for j in order], f"{context}: search after recovery"
        vectors_checked = 0
        for seed, op in expected.done:
            if op["kind"] not in ("vec", "vec1"):
                continue
            matrix = vector_matrix(seed, op["n"], op["count"])
            for vid, values in zip(vector_ids(seed, op["n"], op["count"]), matrix):
                assert vid in stored_vectors, f"{context}: vector {vid} lost"
                assert stored_vectors[vid] == values.astype("<f4").tobytes(), f"{context}: vector {vid} differs"
                assert np.array_equal(db.get_vector(COLLECTION, vid).array, values), context
                vectors_checked += 1
        # SQL: every transaction all or nothing; every committed one intact.
        for batch, count, total in _fetch(db, "select batch, count(*), max(total) from crash_rows group by batch"):
            assert count == total, f"{context}: SQL batch {batch} has {count} of {total} rows"
            seed, n = (int(x) for x in batch[1:].split("-"))
            assert (seed, n) in expected.intended, f"{context}: SQL batch {batch} nobody wrote"
        rows_checked = 0
        for seed, op in expected.done:
            if op["kind"] != "sql":
                continue
            got = _fetch(db, "select i, payload from crash_rows where batch = ? order by i", f"b{seed}-{op['n']}")
            assert got == [(i, sql_payload(seed, op["n"], i)) for i in range(op["count"])], \
                f"{context}: SQL batch b{seed}-{op['n']} lost or changed"
            rows_checked += op["count"]
        loose = _fetch(db, "select count(*) from _zova_chunks where chunk_hash not in "
                           "(select chunk_hash from _zova_object_chunks)")[0][0]
    report = diagnostics.check(path, deep=True)
    assert report.ok, f"{context}: deep check failed: {report.to_dict()}"
    assert report.diagnostics.checked["loose_chunks"] == loose, context
    return {"objects": len(expected.object_ids), "vectors": vectors_checked, "rows": rows_checked,
            "loose_chunks": loose}
