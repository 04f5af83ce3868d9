"""Pure ranking functions. Every ranker returns (ids, scores), best first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TypeVar

from papertide.model import Paper

Ranking = tuple[list[str], list[float]]
# What fusion ranks: paper ids, or the pks the search indexes hold (search fuses those).
Key = TypeVar("Key", str, int)


def max_scaled(scores: Sequence[float]) -> list[float]:
    """Scores divided by the best one (BM25 has no fixed scale; its zero is meaningful)."""
    high = max(scores, default=0.0)
    return [s / high for s in scores] if high > 0 else [0.0] * len(scores)


def above_floor(scores: Sequence[float], floor: float) -> list[float]:
    """Cosines rescaled so that `floor` and below count 0 and 1 counts 1: a cosine's level means
    something (unlike BM25's), so it is kept rather than stretched by min-max."""
    return [max(0.0, (s - floor) / (1.0 - floor)) for s in scores]


def weighted_fusion(
    rankings: Sequence[tuple[Sequence[Key], Sequence[float]]], weights: Sequence[float]
) -> tuple[list[Key], list[float]]:
    """Fuse lists of (keys, scores already normalised to [0, 1]), each best first, by a weighted sum.
    A candidate a list did not return gets 0 from it. Unlike reciprocal rank, a clear lead counts: a
    paper far ahead in BM25 stays ahead when the dense list is lukewarm about all. Ties, such as
    zeros, go to the better rank in any list, then to the smaller key, for stable output."""
    fused: dict[Key, float] = {}
    best_rank: dict[Key, int] = {}
    for weight, (keys, scores) in zip(weights, rankings, strict=True):
        for rank, (key, score) in enumerate(zip(keys, scores, strict=True)):
            if key in fused:  # plain branches: this runs for 200 candidates in every hybrid search
                fused[key] += weight * score
                best_rank[key] = min(best_rank[key], rank)
            else:
                fused[key], best_rank[key] = weight * score, rank
    ordered = sorted([(-score, best_rank[key], key) for key, score in fused.items()])
    return [key for _, _, key in ordered], [round(-score, 6) for score, _, _ in ordered]


def hybrid_weights(terms: int) -> tuple[float, float, float]:
    """(words, the query's meaning, feedback) weights of a hybrid search for a query of `terms`
    content words. Words always weigh half. A short query says little as a sentence — its vector is
    a weak guide (SciFact: 0.34 nDCG@10 from two words, 0.65 from a whole claim) — so the papers
    that match its words best lend it their meaning (pseudo-relevance feedback); the longer the
    query, the more its own vector counts: 0.15 at two words rising to 0.35 at eight or more."""
    share = min(1.0, max(0.0, (terms - 2) / 6))
    meaning = round(0.15 + 0.20 * share, 6)
    return 0.5, meaning, round(0.5 - meaning, 6)


# --- trending ---------------------------------------------------------------------------------------
# Hacker News' gravity: a paper's pull halves roughly every (2^(1/1.8) - 1) * (age + 2) hours, so a
# day-old paper needs ~4x the votes of a fresh one to stay level with it.
GRAVITY = 1.8
TRENDING_WINDOW = timedelta(days=7)


def trending_score(votes: int, age_hours: float, gravity: float = GRAVITY) -> float:
    """votes / (age_hours + 2) ** gravity: the formula the page, the API and the digest share."""
    return float(votes / (max(age_hours, 0.0) + 2.0) ** gravity)


def paper_age_hours(paper: Paper, now: datetime) -> float:
    """Hours since the paper was featured (midnight UTC of its featured day), else first published."""
    if paper.featured_date:
        since = datetime.combine(paper.featured_date, datetime.min.time())
    elif paper.published:
        since = paper.published
    else:
        return float("inf")
    return (now - since).total_seconds() / 3600.0


def trending(papers: list[Paper], now: datetime, gravity: float = GRAVITY) -> tuple[list[str], list[float]]:
    """Papers ranked by trending score, best first (ties: more votes, then id)."""
    scored = [(trending_score(p.votes, paper_age_hours(p, now), gravity), p.votes, p.id) for p in papers]
    scored.sort(key=lambda t: (-t[0], -t[1], t[2]))
    return [s[2] for s in scored], [round(s[0], 6) for s in scored]


# "Trending on GitHub": the stars a paper's repository gained over the last GITHUB_WINDOW days.
GITHUB_WINDOW = 7


def github_gain(history: Sequence[tuple[date, int]], today: date, window: int = GITHUB_WINDOW) -> int:
    """Stars gained in the `window` days up to `today`: the latest count less the count on the last
    day at or before the window's start — or, for a repository first seen inside the window, less
    its first count (a repository that arrives with many stars does not trend on arrival). Days are
    the daily snapshots `papertide ingest github` keeps; `history` in any order."""
    seen = sorted((d, s) for d, s in history if d <= today)
    if len(seen) < 2:
        return 0
    start = today - timedelta(days=window)
    before = [s for d, s in seen if d <= start]
    baseline = before[-1] if before else seen[0][1]
    return max(0, seen[-1][1] - baseline)


def github_trending(
    histories: Mapping[str, Sequence[tuple[date, int]]], today: date, window: int = GITHUB_WINDOW
) -> tuple[list[str], list[float]]:
    """Repositories by stars gained in the window (ties: more stars now, then the name), best first;
    those that gained nothing are left out."""
    scored = []
    for repo, history in histories.items():
        gained = github_gain(history, today, window)
        if gained > 0:
            now = max(history)[1] if history else 0
            scored.append((-gained, -now, repo, gained))
    scored.sort()
    return [r for _, _, r, _ in scored], [float(g) for _, _, _, g in scored]
