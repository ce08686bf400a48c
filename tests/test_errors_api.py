"""The exception hierarchy, zova.Status, messages that say what was wrong with
which argument, and the argument types accepted (issue 14: errors and types)."""
from __future__ import annotations

import math
import os
import pathlib
import pickle
import re
import sqlite3

import numpy as np
import pytest

import zova
from zova import diagnostics
from zova._native import ffi, lib
from zova.errors import error_for

from conftest import NativeDb

FAMILIES = [zova.InvalidArgumentError, zova.VectorError, zova.OutOfMemoryError, zova.BusyError,
            zova.ConstraintError, zova.CantOpenError, zova.ReadOnlyError, zova.CorruptError, zova.MisuseError,
            zova.ClosedHandleError, zova.SQLiteError, zova.Interrupted, zova.NotZovaDatabaseError,
            zova.AlreadyExistsError, zova.NameConflictError, zova.NotFoundError]


def raised(call):
    with pytest.raises(zova.ZovaError) as info:
        call()
    return info.value


# ---- Status ----

def test_status_enum_matches_the_c_header():
    header = (pathlib.Path(__file__).resolve().parent.parent / "include" / "zova.h").read_text()
    declared = dict(re.findall(r"^\s*ZOVA_(\w+) = (\d+),?$", header[header.index("typedef enum zova_status"):
                                                                       header.index("} zova_status;")], re.M))
    assert {member.name: member.value for member in zova.Status} == {name: int(value) for name, value in declared.items()}
    for member in zova.Status:
        assert getattr(lib, "ZOVA_" + member.name) == member
        assert ffi.string(lib.zova_status_name(member)).decode() == "ZOVA_" + member.name
    assert "Status" in zova.__all__


def test_every_status_has_a_family_and_errors_keep_their_attributes():
    for member in zova.Status:
        if member == zova.Status.OK:
            continue
        error = error_for(member, "text")
        assert type(error) is not zova.ZovaError, member
        assert isinstance(error, zova.ZovaError)
        assert type(error.status) is int and error.status == member
        assert error.status_name == "ZOVA_" + member.name and error.message == "text"
        assert str(error) == f"ZOVA_{member.name}: text"
    assert type(zova.ZovaError(99)) is zova.ZovaError and str(zova.ZovaError(99)) == "ZOVA_UNKNOWN_STATUS"
    assert str(zova.ZovaError(15)) == "ZOVA_CORRUPT" and zova.ZovaError(15).message is None
    assert type(zova.ZovaError(10, "m")) is zova.BusyError
    assert type(zova.ZovaError(status=72, message="m")) is zova.NotFoundError
    for name in [family.__name__ for family in FAMILIES]:
        assert name in zova.__all__


def test_family_tree():
    assert issubclass(zova.VectorError, zova.InvalidArgumentError)
    assert issubclass(zova.Interrupted, zova.SQLiteError)
    assert issubclass(zova.ClosedHandleError, zova.MisuseError) and issubclass(zova.ClosedHandleError, RuntimeError)
    for family in FAMILIES:
        assert issubclass(family, zova.ZovaError)


def test_errors_pickle_with_their_class_status_and_message():
    for error in (zova.ZovaError(50, "gone"), zova.ZovaError(17, "interrupted"), zova.ClosedHandleError("x is closed"),
                  zova.ZovaError(99)):
        copy = pickle.loads(pickle.dumps(error))
        assert (type(copy), copy.status, copy.message, str(copy)) == (type(error), error.status, error.message,
                                                                      str(error))


# ---- each family raised by a real call ----

def test_each_family_from_a_real_call(tmp_path):
    os.chdir(tmp_path)
    db = zova.Database.create("a.zova")
    db.exec("create table t (a primary key); insert into t values (1)")
    oid = db.put_object(b"abc")

    assert type(raised(lambda: db.prepare("select 1").column_int(5))) is zova.InvalidArgumentError
    error = raised(lambda: db.read_object_range(oid, 10, 1))
    assert type(error) is zova.InvalidArgumentError and error.status == zova.Status.OBJECT_RANGE_INVALID
    assert type(raised(lambda: zova.Database.create("a.db"))) is zova.InvalidArgumentError
    db.create_vector_collection("c", zova.VectorCollectionOptions(3, zova.VectorMetric.COSINE))
    assert type(raised(lambda: db.put_vector("c", "v", [1, 2]))) is zova.VectorError
    assert type(raised(lambda: db.exec("insert into t values (1)"))) is zova.ConstraintError
    assert type(raised(lambda: zova.Database.open(str(tmp_path / "missing" / "x.zova")))) is zova.CantOpenError
    with zova.Database.open("a.zova", read_only=True) as read_only:
        assert type(raised(lambda: read_only.exec("insert into t values (2)"))) is zova.ReadOnlyError
    with zova.Database.open("a.zova") as other:
        db.begin_immediate()
        assert type(raised(other.begin_immediate)) is zova.BusyError
        error = raised(db.object_writer)
        assert type(error) is zova.MisuseError and error.status == zova.Status.OBJECT_TRANSACTION_ACTIVE
        db.rollback()
    assert type(raised(lambda: db.exec("select * from nowhere"))) is zova.SQLiteError
    token = zova.Cancel()
    token.cancel()
    with token.bound():
        endless = "with recursive r(x) as (select 1 union all select x + 1 from r) select count(*) from r"
        assert type(raised(lambda: db.prepare(endless).fetchall())) is zova.Interrupted
    assert type(raised(lambda: db.get_object(zova.ObjectId(bytes(32))))) is zova.NotFoundError
    assert type(raised(lambda: db.get_vector("c", "absent"))) is zova.NotFoundError
    assert type(raised(lambda: db.search_vectors("nope", [1, 2, 3], 1))) is zova.NotFoundError
    assert type(raised(lambda: db.create_vector_collection("c", zova.VectorCollectionOptions(3, 0)))) is \
        zova.AlreadyExistsError
    assert type(raised(lambda: db.backup_to("a.zova"))) is zova.AlreadyExistsError

    plain = sqlite3.connect("plain.zova")
    plain.execute("create table x (a)")
    plain.commit()
    plain.close()
    assert type(raised(lambda: zova.Database.open("plain.zova"))) is zova.NotZovaDatabaseError
    conflict = sqlite3.connect("conflict.sqlite")
    conflict.execute("create table _zova_x (a)")
    conflict.commit()
    conflict.close()
    assert type(raised(lambda: zova.convert_sqlite_to_zova("conflict.sqlite", "c.zova"))) is zova.NameConflictError

    db.close()
    error = raised(lambda: db.exec("select 1"))
    assert type(error) is zova.ClosedHandleError and error.status == zova.Status.MISUSE
    assert isinstance(error, RuntimeError) and str(error) == "ZOVA_MISUSE: database is closed"


def test_corrupt_chunk_raises_corrupt_error(tmp_path):
    path = str(tmp_path / "c.zova")
    with zova.Database.create(path) as db:
        oid = db.put_object(b"payload" * 100)
    raw = sqlite3.connect(path)
    raw.execute("update _zova_chunks set data = zeroblob(length(data))")
    raw.commit()
    raw.close()
    with zova.Database.open(path) as db:
        error = raised(lambda: db.get_object(oid))
        assert type(error) is zova.CorruptError and error.status == zova.Status.OBJECT_CORRUPT


def test_out_of_memory_maps_to_its_family():
    # No call can be made to run out of memory on purpose here; the mapping is the status's.
    assert type(error_for(lib.ZOVA_OUT_OF_MEMORY, None)) is zova.OutOfMemoryError


def test_except_zova_error_still_catches_every_family(tmp_path):
    with zova.Database.create(str(tmp_path / "a.zova")) as db:
        for call in (lambda: db.get_object(zova.ObjectId(bytes(32))), lambda: db.exec("nonsense"),
                     lambda: db.put_vector("none", "v", [1.0])):
            try:
                call()
            except zova.ZovaError as error:
                assert error.status and error.status_name.startswith("ZOVA_")
            else:
                pytest.fail("no error")


def test_catching_by_family(tmp_path):
    with zova.Database.create(str(tmp_path / "a.zova")) as db:
        db.create_vector_collection("c", zova.VectorCollectionOptions(2, zova.VectorMetric.L2))
        with pytest.raises(zova.InvalidArgumentError):   # a VectorError is an InvalidArgumentError
            db.put_vector("c", "v", [math.nan, 1])
        with pytest.raises(zova.NotFoundError):
            db.delete_object(zova.ObjectId(bytes(32)))
        with pytest.raises(zova.NotFoundError):
            db.delete_vector("c", "absent")


# ---- messages ----

@pytest.fixture
def vector_db(tmp_path):
    db = zova.Database.create(str(tmp_path / "v.zova"))
    db.create_vector_collection("c", zova.VectorCollectionOptions(3, zova.VectorMetric.COSINE))
    yield db
    db.close()


NAME_RULE = "names and ids are 1-255 bytes of UTF-8 not starting with _zova_"


@pytest.mark.parametrize("call, status, message", [
    (lambda db: db.put_vector("c", "v", [1, math.nan, 1]), 75, "the vector has NaN at index 1; values must be finite"),
    (lambda db: db.put_vector("c", "v", [1, 1, math.inf]), 75, "the vector has +inf at index 2; values must be finite"),
    (lambda db: db.put_vector("c", "v", [0, 0, 0]), 75,
     "the vector is all zeros: cosine vectors must not be all zeros"),
    (lambda db: db.put_vector("c", "v", [1, 2]), 73,
     "dimension mismatch: collection c has 3 dimensions, the vector has 2"),
    (lambda db: db.put_vector("_zova_c", "v", [1, 1, 1]), 75,
     f"collection name starts with the reserved prefix _zova_; {NAME_RULE}"),
    (lambda db: db.put_vector("c", "", [1, 1, 1]), 75, f"vector id is empty; {NAME_RULE}"),
    (lambda db: db.get_vector("c", "x" * 256), 75, f"vector id is longer than 255 bytes; {NAME_RULE}"),
    (lambda db: db.has_vector_collection(""), 75, f"collection name is empty; {NAME_RULE}"),
    (lambda db: db.create_vector_collection("", zova.VectorCollectionOptions(3, 0)), 75,
     f"collection name is empty; {NAME_RULE}"),
    (lambda db: db.create_vector_collection("d", zova.VectorCollectionOptions(0, 0)), 75,
     "dimensions must be 1..16384, got 0"),
    (lambda db: db.create_vector_collection("d", zova.VectorCollectionOptions(16385, 0)), 75,
     "dimensions must be 1..16384, got 16385"),
    (lambda db: db.put_vectors("c", [zova.VectorInput("a", [1, 1, 1]), zova.VectorInput("b", [1, 1])]), 73,
     "dimension mismatch: collection c has 3 dimensions, vector 1 of the batch (id b) has 2"),
    (lambda db: db.put_vectors("c", [zova.VectorInput("a", [1, 1, 1]), zova.VectorInput("", [1, 1, 1])]), 75,
     f"the id of vector 1 of the batch is empty; {NAME_RULE}"),
    (lambda db: db.put_vectors("c", ["a", "b"], np.array([[1, 1, 1], [0, 0, 0]], np.float32)), 75,
     "vector 1 of the batch (id b) is all zeros: cosine vectors must not be all zeros"),
])
def test_vector_messages_say_what_and_which(vector_db, call, status, message):
    error = raised(lambda: call(vector_db))
    assert type(error) is zova.VectorError
    assert (error.status, error.message) == (status, message)


def test_invalid_utf8_name_message_through_the_c_abi(tmp_path):
    """The message is the C core's: C, Go and Rust callers read the same words."""
    native = NativeDb(str(tmp_path / "n.zova"))
    try:
        name = ffi.new("char[]", b"bad\xff")
        out = ffi.new("uint8_t *")
        request = ffi.new("zova_vector_collection_exists_request *", [native.ptr, name, out])
        assert lib.zova_vector_collection_exists(request) == lib.ZOVA_VECTOR_INVALID
        assert native.last_error() == f"collection name is not valid UTF-8; {NAME_RULE}"
        collection = ffi.new("char[]", b"c")
        vector_id = ffi.new("char[]", b"v")
        create = ffi.new("zova_vector_collection_create_request *")
        create.db = native.ptr
        create.name = collection
        create.options.dimensions = 3
        create.options.metric = 7
        assert lib.zova_vector_collection_create(create) == lib.ZOVA_INVALID_ARGUMENT
        assert native.last_error() == "metric must be 0 (cosine), 1 (l2) or 2 (dot), got 7"
        create.options.metric = 0
        assert lib.zova_vector_collection_create(create) == lib.ZOVA_OK
        values = ffi.new("float[]", [1.0, float("nan"), 2.0])
        put = ffi.new("zova_vector_put_request *", [native.ptr, collection, vector_id, values, 3])
        assert lib.zova_vector_put(put) == lib.ZOVA_VECTOR_INVALID
        assert native.last_error() == "the vector has NaN at index 1; values must be finite"
        put.values_len = 2
        assert lib.zova_vector_put(put) == lib.ZOVA_VECTOR_DIMENSION_MISMATCH
        assert native.last_error() == "dimension mismatch: collection c has 3 dimensions, the vector has 2"
    finally:
        assert native.close() == 0


# ---- argument types ----

def test_paths_as_path_like_str_and_bytes(tmp_path):
    from zova import diagnostics
    source = tmp_path / "source.zova"
    with zova.Database.create(source) as db:
        oid = db.put_object(b"bytes")
        db.backup_to(tmp_path / "backup.zova")
        db.compact_to(os.fsencode(tmp_path / "compact.zova"))
    zova.restore_backup(tmp_path / "backup.zova", tmp_path / "restored.zova")
    plain = tmp_path / "plain.sqlite"
    connection = sqlite3.connect(plain)
    connection.execute("create table t (a)")
    connection.commit()
    connection.close()
    zova.convert_sqlite_to_zova(plain, tmp_path / "converted.zova")
    for name in ("backup.zova", "compact.zova", "restored.zova"):
        with zova.Database.open(tmp_path / name, read_only=True) as copy:
            assert copy.get_object(oid) == b"bytes"
    with zova.Database.open(os.fsencode(tmp_path / "converted.zova")) as converted:
        assert converted.prepare("select count(*) from t").fetchall() == [(0,)]
    assert diagnostics.check(source, deep=True).ok
    with pytest.raises(TypeError, match="os.PathLike"):
        zova.restore_backup(source, 3.5)
    with pytest.raises(ValueError, match="interior NUL"):
        zova.Database.open(b"a\0b.zova")


def test_numpy_integers_are_ints_and_bool_stays_refused(tmp_path):
    with zova.Database.create(str(tmp_path / "a.zova")) as db:
        data = bytes(range(256)) * 100
        oid = db.put_object(data)
        assert db.read_object_range(oid, np.int64(5), np.uint16(3)) == data[5:8]
        ids = db.put_objects([b"a", b"b", b"c"])
        assert len(db.list_objects(limit=np.int64(2))) == 2
        with db.open_object(oid) as reader:
            assert reader.seek(np.int32(10)) == 10 and reader.read(np.int64(2)) == data[10:12]
        for bad in (True, 1.0, "1"):
            with pytest.raises(TypeError):
                db.read_object_range(oid, bad, 1)
            with pytest.raises(TypeError):
                db.list_objects(limit=bad)
        chunk = db.object_manifest(ids[0]).chunks[0]
        assert zova.ObjectManifestChunk(np.uint64(0), chunk.hash, np.int8(0), np.int64(1)) == chunk


def test_diagnostics_take_any_path_like_issue14(tmp_path):
    """check, doctor, salvage_plan and salvage accept pathlib.Path and bytes as
    Database.open does."""
    source = tmp_path / "paths.zova"
    with zova.Database.create(source) as db:
        db.put_object(b"kept")
    assert diagnostics.check(source, deep=True).ok
    assert diagnostics.doctor(source).ok
    assert diagnostics.doctor(os.fsencode(source)).ok
    assert diagnostics.salvage_plan(source).to_dict()["status"] == "ok"
    report = diagnostics.salvage(source, tmp_path / "copy.zova")
    assert report.destination_verified and (tmp_path / "copy.zova").exists()


def test_numpy_integers_are_ints_for_statements_and_timeouts_issue14(tmp_path):
    path = str(tmp_path / "ints.zova")
    zova.Database.create(path).close()
    with zova.Database.open(path, busy_timeout_ms=np.uint32(50)) as db:
        statement = db.prepare("select ?1 + 1")
        statement.bind_int(np.int64(1), np.int64(41))
        assert statement.fetchall() == [(42,)]
        db.set_busy_timeout(np.int32(10))
        cursor = db.execute("select 1 union all select 2 union all select 3")
        assert cursor.fetchmany(np.int64(2)) == [(1,), (2,)]
        with pytest.raises(TypeError):
            statement.bind_int(True, 1)


def test_numpy_integers_are_ints_for_vector_calls_issue14(tmp_path):
    """limit=np.int64(5) raised TypeError before."""
    path = str(tmp_path / "vec_ints.zova")
    with zova.Database.create(path) as db:
        db.create_vector_collection("c", zova.VectorCollectionOptions(np.int64(2), np.int32(1)))
        db.put_vector("c", "a", [1.0, 0.0])
        db.put_vector("c", "b", [0.0, 1.0])
        assert [hit.id for hit in db.search_vectors("c", [1.0, 0.1], limit=np.int64(5))] == ["a", "b"]
        with pytest.raises(TypeError):
            db.search_vectors("c", [1.0, 0.1], limit=True)


@pytest.mark.parametrize("search,words", [
    (lambda db: db.search_vectors("c", [1.0, 2.0], 3),
     "dimension mismatch: collection c has 3 dimensions, the query has 2"),
    (lambda db: db.search_vectors("c", [math.nan, 1.0, 2.0], 3), "the query has NaN at index 0"),
    (lambda db: db.search_vectors("c", [0.0, 0.0, 0.0], 3), "the query is all zeros"),
    (lambda db: db.search_vectors("_zova_x", [1.0, 2.0, 3.0], 3), "collection name starts with the reserved prefix"),
    (lambda db: db.search_vectors_in("c", [1.0, 2.0, 3.0], ["a", ""], 3), "candidate id 1 is empty"),
    (lambda db: db.search_vectors_within("c", [1.0, 2.0, 3.0], math.inf, 3), "max_distance must be a finite number"),
    (lambda db: db.search_vectors_by_id("c", "", 3), "source vector id is empty"),
], ids=["dimensions", "nan", "zeros", "reserved", "candidate", "max_distance", "source"])
def test_search_refusals_say_what_is_wrong_issue14(tmp_path, search, words):
    """The searches used to answer a bare VectorInvalid / dimension mismatch."""
    with zova.Database.create(str(tmp_path / "search_words.zova")) as db:
        db.create_vector_collection("c", zova.VectorCollectionOptions(3, zova.VectorMetric.COSINE))
        db.put_vector("c", "a", [1.0, 2.0, 3.0])
        with pytest.raises(zova.VectorError) as refused:
            search(db)
        assert words in refused.value.message
