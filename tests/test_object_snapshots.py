"""A put stores a self-consistent snapshot of a buffer another thread is
changing (issue 12 item 5): every stored chunk hashes to its key, the id is the
hash of the stored bytes, and the deep check finds nothing. Before, put_object
of an 8 MiB or 2 MB bytearray being mutated returned OK and committed chunks
that failed their own hashes (5 of 5 puts each); get_object then said 54."""
from __future__ import annotations

import hashlib
import os
import threading

import pytest

import zova
from zova import diagnostics

ROUNDS = 5 * int(os.environ.get("ZOVA_THREAD_ROUNDS", "1"))


class Mutator:
    """Overwrites random slices of the buffers in a tight loop until stopped."""

    def __init__(self, buffers: list[bytearray]) -> None:
        self.buffers = buffers
        self.stop = threading.Event()
        self.writes = 0
        self.thread = threading.Thread(target=self.run)

    def run(self) -> None:
        rng = __import__("random").Random(7)
        while not self.stop.is_set():
            buffer = self.buffers[rng.randrange(len(self.buffers))]
            start = rng.randrange(len(buffer))
            buffer[start:start + 4096] = os.urandom(len(buffer[start:start + 4096]))
            self.writes += 1

    def __enter__(self) -> "Mutator":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()


def put_or_refuse(put) -> list:
    """The ids a put returned, or [] when it refused bytes that changed while
    it stored them (53, and then nothing of it is stored)."""
    try:
        return put()
    except zova.ZovaError as error:
        assert error.status == 53, error
        return []


def assert_consistent(db: zova.Database, path: str, ids: list) -> None:
    for oid in ids:
        data = db.get_object(oid)
        assert hashlib.sha256(data).digest() == oid.bytes
        manifest = db.object_manifest(oid)
        assert b"".join(db.get_object_chunk(chunk.hash) for chunk in manifest.chunks) == data
    report = diagnostics.check(path, deep=True)
    assert report.ok, report.to_dict()


@pytest.mark.parametrize("size", [8 << 20, 2_000_000])
def test_put_object_of_a_buffer_being_changed_stores_a_snapshot_issue12_5(path, size):
    db = zova.Database.create(path)
    ids = []
    for _ in range(ROUNDS):
        buffer = bytearray(os.urandom(size))
        with Mutator([buffer]) as mutator:
            while mutator.writes == 0:
                pass
            ids.extend(put_or_refuse(lambda: [db.put_object(buffer)]))
    assert_consistent(db, path, ids)
    db.close()


def test_put_objects_of_buffers_being_changed_store_snapshots_issue12_5(path):
    db = zova.Database.create(path)
    ids = []
    for _ in range(ROUNDS):
        buffers = [bytearray(os.urandom(20_000)) for _ in range(200)]
        with Mutator(buffers) as mutator:
            while mutator.writes == 0:
                pass
            ids.extend(put_or_refuse(lambda: db.put_objects(buffers)))
    assert_consistent(db, path, ids)
    db.close()


def test_writer_and_chunk_put_of_buffers_being_changed_issue12_5(path):
    """The writer copies what it is given into its staging spool, so it stores
    what write() saw; put_object_chunk stores exactly the bytes it verified
    against the expected hash, or refuses them (53)."""
    db = zova.Database.create(path)
    ids = []
    for _ in range(ROUNDS):
        buffer = bytearray(os.urandom(4 << 20))
        with Mutator([buffer]) as mutator:
            while mutator.writes == 0:
                pass
            with db.object_writer() as writer:
                for _ in range(4):
                    writer.write(buffer)
                ids.append(writer.finish())
            chunk = bytearray(os.urandom(60_000))
            expected = zova.object_chunk_id(bytes(chunk))
            mutator.buffers.append(chunk)
            try:
                db.put_object_chunk(expected, chunk)
            except zova.ZovaError as error:
                assert error.status == 53
            else:
                assert db.get_object_chunk(expected) and hashlib.sha256(db.get_object_chunk(expected)).digest() \
                    == expected.bytes
    assert_consistent(db, path, ids)
    db.close()
