"""Simulated readers over real arXiv listings (issue 26): how well `Papertide.recommend` serves a
reader, against arxiv-sanity's tf-idf SVM, a linear SVM on the stored MiniLM vectors, the MiniLM
centroid and random, all in one run, on the same readers.

    python bench/readers.py --workdir /tmp/readers-wd [--sample 20000] [--full] [--out bench/results/readers.json]

The data is ../shared/bench-data/arxiv-listings/papers.jsonl.gz (92,905 real arXiv papers of the
daily listings 2025-03 → 2026-07, CC0; evaluation only, never bundled). A fixed stratified sample
(seed 0; `--sample`, default 20,000; `--full` for every paper) is imported into a catalogue in
WORKDIR and encoded by `papertide index` there, once: encoding runs at ~11 abstracts/s on 2 cores,
so the first run of 20,000 takes ~30 minutes and later runs reuse the vectors.

The split is temporal, as a reader meets a feed: likes come from the listing months before the
median month, the papers a reader should be shown from the months after; every method ranks the
later papers only (never a liked or disliked one). Readers:
- topic: 10 likes of one primary category; wanted: that category's later papers (each category
  reported, and macro-averaged so cs.CV does not drown astro-ph.EP);
- author: an author with at least 12 papers; likes: their 10 earliest, wanted: the rest;
- two interests: 5 + 5 likes from two categories; wanted: both categories' later papers, and the
  table says how often the top 20 holds papers of both;
- cold start: 3 likes of one category and 2 dislikes of another.
Metrics: P@20, nDCG@20, recall@100 (binary relevance). No test depends on any of these numbers.
"""

from __future__ import annotations

import argparse
import gzip
import math
import random
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson
from rich.console import Console
from rich.table import Table

from opening import open_catalogue
from papertide.index.embed import MiniLM

DATA = Path(__file__).resolve().parents[2] / "shared" / "bench-data" / "arxiv-listings" / "papers.jsonl.gz"
MIN_CATEGORY = 200  # primary categories with at least this many papers in the listings take part
TOPIC_READERS = 4  # per category
AUTHORS = 24  # author readers: the authors with the most papers (≥ 12)
AUTHOR_PAPERS = 30  # of each, at most this many go into the sample
PAIRS = 24  # two-interest readers
COLD = 24  # cold-start readers
Ranker = Callable[["Reader"], list[str]]


@dataclass
class Reader:
    kind: str
    name: str
    likes: list[str]
    wanted: set[str]
    dislikes: list[str] = field(default_factory=list)
    interests: list[set[str]] = field(default_factory=list)  # two-interest readers: each interest's wanted


def load(path: Path) -> list[dict]:
    with gzip.open(path, "rb") as handle:
        return [orjson.loads(line) for line in handle if line.strip()]


def choose_sample(papers: list[dict], size: int | None, seed: int = 0) -> list[dict]:
    """A stratified sample (each primary category in proportion, each at least 60 papers when it
    has them), plus every paper of the authors with the most papers, so author readers exist."""
    by_category: dict[str, list[dict]] = defaultdict(list)
    for p in papers:
        by_category[p["categories"][0]].append(p)
    kept = {c: ps for c, ps in by_category.items() if len(ps) >= MIN_CATEGORY}
    rng = random.Random(seed)
    top = distinct_authors(p for ps in kept.values() for p in ps)
    chosen: dict[str, dict] = {}
    if size is None:
        chosen = {p["id"]: p for ps in kept.values() for p in ps}
    else:
        total = sum(len(ps) for ps in kept.values())
        for _category, ps in sorted(kept.items()):
            share = max(min(60, len(ps)), round(size * len(ps) / total))
            for p in rng.sample(ps, min(share, len(ps))):
                chosen[p["id"]] = p
    # Each author's first AUTHOR_PAPERS papers (10 liked, the rest wanted): prolific authors (an
    # astro-ph collaboration lists hundreds) must not swamp the sample.
    added: Counter[str] = Counter()
    for p in sorted(papers, key=lambda p: (p["listing_date"], p["id"])):
        holders = [a for a in p["authors"] if a in top and added[a] < AUTHOR_PAPERS]
        if holders and p["categories"][0] in kept:
            chosen[p["id"]] = p
            added.update(holders)
    return sorted(chosen.values(), key=lambda p: p["id"])


def distinct_authors(papers: Iterable[dict], least: int = 12) -> list[str]:
    """The AUTHORS names with the most papers (at least `least`) that are one person, as far as the
    listings tell: papers that share a co-author are the same person's, and a name is kept when
    one such group holds at least 80% of its papers (the most frequent names — "Yang Liu", 317
    papers — are many people, and reading them as one reader measures nothing)."""
    by_name: dict[str, list[set[str]]] = defaultdict(list)
    for p in papers:
        for a in p["authors"]:
            by_name[a].append(set(p["authors"]) - {a})
    chosen = []
    for name, coauthors in sorted(by_name.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        if len(coauthors) < least:
            break
        group = list(range(len(coauthors)))  # union-find over the name's papers

        def root(i: int, group: list[int] = group) -> int:
            while group[i] != i:
                group[i] = group[group[i]]
                i = group[i]
            return i

        first_paper: dict[str, int] = {}
        for i, names in enumerate(coauthors):
            for co in names:
                if co in first_paper:
                    group[root(i)] = root(first_paper[co])
                else:
                    first_paper[co] = i
        largest = max(Counter(root(i) for i in range(len(coauthors))).values())
        if largest >= 0.8 * len(coauthors):
            chosen.append(name)
        if len(chosen) == AUTHORS:
            break
    return chosen


def split_month(papers: Sequence[dict]) -> str:
    """The median listing month: likes come from before it, the wanted papers from it and after."""
    months = sorted(p["listing_date"][:7] for p in papers)
    return months[len(months) // 2]


def make_readers(papers: list[dict], cut: str, seed: int = 1) -> list[Reader]:
    rng = random.Random(seed)
    early: dict[str, list[str]] = defaultdict(list)
    late: dict[str, set[str]] = defaultdict(set)
    for p in papers:
        if p["listing_date"][:7] < cut:
            early[p["categories"][0]].append(p["id"])
        else:
            late[p["categories"][0]].add(p["id"])
    categories = sorted(c for c in early if len(early[c]) >= 10 and len(late[c]) >= 20)
    readers = []
    for c in categories:
        for i in range(TOPIC_READERS):
            readers.append(Reader("topic", f"{c}#{i}", rng.sample(early[c], 10), set(late[c])))
    by_author: dict[str, list[dict]] = defaultdict(list)
    for p in papers:
        for a in p["authors"]:
            by_author[a].append(p)
    for author in distinct_authors(papers):
        ps = sorted(by_author[author], key=lambda p: (p["listing_date"], p["id"]))
        likes = [p["id"] for p in ps[:10]]
        wanted = {p["id"] for p in ps[10:] if p["listing_date"][:7] >= cut}
        if wanted:
            readers.append(Reader("author", author, likes, wanted))
    for _ in range(PAIRS):
        a, b = rng.sample(categories, 2)
        likes = rng.sample(early[a], 5) + rng.sample(early[b], 5)
        readers.append(Reader("two interests", f"{a}+{b}", likes, late[a] | late[b], interests=[late[a], late[b]]))
    for _ in range(COLD):
        a, b = rng.sample(categories, 2)
        readers.append(Reader("cold start", f"{a}-{b}", rng.sample(early[a], 3), set(late[a]), rng.sample(early[b], 2)))
    return readers


def precision(ranked: list[str], wanted: set[str], k: int = 20) -> float:
    return sum(1 for i in ranked[:k] if i in wanted) / k


def ndcg(ranked: list[str], wanted: set[str], k: int = 20) -> float:
    gain = sum(1 / math.log2(r + 2) for r, i in enumerate(ranked[:k]) if i in wanted)
    ideal = sum(1 / math.log2(r + 2) for r in range(min(k, len(wanted))))
    return gain / ideal if ideal else 0.0


def recall(ranked: list[str], wanted: set[str], k: int = 100) -> float:
    return sum(1 for i in ranked[:k] if i in wanted) / len(wanted) if wanted else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, required=True, help="where the sample's catalogue is kept")
    parser.add_argument("--sample", type=int, default=20_000, help="papers in the stratified sample")
    parser.add_argument("--full", action="store_true", help="every paper of the listings (hours to encode)")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results") / "readers.json")
    args = parser.parse_args()
    console = Console(width=160)
    started = time.perf_counter()
    papers = load(args.data)
    sample = choose_sample(papers, None if args.full else args.sample)
    what = "every paper" if args.full else f"a stratified sample of {len(sample):,} (seed 0)"
    console.print(f"{len(papers):,} listed papers; {what}")
    workdir = args.workdir / ("full" if args.full else f"sample-{args.sample}-v3")
    workdir.mkdir(parents=True, exist_ok=True)
    pt, store = open_catalogue(workdir, encoder=MiniLM())
    if pt.count() < len(sample):
        source = workdir / "sample.jsonl"
        source.write_bytes(b"".join(orjson.dumps(p) + b"\n" for p in sample))
        pt.import_files([source], format="jsonl")
    if pt.pending_vectors():
        console.print(f"encoding {pt.pending_vectors():,} papers (resumable; ~11 a second on 2 cores)")
        pt.index()
    ids = [p["id"] for p in sample]
    position = {i: n for n, i in enumerate(ids)}
    model = MiniLM.name
    vectors = np.zeros((len(ids), MiniLM.dim), dtype=np.float32)
    id_of = {pk: p.id for pk, p in store.papers_by_pk(range(1, pt.count() + 1)).items()}
    for keys, rows in store.iter_embeddings(model):
        for key, row in zip(keys, rows, strict=True):
            if (paper_id := id_of.get(int(key))) in position:
                vectors[position[paper_id]] = row
    cut = split_month(sample)
    later = [p["id"] for p in sample if p["listing_date"][:7] >= cut]
    later_set = set(later)
    readers = make_readers(sample, cut)
    console.print(
        f"split at {cut}: {len(ids) - len(later):,} earlier papers, {len(later):,} later; {len(readers)} readers"
    )

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    # arxiv-sanity-lite's vectoriser, as it ships (compute.py): words and bigrams, English stop words.
    tfidf = TfidfVectorizer(
        strip_accents="unicode",
        lowercase=True,
        analyzer="word",
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
        max_features=20_000,
        norm="l2",
        use_idf=True,
        smooth_idf=True,
        sublinear_tf=True,
        max_df=0.1,
        min_df=5,
    )
    words = tfidf.fit_transform([f"{p['title']}. {p['abstract']}" for p in sample])
    later_rows = np.array([position[i] for i in later])

    def top_of(scores: np.ndarray, reader: Reader) -> list[str]:
        seen = set(reader.likes) | set(reader.dislikes)
        order = np.argsort(-scores[later_rows], kind="stable")
        return [later[k] for k in order[:150] if later[k] not in seen][:100]

    def svm(features: object, reader: Reader) -> list[str]:
        # arxiv-sanity-lite's: the reader's papers positive, every other paper negative.
        y = np.zeros(len(ids))
        y[[position[i] for i in reader.likes]] = 1
        model_ = LinearSVC(class_weight="balanced", C=0.1, max_iter=10_000, tol=1e-6)
        model_.fit(features, y)
        return top_of(model_.decision_function(features), reader)

    def centroid(reader: Reader) -> list[str]:
        mean = vectors[[position[i] for i in reader.likes]].mean(axis=0)
        return top_of(vectors @ (mean / (np.linalg.norm(mean) or 1.0)), reader)

    def papertide(reader: Reader) -> list[str]:
        found = pt.recommend(reader.likes, reader.dislikes, limit=400)
        return [s.paper.id for s in found if s.paper.id in later_set][:100]

    rng = random.Random(2)

    def shuffled(reader: Reader) -> list[str]:
        return [i for i in rng.sample(later, min(len(later), 150)) if i not in set(reader.likes)][:100]

    methods: dict[str, Ranker] = {
        "papertide (default)": papertide,
        "arxiv-sanity tf-idf SVM": lambda r: svm(words, r),
        "SVM on MiniLM vectors": lambda r: svm(vectors, r),
        "MiniLM centroid": centroid,
        "random": shuffled,
    }
    results: dict[str, dict[str, list[tuple[str, float, float, float, bool]]]] = defaultdict(lambda: defaultdict(list))
    timings: dict[str, list[float]] = defaultdict(list)
    for reader in readers:
        for name, rank in methods.items():
            t0 = time.perf_counter()
            ranked = rank(reader)
            timings[name].append(time.perf_counter() - t0)
            both = all(any(i in part for i in ranked[:20]) for part in reader.interests) if reader.interests else True
            row = (
                reader.name,
                precision(ranked, reader.wanted),
                ndcg(ranked, reader.wanted),
                recall(ranked, reader.wanted),
                both,
            )
            results[reader.kind][name].append(row)

    def macro(rows: list[tuple[str, float, float, float, bool]], at: int) -> float:
        """Topic readers: the mean over categories of the mean over their readers (macro)."""
        per: dict[str, list[float]] = defaultdict(list)
        for row in rows:
            per[row[0].split("#")[0]].append(row[at])
        return statistics.fmean(statistics.fmean(v) for v in per.values())

    table = Table(title=f"Simulated readers, {what}, split at {cut} ({len(readers)} readers)")
    for column in ("readers", "method", "P@20", "nDCG@20", "recall@100", "both interests in top 20", "ms / reader"):
        table.add_column(column, justify="left" if column in ("readers", "method") else "right")
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for kind in ("topic", "author", "two interests", "cold start"):
        for name in methods:
            rows = results[kind][name]
            if not rows:
                continue
            agg = macro if kind == "topic" else lambda rs, at: statistics.fmean(r[at] for r in rs)
            figures = {
                "readers": len(rows),
                "p_at_20": round(agg(rows, 1), 4),
                "ndcg_at_20": round(agg(rows, 2), 4),
                "recall_at_100": round(agg(rows, 3), 4),
                "both_interests": round(statistics.fmean(1.0 if r[4] else 0.0 for r in rows), 3),
            }
            summary.setdefault(kind, {})[name] = figures
            table.add_row(
                f"{kind} ({len(rows)})" + (" macro" if kind == "topic" else ""),
                name,
                f"{figures['p_at_20']:.3f}",
                f"{figures['ndcg_at_20']:.3f}",
                f"{figures['recall_at_100']:.3f}",
                f"{figures['both_interests']:.2f}" if kind == "two interests" else "",
                f"{statistics.median(timings[name]) * 1000:.0f}",
            )
        table.add_section()
    console.print(table)
    per_category = {
        c: {
            name: round(statistics.fmean(r[1] for r in results["topic"][name] if r[0].split("#")[0] == c), 4)
            for name in methods
        }
        for c in sorted({r[0].split("#")[0] for r in results["topic"]["random"]})
    }
    cats = Table(title="Topic readers, P@20 per primary category")
    cats.add_column("category")
    for name in methods:
        cats.add_column(name, justify="right")
    for c, row in per_category.items():
        cats.add_row(c, *(f"{row[name]:.3f}" for name in methods))
    console.print(cats)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(
        orjson.dumps(
            {
                "data": str(args.data.name),
                "papers": len(papers),
                "sample": None if args.full else len(sample),
                "split_month": cut,
                "readers": len(readers),
                "summary": summary,
                "topic_p_at_20_per_category": per_category,
                "seconds": round(time.perf_counter() - started, 1),
            },
            option=orjson.OPT_INDENT_2,
        )
    )
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
