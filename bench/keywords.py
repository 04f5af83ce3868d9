"""How good are the key phrases? A paper's key phrases should say what sets it apart, so used as a
query they should find the paper itself among thousands: for each paper, its five phrases (each
quoted, any of them) are searched by keyword and the rank of the paper itself is noted.

    python bench/relevance.py --workdir /tmp/scifact-wd    # once: imports and encodes SciFact
    python bench/keywords.py --workdir /tmp/scifact-wd [--papers 1000] [--out bench/results/keywords.json]

Compared in one run on the same papers: by meaning (MiniLM, KeyBERT-style with MMR; what
`papertide index` stores when the catalogue has vectors), by tf-idf (the fallback without
vectors), and two baselines — the title's first five non-stop words, and five random candidate
phrases. Prints hit@1, hit@10 and MRR, and the papers per second each method computes.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import numpy as np
import orjson
from rich.console import Console
from rich.table import Table

from papertide import Papertide, keywords
from papertide.embed import MiniLM
from papertide.query import STOP_WORDS, Query, split_words


def rank_of(pt: Papertide, pk: int, phrases: list[str]) -> int | None:
    words = [tuple(split_words(p)) for p in phrases if split_words(p)]
    query = Query(
        terms=tuple(w[0] for w in words if len(w) == 1), phrases=tuple(w for w in words if len(w) > 1)
    )
    if query.is_empty:
        return None
    pks, _ = pt.indexes.keywords.search(query, 100)
    return pks.index(pk) + 1 if pk in pks else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, required=True, help="an encoded data directory")
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results") / "keywords.json")
    args = parser.parse_args()
    pt = Papertide.open(args.workdir, encoder=MiniLM(threads=2), create=False)
    pt.catch_up()
    vectors = pt.indexes.vectors
    assert vectors is not None
    encoder = pt.encoder()
    rng = random.Random(11)
    all_papers = list(pt.store.iter_papers())
    sample = rng.sample(all_papers, min(args.papers, len(all_papers)))
    pks = pt.store.pks_for_ids(p.id for p in sample)
    vec = {}
    for keys, rows in pt.store.embeddings_of(vectors.model, list(pks.values())):
        vec.update(zip((int(k) for k in keys), np.asarray(rows, dtype=np.float32), strict=True))
    n = pt.store.count()
    doc_freq = pt.indexes.keywords.doc_freq_of

    def meaning(p: object) -> list[str]:
        text = f"{p.title} {p.abstract}"  # type: ignore[attr-defined]
        found = keywords.prefilter(keywords.candidates(p.title, p.abstract), text, doc_freq, n)  # type: ignore[attr-defined]
        if not found:
            return []
        return keywords.by_meaning(found, vec[pks[p.id]], encoder.encode(found))  # type: ignore[attr-defined]

    def weight(p: object) -> list[str]:
        found = keywords.candidates(p.title, p.abstract)  # type: ignore[attr-defined]
        return keywords.by_weight(found, f"{p.title} {p.abstract}", doc_freq, n)  # type: ignore[attr-defined]

    def title_words(p: object) -> list[str]:
        return [w for w in split_words(p.title) if w not in STOP_WORDS][:5]  # type: ignore[attr-defined]

    def random_phrases(p: object) -> list[str]:
        found = keywords.candidates(p.title, p.abstract)  # type: ignore[attr-defined]
        return rng.sample(found, min(5, len(found)))

    rows = []
    for name, method in (
        ("by meaning (MiniLM + MMR)", meaning),
        ("by tf-idf + MMR", weight),
        ("title's first 5 words", title_words),
        ("5 random candidates", random_phrases),
    ):
        start = time.perf_counter()
        chosen = [(p, method(p)) for p in sample if p.id in pks]
        seconds = time.perf_counter() - start
        ranks = [rank_of(pt, pks[p.id], phrases) for p, phrases in chosen]
        rows.append(
            {
                "method": name,
                "papers": len(chosen),
                "hit@1": round(sum(r == 1 for r in ranks) / len(ranks), 4),
                "hit@10": round(sum(r is not None and r <= 10 for r in ranks) / len(ranks), 4),
                "mrr": round(sum(1 / r for r in ranks if r) / len(ranks), 4),
                "papers_per_s": round(len(chosen) / seconds, 1),
                "example": chosen[0][1],
            }
        )
    table = Table(title=f"Key phrases as a query find their own paper ({n:,} papers in the catalogue)")
    for key in ("method", "papers", "hit@1", "hit@10", "mrr", "papers_per_s"):
        table.add_column(key)
    for r in rows:
        table.add_row(*(str(r[k]) for k in ("method", "papers", "hit@1", "hit@10", "mrr", "papers_per_s")))
    Console(width=140).print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps({"results": rows}, option=orjson.OPT_INDENT_2) + b"\n")
    pt.close()


if __name__ == "__main__":
    main()
