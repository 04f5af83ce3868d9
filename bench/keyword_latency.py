"""Keyword search latency over a large catalogue, against a linear scan of the same table.

    python bench/keyword_latency.py DATA_DIR [--queries 20] [--scan-queries 3] [--queries-file Q.jsonl] [--out F]

DATA_DIR is a papertide data directory, e.g. the one `bench/ingest.py --workdir W` leaves in
`W/data-1000000-0` (1M synthetic snapshot records). Queries are one to three words of the
generator's vocabulary, run through `catalogue.search(mode="keyword")` (FTS5 BM25, top 10).
Baseline in the same run: a full scan of the papers table for rows whose title or abstract
contains any query word (`instr`, no ranking), the work the index saves.

With `--queries-file` (a BEIR queries.jsonl, e.g. SciFact's), the queries are real ones sampled
from it instead; use it on a catalogue generated with `gen_snapshot.py --vocabulary` from the same
collection's corpus, where words are as common as in real abstracts.

Read the default figures with the corpus in mind: the generator draws every abstract from ~90 words, so
each query word occurs in most papers and BM25 has to score most of the catalogue — a worst case
for an inverted index (a real arXiv word like "diffusion" occurs in a few percent of papers).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import orjson
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from papertide import catalogue
from papertide.store.sql import SqlStore

from gen_snapshot import WORDS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--scan-queries", type=int, default=3)
    parser.add_argument("--queries-file", type=Path, help="sample real queries (BEIR queries.jsonl)")
    parser.add_argument("--out", type=Path, default=Path("bench/results/keyword_latency.json"))
    args = parser.parse_args()
    store = SqlStore(f"sqlite:///{args.data_dir / 'papertide.sqlite3'}")
    papers = store.count()
    rng = random.Random(0)
    if args.queries_file:
        texts = [orjson.loads(line)["text"] for line in args.queries_file.read_bytes().splitlines() if line.strip()]
        queries = rng.sample(texts, args.queries)
    else:
        queries = [" ".join(rng.sample(WORDS, rng.randint(1, 3))) for _ in range(args.queries)]
    catalogue.search(store, queries[0], limit=10)  # warm the page cache
    index_ms = []
    for q in queries:
        start = time.perf_counter()
        catalogue.search(store, q, limit=10)
        index_ms.append((time.perf_counter() - start) * 1000)
    scan_ms = []
    with store.engine.connect() as conn:
        for q in queries[: args.scan_queries]:
            words = q.lower().split()
            where = " OR ".join("instr(lower(title), ?) OR instr(lower(abstract), ?)" for _ in words)
            start = time.perf_counter()
            conn.exec_driver_sql(f"SELECT count(*) FROM papers WHERE {where}", tuple(w for w in words for _ in (1, 2)))
            scan_ms.append((time.perf_counter() - start) * 1000)
    row = {
        "papers": papers,
        "queries": len(queries),
        "p50_ms": round(statistics.median(index_ms), 1),
        "p99_ms": round(sorted(index_ms)[min(len(index_ms) - 1, int(len(index_ms) * 0.99))], 1),
        "scan_p50_ms": round(statistics.median(scan_ms), 1),
        "speedup": round(statistics.median(scan_ms) / statistics.median(index_ms), 2),
    }
    table = Table(title="keyword search (FTS5 BM25, top 10) vs a linear scan")
    for column in ("papers", "queries", "p50 ms", "p99 ms", "scan p50 ms", "speed-up"):
        table.add_column(column, justify="right")
    table.add_row(
        f"{papers:,}",
        str(len(queries)),
        str(row["p50_ms"]),
        str(row["p99_ms"]),
        str(row["scan_p50_ms"]),
        f"{row['speedup']}x",
    )
    Console(width=120).print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps({"results": [row], "queries": queries}, option=orjson.OPT_INDENT_2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
