"""The SQL surface of docs/c-api.md §8: zova_vector_distance, zova_vector_distance_by_id and
the eponymous virtual table zova_vector_search (rank column, planning rules, errors
as SQLITE_ERROR(17) with the helper's message), on read/write and read-only handles,
and the README join of a vector search with a user table filtered in SQL."""
from __future__ import annotations

import math

import numpy as np
import pytest

import zova
from zova import VectorCollectionOptions, ZovaError, encode_f32_le

SQLITE_ERROR = 17


def rows(db, sql, *params):
    statement = db.prepare(sql)
    try:
        for i, value in enumerate(params, 1):
            if isinstance(value, bytes):
                statement.bind_blob(i, value)
            elif isinstance(value, str):
                statement.bind_text(i, value)
            elif isinstance(value, float):
                statement.bind_float(i, value)
            elif value is None:
                statement.bind_null(i)
            else:
                statement.bind_int(i, value)
        return statement.fetchall()
    finally:
        statement.close()


def sql_error(db, sql, *params):
    with pytest.raises(ZovaError) as info:
        rows(db, sql, *params)
    assert info.value.status == SQLITE_ERROR
    return info.value.message or ""


@pytest.fixture
def docs(db):
    db.create_vector_collection("docs", VectorCollectionOptions(3, 0))
    db.put_vector("docs", "a", [1, 2, 3])
    db.put_vector("docs", "b", [1, 0, 0])
    db.put_vector("docs", "c", [0, 1, 0])
    db.put_vector("docs", "d", [1, 0.1, 0])
    db.exec("create table docs (id text primary key, title text, lang text);"
            "insert into docs values ('a', 'Alpha', 'en'), ('b', 'Beta', 'fr'), ('c', 'Gamma', 'en'),"
            " ('d', 'Delta', 'en')")
    return db


def test_readme_join_filtered_by_sql_c_abi_8_2(docs):
    query = encode_f32_le([1, 0, 0])
    got = rows(docs, "select d.title, s.distance from zova_vector_search s join docs d on d.id = s.vector_id "
                     "where s.collection = 'docs' and s.query_vector = ? and s.top_k = 3 and d.lang = 'en' "
                     "order by s.rank", query)
    expected = [(r.id, r.distance) for r in docs.search_vectors("docs", [1, 0, 0], 3)]
    titles = {"a": "Alpha", "b": "Beta", "c": "Gamma", "d": "Delta"}
    assert got == [(titles[i], d) for i, d in expected if i != "b"]
    assert [t for t, _ in got] == ["Delta", "Alpha"]


def test_rank_rowid_and_order_c_abi_8_2(docs):
    query = encode_f32_le([1, 0, 0])
    got = rows(docs, "select rank, rowid, vector_id, distance from zova_vector_search "
                     "where collection = 'docs' and query_vector = ? and top_k = 10", query)
    api = docs.search_vectors("docs", [1, 0, 0], 10)
    assert got == [(i + 1, i + 1, r.id, r.distance) for i, r in enumerate(api)]
    desc = rows(docs, "select vector_id from zova_vector_search where collection = 'docs' and query_vector = ? "
                      "and top_k = 10 order by rank desc", query)
    assert [v for (v,) in desc] == [r.id for r in reversed(api)]
    assert rows(docs, "select * from zova_vector_search where collection = 'docs' and query_vector = ? "
                      "and top_k = 1", query) == [(1, "b", 0.0)]  # hidden columns not in *


def test_source_id_threshold_and_top_k_zero_c_abi_8_2(docs):
    got = rows(docs, "select vector_id, distance from zova_vector_search where collection = 'docs' "
                     "and source_vector_id = 'b' and top_k = 10")
    assert got == [(r.id, r.distance) for r in docs.search_vectors_by_id("docs", "b", 10)]
    assert "b" not in [v for v, _ in got]
    edge = got[1][1]
    within = rows(docs, "select vector_id from zova_vector_search where collection = 'docs' "
                        "and source_vector_id = 'b' and max_distance = ?", edge)
    assert [v for (v,) in within] == [v for v, _ in got[:2]]  # inclusive, no top_k needed
    assert rows(docs, "select vector_id from zova_vector_search where collection = 'docs' "
                      "and source_vector_id = 'b' and max_distance = 1") == [(v,) for v, d in got if d <= 1]
    assert rows(docs, "select vector_id from zova_vector_search where collection = 'docs' "
                      "and query_vector = ? and top_k = 0", encode_f32_le([1, 0, 0])) == []
    both = rows(docs, "select vector_id from zova_vector_search where collection = 'docs' "
                      "and source_vector_id = 'b' and max_distance = 0.5 and top_k = 1")
    assert both == [("d",)]


def test_planning_rules_reject_incomplete_inputs_c_abi_8_2(docs):
    q = encode_f32_le([1, 0, 0])
    for where in ("query_vector = ? and top_k = 1",  # no collection
                  "collection = 'docs' and top_k = 1",  # no input
                  "collection = 'docs' and query_vector = ? and source_vector_id = 'a' and top_k = 1",  # both
                  "collection = 'docs' and query_vector = ?",  # unbounded
                  "collection = 'docs' and query_vector = ? and top_k > 1"):  # only = is consumed
        params = (q,) if "?" in where else ()
        with pytest.raises(ZovaError) as info:
            rows(docs, f"select * from zova_vector_search where {where}", *params)
        assert info.value.status == SQLITE_ERROR
    with pytest.raises(ZovaError) as info:
        docs.exec("create virtual table v using zova_vector_search")
    assert info.value.status == SQLITE_ERROR


def test_vtab_argument_errors_c_abi_8_1(docs):
    base = "select * from zova_vector_search where collection = ? and query_vector = ? and top_k = ?"
    q = encode_f32_le([1, 0, 0])
    assert "invalid Zova vector SQL argument" in sql_error(docs, base, 1, q, 1)
    assert "invalid Zova vector SQL argument" in sql_error(docs, base, "docs", "text", 1)
    assert "invalid Zova vector SQL argument" in sql_error(docs, base, "docs", q, 1.5)
    assert "invalid Zova vector SQL argument" in sql_error(docs, base, "docs", q, -1)
    assert "Zova vector collection not found" in sql_error(docs, base, "nope", q, 1)
    assert "Zova vector dimension mismatch" in sql_error(docs, base, "docs", encode_f32_le([1, 0]), 1)
    assert "Zova vector dimension mismatch" in sql_error(docs, base, "docs", b"\0" * 13, 1)
    assert "invalid Zova vector value" in sql_error(docs, base, "docs", np.array([math.nan, 0, 0], "<f4").tobytes(), 1)
    assert "invalid Zova vector value" in sql_error(docs, base, "docs", encode_f32_le([0, 0, 0]), 1)
    assert "invalid Zova vector value" in sql_error(docs, base, "_zova_x", q, 1)
    by_source = "select * from zova_vector_search where collection = 'docs' and source_vector_id = ? and top_k = 3"
    assert "Zova vector not found" in sql_error(docs, by_source, "zz")
    assert "invalid Zova vector SQL argument" in sql_error(docs, by_source, 5)
    within = "select * from zova_vector_search where collection = 'docs' and query_vector = ? and max_distance = ?"
    assert "invalid Zova vector value" in sql_error(docs, within, q, math.inf)
    assert "invalid Zova vector SQL argument" in sql_error(docs, within, q, "0.5")
    assert rows(docs, within, q, 0) == [(1, "b", 0.0)]  # INTEGER max_distance accepted, inclusive


def test_distance_functions_c_abi_8_1(docs):
    q = encode_f32_le([1, 0, 0])
    (got,) = rows(docs, "select zova_vector_distance('docs', 'a', ?)", q)
    expected = {r.id: r.distance for r in docs.search_vectors("docs", [1, 0, 0], 10)}
    assert got == (expected["a"],)
    (got,) = rows(docs, "select zova_vector_distance_by_id('docs', 'a', 'b')")
    assert got == (expected["a"],)
    per_row = rows(docs, "select vector_id, zova_vector_distance(collection_name, vector_id, ?) from _zova_vectors "
                         "order by vector_id", q)
    assert per_row == sorted(expected.items())
    assert "invalid Zova vector SQL argument" in sql_error(docs, "select zova_vector_distance('docs', 'a', 'x')")
    assert "invalid Zova vector SQL argument" in sql_error(docs, "select zova_vector_distance('docs', 1, ?)", q)
    assert "invalid Zova vector SQL argument" in sql_error(docs, "select zova_vector_distance_by_id('docs', 'a', ?)",
                                                           q)
    assert "Zova vector collection not found" in sql_error(docs, "select zova_vector_distance('x', 'a', ?)", q)
    assert "Zova vector not found" in sql_error(docs, "select zova_vector_distance('docs', 'zz', ?)", q)
    assert "Zova vector not found" in sql_error(docs, "select zova_vector_distance_by_id('docs', 'a', 'zz')")
    assert "Zova vector dimension mismatch" in sql_error(docs, "select zova_vector_distance('docs', 'a', ?)",
                                                         encode_f32_le([1]))
    assert "invalid Zova vector value" in sql_error(docs, "select zova_vector_distance('docs', '', ?)", q)
    with pytest.raises(ZovaError) as info:
        docs.prepare("select zova_vector_distance('docs', 'a')")
    assert info.value.status == SQLITE_ERROR


def test_read_only_and_sql_only_handles(docs, path):
    """Registered on every handle (docs/c-api.md §8); a handle used only through SQL closes cleanly."""
    q = encode_f32_le([0, 1, 0])
    for read_only in (True, False):
        other = zova.Database.open(path, read_only=read_only)
        got = rows(other, "select vector_id from zova_vector_search where collection = 'docs' "
                          "and query_vector = ? and top_k = 1", q)
        assert got == [("c",)]
        assert rows(other, "select zova_vector_distance_by_id('docs', 'c', 'c')") == [(0.0,)]
        other.close()
    # after a vector API call the SQL helpers reuse cached statements; close still works
    other = zova.Database.open(path)
    other.has_vector("docs", "a")
    assert rows(other, "select zova_vector_distance_by_id('docs', 'c', 'c')") == [(0.0,)]
    other.close()
    zova.Database.open(path).close()


def test_sql_search_matches_api_on_random_data(db):
    rng = np.random.default_rng(4)
    matrix = rng.standard_normal((400, 24)).astype(np.float32)
    ids = [f"k{i}" for i in range(400)]
    for metric in (0, 1, 2):
        name = f"r{metric}"
        db.create_vector_collection(name, VectorCollectionOptions(24, metric))
        db.put_vectors(name, ids, matrix)
        q = rng.standard_normal(24).astype(np.float32)
        api = [(r.id, r.distance) for r in db.search_vectors(name, q, 15)]
        got = rows(db, "select vector_id, distance from zova_vector_search where collection = ? "
                       "and query_vector = ? and top_k = 15 order by rank", name, encode_f32_le(q))
        assert got == api
