"""Relevance on BEIR SciFact: nDCG@10 and recall@100 for keyword, semantic and hybrid search.

    python bench/relevance.py [--data ../shared/bench-data/scifact] [--out bench/results/relevance.json]

The corpus is imported with papertide's own JSON-lines importer into a fresh data directory,
encoded with papertide's encoder (`papertide index`'s code), and the 300 test queries are run
through `catalogue.search` in each mode, all in one run. The data (CC BY-NC 2.0) is read from
shared/ for evaluation only and never bundled.

SciFact's queries are whole claims (a sentence each); readers of a paper feed type two or three
words. So the same queries are run a second time cut to their 3 rarest words (by document
frequency in the corpus; e.g. "b12 homocysteine vitamin"), against the same judgements. Each set
also gets the previous fusion, reciprocal rank (k=20) over the same keyword and semantic lists, as
a baseline in the same run.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import platform
import re
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import orjson
from rich.console import Console
from rich.table import Table

from papertide import Papertide, rank
from papertide.embed import MiniLM
from papertide.query import parse_query

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


def rarest_words(texts: dict[str, str], corpus: Path, count: int = 3) -> dict[str, str]:
    """Each query cut to its `count` rarest content words (fewest corpus documents hold them)."""
    df: Counter[str] = Counter()
    for line in corpus.read_bytes().splitlines():
        doc = orjson.loads(line)
        df.update(set(re.findall(r"[a-z0-9]+", f"{doc['title']} {doc['text']}".lower())))
    short = {}
    for qid, text in texts.items():
        words = [w for w in dict.fromkeys(parse_query(text).terms) if df[w]]
        short[qid] = " ".join(sorted(words, key=lambda w: df[w])[:count])
    return short


def evaluate(pt: Papertide, texts: dict[str, str], qrels: dict) -> list[dict]:
    """nDCG@10, recall@100 and time per query for each mode, then reciprocal-rank fusion of the
    keyword and semantic lists as the baseline for hybrid."""
    rows, ranked = [], {}
    for mode in ("keyword", "semantic", "hybrid"):
        start = time.perf_counter()
        ranked[mode] = {
            qid: [h.paper.id for h in pt.search(text, limit=100, mode=mode)]
            for qid, text in texts.items()
        }
        rows.append(score(mode, ranked[mode], qrels, 1000 * (time.perf_counter() - start) / len(texts)))
    lists = {qid: [ranked["keyword"][qid], ranked["semantic"][qid]] for qid in texts}
    rrf = {qid: rank.reciprocal_rank_fusion(both, k=20)[0] for qid, both in lists.items()}
    rows.append(score("hybrid, reciprocal rank k=20 (before)", rrf, qrels, None))
    return rows


def score(mode: str, ranked: dict[str, list[str]], qrels: dict, ms: float | None) -> dict:
    return {
        "mode": mode,
        "ndcg@10": round(sum(ndcg_at(r, qrels[q]) for q, r in ranked.items()) / len(ranked), 4),
        "recall@100": round(sum(recall_at(r, qrels[q]) for q, r in ranked.items()) / len(ranked), 4),
        "ms_per_query": None if ms is None else round(ms, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=Path("bench/results/relevance.json"))
    parser.add_argument("--workdir", type=Path, help="data directory to reuse (vectors are kept between runs)")
    parser.add_argument("--max-tokens", type=int, default=256, help="encoder truncation for abstracts")
    args = parser.parse_args()
    console = Console(width=150)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="papertide-relevance-"))
    encoder = MiniLM(max_tokens=args.max_tokens)
    pt = Papertide.open(workdir, encoder=encoder)
    summary = pt.import_files([args.data / "corpus.jsonl"]).total
    console.print(f"corpus: {pt.store.count()} papers ({summary.new} new, {summary.rejected} rejected)")
    start = time.perf_counter()
    encoded = pt.index(batch_size=64)
    encode_s = time.perf_counter() - start
    console.print(f"encoded {encoded} papers in {encode_s:.0f} s")
    qrels = load_qrels(args.data / "qrels" / "test.tsv")
    queries = [orjson.loads(line) for line in (args.data / "queries.jsonl").read_bytes().splitlines() if line]
    queries = [q for q in queries if q["_id"] in qrels]
    texts = {q["_id"]: q["text"] for q in queries}
    sets = {"claims": texts, "3 rarest words": rarest_words(texts, args.data / "corpus.jsonl")}
    results = {name: evaluate(pt, query_texts, qrels) for name, query_texts in sets.items()}
    table = Table(title=f"BEIR SciFact ({len(queries)} queries, {pt.store.count()} abstracts)")
    for column in ("queries", "mode", "nDCG@10", "recall@100", "ms/query"):
        table.add_column(column, justify="right")
    for name, rows in results.items():
        for r in rows:
            ms = "" if r["ms_per_query"] is None else str(r["ms_per_query"])
            table.add_row(name, r["mode"], f"{r['ndcg@10']:.4f}", f"{r['recall@100']:.4f}", ms)
    console.print(table)
    rows = results["claims"]
    best_single = max(r["ndcg@10"] for r in rows if r["mode"] in ("keyword", "semantic"))
    hybrid = next(r for r in rows if r["mode"] == "hybrid")["ndcg@10"]
    console.print(f"hybrid - best single mode (claims): {hybrid - best_single:+.4f}")
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
                "short_queries": results["3 rarest words"],
            },
            option=orjson.OPT_INDENT_2,
        )
    )
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
