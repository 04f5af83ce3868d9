"""Library functions over a store that the CLI (and later the web app) call: search, demo, bylines."""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .embed import Encoder, paper_text
from .imports import Summary, ingest
from .index.vectors import VectorIndex
from .model import Paper
from .query import STOP_WORDS, Filters, Query, matches_filters, parse_query, sort_papers
from .query import split_words as title_words
from .rank import convex_fusion
from .sources.jsonl import parse_jsonl
from .store import Store

DEMO_CORPUS = "demo_papers.jsonl"


class CatalogueError(Exception):
    pass


@dataclass(frozen=True)
class Hit:
    paper: Paper
    score: float


MODES = ("hybrid", "keyword", "semantic")
# How deep each retriever looks before fusion: fusion can lift a paper that one mode ranks low.
FUSION_DEPTH = 100
# Hybrid score = 0.65 * BM25 + 0.35 * cosine, each min-max normalised over its top FUSION_DEPTH.
# Chosen by 2-fold cross-validation on SciFact's claims (three shuffles: 0.65 won 4 of 6 folds
# over 0.4-0.8; held-out nDCG@10 beat reciprocal-rank fusion in 5 of 6 folds, mean 0.734 vs 0.726).
# Short queries are where it matters: claims cut to their 3 rarest words give 0.619, against 0.574
# for reciprocal rank and 0.604 for BM25 alone (docs/PERFORMANCE.md).
KEYWORD_WEIGHT = 0.65
# A search repairs an out-of-step vector index itself only when rebuilding the HNSW graph is quick
# (seconds); a large one is left to `papertide index` (a million vectors take over 25 minutes here).
INLINE_REBUILD_LIMIT = 5000


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
        vector = self.encoder.encode([text])[0]
        if self.cache_size:
            with self._cache_lock:
                self._cache[text] = vector
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return vector

    @classmethod
    def open(cls, data_dir: Path, encoder: Encoder | None = None) -> Semantic:
        from .embed import MiniLM

        encoder = encoder or MiniLM()
        return cls(encoder, VectorIndex(data_dir / "vectors.usearch", encoder.dim, encoder.name))


def search(
    store: Store,
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
    # Retrievers and fusion work on pks (the keys both indexes hold); papers are fetched once, at the end.
    if mode == "keyword":
        pks, scores = store.keyword_pks(query, limit=limit, offset=offset, filters=filters, sort=sort)
        papers = store.papers_by_pk(pks)
        return [Hit(papers[pk], s) for pk, s in zip(pks, scores, strict=True) if pk in papers]
    if semantic is None:
        raise CatalogueError(f"{mode} search needs an encoder and a vector index")
    depth = max(offset + limit, FUSION_DEPTH) * (5 if filters.active else 1)
    if mode == "semantic":
        pks, scores = _semantic_pks(store, query, semantic, depth)
    else:
        by_meaning = semantic.helper.submit(_semantic_pks, store, query, semantic, depth)
        keyword = store.keyword_pks(query, limit=depth, filters=filters)
        weights = [KEYWORD_WEIGHT, 1.0 - KEYWORD_WEIGHT]
        pks, scores = convex_fusion([keyword, by_meaning.result()], weights, depth=FUSION_DEPTH)
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


def _semantic_pks(store: Store, query: Query, semantic: Semantic, depth: int) -> tuple[list[int], list[float]]:
    if query.is_empty or not query.free_text.strip():  # e.g. only stop-words: nothing to look for
        return [], []
    semantic.index.ensure(store, INLINE_REBUILD_LIMIT)
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


def encode_now(store: Store, semantic: Semantic, paper_ids: list[str]) -> int:
    """Give these papers their vectors at once (a member's submission: a fraction of a second for
    one), so semantic search and related papers find them before the next `papertide index`. Other
    processes' indexes catch up from the vector log. Returns how many were encoded."""
    papers = store.get_many(paper_ids)
    pk_of = store.pks_for_ids(papers)
    wanted = [p for i, p in papers.items() if i in pk_of]
    if not wanted:
        return 0
    vectors = semantic.encoder.encode([paper_text(p.title, p.abstract) for p in wanted])
    store.save_embeddings(semantic.encoder.name, [pk_of[p.id] for p in wanted], vectors)
    semantic.index.ensure(store, INLINE_REBUILD_LIMIT)
    return len(wanted)


def related(store: Store, paper_id: str, semantic: Semantic, limit: int = 10) -> list[Hit]:
    """The papers nearest in meaning to `paper_id`, itself excluded."""
    pk = store.pks_for_ids([paper_id]).get(paper_id)
    if pk is None:
        raise CatalogueError(f"no paper {paper_id!r}")
    semantic.index.ensure(store, INLINE_REBUILD_LIMIT)
    vector = semantic.index.vector_of(pk)
    if vector is None:
        raise CatalogueError(f"paper {paper_id} has no vector yet: run `papertide index`")
    found, sims = semantic.index.search(vector, limit + 1)
    pairs = [(k, s) for k, s in zip(found, sims, strict=True) if k != pk][:limit]
    papers = store.papers_by_pk(k for k, _ in pairs)
    return [Hit(papers[k], s) for k, s in pairs if k in papers]


def similar(store: Store, paper: Paper, semantic: Semantic | None, limit: int = 8) -> list[Hit]:
    """Related papers for a paper page: nearest in meaning when the paper has a vector, else the
    best keyword matches for its title (a catalogue not indexed yet still shows something)."""
    if semantic is not None:
        try:
            return related(store, paper.id, semantic, limit)
        except CatalogueError:
            pass
    words = tuple(dict.fromkeys(w for w in title_words(paper.title) if w not in STOP_WORDS and len(w) > 2))
    if not words:
        return []
    pks, scores = store.keyword_pks(Query(terms=words[:12]), limit=limit + 1)
    papers = store.papers_by_pk(pks)
    hits = [Hit(papers[pk], s) for pk, s in zip(pks, scores, strict=True) if pk in papers]
    return [h for h in hits if h.paper.id != paper.id][:limit]


def byline(paper: Paper) -> str:
    """What a card shows under the title: the organisation, else the author count, as the seeds do."""
    if paper.organization:
        return paper.organization
    n = paper.n_authors
    if not n:
        return ""
    if paper.authors and n <= 3:
        return ", ".join(a.name for a in paper.authors)
    return f"{n} authors" if n != 1 else "1 author"


def load_demo(store: Store) -> Summary:
    """Merge the bundled demo corpus into the store (idempotent)."""
    data = resources.files("papertide.data").joinpath(DEMO_CORPUS).read_bytes()
    return ingest(store, parse_jsonl(data.splitlines(keepends=True), where=DEMO_CORPUS))
