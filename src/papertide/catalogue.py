"""Library functions over a store that the CLI (and later the web app) call: search, demo, bylines."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from .ingest import Summary, ingest
from .model import Paper
from .search import parse_query
from .sources.jsonl import parse_jsonl
from .store import Store

DEMO_CORPUS = "demo_papers.jsonl"


class CatalogueError(Exception):
    pass


@dataclass(frozen=True)
class Hit:
    paper: Paper
    score: float


def search(store: Store, text: str, limit: int = 10, offset: int = 0) -> list[Hit]:
    """Papers matching a reader's query, best first (raises QueryError for an unusable query)."""
    ids, scores = store.keyword_search(parse_query(text), limit=limit, offset=offset)
    papers = store.get_many(ids)
    return [Hit(papers[i], s) for i, s in zip(ids, scores, strict=True) if i in papers]


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
