"""Finding papers: by words (the keyword index), by meaning (the vector index), or both fused.

Every ranker here returns `(pks, scores)` — the keys both indexes hold — so candidates are fused and
paged before any paper is read; papers are fetched once, for the page. Nothing here writes: the
indexes are searched as they were last committed (writers keep them fresh, see papertide.index).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .embed import Encoder
from .index.keywords import KeywordIndex
from .index.vectors import VectorIndex
from .model import Paper
from .query import STOP_WORDS, Filters, Query, matches_filters, parse_query, sort_papers, split_words
from .rank import convex_fusion
from .store import PaperStore

MODES = ("hybrid", "keyword", "semantic")
# How deep each retriever looks before fusion: fusion can lift a paper that one mode ranks low.
FUSION_DEPTH = 100
# Hybrid score = 0.65 * BM25 + 0.35 * cosine, each min-max normalised over its top FUSION_DEPTH.
# Chosen by 2-fold cross-validation on SciFact's claims (three shuffles: 0.65 won 4 of 6 folds
# over 0.4-0.8; held-out nDCG@10 beat reciprocal-rank fusion in 5 of 6 folds, mean 0.734 vs 0.726).
# Short queries are where it matters: claims cut to their 3 rarest words give 0.619, against 0.574
# for reciprocal rank and 0.604 for BM25 alone (docs/PERFORMANCE.md).
KEYWORD_WEIGHT = 0.65
# How deep keyword search looks when upvotes filter or order the matches: upvotes move with every
# vote, so they live in the database, not in the keyword index.
UPVOTE_DEPTH = 1000


class RetrievalError(Exception):
    """A search that cannot be run as asked (e.g. semantic search with no vectors)."""


@dataclass(frozen=True)
class Hit:
    paper: Paper
    score: float


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
) -> list[Hit]:
    """Papers matching a reader's query, `limit` of them from `offset`, in `sort` order (raises
    QueryError for an unusable query). Keyword mode filters and sorts in the index; the other modes
    filter and re-sort the fused candidates (the best FUSION_DEPTH of each retriever, or more)."""
    query, filters = parse_query(text), filters or Filters()
    if mode == "keyword":
        pks, scores = keyword_pks(store, keywords, query, limit=limit, offset=offset, filters=filters, sort=sort)
        papers = store.papers_by_pk(pks)
        return [Hit(papers[pk], s) for pk, s in zip(pks, scores, strict=True) if pk in papers]
    if semantic is None:
        raise RetrievalError(f"{mode} search needs an encoder and a vector index")
    depth = max(offset + limit, FUSION_DEPTH) * (5 if filters.active else 1)
    if mode == "semantic":
        pks, scores = semantic_pks(store, query, semantic, depth)
    else:
        by_meaning = semantic.helper.submit(semantic_pks, store, query, semantic, depth)
        by_words = keyword_pks(store, keywords, query, limit=depth, filters=filters)
        weights = [KEYWORD_WEIGHT, 1.0 - KEYWORD_WEIGHT]
        pks, scores = convex_fusion([by_words, by_meaning.result()], weights, depth=FUSION_DEPTH)
    score_of = dict(zip(pks, scores, strict=True))
    if sort == "relevance" and not filters.active:  # the order is final: fetch only the page
        page = pks[offset : offset + limit]
        papers = store.papers_by_pk(page)
        return [Hit(papers[pk], score_of[pk]) for pk in page if pk in papers]
    papers = store.papers_by_pk(pks)
    candidates = [pk for pk in pks if pk in papers and filters.admits(papers[pk])]
    ranked = sort_papers([papers[pk] for pk in candidates], sort)
    score_by_id = {papers[pk].id: score_of[pk] for pk in candidates}
    return [Hit(p, score_by_id[p.id]) for p in ranked[offset : offset + limit]]


def semantic_pks(store: PaperStore, query: Query, semantic: Semantic, depth: int) -> tuple[list[int], list[float]]:
    """(pks, cosine similarities) of the papers nearest the query's free text, passing its
    author:, cat: and -exclusion parts."""
    if query.is_empty or not query.free_text.strip():  # e.g. only stop-words: nothing to look for
        return [], []
    semantic.index.refresh()
    filtered = bool(query.excluded or query.authors or query.categories)
    vector = semantic.query_vector(query.free_text)
    pks, scores = semantic.index.search(vector, depth * 5 if filtered else depth)
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
