"""Builders for healthy and damaged .zova files used by the operations,
diagnostics and CLI tests (docs/cli.md §1.6 damage list).

Objects, chunks and vectors are written as rows with SQL (docs/file-format.md §2-§4),
bypassing the object and vector APIs, so these fixtures do not depend on them:
chunk id = SHA-256 of the chunk, object id = SHA-256 of the whole content, and
vectors are little-endian f32 blobs.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import struct
import sys
from pathlib import Path

import pytest

import zova

SECRET_ROW = "generated-secret-row-value"
OBJECT_A = b"hello object " * 1000          # 13000 bytes, 3 chunks of <= 6000
OBJECT_B = b"streamed object " * 20          # 320 bytes, 1 chunk
LOOSE = b"hidden chunk bytes"


def header_functions() -> list[str]:
    """The functions include/zova.h declares, in order: a declaration is a
    zova_ name, its parameter list and `;` (the return type may be on the line
    before), outside comments."""
    header = Path(__file__).resolve().parent.parent / "include" / "zova.h"
    text = re.sub(r"/\*.*?\*/", "", header.read_text(), flags=re.S)
    return re.findall(r"\b(zova_\w+)\s*\([^;{}]*\)\s*;", text)


def installed_zova() -> str:
    """The installed ``zova`` console script: the one next to this interpreter
    (the venv), else the one on PATH; the CLI tests fail without it."""
    candidate = Path(sys.executable).parent / "zova"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which("zova")
    if not found:
        pytest.fail("the installed `zova` command was not found next to sys.executable or on PATH; "
                    "install the package (pip install .) before running the CLI tests")
    return found


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def run(db: zova.Database, sql: str, *params) -> list[tuple]:
    with db.prepare(sql) as statement:
        for index, value in enumerate(params, start=1):
            if value is None:
                statement.bind_null(index)
            elif isinstance(value, int):
                statement.bind_int(index, value)
            elif isinstance(value, float):
                statement.bind_float(index, value)
            elif isinstance(value, str):
                statement.bind_text(index, value)
            else:
                statement.bind_blob(index, bytes(value))
        return statement.fetchall()


def put_chunk_sql(db: zova.Database, data: bytes) -> bytes:
    hash_ = sha(data)
    run(db, "insert or ignore into _zova_chunks (chunk_hash, size_bytes, data) values (?, ?, ?)",
        hash_, len(data), data)
    return hash_


def put_object_sql(db: zova.Database, data: bytes, chunk_size: int = 6000) -> bytes:
    """Stores data as an object with fixed-size chunks (any boundaries are valid
    for reads; FastCDC only decides how writers cut)."""
    object_id = sha(data)
    pieces = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)]
    offset = 0
    for index, piece in enumerate(pieces):
        hash_ = put_chunk_sql(db, piece)
        run(db, "insert into _zova_object_chunks (object_id, chunk_index, chunk_hash, offset, size_bytes) "
                "values (?, ?, ?, ?, ?)", object_id, index, hash_, offset, len(piece))
        offset += len(piece)
    run(db, "insert into _zova_objects (object_id, size_bytes, chunk_count, chunker) values (?, ?, ?, 'fastcdc-v1')",
        object_id, len(data), len(pieces))
    return object_id


def f32(values) -> bytes:
    return struct.pack(f"<{len(values)}f", *values)


def put_collection_sql(db: zova.Database, name: str, dimensions: int, metric: str = "cosine") -> None:
    run(db, "insert into _zova_vector_collections (name, dimensions, metric, element_type) values (?, ?, ?, 'f32')",
        name, dimensions, metric)


def put_vector_sql(db: zova.Database, collection: str, vector_id: str, values) -> None:
    run(db, 'insert into _zova_vectors (collection_name, vector_id, dimensions, "values") values (?, ?, ?, ?)',
        collection, vector_id, len(values), f32(values))


def make_healthy(path: str) -> dict:
    """The healthy fixture: a user table with a secret row, 2 objects (one of 3
    chunks), 1 loose chunk, 1 collection with 1 vector (values 7.25 and 2.0)."""
    with zova.Database.create(path) as db:
        db.exec("create table notes(id integer primary key, body text, payload blob)")
        db.exec("create index notes_body on notes(body)")
        db.exec("create view notes_view as select id from notes")
        run(db, "insert into notes(body, payload) values (?, ?)", SECRET_ROW, b"secret blob value")
        run(db, "insert into notes(body, payload) values (?, ?)", "second row", None)
        a = put_object_sql(db, OBJECT_A)
        b = put_object_sql(db, OBJECT_B)
        loose = put_chunk_sql(db, LOOSE)
        put_collection_sql(db, "docs", 2, "cosine")
        put_vector_sql(db, "docs", "v1", [7.25, 2.0])
    return {"object_a": a, "object_b": b, "loose": loose}


# ---- damage (docs/cli.md §1.6) ----

def flip_chunk_bytes(path: str, object_id: bytes, chunk_index: int = 1) -> bytes:
    """Flips bytes inside one stored chunk of an object; returns the chunk hash."""
    with zova.Database.open(path) as db:
        hash_ = run(db, "select chunk_hash from _zova_object_chunks where object_id = ? and chunk_index = ?",
                    object_id, chunk_index)[0][0]
        data = bytearray(run(db, "select data from _zova_chunks where chunk_hash = ?", hash_)[0][0])
        data[10] ^= 0xFF
        data[11] ^= 0x01
        run(db, "update _zova_chunks set data = ? where chunk_hash = ?", bytes(data), hash_)
    return hash_


def delete_chunk_row(path: str, object_id: bytes, chunk_index: int = 0) -> bytes:
    with zova.Database.open(path) as db:
        hash_ = run(db, "select chunk_hash from _zova_object_chunks where object_id = ? and chunk_index = ?",
                    object_id, chunk_index)[0][0]
        run(db, "delete from _zova_chunks where chunk_hash = ?", hash_)
    return hash_


def manifest_gap(path: str, object_id: bytes, chunk_index: int = 1) -> None:
    with zova.Database.open(path) as db:
        run(db, "delete from _zova_object_chunks where object_id = ? and chunk_index = ?", object_id, chunk_index)


def bad_vector_blob(path: str, collection: str = "docs", vector_id: str = "v1") -> None:
    """A NaN stored in the vector (same length, so the CHECK constraint holds)."""
    with zova.Database.open(path) as db:
        run(db, 'update _zova_vectors set "values" = ? where collection_name = ? and vector_id = ?',
            f32([float("nan"), 1.0]), collection, vector_id)


def bad_vector_length(path: str, collection: str = "docs", vector_id: str = "v1") -> None:
    """Stored dimensions/blob of 3 floats in a 2-dimension collection."""
    with zova.Database.open(path) as db:
        run(db, 'update _zova_vectors set dimensions = 3, "values" = ? where collection_name = ? and vector_id = ?',
            f32([1.0, 2.0, 3.0]), collection, vector_id)


def bad_meta_row(path: str, key: str = "format_version", value: str = "4") -> None:
    with zova.Database.open(path) as db:
        run(db, "update _zova_meta set value = ? where key = ?", value, key)


def truncate(path: str, keep_fraction: float = 0.5) -> None:
    size = os.path.getsize(path)
    with open(path, "r+b") as handle:
        handle.truncate(int(size * keep_fraction) // 4096 * 4096 or 4096)


def break_quick_check(path: str) -> None:
    """A user table whose rows violate its (rewritten) schema: quick_check fails."""
    with zova.Database.open(path) as db:
        db.exec("create table damaged(a); insert into damaged values (null), (1)")
    connection = sqlite3.connect(path)
    connection.execute("pragma writable_schema=on")
    connection.execute("update sqlite_master set sql = 'CREATE TABLE damaged(a NOT NULL)' where name = 'damaged'")
    connection.commit()
    connection.close()
