"""For-you at scale: a member with 50 signals on a catalogue of N papers (default 1M), and the map
laid out over the same vectors.

    python bench/recommend_scale.py --workdir /tmp/rec1m [--papers 1000000] [--rounds 60]
        [--out bench/results/recommend_1m.json]

The catalogue is built once in --workdir and kept (a rerun measures again): N synthetic arXiv
records (bench/gen_snapshot.py; words drawn from a fixed vocabulary) bulk-imported, and N synthetic
vectors stored as the MiniLM model's (bench/latency.py's nested topics: 500 fields, lines of work of
~5 papers; encoding a million real abstracts would take a day here). Then, timed: the HNSW index
built from the stored vectors and the map laid out (`MapFile.update`: a 20,000-paper t-SNE fit and
every other paper placed by its ANN neighbours).

A member upvotes 25 papers and saves 25 more, all from three lines of work; measured over --rounds
requests: `Papertide.recommend_for` (the library call) and `views.for_you_view` (the For-you page's
data: recommendations, the cards, why each is there, the member's votes and saves marked; the HTML
template adds ~1 ms), p50 and p99; then the first request after a new upvote (nothing is cached, so
a new signal costs one ordinary request). Peak RSS of this process.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import orjson
from rich.console import Console
from rich.table import Table

from opening import open_catalogue
from papertide import Papertide
from papertide.store import Store
from papertide.web.context import Context, PageCache
from papertide.web.views import for_you_view

from gen_snapshot import write
from latency import clustered

MODEL = "all-MiniLM-L6-v2-int8"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def build(pt: Papertide, store: Store, workdir: Path, papers: int, console: Console) -> dict[str, float]:
    timings: dict[str, float] = {}
    if pt.count() < papers:
        source = workdir / "snapshot.jsonl"
        if not source.exists():
            start = time.perf_counter()
            write(source, papers)
            timings["generate_s"] = time.perf_counter() - start
        start = time.perf_counter()
        pt.import_files([source])
        timings["import_s"] = time.perf_counter() - start
        console.print(f"imported {pt.count():,} papers in {timings['import_s']:.0f} s")
    if store.count_embeddings(MODEL) < pt.count():
        start = time.perf_counter()
        rng = np.random.default_rng(3)
        with store.engine.connect() as conn:  # type: ignore[attr-defined]
            keys = np.array([r[0] for r in conn.exec_driver_sql("SELECT pk FROM papers ORDER BY pk")])
        vectors = clustered(len(keys), rng)
        for at in range(0, len(keys), 50_000):
            store.save_embeddings(MODEL, keys[at : at + 50_000], vectors[at : at + 50_000])
        timings["store_vectors_s"] = time.perf_counter() - start
        console.print(f"stored {len(keys):,} vectors in {timings['store_vectors_s']:.0f} s")
    vectors_index = pt.indexes.vectors
    assert vectors_index is not None and pt.indexes.layout is not None
    start = time.perf_counter()
    vectors_index.catch_up(store, None)
    vectors_index.save()
    timings["hnsw_s"] = time.perf_counter() - start
    console.print(f"HNSW index in step in {timings['hnsw_s']:.0f} s")
    start = time.perf_counter()
    layout = pt.indexes.layout.update(store, vectors_index, refit=True)
    timings["map_s"] = time.perf_counter() - start
    console.print(f"map of {len(layout) if layout else 0:,} papers in {timings['map_s']:.0f} s")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results") / "recommend_1m.json")
    args = parser.parse_args()
    console = Console(width=140)
    args.workdir.mkdir(parents=True, exist_ok=True)
    pt, store = open_catalogue(args.workdir)
    timings = build(pt, store, args.workdir, args.papers, console)
    vectors_index = pt.indexes.vectors
    assert vectors_index is not None

    # A reader of three lines of work: 50 papers near three seeds, 25 upvoted and 25 saved.
    community = store.community
    member = community.member_by_handle("reader") or community.create_member(
        "reader", "reader@example.org", "x", datetime(2025, 11, 5)
    )
    rng = np.random.default_rng(7)
    top = pt.count()  # a bulk-loaded catalogue's pks run from 1 to its size
    seeds = rng.choice(np.arange(1, top + 1), 3, replace=False)
    near: list[int] = []
    for seed in seeds:
        vector = vectors_index.vector_of(int(seed))
        assert vector is not None
        near += vectors_index.search(vector, 17)[0]
    ids = list(store.ids_for_pks(dict.fromkeys(near)).values())[:50]
    now = datetime(2025, 11, 5, 9)
    for paper_id in ids[:25]:
        community.set_vote(member.id, store.pks_for_ids([paper_id])[paper_id], True, now)
    for paper_id in ids[25:]:
        pt.personal.save(member.id, paper_id)

    library, page = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        pt.recommend_for(member.id, 30, 50)
        library.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        for_you_view(Context(pt, now, member, PageCache()), member)
        page.append((time.perf_counter() - start) * 1000)
    extra = store.ids_for_pks([int(rng.integers(1, top + 1))])
    community.set_vote(member.id, next(iter(extra)), True, now)
    start = time.perf_counter()
    for_you_view(Context(pt, now, member, PageCache()), member)
    after_signal = (time.perf_counter() - start) * 1000
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "papers": pt.count(),
        "signals": 50,
        "rounds": args.rounds,
        "build": timings,
        "recommend_for_p50_ms": round(statistics.median(library), 2),
        "recommend_for_p99_ms": round(percentile(library, 0.99), 2),
        "for_you_view_p50_ms": round(statistics.median(page), 2),
        "for_you_view_p99_ms": round(percentile(page, 0.99), 2),
        "after_new_signal_ms": round(after_signal, 2),
        "peak_rss_mib": round(peak),
    }
    pt.close()
    table = Table(title=f"For you: {result['papers']:,} papers, a member with 50 signals, {args.rounds} requests")
    for column in ("call", "p50 ms", "p99 ms"):
        table.add_column(column, justify="right")
    table.add_row("Papertide.recommend_for", str(result["recommend_for_p50_ms"]), str(result["recommend_for_p99_ms"]))
    table.add_row("For-you page data (view)", str(result["for_you_view_p50_ms"]), str(result["for_you_view_p99_ms"]))
    console.print(table)
    console.print(f"first page after a new upvote: {after_signal:.1f} ms; peak RSS {peak:,.0f} MiB")
    console.print({k: round(v, 1) for k, v in timings.items()})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
