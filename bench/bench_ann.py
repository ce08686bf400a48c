"""Approximate vector search benchmark (issue 17): Zova's persisted HNSW index
beside hnswlib, usearch and faiss IndexHNSWFlat, all in one run, on
embedding-like data (the shared generator ../shared/bench/embedding_like.py,
imported from there; uniform Gaussian vectors have no structure and are the
wrong test for approximate search).

    python bench/bench_ann.py              # 100,000 x 384 cosine, 200 held-out queries
    python bench/bench_ann.py --n 20000    # a smaller run

Reported, for every engine with M=16, ef_construction=200 and the same number of
threads (both cores): build time, recall@10 against exact search and median
per-query latency for ef in 10..200 (single queries, one at a time), index size
on disk and in memory. For Zova also: the first approximate search after
reopening the file (it reads the stored graph, no rebuild), and an incremental
put_many of 1,000 vectors into the indexed collection in one transaction
(vectors/s, index maintenance included). Peers that are not installed are
skipped (pip install hnswlib usearch faiss-cpu; pyproject's bench extra).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench"))
sys.path.insert(0, "/work/shared/bench")

import zova  # noqa: E402
from embedding_like import embedding_like  # noqa: E402

EFS = [10, 16, 24, 32, 48, 64, 96, 128, 200]
THREADS = 2
K = 10


def recall(found, truth) -> float:
    return float(np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth)]))


def curve(name, search, queries, truth, rows):
    for ef in EFS:
        found, times = [], []
        for q in queries:
            t = time.perf_counter()
            ids = search(q, ef)
            times.append(time.perf_counter() - t)
            found.append(ids)
        rows.setdefault(ef, {})[name] = (recall(found, truth), statistics.median(times) * 1e3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--d", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("ZOVA_VECTOR_THREADS", str(THREADS))
    base, queries = embedding_like(args.n, args.d, n_queries=args.queries, seed=0)
    ids = [f"v{i}" for i in range(args.n)]
    print(f"# {args.n} x {args.d} cosine, top-{K}, {args.queries} held-out queries, M=16, efc=200, "
          f"{THREADS} threads")
    tmp = tempfile.mkdtemp()
    path = os.path.join(tmp, "ann.zova")
    db = zova.Database.create(path)
    db.create_vector_collection("c", zova.VectorCollectionOptions(args.d, 0))
    db.put_vectors("c", ids, base)
    truth = [[r.id for r in db.search_vectors("c", q, K)] for q in queries]
    builds, sizes, rows = {}, {}, {}

    t = time.perf_counter()
    db.create_vector_index("c")
    builds["zova"] = time.perf_counter() - t
    db.close()
    db = zova.Database.open(path)
    t = time.perf_counter()
    db.search_vectors_approx("c", queries[0], K)
    first = time.perf_counter() - t
    info = db.vector_index_info("c")
    sizes["zova"] = (info.disk_bytes / 2**20, info.memory_bytes / 2**20)
    curve("zova", lambda q, ef: [r.id for r in db.search_vectors_approx("c", q, K, ef=ef)], queries, truth, rows)
    extra, _ = embedding_like(1000, args.d, n_queries=1, seed=99)
    t = time.perf_counter()
    db.begin()
    db.put_vectors("c", [f"x{i}" for i in range(1000)], extra)
    db.commit()
    put_rate = 1000 / (time.perf_counter() - t)
    db.close()

    truth_named = truth

    try:
        import hnswlib
        index = hnswlib.Index("cosine", args.d)
        index.init_index(args.n, M=16, ef_construction=200)
        index.set_num_threads(THREADS)
        t = time.perf_counter()
        index.add_items(base, np.arange(args.n))
        builds["hnswlib"] = time.perf_counter() - t
        index.set_num_threads(1)
        file = os.path.join(tmp, "h.bin")
        index.save_index(file)
        sizes["hnswlib"] = (os.path.getsize(file) / 2**20, index.index_file_size() / 2**20)

        def hs(q, ef):
            index.set_ef(ef)
            labels, _ = index.knn_query(q, k=K)
            return [f"v{i}" for i in labels[0]]
        curve("hnswlib", hs, queries, truth_named, rows)
        del index
    except ImportError:
        print("# hnswlib not installed")

    try:
        from usearch.index import Index
        uindex = Index(ndim=args.d, metric="cos", connectivity=16, expansion_add=200)
        t = time.perf_counter()
        uindex.add(np.arange(args.n), base, threads=THREADS)
        builds["usearch"] = time.perf_counter() - t
        file = os.path.join(tmp, "u.bin")
        uindex.save(file)
        sizes["usearch"] = (os.path.getsize(file) / 2**20, uindex.memory_usage / 2**20)

        def us(q, ef):
            uindex.expansion_search = ef
            return [f"v{i}" for i in uindex.search(q, K, threads=1).keys]
        curve("usearch", us, queries, truth_named, rows)
        del uindex
    except ImportError:
        print("# usearch not installed")

    try:
        import faiss
        faiss.omp_set_num_threads(THREADS)
        normed = base / np.linalg.norm(base, axis=1, keepdims=True)
        findex = faiss.IndexHNSWFlat(args.d, 16, faiss.METRIC_INNER_PRODUCT)
        findex.hnsw.efConstruction = 200
        t = time.perf_counter()
        findex.add(normed)
        builds["faiss"] = time.perf_counter() - t
        file = os.path.join(tmp, "f.bin")
        faiss.write_index(findex, file)
        sizes["faiss"] = (os.path.getsize(file) / 2**20, os.path.getsize(file) / 2**20)
        faiss.omp_set_num_threads(1)

        def fs(q, ef):
            findex.hnsw.efSearch = ef
            qn = (q / np.linalg.norm(q))[None, :].astype(np.float32)
            _, labels = findex.search(qn, K)
            return [f"v{i}" for i in labels[0]]
        curve("faiss", fs, queries, truth_named, rows)
    except ImportError:
        print("# faiss not installed")

    engines = list(builds)
    print("\n## build (s)")
    for e in engines:
        print(f"{e:8s} {builds[e]:8.2f}" + (f"   ratio zova/{e} {builds['zova'] / builds[e]:.2f}" if e != "zova" else ""))
    print("\n## recall@10 / median ms per query")
    print("ef   " + "".join(f"{e:>20s}" for e in engines))
    for ef in EFS:
        print(f"{ef:<5d}" + "".join(f"{rows[ef][e][0]:10.3f}{rows[ef][e][1]:8.3f}ms" for e in engines))
    print("\n## size MiB (disk, memory)")
    for e in engines:
        print(f"{e:8s} {sizes[e][0]:9.1f} {sizes[e][1]:9.1f}")
    print("(zova's disk figure is the graph only: the vectors are the collection's own rows)")
    print(f"\nzova first approximate search after reopen: {first:.3f} s")
    print(f"zova incremental put_many of 1,000 vectors into the indexed collection, one transaction: "
          f"{put_rate:,.0f} vectors/s")
    if "hnswlib" in engines:
        for target in (0.95, 0.99):
            z = min((rows[ef]["zova"][1] for ef in EFS if rows[ef]["zova"][0] >= target), default=None)
            h = min((rows[ef]["hnswlib"][1] for ef in EFS if rows[ef]["hnswlib"][0] >= target), default=None)
            if z and h:
                print(f"latency at recall >= {target}: zova {z:.3f} ms, hnswlib {h:.3f} ms, ratio {z / h:.2f}")


if __name__ == "__main__":
    main()
