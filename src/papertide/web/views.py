"""The data behind every page: one function per resource, returning typed objects that the HTML
templates render, the JSON API serialises through its pydantic models (api.py) and the Atom feeds
write (feeds.py) — the datasette way: one view, several renderings.

What every reader sees alike is built once and cached (`Context.shared`); a member's own votes are
marked on a copy afterwards (`with_votes`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from papertide.core import Papertide
from papertide.feeds import listings
from papertide.feeds.cards import Card, bibtex, card
from papertide.members.discussions import Shown
from papertide.model import Member, Paper
from papertide.query import SORTS, Filters, QueryError, parse_query
from papertide.search.highlight import Snippet, marks, segments, snippet, stems
from papertide.search.rank import trending as rank_trending

PAGE_SIZE = 20
MAX_PAGE = 50  # deeper pages are not worth a query: refine the search instead


class Cache(Protocol):
    def get(self, key: tuple[Any, ...]) -> Any: ...

    def put(self, key: tuple[Any, ...], value: Any) -> None: ...


@dataclass(frozen=True)
class Marked:
    """Where a search's words are in a card: ranges in its title, and a query-biased snippet of its
    abstract with ranges in it (highlight.py); renderers escape the text and mark the ranges."""

    title: list[tuple[int, int]]
    snippet: Snippet


@dataclass(frozen=True)
class Item:
    """A card on a list: the paper as readers see it, its score in a search, whether the reader
    voted for it, where the search's words are in it. Templates read the card's fields through it
    (`item.title`)."""

    card: Card
    score: float | None = None
    voted: bool = False
    marked: Marked | None = None
    because: tuple[str, str, str] | None = None  # (id, title, "upvoted"/"saved") of the liked paper behind it
    saved: bool = False  # in one of the member's collections
    seen: bool = False  # the member opened its page

    def __getattr__(self, name: str) -> Any:
        return getattr(self.card, name)

    @property
    def title_segments(self) -> list[tuple[str, bool]]:
        return segments(self.card.title, self.marked.title if self.marked else [])

    @property
    def snippet_segments(self) -> list[tuple[str, bool]]:
        if self.marked is None:
            return [(self.card.summary, False)]
        return segments(self.marked.snippet.text, self.marked.snippet.marks)


def items(papers: list[Paper], scores: list[float] | None = None) -> list[Item]:
    """Cards as every reader sees them (`with_votes` marks a member's own votes afterwards)."""
    if scores is None:
        return [Item(card(p)) for p in papers]
    return [Item(card(p), s) for p, s in zip(papers, scores, strict=True)]


@dataclass(frozen=True)
class DailyView:
    period: listings.Period
    previous: listings.Period | None
    next: listings.Period | None
    sort: str
    papers: list[Item]

    @property
    def views(self) -> dict[str, str]:
        """The day, week and month around this period (the view switcher's links); "Day" from a
        week or month opens its latest day with papers."""
        start = self.period.start
        featured = [i.card.day for i in self.papers if i.card.featured_date and i.card.day]
        return {
            "day": (max(featured) if featured and self.period.kind != "day" else start).isoformat(),
            "week": listings.week_period(start).key,
            "month": listings.month_period(start.year, start.month).key,
        }


@dataclass(frozen=True)
class TrendingView:
    papers: list[Item]
    by: str = "upvotes"  # or "github": stars gained in the last week (Item.score holds the gain)


@dataclass(frozen=True)
class SearchView:
    q: str
    mode: str
    sort: str
    filters: Filters
    page: int
    has_next: bool
    papers: list[Item]
    matched: int | None = None  # papers holding the words (None: not counted)
    near: int = 0  # more papers found close in meaning
    near_more: bool = False
    suggestion: str | None = None


@dataclass(frozen=True)
class PaperView:
    item: Item
    paper: Paper
    bibtex: str
    related: list[Item]
    discussion: list[Shown] = field(default_factory=list)
    claimed: dict[str, str] = field(default_factory=dict)  # author name -> the member who claimed it

    def __getattr__(self, name: str) -> Any:
        return getattr(self.item, name)

    @property
    def authors_full(self) -> list[dict[str, str | None]]:
        return [{"name": n, "affiliation": a} for n, a in zip(self.card.authors, self.card.affiliations, strict=True)]


@dataclass(frozen=True)
class MemberView:
    handle: str
    joined: str
    submissions: list[Item]
    upvotes: list[Item]


V = TypeVar("V")


@dataclass
class Context:
    """What a view may use: the catalogue, the time, the reader (if signed in), and a cache for
    what every reader sees alike."""

    pt: Papertide
    now: datetime
    member: Member | None = None
    cache: Cache | None = field(default=None)

    def shared(self, key: tuple[Any, ...], build: Callable[[], V]) -> V:
        """`build()`, or its copy from the cache while the catalogue and the minute stay the same;
        then the reader's own votes are marked on every card."""
        if self.cache is None:
            return with_votes(self, build())
        full_key = ("view", *key, self.pt.version(), self.now.strftime("%Y%m%d%H%M"))
        data: V | None = self.cache.get(full_key)
        if data is None:
            data = build()
            self.cache.put(full_key, data)
        return with_votes(self, data)


_CARD_LISTS = ("papers", "related", "submissions", "upvotes")


def with_votes(ctx: Context, view: V) -> V:
    """`view` with the member's own marks on its cards: voted, saved, opened (three queries; `view`
    itself, which may be shared, is not changed)."""
    if ctx.member is None or not dataclasses.is_dataclass(view):
        return view
    lists = {f.name: getattr(view, f.name) for f in dataclasses.fields(view) if f.name in _CARD_LISTS}
    ids = [i.id for cards in lists.values() for i in cards]
    if isinstance(view, PaperView):
        ids.append(view.item.id)
    if not ids:
        return view
    voted = ctx.pt.votes.voted_among(ctx.member.id, ids)
    saved = set(ctx.pt.personal.holding(ctx.member.id, ids))
    seen = ctx.pt.personal.seen_among(ctx.member.id, ids)

    def mark(i: Item) -> Item:
        return dataclasses.replace(i, voted=i.id in voted, saved=i.id in saved, seen=i.id in seen)

    changes: dict[str, Any] = {name: [mark(i) for i in cards] for name, cards in lists.items()}
    if isinstance(view, PaperView):
        changes["item"] = mark(view.item)
    return dataclasses.replace(view, **changes)  # type: ignore[type-var]


def daily_view(ctx: Context, period: listings.Period | None, sort: str = "upvotes", *, home: bool = False) -> DailyView:
    """A day, week or month; no period: the latest day, or with `home` where the home page opens
    (the latest day, widened when it is thin: `listings.opening`)."""
    return ctx.shared(("daily", period, sort, home), lambda: _daily(ctx, period, sort, home))


def _daily(ctx: Context, period: listings.Period | None, sort: str, home: bool) -> DailyView:
    today = ctx.now.date()
    listing = ctx.pt.home(today) if home and period is None else ctx.pt.daily(period, today)
    papers = listing.papers
    if sort == "publishedAt":
        papers = sorted(papers, key=lambda p: p.published or datetime.min, reverse=True)
    elif sort == "trending":
        at = max(ctx.now, datetime.combine(listing.period.end, datetime.min.time()))
        ranked = rank_trending(papers, at)
        by_id = {p.id: p for p in papers}
        papers = [by_id[i] for i in ranked[0]]
    return DailyView(listing.period, listing.previous, listing.next, sort, items(papers))


def trending_view(ctx: Context, limit: int = 50, by: str = "upvotes") -> TrendingView:
    def build() -> TrendingView:
        if by == "github":
            gained = ctx.pt.github_trending(limit, ctx.now)
            return TrendingView(items([p for p, _ in gained], [float(g) for _, g in gained]), "github")
        ranked = ctx.pt.trending(limit, ctx.now)
        return TrendingView(items([p for p, _ in ranked], [s for _, s in ranked]))

    return ctx.shared(("trending", limit, by), build)


def search_view(
    ctx: Context,
    q: str,
    mode: str | None = None,
    sort: str = "relevance",
    filters: Filters | None = None,
    page: int = 1,
    limit: int = PAGE_SIZE,
) -> SearchView:
    """Raises QueryError (a 400) for an unusable query or options."""
    if sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)}")
    if not 1 <= page <= MAX_PAGE:
        raise QueryError(f"page must be between 1 and {MAX_PAGE}")
    if parse_query(q).is_empty:
        what = "only common words or exclusions" if q.strip() else "nothing"
        raise QueryError(f"nothing to search for: the query has {what}; add a distinctive word")
    chosen = ctx.pt.search_mode(mode)
    filters = filters or Filters()

    def build() -> SearchView:
        found = ctx.pt.search(q, limit=limit + 1, offset=(page - 1) * limit, mode=chosen, filters=filters, sort=sort)
        wanted = query_stems(q)
        shown = [
            Item(c, h.score, marked=Marked(marks(c.title, wanted), snippet(c.abstract, wanted)))
            for h in found[:limit]
            for c in [card(h.paper)]
        ]
        return SearchView(
            q, chosen, sort, filters, page, len(found) > limit, shown, found.matched, found.near, found.near_more,
            found.suggestion,
        )  # fmt: skip

    return ctx.shared(("search", q, chosen, sort, filters, page, limit), build)


def query_stems(q: str) -> frozenset[str]:
    """The stems a search's words mark in its results (its words and phrases, not exclusions)."""
    query = parse_query(q)
    return stems([*query.terms, *(w for phrase in query.phrases for w in phrase)])


@dataclass(frozen=True)
class PaperRecord:
    """A paper as its page and its JSON both show it: the card, and which of its author names
    members claimed (name -> the member's handle)."""

    item: Item
    claimed: dict[str, str]


def paper_record(ctx: Context, paper: Paper) -> PaperRecord:
    def build() -> PaperRecord:
        shown = card(paper)
        return PaperRecord(Item(shown), ctx.pt.authors.claimed_among(list(shown.authors)))

    return ctx.shared(("record", paper.id), build)


def paper_view(ctx: Context, paper: Paper, related_limit: int = 8) -> PaperView:
    def build() -> PaperView:
        related = ctx.pt.similar(paper, related_limit)
        record = paper_record(ctx, paper)
        return PaperView(
            record.item,
            paper,
            bibtex(paper),
            items([h.paper for h in related], [h.score for h in related]),
            ctx.pt.discussions.thread(paper.id),
            record.claimed,
        )

    return ctx.shared(("paper", paper.id, related_limit), build)


@dataclass(frozen=True)
class ForYouView:
    papers: list[Item]
    personal: bool  # False: the member has no signals yet, so the page shows trending
    signals: int
    dismissed: list[Item]  # marked "not interested", latest first (each can be taken back)
    window: str = "all"  # "all": the whole catalogue; "week": papers of the last 7 days


FOR_YOU_WINDOWS = ("all", "week")


# A member's newest signals say most about what they read now; older ones are left out so the
# request stays a handful of ANN searches.
FOR_YOU_SIGNALS = 50


def for_you_view(ctx: Context, member: Member, limit: int = 30, window: str = "all") -> ForYouView:
    """`Papertide.for_you` as a page: "week" keeps papers featured or published in the last 7 days."""
    found = ctx.pt.for_you(member.id, limit, ctx.now.date() if window == "week" else None, FOR_YOU_SIGNALS)
    cards = [
        Item(card(p.paper), p.score, because=(p.because, p.because_title, p.why) if p.because and p.why else None)
        for p in found.picks
    ]
    return with_votes(ctx, ForYouView(cards, found.personal, found.signals, items(found.dismissed), window))


def member_view(ctx: Context, member: Member) -> MemberView:
    submitted_ids, upvoted_ids = ctx.pt.votes.submitted_and_upvoted(member.id)
    papers = ctx.pt.papers([*submitted_ids, *upvoted_ids])
    view = MemberView(
        member.handle,
        member.created_at.date().isoformat(),
        items([papers[i] for i in submitted_ids if i in papers]),
        items([papers[i] for i in upvoted_ids if i in papers]),
    )
    return with_votes(ctx, view)
