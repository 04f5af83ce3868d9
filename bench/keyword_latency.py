"""Search latency over a large catalogue (keyword, and hybrid), against a linear scan of the same table.

    python bench/keyword_latency.py DATA_DIR [--queries 20] [--scan-queries 3] [--queries-file Q.jsonl]
                                    [--clients 8] [--hybrid] [--database-url URL] [--out F]

DATA_DIR is a papertide data directory, e.g. the one `bench/ingest.py --workdir W` leaves in
`W/data-1000000-0` (1M synthetic snapshot records). The keyword index is first brought up to date
(its build time is reported when it had work to do). Queries are one to three words of the
generator's vocabulary, run through `catalogue.search(mode="keyword")` (tantivy BM25, top 10), one
at a time and then from `--clients` threads at once. Baseline in the same run: a full scan of the
papers table for rows whose title or abstract contains any query word (`instr`, PostgreSQL's
`strpos`; no ranking), the work the index saves. `--database-url` points at another database
(PostgreSQL) holding the catalogue; DATA_DIR then keeps the indexes (`keywords/`, vectors).

With `--queries-file` (a BEIR queries.jsonl, e.g. SciFact's), the queries are real ones sampled
from it instead; use it on a catalogue generated with `gen_snapshot.py --vocabulary` from the same
collection's corpus, where words are as common as in real abstracts.

`--hybrid` also times `catalogue.search(mode="hybrid")`: the real encoder embeds each query, and
the ANN index holds synthetic clustered vectors for every paper (made once by `latency.clustered`
and kept in DATA_DIR/vectors.usearch; encoding a million abstracts would take hours here).
`--vectors N` gives only the first N papers a vector: building the HNSW graph of a million takes
~10 minutes or more, and the ANN half's own latency at 1M is `bench/latency.py`'s to measure.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import orjson
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from opening import open_catalogue
from papertide import Papertide
from papertide.index.vectors import IndexState, VectorIndex
from papertide.search.retrieval import Semantic
from papertide.store import Store

from gen_snapshot import WORDS


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def timed(run: Callable[[str], object], query: str) -> float:
    start = time.perf_counter()
    run(query)
    return (time.perf_counter() - start) * 1000


def concurrent(run: Callable[[str], object], queries: list[str], clients: int) -> tuple[list[float], float]:
    """Every client runs every query (shifted, so they do not move in lockstep); (latencies, q/s)."""
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        jobs = [
            pool.submit(timed, run, queries[(i + c) % len(queries)])
            for c in range(clients)
            for i in range(len(queries))
        ]
        latencies = [job.result() for job in jobs]
    return latencies, len(latencies) / (time.perf_counter() - start)


def synthetic_semantic(store: Store, data_dir: Path, limit: int | None) -> Semantic:
    """The real encoder over an ANN index of clustered vectors, one per paper (or for the first
    `limit` papers), built once."""
    from papertide.index.embed import MiniLM

    from latency import clustered

    encoder = MiniLM()
    index = VectorIndex(data_dir / "vectors.usearch", encoder.dim, encoder.name)
    index.refresh()  # the file an earlier run saved, if any
    wanted = min(limit or store.count(), store.count())
    if index.state is None or len(index.index) != wanted:
        start = time.perf_counter()
        with store.engine.connect() as conn:  # type: ignore[attr-defined]
            rows = conn.execute(sa.text("SELECT pk FROM papers ORDER BY pk LIMIT :n"), {"n": wanted})
            pks = np.array([r[0] for r in rows], dtype=np.uint64)
        index.index = index._empty()
        index.index.add(pks, clustered(len(pks), np.random.default_rng(0)))
        print(f"built a synthetic vector index of {len(pks):,} papers in {time.perf_counter() - start:.0f} s")
    if not index.in_step(store):
        # The database holds none of these vectors: in step means at its vector log's last seq.
        index.state = IndexState(index.model, store.vector_log_seq(), len(index.index))
        index.save()
    return Semantic(encoder, index, cache_size=0)  # every query encoded, as a new one would be


def measure(run: Callable[[str], object], queries: list[str], clients: int) -> dict[str, float]:
    run(queries[0])  # warm the caches
    alone = [timed(run, q) for q in queries]
    together, rate = concurrent(run, queries, clients)
    return {
        "p50_ms": round(statistics.median(alone), 1),
        "p99_ms": round(percentile(alone, 0.99), 1),
        f"clients{clients}_p50_ms": round(statistics.median(together), 1),
        f"clients{clients}_p99_ms": round(percentile(together, 0.99), 1),
        f"clients{clients}_qps": round(rate, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--scan-queries", type=int, default=3)
    parser.add_argument("--queries-file", type=Path, help="sample real queries (BEIR queries.jsonl)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--hybrid", action="store_true", help="also time hybrid search (synthetic vectors)")
    parser.add_argument("--vectors", type=int, help="synthetic vectors for only this many papers (a faster build)")
    parser.add_argument("--database-url", help="the catalogue's database when not DATA_DIR's SQLite file")
    parser.add_argument("--out", type=Path, default=Path("bench/results/keyword_latency.json"))
    args = parser.parse_args()
    # e.g. PostgreSQL; the keyword index then lives in DATA_DIR/keywords, as `serve` keeps it
    pt, store = open_catalogue(args.database_url or args.data_dir, args.data_dir, encoder=None)
    papers = store.count()
    start = time.perf_counter()
    built = pt.catch_up()
    build_s = round(time.perf_counter() - start, 1)
    if built:
        print(f"keyword index: {built:,} papers indexed in {build_s} s")
    rng = random.Random(0)
    if args.queries_file:
        texts = [orjson.loads(line)["text"] for line in args.queries_file.read_bytes().splitlines() if line.strip()]
        queries = rng.sample(texts, args.queries)
    else:
        queries = [" ".join(rng.sample(WORDS, rng.randint(1, 3))) for _ in range(args.queries)]
    runs: dict[str, Callable[[str], object]] = {"keyword": lambda q: pt.search(q, limit=10, mode="keyword")}
    vectors = 0
    if args.hybrid:
        semantic = synthetic_semantic(store, args.data_dir, args.vectors)
        vectors = len(semantic.index.index)
        hybrid = Papertide(store, args.data_dir, encoder=semantic.encoder, semantic=semantic)
        runs["hybrid"] = lambda q: hybrid.search(q, limit=10, mode="hybrid")
    scan_ms = []
    contains = "instr" if store.url.startswith("sqlite") else "strpos"  # (haystack, needle) in both
    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        for q in queries[: args.scan_queries]:
            words = q.lower().split()
            where = " OR ".join(
                f"{contains}(lower(title), :w{i}) > 0 OR {contains}(lower(abstract), :w{i}) > 0"
                for i in range(len(words))
            )
            start = time.perf_counter()
            conn.execute(
                sa.text(f"SELECT count(*) FROM papers WHERE {where}"), {f"w{i}": w for i, w in enumerate(words)}
            )
            scan_ms.append((time.perf_counter() - start) * 1000)
    scan_p50 = round(statistics.median(scan_ms), 1)
    rows = []
    for mode, run in runs.items():
        figures = measure(run, queries, args.clients)
        speedup = round(scan_p50 / figures["p50_ms"], 1)
        rows.append(
            {
                "mode": mode,
                "papers": papers,
                "vectors": vectors if mode == "hybrid" else 0,
                "queries": len(queries),
                **figures,
                "scan_p50_ms": scan_p50,
                "speedup": speedup,
            }
        )
    c = args.clients
    table = Table(title="search latency (top 10) vs a linear scan")
    for column in (
        "mode",
        "papers",
        "queries",
        "p50 ms",
        "p99 ms",
        f"{c} clients p50 / p99 ms",
        "q/s",
        "scan p50 ms",
        "speed-up",
    ):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            str(row["mode"]),
            f"{papers:,}",
            str(len(queries)),
            str(row["p50_ms"]),
            str(row["p99_ms"]),
            f"{row[f'clients{c}_p50_ms']} / {row[f'clients{c}_p99_ms']}",
            str(row[f"clients{c}_qps"]),
            str(scan_p50),
            f"{row['speedup']}x",
        )
    Console(width=150).print(table)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mb:.0f} MB")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"results": rows, "keyword_index_build_s": build_s if built else None, "peak_rss_mb": round(peak_mb, 1)}
    args.out.write_bytes(orjson.dumps({**result, "queries": queries}, option=orjson.OPT_INDENT_2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
