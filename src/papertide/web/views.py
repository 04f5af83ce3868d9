"""The data behind every page: one function per view, returning plain dicts that the HTML
templates render and the JSON API serialises (the datasette way: one view, two renderings)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from .. import catalogue
from .. import listings as feed
from ..catalogue import Semantic
from ..ids import is_local_id
from ..model import Member, Paper
from ..query import SORTS, Filters, QueryError, parse_query
from ..store import Store
from ..text import readable

PAGE_SIZE = 20
MAX_PAGE = 50  # deeper pages are not worth a query: refine the search instead


class Cache(Protocol):
    def get(self, key: tuple[Any, ...]) -> Any: ...

    def put(self, key: tuple[Any, ...], value: Any) -> None: ...


@dataclass
class Context:
    """What a view may use: the store, the time, the reader (if signed in), semantic search, and
    a cache for what every reader sees alike."""

    store: Store
    now: datetime
    member: Member | None = None
    semantic: Semantic | None = None
    cache: Cache | None = None

    def shared(self, key: tuple[Any, ...], build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """`build()`, or its copy from the cache while the catalogue and the minute stay the same;
        then the reader's own votes are marked on every card."""
        if self.cache is None:
            return with_votes(self, build())
        full_key = ("view", *key, self.store.catalogue_version(), self.now.strftime("%Y%m%d%H%M"))
        data = self.cache.get(full_key)
        if data is None:
            data = build()
            self.cache.put(full_key, data)
        return with_votes(self, data)


CARD_LISTS = ("papers", "related", "submissions", "upvotes")


def with_votes(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """`data` with `voted` set on the cards the member voted for (one query; `data` itself, which
    may be shared, is not changed)."""
    if ctx.member is None:
        return data
    lists = {k for k in CARD_LISTS if isinstance(data.get(k), list)}  # a card's own "upvotes" is a count
    ids = [c["id"] for k in lists for c in data[k]]
    if "bibtex" in data:  # a paper page is itself a card
        ids.append(data["id"])
    mine = ctx.store.community.voted_among(ctx.member.id, ids) if ids else set()
    out = {k: [{**c, "voted": c["id"] in mine} for c in v] if k in lists else v for k, v in data.items()}
    if "bibtex" in data:
        out["voted"] = data["id"] in mine
    return out


def arxiv_links(paper: Paper) -> dict[str, str | None]:
    if is_local_id(paper.id):
        return {"abs": None, "pdf": None}
    return {"abs": f"https://arxiv.org/abs/{paper.id}", "pdf": f"https://arxiv.org/pdf/{paper.id}"}


def card(paper: Paper, voted: bool = False, score: float | None = None) -> dict[str, Any]:
    """A paper as the lists show it: the seeds' card (title, byline, date, upvotes) and more."""
    when: date | None = paper.featured_date or (paper.published.date() if paper.published else None)
    abstract = readable(paper.abstract)
    return {
        "id": paper.id,
        "title": readable(paper.title),
        "abstract": abstract,
        "summary": abstract[:280].rsplit(" ", 1)[0] + "…" if len(abstract) > 280 else abstract,
        "byline": catalogue.byline(paper),
        "authors": [a.name for a in paper.authors],
        "author_count": paper.n_authors,
        "organization": paper.organization,
        "date": when.isoformat() if when else None,
        "date_label": f"{when:%b} {when.day}, {when.year}" if when else "",
        "published": paper.published.isoformat() if paper.published else None,
        "featured_date": paper.featured_date.isoformat() if paper.featured_date else None,
        "upvotes": paper.votes,
        "voted": voted,
        "submitted_by": paper.submitted_by,
        "categories": list(paper.categories),
        "code_url": paper.code_url,
        "project_url": paper.project_url,
        "links": arxiv_links(paper),
        "score": score,
    }


def _cards(papers: list[Paper], scores: list[float] | None = None) -> list[dict[str, Any]]:
    """Cards as every reader sees them (`with_votes` marks a member's own votes afterwards)."""
    scores = scores or [None] * len(papers)  # type: ignore[list-item]
    return [card(p, False, s) for p, s in zip(papers, scores, strict=True)]


def daily_view(ctx: Context, period: feed.Period | None, sort: str = "upvotes") -> dict[str, Any]:
    return ctx.shared(("daily", period, sort), lambda: _daily(ctx, period, sort))


def _daily(ctx: Context, period: feed.Period | None, sort: str) -> dict[str, Any]:
    listing = feed.daily(ctx.store, period, ctx.now.date())
    papers = listing.papers
    if sort == "publishedAt":
        papers = sorted(papers, key=lambda p: p.published or datetime.min, reverse=True)
    elif sort == "trending":
        ranked = feed.rank_trending(papers, max(ctx.now, datetime.combine(listing.period.end, datetime.min.time())))
        by_id = {p.id: p for p in papers}
        papers = [by_id[i] for i in ranked[0]]
    p = listing.period
    return {
        "period": {"kind": p.kind, "key": p.key, "label": p.label, "start": p.start.isoformat()},
        "previous": listing.previous.key if listing.previous else None,
        "next": listing.next.key if listing.next else None,
        "views": {
            "day": p.start.isoformat(),
            "week": feed.week_period(p.start).key,
            "month": feed.month_period(p.start.year, p.start.month).key,
        },
        "sort": sort,
        "papers": _cards(papers),
    }


def trending_view(ctx: Context, limit: int = 50) -> dict[str, Any]:
    def build() -> dict[str, Any]:
        ranked = feed.trending(ctx.store, ctx.now, limit)
        return {"papers": _cards([p for p, _ in ranked], [s for _, s in ranked])}

    return ctx.shared(("trending", limit), build)


def search_mode(ctx: Context, requested: str | None) -> str:
    """hybrid when an index is there to use, else keyword; an explicit mode wins when possible."""
    available = "hybrid" if ctx.semantic is not None else "keyword"
    if requested in catalogue.MODES and (requested == "keyword" or ctx.semantic is not None):
        return requested
    return available


def search_view(
    ctx: Context,
    q: str,
    mode: str | None = None,
    sort: str = "relevance",
    filters: Filters | None = None,
    page: int = 1,
    limit: int = PAGE_SIZE,
) -> dict[str, Any]:
    """Raises QueryError (a 400) for an unusable query or options."""
    if sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)}")
    if not 1 <= page <= MAX_PAGE:
        raise QueryError(f"page must be between 1 and {MAX_PAGE}")
    if parse_query(q).is_empty:
        what = "only common words or exclusions" if q.strip() else "nothing"
        raise QueryError(f"nothing to search for: the query has {what}; add a distinctive word")
    chosen = search_mode(ctx, mode)

    def build() -> dict[str, Any]:
        hits = catalogue.search(
            ctx.store,
            q,
            limit=limit + 1,
            offset=(page - 1) * limit,
            mode=chosen,
            semantic=ctx.semantic,
            filters=filters,
            sort=sort,
        )
        return {
            "q": q,
            "mode": chosen,
            "sort": sort,
            "page": page,
            "has_next": len(hits) > limit,
            "papers": _cards([h.paper for h in hits[:limit]], [h.score for h in hits[:limit]]),
        }

    return ctx.shared(("search", q, chosen, sort, filters, page, limit), build)


def bibtex(paper: Paper) -> str:
    """A BibTeX entry for the paper (arXiv's @misc style)."""
    first = paper.authors[0].name.split()[-1].lower() if paper.authors else "anon"
    year = paper.published.year if paper.published else (paper.featured_date.year if paper.featured_date else "")
    word = next((w.lower() for w in readable(paper.title).split() if len(w) > 3 and w.isalpha()), "paper")
    fields = [("title", readable(paper.title)), ("author", " and ".join(a.name for a in paper.authors))]
    fields.append(("year", str(year)))
    if not is_local_id(paper.id):
        fields += [("eprint", paper.id), ("archivePrefix", "arXiv")]
        if paper.primary_category:
            fields.append(("primaryClass", paper.primary_category))
        fields.append(("url", f"https://arxiv.org/abs/{paper.id}"))
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields if v)
    return f"@misc{{{first}{year}{word},\n{body}\n}}"


def paper_view(ctx: Context, paper: Paper, related_limit: int = 8) -> dict[str, Any]:
    return ctx.shared(("paper", paper.id, related_limit), lambda: _paper(ctx, paper, related_limit))


def _paper(ctx: Context, paper: Paper, related_limit: int) -> dict[str, Any]:
    related = catalogue.similar(ctx.store, paper, ctx.semantic, related_limit)
    out = _cards([paper])[0]
    out.update(
        authors_full=[{"name": a.name, "affiliation": a.affiliation} for a in paper.authors],
        comments=paper.comments,
        journal_ref=paper.journal_ref,
        doi=paper.doi,
        version=paper.version,
        updated=paper.updated.isoformat() if paper.updated else None,
        bibtex=bibtex(paper),
        related=_cards([h.paper for h in related], [h.score for h in related]),
    )
    return out


def member_view(ctx: Context, member: Member) -> dict[str, Any]:
    community = ctx.store.community
    submitted_ids, upvoted_ids = community.submitted_ids(member.id), community.voted_ids(member.id)
    papers = ctx.store.get_many([*submitted_ids, *upvoted_ids])
    return with_votes(
        ctx,
        {
            "handle": member.handle,
            "joined": member.created_at.date().isoformat(),
            "submissions": _cards([papers[i] for i in submitted_ids if i in papers]),
            "upvotes": _cards([papers[i] for i in upvoted_ids if i in papers]),
        },
    )
