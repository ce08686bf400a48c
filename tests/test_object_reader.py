"""Database.open_object (a verified, seekable, read-only binary file over one
object) and Database.list_objects (README "Objects"; issue 14)."""
from __future__ import annotations

import hashlib
import io
import random
import shutil
import sqlite3
import threading
import tracemalloc

import numpy as np
import pytest

import zova

DATA = np.random.default_rng(14).bytes(700_000)   # about 85 chunks


@pytest.fixture
def stored(tmp_path):
    path = str(tmp_path / "r.zova")
    db = zova.Database.create(path)
    oid = db.put_object(DATA)
    yield db, oid, path
    db.close()


def test_reader_is_a_raw_binary_file(stored):
    db, oid, _ = stored
    with db.open_object(oid) as reader:
        assert isinstance(reader, io.RawIOBase)
        assert reader.readable() and reader.seekable() and not reader.writable()
        assert reader.id == oid and reader.size == len(DATA) and reader.tell() == 0
        assert reader.read() == DATA
        assert reader.read() == b"" and reader.read(10) == b"" and reader.tell() == len(DATA)
    assert reader.closed
    with pytest.raises(ValueError):
        reader.read(1)
    with pytest.raises(ValueError):
        reader.seek(0)
    reader.close()   # idempotent
    with pytest.raises(TypeError):
        zova.ObjectReader()


def test_random_seeks_and_reads_match_bytes_slices(stored):
    db, oid, _ = stored
    chooser = random.Random(5)
    with db.open_object(oid) as reader:
        for _ in range(300):
            offset = chooser.randrange(len(DATA) + 100)
            size = chooser.choice([0, 1, 7, 8191, 8192, 65536, 200_000, len(DATA)])
            whence = chooser.choice([io.SEEK_SET, io.SEEK_CUR, io.SEEK_END])
            base = {io.SEEK_SET: 0, io.SEEK_CUR: reader.tell(), io.SEEK_END: len(DATA)}[whence]
            assert reader.seek(offset - base, whence) == offset
            assert reader.read(size) == DATA[offset:offset + size]
            assert reader.tell() == max(offset, min(offset + size, len(DATA)))


def test_reads_across_chunk_boundaries_and_readinto(stored):
    db, oid, _ = stored
    boundaries = [chunk.offset for chunk in db.object_manifest(oid).chunks][1:]
    with db.open_object(oid) as reader:
        for boundary in boundaries[:20]:
            reader.seek(boundary - 3)
            assert reader.read(6) == DATA[boundary - 3:boundary + 3]
        buffer = bytearray(100_000)
        reader.seek(12_345)
        assert reader.readinto(buffer) == len(buffer) and buffer == DATA[12_345:112_345]
        view = memoryview(bytearray(80)).cast("I")      # any writable buffer, counted in bytes
        reader.seek(len(DATA) - 100)
        assert reader.readinto(view) == 80 and view.tobytes() == DATA[-100:-20]
        reader.seek(len(DATA) - 10)
        assert reader.readinto(bytearray(50)) == 10 and reader.readinto(bytearray(50)) == 0
        reader.seek(1000)
        assert reader.readall() == DATA[1000:]


def test_seek_errors(stored):
    db, oid, _ = stored
    with db.open_object(oid) as reader:
        reader.seek(10)
        with pytest.raises(ValueError, match="negative seek position"):
            reader.seek(-1)
        with pytest.raises(ValueError, match="negative seek position"):
            reader.seek(-11, io.SEEK_CUR)
        with pytest.raises(ValueError, match="negative seek position"):
            reader.seek(-len(DATA) - 1, io.SEEK_END)
        with pytest.raises(ValueError, match="whence"):
            reader.seek(0, 3)
        with pytest.raises(TypeError):
            reader.seek(1.5)
        with pytest.raises(TypeError):
            reader.seek(True)
        assert reader.tell() == 10
        assert reader.seek(len(DATA) + 5) == len(DATA) + 5 and reader.read(3) == b""


def test_missing_object_and_empty_object(stored):
    db, _, _ = stored
    with pytest.raises(zova.NotFoundError):
        db.open_object(zova.ObjectId(bytes(32)))
    with pytest.raises(TypeError):
        db.open_object(b"\0" * 32)
    empty = db.put_object(b"")
    with db.open_object(empty) as reader:
        assert reader.size == 0 and reader.read() == b"" and reader.read(5) == b""


def test_corrupt_chunk_raises_at_the_read_that_reaches_it(stored):
    db, oid, path = stored
    chunks = db.object_manifest(oid).chunks
    damaged = chunks[10]
    db.close()
    raw = sqlite3.connect(path)
    flipped = bytearray(DATA[damaged.offset:damaged.offset + damaged.size_bytes])
    flipped[0] ^= 0xFF
    raw.execute("update _zova_chunks set data = ? where chunk_hash = ?", (bytes(flipped), damaged.hash.bytes))
    raw.commit()
    raw.close()
    with zova.Database.open(path) as reopened, reopened.open_object(oid) as reader:
        assert reader.read(damaged.offset) == DATA[:damaged.offset]
        with pytest.raises(zova.CorruptError) as info:
            reader.read(1)
        assert info.value.status == zova.Status.OBJECT_CORRUPT
        after = damaged.offset + damaged.size_bytes
        reader.seek(after)                      # the chunks after it still read
        assert reader.read(1000) == DATA[after:after + 1000]


def test_swapped_chunk_fails_the_object_hash_at_the_end(stored):
    """Every chunk verifies, but the manifest points at another object's chunk:
    a read from start to end checks the object's SHA-256 and raises at the end."""
    db, oid, path = stored
    first = db.object_manifest(oid).chunks[0]
    other = db.put_object(b"\xaa" * first.size_bytes)
    other_chunk = db.object_manifest(other).chunks[0]
    db.close()
    raw = sqlite3.connect(path)
    raw.execute("update _zova_object_chunks set chunk_hash = ? where object_id = ? and chunk_index = 0",
                (other_chunk.hash.bytes, oid.bytes))
    raw.commit()
    raw.close()
    with zova.Database.open(path) as reopened, reopened.open_object(oid) as reader:
        assert reader.read(len(DATA) - 1) == b"\xaa" * first.size_bytes + DATA[first.size_bytes:-1]
        with pytest.raises(zova.CorruptError, match="do not match the object id"):
            reader.read(1)


def test_copyfileobj_of_200_mb_in_bounded_memory(tmp_path):
    size = 200 << 20
    block = np.random.default_rng(3).bytes(1 << 20)
    expected = hashlib.sha256()
    with zova.Database.create(str(tmp_path / "big.zova")) as db:
        with db.object_writer() as writer:
            for index in range(size >> 20):
                piece = bytes([index % 251]) + block[1:]   # no two blocks alike
                writer.write(piece)
                expected.update(piece)
            oid = writer.finish()

        class HashSink:
            def __init__(self):
                self.hash = hashlib.sha256()
                self.written = 0

            def write(self, data):
                self.hash.update(data)
                self.written += len(data)
                return len(data)

        sink = HashSink()
        tracemalloc.start()
        try:
            with db.open_object(oid) as reader:
                shutil.copyfileobj(reader, sink, 1 << 20)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert sink.written == size and sink.hash.digest() == expected.digest() == oid.bytes
    # The manifest (56 bytes per ~8 KiB chunk: about 1.4 MB here), one chunk and the copy buffer.
    assert peak < 16 << 20, peak


def test_two_readers_of_one_object_on_one_handle_at_once(stored):
    db, oid, _ = stored
    results, errors = {}, []
    start = threading.Barrier(2)

    def read(name, piece):
        try:
            start.wait()
            with db.open_object(oid) as reader:
                parts = []
                while True:
                    data = reader.read(piece)
                    if not data:
                        break
                    parts.append(data)
            results[name] = b"".join(parts)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=read, args=(name, piece)) for name, piece in (("a", 1000), ("b", 77_777))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and results == {"a": DATA, "b": DATA}


def test_delete_while_reading_is_a_clean_not_found(stored):
    db, oid, _ = stored
    with db.open_object(oid) as reader:
        assert reader.read(100_000) == DATA[:100_000]
        deleter = threading.Thread(target=db.delete_object, args=(oid,))
        deleter.start()
        deleter.join()
        with pytest.raises(zova.NotFoundError, match="deleted while it was read"):
            reader.read()


def test_delete_racing_with_reads_never_crashes(stored):
    db, oid, _ = stored
    outcomes = []
    for _ in range(5):
        db.put_object(DATA)
        reader = db.open_object(oid)
        deleter = threading.Thread(target=db.delete_object, args=(oid,))
        deleter.start()
        try:
            outcomes.append(reader.read() == DATA)
        except zova.NotFoundError:
            outcomes.append("not found")
        deleter.join()
        reader.close()
    assert set(outcomes) <= {True, "not found"}


def test_reader_outlives_database_close_and_may_be_closed_from_another_thread(stored):
    db, oid, _ = stored
    reader = db.open_object(oid)
    assert reader.read(10) == DATA[:10]
    closer = threading.Thread(target=db.close)
    closer.start()
    closer.join()
    with pytest.raises(zova.ClosedHandleError):
        db.open_object(oid)
    assert reader.read() == DATA[10:]           # like statements and writers, it keeps the file open

    reader.seek(0)
    stop, outcomes = threading.Event(), []

    def keep_reading():
        try:
            while not stop.is_set():
                reader.seek(0)
                assert reader.read(200_000) == DATA[:200_000]
        except ValueError as error:
            outcomes.append(str(error))

    thread = threading.Thread(target=keep_reading)
    thread.start()
    reader.close()
    stop.set()
    thread.join()
    assert outcomes == [] or "closed" in outcomes[0]
    with pytest.raises(ValueError):
        reader.read(1)


def test_list_objects_pages_in_id_order(stored):
    db, oid, _ = stored
    ids = db.put_objects([f"object {i}".encode() for i in range(25)])
    every = sorted([oid, *ids], key=lambda item: item.bytes)
    assert db.list_objects() == every
    assert db.list_objects(limit=0) == []
    pages, after = [], None
    while True:
        page = db.list_objects(limit=7, after=after)
        if not page:
            break
        pages.append(page)
        after = page[-1]
    assert [len(page) for page in pages] == [7, 7, 7, 5] and sum(pages, []) == every
    assert db.list_objects(after=every[-1]) == []
    assert db.list_objects(after=zova.ObjectId(bytes(32))) == every
    with pytest.raises(ValueError):
        db.list_objects(limit=-1)
    with pytest.raises(TypeError):
        db.list_objects(after=every[0].bytes)
    with pytest.raises(TypeError):
        db.list_objects(5)
