"""Recommendation speed: `Papertide.recommend` (likes → ANN queries → score the candidates) against
scoring every paper in the catalogue (the likes' model applied to the whole vector matrix), for
readers with 3, 10 and 50 likes (plus 2 dislikes), on an encoded catalogue.

    python bench/relevance.py --workdir /tmp/scifact-wd      # once: imports and encodes SciFact
    python bench/recommend.py --workdir /tmp/scifact-wd [--rounds 40] [--out bench/results/recommend.json]

Prints a table and writes JSON: median and p99 ms per request for each, their ratio, the peak RSS.
Quality (P@20 and nDCG@20 against arxiv-sanity's tf-idf SVM) is not measured here: no labelled set
of reader interests is reachable on this machine (issue 17). At 1M papers: bench/recommend_scale.py.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import time
from pathlib import Path

import numpy as np
import orjson
from rich.console import Console
from rich.table import Table

from opening import open_catalogue
from papertide.index.embed import MiniLM
from papertide.members.recommend import score_candidates


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, required=True, help="an encoded data directory")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--out", type=Path, default=Path("bench/results/recommend.json"))
    args = parser.parse_args()
    console = Console(width=140)
    pt, store = open_catalogue(args.workdir, encoder=MiniLM(threads=1))
    semantic = pt.semantic
    if semantic is None:
        raise SystemExit("the catalogue has no vectors: run bench/relevance.py --workdir DIR first")
    model = semantic.index.model
    keys_parts, vector_parts = [], []
    for keys, vectors in store.iter_embeddings(model):
        keys_parts.append(np.asarray(keys))
        vector_parts.append(np.asarray(vectors, dtype=np.float32))
    all_keys, all_vectors = np.concatenate(keys_parts), np.concatenate(vector_parts)
    ids_by_pk = {pk: p.id for pk, p in store.papers_by_pk(int(k) for k in all_keys).items()}
    catalogue = [ids_by_pk[int(k)] for k in all_keys if int(k) in ids_by_pk]
    rng = random.Random(17)
    rows = []
    for n_likes in (3, 10, 50):
        ours, full = [], []
        for _ in range(args.rounds):
            chosen = rng.sample(catalogue, n_likes + 2)
            likes, dislikes = chosen[:n_likes], chosen[n_likes:]
            start = time.perf_counter()
            pt.recommend(likes, dislikes, limit=20)
            ours.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            pks = store.pks_for_ids(chosen)
            like_vecs = np.stack([semantic.index.vector_of(pks[i]) for i in likes])  # type: ignore[misc]
            dislike_vecs = np.stack([semantic.index.vector_of(pks[i]) for i in dislikes])  # type: ignore[misc]
            scores, _ = score_candidates(all_vectors, like_vecs, dislike_vecs)
            top = np.argpartition(-scores, 20 + len(chosen))[: 20 + len(chosen)]
            store.papers_by_pk(int(all_keys[i]) for i in top)
            full.append((time.perf_counter() - start) * 1000)
        rows.append(
            {
                "likes": n_likes,
                "dislikes": 2,
                "ann_queries_p50_ms": round(statistics.median(ours), 2),
                "ann_queries_p99_ms": round(percentile(ours, 0.99), 2),
                "score_everything_p50_ms": round(statistics.median(full), 2),
                "score_everything_p99_ms": round(percentile(full, 0.99), 2),
                "ratio_p50": round(statistics.median(ours) / statistics.median(full), 3),
            }
        )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    table = Table(title=f"Recommendations, {len(catalogue)} papers, {args.rounds} readers per row")
    for column in ("likes", "ANN queries p50 / p99 ms", "score everything p50 / p99 ms", "ratio p50"):
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(
            str(r["likes"]),
            f"{r['ann_queries_p50_ms']} / {r['ann_queries_p99_ms']}",
            f"{r['score_everything_p50_ms']} / {r['score_everything_p99_ms']}",
            str(r["ratio_p50"]),
        )
    console.print(table)
    console.print(f"peak RSS {peak_mib:.0f} MiB (the encoder loaded, the whole vector matrix held for the baseline)")
    result = {"papers": len(catalogue), "rounds": args.rounds, "rows": rows, "peak_rss_mib": round(peak_mib)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
