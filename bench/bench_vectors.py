"""Vector benchmark: Zova exact top-k search against numpy (in-memory matrix) and
sqlite-vec (vec0 KNN), all measured in the same run, plus cold first search,
put_many throughput and search-cache memory.

    python bench/bench_vectors.py            # 100,000 x 384 and 20,000 x 1536, all metrics,
                                             # then cold first searches over 100k and 1M x 384
    python bench/bench_vectors.py --no-1m    # the same without the 1M x 384 cold search
    python bench/bench_vectors.py --cold-only  # only the cold first searches (100k and 1M)
    python bench/bench_vectors.py --quick    # smaller sizes, for a smoke run

Targets (issue 4): warm top-10 over 100,000 x 384 cosine <= 1.2x numpy and >= 5x
faster than sqlite-vec; cold first search < 1 s; put_many >= 200,000 vectors/s;
cache memory <= 1.1x the raw float32 bytes. "put+srch" is the first search after one
put_vector on the same handle (the cached matrix is patched, not rebuilt).

numpy baseline: cosine ``Xn @ q`` on a pre-normalised in-memory float32 matrix, l2
``sq_norms - 2 X @ q``, dot ``X @ q``, each + ``argpartition`` for the top k (numpy
returns float32 scores and no exact ordering; Zova returns exact double distances
sorted by (distance, id)). Batch (issue 14): ``search_vectors_batch`` of 100 queries over
100,000 x 384 cosine against numpy's ``Qn @ Xn.T`` + ``argpartition`` on pre-normalised
rows (the queries normalised inside the timing), best of several rounds; target ratio
zova/numpy <= 1.0, with 100 single searches beside it. sqlite-vec: ``vec0`` virtual table, ``embedding match ?
and k = 10``, loaded into the system SQLite through ``sqlite3_auto_extension`` (this
Python's sqlite3 module cannot load extensions itself). sqlite-vec has no dot metric.
Queries run in alternating blocks of 10 per engine, so load changes on a shared machine
hit all of them alike while no engine runs right after another: OpenBLAS (numpy's
matmul) leaves its worker threads spinning for a while after each call, and a Zova
query issued in that window shares the two cores with them, doubling its time. The
median per query is reported.

Cold first search (issue 16): open a file whose pages are in the OS page cache and run one
top-10 cosine search, which fills the handle's matrix cache by one sequential read of the
rows; best of several rounds (the spread is printed too). Peer in the same run: the same
cache-less work with the stdlib ``sqlite3`` module reading every vector blob of the
collection in table order + numpy norms, ``X @ q`` and ``argpartition``. Targets: 100k x 384
within 2x of upstream's cold search (recorded at 0.13-0.15 s on this machine; upstream is not
installed here, so it is a note, not a peer), 1M x 384 in at most 1.5 s. The files are
built once and kept in ZOVA_BENCH_CACHE (default: the system temporary directory,
zova-bench-cache/; the 1M file is 2.1 GB and takes about a minute to build), so later runs
only read them; --no-1m leaves the 1M case out.
"""
from __future__ import annotations

import argparse
import ctypes
import gc
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))
import zova  # noqa: E402

METRICS = {0: "cosine", 1: "l2", 2: "dot"}
K = 10


def load_sqlite_vec() -> str | None:
    """Registers vec0 as an auto-extension of the process's libsqlite3; returns its version."""
    try:
        import sqlite_vec
    except ImportError:
        return None
    path = sqlite_vec.loadable_path()
    for suffix in ("", ".so"):
        if os.path.exists(path + suffix):
            path += suffix
            break
    vec = ctypes.CDLL(path)
    import _sqlite3
    libsqlite = ctypes.CDLL(_sqlite3.__file__)  # resolves sqlite3_* of the library sqlite3 uses
    libsqlite.sqlite3_auto_extension.argtypes = [ctypes.c_void_p]
    rc = libsqlite.sqlite3_auto_extension(ctypes.cast(vec.sqlite3_vec_init, ctypes.c_void_p))
    if rc != 0:
        return None
    with sqlite3.connect(":memory:") as conn:
        return conn.execute("select vec_version()").fetchone()[0]


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


class Numpy:
    def __init__(self, matrix: np.ndarray, metric: int) -> None:
        self.metric = metric
        if metric == 0:
            self.x = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
        else:
            self.x = matrix
        self.sq = np.einsum("ij,ij->i", matrix, matrix) if metric == 1 else None

    def search(self, q: np.ndarray) -> np.ndarray:
        if self.metric == 0:
            score = -(self.x @ q)
        elif self.metric == 1:
            score = self.sq - 2.0 * (self.x @ q)
        else:
            score = -(self.x @ q)
        return np.argpartition(score, K)[:K]


class SqliteVec:
    def __init__(self, path: str, matrix: np.ndarray, metric: int) -> None:
        self.conn = sqlite3.connect(path)
        dims = matrix.shape[1]
        self.conn.execute(f"create virtual table v using vec0(embedding float[{dims}] "
                          f"distance_metric={METRICS[metric]})")
        start = time.perf_counter()
        with self.conn:
            self.conn.executemany("insert into v(rowid, embedding) values (?, ?)",
                                  ((i + 1, row.tobytes()) for i, row in enumerate(matrix)))
        self.insert_seconds = time.perf_counter() - start

    def search(self, q: np.ndarray) -> list:
        return self.conn.execute("select rowid, distance from v where embedding match ? and k = ?",
                                 (q.tobytes(), K)).fetchall()


def run_case(workdir: Path, n: int, dims: int, metric: int, queries: int, vec_ok: bool, rng) -> dict:
    matrix = rng.standard_normal((n, dims)).astype(np.float32)
    ids = [f"doc-{i:07d}" for i in range(n)]
    path = str(workdir / f"bench-{n}-{dims}-{metric}.zova")
    db = zova.Database.create(path)
    db.create_vector_collection("v", zova.VectorCollectionOptions(dims, metric))
    put_seconds, _ = timed(lambda: db.put_vectors("v", ids, matrix))
    db.close()
    gc.collect()

    db = zova.Database.open(path)
    q0 = rng.standard_normal(dims).astype(np.float32)
    cold_seconds, _ = timed(lambda: db.search_vectors("v", q0, K))
    cache_ratio = db.vector_cache_bytes() / matrix.nbytes

    ref = Numpy(matrix, metric)
    vec = SqliteVec(str(workdir / f"vec-{n}-{dims}-{metric}.db"), matrix, metric) \
        if vec_ok and metric != 2 else None
    times = {"zova": [], "numpy": [], "sqlite-vec": []}
    agree = 0
    block = 10
    rounds = max(1, queries // block)
    for _ in range(rounds):
        batch = [rng.standard_normal(dims).astype(np.float32) for _ in range(block)]
        found_all, top_all = [], []
        for q in batch:
            t_zova, found = timed(lambda: db.search_vectors("v", q, K))
            times["zova"].append(t_zova)
            found_all.append(found)
        for q in batch:
            t_np, top = timed(lambda: ref.search(q))
            times["numpy"].append(t_np)
            top_all.append(top)
        time.sleep(0.05)  # OpenBLAS threads spin down before the next engine runs (dot has no sqlite-vec)
        if vec is not None:
            for q in batch:
                t_vec, _ = timed(lambda: vec.search(q))
                times["sqlite-vec"].append(t_vec)
        # float32 numpy may swap near-ties; exact top-10 must agree on at least 9 ids
        for found, top in zip(found_all, top_all):
            agree += len({int(r.id[4:]) for r in found} & set(int(i) for i in top)) >= K - 1
    # one put on this handle, then a search: the cached matrix is patched, not rebuilt
    db.put_vector("v", "doc-new", rng.standard_normal(dims).astype(np.float32))
    after_put_seconds, _ = timed(lambda: db.search_vectors("v", q0, K))
    db.close()
    result = {
        "n": n, "dims": dims, "metric": METRICS[metric],
        "put_per_s": n / put_seconds, "cold_s": cold_seconds, "cache_ratio": cache_ratio,
        "zova_ms": statistics.median(times["zova"]) * 1e3,
        "numpy_ms": statistics.median(times["numpy"]) * 1e3,
        "vec_ms": statistics.median(times["sqlite-vec"]) * 1e3 if times["sqlite-vec"] else None,
        "vec_insert_per_s": n / vec.insert_seconds if vec else None,
        "agree": f"{agree}/{queries}",
        "after_put_ms": after_put_seconds * 1e3,
    }
    if vec is not None:
        vec.conn.close()
    return result


def run_batch(workdir: Path, n: int, dims: int, n_queries: int, rounds: int, rng) -> dict:
    """search_vectors_batch against numpy's matrix product + argpartition, best of `rounds`."""
    matrix = rng.standard_normal((n, dims)).astype(np.float32)
    queries = rng.standard_normal((n_queries, dims)).astype(np.float32)
    path = str(workdir / f"batch-{n}-{dims}.zova")
    db = zova.Database.create(path)
    db.create_vector_collection("v", zova.VectorCollectionOptions(dims, 0))
    db.put_vectors("v", [f"doc-{i:07d}" for i in range(n)], matrix)
    db.search_vectors("v", queries[0], K)  # builds the cached matrix
    normalised = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)

    def with_numpy():
        qn = queries / np.linalg.norm(queries, axis=1, keepdims=True)
        return np.argpartition(-(qn @ normalised.T), K, axis=1)[:, :K]

    zova_best = numpy_best = singles_best = float("inf")
    for _ in range(rounds):
        t_zova, (ids, _) = timed(lambda: db.search_vectors_batch("v", queries, K))
        time.sleep(0.05)  # OpenBLAS threads spin down before the next engine runs (see above)
        t_np, top = timed(with_numpy)
        time.sleep(0.05)
        zova_best, numpy_best = min(zova_best, t_zova), min(numpy_best, t_np)
    for _ in range(2):
        t_single, _ = timed(lambda: [db.search_vectors("v", q, K) for q in queries])
        singles_best = min(singles_best, t_single)
    agree = sum(len({int(i[4:]) for i in row} & set(top_row.tolist())) >= K - 1 for row, top_row in zip(ids, top))
    db.close()
    return {"n": n, "dims": dims, "queries": n_queries, "zova_ms": zova_best * 1e3, "numpy_ms": numpy_best * 1e3,
            "singles_ms": singles_best * 1e3, "agree": f"{agree}/{n_queries}"}


def cold_file(n: int, dims: int) -> str:
    """A cached .zova file with collection "v" (cosine) of n random rows, built once."""
    cache = Path(os.environ.get("ZOVA_BENCH_CACHE", Path(tempfile.gettempdir()) / "zova-bench-cache"))
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"cold-{n}x{dims}-v{zova.__version__}.zova"
    if path.exists():
        try:
            with zova.Database.open(str(path), read_only=True) as db:
                if db.vector_collection_info("v").vector_count == n:
                    return str(path)
        except zova.ZovaError:
            pass
        path.unlink()
    partial = cache / f"building-{os.getpid()}.zova"
    rng = np.random.default_rng(16)
    with zova.Database.create(str(partial)) as db:
        db.create_vector_collection("v", zova.VectorCollectionOptions(dims, 0))
        for start in range(0, n, 100_000):
            block = rng.standard_normal((min(100_000, n - start), dims)).astype(np.float32)
            db.put_vectors("v", [f"doc-{i:07d}" for i in range(start, start + len(block))], block)
    partial.rename(path)
    return str(path)


def run_cold(n: int, dims: int, rounds: int) -> dict:
    """Open + first top-10 search with the file in the page cache, against the stdlib
    sqlite3 + numpy scan of the same rows; best of `rounds`, alternating engines."""
    path = cold_file(n, dims)
    with open(path, "rb") as f:  # the file's pages into the OS page cache
        while f.read(1 << 24):
            pass
    q = np.random.default_rng(7).standard_normal(dims).astype(np.float32)

    def with_zova():
        with zova.Database.open(path) as db:
            return [r.id for r in db.search_vectors("v", q, K)]

    def with_sqlite3():
        conn = sqlite3.connect(path)
        try:
            rows = conn.execute('select vector_id, "values" from _zova_vectors not indexed '
                                'where collection_name = ?', ("v",)).fetchall()
        finally:
            conn.close()
        x = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), dims)
        score = (x @ q) / np.linalg.norm(x, axis=1)
        top = np.argpartition(-score, K)[:K]
        return [rows[i][0] for i in top[np.argsort(-score[top])]]

    times = {"zova": [], "sqlite3": []}
    agree = True
    for _ in range(rounds):
        gc.collect()
        t_zova, found = timed(with_zova)
        time.sleep(0.05)
        t_peer, peer = timed(with_sqlite3)
        time.sleep(0.05)  # OpenBLAS threads spin down
        times["zova"].append(t_zova)
        times["sqlite3"].append(t_peer)
        agree = agree and len(set(found) & set(peer)) >= K - 1
    return {"n": n, "dims": dims, "rounds": rounds, "zova": times["zova"], "sqlite3": times["sqlite3"],
            "agree": agree}


def print_cold(r: dict, target: str) -> None:
    z, p = min(r["zova"]), min(r["sqlite3"])
    spread = ", ".join(f"{t:.3f}" for t in r["zova"])
    print(f"cold first search {r['n']:,} x {r['dims']} cosine, top-{K}, file in page cache "
          f"(open + search, best of {r['rounds']}): zova {z:.3f} s (rounds: {spread}), "
          f"sqlite3 + numpy scan {p:.3f} s, zova/peer = {z / p:.2f}x; {target}; "
          f"top-{K} agree: {'yes' if r['agree'] else 'NO'}", flush=True)


def run_warm(args, version) -> None:
    """The warm searches, put, cache, after-put and batch figures (the table and the headline)."""
    rounds = 3 if args.quick else 5
    sizes = [(10_000, 384), (4_000, 1536)] if args.quick else [(100_000, 384), (20_000, 1536)]
    rng = np.random.default_rng(2024)
    header = (f"{'n x dims':>14} {'metric':>6} | {'zova ms':>8} {'numpy ms':>8} {'zova/np':>7} | "
              f"{'vec0 ms':>8} {'vec0/zova':>9} | {'cold s':>6} {'put/s':>9} {'cache':>6} {'put+srch':>8} | agree")
    print(header)
    print("-" * len(header))
    results = []
    with tempfile.TemporaryDirectory(prefix="zova-bench-") as tmp:
        for n, dims in sizes:
            for metric in (0, 1, 2):
                r = run_case(Path(tmp), n, dims, metric, args.queries, version is not None, rng)
                results.append(r)
                vec = f"{r['vec_ms']:8.2f} {r['vec_ms'] / r['zova_ms']:8.1f}x" if r["vec_ms"] else f"{'n/a':>8} {'':>9}"
                print(f"{n:>7,} x {dims:<4} {r['metric']:>6} | {r['zova_ms']:8.2f} {r['numpy_ms']:8.2f} "
                      f"{r['zova_ms'] / r['numpy_ms']:6.2f}x | {vec} | {r['cold_s']:6.3f} "
                      f"{r['put_per_s']:9,.0f} {r['cache_ratio']:5.3f}x {r['after_put_ms']:6.1f}ms | {r['agree']}", flush=True)
                for f in Path(tmp).glob("*"):
                    f.unlink()
        n, dims = sizes[0]
        batch = run_batch(Path(tmp), n, dims, 100, rounds, rng)
    print()
    print(f"batch {batch['queries']} queries x {batch['n']:,} x {batch['dims']} cosine, top-{K} "
          f"(best of {rounds}): zova search_vectors_batch {batch['zova_ms']:.1f} ms, "
          f"numpy Qn @ Xn.T + argpartition {batch['numpy_ms']:.1f} ms, "
          f"zova/numpy = {batch['zova_ms'] / batch['numpy_ms']:.2f}x (target <= 1.0x); "
          f"{batch['queries']} single searches {batch['singles_ms']:.1f} ms "
          f"({batch['singles_ms'] / batch['zova_ms']:.1f}x the batch); agree {batch['agree']}")
    head = results[0]
    print()
    print(f"headline ({head['n']:,} x {head['dims']} cosine, top-{K}): "
          f"zova/numpy = {head['zova_ms'] / head['numpy_ms']:.2f}x (target <= 1.2x); "
          + (f"sqlite-vec/zova = {head['vec_ms'] / head['zova_ms']:.1f}x (target >= 5x); " if head["vec_ms"] else "")
          + f"cold first search {head['cold_s']:.3f} s (target < 1 s); "
          f"put_many {head['put_per_s']:,.0f} vectors/s (target >= 200,000); "
          f"cache {head['cache_ratio']:.3f}x raw float32 (target <= 1.1x)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--no-1m", action="store_true", help="leave out the 1M x 384 cold first search")
    parser.add_argument("--cold-only", action="store_true", help="only the cold first searches")
    args = parser.parse_args()
    version = load_sqlite_vec()
    from zova._native import ffi, lib
    print(f"zova {zova.__version__}  numpy {np.__version__}  sqlite-vec {version or 'NOT AVAILABLE'}  "
          f"cpus {os.cpu_count()}  load {os.getloadavg()[0]:.2f}  "
          f"kernels {ffi.string(lib.zv_py_vector_kernel_name()).decode()}")
    if version is None:
        print("sqlite-vec missing: pip install sqlite-vec (the 'bench' extra)")
    if not args.cold_only:
        run_warm(args, version)
    print()
    cold_sizes = [(10_000, 384, 3)] if args.quick else [(100_000, 384, 5)] + ([] if args.no_1m else
                                                                          [(1_000_000, 384, 3)])
    for n, dims, cold_rounds in cold_sizes:
        r = run_cold(n, dims, cold_rounds)
        if n == 1_000_000:
            target = f"target <= 1.5 s: {'met' if min(r['zova']) <= 1.5 else 'NOT met'}"
        elif n == 100_000:
            target = (f"upstream's recorded cold search 0.13-0.15 s (a note, not measured here): "
                      f"{min(r['zova']) / 0.15:.2f}x-{min(r['zova']) / 0.13:.2f}x (target <= 2x)")
        else:
            target = "smoke size, no target"
        print_cold(r, target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
