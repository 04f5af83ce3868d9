"""Pure ranking functions. Every ranker returns (ids, scores), best first."""

from __future__ import annotations

from collections.abc import Sequence

Ranking = tuple[list[str], list[float]]


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = 60, weights: Sequence[float] = ()) -> Ranking:
    """Fuse ranked lists by reciprocal rank (Cormack et al., 2009): score(d) = sum w / (k + rank(d)).

    Ranks, not scores, are combined, so BM25 and cosine scales never have to be calibrated; `k`
    damps the weight of the very top ranks. Ties go to the smaller id, for stable output.
    """
    weights = list(weights) or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for weight, ranking in zip(weights, rankings, strict=True):
        for rank, doc in enumerate(ranking, start=1):
            scores[doc] = scores.get(doc, 0.0) + weight / (k + rank)
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [doc for doc, _ in ordered], [round(score, 8) for _, score in ordered]
