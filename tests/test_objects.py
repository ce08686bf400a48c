"""Objects: ids, FastCDC-v1, put/get/ranges/manifests/chunks/assembly/writer
(docs/file-format.md §3, docs/c-api.md §4.8-§4.10, §5.9, §7.6-§7.7, docs/python.md §2.3)."""
from __future__ import annotations

import hashlib
import os
import resource
import struct
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

import zova
from zova import ObjectChunkId, ObjectId, ObjectManifestChunk, ZovaError
from zova._native import ffi, lib

from conftest import NativeDb

MASK_S = 0x0003590703530000
MASK_L = 0x0000D90003530000


def _gear_table() -> list[int]:
    state, table = 0x5A4F56415F464344, []
    for _ in range(256):
        state = (state + 0x9E3779B97F4A7C15) & (2**64 - 1)
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & (2**64 - 1)
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & (2**64 - 1)
        table.append(z ^ (z >> 31))
    return table


GEAR = _gear_table()


def reference_chunk_sizes(data: bytes) -> list[int]:
    """docs/file-format.md §3.1 written out in Python, independently of the C code.
    (The PyPI fastcdc package is a right-shift FastCDC variant, so swapping in
    this gear table and these masks does not make it FastCDC-v1.)"""
    sizes, start = [], 0
    while start < len(data):
        n = len(data) - start
        if n <= 2048:
            sizes.append(n)
            break
        limit, fp, cut = min(n, 65536), 0, None
        normal_end = min(8192, limit)
        for end in range(2049, limit + 1):
            fp = ((fp << 1) + GEAR[data[start + end - 1]]) & (2**64 - 1)
            if fp & (MASK_S if end <= normal_end else MASK_L) == 0:
                cut = end
                break
        cut = cut or limit
        sizes.append(cut)
        start += cut
    return sizes


def vector_a() -> bytes:
    out, k = bytearray(), 0
    while len(out) < 1048576:
        out += hashlib.sha256(b"zova-fastcdc-vector" + struct.pack("<Q", k)).digest()
        k += 1
    return bytes(out[:1048576])


VECTOR_A_SIZES = [int(x) for x in """
8937 11862 10285 8349 11168 12462 16710 10940 8437 11475 3658 11732 11350 13217 11871 10463
9423 9158 12401 10898 8823 10002 13141 8713 8572 2369 9939 8553 7675 8524 9101 11005
5416 9994 11638 8221 3715 8894 8645 7439 10028 8682 7697 8449 8792 12534 11606 11151
9069 11190 10291 2415 11569 9555 8531 9109 9548 3987 8567 11452 11686 11173 8619 3697
9260 9262 8595 5614 5433 10555 9432 5492 2339 3705 7544 9460 8252 2937 18064 13123
3500 8507 9552 12115 10593 8911 9105 6921 8439 16777 6445 12385 8949 8829 8551 7011
5569 12009 6803 9427 11564 9157 5143 8037 10220 8539 10177 10663 9590 6966 9486 13134
11985 9878""".split()]
VECTOR_A_ID = "0b8f47dc21523e01f92df77db8ccaff874cbe13defaeec9b589bd155eaf1bbc7"
VECTOR_B_ID = "8eafc7bd411c1f02b9e972a83d2b0a4164eefc5ef51e6b63ad7acc78be4ad44f"
EMPTY_ID = hashlib.sha256(b"").hexdigest()


def status_of(call, *args) -> int:
    with pytest.raises(ZovaError) as info:
        call(*args)
    return info.value.status


def chunk_sizes(db, oid: ObjectId) -> list[int]:
    return [c.size_bytes for c in db.object_manifest(oid).chunks]


def table_count(db, table: str) -> int:
    return db.prepare(f"select count(*) from {table}").fetchall()[0][0]


def write_in_pieces(db, data: bytes, piece_sizes) -> ObjectId:
    with db.object_writer() as writer:
        view, offset, i = memoryview(data), 0, 0
        while offset < len(data):
            size = piece_sizes[i % len(piece_sizes)]
            writer.write(view[offset:offset + size])
            offset += size
            i += 1
        return writer.finish()


# ---- ids (docs/c-api.md §4.8) ----

@pytest.mark.parametrize("length", [0, 1, 55, 56, 63, 64, 65, 119, 120, 127, 128, 1000, 65536, 1 << 20])
def test_id_helpers_equal_hashlib(length):
    data = os.urandom(length)
    assert zova.object_id(data).bytes == hashlib.sha256(data).digest()
    assert zova.object_chunk_id(data).bytes == hashlib.sha256(data).digest()


def test_portable_sha256_agrees_with_accelerated():
    """ZOVA_SHA256_PORTABLE=1 forces the portable code path; both must agree."""
    script = ("import hashlib, os, zova\n"
              "for n in list(range(0, 300)) + [4096, 100003]:\n"
              "    d = os.urandom(n)\n"
              "    assert zova.object_id(d).bytes == hashlib.sha256(d).digest(), n\n"
              "print('ok')\n")
    env = dict(os.environ, ZOVA_SHA256_PORTABLE="1")
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr


def test_id_helpers_bad_input_is_1():
    out = ffi.new("zova_object_id *")
    assert lib.zova_object_id_from_bytes(ffi.NULL, 1, out) == lib.ZOVA_INVALID_ARGUMENT
    assert lib.zova_object_id_from_bytes(ffi.NULL, 0, ffi.NULL) == lib.ZOVA_INVALID_ARGUMENT
    assert lib.zova_object_id_from_bytes(ffi.NULL, 0, out) == lib.ZOVA_OK
    assert bytes(out.bytes).hex() == EMPTY_ID
    chunk = ffi.new("zova_object_chunk_id *")
    assert lib.zova_object_chunk_id_from_bytes(ffi.NULL, 5, chunk) == lib.ZOVA_INVALID_ARGUMENT


def test_object_id_value_semantics():
    raw = bytes(range(32))
    oid = ObjectId(raw)
    assert oid.bytes == raw and bytes(oid) == raw and oid.hex() == raw.hex()
    assert repr(oid) == f"ObjectId('{raw.hex()}')"
    assert oid == ObjectId(bytearray(raw)) and hash(oid) == hash(ObjectId(raw))
    assert oid != ObjectChunkId(raw) and oid != raw
    assert repr(ObjectChunkId(raw)).startswith("ObjectChunkId('")
    with pytest.raises(TypeError, match="only support equality"):
        oid < ObjectId(raw)
    with pytest.raises(ValueError, match="exactly 32 bytes, got 31"):
        ObjectId(raw[:31])
    with pytest.raises(ValueError, match="ObjectChunkId requires exactly 32 bytes, got 33"):
        ObjectChunkId(raw + b"x")


# ---- FastCDC-v1 (docs/file-format.md §3.1, §3.2) ----

def test_vector_a_one_call(db):
    data = vector_a()
    oid = db.put_object(data)
    assert oid.hex() == VECTOR_A_ID
    assert chunk_sizes(db, oid) == VECTOR_A_SIZES
    assert db.object_chunk_count(oid) == 114
    assert reference_chunk_sizes(data) == VECTOR_A_SIZES


def test_vector_b_one_call(db):
    oid = db.put_object(bytes(204800))
    assert oid.hex() == VECTOR_B_ID
    assert chunk_sizes(db, oid) == [65536, 65536, 65536, 8192]
    # Dedup: the three identical 64 KiB chunks are stored once.
    assert table_count(db, "_zova_chunks") == 2


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 64, 1000, 2047, 2048, 2049, 4096, 8191, 8192, 8193, 65535, 65536,
                                   65537, 100 * 1024])
def test_vector_a_through_writer_in_pieces(db, piece):
    data = vector_a() if piece >= 64 else vector_a()[:200_000]
    oid = write_in_pieces(db, data, [piece])
    assert oid == zova.object_id(data)
    expected = VECTOR_A_SIZES if piece >= 64 else reference_chunk_sizes(data)
    assert chunk_sizes(db, oid) == expected


def test_vector_b_through_writer(db):
    oid = write_in_pieces(db, bytes(204800), [5000, 70000, 1])
    assert oid.hex() == VECTOR_B_ID
    assert chunk_sizes(db, oid) == [65536, 65536, 65536, 8192]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(st.integers(min_value=1, max_value=100 * 1024), min_size=1, max_size=12))
def test_writer_split_never_changes_chunks(db, pieces):
    """However the stream is split, the writer produces the one-call chunks."""
    data = VECTOR_A_DATA
    oid = write_in_pieces(db, data, pieces)
    assert oid.hex() == VECTOR_A_ID
    assert chunk_sizes(db, oid) == VECTOR_A_SIZES


VECTOR_A_DATA = vector_a()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), size=st.integers(min_value=0, max_value=300_000),
       kind=st.sampled_from(["random", "zeros", "pattern", "text"]))
def test_chunker_matches_reference(db, seed, size, kind):
    rng = np.random.default_rng(seed)
    if kind == "random":
        data = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
    elif kind == "zeros":
        data = bytes(size)
    elif kind == "pattern":
        data = (bytes(rng.integers(0, 256, 97, dtype=np.uint8)) * (size // 97 + 1))[:size]
    else:
        data = (b"the quick brown fox %d " * (size // 20 + 1))[:size]
    oid = db.put_object(data)
    assert chunk_sizes(db, oid) == reference_chunk_sizes(data)
    assert db.get_object(oid) == data


# ---- put / get / sizes (docs/c-api.md §4.9, §7.6) ----

@pytest.mark.parametrize("size", [0, 1, 2, 2048, 2049, 8192, 65536, 65537, 1 << 20])
def test_put_get_round_trip(db, size):
    data = os.urandom(size)
    oid = db.put_object(data)
    assert oid == zova.object_id(data)
    assert db.get_object(oid) == data
    assert db.has_object(oid) and db.object_size(oid) == size
    assert db.object_chunk_count(oid) == len(reference_chunk_sizes(data))


def test_empty_object(db):
    oid = db.put_object(b"")
    assert oid.hex() == EMPTY_ID
    assert db.get_object(oid) == b""
    assert db.object_chunk_count(oid) == 0
    manifest = db.object_manifest(oid)
    assert (manifest.size_bytes, manifest.chunk_count, manifest.chunks, manifest.chunker) == (0, 0, [], "fastcdc-v1")
    assert db.read_object_range(oid, 0, 10) == b""
    with db.object_writer() as writer:
        assert writer.finish() == oid


def test_put_accepts_byte_sequences(db):
    data = bytes(range(256)) * 40
    oid = db.put_object(data)
    assert db.put_object(bytearray(data)) == oid
    assert db.put_object(memoryview(data)) == oid
    assert db.put_object(list(data)) == oid
    assert db.put_object(np.frombuffer(data, dtype=np.uint8)) == oid
    assert db.put_object(np.frombuffer(data, dtype=np.uint32)) == oid
    assert db.put_object(memoryview(data + data)[::2]) == zova.object_id((data + data)[::2])
    with pytest.raises(TypeError):
        db.put_object("text")
    with pytest.raises(TypeError):
        db.get_object(oid.bytes)
    with pytest.raises(TypeError):
        db.get_object(ObjectChunkId(oid.bytes))


def test_put_is_idempotent(db):
    data = os.urandom(100_000)
    first = db.put_object(data)
    changes = db.total_changes()
    assert db.put_object(data) == first
    assert db.total_changes() == changes  # nothing written
    assert table_count(db, "_zova_objects") == 1


def test_dedup_across_objects_and_delete_keeps_shared_chunks(db):
    shared = os.urandom(300_000)
    a = db.put_object(shared + os.urandom(50_000))
    b = db.put_object(shared + os.urandom(70_000))
    a_hashes = {c.hash for c in db.object_manifest(a).chunks}
    b_hashes = {c.hash for c in db.object_manifest(b).chunks}
    common = a_hashes & b_hashes
    assert len(common) >= 5
    assert table_count(db, "_zova_chunks") == len(a_hashes | b_hashes)
    db.delete_object(a)
    assert not db.has_object(a)
    assert status_of(db.get_object, a) == lib.ZOVA_OBJECT_NOT_FOUND
    assert table_count(db, "_zova_chunks") == len(b_hashes)
    for chunk in common:
        assert db.has_object_chunk(chunk)
    assert db.get_object(b)[:300_000] == shared
    db.delete_object(b)
    assert table_count(db, "_zova_chunks") == 0
    assert table_count(db, "_zova_object_chunks") == 0


def test_delete_leaves_loose_chunks_alone(db):
    loose = os.urandom(5000)
    loose_id = zova.object_chunk_id(loose)
    db.put_object_chunk(loose_id, loose)
    oid = db.put_object(os.urandom(50_000))
    db.delete_object(oid)
    assert db.get_object_chunk(loose_id) == loose
    assert status_of(db.delete_object, oid) == lib.ZOVA_OBJECT_NOT_FOUND


def test_not_found_statuses(db):
    missing = ObjectId(b"\x01" * 32)
    for call in (db.get_object, db.object_size, db.object_chunk_count, db.object_manifest, db.delete_object):
        assert status_of(call, missing) == lib.ZOVA_OBJECT_NOT_FOUND
    assert status_of(db.read_object_range, missing, 0, 0) == lib.ZOVA_OBJECT_NOT_FOUND
    assert not db.has_object(missing)
    assert "ObjectNotFound" in str(pytest.raises(ZovaError, db.get_object, missing).value)


# ---- range reads (docs/c-api.md §7.6 read_range) ----

def test_range_reads_at_every_edge(db):
    data = vector_a()
    oid = db.put_object(data)
    boundaries = np.cumsum([0] + VECTOR_A_SIZES)
    points = sorted({0, 1, len(data) - 1, len(data)} | {int(b) + d for b in boundaries[:6] for d in (-1, 0, 1)
                                                        if 0 <= int(b) + d <= len(data)})
    for offset in points:
        for size in (0, 1, 2, 8937, 8938, 70_000, len(data)):
            assert db.read_object_range(oid, offset, size) == data[offset:offset + size], (offset, size)
    assert db.read_object_range(oid, len(data), 5) == b""
    assert status_of(db.read_object_range, oid, len(data) + 1, 1) == lib.ZOVA_OBJECT_RANGE_INVALID
    assert status_of(db.read_object_range, oid, len(data) + 1, 0) == lib.ZOVA_OBJECT_RANGE_INVALID
    with pytest.raises(OverflowError):
        db.read_object_range(oid, -1, 1)


def test_read_range_c_edges(native):
    data = os.urandom(20_000)
    oid_out = ffi.new("zova_object_id *")
    buf = ffi.from_buffer("uint8_t[]", data)
    assert lib.zova_object_put(ffi.new("zova_object_put_request *", [native.ptr, buf, len(data), oid_out])) == 0
    copied = ffi.new("size_t *")
    copied[0] = 77
    target = ffi.new("uint8_t[]", 10)
    request = ffi.new("zova_object_read_range_request *", [native.ptr, oid_out[0], 5, target, 0, copied])
    assert lib.zova_object_read_range(request) == lib.ZOVA_OK and copied[0] == 0
    request.buffer, request.buffer_len = ffi.NULL, 3
    copied[0] = 77
    assert lib.zova_object_read_range(request) == lib.ZOVA_INVALID_ARGUMENT and copied[0] == 0
    request.out_copied = ffi.NULL
    assert lib.zova_object_read_range(request) == lib.ZOVA_INVALID_ARGUMENT
    missing = ffi.new("zova_object_read_range_request *", [native.ptr, [[9] * 32], 0, ffi.NULL, 0, copied])
    assert lib.zova_object_read_range(missing) == lib.ZOVA_OBJECT_NOT_FOUND


# ---- manifests ----

def test_manifest_shape(db):
    data = vector_a()
    oid = db.put_object(data)
    manifest = db.object_manifest(oid)
    assert manifest.object_id == oid and manifest.size_bytes == len(data) and manifest.chunk_count == 114
    offset = 0
    for index, chunk in enumerate(manifest.chunks):
        assert (chunk.index, chunk.offset) == (index, offset)
        assert chunk.hash == zova.object_chunk_id(data[offset:offset + chunk.size_bytes])
        offset += chunk.size_bytes
    assert offset == len(data)


# ---- loose chunks ----

def test_chunk_put_get_delete(db):
    data = os.urandom(10_000)
    hash_ = zova.object_chunk_id(data)
    assert not db.has_object_chunk(hash_)
    assert status_of(db.get_object_chunk, hash_) == lib.ZOVA_OBJECT_CHUNK_NOT_FOUND
    db.put_object_chunk(hash_, data)
    db.put_object_chunk(hash_, data)  # idempotent
    assert db.get_object_chunk(hash_) == data and db.has_object_chunk(hash_)
    assert db.delete_object_chunk(hash_) is True
    assert db.delete_object_chunk(hash_) is False


def test_chunk_put_rejections(db):
    assert status_of(db.put_object_chunk, zova.object_chunk_id(b""), b"") == lib.ZOVA_OBJECT_CORRUPT
    big = bytes(65537)
    assert status_of(db.put_object_chunk, zova.object_chunk_id(big), big) == lib.ZOVA_OBJECT_CORRUPT
    exact = bytes(65536)
    db.put_object_chunk(zova.object_chunk_id(exact), exact)
    assert status_of(db.put_object_chunk, zova.object_chunk_id(b"a"), b"b") == lib.ZOVA_OBJECT_CHUNK_HASH_MISMATCH
    with pytest.raises(TypeError):
        db.put_object_chunk(zova.object_id(b"a"), b"a")


def test_referenced_chunk_is_not_deleted(db):
    data = os.urandom(3000)
    oid = db.put_object(data)
    hash_ = db.object_manifest(oid).chunks[0].hash
    assert db.delete_object_chunk(hash_) is False
    assert db.get_object(oid) == data


def test_chunk_ops_allowed_inside_transactions(db):
    data = b"inside a transaction"
    hash_ = zova.object_chunk_id(data)
    db.begin()
    db.put_object_chunk(hash_, data)
    assert db.get_object_chunk(hash_) == data
    db.rollback()
    assert not db.has_object_chunk(hash_)


# ---- assembly ----

def store_chunks(db, data: bytes, sizes: list[int]) -> list[ObjectManifestChunk]:
    chunks, offset = [], 0
    for index, size in enumerate(sizes):
        piece = data[offset:offset + size]
        hash_ = zova.object_chunk_id(piece)
        db.put_object_chunk(hash_, piece)
        chunks.append(ObjectManifestChunk(index, hash_, offset, size))
        offset += size
    return chunks


def test_assemble_any_boundaries_in_any_order(db):
    data = os.urandom(100_000)
    chunks = store_chunks(db, data, [30_000, 1, 49_999, 20_000])
    oid = zova.object_id(data)
    db.assemble_object_from_chunks(oid, len(data), list(reversed(chunks)))
    assert db.get_object(oid) == data
    assert [c.size_bytes for c in db.object_manifest(oid).chunks] == [30_000, 1, 49_999, 20_000]
    assert status_of(db.assemble_object_from_chunks, oid, len(data), chunks) == lib.ZOVA_OBJECT_ALREADY_EXISTS


def test_assemble_rejections(db):
    data = os.urandom(50_000)
    chunks = store_chunks(db, data, [25_000, 25_000])
    oid = zova.object_id(data)
    a, b = chunks
    invalid = lib.ZOVA_OBJECT_MANIFEST_INVALID
    cases = [
        (oid, len(data), [a], invalid),                                              # short
        (oid, len(data) + 1, chunks, invalid),                                       # wrong total
        (oid, len(data), [a, ObjectManifestChunk(2, b.hash, b.offset, b.size_bytes)], invalid),  # index gap
        (oid, len(data), [a, ObjectManifestChunk(1, b.hash, 24_999, b.size_bytes)], invalid),    # offset gap
        (oid, len(data), [a, ObjectManifestChunk(1, b.hash, b.offset, 0)], invalid),            # size 0
        (oid, len(data), [a, ObjectManifestChunk(1, b.hash, b.offset, 25_001)], invalid),       # overrun
        (oid, len(data), [a, ObjectManifestChunk(1, b.hash, b.offset, 24_000)], invalid),       # stored length differs
        (zova.object_id(b"other"), len(data), chunks, invalid),                      # digest differs
        (oid, len(data), [], invalid),                                               # size > 0, no chunks
        (oid, 0, [], invalid),                                                       # size 0 but id not empty
        (oid, len(data), [a, ObjectManifestChunk(1, ObjectChunkId(b"\7" * 32), 25_000, 25_000)],
         lib.ZOVA_OBJECT_CHUNK_NOT_FOUND),
    ]
    for case_id, size, case_chunks, expected in cases:
        assert status_of(db.assemble_object_from_chunks, case_id, size, case_chunks) == expected
    assert table_count(db, "_zova_objects") == 0
    db.assemble_object_from_chunks(ObjectId(bytes.fromhex(EMPTY_ID)), 0, [])
    with pytest.raises(TypeError):
        db.assemble_object_from_chunks(oid, len(data), [("not", "a chunk")])


# ---- the "transaction active" rule (docs/c-api.md §5.9) ----

def test_transaction_active_rule(db):
    oid = db.put_object(b"x" * 5000)
    active = lib.ZOVA_OBJECT_TRANSACTION_ACTIVE
    db.begin()
    assert status_of(db.put_object, b"new") == active
    assert status_of(db.put_objects, [b"new"]) == active
    assert status_of(db.delete_object, oid) == active
    assert status_of(db.object_writer) == active
    assert status_of(db.assemble_object_from_chunks, oid, 5000, []) == active
    assert db.get_object(oid) == b"x" * 5000  # reads are fine
    db.rollback()
    writer = db.object_writer()
    db.exec("create table t (a)")
    db.exec("insert into t values (1), (2)")
    statement = db.prepare("select a from t")
    assert statement.step() == 1  # holds a read transaction
    assert status_of(db.put_object, b"new") == active
    assert status_of(writer.write, b"abc") == active
    statement.reset()
    writer.write(b"abc")
    assert db.get_object(writer.finish()) == b"abc"
    statement.close()


# ---- corruption is detected on read (docs/file-format.md §3: 53/54/55) ----

def test_altered_chunk_bytes_are_detected(db):
    """A chunk altered on disk is detected on every read and never returned.
    Its status is 54: issue 3 and docs/file-format.md §3 say 53, but docs/c-api.md §7.6 (the
    per-function statuses that upstream programs check) gives 54 for a stored
    chunk that fails verification, and 53 only for bytes a caller supplies
    with the wrong hash (chunk_put, tested in test_chunk_put_rejections)."""
    data = os.urandom(40_000)
    oid = db.put_object(data)
    first = db.object_manifest(oid).chunks[0]
    statement = db.prepare("update _zova_chunks set data = ?1 where chunk_hash = ?2")
    tampered = bytearray(data[:first.size_bytes])
    tampered[100] ^= 0xFF
    statement.bind_blob(1, bytes(tampered))
    statement.bind_blob(2, first.hash.bytes)
    statement.step()
    statement.close()
    assert status_of(db.get_object, oid) == lib.ZOVA_OBJECT_CORRUPT
    assert status_of(db.get_object_chunk, first.hash) == lib.ZOVA_OBJECT_CORRUPT
    assert status_of(db.read_object_range, oid, 10, 10) == lib.ZOVA_OBJECT_CORRUPT
    assert status_of(db.has_object_chunk, first.hash) == lib.ZOVA_OBJECT_CORRUPT
    # A range that avoids the damaged chunk still reads.
    assert db.read_object_range(oid, first.size_bytes, 10) == data[first.size_bytes:first.size_bytes + 10]
    # Putting the same bytes again repairs the damaged chunk.
    db.put_object(data[:first.size_bytes])
    assert db.get_object(oid) == data


@pytest.mark.parametrize("sql", [
    "delete from _zova_chunks",
    "update _zova_object_chunks set offset = offset + 1 where chunk_index = 1",
    "update _zova_object_chunks set chunk_index = 1000 where chunk_index = 1",
    "delete from _zova_object_chunks where chunk_index = 1",
    "update _zova_objects set size_bytes = size_bytes + 1",
    "update _zova_objects set chunker = 'other'",
    "update _zova_objects set chunk_count = -1",
    "update _zova_object_chunks set chunk_hash = x'00' where chunk_index = 0",
])
def test_damaged_metadata_is_54(db, sql):
    data = os.urandom(60_000)
    oid = db.put_object(data)
    assert db.object_chunk_count(oid) >= 3
    db.exec("pragma ignore_check_constraints = 1")  # tamper as a damaged file would be
    db.exec(sql)
    assert status_of(db.get_object, oid) == lib.ZOVA_OBJECT_CORRUPT
    assert status_of(db.object_manifest, oid) == lib.ZOVA_OBJECT_CORRUPT


def test_swapped_manifest_rows_fail_the_object_hash(db):
    data = os.urandom(60_000)
    oid = db.put_object(data)
    chunks = db.object_manifest(oid).chunks
    a, b = chunks[0], chunks[1]
    # Point chunk 0 at a different stored chunk of the same size: every chunk verifies, the object does not.
    other = os.urandom(a.size_bytes)
    other_id = zova.object_chunk_id(other)
    db.put_object_chunk(other_id, other)
    statement = db.prepare("update _zova_object_chunks set chunk_hash = ?1 where chunk_index = 0")
    statement.bind_blob(1, other_id.bytes)
    statement.step()
    statement.close()
    assert status_of(db.get_object, oid) == lib.ZOVA_OBJECT_CORRUPT
    assert db.read_object_range(oid, a.size_bytes, 5) == data[a.size_bytes:a.size_bytes + 5]
    assert b.size_bytes > 0


# ---- object writer (docs/c-api.md §4.10, §7.7; docs/python.md §2.3 ObjectWriter) ----

def test_writer_cancel_leaves_nothing(db):
    kept = os.urandom(9000)
    kept_id = zova.object_chunk_id(kept)
    db.put_object_chunk(kept_id, kept)
    with db.object_writer() as writer:
        writer.write(kept)  # a pre-existing chunk (the first 9000 bytes may form it)
        writer.write(os.urandom(3 << 20))
    assert table_count(db, "_zova_objects") == 0
    assert db.get_object_chunk(kept_id) == kept
    assert table_count(db, "_zova_chunks") == 1
    writer = db.object_writer()
    writer.write(os.urandom(2 << 20))
    writer.cancel()
    assert table_count(db, "_zova_chunks") == 1
    for call in (lambda: writer.write(b"x"), writer.finish, writer.cancel):
        with pytest.raises(zova.ClosedHandleError, match="object writer is closed"):
            call()
    writer.close()


def test_writer_finish_existing_object_is_ok(db):
    data = os.urandom(3 << 20)
    oid = db.put_object(data)
    chunks = table_count(db, "_zova_chunks")
    assert write_in_pieces(db, data, [1 << 20]) == oid
    assert table_count(db, "_zova_chunks") == chunks


FLUSH = 129 << 20  # more than the writer stages before the next write stores chunks (ZV_WRITER_FLUSH)


@pytest.mark.parametrize("how", ["other handle, SQL", "other handle, chunk_delete", "same handle"])
def test_finish_after_flushed_chunks_were_deleted_is_52(path, how):
    """docs/c-api.md §7.7: a chunk stored by an earlier flush and deleted since (it is
    loose until finish) makes finish fail with 52, whoever deleted it."""
    db = zova.Database.create(path)
    other = zova.Database.open(path)
    writer = db.object_writer()
    writer.write(os.urandom(FLUSH))
    assert table_count(db, "_zova_chunks") == 0  # staged, not stored yet
    writer.write(b"flush")
    assert table_count(db, "_zova_chunks") > 0
    victim = ObjectChunkId(db.prepare("select chunk_hash from _zova_chunks limit 1").fetchall()[0][0])
    if how == "other handle, SQL":
        other.exec("delete from _zova_chunks")
    elif how == "other handle, chunk_delete":
        assert other.delete_object_chunk(victim) is True
    else:
        assert db.delete_object_chunk(victim) is True
    writer.write(b"tail")
    assert status_of(writer.finish) == lib.ZOVA_OBJECT_CHUNK_NOT_FOUND
    assert table_count(db, "_zova_objects") == 0
    other.close()
    db.close()


def test_flush_and_finish_that_fail_midway_can_be_sent_again(path):
    """docs/c-api.md §7.7: a flush, and a finish, that fail after storing part of their
    chunks (the file reaches max_page_count) roll back and leave the writer as
    before; the same call sent again stores everything, and the object is
    exactly the bytes written. The writer's cutter, which had cut ahead, starts
    over from the first byte not stored. (Through the C ABI: the Python
    binding cancels a writer whose finish failed.)"""
    native = NativeDb(path)
    reader = zova.Database.open(path)
    data = os.urandom(FLUSH + (3 << 20))
    out = ffi.new("zova_object_writer **")
    assert lib.zova_object_writer_create(ffi.new("zova_object_writer_create_request *", [native.ptr, out])) == 0
    writer = out[0]

    def write(piece: bytes) -> int:
        buffer = ffi.from_buffer("uint8_t[]", piece)
        return lib.zova_object_writer_write(ffi.new("zova_object_writer_write_request *", [writer, buffer, len(piece)]))

    def limit_growth(pages: int) -> None:
        now = reader.prepare("pragma page_count").fetchall()[0][0]
        assert native.exec(f"pragma max_page_count = {now + pages}") == 0

    assert write(data[:FLUSH]) == 0
    limit_growth(4096)  # 16 MiB more: the flush of 129 MiB runs out midway
    assert write(data[FLUSH:FLUSH + 1]) == lib.ZOVA_SQLITE_ERROR
    assert table_count(reader, "_zova_chunks") == 0
    limit_growth(1 << 20)
    assert write(data[FLUSH:FLUSH + 1]) == 0  # the failed write, sent again
    stored = table_count(reader, "_zova_chunks")
    assert stored > 0
    assert write(data[FLUSH + 1:]) == 0
    oid = ffi.new("zova_object_id *")
    finish = ffi.new("zova_object_writer_finish_request *", [writer, oid])
    limit_growth(64)  # the last 3 MiB need far more
    assert lib.zova_object_writer_finish(finish) == lib.ZOVA_SQLITE_ERROR
    assert table_count(reader, "_zova_chunks") == stored
    assert table_count(reader, "_zova_objects") == 0
    limit_growth(1 << 20)
    assert lib.zova_object_writer_finish(finish) == 0
    assert bytes(oid.bytes) == hashlib.sha256(data).digest()
    assert reader.get_object(ObjectId(bytes(oid.bytes))) == data
    assert lib.zova_object_writer_destroy(writer) == 0
    reader.close()
    assert native.close() == 0


def test_large_puts_and_streams_keep_sqlite_file_locks(path):
    """Storing large objects asks the kernel to write the database file back
    early (chunk_pipeline.c) through SQLite's own descriptor: opening and
    closing another one would drop every POSIX lock this process holds on the
    file (here the WAL-mode shared lock, seen in /proc/locks), leaving other
    processes free to take locks they must not get."""
    assert os.path.exists("/proc/locks"), "this test reads the kernel's lock table"
    with zova.Database.create(path) as db:
        db.exec("pragma journal_mode = wal")
    inode = f":{os.stat(path).st_ino}"

    def locks_held() -> int:
        with open("/proc/locks") as table:
            rows = [line.split() for line in table]
        return sum(1 for row in rows if row[4] == str(os.getpid()) and row[5].endswith(inode))

    db = zova.Database.open(path)
    db.prepare("select count(*) from _zova_objects").fetchall()
    held = locks_held()
    assert held > 0
    db.put_object(os.urandom(40 << 20))  # more than one writeback step (16 MiB)
    assert locks_held() == held
    with db.object_writer() as writer:
        writer.write(os.urandom(40 << 20))
        writer.finish()
    assert locks_held() == held
    db.close()


def test_finish_after_unrelated_commit_still_works(path):
    db = zova.Database.create(path)
    other = zova.Database.open(path)
    data = os.urandom(FLUSH) + b"end"
    writer = db.object_writer()
    writer.write(data[:FLUSH])
    writer.write(data[FLUSH:FLUSH + 1])  # stores the staged chunks
    other.exec("create table unrelated (a); insert into unrelated values (1)")
    writer.write(data[FLUSH + 1:])
    assert db.get_object(writer.finish()) == data
    other.close()
    db.close()


def test_writer_copied_into_a_forked_child_is_misuse_there_and_the_parent_finishes(path):
    """A writer belongs to the process that created it (object_writer.c). A
    fork()ed child has a copy without the cutter's thread, sharing the staging
    file with the parent: write, finish and cancel are MISUSE there (before,
    finish and cancel hung, and write appended to the parent's staging file),
    and destroying the copy neither waits for the parent's thread nor cancels
    the parent's stream, whose flushed chunks are still there at finish."""
    data = os.urandom(FLUSH + (4 << 20))
    db = zova.Database.create(path)
    writer = db.object_writer()
    writer.write(data[:FLUSH])
    writer.write(data[FLUSH:])  # stores 129 MiB; the cutter's thread cuts the 4 MiB after them
    stored = table_count(db, "_zova_chunks")
    assert stored > 0
    pid = os.fork()
    if pid == 0:  # the child: report through the exit code only
        code = 1
        try:
            ptr = writer._guard.handle
            piece = ffi.new("uint8_t[]", b"child")
            statuses = (
                lib.zova_object_writer_write(ffi.new("zova_object_writer_write_request *", [ptr, piece, 5])),
                lib.zova_object_writer_finish(
                    ffi.new("zova_object_writer_finish_request *", [ptr, ffi.new("zova_object_id *")])),
                lib.zova_object_writer_cancel(ffi.new("zova_object_writer_cancel_request *", [ptr])),
            )
            if statuses == (lib.ZOVA_MISUSE,) * 3 and lib.zova_object_writer_destroy(ptr) == lib.ZOVA_OK:
                code = 0
        finally:
            os._exit(code)
    for _ in range(600):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("the child hung on its copy of the writer")
    assert os.waitstatus_to_exitcode(status) == 0
    assert table_count(db, "_zova_chunks") == stored
    writer.write(b"tail")
    assert db.get_object(writer.finish()) == data + b"tail"
    db.close()


def test_writer_keeps_database_alive(path):
    database = zova.Database.create(path)
    writer = database.object_writer()
    database.close()
    writer.write(b"after close")
    oid = writer.finish()
    with zova.Database.open(path) as reopened:
        assert reopened.get_object(oid) == b"after close"


def test_writer_counts_as_live_child(native):
    out = ffi.new("zova_object_writer **")
    assert lib.zova_object_writer_create(ffi.new("zova_object_writer_create_request *", [native.ptr, out])) == 0
    assert lib.zova_database_close(native.ptr) == lib.ZOVA_MISUSE
    assert "live child" in native.last_error()
    assert lib.zova_object_writer_destroy(out[0]) == lib.ZOVA_OK
    assert lib.zova_object_writer_destroy(ffi.NULL) == lib.ZOVA_INVALID_ARGUMENT


def test_failed_finish_can_be_retried_but_not_written_to(path):
    """docs/c-api.md §7.7: after a failed finish the writer is not closed; write is 59."""
    holder = NativeDb(path)
    native = NativeDb(path, create=False)
    out = ffi.new("zova_object_writer **")
    assert lib.zova_object_writer_create(ffi.new("zova_object_writer_create_request *", [native.ptr, out])) == 0
    writer = out[0]
    data = os.urandom(200_000)
    buf = ffi.from_buffer("uint8_t[]", data)
    write = ffi.new("zova_object_writer_write_request *", [writer, buf, len(data)])
    assert lib.zova_object_writer_write(write) == 0
    assert holder.exec("begin immediate") == 0
    oid = ffi.new("zova_object_id *")
    finish = ffi.new("zova_object_writer_finish_request *", [writer, oid])
    assert lib.zova_object_writer_finish(finish) == lib.ZOVA_BUSY
    assert lib.zova_object_writer_write(write) == lib.ZOVA_OBJECT_WRITER_CLOSED
    assert holder.exec("rollback") == 0
    assert lib.zova_object_writer_finish(finish) == lib.ZOVA_OK
    assert bytes(oid.bytes) == hashlib.sha256(data).digest()
    assert lib.zova_object_writer_finish(finish) == lib.ZOVA_OBJECT_WRITER_CLOSED
    cancel = ffi.new("zova_object_writer_cancel_request *", [writer])
    assert lib.zova_object_writer_cancel(cancel) == lib.ZOVA_OBJECT_WRITER_CLOSED
    assert lib.zova_object_writer_destroy(writer) == lib.ZOVA_OK
    native.close()
    holder.close()


def test_writer_bad_inputs(native):
    assert lib.zova_object_writer_create(ffi.NULL) == lib.ZOVA_INVALID_ARGUMENT
    assert lib.zova_object_writer_create(ffi.new("zova_object_writer_create_request *", [native.ptr, ffi.NULL])) == 1
    out = ffi.new("zova_object_writer **")
    lib.zova_object_writer_create(ffi.new("zova_object_writer_create_request *", [native.ptr, out]))
    assert lib.zova_object_writer_write(ffi.new("zova_object_writer_write_request *", [out[0], ffi.NULL, 3])) == 1
    assert lib.zova_object_writer_write(ffi.new("zova_object_writer_write_request *", [out[0], ffi.NULL, 0])) == 0
    assert lib.zova_object_writer_write(ffi.new("zova_object_writer_write_request *", [ffi.NULL, ffi.NULL, 0])) == 1
    assert lib.zova_object_writer_finish(ffi.new("zova_object_writer_finish_request *", [out[0], ffi.NULL])) == 1
    assert lib.zova_object_writer_cancel(ffi.NULL) == 1
    assert lib.zova_object_writer_destroy(out[0]) == 0


_PEAK_WORKER = r"""
import os, sys, zova

def rss(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024

def measure(operation):
    # clear_refs 5 resets the peak (VmHWM) to the current resident size.
    with open("/proc/self/clear_refs", "w") as control:
        control.write("5")
    before = rss("VmRSS")
    operation()
    return rss("VmHWM") - before

mode, path, mib = sys.argv[1], sys.argv[2], int(sys.argv[3])
block = os.urandom(1 << 20)  # repeated: the chunks dedupe, the manifest is 8 KiB per entry all the same
db = zova.Database.create(path)
if mode == "stream":
    def stream():
        with db.object_writer() as writer:
            for _ in range(mib):
                writer.write(block)
            writer.finish()
    print(measure(stream))
else:
    data = block * mib
    print(measure(lambda: db.put_object(data)))
    oid = zova.object_id(data)
    del data
    print(measure(lambda: db.get_object(oid)))
"""


def _peaks(tmp_path, mode: str, mib: int) -> list[int]:
    proc = subprocess.run([sys.executable, "-c", _PEAK_WORKER, mode, str(tmp_path / f"{mode}.zova"), str(mib)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return [int(line) for line in proc.stdout.split()]


def test_writer_peak_memory_does_not_grow_with_the_stream(tmp_path):
    """Issue 3: streaming writes need O(64 KiB). A 1 GiB stream through 1 MiB
    writes raises the process's peak resident memory by no more than the
    SQLite page cache and a few hundred KiB of writer state; the manifest
    (131,072 entries) and the staged chunks live in the spool's temporary file."""
    (peak,) = _peaks(tmp_path, "stream", 1024)
    assert peak < 4 << 20, f"1 GiB stream raised peak memory by {peak / 2**20:.1f} MiB"


def test_put_and_get_peak_memory_is_the_object_size_plus_a_constant(tmp_path):
    """Issue 3: putting or getting an object needs its size plus O(64 KiB) (the
    1 GiB object's 131,072-entry manifest is spooled, not kept in memory)."""
    put_peak, get_peak = _peaks(tmp_path, "object", 1024)
    assert put_peak < 4 << 20, f"put of 1 GiB raised peak memory by {put_peak / 2**20:.1f} MiB"
    assert get_peak - (1 << 30) < 4 << 20, f"get of 1 GiB needed {(get_peak - (1 << 30)) / 2**20:.1f} MiB extra"


_SPOOL_FAILURE_WORKER = r"""
import os, resource, signal, sys, zova
db = zova.Database.create(sys.argv[1])
data = os.urandom(24 << 20)
writer = db.object_writer()
writer.write(data[:1 << 20])
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4 << 20, hard))
try:
    writer.write(data[1 << 20:])
except zova.ZovaError as error:
    print(error.status, error.message)
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
writer.write(data[1 << 20:])  # the failed write changed nothing: send it again
assert db.get_object(writer.finish()) == data
print("ok")
"""


def test_writer_spool_file_failure_is_a_clear_error(tmp_path):
    """Bad input never crashes: when the writer's temporary file cannot grow
    (here a 4 MiB file-size limit), write fails with SQLITE_ERROR (17) and a
    message naming the spool, and leaves the writer as before the call."""
    proc = subprocess.run([sys.executable, "-c", _SPOOL_FAILURE_WORKER, str(tmp_path / "spool.zova")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    failure, done = proc.stdout.splitlines()
    assert failure.startswith("17 ") and "object spool file: writing failed: File too large" in failure
    assert done == "ok"


def test_writer_leaves_no_files_and_no_descriptors(tmp_path):
    """The spool's temporary file is unnamed (or unlinked at once) and closed
    with the writer: after streams that spilled to it, finished, cancelled and
    abandoned, the directory holds the database alone and no descriptor is left."""
    def descriptors() -> int:
        return len(os.listdir("/proc/self/fd"))

    path = tmp_path / "spool.zova"
    before = descriptors()
    with zova.Database.create(str(path)) as db:
        data = os.urandom(3 << 20)
        with_database = descriptors()
        for ending in ("finish", "cancel", "close"):
            writer = db.object_writer()
            writer.write(data)
            assert descriptors() == with_database + 1  # the spool file
            if ending == "finish":
                assert db.get_object(writer.finish()) == data
            elif ending == "cancel":
                writer.cancel()
            writer.close()
            assert descriptors() == with_database
            assert sorted(os.listdir(tmp_path)) == ["spool.zova"]
    assert descriptors() == before


def test_writer_streams_more_than_1_gib(db):
    """An object over 1 GiB goes through the writer (dedup keeps the file small:
    the stream repeats a 1 MiB block)."""
    block = os.urandom(1 << 20)
    blocks = 1025
    expected = hashlib.sha256()
    with db.object_writer() as writer:
        for _ in range(blocks):
            writer.write(block)
            expected.update(block)
        oid = writer.finish()
    assert oid.bytes == expected.digest()
    assert db.object_size(oid) == blocks << 20 > 1 << 30
    tail = db.read_object_range(oid, (blocks << 20) - 100_000, 200_000)
    assert tail == (block * 2)[-100_000:]


def test_writer_cancel_after_flushes_deletes_only_its_unreferenced_chunks(path):
    """docs/c-api.md §4.10 cancel: chunks the writer stored (over 2,048, so several
    cleanup batches) go, except those another handle's object came to
    reference meanwhile; pre-existing chunks stay."""
    db = zova.Database.create(path)
    other = zova.Database.open(path)
    existing = os.urandom(3 << 20)
    existing_id = db.put_object(existing)
    before = table_count(db, "_zova_chunks")
    writer = db.object_writer()
    writer.write(existing)
    writer.write(os.urandom(FLUSH))
    writer.write(b"flush")
    stored = table_count(db, "_zova_chunks") - before
    assert stored > 2 * 2048
    known = {row[0] for row in db.prepare("select chunk_hash from _zova_object_chunks")}
    adopted = next(row[0] for row in db.prepare("select chunk_hash from _zova_chunks") if row[0] not in known)
    adopter = other.put_object(db.get_object_chunk(ObjectChunkId(adopted)))
    writer.cancel()
    assert table_count(db, "_zova_chunks") == before + 1
    assert db.get_object(existing_id) == existing
    assert other.get_object(adopter) == db.get_object_chunk(ObjectChunkId(adopted))
    other.close()
    db.close()


# ---- put_objects / zova_object_put_many (addition) ----

def test_put_objects_batch(db):
    items = [os.urandom(4096) for _ in range(200)] + [b"", b"dup", b"dup"]
    ids = db.put_objects(items)
    assert ids == [zova.object_id(item) for item in items]
    assert all(db.get_object(oid) == item for oid, item in zip(ids, items))
    assert table_count(db, "_zova_objects") == 202
    assert db.put_objects([]) == []
    assert db.put_objects(iter([b"gen"])) == [zova.object_id(b"gen")]


def test_put_objects_is_all_or_nothing(path):
    zova.Database.create(path).close()
    with zova.Database.open(path, read_only=True) as reader:
        assert status_of(reader.put_objects, [b"a", b"b"]) == lib.ZOVA_READ_ONLY
    with zova.Database.open(path) as db:
        assert table_count(db, "_zova_objects") == 0


def test_put_many_bad_inputs(native):
    request = ffi.new("zova_object_put_many_request *")
    assert lib.zova_object_put_many(ffi.NULL) == 1
    assert lib.zova_object_put_many(request) == 1  # NULL db
    request.db = native.ptr
    request.count = 1
    assert lib.zova_object_put_many(request) == 1  # NULL arrays
    data = ffi.new("const uint8_t *[]", [ffi.NULL])
    lens = ffi.new("size_t[]", [3])
    out = ffi.new("zova_object_id[]", 1)
    request.data, request.lens, request.out_ids = data, lens, out
    assert lib.zova_object_put_many(request) == 1  # NULL item with a length
    request.count = 0
    assert lib.zova_object_put_many(request) == 0


# ---- read-only handles (docs/c-api.md §5.11) ----

def test_read_only_handle(path):
    with zova.Database.create(path) as db:
        oid = db.put_object(b"stored before")
        loose = zova.object_chunk_id(b"loose")
        db.put_object_chunk(loose, b"loose")
    with zova.Database.open(path, read_only=True) as reader:
        assert reader.put_object(b"stored before") == oid  # already present: OK
        assert status_of(reader.put_object, b"new bytes") == lib.ZOVA_READ_ONLY
        assert status_of(reader.put_object_chunk, zova.object_chunk_id(b"n"), b"n") == lib.ZOVA_READ_ONLY
        assert status_of(reader.delete_object_chunk, loose) == lib.ZOVA_READ_ONLY
        assert status_of(reader.delete_object, oid) == lib.ZOVA_READ_ONLY
        with reader.object_writer() as writer:
            writer.write(os.urandom(FLUSH))  # staged only
            assert status_of(writer.write, b"x") == lib.ZOVA_READ_ONLY  # a flush
        writer = reader.object_writer()
        writer.write(os.urandom(5000))  # buffered only
        assert status_of(writer.finish) == lib.ZOVA_READ_ONLY
        assert reader.get_object(oid) == b"stored before"


# ---- NULL requests and outputs (docs/c-api.md §5.1, §6.3) ----

@pytest.mark.parametrize("function,request_type,out_field", [
    ("zova_object_put", "zova_object_put_request", "out_id"),
    ("zova_object_get", "zova_object_get_request", "out_buffer"),
    ("zova_object_exists", "zova_object_exists_request", "out_exists"),
    ("zova_object_size", "zova_object_size_request", "out_size"),
    ("zova_object_chunk_count", "zova_object_chunk_count_request", "out_count"),
    ("zova_object_manifest_get", "zova_object_manifest_get_request", "out_manifest"),
    ("zova_object_chunk_get", "zova_object_chunk_get_request", "out_buffer"),
    ("zova_object_chunk_delete", "zova_object_chunk_delete_request", "out_deleted"),
    ("zova_object_delete", "zova_object_delete_request", None),
    ("zova_object_chunk_put", "zova_object_chunk_put_request", None),
    ("zova_object_assemble_from_chunks", "zova_object_assemble_from_chunks_request", None),
])
def test_null_request_handle_and_outputs_are_1(native, function, request_type, out_field):
    call = getattr(lib, function)
    assert call(ffi.NULL) == lib.ZOVA_INVALID_ARGUMENT
    request = ffi.new(request_type + " *")
    assert call(request) == lib.ZOVA_INVALID_ARGUMENT  # NULL db
    if out_field:
        request.db = native.ptr
        assert call(request) == lib.ZOVA_INVALID_ARGUMENT
        assert native.last_error() == "InvalidArgument"


def test_pointer_length_pairs_are_1(native):
    put = ffi.new("zova_object_put_request *", [native.ptr, ffi.NULL, 5, ffi.new("zova_object_id *")])
    assert lib.zova_object_put(put) == 1
    chunk = ffi.new("zova_object_chunk_put_request *", [native.ptr, [[0] * 32], ffi.NULL, 5])
    assert lib.zova_object_chunk_put(chunk) == 1
    assemble = ffi.new("zova_object_assemble_from_chunks_request *", [native.ptr, [[0] * 32], 5, ffi.NULL, 2])
    assert lib.zova_object_assemble_from_chunks(assemble) == 1


def test_get_resets_output_and_frees(native):
    data = os.urandom(5000)
    oid = ffi.new("zova_object_id *")
    buf = ffi.from_buffer("uint8_t[]", data)
    assert lib.zova_object_put(ffi.new("zova_object_put_request *", [native.ptr, buf, len(data), oid])) == 0
    out = ffi.new("zova_buffer *")
    assert lib.zova_object_get(ffi.new("zova_object_get_request *", [native.ptr, oid[0], out])) == 0
    assert ffi.buffer(out.data, out.len)[:] == data
    lib.zova_buffer_free(out)
    missing = ffi.new("zova_object_get_request *", [native.ptr, [[5] * 32], out])
    out.data, out.len = ffi.cast("uint8_t *", 1), 99  # protocol A: overwritten, not freed
    assert lib.zova_object_get(missing) == lib.ZOVA_OBJECT_NOT_FOUND
    assert out.data == ffi.NULL and out.len == 0
