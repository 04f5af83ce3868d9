"""Vector search latency and recall at 10k, 100k and 1M papers, against a linear scan.

    python bench/latency.py [--sizes 10000,100000,1000000] [--queries 200] [--out bench/results/latency.json]

Vectors are synthetic but clustered like paper embeddings: 384-d, unit length, nested topics
(500 fields → lines of work of ~5 papers → papers), and queries are papers of the index moved a
little (cosine ~0.93), as a reader's query lands near the papers it is about. A first version drew
papers around 1,000 centres with isotropic noise: every point of a cluster is then nearly equidistant
from a query, the exact top-10 is decided by differences smaller than f16 rounding, and recall@10
measured the generator (0.11 at 1M), not the index. Indexed by papertide's own `VectorIndex`
(usearch HNSW, f16). For each size: build time, index memory, ANN latency p50/p99 for one client
and for 8 concurrent clients (threads; usearch holds the GIL while it searches one vector, so they
take turns), recall@10 against exact search, and the same queries by a numpy linear scan (one
matrix-vector product per query) as the baseline.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
import orjson
from rich.console import Console
from rich.table import Table

from papertide.index.vectors import VectorIndex

DIM = 384


def clustered(n: int, rng: np.random.Generator, fields: int = 500) -> np.ndarray:
    centres = rng.standard_normal((fields, DIM), dtype=np.float32)
    lines = max(n // 5, 100)
    line_centres = centres[rng.integers(0, fields, lines)] + 0.5 * rng.standard_normal((lines, DIM), dtype=np.float32)
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):  # in chunks, to keep the temporaries small
        stop = min(start + 100_000, n)
        chunk = line_centres[rng.integers(0, lines, stop - start)]
        chunk += 0.35 * rng.standard_normal((stop - start, DIM), dtype=np.float32)
        out[start:stop] = chunk / np.linalg.norm(chunk, axis=1, keepdims=True)
    return out


def near(vectors: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Queries: `count` indexed papers moved a little."""
    picked = vectors[rng.integers(0, len(vectors), count)] + 0.02 * rng.standard_normal((count, DIM), dtype=np.float32)
    return picked / np.linalg.norm(picked, axis=1, keepdims=True)


def timed_search(index: VectorIndex, query: np.ndarray) -> float:
    start = time.perf_counter()
    index.search(query, 10)
    return 1000 * (time.perf_counter() - start)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--ef", default="64,128,256,512", help="ef_search values to measure on each index")
    parser.add_argument("--out", type=Path, default=Path("bench/results/latency.json"))
    args = parser.parse_args()
    console = Console(width=160)
    rng = np.random.default_rng(7)
    efs = [int(e) for e in args.ef.split(",")]
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        vectors = clustered(n, rng)
        queries = near(vectors, args.queries, rng)
        index = VectorIndex(Path(tempfile.mkdtemp()) / "vectors.usearch", DIM, "synthetic")
        start = time.perf_counter()
        index.index.add(np.arange(1, n + 1, dtype=np.uint64), vectors)
        build_s = time.perf_counter() - start

        exact_ms, truth = [], []
        for q in queries:
            t = time.perf_counter()
            scores = vectors @ q
            top = np.argpartition(-scores, 10)[:10]
            top = top[np.argsort(-scores[top])]
            exact_ms.append(1000 * (time.perf_counter() - t))
            truth.append(set((top + 1).tolist()))

        for ef in efs:
            index.index.expansion_search = ef
            ann_ms, found = [], []
            for q in queries:
                t = time.perf_counter()
                keys, _ = index.search(q, 10)
                ann_ms.append(1000 * (time.perf_counter() - t))
                found.append(set(keys))
            recall = statistics.mean(len(a & b) / 10 for a, b in zip(found, truth, strict=True))
            with ThreadPoolExecutor(max_workers=8) as pool:
                start = time.perf_counter()
                concurrent_ms = list(pool.map(partial(timed_search, index), np.concatenate([queries] * 4)))
                concurrent_qps = len(concurrent_ms) / (time.perf_counter() - start)
            rows.append(
                {
                    "papers": n,
                    "ef_search": ef,
                    "build_s": round(build_s, 1),
                    "index_mb": round(index.index.memory_usage / 1e6, 1),
                    "ann_p50_ms": round(percentile(ann_ms, 50), 3),
                    "ann_p99_ms": round(percentile(ann_ms, 99), 3),
                    "ann8_p50_ms": round(percentile(concurrent_ms, 50), 3),
                    "ann8_p99_ms": round(percentile(concurrent_ms, 99), 3),
                    "ann8_qps": round(concurrent_qps),
                    "scan_p50_ms": round(percentile(exact_ms, 50), 3),
                    "speedup_p50": round(percentile(exact_ms, 50) / percentile(ann_ms, 50), 1),
                    "recall_at_10": round(recall, 4),
                }
            )
        del vectors, index
    table = Table(title="Vector search: usearch HNSW (f16, M=16, ef_add=128) vs numpy linear scan")
    for column in (
        "papers",
        "ef_search",
        "build s",
        "index MB",
        "ANN p50 ms",
        "ANN p99 ms",
        "8 clients p50",
        "8 clients p99",
        "8 clients q/s",
        "scan p50 ms",
        "speed-up",
        "recall@10",
    ):
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(
            f"{r['papers']:,}",
            str(r["ef_search"]),
            str(r["build_s"]),
            str(r["index_mb"]),
            str(r["ann_p50_ms"]),
            str(r["ann_p99_ms"]),
            str(r["ann8_p50_ms"]),
            str(r["ann8_p99_ms"]),
            f"{r['ann8_qps']:,}",
            str(r["scan_p50_ms"]),
            f"{r['speedup_p50']}×",
            f"{r['recall_at_10']:.4f}",
        )
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(
        orjson.dumps(
            {"machine": {"python": platform.python_version(), "cpus": os.cpu_count()}, "results": rows},
            option=orjson.OPT_INDENT_2,
        )
    )
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
