"""Relevance on BEIR SciFact: nDCG@10 and recall@100 for keyword, semantic and hybrid search, and
how often a search that should find nothing shows something.

    python bench/relevance.py [--data ../shared/bench-data/scifact] [--workdir DIR] [--out bench/results/relevance.json]

The corpus is imported with papertide's own JSON-lines importer into a fresh data directory (or
--workdir, whose vectors are reused), encoded with papertide's encoder, and the 300 test queries are
run through `Papertide.search` in each mode, all in one run. The data (CC BY-NC 2.0) is read from
shared/ for evaluation only and never bundled.

SciFact's queries are whole claims (a sentence each); readers of a paper feed type two or three
words. So the same queries are run again cut to their 3 and their 2 rarest words (by document
frequency in the corpus, kept in the claim's order; e.g. "homocysteine b12"), against the same
judgements. Each set also gets the earlier fusions over the same keyword and semantic lists as
baselines in the same run: reciprocal rank (k=20), and the weighted sum of min-max scores
(0.65 BM25 + 0.35 cosine) that hybrid search used before pseudo-relevance feedback.

"Nothing matches": the share of queries answered with at least one paper, for the real short
queries, for the same queries misspelt (two random edits in every word of four letters or more),
for gibberish and for off-topic phrases — the last three should be answered with nothing.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import platform
import random
import re
import string
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import orjson
from rich.console import Console
from rich.table import Table

from baselines import convex_fusion, reciprocal_rank_fusion
from papertide import Papertide
from papertide.index.embed import MiniLM
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
    """Each query cut to its `count` rarest content words (fewest corpus documents hold them), kept
    in the order the claim says them, as a reader would type them."""
    df: Counter[str] = Counter()
    for line in corpus.read_bytes().splitlines():
        doc = orjson.loads(line)
        df.update(set(re.findall(r"[a-z0-9]+", f"{doc['title']} {doc['text']}".lower())))
    short = {}
    for qid, text in texts.items():
        words = [w for w in dict.fromkeys(parse_query(text).terms) if df[w]]
        chosen = set(sorted(words, key=lambda w: df[w])[:count])
        short[qid] = " ".join(w for w in words if w in chosen)
    return short


def evaluate(pt: Papertide, texts: dict[str, str], qrels: dict) -> list[dict]:
    """nDCG@10, recall@100 and time per query for each mode, then the earlier fusions of the same
    keyword and semantic lists as baselines for hybrid."""
    rows, ranked, scored = [], {}, {}
    for mode in ("keyword", "semantic", "hybrid"):
        start = time.perf_counter()
        found = {qid: pt.search(text, limit=100, mode=mode) for qid, text in texts.items()}
        ranked[mode] = {qid: [h.paper.id for h in hits] for qid, hits in found.items()}
        scored[mode] = {qid: ([h.paper.id for h in hits], [h.score for h in hits]) for qid, hits in found.items()}
        rows.append(score(mode, ranked[mode], qrels, 1000 * (time.perf_counter() - start) / len(texts)))
    lists = {qid: [ranked["keyword"][qid], ranked["semantic"][qid]] for qid in texts}
    rrf = {qid: reciprocal_rank_fusion(both, k=20)[0] for qid, both in lists.items()}
    rows.append(score("hybrid, reciprocal rank k=20 (baseline)", rrf, qrels, None))
    convex = {
        qid: convex_fusion([scored["keyword"][qid], scored["semantic"][qid]], [0.65, 0.35], depth=100)[0]
        for qid in texts
    }
    rows.append(score("hybrid, min-max 0.65/0.35 (baseline)", convex, qrels, None))
    return rows


def typo(word: str, rng: random.Random) -> str:
    i, letter = rng.randrange(len(word)), rng.choice(string.ascii_lowercase)
    edit = rng.choice("sdi")
    if edit == "s":
        return word[:i] + letter + word[i + 1 :]
    if edit == "d" and len(word) > 3:
        return word[:i] + word[i + 1 :]
    return word[:i] + letter + word[i:]


OFF_TOPIC = [
    "chocolate cake recipe", "football world cup final", "tax return deadline", "cheap flights to paris",
    "how to tie a tie", "best pizza near me", "medieval french poetry", "guitar chords for beginners",
    "wedding dress shopping", "used car prices", "knitting patterns", "celebrity gossip news",
    "how to train a puppy", "baroque architecture", "vintage furniture restoration", "marathon training plan",
    "opera tickets vienna", "gardening tomatoes", "poker strategy", "skateboard tricks",
]  # fmt: skip


def nothing_matches(pt: Papertide, short: dict[str, str]) -> list[dict]:
    """Share of queries a hybrid search answers with at least one paper, per kind of query."""
    rng = random.Random(0)
    misspelt = [" ".join(typo(typo(w, rng), rng) if len(w) > 3 else w for w in t.split()) for t in short.values()]
    gibberish = [
        " ".join("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 10))) for _ in range(n))
        for n in (1, 2, 3)
        for _ in range(40)
    ]
    kinds = {"real 2-word queries": list(short.values()), "misspelt": misspelt, "gibberish": gibberish,
             "off-topic": OFF_TOPIC}  # fmt: skip
    rows = []
    for kind, texts in kinds.items():
        results = [pt.search(t, limit=10) for t in texts]
        answered = sum(1 for r in results if r)
        suggested = sum(1 for r in results if r.suggestion)
        rows.append({"queries": kind, "count": len(texts), "answered": round(answered / len(texts), 3),
                     "with_suggestion": round(suggested / len(texts), 3)})  # fmt: skip
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
    console.print(f"corpus: {pt.count()} papers ({summary.new} new, {summary.rejected} rejected)")
    start = time.perf_counter()
    encoded = pt.index(batch_size=64)
    encode_s = time.perf_counter() - start
    console.print(f"encoded {encoded} papers in {encode_s:.0f} s")
    qrels = load_qrels(args.data / "qrels" / "test.tsv")
    queries = [orjson.loads(line) for line in (args.data / "queries.jsonl").read_bytes().splitlines() if line]
    queries = [q for q in queries if q["_id"] in qrels]
    texts = {q["_id"]: q["text"] for q in queries}
    corpus = args.data / "corpus.jsonl"
    sets = {
        "claims": texts,
        "3 rarest words": rarest_words(texts, corpus, 3),
        "2 rarest words": rarest_words(texts, corpus, 2),
    }
    results = {name: evaluate(pt, query_texts, qrels) for name, query_texts in sets.items()}
    table = Table(title=f"BEIR SciFact ({len(queries)} queries, {pt.count()} abstracts)")
    for column in ("queries", "mode", "nDCG@10", "recall@100", "ms/query"):
        table.add_column(column, justify="right")
    margins = {}
    for name, rows in results.items():
        for r in rows:
            ms = "" if r["ms_per_query"] is None else str(r["ms_per_query"])
            table.add_row(name, r["mode"], f"{r['ndcg@10']:.4f}", f"{r['recall@100']:.4f}", ms)
        best_single = max(r["ndcg@10"] for r in rows if r["mode"] in ("keyword", "semantic"))
        hybrid = next(r for r in rows if r["mode"] == "hybrid")["ndcg@10"]
        margins[name] = round(hybrid - best_single, 4)
    console.print(table)
    for name, margin in margins.items():
        console.print(f"hybrid - best single mode ({name}): {margin:+.4f}")
    empty = nothing_matches(pt, sets["2 rarest words"])
    table = Table(title="nothing matches: share of hybrid searches answered with at least one paper")
    for column in ("queries", "count", "answered", "with a suggestion"):
        table.add_column(column, justify="right")
    for row in empty:
        table.add_row(row["queries"], str(row["count"]), f"{row['answered']:.0%}", f"{row['with_suggestion']:.0%}")
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(
        orjson.dumps(
            {
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "encoder": encoder.name,
                "max_tokens": args.max_tokens,
                "encode_s": round(encode_s, 1),
                "results": results,
                "hybrid_minus_best_single": margins,
                "nothing_matches": empty,
            },
            option=orjson.OPT_INDENT_2,
        )
    )
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
