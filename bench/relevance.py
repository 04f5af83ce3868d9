"""Relevance on BEIR SciFact: nDCG@10 and recall@100 for keyword, semantic and hybrid search.

    python bench/relevance.py [--data ../shared/bench-data/scifact] [--out bench/results/relevance.json]

The corpus is imported with papertide's own JSON-lines importer into a fresh data directory,
encoded with papertide's encoder (`papertide index`'s code), and the 300 test queries are run
through `catalogue.search` in each mode, all in one run. The data (CC BY-NC 2.0) is read from
shared/ for evaluation only and never bundled.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import platform
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import orjson
from rich.console import Console
from rich.table import Table

from papertide import catalogue
from papertide.embed import MiniLM
from papertide.ingest import ingest
from papertide.sources.files import read_path
from papertide.store.sql import SqlStore
from papertide.vectors import VectorIndex, index_papers

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "bench-data" / "scifact"


def ndcg_at(ranked: list[str], relevant: dict[str, int], k: int = 10) -> float:
    gains = sum(relevant.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranked[:k]))
    ideal = sum(g / math.log2(i + 2) for i, g in enumerate(sorted(relevant.values(), reverse=True)[:k]))
    return gains / ideal if ideal else 0.0


def recall_at(ranked: list[str], relevant: dict[str, int], k: int = 100) -> float:
    wanted = {d for d, g in relevant.items() if g > 0}
    return len(wanted & set(ranked[:k])) / len(wanted) if wanted else 0.0


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with path.open() as f:
        for row in csv.DictReader(f, delimiter="\t"):
            qrels[row["query-id"]][row["corpus-id"]] = int(row["score"])
    return qrels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=Path("bench/results/relevance.json"))
    parser.add_argument("--workdir", type=Path, help="data directory to reuse (vectors are kept between runs)")
    parser.add_argument("--max-tokens", type=int, default=256, help="encoder truncation for abstracts")
    args = parser.parse_args()
    console = Console(width=150)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="papertide-relevance-"))
    store = SqlStore(f"sqlite:///{workdir / 'papertide.sqlite3'}")
    store.migrate()
    summary = ingest(store, read_path(args.data / "corpus.jsonl"))
    console.print(f"corpus: {store.count()} papers ({summary.new} new, {summary.rejected} rejected)")
    encoder = MiniLM(max_tokens=args.max_tokens)
    index = VectorIndex(workdir / "vectors.usearch", encoder.dim, encoder.name)
    start = time.perf_counter()
    encoded = index_papers(store, encoder, index, batch_size=64)
    encode_s = time.perf_counter() - start
    console.print(f"encoded {encoded} papers in {encode_s:.0f} s")
    semantic = catalogue.Semantic(encoder, index)
    qrels = load_qrels(args.data / "qrels" / "test.tsv")
    queries = [orjson.loads(line) for line in (args.data / "queries.jsonl").read_bytes().splitlines() if line]
    queries = [q for q in queries if q["_id"] in qrels]
    rows = []
    for mode in ("keyword", "semantic", "hybrid"):
        ndcgs, recalls, start = [], [], time.perf_counter()
        for q in queries:
            hits = catalogue.search(store, q["text"], limit=100, mode=mode, semantic=semantic)
            ranked = [h.paper.id for h in hits]
            ndcgs.append(ndcg_at(ranked, qrels[q["_id"]]))
            recalls.append(recall_at(ranked, qrels[q["_id"]]))
        elapsed = time.perf_counter() - start
        rows.append(
            {
                "mode": mode,
                "ndcg@10": round(sum(ndcgs) / len(ndcgs), 4),
                "recall@100": round(sum(recalls) / len(recalls), 4),
                "ms_per_query": round(1000 * elapsed / len(queries), 1),
            }
        )
    best_single = max(r["ndcg@10"] for r in rows if r["mode"] != "hybrid")
    table = Table(title=f"BEIR SciFact ({len(queries)} queries, {store.count()} abstracts)")
    for column in ("mode", "nDCG@10", "recall@100", "ms/query"):
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(r["mode"], f"{r['ndcg@10']:.4f}", f"{r['recall@100']:.4f}", str(r["ms_per_query"]))
    console.print(table)
    hybrid = next(r for r in rows if r["mode"] == "hybrid")["ndcg@10"]
    console.print(f"hybrid - best single mode: {hybrid - best_single:+.4f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(
        orjson.dumps(
            {
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "encoder": encoder.name,
                "max_tokens": args.max_tokens,
                "encode_s": round(encode_s, 1),
                "results": rows,
                "hybrid_minus_best_single": round(hybrid - best_single, 4),
            },
            option=orjson.OPT_INDENT_2,
        )
    )
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
