"""Fuzz target: opening crafted files (docs/c-api.md §7.2, Appendix A). Each input is
the whole content of a .zova file; the committed corpus starts from a small
valid database (512-byte pages: user table, two objects, a collection with
vectors) so mutations hit headers, schema rows, metadata and private rows.
An input is opened read/write or read-only, then listed, read and written
through the ABI: collections (list, info, get, search), objects (get,
manifest, read_range), a quick_check statement, an object put and a vector
put. Checks: only defined statuses, open failures leave *out_db NULL with a
message, reads of whatever opened never crash and the handle closes.

    python tests/fuzz/fuzz_open.py -max_total_time=60 tests/fuzz/corpus/open
Regenerate the seed with `python tests/fuzz/fuzz_open.py --make-seed DIR`.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import atheris  # noqa: E402

from _common import OK, Db, check_status, ffi, lib, run, scratch_dir  # noqa: E402

_state: dict = {"dir": None}


def make_seed(directory: str) -> str:
    path = os.path.join(scratch_dir("seed"), "seed.zova")
    db = Db(path)
    assert db.status == OK
    assert db.exec(b"create table notes(id integer primary key, body text);"
                   b"insert into notes(body) values ('hello'), ('world')") == OK
    for data in (b"small object", bytes(range(256)) * 12):
        buf = ffi.new("uint8_t[]", data)
        out = ffi.new("zova_object_id *")
        assert lib.zova_object_put(ffi.new("zova_object_put_request *", [db.ptr, buf, len(data), out])) == OK
    assert lib.zova_vector_collection_create(ffi.new("zova_vector_collection_create_request *",
                                                     [db.ptr, db.s(b"docs"), [2, 0]])) == OK
    for vid, values in ((b"a", [1.0, 0.0]), (b"b", [0.5, 0.5])):
        floats = ffi.new("float[]", values)
        assert lib.zova_vector_put(ffi.new("zova_vector_put_request *",
                                           [db.ptr, db.s(b"docs"), db.s(vid), floats, 2])) == OK
    assert db.exec(b"pragma page_size=512; vacuum") == OK
    db.close()
    os.makedirs(directory, exist_ok=True)
    with open(path, "rb") as src:
        content = src.read()
    # first byte: bit 0 selects a read-only open; the rest is the file
    for mode, name in ((b"\x00", "seed-valid-512-rw"), (b"\x01", "seed-valid-512-ro")):
        with open(os.path.join(directory, name), "wb") as dst:
            dst.write(mode + content)
    return directory


def statement_rows(db: Db, sql: bytes, limit: int = 20) -> list[bytes]:
    out = ffi.new("zova_statement **")
    status = check_status(lib.zova_database_prepare(ffi.new("zova_database_prepare_request *",
                                                            [db.ptr, db.s(sql), out])))
    if status != OK:
        return []
    result, values = ffi.new("zova_step_result *"), []
    blob = ffi.new("zova_buffer *")
    for _ in range(limit):
        status = check_status(lib.zova_statement_step(ffi.new("zova_statement_step_request *", [out[0], result])))
        if status != OK or result[0] != lib.ZOVA_STEP_ROW:
            break
        assert lib.zova_statement_column_blob(ffi.new("zova_statement_column_blob_request *",
                                                      [out[0], 0, blob])) == OK
        values.append(bytes(ffi.buffer(blob.data, blob.len)) if blob.len else b"")
    lib.zova_buffer_free(blob)
    assert lib.zova_statement_finalize(out[0]) == OK
    return values


def backup(db: Db, fdp) -> None:
    """An operational copy verifies every object, chunk and vector (docs/c-api.md
    §5.12): on failure the destination must be gone (§5.10)."""
    dest = os.path.join(_state["dir"], "copy.zova")
    flags = fdp.ConsumeIntInRange(0, 1)
    if fdp.ConsumeBool():
        status = lib.zova_database_backup(ffi.new("zova_database_backup_request *", [db.ptr, db.s(dest.encode()), flags]))
    else:
        status = lib.zova_database_compact(ffi.new("zova_database_compact_request *",
                                                   [db.ptr, db.s(dest.encode()), flags]))
    check_status(status)
    assert status != lib.ZOVA_INVALID_ARGUMENT
    assert os.path.exists(dest) == (status == OK), status
    if status == OK:
        os.unlink(dest)


def exercise(db: Db, fdp) -> None:
    if fdp.ConsumeIntInRange(0, 3) == 0:
        backup(db, fdp)
    listing = ffi.new("zova_vector_collection_list *")
    status = check_status(lib.zova_vector_collections_list(ffi.new("zova_vector_collections_list_request *",
                                                                   [db.ptr, listing])))
    names = [ffi.string(listing.items[i].name, listing.items[i].name_len) for i in range(listing.len)]
    dims = [listing.items[i].dimensions for i in range(listing.len)]
    lib.zova_vector_collection_list_free(listing)
    for name in (names or [b"docs"])[:3]:
        info = ffi.new("zova_vector_collection_info *")
        check_status(lib.zova_vector_collection_info_get(ffi.new("zova_vector_collection_info_get_request *",
                                                                 [db.ptr, db.s(name), info])))
        d = info.dimensions if status == OK and info.name != ffi.NULL else 2
        lib.zova_vector_collection_info_free(info)
        query = ffi.new("float[]", [1.0] * max(1, min(d, 64)))
        results = ffi.new("zova_vector_search_results *")
        check_status(lib.zova_vector_search(ffi.new("zova_vector_search_request *",
                                                    [db.ptr, db.s(name), query, max(1, min(d, 64)), 5, results])))
        lib.zova_vector_search_results_free(results)
        vec = ffi.new("zova_vector *")
        for vid in (b"a", b"b"):
            check_status(lib.zova_vector_get(ffi.new("zova_vector_get_request *",
                                                     [db.ptr, db.s(name), db.s(vid), vec])))
            lib.zova_vector_free(vec)
        check_status(lib.zova_vector_search_by_id(ffi.new("zova_vector_search_by_id_request *",
                                                          [db.ptr, db.s(name), db.s(b"a"), 3, results])))
        lib.zova_vector_search_results_free(results)
    for raw in statement_rows(db, b"select object_id from _zova_objects")[:4]:
        oid = {"bytes": list((raw + bytes(32))[:32])}
        buf = ffi.new("zova_buffer *")
        check_status(lib.zova_object_get(ffi.new("zova_object_get_request *", [db.ptr, oid, buf])))
        lib.zova_buffer_free(buf)
        manifest = ffi.new("zova_object_manifest *")
        check_status(lib.zova_object_manifest_get(ffi.new("zova_object_manifest_get_request *",
                                                          [db.ptr, oid, manifest])))
        lib.zova_object_manifest_free(manifest)
        target = ffi.new("uint8_t[]", 700)
        copied = ffi.new("size_t *")
        check_status(lib.zova_object_read_range(ffi.new("zova_object_read_range_request *",
                                                        [db.ptr, oid, fdp.ConsumeIntInRange(0, 4000), target, 700,
                                                         copied])))
        assert copied[0] <= 700
    for raw in statement_rows(db, b"select chunk_hash from _zova_chunks")[:3]:
        buf = ffi.new("zova_buffer *")
        check_status(lib.zova_object_chunk_get(ffi.new("zova_object_chunk_get_request *",
                                                       [db.ptr, {"bytes": list((raw + bytes(32))[:32])}, buf])))
        lib.zova_buffer_free(buf)
    statement_rows(db, b"pragma quick_check")
    statement_rows(db, b"select * from notes")
    if fdp.ConsumeBool():
        data = fdp.ConsumeBytes(64)
        buf = ffi.new("uint8_t[]", data) if data else ffi.NULL
        out = ffi.new("zova_object_id *")
        check_status(lib.zova_object_put(ffi.new("zova_object_put_request *", [db.ptr, buf, len(data), out])))
        floats = ffi.new("float[]", [1.0, 2.0])
        check_status(lib.zova_vector_put(ffi.new("zova_vector_put_request *",
                                                 [db.ptr, db.s(b"docs"), db.s(b"new"), floats, 2])))
    del dims


SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "open", "seed-valid-512-rw")


def crafted_file(data: bytes) -> tuple[bool, bytes]:
    """Inputs longer than 1 KiB are a mode byte + a whole file; shorter ones
    are patches (offset, bytes) over the committed valid seed, so most
    mutations stay close to a well-formed file."""
    if len(data) > 1024:
        return bool(data[0] & 1), data[1:]
    if "seed" not in _state:
        with open(SEED, "rb") as handle:
            _state["seed"] = handle.read()[1:]
    fdp = atheris.FuzzedDataProvider(data)
    content = bytearray(_state["seed"])
    read_only = fdp.ConsumeBool()
    for _ in range(fdp.ConsumeIntInRange(0, 8)):
        offset = fdp.ConsumeIntInRange(0, len(content) - 1)
        patch = fdp.ConsumeBytes(fdp.ConsumeIntInRange(1, 4))
        content[offset:offset + len(patch)] = patch
    if fdp.ConsumeIntInRange(0, 7) == 0:
        del content[fdp.ConsumeIntInRange(0, len(content)):]
    return read_only, bytes(content)


def TestOneInput(data: bytes) -> None:
    if _state["dir"] is None:
        _state["dir"] = scratch_dir("open")
    read_only, content = crafted_file(data)
    path = os.path.join(_state["dir"], "crafted.zova")
    for suffix in ("", "-journal", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    with open(path, "wb") as handle:
        handle.write(content)
    db = Db(path, create=False, read_only=read_only)
    if db.status == OK:
        exercise(db, atheris.FuzzedDataProvider(data[-16:]))
        db.close()
    else:
        assert db.status in (lib.ZOVA_NOT_ZOVA_DATABASE, lib.ZOVA_UNSUPPORTED_ZOVA_VERSION, lib.ZOVA_CANT_OPEN,
                             lib.ZOVA_CORRUPT, lib.ZOVA_SQLITE_ERROR, lib.ZOVA_BUSY, lib.ZOVA_OUT_OF_MEMORY), db.status


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--make-seed":
        print(make_seed(sys.argv[2]))
    else:
        run(TestOneInput)
