"""Zova quickstart: records, objects and vectors in one .zova file, then a search.

Run: python examples/quickstart.py [path]   (default: quickstart.zova in a temp dir)
"""
from __future__ import annotations

import os
import sys
import tempfile

import zova


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(tempfile.mkdtemp(), "quickstart.zova")
    with zova.Database.create(path) as db:
        # Records: plain SQL on SQLite.
        db.exec("create table docs (id integer primary key, title text not null, body_object blob, lang text)")

        # Objects: content-addressed bytes, chunked and deduplicated.
        docs = [
            ("Cats", "Cats sleep most of the day and purr when content.", "en", [0.9, 0.1, 0.0]),
            ("Dogs", "Dogs are loyal companions that love long walks.", "en", [0.8, 0.3, 0.1]),
            ("Rockets", "Rockets carry satellites into orbit.", "en", [0.0, 0.2, 0.9]),
            ("Chats", "Les chats dorment presque toute la journée.", "fr", [0.85, 0.15, 0.05]),
        ]
        db.create_vector_collection("docs", zova.VectorCollectionOptions(3, zova.VectorMetric.COSINE))
        with db.prepare("insert into docs (title, body_object, lang) values (?, ?, ?)") as insert:
            for title, body, lang, embedding in docs:
                object_id = db.put_object(body.encode())
                insert.bind_text(1, title)
                insert.bind_blob(2, object_id.bytes)
                insert.bind_text(3, lang)
                insert.step()
                insert.reset()
                # Vectors: one embedding per document, keyed by the row id.
                db.put_vector("docs", str(db.last_insert_rowid()), embedding)

        # Exact nearest-neighbour search through the Python API...
        query = [0.88, 0.12, 0.02]
        print(f"database: {path}")
        print("nearest documents to the query:")
        for result in db.search_vectors("docs", query, 3):
            with db.prepare("select title, body_object from docs where id = ?") as select:
                select.bind_int(1, int(result.id))
                select.step()
                found, body_id = select.column_text(0), zova.ObjectId(select.column_blob(1))
            body = db.get_object(body_id).decode()
            print(f"  {result.distance:.4f}  {found}: {body}")

        # ...and the same search in SQL, joined to the table and filtered there.
        sql = ("select d.title, s.distance from zova_vector_search s join docs d on d.id = s.vector_id "
               "where s.collection = 'docs' and s.query_vector = ? and s.top_k = 3 and d.lang = 'en' "
               "order by s.rank")
        with db.prepare(sql) as search:
            search.bind_blob(1, zova.encode_f32_le(query))
            print("English documents only, via SQL:")
            for title, distance in search:
                print(f"  {distance:.4f}  {title}")


if __name__ == "__main__":
    main()
