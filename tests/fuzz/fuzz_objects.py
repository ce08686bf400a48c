"""Fuzz target: objects with crafted bytes and manifests (docs/c-api.md §4.9, §4.10, §7.6,
§7.7): object_put / put_many, chunk_put with right or wrong hashes and sizes,
assemble_from_chunks with fuzzed index/offset/size rows over stored chunks,
read_range at fuzzed offsets and buffer lengths, manifest_get, chunk_get,
chunk_delete, object_delete and writer sequences. Checks round trips against
hashlib (get == bytes put, read_range == slice, ids == SHA-256, manifests
contiguous) and that every status is one docs/c-api.md §2.1 defines.

    python tests/fuzz/fuzz_objects.py -max_total_time=60 tests/fuzz/corpus/objects
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import atheris  # noqa: E402

from _common import OK, Db, check_status, ffi, lib, run, scratch_dir, sha  # noqa: E402

_state: dict = {"db": None, "count": 0, "dir": None}


def database() -> Db:
    if _state["db"] is None or _state["count"] >= 200:
        if _state["db"] is not None:
            _state["db"].close()
            os.unlink(_state["path"])
        if _state["dir"] is None:
            _state["dir"] = scratch_dir("objects")
        _state["path"] = os.path.join(_state["dir"], "objects.zova")
        _state["db"], _state["count"] = Db(_state["path"]), 0
        _state["known"] = {}  # object id -> bytes
        _state["chunks"] = {}  # chunk hash -> bytes
    _state["count"] += 1
    return _state["db"]


def payload(fdp: atheris.FuzzedDataProvider) -> bytes:
    kind = fdp.ConsumeIntInRange(0, 3)
    if kind == 0:
        return fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 600))
    # larger inputs so FastCDC produces several chunks; content from a seed
    seed = fdp.ConsumeBytes(8) or b"\x00"
    size = fdp.ConsumeIntInRange(0, [2048, 20000, 150000][kind - 1])
    block = sha(seed) * (size // 32 + 1)
    return block[:size] if kind != 3 else os.urandom(0) + bytes((b * 31 + i) & 0xFF for i, b in
                                                               enumerate(block[:size]))


def object_id(raw: bytes):
    return {"bytes": list(raw)}


def get_object(db, oid: bytes):
    out = ffi.new("zova_buffer *")
    status = check_status(lib.zova_object_get(ffi.new("zova_object_get_request *", [db.ptr, object_id(oid), out])))
    data = bytes(ffi.buffer(out.data, out.len)) if out.len else b""
    if status != OK:
        assert out.data == ffi.NULL and out.len == 0
    lib.zova_buffer_free(out)
    return status, data


def manifest(db, oid: bytes):
    out = ffi.new("zova_object_manifest *")
    status = check_status(lib.zova_object_manifest_get(ffi.new("zova_object_manifest_get_request *",
                                                               [db.ptr, object_id(oid), out])))
    rows = []
    if status == OK:
        assert ffi.string(out.chunker) == b"fastcdc-v1"
        assert out.chunks_len == out.chunk_count
        offset = 0
        for i in range(out.chunks_len):
            row = out.chunks[i]
            assert row.index == i and row.offset == offset and 1 <= row.size_bytes <= 65536
            offset += row.size_bytes
            rows.append((bytes(row.hash.bytes), row.size_bytes))
        assert offset == out.size_bytes
    lib.zova_object_manifest_free(out)
    return status, rows


def op_put(db, fdp):
    data = payload(fdp)
    buf = ffi.new("uint8_t[]", data) if data else ffi.NULL
    out = ffi.new("zova_object_id *")
    status = check_status(lib.zova_object_put(ffi.new("zova_object_put_request *", [db.ptr, buf, len(data), out])))
    assert status == OK, db.last_error()
    assert bytes(out.bytes) == sha(data)
    _state["known"][sha(data)] = data


def op_put_many(db, fdp):
    items = [payload(fdp) for _ in range(fdp.ConsumeIntInRange(0, 4))]
    bufs = [ffi.new("uint8_t[]", d) if d else ffi.NULL for d in items]
    data = ffi.new("const uint8_t *[]", bufs or [ffi.NULL])
    lens = ffi.new("size_t[]", [len(d) for d in items] or [0])
    out = ffi.new("zova_object_id[]", max(len(items), 1))
    status = check_status(lib.zova_object_put_many(ffi.new("zova_object_put_many_request *",
                                                           [db.ptr, data, lens, len(items), out])))
    assert status == OK, db.last_error()
    for i, item in enumerate(items):
        assert bytes(out[i].bytes) == sha(item)
        _state["known"][sha(item)] = item


def op_chunk_put(db, fdp):
    data = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 300)) if fdp.ConsumeBool() else payload(fdp)
    right = fdp.ConsumeIntInRange(0, 3) != 0
    expected = sha(data) if right else (fdp.ConsumeBytes(32) + bytes(32))[:32]
    buf = ffi.new("uint8_t[]", data) if data else ffi.NULL
    status = check_status(lib.zova_object_chunk_put(ffi.new("zova_object_chunk_put_request *",
                                                            [db.ptr, object_id(expected), buf, len(data)])))
    if not 1 <= len(data) <= 65536:
        assert status == lib.ZOVA_OBJECT_CORRUPT
    elif expected != sha(data):
        assert status == lib.ZOVA_OBJECT_CHUNK_HASH_MISMATCH
    else:
        assert status == OK, db.last_error()
        _state["chunks"][expected] = data


def op_assemble(db, fdp):
    pool = list(_state["chunks"].items())
    rows = []
    for _ in range(fdp.ConsumeIntInRange(0, 6)):
        if pool and fdp.ConsumeIntInRange(0, 5):
            hash_, data = pool[fdp.ConsumeIntInRange(0, len(pool) - 1)]
        else:
            hash_, data = (fdp.ConsumeBytes(32) + bytes(32))[:32], b""
        rows.append([hash_, len(data)])
    # honest layout first, then fuzzed damage
    order = list(range(len(rows)))
    if fdp.ConsumeBool():
        order.reverse()
    chunks = ffi.new("zova_object_manifest_chunk[]", max(len(rows), 1))
    offset, honest = 0, b""
    for position, i in enumerate(order):
        hash_, size = rows[i]
        chunks[position].index = i
        chunks[position].hash.bytes = list(hash_)
        chunks[position].offset = sum(rows[j][1] for j in range(i))
        chunks[position].size_bytes = size
    for hash_, size in rows:
        honest += _state["chunks"].get(hash_, b"")
        offset += size
    size_bytes = offset
    damage = fdp.ConsumeIntInRange(0, 6)
    if damage == 1 and rows:
        chunks[fdp.ConsumeIntInRange(0, len(rows) - 1)].index = fdp.ConsumeIntInRange(0, 2**64 - 1)
    elif damage == 2 and rows:
        chunks[fdp.ConsumeIntInRange(0, len(rows) - 1)].offset = fdp.ConsumeIntInRange(0, 2**64 - 1)
    elif damage == 3 and rows:
        chunks[fdp.ConsumeIntInRange(0, len(rows) - 1)].size_bytes = fdp.ConsumeIntInRange(0, 2**64 - 1)
    elif damage == 4:
        size_bytes = fdp.ConsumeIntInRange(0, 2**64 - 1)
    target = sha(honest) if fdp.ConsumeIntInRange(0, 3) else (fdp.ConsumeBytes(32) + bytes(32))[:32]
    count = len(rows) if damage != 5 else fdp.ConsumeIntInRange(0, len(rows))
    status = check_status(lib.zova_object_assemble_from_chunks(ffi.new(
        "zova_object_assemble_from_chunks_request *", [db.ptr, object_id(target), size_bytes, chunks, count])))
    if status == OK:
        # whatever the rows said, a stored object is content-addressed
        got_status, got = get_object(db, target)
        assert got_status == OK and sha(got) == target, db.last_error()
        if target in _state["known"]:
            assert got == _state["known"][target]
        elif damage == 0:
            assert got == honest
        _state["known"][target] = got
    elif size_bytes > 2**63 - 1:
        assert status == lib.ZOVA_OBJECT_TOO_LARGE or target in _state["known"]


def pick_id(fdp) -> bytes:
    known = list(_state["known"])
    if known and fdp.ConsumeIntInRange(0, 4):
        return known[fdp.ConsumeIntInRange(0, len(known) - 1)]
    return (fdp.ConsumeBytes(32) + bytes(32))[:32]


def op_read(db, fdp):
    oid = pick_id(fdp)
    data = _state["known"].get(oid)
    choice = fdp.ConsumeIntInRange(0, 4)
    if choice == 0:
        status, got = get_object(db, oid)
        assert (status == OK) == (data is not None)
        if data is not None:
            assert got == data
    elif choice == 1:
        status, rows = manifest(db, oid)
        assert (status == OK) == (data is not None)
        if data is not None:
            assert sum(size for _, size in rows) == len(data)
            assert len(rows) == (0 if not data else len(rows))
    elif choice == 2:
        size = len(data) if data is not None else 0
        offset = fdp.ConsumeIntInRange(0, size + 2) if fdp.ConsumeIntInRange(0, 5) else \
            fdp.ConsumeIntInRange(0, 2**64 - 1)
        buffer_len = fdp.ConsumeIntInRange(0, 70000)
        buf = ffi.new("uint8_t[]", max(buffer_len, 1))
        copied = ffi.new("size_t *", 12345)
        status = check_status(lib.zova_object_read_range(ffi.new(
            "zova_object_read_range_request *",
            [db.ptr, object_id(oid), offset, buf if buffer_len or fdp.ConsumeBool() else ffi.NULL,
             buffer_len, copied])))
        if data is None:
            assert status == lib.ZOVA_OBJECT_NOT_FOUND and copied[0] == 0
        elif offset > size:
            assert status == lib.ZOVA_OBJECT_RANGE_INVALID and copied[0] == 0
        else:
            assert status == OK, db.last_error()
            expected = data[offset:offset + buffer_len]
            assert copied[0] == len(expected)
            assert bytes(ffi.buffer(buf, len(expected))) == expected
    elif choice == 3:
        for name, ctype in (("zova_object_size", "uint64_t *"), ("zova_object_chunk_count", "uint64_t *"),
                            ("zova_object_exists", "uint8_t *")):
            out = ffi.new(ctype, 77)
            status = check_status(getattr(lib, name)(ffi.new(name + "_request *", [db.ptr, object_id(oid), out])))
            if name == "zova_object_exists":
                assert status == OK and out[0] == (data is not None)
            elif data is None:
                assert status == lib.ZOVA_OBJECT_NOT_FOUND and out[0] == 77
            elif name == "zova_object_size":
                assert status == OK and out[0] == len(data)
    else:
        chunks = list(_state["chunks"]) + [pick_id(fdp)]
        hash_ = chunks[fdp.ConsumeIntInRange(0, len(chunks) - 1)]
        out = ffi.new("zova_buffer *")
        status = check_status(lib.zova_object_chunk_get(ffi.new("zova_object_chunk_get_request *",
                                                                [db.ptr, object_id(hash_), out])))
        if status == OK:
            assert sha(bytes(ffi.buffer(out.data, out.len))) == hash_
        lib.zova_buffer_free(out)


def op_delete(db, fdp):
    if fdp.ConsumeBool():
        oid = pick_id(fdp)
        status = check_status(lib.zova_object_delete(ffi.new("zova_object_delete_request *", [db.ptr, object_id(oid)])))
        assert status == (OK if oid in _state["known"] else lib.ZOVA_OBJECT_NOT_FOUND), (status, db.last_error())
        _state["known"].pop(oid, None)
    else:
        chunks = list(_state["chunks"]) + [pick_id(fdp)]
        hash_ = chunks[fdp.ConsumeIntInRange(0, len(chunks) - 1)]
        deleted = ffi.new("uint8_t *", 9)
        status = check_status(lib.zova_object_chunk_delete(ffi.new("zova_object_chunk_delete_request *",
                                                                   [db.ptr, object_id(hash_), deleted])))
        assert status == OK and deleted[0] in (0, 1)
        if deleted[0]:
            _state["chunks"].pop(hash_, None)


def op_writer(db, fdp):
    out = ffi.new("zova_object_writer **")
    assert lib.zova_object_writer_create(ffi.new("zova_object_writer_create_request *", [db.ptr, out])) == OK
    writer = out[0]
    written = b""
    for _ in range(fdp.ConsumeIntInRange(0, 5)):
        piece = payload(fdp)
        buf = ffi.new("uint8_t[]", piece) if piece else ffi.NULL
        status = check_status(lib.zova_object_writer_write(ffi.new("zova_object_writer_write_request *",
                                                                   [writer, buf, len(piece)])))
        assert status == OK, db.last_error()
        written += piece
    end = fdp.ConsumeIntInRange(0, 2)
    if end == 0:
        oid = ffi.new("zova_object_id *")
        assert lib.zova_object_writer_finish(ffi.new("zova_object_writer_finish_request *", [writer, oid])) == OK
        assert bytes(oid.bytes) == sha(written)
        _state["known"][sha(written)] = written
        assert get_object(db, sha(written)) == (OK, written)
    elif end == 1:
        assert lib.zova_object_writer_cancel(ffi.new("zova_object_writer_cancel_request *", [writer])) == OK
    assert lib.zova_object_writer_destroy(writer) == OK


DAMAGE = [("_zova_objects", ["object_id", "size_bytes", "chunk_count", "chunker"]),
          ("_zova_chunks", ["chunk_hash", "size_bytes", "data"]),
          ("_zova_object_chunks", ["object_id", "chunk_index", "chunk_hash", "offset", "size_bytes"])]


def bind_value(db, stmt, index, fdp, keep):
    kind = fdp.ConsumeIntInRange(0, 5)
    if kind == 0:
        return lib.zova_statement_bind_null(ffi.new("zova_statement_bind_null_request *", [stmt, index]))
    if kind == 1:
        value = fdp.ConsumeIntInRange(-2, 70000) if fdp.ConsumeBool() else fdp.ConsumeIntInRange(-2**63, 2**63 - 1)
        return lib.zova_statement_bind_int64(ffi.new("zova_statement_bind_int64_request *", [stmt, index, value]))
    if kind == 2:
        return lib.zova_statement_bind_double(ffi.new("zova_statement_bind_double_request *",
                                                      [stmt, index, fdp.ConsumeFloat()]))
    data = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 40)) if kind != 5 else bytes(fdp.ConsumeIntInRange(0, 70000))
    buf = ffi.new("uint8_t[]", data) if data else ffi.NULL
    keep.append(buf)
    name = "zova_statement_bind_text" if kind == 3 else "zova_statement_bind_blob"
    return getattr(lib, name)(ffi.new(name + "_request *", [stmt, index, buf, len(data)]))


def op_damage(db, fdp):
    """Damages private object rows through SQL (CHECK constraints off), then
    probes every read: statuses must be defined and whatever succeeds must
    still be self-consistent (a returned object hashes to its id, ...)."""
    assert db.exec(b"pragma ignore_check_constraints = 1") == OK
    keep: list = []
    for _ in range(fdp.ConsumeIntInRange(1, 3)):
        table, columns = DAMAGE[fdp.ConsumeIntInRange(0, len(DAMAGE) - 1)]
        if fdp.ConsumeIntInRange(0, 4) == 0:
            sql = f"delete from {table} where rowid in (select rowid from {table} limit 1 offset ?1)"
            column = None
        else:
            column = columns[fdp.ConsumeIntInRange(0, len(columns) - 1)]
            sql = (f"update {table} set {column} = ?2 where rowid in "
                   f"(select rowid from {table} limit 1 offset ?1)")
        out = ffi.new("zova_statement **")
        assert lib.zova_database_prepare(ffi.new("zova_database_prepare_request *",
                                                 [db.ptr, db.s(sql.encode()), out])) == OK
        lib.zova_statement_bind_int64(ffi.new("zova_statement_bind_int64_request *",
                                              [out[0], 1, fdp.ConsumeIntInRange(0, 6)]))
        if column:
            bind_value(db, out[0], 2, fdp, keep)
        result = ffi.new("zova_step_result *")
        check_status(lib.zova_statement_step(ffi.new("zova_statement_step_request *", [out[0], result])))
        assert lib.zova_statement_finalize(out[0]) == OK
    _state["count"] = 10**9  # the model no longer holds: fresh database for the next input
    ids = list(_state["known"]) + [pick_id(fdp)]
    for oid in ids[:6]:
        status, got = get_object(db, oid)
        if status == OK:
            assert sha(got) == oid
        manifest(db, oid)  # asserts contiguity of any manifest it returns
        size = ffi.new("uint64_t *")
        check_status(lib.zova_object_size(ffi.new("zova_object_size_request *", [db.ptr, object_id(oid), size])))
        count = ffi.new("uint64_t *")
        check_status(lib.zova_object_chunk_count(ffi.new("zova_object_chunk_count_request *",
                                                         [db.ptr, object_id(oid), count])))
        buffer_len = fdp.ConsumeIntInRange(0, 70000)
        buf = ffi.new("uint8_t[]", max(buffer_len, 1))
        copied = ffi.new("size_t *")
        status = check_status(lib.zova_object_read_range(ffi.new(
            "zova_object_read_range_request *",
            [db.ptr, object_id(oid), fdp.ConsumeIntInRange(0, 200000), buf, buffer_len, copied])))
        assert copied[0] <= buffer_len
        assert status != lib.ZOVA_INVALID_ARGUMENT
    for hash_ in list(_state["chunks"])[:4]:
        out = ffi.new("zova_buffer *")
        status = check_status(lib.zova_object_chunk_get(ffi.new("zova_object_chunk_get_request *",
                                                                [db.ptr, object_id(hash_), out])))
        if status == OK:
            assert sha(bytes(ffi.buffer(out.data, out.len))) == hash_
        lib.zova_buffer_free(out)
    if fdp.ConsumeBool() and ids:
        check_status(lib.zova_object_delete(ffi.new("zova_object_delete_request *", [db.ptr, object_id(ids[0])])))
    if fdp.ConsumeBool():
        data = payload(fdp)
        buf = ffi.new("uint8_t[]", data) if data else ffi.NULL
        out = ffi.new("zova_object_id *")
        status = check_status(lib.zova_object_put(ffi.new("zova_object_put_request *",
                                                          [db.ptr, buf, len(data), out])))
        if status == OK:
            status, got = get_object(db, sha(data))
            assert status != OK or got == data


def op_transaction(db, fdp):
    """docs/c-api.md §5.9: inside BEGIN / SAVEPOINT, or while a stepped statement holds a
    read transaction, the self-transacting object calls return 58 and write
    nothing; chunk_put and reads still work."""
    how = fdp.ConsumeIntInRange(0, 2)
    stmt = None
    if how == 0:
        assert db.exec(b"begin") == OK
    elif how == 1:
        assert db.exec(b"savepoint fuzz_sp") == OK
    else:
        out = ffi.new("zova_statement **")
        # a query reading a table holds a read transaction once it returned a row
        assert lib.zova_database_prepare(ffi.new("zova_database_prepare_request *",
                                                 [db.ptr, db.s(b"select key from _zova_meta"), out])) == OK
        stmt = out[0]
        result = ffi.new("zova_step_result *")
        assert lib.zova_statement_step(ffi.new("zova_statement_step_request *", [stmt, result])) == OK
        assert result[0] == lib.ZOVA_STEP_ROW
    data = payload(fdp)
    buf = ffi.new("uint8_t[]", data) if data else ffi.NULL
    out_id = ffi.new("zova_object_id *", {"bytes": [7] * 32})
    active = lib.ZOVA_OBJECT_TRANSACTION_ACTIVE
    assert lib.zova_object_put(ffi.new("zova_object_put_request *", [db.ptr, buf, len(data), out_id])) == active
    assert bytes(out_id.bytes) == bytes([7] * 32)
    writer = ffi.new("zova_object_writer **")
    assert lib.zova_object_writer_create(ffi.new("zova_object_writer_create_request *", [db.ptr, writer])) == active
    assert writer[0] == ffi.NULL
    target = pick_id(fdp)
    assert lib.zova_object_delete(ffi.new("zova_object_delete_request *", [db.ptr, object_id(target)])) == active
    chunks = ffi.new("zova_object_manifest_chunk[1]")
    assert lib.zova_object_assemble_from_chunks(ffi.new("zova_object_assemble_from_chunks_request *",
                                                        [db.ptr, object_id(target), 1, chunks, 1])) == active
    if fdp.ConsumeBool():
        op_chunk_put(db, fdp)
    op_read(db, fdp)
    if stmt is not None:
        assert lib.zova_statement_finalize(stmt) == OK
    else:
        assert db.exec(b"rollback" if how == 0 else b"rollback to fuzz_sp; release fuzz_sp") == OK
        # a rolled-back chunk_put is gone: forget chunks the model learned inside
        _state["chunks"] = {h: d for h, d in _state["chunks"].items() if chunk_stored(db, h)}


def chunk_stored(db, hash_: bytes) -> bool:
    out = ffi.new("zova_buffer *")
    status = lib.zova_object_chunk_get(ffi.new("zova_object_chunk_get_request *", [db.ptr, object_id(hash_), out]))
    lib.zova_buffer_free(out)
    return status == OK


OPS = [op_put, op_put_many, op_chunk_put, op_chunk_put, op_assemble, op_assemble, op_read, op_read, op_read,
       op_delete, op_writer, op_transaction, op_damage]


def TestOneInput(data: bytes) -> None:
    db = database()
    fdp = atheris.FuzzedDataProvider(data)
    for _ in range(fdp.ConsumeIntInRange(1, 8)):
        op = OPS[fdp.ConsumeIntInRange(0, len(OPS) - 1)]
        op(db, fdp)
        if op is op_damage:
            break


if __name__ == "__main__":
    run(TestOneInput)
