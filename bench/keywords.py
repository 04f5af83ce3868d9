"""How good are the key phrases? Two measures on BEIR SciFact (5,183 abstracts):

- **What people say about the paper**: SciFact's claims were written by people about the abstracts
  they cite (339 claim → abstract pairs). For each pair: does one of the abstract's five phrases
  occur in the claim (all its words, stemmed)? And what share of the five do?
- **What sets the paper apart**: its first two phrases, as a keyword query, should find the paper
  itself among the 5,183 (hit@1, MRR); five OR'ed phrases find it almost always, whatever they are.

    python bench/relevance.py --workdir /tmp/scifact-wd    # once: imports and encodes SciFact
    python bench/keywords.py --workdir /tmp/scifact-wd [--papers 1000] [--out bench/results/keywords.json]
        [--data ../shared/bench-data/scifact]

Compared in one run on the same papers: by tf-idf with MMR (what `papertide index` stores), by
meaning (MiniLM, KeyBERT-style with MMR), both mixed, and two baselines — the title's first five
non-stop words, and five random candidate phrases. Prints both measures and papers/s per method.
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

from opening import open_catalogue
from papertide import Papertide
from papertide.index import key_phrases as keywords
from papertide.index.embed import MiniLM
from papertide.query import STOP_WORDS, Query, split_words

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "bench-data" / "scifact"
STEM = keywords._norm


def stems(text: str) -> set[str]:
    return {STEM(w) for w in split_words(text)}


def claim_pairs(data: Path) -> list[tuple[str, str]]:
    """(claim text, cited abstract id) for SciFact's test judgements."""
    claims = {q["_id"]: q["text"] for q in map(orjson.loads, (data / "queries.jsonl").read_bytes().splitlines())}
    rows = (data / "qrels" / "test.tsv").read_text().splitlines()[1:]
    return [(claims[q], d) for q, d, _ in (r.split("\t") for r in rows) if q in claims]


def rank_of(pt: Papertide, pk: int, phrases: list[str]) -> int | None:
    words = [tuple(split_words(p)) for p in phrases if split_words(p)]
    query = Query(terms=tuple(w[0] for w in words if len(w) == 1), phrases=tuple(w for w in words if len(w) > 1))
    if query.is_empty:
        return None
    pks, _ = pt.indexes.keywords.search(query, 100)
    return pks.index(pk) + 1 if pk in pks else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, required=True, help="an encoded data directory")
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results") / "keywords.json")
    args = parser.parse_args()
    pt, store = open_catalogue(args.workdir, encoder=MiniLM(threads=2))
    pt.catch_up()
    vectors = pt.indexes.vectors
    assert vectors is not None
    encoder = pt.encoder()
    rng = random.Random(11)
    all_papers = list(pt.iter_papers())
    pairs = claim_pairs(args.data)
    cited = {d for _, d in pairs}
    sample = [p for p in all_papers if p.id in cited]
    others = [p for p in all_papers if p.id not in cited]
    sample += rng.sample(others, max(0, min(args.papers - len(sample), len(others))))
    pks = store.pks_for_ids(p.id for p in sample)
    vec = {}
    for keys, rows in store.embeddings_of(vectors.model, list(pks.values())):
        vec.update(zip((int(k) for k in keys), np.asarray(rows, dtype=np.float32), strict=True))
    n = pt.count()
    doc_freq = pt.indexes.keywords.doc_freq_of

    def meaning(p: object) -> list[str]:
        text = f"{p.title} {p.abstract}"  # type: ignore[attr-defined]
        found = keywords.prefilter(keywords.candidates(p.title, p.abstract), text, doc_freq, n)  # type: ignore[attr-defined]
        if not found:
            return []
        return keywords.by_meaning(found, vec[pks[p.id]], encoder.encode(found))  # type: ignore[attr-defined]

    def mixed(p: object) -> list[str]:
        text = f"{p.title} {p.abstract}"  # type: ignore[attr-defined]
        found = keywords.prefilter(keywords.candidates(p.title, p.abstract), text, doc_freq, n)  # type: ignore[attr-defined]
        if not found:
            return []
        weights = keywords.tfidf(found, text, doc_freq, n)
        return keywords.by_meaning(found, vec[pks[p.id]], encoder.encode(found), weights=weights)  # type: ignore[attr-defined]

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
        ("by meaning and weight", mixed),
        ("by meaning (MiniLM + MMR)", meaning),
        ("by tf-idf + MMR (stored)", weight),
        ("title's first 5 words", title_words),
        ("5 random candidates", random_phrases),
    ):
        start = time.perf_counter()
        chosen = [(p, method(p)) for p in sample if p.id in pks]
        seconds = time.perf_counter() - start
        ranks = [rank_of(pt, pks[p.id], phrases[:2]) for p, phrases in chosen]
        by_id = {p.id: phrases for p, phrases in chosen}
        in_claim, shares = [], []
        for claim, doc in pairs:
            if doc not in by_id or not by_id[doc]:
                continue
            words = stems(claim)
            present = [bool(stems(k)) and stems(k) <= words for k in by_id[doc]]
            in_claim.append(any(present))
            shares.append(sum(present) / len(present))
        rows.append(
            {
                "method": name,
                "papers": len(chosen),
                "claims_with_a_phrase": round(sum(in_claim) / len(in_claim), 4),
                "phrases_in_claim": round(sum(shares) / len(shares), 4),
                "self_hit@1_2_phrases": round(sum(r == 1 for r in ranks) / len(ranks), 4),
                "self_mrr_2_phrases": round(sum(1 / r for r in ranks if r) / len(ranks), 4),
                "papers_per_s": round(len(chosen) / seconds, 1),
                "example": chosen[0][1],
            }
        )
    columns = (
        "method",
        "papers",
        "claims_with_a_phrase",
        "phrases_in_claim",
        "self_hit@1_2_phrases",
        "self_mrr_2_phrases",
        "papers_per_s",
    )
    table = Table(title=f"Key phrases on SciFact ({n:,} abstracts; {len(pairs)} claim → abstract pairs)")
    for key in columns:
        table.add_column(key.replace("_", " "))
    for r in rows:
        table.add_row(*(str(r[k]) for k in columns))
    Console(width=140).print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps({"results": rows}, option=orjson.OPT_INDENT_2) + b"\n")
    pt.close()


if __name__ == "__main__":
    main()
