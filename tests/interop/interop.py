"""The Python side of the cross-language test (tests/interop/README.md):
``interop.py write PATH LANG`` creates the shared dataset, ``interop.py read PATH``
prints its summary."""
from __future__ import annotations

import hashlib
import sys

import zova


def write(path: str, lang: str) -> None:
    a = bytes((i * 7 + 3) % 256 for i in range(150_000))
    c = bytes((i * 13) % 251 for i in range(100_000))
    with zova.Database.create(path) as db:
        db.exec("create table people (id integer primary key, name text not null, avatar blob)")
        db.exec("create table meta (writer text)")
        id_a = db.put_object(a)
        with db.object_writer() as writer:
            for offset in range(0, len(c), 1000):
                writer.write(c[offset:offset + 1000])
            id_c = writer.finish()
        with db.prepare("insert into people (id, name, avatar) values (?1, ?2, ?3)") as insert:
            for row_id, name, avatar in ((1, "ada", id_a), (2, "grace", id_c), (3, "linus", None)):
                insert.bind_int(1, row_id)
                insert.bind_text(2, name)
                if avatar is None:
                    insert.bind_null(3)
                else:
                    insert.bind_blob(3, avatar.bytes)
                insert.step()
                insert.reset()
        with db.prepare("insert into meta (writer) values (?1)") as insert:
            insert.bind_text(1, lang)
            insert.step()
        db.create_vector_collection("emb", zova.VectorCollectionOptions(4, zova.VectorMetric.COSINE))
        db.put_vectors("emb", [zova.VectorInput("v1", [1, 0, 0, 0]), zova.VectorInput("v2", [0.5, 0.5, 0, 0]),
                               zova.VectorInput("v3", [0, 1, 0, 0]), zova.VectorInput("v4", [0, 0, 1, 1])])


def read(path: str) -> None:
    with zova.Database.open(path, read_only=True) as db:
        print(f"writer={db.prepare('select writer from meta').fetchall()[0][0]}")
        rows = db.prepare("select name, avatar from people order by id").fetchall()
        print("people=" + ",".join(f"{name}:{avatar.hex() if avatar else 'null'}" for name, avatar in rows))
        for _, avatar in rows:
            if avatar:
                data = db.get_object(zova.ObjectId(avatar))
                status = "ok" if hashlib.sha256(data).digest() == avatar else "bad"
                print(f"object={avatar.hex()}:{len(data)}:{status}")
        hits = db.search_vectors("emb", [1, 0, 0, 0], 3)
        print("search=" + ",".join(f"{hit.id}:{hit.distance:.6f}" for hit in hits))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "read":
        read(sys.argv[2])
    else:
        sys.exit("usage: interop.py write PATH LANG | interop.py read PATH")
