"""Range reads (issue 16; docs/c-api.md §4.9, docs/file-format.md §3): a
read finds its first chunk by binary search over the manifest's stored
offsets and reads only the chunks it overlaps, each verified.

* Ranges at the start, middle and end, across chunk boundaries, of exactly
  one chunk and of the whole object return the right bytes for objects of 1,
  2 and thousands of chunks, and for assembled objects whose chunk sizes the
  caller chose (1 byte to 64 KiB, so offsets are far from evenly spaced);
* a corrupt chunk inside the range is 54 (small reads, and reads large enough
  to be hashed on the second thread); outside it the range reads, but
  get_object and the deep check (API and `zova check --deep`) fail;
* a damaged offset in the manifest is 54 for the ranges that use that row,
  never bytes from the wrong place;
* range reads and gets on one handle race with another thread's puts and
  with close (README "Threads").
"""
from __future__ import annotations

import os
import random
import subprocess
import threading

import pytest

import zova
from zova import diagnostics
from zova_fixtures import installed_zova, run

CORRUPT = zova.Status.OBJECT_CORRUPT


def _object_with_chunks(db: zova.Database, rng: random.Random, wanted: int, size: int) -> tuple[zova.ObjectId, bytes]:
    """A random object of about size bytes with exactly `wanted` chunks."""
    while True:
        data = rng.randbytes(size)
        oid = db.put_object(data)
        if db.object_chunk_count(oid) == wanted:
            return oid, data
        db.delete_object(oid)


def _assembled(db: zova.Database, rng: random.Random, count: int) -> tuple[zova.ObjectId, bytes]:
    """An object assembled from `count` loose chunks of caller-chosen sizes."""
    sizes = [rng.choice([1, 2, 7, 100, 2047, 4096, 30_000, 65_536]) for _ in range(count)]
    pieces = [rng.randbytes(n) for n in sizes]
    chunks, offset = [], 0
    for index, piece in enumerate(pieces):
        hash_ = zova.object_chunk_id(piece)
        db.put_object_chunk(hash_, piece)
        chunks.append(zova.ObjectManifestChunk(index, hash_, offset, len(piece)))
        offset += len(piece)
    data = b"".join(pieces)
    oid = zova.object_id(data)
    db.assemble_object_from_chunks(oid, len(data), chunks)
    return oid, data


def _spans(db: zova.Database, oid: zova.ObjectId, size: int, rng: random.Random) -> list[tuple[int, int]]:
    """(offset, length) pairs: start, middle, end, whole, past the end, every
    chunk exactly, across boundaries, and random ranges of up to 3 MiB."""
    chunks = db.object_manifest(oid).chunks
    spans = [(0, 1), (0, 100), (size // 2, 1), (size // 2, 5000), (max(size - 100, 0), 100), (size - 1, 1),
             (0, size), (size - 1, 10), (size, 10)]
    sample = chunks if len(chunks) <= 64 else rng.sample(chunks, 64) + [chunks[0], chunks[-1]]
    for chunk in sample:
        spans.append((chunk.offset, chunk.size_bytes))
        if chunk.offset > 0:
            spans += [(chunk.offset - 1, 2), (chunk.offset - 3, 3), (chunk.offset, 1)]
        spans.append((chunk.offset + chunk.size_bytes - 1, 1))
    spans += [(rng.randrange(size), rng.randrange(1, 3 << 20)) for _ in range(40)]
    return [(offset, length) for offset, length in spans if 0 <= offset <= size]


KINDS = ["1 chunk", "2 chunks", "thousands of chunks", "assembled, 3 chunks", "assembled, thousands"]


@pytest.mark.parametrize("kind", KINDS)
def test_ranges_return_the_right_bytes(tmp_path, kind):
    rng = random.Random(KINDS.index(kind))
    with zova.Database.create(tmp_path / "r.zova") as db:
        if kind == "1 chunk":
            oid, data = _object_with_chunks(db, rng, 1, 1500)
        elif kind == "2 chunks":
            oid, data = _object_with_chunks(db, rng, 2, 12_000)
        elif kind == "thousands of chunks":
            oid = db.put_object(data := rng.randbytes(24 << 20))
            assert db.object_chunk_count(oid) > 2000
        elif kind == "assembled, 3 chunks":
            oid, data = _assembled(db, rng, 3)
        else:
            oid, data = _assembled(db, rng, 3000)
        for offset, length in _spans(db, oid, len(data), rng):
            assert db.read_object_range(oid, offset, length) == data[offset:offset + length], (offset, length)
        assert db.get_object(oid) == data
        with pytest.raises(zova.ZovaError) as raised:
            db.read_object_range(oid, len(data) + 1, 1)
        assert raised.value.status == zova.Status.OBJECT_RANGE_INVALID


def _tamper(db: zova.Database, oid: zova.ObjectId, index: int) -> zova.ObjectManifestChunk:
    """Flips a byte of the stored chunk at manifest position index (same size)."""
    chunk = db.object_manifest(oid).chunks[index]
    stored = bytearray(run(db, "select data from _zova_chunks where chunk_hash = ?", chunk.hash.bytes)[0][0])
    stored[len(stored) // 2] ^= 0x55
    run(db, "update _zova_chunks set data = ? where chunk_hash = ?", bytes(stored), chunk.hash.bytes)
    return chunk


def _status(function, *args) -> int:
    with pytest.raises(zova.ZovaError) as raised:
        function(*args)
    return raised.value.status


@pytest.mark.parametrize("position", ["first", "middle", "last"])
def test_corrupt_chunk_fails_the_ranges_over_it_only(tmp_path, position):
    path = tmp_path / "c.zova"
    rng = random.Random(7)
    with zova.Database.create(path) as db:
        data = rng.randbytes(8 << 20)
        oid = db.put_object(data)
        chunks = db.object_manifest(oid).chunks
        index = {"first": 0, "middle": len(chunks) // 2, "last": len(chunks) - 1}[position]
        bad = _tamper(db, oid, index)
        bad_end = bad.offset + bad.size_bytes
        # Inside the range: small reads, and reads of 1 and 3 MiB (hashed on the second thread).
        for offset, length in [(bad.offset, 1), (bad_end - 1, 1), (bad.offset + 5, 10), (max(bad.offset - 10, 0), 20),
                               (max(bad.offset - (1 << 20), 0), 2 << 20), (max(bad_end - (3 << 20), 0), 3 << 20)]:
            assert _status(db.read_object_range, oid, offset, length) == CORRUPT, (offset, length)
        # Outside it: the range reads.
        before = [(0, bad.offset), (max(bad.offset - (2 << 20), 0), min(1 << 20, bad.offset)), (bad.offset - 1, 1)]
        after = [(bad_end, 1), (bad_end, 1 << 20), (bad_end, len(data)), (bad_end + 12_345, 3 << 20)]
        for offset, length in [span for span in before if span[0] >= 0 and span[1] > 0 and bad.offset > 0] + \
                [span for span in after if span[0] < len(data)]:
            assert db.read_object_range(oid, offset, length) == data[offset:offset + length], (offset, length)
        assert _status(db.get_object, oid) == CORRUPT
        with db.open_object(oid) as reader:
            with pytest.raises(zova.CorruptError):
                reader.read()
    report = diagnostics.check(path, deep=True)
    assert not report.ok
    done = subprocess.run([installed_zova(), "check", "--deep", str(path)], capture_output=True, text=True)
    assert done.returncode == 4, done.stdout + done.stderr


def test_damaged_manifest_offset_is_corrupt_not_shifted_bytes(tmp_path):
    """Row k's stored offset moved by one: every range that uses row k is 54
    (its predecessor's end disagrees, or the row does not follow it); the
    ranges before it still read; a range starting after it either reads
    right or is 54."""
    rng = random.Random(3)
    with zova.Database.create(tmp_path / "m.zova") as db:
        data = rng.randbytes(4 << 20)
        oid = db.put_object(data)
        chunks = db.object_manifest(oid).chunks
        k = len(chunks) // 2
        row = chunks[k]
        run(db, "update _zova_object_chunks set offset = offset + 1 where object_id = ? and chunk_index = ?",
            oid.bytes, k)
        for offset in [row.offset, row.offset + 1, row.offset + row.size_bytes - 1, row.offset - 1]:
            assert _status(db.read_object_range, oid, offset, row.size_bytes + 2) == CORRUPT, offset
        assert db.read_object_range(oid, 0, row.offset) == data[:row.offset]
        for offset in range(row.offset + row.size_bytes, len(data), 100_003):
            try:
                got = db.read_object_range(oid, offset, 70_000)
            except zova.CorruptError:
                continue
            assert got == data[offset:offset + 70_000], offset
        assert _status(db.get_object, oid) == CORRUPT


def test_ranges_and_gets_race_puts_and_close_on_one_handle(tmp_path):
    """Readers on two threads (ranges large and small, gets) while a third
    puts objects on the same Database and the main thread closes it: every
    read returns the right bytes or fails with ClosedHandleError after the
    close; nothing crashes."""
    rng = random.Random(11)
    db = zova.Database.create(tmp_path / "t.zova")
    data = rng.randbytes(6 << 20)
    oid = db.put_object(data)
    errors: list[BaseException] = []
    started = threading.Barrier(4)

    def reader(seed: int) -> None:
        local = random.Random(seed)
        started.wait()
        try:
            while True:
                if local.random() < 0.1:
                    assert db.get_object(oid) == data
                    continue
                offset = local.randrange(len(data))
                length = local.choice([1, 1000, 70_000, 1 << 20, 3 << 20])
                assert db.read_object_range(oid, offset, length) == data[offset:offset + length]
        except zova.ClosedHandleError:
            pass
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    def writer() -> None:
        local = random.Random(99)
        started.wait()
        try:
            while True:
                blob = local.randbytes(local.choice([10, 5000, 300_000, 2 << 20]))
                assert db.put_object(blob) == zova.object_id(blob)
        except zova.ClosedHandleError:
            pass
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(2)] + [threading.Thread(target=writer)]
    for thread in threads:
        thread.start()
    started.wait()
    for _ in range(40):
        offset = rng.randrange(len(data))
        assert db.read_object_range(oid, offset, 1 << 20) == data[offset:offset + (1 << 20)]
    db.close()
    for thread in threads:
        thread.join(60)
        assert not thread.is_alive()
    assert not errors, errors[:3]
    with zova.Database.open(tmp_path / "t.zova") as again:
        assert again.get_object(oid) == data
