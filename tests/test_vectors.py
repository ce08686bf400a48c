"""Vector collections and rows: docs/c-api.md §4.11-§4.12 and the exact statuses of §7.8,
through the Python API (docs/python.md §2.3) and the raw C ABI for NULL checks."""
from __future__ import annotations

import math

import numpy as np
import pytest

import zova
from zova import VectorCollectionOptions, VectorInput, VectorMetric, ZovaError, encode_f32_le
from zova._native import ffi, lib

OK, INVALID_ARGUMENT, READ_ONLY = 0, 1, 14
NOT_ZOVA_DATABASE = 31
EXISTS, COLL_NOT_FOUND, NOT_FOUND, DIM_MISMATCH, CORRUPT, INVALID = 70, 71, 72, 73, 74, 75


def status_of(call, *args):
    with pytest.raises(ZovaError) as info:
        call(*args)
    return info.value.status


@pytest.fixture
def vdb(db):
    db.create_vector_collection("cos", VectorCollectionOptions(3, VectorMetric.COSINE))
    db.create_vector_collection("l2", VectorCollectionOptions(3, VectorMetric.L2))
    db.create_vector_collection("dot", VectorCollectionOptions(3, VectorMetric.DOT))
    return db


def test_module_exports_vector_names_cli_bindings_2_2():
    for name in ("VectorMetric", "VectorCollectionOptions", "VectorCollectionInfo", "VectorInput", "Vector",
                 "VectorSearchResult", "encode_f32_le"):
        assert name in zova.__all__ and hasattr(zova, name)
    assert [int(m) for m in VectorMetric] == [0, 1, 2]


def test_options_validate_metric_cli_bindings_2_3():
    with pytest.raises(ValueError, match=r"invalid vector metric 3; expected 0, 1, or 2"):
        VectorCollectionOptions(3, 3)
    options = VectorCollectionOptions(0, 2)  # dims are checked later, in C
    assert (options.dimensions, options.metric) == (0, 2)
    with pytest.raises(OverflowError):
        VectorCollectionOptions(-1, 0)


def test_encode_f32_le_cli_bindings_2_2():
    assert encode_f32_le([1.0, -2.5]) == np.array([1.0, -2.5], "<f4").tobytes()
    assert encode_f32_le(np.array([3], np.float32)) == b"\x00\x00\x40\x40"
    for bad in ([math.nan], [math.inf], [1e39]):
        with pytest.raises(ValueError, match="vector query values must be finite f32 values"):
            encode_f32_le(bad)


def test_collection_lifecycle_c_abi_4_11(vdb):
    assert vdb.has_vector_collection("cos") and not vdb.has_vector_collection("nope")
    names = [info.name for info in vdb.list_vector_collections()]
    assert names == ["cos", "dot", "l2"]  # bytewise ascending
    info = vdb.vector_collection_info("l2")
    assert (info.name, info.dimensions, info.metric, info.vector_count) == ("l2", 3, VectorMetric.L2, 0)
    vdb.put_vector("l2", "a", [1, 2, 3])
    assert vdb.vector_collection_info("l2").vector_count == 1
    vdb.delete_vector_collection("l2")
    assert not vdb.has_vector_collection("l2")
    assert status_of(vdb.vector_collection_info, "l2") == COLL_NOT_FOUND
    vdb.create_vector_collection("l2", VectorCollectionOptions(2, 1))  # rows went with it
    assert vdb.vector_collection_info("l2").vector_count == 0


def test_collection_create_statuses_c_abi_7_8(db):
    opts = VectorCollectionOptions(4, 0)
    assert status_of(db.create_vector_collection, "", opts) == INVALID
    assert status_of(db.create_vector_collection, "x" * 256, opts) == INVALID
    assert status_of(db.create_vector_collection, "_ZoVa_x", opts) == INVALID
    db.create_vector_collection("x" * 255, opts)
    db.create_vector_collection("é", opts)
    assert status_of(db.create_vector_collection, "d0", VectorCollectionOptions(0, 0)) == INVALID
    assert status_of(db.create_vector_collection, "d1", VectorCollectionOptions(16385, 0)) == INVALID
    db.create_vector_collection("d2", VectorCollectionOptions(16384, 0))
    assert status_of(db.create_vector_collection, "d2", opts) == EXISTS
    assert "VectorCollectionExists" in str(pytest.raises(ZovaError, db.create_vector_collection, "d2", opts).value)


def test_name_rules_apply_to_every_entry_point_c_abi_2_4(vdb):
    for bad in ("", "y" * 256, "_zova_q", "_ZOVA_"):
        assert status_of(vdb.has_vector_collection, bad) == INVALID
        assert status_of(vdb.vector_collection_info, bad) == INVALID
        assert status_of(vdb.delete_vector_collection, bad) == INVALID
        assert status_of(vdb.put_vector, "cos", bad, [1, 0, 0]) == INVALID
        assert status_of(vdb.get_vector, "cos", bad) == INVALID
        assert status_of(vdb.has_vector, "cos", bad) == INVALID
        assert status_of(vdb.delete_vector, "cos", bad) == INVALID
    vdb.put_vector("cos", "i" * 255, [1, 0, 0])
    assert vdb.has_vector("cos", "i" * 255)


def test_invalid_utf8_names_are_75_c_abi_2_4(vdb):
    native = vdb._handle()
    for raw in (b"\xff", b"a\xc3", b"\xed\xa0\x80", b"\xc0\xaf"):
        name = ffi.new("char[]", raw)
        out = ffi.new("uint8_t *")
        request = ffi.new("zova_vector_collection_exists_request *", [native, name, out])
        assert lib.zova_vector_collection_exists(request) == INVALID


def test_put_get_roundtrip_and_upsert_c_abi_4_12(vdb):
    vdb.put_vector("dot", "a", [1.5, -2, 3])
    vector = vdb.get_vector("dot", "a")
    assert vector.id == "a" and vector.values == [1.5, -2.0, 3.0]
    vdb.put_vector("dot", "a", np.array([0, 0, 0], np.float32))  # zero is fine for dot
    assert vdb.get_vector("dot", "a").values == [0.0, 0.0, 0.0]
    assert vdb.vector_collection_info("dot").vector_count == 1
    assert vdb.has_vector("dot", "a") and not vdb.has_vector("dot", "b")
    vdb.delete_vector("dot", "a")
    assert status_of(vdb.delete_vector, "dot", "a") == NOT_FOUND
    assert status_of(vdb.get_vector, "dot", "a") == NOT_FOUND


def test_put_value_statuses_in_order_c_abi_7_8(vdb):
    assert status_of(vdb.put_vector, "missing", "a", [1, 2, 3]) == COLL_NOT_FOUND
    assert status_of(vdb.put_vector, "missing", "", [1]) == COLL_NOT_FOUND  # coll before id
    assert status_of(vdb.put_vector, "cos", "", [1]) == INVALID  # id before length
    assert status_of(vdb.put_vector, "cos", "a", [1, 2]) == DIM_MISMATCH
    assert status_of(vdb.put_vector, "cos", "a", []) == DIM_MISMATCH
    assert status_of(vdb.put_vector, "cos", "a", [math.nan, math.nan]) == DIM_MISMATCH  # length first
    assert status_of(vdb.put_vector, "cos", "a", [1, math.nan, 0]) == INVALID
    assert status_of(vdb.put_vector, "l2", "a", [1, -math.inf, 0]) == INVALID
    assert status_of(vdb.put_vector, "l2", "a", [1e39, 0, 0]) == INVALID  # inf once narrowed to f32
    assert status_of(vdb.put_vector, "cos", "a", [0, 0, -0.0]) == INVALID
    vdb.put_vector("l2", "z", [0, 0, 0])


def test_get_exists_delete_check_order_c_abi_7_8(vdb):
    # get/exists/delete validate the id before looking up the collection.
    assert status_of(vdb.get_vector, "missing", "") == INVALID
    assert status_of(vdb.has_vector, "missing", "") == INVALID
    assert status_of(vdb.delete_vector, "missing", "") == INVALID
    assert status_of(vdb.get_vector, "missing", "a") == COLL_NOT_FOUND
    assert status_of(vdb.has_vector, "missing", "a") == COLL_NOT_FOUND
    assert status_of(vdb.delete_vector, "missing", "a") == COLL_NOT_FOUND
    assert status_of(vdb.delete_vector_collection, "missing") == COLL_NOT_FOUND


def test_put_many_validates_everything_first_c_abi_4_12(vdb):
    good = VectorInput("a", [1, 0, 0])
    assert status_of(vdb.put_vectors, "cos", [good, VectorInput("b", [1, 0])]) == DIM_MISMATCH
    assert status_of(vdb.put_vectors, "cos", [good, VectorInput("b", [0, 0, 0])]) == INVALID
    assert status_of(vdb.put_vectors, "cos", [good, VectorInput("_zova_b", [1, 1, 1])]) == INVALID
    assert status_of(vdb.put_vectors, "cos", [good, VectorInput("b", [1, math.inf, 1])]) == INVALID
    assert vdb.vector_collection_info("cos").vector_count == 0  # nothing written
    vdb.put_vectors("cos", [])
    assert status_of(vdb.put_vectors, "missing", []) == COLL_NOT_FOUND
    vdb.put_vectors("cos", [good, VectorInput("b", [0, 1, 0]), VectorInput("a", [0, 0, 1])])
    assert vdb.get_vector("cos", "a").values == [0.0, 0.0, 1.0]  # the last duplicate wins
    assert vdb.vector_collection_info("cos").vector_count == 2


def test_put_many_matrix_form_no_copy_inputs(vdb):
    matrix = np.arange(12, dtype=np.float32).reshape(4, 3) + 1
    vdb.put_vectors("l2", ["r0", "r1", "r2", "r3"], matrix)
    assert vdb.get_vector("l2", "r2").values == [7.0, 8.0, 9.0]
    vdb.put_vectors("l2", ["f"], np.array([[1, 2, 3]], dtype=np.float64))  # converted
    vdb.put_vectors("l2", ["t"], np.asfortranarray(matrix[:1]))
    assert vdb.get_vector("l2", "f").values == [1.0, 2.0, 3.0]
    assert status_of(vdb.put_vectors, "l2", ["a", "b"], np.ones((2, 4), np.float32)) == DIM_MISMATCH
    with pytest.raises(ValueError):
        vdb.put_vectors("l2", ["a"], np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="interior NUL"):
        vdb.put_vectors("l2", ["a\0b"], np.ones((1, 3), np.float32))
    with pytest.raises(TypeError):
        vdb.put_vectors("l2", [1], np.ones((1, 3), np.float32))
    with pytest.raises(TypeError):
        vdb.put_vectors("l2", ["a", "b"])


def test_put_many_inside_caller_transaction_rolls_back(vdb):
    vdb.begin()
    vdb.put_vectors("l2", ["a", "b"], np.ones((2, 3), np.float32))
    vdb.rollback()
    assert vdb.vector_collection_info("l2").vector_count == 0
    with vdb.savepoint_context("sp"):
        vdb.put_vector("l2", "c", [1, 2, 3])
    assert vdb.has_vector("l2", "c")


def test_read_only_handle_c_abi_7_8(vdb, path):
    vdb.put_vector("l2", "a", [1, 2, 3])
    ro = zova.Database.open(path, read_only=True)
    try:
        assert ro.get_vector("l2", "a").values == [1.0, 2.0, 3.0]
        assert status_of(ro.put_vector, "l2", "b", [1, 2, 3]) == READ_ONLY
        assert status_of(ro.put_vectors, "l2", [VectorInput("b", [1, 2, 3]), VectorInput("c", [1, 2, 3])]) == READ_ONLY
        assert status_of(ro.delete_vector, "l2", "zz") == NOT_FOUND  # absent before read-only
        assert status_of(ro.delete_vector, "l2", "a") == READ_ONLY
        assert status_of(ro.create_vector_collection, "l2", VectorCollectionOptions(3, 1)) == EXISTS
        assert status_of(ro.create_vector_collection, "new", VectorCollectionOptions(3, 1)) == READ_ONLY
        assert status_of(ro.delete_vector_collection, "l2") == READ_ONLY
        assert "readonly" in str(pytest.raises(ZovaError, ro.put_vector, "l2", "b", [1, 2, 3]).value)
    finally:
        ro.close()


def test_corrupt_rows_and_metadata_c_abi_7_8(vdb):
    vdb.put_vector("l2", "a", [1, 2, 3])
    vdb.put_vector("cos", "c", [1, 2, 3])
    vdb.exec("update _zova_vectors set \"values\" = x'0000c07f0000803f0000803f' where vector_id = 'a'")  # NaN
    assert status_of(vdb.get_vector, "l2", "a") == CORRUPT
    vdb.exec("update _zova_vectors set dimensions = 2, \"values\" = x'0000803f0000803f' where vector_id = 'a'")
    assert status_of(vdb.get_vector, "l2", "a") == CORRUPT
    vdb.exec("pragma ignore_check_constraints = 1")
    vdb.exec("update _zova_vector_collections set metric = 'manhattan' where name = 'cos'")
    assert status_of(vdb.vector_collection_info, "cos") == NOT_ZOVA_DATABASE
    assert status_of(vdb.list_vector_collections) == NOT_ZOVA_DATABASE
    assert status_of(vdb.get_vector, "cos", "c") == NOT_ZOVA_DATABASE
    assert status_of(vdb.search_vectors, "cos", [1, 2, 3], 1) == NOT_ZOVA_DATABASE


def test_null_pointers_are_1_c_abi_5_1(vdb):
    native = vdb._handle()
    name = ffi.new("char[]", b"l2")
    vid = ffi.new("char[]", b"a")
    assert lib.zova_vector_collection_create(ffi.NULL) == INVALID_ARGUMENT
    request = ffi.new("zova_vector_collection_create_request *", [ffi.NULL, name, [3, 0]])
    assert lib.zova_vector_collection_create(request) == INVALID_ARGUMENT
    request = ffi.new("zova_vector_collection_create_request *", [native, ffi.NULL, [3, 0]])
    assert lib.zova_vector_collection_create(request) == INVALID_ARGUMENT
    # invalid metric is 1 even with an invalid name and dimensions
    bad = ffi.new("char[]", b"")
    request = ffi.new("zova_vector_collection_create_request *", [native, bad, [0, 3]])
    assert lib.zova_vector_collection_create(request) == INVALID_ARGUMENT
    request = ffi.new("zova_vector_collection_create_request *", [native, bad, [0, -1]])
    assert lib.zova_vector_collection_create(request) == INVALID_ARGUMENT
    assert lib.zova_vector_collection_exists(
        ffi.new("zova_vector_collection_exists_request *", [native, name, ffi.NULL])) == INVALID_ARGUMENT
    assert lib.zova_vector_put(
        ffi.new("zova_vector_put_request *", [native, name, vid, ffi.NULL, 3])) == INVALID_ARGUMENT
    assert lib.zova_vector_put(
        ffi.new("zova_vector_put_request *", [native, name, vid, ffi.NULL, 0])) == DIM_MISMATCH
    inputs = ffi.new("zova_vector_input[1]")
    assert lib.zova_vector_put_many(
        ffi.new("zova_vector_put_many_request *", [native, name, inputs, 1])) == INVALID_ARGUMENT
    assert lib.zova_vector_put_many(
        ffi.new("zova_vector_put_many_request *", [native, name, ffi.NULL, 0])) == OK
    assert lib.zova_vector_put_many(
        ffi.new("zova_vector_put_many_request *", [native, name, ffi.NULL, 2])) == INVALID_ARGUMENT
    assert lib.zova_vector_get(
        ffi.new("zova_vector_get_request *", [native, name, vid, ffi.NULL])) == INVALID_ARGUMENT
    assert lib.zova_vector_exists(
        ffi.new("zova_vector_exists_request *", [native, name, ffi.NULL, ffi.new("uint8_t *")])) == INVALID_ARGUMENT
    assert lib.zova_vector_delete(ffi.new("zova_vector_delete_request *", [native, ffi.NULL, vid])) == INVALID_ARGUMENT
    assert lib.zova_vector_collections_list(
        ffi.new("zova_vector_collections_list_request *", [native, ffi.NULL])) == INVALID_ARGUMENT
    assert lib.zova_vector_collection_info_get(
        ffi.new("zova_vector_collection_info_get_request *", [native, name, ffi.NULL])) == INVALID_ARGUMENT


def test_output_reset_and_last_error_c_abi_5_2_5_5(vdb):
    native = vdb._handle()
    name = ffi.new("char[]", b"missing")
    info = ffi.new("zova_vector_collection_info *")
    info.dimensions = 99
    info.name = ffi.cast("char *", 1)  # garbage the library must overwrite without freeing
    status = lib.zova_vector_collection_info_get(
        ffi.new("zova_vector_collection_info_get_request *", [native, name, info]))
    assert status == COLL_NOT_FOUND
    assert info.name == ffi.NULL and info.dimensions == 0
    assert ffi.string(lib.zova_database_last_error_message(native)) == b"VectorCollectionNotFound"
    assert vdb.has_vector_collection("l2")
    assert ffi.string(lib.zova_database_last_error_message(native)) == b""
    out = ffi.new("zova_vector_collection_list *")
    assert lib.zova_vector_collections_list(ffi.new("zova_vector_collections_list_request *", [native, out])) == OK
    assert out.len == 3
    lib.zova_vector_collection_list_free(out)
    assert out.items == ffi.NULL and out.len == 0


def test_values_accept_sequences_and_arrays(vdb):
    vdb.put_vector("l2", "t", (1, 2, 3))
    vdb.put_vector("l2", "n", np.array([1, 2, 3], dtype=np.int64))
    vdb.put_vector("l2", "s", np.arange(6, dtype=np.float32)[::2])  # non-contiguous
    assert vdb.get_vector("l2", "s").values == [0.0, 2.0, 4.0]
    assert np.array_equal(vdb.get_vector("l2", "n").array, np.array([1, 2, 3], np.float32))
    with pytest.raises(TypeError):
        vdb.put_vector("l2", "x", "abc")
    with pytest.raises(ValueError, match="interior NUL"):
        vdb.put_vector("l2", "x\0", [1, 2, 3])
    with pytest.raises(TypeError):
        vdb.create_vector_collection("q", (3, 0))


def test_value_classes_cli_bindings_2_3(vdb):
    from zova.vectors import _f32_array
    array = np.arange(3, dtype=np.float32)
    assert _f32_array(array) is array  # a C-contiguous float32 array is passed without a copy
    for cls in (zova.Vector, zova.VectorCollectionInfo, zova.VectorSearchResult):
        with pytest.raises(TypeError):
            cls()
    item = VectorInput("a", array)
    assert item.id == "a" and item.values == [0.0, 1.0, 2.0] and repr(item) == "VectorInput(id='a', values_len=3)"
    vdb.put_vector("l2", "a", [1, 2, 3])
    assert repr(vdb.get_vector("l2", "a")) == "Vector(id='a', values_len=3)"
    result = vdb.search_vectors("l2", [1, 2, 3], 1)[0]
    assert (result.id, result.distance) == ("a", 0.0) and "distance=0.0" in repr(result)
    assert repr(VectorCollectionOptions(3, 1)) == "VectorCollectionOptions(dimensions=3, metric=1)"
    with pytest.raises(OverflowError):
        vdb.search_vectors("l2", [1, 2, 3], -1)
    with pytest.raises(TypeError):
        vdb.search_vectors_within("l2", [1, 2, 3], "1.0", 1)


@pytest.mark.parametrize("kernel", ["default", "portable"])
def test_value_checks_at_every_position_c_abi_2_4(tmp_path, kernel):
    """NaN/Inf anywhere (SIMD blocks and tail) is 75; an all-zero (incl. -0.0) cosine vector is 75."""
    import os
    import subprocess
    import sys
    script = (
        "import math, sys, numpy as np, zova\n"
        "db = zova.Database.create(sys.argv[1])\n"
        "db.create_vector_collection('c', zova.VectorCollectionOptions(21, 0))\n"
        "out = []\n"
        "for pos in range(21):\n"
        "    for bad in (math.nan, math.inf, -math.inf):\n"
        "        v = np.ones(21, np.float32); v[pos] = bad\n"
        "        try: db.put_vector('c', 'x', v); out.append('ok')\n"
        "        except zova.ZovaError as e: out.append(e.status)\n"
        "z = np.zeros(21, np.float32); z[::2] = -0.0\n"
        "try: db.put_vector('c', 'z', z); out.append('ok')\n"
        "except zova.ZovaError as e: out.append(e.status)\n"
        "z[20] = 1e-45\n"
        "db.put_vector('c', 'tiny', z); out.append('ok')\n"
        "print(out)\n"
    )
    env = dict(os.environ)
    if kernel == "portable":
        env["ZOVA_VECTOR_KERNEL"] = "portable"
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "v.zova")], env=env, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == str([75] * 63 + [75, "ok"])
