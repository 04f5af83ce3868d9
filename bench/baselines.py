"""The fusions papertide's hybrid search was measured against (bench/relevance.py runs them beside
`Papertide.search` in the same run): reciprocal rank fusion, and the convex combination of min-max
scores that the hybrid search used before `rank.weighted_fusion`. Bench code, not the product's."""

from __future__ import annotations

from collections.abc import Sequence

from papertide.search.rank import Key, weighted_fusion


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[Key]], k: int = 60, weights: Sequence[float] = ()
) -> tuple[list[Key], list[float]]:
    """Fuse ranked lists by reciprocal rank (Cormack et al., 2009): score(d) = sum w / (k + rank(d)).

    Ranks, not scores, are combined, so BM25 and cosine scales never have to be calibrated; `k`
    damps the weight of the very top ranks. Ties go to the smaller key (for pks: the paper stored
    first), for stable output.
    """
    weights = list(weights) or [1.0] * len(rankings)
    scores: dict[Key, float] = {}
    for weight, ranking in zip(weights, rankings, strict=True):
        for rank, doc in enumerate(ranking, start=1):
            scores[doc] = scores.get(doc, 0.0) + weight / (k + rank)
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [doc for doc, _ in ordered], [round(score, 8) for _, score in ordered]


def min_max(scores: Sequence[float], over: int | None = None) -> list[float]:
    """Scores rescaled to [0, 1]: the best 1, the worst of the first `over` (default: all) 0, any
    below that 0 too; all 1 when they are equal."""
    if not scores:
        return []
    top = scores[:over] if over else scores
    low, high = min(top), max(top)
    return [max(0.0, (s - low) / (high - low)) if high > low else 1.0 for s in scores]


def convex_fusion(
    rankings: Sequence[tuple[Sequence[Key], Sequence[float]]], weights: Sequence[float], depth: int | None = None
) -> tuple[list[Key], list[float]]:
    """Fuse scored lists, each best first, by a weighted sum of their min-max normalised scores (the
    convex combination of Bruch et al., 2023, "An Analysis of Fusion Functions for Hybrid
    Retrieval"). Each list is normalised over its first `depth` entries, so the top's scores do not
    change when a caller looks deeper; entries below count 0."""
    return weighted_fusion([(keys, min_max(scores, depth)) for keys, scores in rankings], weights)
