"""Finding papers: by words (the keyword index), by meaning (the vector index), or both fused.

Every ranker here returns `(pks, scores)` — the keys both indexes hold — so candidates are fused and
paged before any paper is read; papers are fetched once, for the page. Nothing here writes: the
indexes are searched as they were last committed (writers keep them fresh, see papertide.index).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from papertide.errors import Invalid
from papertide.index.embed import Encoder
from papertide.index.keywords import KeywordIndex
from papertide.index.vectors import VectorIndex
from papertide.model import Paper
from papertide.query import STOP_WORDS, Filters, Query, matches_filters, parse_query, sort_papers, split_words
from papertide.search.highlight import stem
from papertide.search.rank import above_floor, hybrid_weights, max_scaled, weighted_fusion
from papertide.store import PaperStore

MODES = ("hybrid", "keyword", "semantic")
# How deep each retriever looks before fusion: fusion can lift a paper that one mode ranks low.
FUSION_DEPTH = 100
# Hybrid score = weighted sum of BM25 / its best, the query's cosine above FUSION_FLOOR, and the
# cosine to the meaning of the best word matches (pseudo-relevance feedback: the mean vector of the
# top FEEDBACK_PAPERS BM25 hits, half and half with the query's own); weights by query length in
# rank.hybrid_weights. Measured on SciFact (bench/relevance.py, docs/PERFORMANCE.md): claims 0.736,
# their 3 rarest words 0.633, 2 rarest 0.548 nDCG@10 — +0.042, +0.031 and +0.025 over BM25 alone.
FUSION_FLOOR = 0.2  # a cosine at or below this adds nothing to a hybrid score
FEEDBACK_PAPERS = 5
FEEDBACK_QUERY_SHARE = 0.5
# Meaning joins a hybrid search only when the query's best word matches are about it: the nearest of
# them to the query reaches this cosine. Below it the words matched by accident ("opera tickets" and
# the lottery-ticket hypothesis), and adding papers "like" those would only spread the accident:
# the search then shows the word matches alone. (SciFact: real 2-word queries' median 0.37, off-topic
# phrases' 0.16; 0.2 costs the short-query gain nothing measurable, 0.25 would cost 0.005 nDCG@10.)
TOPICAL_FLOOR = 0.2
# How deep keyword search looks when upvotes filter or order the matches: upvotes move with every
# vote, so they live in the database, not in the keyword index.
UPVOTE_DEPTH = 1000


# When no paper holds a query's words, papers close in meaning are shown only if the nearest one
# reaches this cosine: below it are MiniLM's nearest neighbours of gibberish, misspellings and
# off-topic text (on SciFact and on the demo corpus none of those reached 0.4; real queries' nearest
# paper has a median of 0.40 for two words, 0.62 for a claim), and a reader is better told that
# nothing matched, with a spelling suggestion. Measured by bench/relevance.py ("nothing matches").
MEANING_FLOOR = 0.45


class RetrievalError(Invalid):
    """A search that cannot be run as asked (e.g. semantic search with no vectors)."""


@dataclass(frozen=True)
class Hit:
    paper: Paper
    score: float


class Results(list[Hit]):
    """The hits of a search, best first (a list), and what a reader should be told about them:
    `matched`, how many papers hold the query's words (None: not counted, e.g. by meaning only);
    `near`, how many more the search found close in meaning (`near_more`: at least that many);
    `suggestion`, the query with misspelt words replaced by words the catalogue holds."""

    def __init__(
        self,
        hits: Iterable[Hit] = (),
        *,
        matched: int | None = None,
        near: int = 0,
        near_more: bool = False,
        suggestion: str | None = None,
    ) -> None:
        super().__init__(hits)
        self.matched, self.near, self.near_more, self.suggestion = matched, near, near_more, suggestion

    @property
    def total(self) -> int | None:
        return None if self.matched is None and not self.near else (self.matched or 0) + self.near


@dataclass
class Semantic:
    """What semantic search needs: an encoder and the ANN index of the vectors it made."""

    encoder: Encoder
    index: VectorIndex
    # One helper thread: hybrid search encodes the query there while the keyword index is searched
    # here (both release the GIL), so a query costs the slower of the two, not their sum.
    helper: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, "papertide-encode"))
    # The vectors of the last queries: the next page, another sort or a filter asks again (0: off).
    cache_size: int = 256
    _cache: OrderedDict[str, npt.NDArray[np.float32]] = field(default_factory=OrderedDict, init=False, repr=False)
    _cache_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def query_vector(self, text: str) -> npt.NDArray[np.float32]:
        with self._cache_lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        vector: npt.NDArray[np.float32] = self.encoder.encode([text])[0]
        if self.cache_size:
            with self._cache_lock:
                self._cache[text] = vector
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return vector

    @classmethod
    def open(cls, data_dir: Path, encoder: Encoder) -> Semantic:
        return cls(encoder, VectorIndex(data_dir / "vectors.usearch", encoder.dim, encoder.name))

    def close(self) -> None:
        self.helper.shutdown(wait=False)


def keyword_pks(
    store: PaperStore,
    keywords: KeywordIndex,
    query: Query,
    limit: int,
    offset: int = 0,
    filters: Filters | None = None,
    sort: str = "relevance",
) -> tuple[list[int], list[float]]:
    """(pks, BM25 scores) of the papers matching `query` and `filters`, in `sort` order; a query of
    only categories lists them from the database, newest first."""
    if query.is_empty or limit <= 0:
        return [], []
    filters = filters or Filters()
    if not (query.terms or query.phrases or query.authors):
        found = store.category_listing(query.categories, filters, sort, limit, offset)
        return found, [0.0] * len(found)
    keywords.refresh()  # see what writers committed since (a read: never catches up itself)
    if not (sort == "upvotes" or filters.min_upvotes):
        return keywords.search(query, limit, offset, filters, newest=sort == "newest")
    # Upvotes: the best UPVOTE_DEPTH matches, filtered (and ordered) by the database.
    pks, scores = keywords.search(query, UPVOTE_DEPTH, 0, filters)
    score_of = dict(zip(pks, scores, strict=True))
    votes = store.votes_passing(pks, filters)
    by_votes = sort == "upvotes"
    ranked = sorted(votes, key=lambda pk: (-votes[pk] if by_votes else 0, -score_of[pk], pk))
    page = ranked[offset : offset + limit]
    return page, [score_of[pk] for pk in page]


def search(
    store: PaperStore,
    keywords: KeywordIndex,
    text: str,
    limit: int = 10,
    offset: int = 0,
    mode: str = "keyword",
    semantic: Semantic | None = None,
    filters: Filters | None = None,
    sort: str = "relevance",
) -> Results:
    """Papers matching a reader's query, `limit` of them from `offset`, in `sort` order (raises
    QueryError for an unusable query), with how many matched and, when no paper holds the words, a
    spelling suggestion. Keyword mode filters and sorts in the index; the other modes filter and
    re-sort the fused candidates (the best FUSION_DEPTH of each retriever, or more); papers found
    only by meaning count when their cosine reaches SEMANTIC_FLOOR."""
    query, filters = parse_query(text), filters or Filters()
    matched: int | None = count_matches(store, keywords, query, filters)
    suggestion = suggest(store, keywords, query) if not matched else None
    if mode == "keyword":
        pks, scores = keyword_pks(store, keywords, query, limit=limit, offset=offset, filters=filters, sort=sort)
        papers = store.papers_by_pk(pks)
        hits = [Hit(papers[pk], s) for pk, s in zip(pks, scores, strict=True) if pk in papers]
        return Results(hits, matched=matched, suggestion=suggestion)
    if semantic is None:
        raise RetrievalError(f"{mode} search needs an encoder and a vector index")
    depth = max(offset + limit, FUSION_DEPTH) * (5 if filters.active else 1)
    if mode == "semantic":
        pks, scores = semantic_pks(store, query, semantic, depth)
        if not matched and scores and scores[0] < MEANING_FLOOR:  # no word and no paper near: nothing
            pks, scores = [], []
        near, near_more = len(pks), len(pks) >= depth
        matched = None  # by meaning only: the word count is not this search's
    else:
        by_meaning = semantic.helper.submit(semantic_pks, store, query, semantic, depth)
        by_words = keyword_pks(store, keywords, query, limit=depth, filters=filters)
        meaning = by_meaning.result()
        if not by_words[0] and (not meaning[1] or meaning[1][0] < MEANING_FLOOR):
            meaning = [], []  # no paper holds the words, and none is near in meaning
        feedback: tuple[list[int], list[float]] = [], []
        if by_words[0]:
            feedback, topical = feedback_pks(store, query, semantic, by_words[0], depth)
            if not topical:  # the words matched by accident: show those matches, not papers like them
                meaning, feedback = ([], []), ([], [])
        w_words, w_meaning, w_feedback = hybrid_weights(len(query.terms) + sum(map(len, query.phrases)))
        pks, scores = weighted_fusion(
            [
                (by_words[0], max_scaled(by_words[1])),
                (meaning[0], above_floor(meaning[1], FUSION_FLOOR)),
                (feedback[0], above_floor(feedback[1], FUSION_FLOOR)),
            ],
            [w_words, w_meaning, w_feedback],
        )
        pks, scores = pks[:depth], scores[:depth]
        # Papers found by meaning alone, when every word match was among the candidates (else some
        # of them may hold the words further down, and the count would not be honest).
        only_meaning = set(pks) - set(by_words[0])
        near = len(only_meaning) if (matched or 0) <= len(by_words[0]) else 0
        near_more = near > 0 and len(meaning[0]) >= depth
    score_of = dict(zip(pks, scores, strict=True))
    if sort == "relevance" and not filters.active:  # the order is final: fetch only the page
        page = pks[offset : offset + limit]
        papers = store.papers_by_pk(page)
        hits = [Hit(papers[pk], score_of[pk]) for pk in page if pk in papers]
        return Results(hits, matched=matched, near=near, near_more=near_more, suggestion=suggestion)
    papers = store.papers_by_pk(pks)
    candidates = [pk for pk in pks if pk in papers and filters.admits(papers[pk])]
    ranked = sort_papers([papers[pk] for pk in candidates], sort)
    score_by_id = {papers[pk].id: score_of[pk] for pk in candidates}
    hits = [Hit(p, score_by_id[p.id]) for p in ranked[offset : offset + limit]]
    if filters.active and mode != "semantic":
        near = max(0, len(candidates) - (matched or 0)) if (matched or 0) <= len(candidates) else 0
    return Results(hits, matched=matched, near=near, near_more=near_more, suggestion=suggestion)


def count_matches(store: PaperStore, keywords: KeywordIndex, query: Query, filters: Filters) -> int:
    """How many papers hold the query's words and pass its filters (upvotes are the database's: the
    best UPVOTE_DEPTH word matches are counted there)."""
    if query.is_empty:
        return 0
    if not (query.terms or query.phrases or query.authors):
        return len(store.category_listing(query.categories, filters, "newest", UPVOTE_DEPTH))
    if filters.min_upvotes:
        pks, _ = keywords.search(query, UPVOTE_DEPTH, 0, filters)
        return len(store.votes_passing(pks, filters))
    return keywords.match_count(query, filters)


def suggest(store: PaperStore, keywords: KeywordIndex, query: Query) -> str | None:
    """The query with each word that no paper holds replaced by the nearest word the catalogue does
    hold (two edits at most, the more common first); None when there is nothing to suggest."""
    words = split_words(query.free_text)
    if not words or not query.terms:
        return None
    replaced, changed = [], False
    for word in words:
        if word in STOP_WORDS or len(word) < 3 or keywords.doc_freq(stem(word)) > 0:
            replaced.append(word)
            continue
        close = keywords.close_terms(stem(word), limit=1)
        surface = _surface_form(store, keywords, close[0][0]) if close else None
        replaced.append(surface or word)
        changed = changed or surface is not None
    return " ".join(replaced) if changed else None


def _surface_form(store: PaperStore, keywords: KeywordIndex, term: str) -> str | None:
    """The word as papers write it, for an indexed stem: the most common form in a few papers that
    hold it ("diffus" -> "diffusion")."""
    papers = store.papers_by_pk(keywords.pks_with_term(term, limit=5))
    forms: dict[str, int] = {}
    for paper in papers.values():
        for word in split_words(f"{paper.title} {paper.abstract}"):
            if stem(word) == term:
                forms[word] = forms.get(word, 0) + 1
    return max(forms, key=lambda w: (forms[w], -len(w))) if forms else None


def semantic_pks(store: PaperStore, query: Query, semantic: Semantic, depth: int) -> tuple[list[int], list[float]]:
    """(pks, cosine similarities) of the papers nearest the query's free text, passing its
    author:, cat: and -exclusion parts."""
    if query.is_empty or not query.free_text.strip():  # e.g. only stop-words: nothing to look for
        return [], []
    semantic.index.refresh()
    return _nearest(store, query, semantic, semantic.query_vector(query.free_text), depth)


def _nearest(
    store: PaperStore, query: Query, semantic: Semantic, vector: npt.NDArray[np.float32], depth: int
) -> tuple[list[int], list[float]]:
    """(pks, cosines) of the papers nearest `vector` above FUSION_FLOOR that pass the query's
    author:, cat: and -exclusion parts."""
    filtered = bool(query.excluded or query.authors or query.categories)
    pks, scores = semantic.index.search(vector, depth * 5 if filtered else depth)
    kept = sum(1 for s in scores if s > FUSION_FLOOR)  # nearest first: the rest would add nothing
    pks, scores = pks[:kept], scores[:kept]
    if filtered:
        papers = store.papers_by_pk(pks)
        keep = [
            pk in papers
            and matches_filters(
                query,
                papers[pk].title,
                papers[pk].abstract,
                " ".join(a.name for a in papers[pk].authors),
                papers[pk].categories,
            )
            for pk in pks
        ]
        pks = [pk for pk, k in zip(pks, keep, strict=True) if k]
        scores = [s for s, k in zip(scores, keep, strict=True) if k]
    return pks[:depth], scores[:depth]


def feedback_pks(
    store: PaperStore, query: Query, semantic: Semantic, word_matches: Sequence[int], depth: int
) -> tuple[tuple[list[int], list[float]], bool]:
    """Pseudo-relevance feedback: the papers nearest the meaning of the query's best word matches
    (the mean of their vectors and the query's own, FEEDBACK_QUERY_SHARE each), cosine above
    FUSION_FLOOR, passing the query's author:, cat: and -exclusions; and whether those matches are
    about the query at all (the nearest of them reaches TOPICAL_FLOOR)."""
    vectors = [v for v in (semantic.index.vector_of(pk) for pk in word_matches[:FEEDBACK_PAPERS]) if v is not None]
    if not vectors or not query.free_text.strip():
        return ([], []), True
    own = semantic.query_vector(query.free_text)
    if max(float(v @ own) for v in vectors) < TOPICAL_FLOOR:
        return ([], []), False
    centroid = np.mean(vectors, axis=0)
    centroid = centroid / max(float(np.linalg.norm(centroid)), 1e-12)
    target = FEEDBACK_QUERY_SHARE * own + (1 - FEEDBACK_QUERY_SHARE) * centroid
    target = (target / max(float(np.linalg.norm(target)), 1e-12)).astype(np.float32)
    return _nearest(store, query, semantic, target, depth), True


def related(store: PaperStore, paper_id: str, semantic: Semantic, limit: int = 10) -> list[Hit]:
    """The papers nearest in meaning to `paper_id`, itself excluded."""
    pk = store.pks_for_ids([paper_id]).get(paper_id)
    if pk is None:
        raise RetrievalError(f"no paper {paper_id!r}")
    semantic.index.refresh()
    vector = semantic.index.vector_of(pk)
    if vector is None:
        raise RetrievalError(f"paper {paper_id} has no vector yet: run `papertide index`")
    found, sims = semantic.index.search(vector, limit + 1)
    pairs = [(k, s) for k, s in zip(found, sims, strict=True) if k != pk][:limit]
    papers = store.papers_by_pk(k for k, _ in pairs)
    return [Hit(papers[k], s) for k, s in pairs if k in papers]


def similar(
    store: PaperStore, keywords: KeywordIndex, paper: Paper, semantic: Semantic | None, limit: int = 8
) -> list[Hit]:
    """Related papers for a paper page: nearest in meaning when the paper has a vector, else the
    best keyword matches for its title (a catalogue not indexed yet still shows something)."""
    if semantic is not None:
        try:
            return related(store, paper.id, semantic, limit)
        except RetrievalError:
            pass
    words = tuple(dict.fromkeys(w for w in split_words(paper.title) if w not in STOP_WORDS and len(w) > 2))
    if not words:
        return []
    pks, scores = keyword_pks(store, keywords, Query(terms=words[:12]), limit=limit + 1)
    papers = store.papers_by_pk(pks)
    hits = [Hit(papers[pk], s) for pk, s in zip(pks, scores, strict=True) if pk in papers]
    return [h for h in hits if h.paper.id != paper.id][:limit]
