"""Inputs that must be refused, not coerced, and reads that must verify as the
C core does (issue 12 items 8, 9, 13, 14 and 15). Each case was a silent
coercion or a wrong answer before."""
from __future__ import annotations

import sqlite3
import struct

import numpy as np
import pytest

import zova
from zova import ZovaError

COSINE = zova.VectorCollectionOptions(2, zova.VectorMetric.COSINE)


# ---- 13: bytes-like objects only, as hashlib takes them ----

@pytest.mark.parametrize("value", [5, True, 10**12, {1: 2}, "text", iter([1, 2]), 1.5, None, [True], [1, "x"]])
def test_put_object_refuses_what_is_not_bytes_issue12_13(db, value):
    """put_object(5) stored 5 zero bytes, put_object(True) one, 10**12 tried to
    allocate 1 TB, {1: 2} stored b"\\x01"."""
    before = db.prepare("select count(*) from _zova_objects").fetchall()
    with pytest.raises(TypeError):
        db.put_object(value)
    with pytest.raises(TypeError):
        db.put_objects([b"fine", value])
    with db.object_writer() as writer:
        with pytest.raises(TypeError):
            writer.write(value)
    assert db.prepare("select count(*) from _zova_objects").fetchall() == before


@pytest.mark.parametrize("value", [32, True, "a" * 32, {i: i for i in range(32)}])
def test_object_id_refuses_what_is_not_bytes_issue12_13(value):
    """ObjectId(32) was the all-zero id."""
    with pytest.raises(TypeError):
        zova.ObjectId(value)
    with pytest.raises(TypeError):
        zova.ObjectChunkId(value)


def test_byte_sequences_upstream_accepts_still_work(db):
    """docs/python.md §2.3: bytes, bytearray, memoryview (also non-contiguous)
    and a list of ints."""
    data = bytes(range(200))
    for value in (data, bytearray(data), memoryview(data), list(data), tuple(data),
                  np.frombuffer(data, dtype=np.uint8)):
        assert db.get_object(db.put_object(value)) == data
    strided = memoryview(data)[::2]
    assert db.get_object(db.put_object(strided)) == data[::2]
    assert zova.ObjectId(list(range(32))).bytes == bytes(range(32))
    with pytest.raises(ValueError):
        db.put_object([256])


# ---- 14: vectors take real numbers only ----

@pytest.mark.parametrize("array", [
    np.array([1 + 2j, 3 + 0j]), np.array(["1.5", "2"]), np.array([1.0, 2.0], dtype=object),
    np.array([True, False]),
])
def test_vector_arrays_must_be_real_numbers_issue12_14(db, array):
    """A complex array lost its imaginary part, a string array was parsed, an
    object or bool array was accepted."""
    db.create_vector_collection("c", COSINE)
    with pytest.raises(TypeError, match="real numbers"):
        db.put_vector("c", "a", array)
    with pytest.raises(TypeError, match="real numbers"):
        db.put_vectors("c", ["a"], array.reshape(1, 2))
    with pytest.raises(TypeError, match="real numbers"):
        db.search_vectors("c", array, 1)
    with pytest.raises(TypeError):
        db.put_vectors("c", ["a"], [[str(value) for value in array]])
    assert not db.has_vector("c", "a")


def test_vector_numeric_arrays_of_any_real_dtype_work(db):
    db.create_vector_collection("c", COSINE)
    for dtype in (np.int8, np.uint16, np.int64, np.float16, np.float64):
        db.put_vector("c", "a", np.array([3, 4], dtype=dtype))
        assert db.get_vector("c", "a").values == [3.0, 4.0]
    db.put_vectors("c", ["b"], [[1, 2]])
    assert db.get_vector("c", "b").values == [1.0, 2.0]


# ---- 15: bind_blob, column index, stored vectors ----

def test_bind_blob_takes_what_put_object_takes_issue12_15(db):
    """A non-contiguous memoryview or numpy array raised BufferError."""
    data = bytes(range(100))
    with db.prepare("select ?") as st:
        for value in (memoryview(data)[::3], np.frombuffer(data, dtype=np.uint8)[::3]):
            st.reset()
            st.bind_blob(1, value)
            assert st.fetchall() == [(data[::3],)]
        with pytest.raises(TypeError):
            st.bind_blob(1, 5)


@pytest.mark.parametrize("method", ["column_text", "column_blob", "column_int", "column_float", "column_type"])
def test_column_index_out_of_range_is_an_error_issue12_15(db, method):
    """column_text(99) on a one-column row returned None, like SQL NULL."""
    with db.prepare("select null") as st:
        st.step()
        assert getattr(st, method)(0) in (None, 0, 0.0, zova.ColumnType.NULL)
        with pytest.raises(ZovaError, match="column index 99 out of range") as error:
            getattr(st, method)(99)
        assert error.value.status_name == "ZOVA_INVALID_ARGUMENT"
        with pytest.raises(ZovaError):
            getattr(st, method)(1)


def test_stored_zero_cosine_vector_is_corrupt_for_get_too_issue12_15(path):
    """get_vector returned a stored vector that every search rejects as corrupt
    (docs/file-format.md §4: a cosine vector must not have zero norm)."""
    with zova.Database.create(path) as db:
        db.create_vector_collection("c", COSINE)
        db.put_vector("c", "a", [1.0, 2.0])
        db.put_vector("c", "b", [1.0, 3.0])
    raw = sqlite3.connect(path)
    raw.execute("update _zova_vectors set \"values\" = ? where vector_id = 'a'", (struct.pack("<2f", 0.0, 0.0),))
    raw.commit()
    raw.close()
    with zova.Database.open(path) as db:
        for call in (lambda: db.get_vector("c", "a"), lambda: db.search_vectors("c", [1.0, 2.0], 2)):
            with pytest.raises(ZovaError) as error:
                call()
            assert error.value.status_name == "ZOVA_VECTOR_CORRUPT"
        assert db.get_vector("c", "b").values == [1.0, 3.0]


# ---- 8 and 9: reads verify, and allocate only what exists ----

def test_get_object_of_a_row_edited_to_zero_bytes_is_corrupt_issue12_8(path):
    """get_object returned b"" for a non-empty object whose row claims
    size_bytes = 0, chunk_count = 0 (the C zova_object_get said 54)."""
    with zova.Database.create(path) as db:
        oid = db.put_object(b"not empty at all")
        empty = db.put_object(b"")
    raw = sqlite3.connect(path)
    raw.execute("update _zova_objects set size_bytes = 0, chunk_count = 0 where object_id = ?", (oid.bytes,))
    raw.commit()
    raw.close()
    with zova.Database.open(path) as db:
        with pytest.raises(ZovaError) as error:
            db.get_object(oid)
        assert error.value.status_name == "ZOVA_OBJECT_CORRUPT"
        assert db.get_object(empty) == b""


def test_range_reads_allocate_only_the_bytes_that_exist_issue12_9(db):
    """read_object_range(oid, 5, 2**33) on a 10-byte object raised MemoryError,
    2**64 - 1 OverflowError; both must give the 5 bytes that exist."""
    oid = db.put_object(b"0123456789")
    assert db.read_object_range(oid, 5, 2**33) == b"56789"
    assert db.read_object_range(oid, 5, 2**64 - 1) == b"56789"
    assert db.read_object_range(oid, 10, 2**64 - 1) == b""
    assert db.read_object_range(oid, 0, 3) == b"012"
    with pytest.raises(ZovaError):
        db.read_object_range(oid, 11, 1)
    with pytest.raises(OverflowError):
        db.read_object_range(oid, 0, 2**64)


@pytest.mark.parametrize("claim, chunks", [(2**40, None), (2**62, None), (2**63 - 1, None), (2**40, 2**24),
                                           (2**27, 2**11)])
def test_get_object_of_a_row_claiming_huge_sizes_is_corrupt_issue12_9(path, claim, chunks):
    """A row claiming 2^40 or 2^62 bytes raised MemoryError / OverflowError
    instead of 54, in Python and (OUT_OF_MEMORY) in the C core. A claim is
    checked before anything is allocated: at most 64 KiB per chunk, and as many
    manifest rows as the row says (a chunk count raised with the size)."""
    with zova.Database.create(path) as db:
        oid = db.put_object(bytes(range(256)) * 400)
    raw = sqlite3.connect(path)
    raw.execute("update _zova_objects set size_bytes = ?, chunk_count = coalesce(?, chunk_count) where object_id = ?",
                (claim, chunks, oid.bytes))
    raw.commit()
    raw.close()
    with zova.Database.open(path) as db:
        with pytest.raises(ZovaError) as error:
            db.get_object(oid)
        assert error.value.status_name == "ZOVA_OBJECT_CORRUPT"
        with pytest.raises(ZovaError) as error:
            db._get_small_object(oid)  # the C zova_object_get
        assert error.value.status_name == "ZOVA_OBJECT_CORRUPT"
        assert db.read_object_range(oid, 0, 100) == bytes(range(100))
