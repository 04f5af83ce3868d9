"""Recommendations from papers a reader likes and dislikes (issue 17, first step).

The model is a query, not a per-paper scorer: the liked papers' vectors ask the ANN index for
their neighbours (one search for their centroid and one per liked paper, so a reader with two
interests is not served only the papers between them), and only those candidates are scored. This
keeps a request's cost independent of the catalogue's size (1M papers: a handful of ANN searches).

A candidate's score (`score_candidates`, pure) is

    0.5 · cos(candidate, centroid of likes) + 0.5 · max cos(candidate, a liked paper)
        − 0.5 · max(0, max cos(candidate, a disliked paper))

so a paper close to any one interest ranks high, and a paper close to something the reader marked
"not interested" moves down with its neighbours. Without vectors (no encoder configured) the
liked papers' title words query the keyword index instead.

Its quality against arxiv-sanity's tf-idf SVM and the centroid of likes is not measured yet: no
labelled set of papers with interests is reachable on this machine (see issue 17's note).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from papertide.index.keywords import KeywordIndex
from papertide.members.personal import Personal
from papertide.members.votes import Votes
from papertide.model import Paper
from papertide.query import STOP_WORDS, Query, split_words
from papertide.search.highlight import stem
from papertide.search.retrieval import RetrievalError, Semantic, keyword_pks
from papertide.store import PaperStore, Store

# How many neighbours each ANN search brings per wanted result: the scoring reorders them, and
# dislikes push some away, so the pool is wider than the page.
POOL_FACTOR = 4
DISLIKE_WEIGHT = 0.5


@dataclass(frozen=True)
class Suggestion:
    paper: Paper
    score: float
    because: str | None  # the id of the liked paper it is nearest to


@dataclass(frozen=True)
class Pick:
    """A For-you card: the paper, its score, and the liked paper behind it with why it was liked
    ("upvoted", "saved", "asked for more like"); no `because` for trending in cold start."""

    paper: Paper
    score: float
    because: str | None = None
    because_title: str = ""
    why: str = ""


@dataclass(frozen=True)
class ForYou:
    """A member's For-you: `personal` False is cold start (trending, less what they dismissed);
    `signals` counts the upvotes, saves and "not interested" marks it learnt from."""

    picks: list[Pick]
    personal: bool
    signals: int
    dismissed: list[Paper]


def why_liked(paper_id: str, asked: set[str], upvoted: set[str]) -> str:
    """The words after "Because you …": an explicit "more like this" first, then an upvote, else a save."""
    if paper_id in asked:
        return "asked for more like"
    return "upvoted" if paper_id in upvoted else "saved"


def for_you_picks(
    suggestions: Sequence[Suggestion], liked: Mapping[str, Paper], asked: set[str], upvoted: set[str]
) -> list[Pick]:
    """Suggestions as For-you cards, each naming the liked paper it is nearest to when that paper is known."""
    picks = []
    for s in suggestions:
        source = liked.get(s.because) if s.because else None
        if source is None:
            picks.append(Pick(s.paper, s.score, s.because))
        else:
            picks.append(Pick(s.paper, s.score, s.because, source.title, why_liked(source.id, asked, upvoted)))
    return picks


def score_candidates(
    candidates: npt.NDArray[np.float32],
    likes: npt.NDArray[np.float32],
    dislikes: npt.NDArray[np.float32],
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.intp]]:
    """Scores of unit-length candidate vectors (rows) and, for each, the index of its nearest like."""
    to_likes = candidates @ likes.T
    centroid = likes.mean(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
    scores = 0.5 * (candidates @ centroid) + 0.5 * to_likes.max(axis=1)
    if len(dislikes):
        # Only closeness to a dislike counts: a paper unlike it is not thereby liked more.
        scores -= DISLIKE_WEIGHT * np.maximum((candidates @ dislikes.T).max(axis=1), 0.0)
    return scores.astype(np.float32), to_likes.argmax(axis=1)


def recommend(
    store: PaperStore,
    keywords: KeywordIndex,
    semantic: Semantic | None,
    likes: Sequence[str],
    dislikes: Sequence[str] = (),
    limit: int = 20,
) -> list[Suggestion]:
    """Papers for a reader who likes `likes` and not `dislikes`, best first, none of the given ids."""
    if not likes:
        raise RetrievalError("recommendations need at least one liked paper")
    given = list(dict.fromkeys([*likes, *dislikes]))
    pks = store.pks_for_ids(given)
    unknown = [i for i in given if i not in pks]
    if unknown:
        raise RetrievalError(f"no paper {unknown[0]!r}")
    if semantic is None:
        return _by_words(store, keywords, likes, set(pks.values()), limit)
    semantic.index.refresh()
    # A paper not encoded yet (just submitted) cannot steer by meaning; the others still do.
    liked = _vectors(semantic, [(i, pks[i]) for i in dict.fromkeys(likes)])
    if not liked:
        return _by_words(store, keywords, likes, set(pks.values()), limit)
    disliked = _vectors(semantic, [(i, pks[i]) for i in dict.fromkeys(dislikes) if i not in likes])
    liked_ids = list(liked)
    like_vecs = np.stack(list(liked.values()))
    dislike_vecs = np.stack(list(disliked.values())) if disliked else np.zeros((0, like_vecs.shape[1]), np.float32)
    wanted = limit * POOL_FACTOR + len(given)
    centroid = like_vecs.mean(axis=0)
    queries = np.vstack([centroid / max(float(np.linalg.norm(centroid)), 1e-9), like_vecs]).astype(np.float32)
    pool: dict[int, None] = {}
    for found in semantic.index.search_many(queries, wanted):
        pool.update(dict.fromkeys(found))
    exclude = set(pks.values())
    kept, matrix = semantic.index.vectors_of([pk for pk in pool if pk not in exclude])
    if not kept:
        return []
    scores, nearest = score_candidates(matrix, like_vecs, dislike_vecs)
    order = np.argsort(-scores, kind="stable")[:limit]
    papers = store.papers_by_pk(kept[i] for i in order)
    return [
        Suggestion(papers[kept[i]], float(scores[i]), liked_ids[int(nearest[i])]) for i in order if kept[i] in papers
    ]


def _vectors(semantic: Semantic, papers: list[tuple[str, int]]) -> dict[str, npt.NDArray[np.float32]]:
    """The stored vector of each paper that has one, by id."""
    found = {}
    for paper_id, pk in papers:
        vector = semantic.index.vector_of(pk)
        if vector is not None:
            found[paper_id] = vector.astype(np.float32)
    return found


def _by_words(
    store: PaperStore, keywords: KeywordIndex, likes: Sequence[str], exclude: set[int], limit: int
) -> list[Suggestion]:
    liked = store.papers_by_pk(store.pks_for_ids(list(likes)).values())
    title_words = {p.id: _words(p.title) for p in liked.values()}
    words: dict[str, None] = {}
    for found in title_words.values():
        words.update(dict.fromkeys(found))
    title_stems = {i: {stem(w) for w in found} for i, found in title_words.items()}
    if not words:
        return []
    pks, scores = keyword_pks(store, keywords, Query(terms=tuple(words)[:24]), limit=limit + len(exclude))
    papers = store.papers_by_pk(pks)
    hits = [(pk, s) for pk, s in zip(pks, scores, strict=True) if pk not in exclude and pk in papers]
    return [Suggestion(papers[pk], s, _nearest_by_words(papers[pk], title_stems)) for pk, s in hits[:limit]]


def _words(text: str) -> list[str]:
    return list(dict.fromkeys(w for w in split_words(text) if w not in STOP_WORDS and len(w) > 2))


def _nearest_by_words(paper: Paper, title_stems: dict[str, set[str]]) -> str | None:
    """The liked paper whose title words (stemmed, as the index matched them) the suggestion holds
    most of (the first liked on a tie)."""
    held = {stem(w) for w in split_words(f"{paper.title} {paper.abstract or ''}")}
    best = max(title_stems, key=lambda i: len(held & title_stems[i]), default=None)
    return best if best is not None and held & title_stems[best] else None


class Recommendations:
    """What members are recommended, from their signals: `like` is the query (likes and dislikes
    in, suggestions out); `for_member` turns a member's upvotes, saves and "not interested" marks
    into one, never showing what they opened; `for_you` is the For-you page's and the API's answer,
    cold start included. `semantic()` is the catalogue's encoder and vector index when it has
    vectors (None: by the liked titles' words)."""

    def __init__(
        self,
        store: Store,
        keywords: KeywordIndex,
        semantic: Callable[[], Semantic | None],
        personal: Personal,
        votes: Votes,
        trending: Callable[[int], list[tuple[Paper, float]]],
    ) -> None:
        self._store, self._keywords, self._semantic = store, keywords, semantic
        self._personal, self._votes, self._trending = personal, votes, trending

    def like(self, likes: Sequence[str], dislikes: Sequence[str] = (), limit: int = 20) -> list[Suggestion]:
        return recommend(self._store, self._keywords, self._semantic(), likes, dislikes, limit)

    def for_member(self, member_id: int, limit: int = 20, signals: int = 50) -> list[Suggestion] | None:
        """Recommendations from a member's latest `signals` upvotes, saves and "not interested"
        marks, never a paper they upvoted, saved, marked or opened; None while they have neither
        upvoted nor saved anything (cold start)."""
        liked = self._personal.liked_ids(member_id, signals)
        if not liked:
            return None
        disliked = [i for i in self._votes.not_interested_ids(member_id, signals) if i not in liked]
        found = self.like(liked, disliked, 2 * limit)
        opened = self._personal.seen_among(member_id, [s.paper.id for s in found])
        return [s for s in found if s.paper.id not in opened][:limit]

    def between(self, member_id: int, start: date, end: date, limit: int = 10) -> list[Suggestion] | None:
        """The member's recommendations among papers featured or first published in [start, end)
        (For-you's "this week", the digest's "Recommended for you"): the best 200 overall, kept when
        new in the window; None in cold start."""
        found = self.for_member(member_id, limit=200)
        if found is None:
            return None

        def new(p: Paper) -> bool:
            day = p.featured_date or (p.published.date() if p.published else None)
            return day is not None and start <= day < end

        return [s for s in found if new(s.paper)][:limit]

    def for_you(self, member_id: int, limit: int = 30, week_ending: date | None = None, signals: int = 50) -> ForYou:
        """The member's For-you (the page and the API alike): recommendations from their newest
        `signals` upvotes, saves and marks (with `week_ending`, only papers new in the 7 days up to
        it), each naming the liked paper behind it; in cold start, trending less what they dismissed."""
        dismissed_ids = self._votes.not_interested_ids(member_id, signals)
        found = self._store.get_many(dismissed_ids)
        dismissed = [found[i] for i in dismissed_ids if i in found]
        if week_ending is not None:
            start, end = week_ending - timedelta(days=6), week_ending + timedelta(days=1)
            suggestions = self.between(member_id, start, end, limit)
        else:
            suggestions = self.for_member(member_id, limit, signals)
        if suggestions is None:
            ranked = [(p, s) for p, s in self._trending(limit + len(dismissed_ids)) if p.id not in found][:limit]
            return ForYou([Pick(p, s) for p, s in ranked], False, 0, dismissed)
        upvoted = set(self._store.community.voted_ids(member_id, signals))
        asked = set(self._store.personal.more_like_this_ids(member_id, signals))
        liked = self._store.get_many({s.because for s in suggestions if s.because})
        learnt_from = len(self._personal.liked_ids(member_id, signals)) + len(dismissed)
        return ForYou(for_you_picks(suggestions, liked, asked, upvoted), True, learnt_from, dismissed)
