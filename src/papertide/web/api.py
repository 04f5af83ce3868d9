"""The JSON API, shaped like Hugging Face's papers API (`/api/daily_papers`, `/api/papers/...`) so
that clients written for it can point here. Errors are `{"error": message}` with a status code."""

from __future__ import annotations

import base64
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import Response
from pydantic import TypeAdapter

from .. import listings
from ..cards import card
from ..model import Member
from ..numbers import whole_or_none
from ..query import QueryError
from ..submissions import SubmissionError, submit
from . import views
from .context import BearerAuth, api_member, context, error_response, services, shared_for_anonymous
from .params import Search, Whole, period_params, search_params
from .schemas import (
    DailyEntry,
    ErrorOut,
    NotInterestedOut,
    PaperOut,
    PaperPage,
    RecommendationOut,
    SearchHit,
    SubmitIn,
    VoteOut,
    daily_entry,
    paper_out,
    search_hit,
    user_out,
)

router = APIRouter(prefix="/api", tags=["papers"])


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut},
    401: {"model": ErrorOut},
    403: {"model": ErrorOut},
    404: {"model": ErrorOut},
    409: {"model": ErrorOut},
    429: {"model": ErrorOut},
}


_DAILY = TypeAdapter(list[DailyEntry])
_HITS = TypeAdapter(list[SearchHit])
_PAPER = TypeAdapter(PaperOut)
_PAGE = TypeAdapter(PaperPage)


def as_json(adapter: TypeAdapter[Any], value: Any, status_code: int = 200) -> Response:
    """`value` serialised by its pydantic model: the schema the OpenAPI document shows is the one
    that writes the response."""
    return Response(adapter.dump_json(value), status_code=status_code, media_type="application/json")


Param = Annotated[str | None, Query(max_length=20)]


@router.get("/daily_papers", response_model=list[DailyEntry], responses=ERRORS)
def daily_papers(
    request: Request,
    date: Param = None,
    week: Param = None,
    month: Param = None,
    sort: Annotated[str, Query(pattern="^(publishedAt|trending|upvotes)$")] = "upvotes",
    p: Annotated[int, Whole, Query(ge=0, le=10_000)] = 0,
    limit: Annotated[int, Whole, Query(ge=1, le=100)] = 50,
    submitter: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    """Papers featured on a day (`date=2025-10-29`), ISO week (`week=2025-W44`) or month
    (`month=2025-10`); without one, today or the latest day with papers. `p` is the page (from 0);
    `submitter` keeps the papers that member submitted."""
    try:
        period = period_params(date, week, month)
    except listings.PeriodError as exc:
        return error_response(request, 400, str(exc))

    def build() -> Response:
        view = views.daily_view(context(request), period, sort)
        cards = [i.card for i in view.papers]
        if submitter is not None:
            cards = [c for c in cards if (c.submitted_by or "").lower() == submitter.lower()]
        return as_json(_DAILY, [daily_entry(c) for c in cards[p * limit : (p + 1) * limit]])

    return shared_for_anonymous(request, build)


@router.get("/trending", response_model=list[DailyEntry], responses=ERRORS)
def trending(
    request: Request,
    limit: Annotated[int, Whole, Query(ge=1, le=100)] = 50,
    by: Annotated[str, Query(pattern="^(upvotes|github)$")] = "upvotes",
) -> Any:
    """Papers of the last week ranked by votes / (age_hours + 2)^1.8, or (`by=github`) by the stars
    their repositories gained in the last week."""
    return shared_for_anonymous(
        request,
        lambda: as_json(_DAILY, [daily_entry(i.card) for i in views.trending_view(context(request), limit, by).papers]),
    )


@router.get("/papers/search", response_model=list[SearchHit], responses=ERRORS)
def search(
    request: Request,
    asked: Annotated[Search, Depends(search_params)],
    limit: Annotated[int, Whole, Query(ge=1, le=120)] = 20,
    highlight: bool = False,
) -> Any:
    """Relevance-ranked search: words, "phrases", -exclusions, author:Name, cat:cs.LG; `mode`
    hybrid, keyword or semantic; `sort` relevance, newest or upvotes; `since`/`until` (first
    published, YYYY-MM-DD); `has_code`; `min_upvotes`; page `p` from 1; `highlight=true` adds where
    the words are. Headers: `X-Matched-Count` (papers holding the words), `X-Near-Count` (more found
    close in meaning), `X-Suggestion` (the query with misspelt words corrected, when no paper
    holds them)."""

    def build() -> Response:
        view = views.search_view(
            context(request), asked.q, asked.mode, asked.sorted_by("relevance"), asked.filters, asked.page, limit
        )
        response = as_json(_HITS, [search_hit(i, highlight) for i in view.papers])
        if view.matched is not None:
            response.headers["X-Matched-Count"] = str(view.matched)
        response.headers["X-Near-Count"] = f"{view.near}{'+' if view.near_more else ''}"
        if view.suggestion:
            response.headers["X-Suggestion"] = quote(view.suggestion)
        return response

    try:
        return shared_for_anonymous(request, build)
    except QueryError as exc:
        return error_response(request, 400, str(exc))


@router.get("/papers", response_model=PaperPage, responses=ERRORS)
def catalogue(
    request: Request,
    limit: Annotated[int, Whole, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> Any:
    """The whole catalogue, `limit` papers a page, in the order papers arrived; pass the answer's
    `nextCursor` to get the next page (opaque; no paper is skipped or repeated while papers are
    being added: new ones come at the end)."""
    after = read_cursor(cursor)
    if after is None:
        return error_response(request, 400, "cursor: not a cursor this API gave")
    rows = services(request).store.papers_after(after, limit)
    next_cursor = make_cursor(rows[-1][0]) if len(rows) == limit else None
    return as_json(_PAGE, PaperPage(papers=[paper_out(card(p)) for _, p in rows], nextCursor=next_cursor))


def make_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"pk:{pk}".encode()).decode().rstrip("=")


def read_cursor(cursor: str | None) -> int | None:
    """The pk a cursor points after (0 without one); None for anything this API did not write."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    kind, _, number = text.partition(":")
    return whole_or_none(number) if kind == "pk" else None


def _member_and_paper(request: Request, paper_id: str, csrf: str | None) -> tuple[Member, int] | Response:
    """The member a write about one paper acts for, and the paper's pk; else the response to send."""
    member = api_member(request, csrf, "vote")
    if isinstance(member, Response):
        return member
    pk = services(request).store.pks_for_ids([paper_id]).get(paper_id)
    if pk is None:
        return error_response(request, 404, f"no paper {paper_id}")
    return member, pk


def _vote(request: Request, paper_id: str, want: bool | None, csrf: str | None) -> Any:
    found = _member_and_paper(request, paper_id, csrf)
    if isinstance(found, Response):
        return found
    (member, pk), svc = found, services(request)
    voted, _ = svc.store.community.set_vote(member.id, pk, want, svc.clock())
    paper = svc.store.get(paper_id)
    return VoteOut(id=paper_id, voted=voted, upvotes=paper.votes if paper else 0)


CsrfHeader = Annotated[str | None, Header(alias="X-CSRF-Token", max_length=200)]


@router.post("/papers/{paper_id:path}/upvote", response_model=VoteOut, responses=ERRORS)
def upvote(request: Request, paper_id: str, x_csrf_token: CsrfHeader = None, _bearer: BearerAuth = None) -> Any:
    """Vote for a paper (idempotent). Signed-in session cookie plus its X-CSRF-Token header."""
    return _vote(request, paper_id, True, x_csrf_token)


@router.delete("/papers/{paper_id:path}/upvote", response_model=VoteOut, responses=ERRORS)
def withdraw_upvote(
    request: Request, paper_id: str, x_csrf_token: CsrfHeader = None, _bearer: BearerAuth = None
) -> Any:
    """Withdraw a vote (idempotent)."""
    return _vote(request, paper_id, False, x_csrf_token)


@router.post("/papers/{paper_id:path}/upvote/toggle", response_model=VoteOut, responses=ERRORS)
def toggle_upvote(request: Request, paper_id: str, x_csrf_token: CsrfHeader = None, _bearer: BearerAuth = None) -> Any:
    """Vote, or withdraw the vote when there is one (what the page's button does)."""
    return _vote(request, paper_id, None, x_csrf_token)


def _not_interested(request: Request, paper_id: str, marked: bool, csrf: str | None) -> Any:
    found = _member_and_paper(request, paper_id, csrf)
    if isinstance(found, Response):
        return found
    (member, pk), svc = found, services(request)
    svc.store.community.set_not_interested(member.id, pk, marked, svc.clock())
    return NotInterestedOut(id=paper_id, notInterested=marked)


@router.post("/papers/{paper_id:path}/not-interested", response_model=NotInterestedOut, responses=ERRORS)
def mark_not_interested(
    request: Request, paper_id: str, x_csrf_token: CsrfHeader = None, _bearer: BearerAuth = None
) -> Any:
    """Mark a paper "not interested" (idempotent): recommendations never show it and move away from it."""
    return _not_interested(request, paper_id, True, x_csrf_token)


@router.delete("/papers/{paper_id:path}/not-interested", response_model=NotInterestedOut, responses=ERRORS)
def unmark_not_interested(
    request: Request, paper_id: str, x_csrf_token: CsrfHeader = None, _bearer: BearerAuth = None
) -> Any:
    """Take a "not interested" mark back (idempotent)."""
    return _not_interested(request, paper_id, False, x_csrf_token)


@router.get("/recommendations", response_model=list[RecommendationOut], responses=ERRORS)
def recommendations(
    request: Request, limit: Annotated[int, Whole, Query(ge=1, le=100)] = 20, _bearer: BearerAuth = None
) -> Any:
    """The signed-in member's recommendations (the For-you page), best first: from their latest 50
    upvotes and "not interested" marks; trending papers (with `because` null) until their first upvote."""
    member = api_member(request, None, "settings", write=False)
    if isinstance(member, Response):
        return member
    pt = context(request).pt
    found = pt.recommend_for(member.id, limit)
    if found is None:
        dismissed = set(pt.store.community.not_interested_ids(member.id))
        ranked = [(p, s) for p, s in pt.trending(limit + len(dismissed)) if p.id not in dismissed][:limit]
        return [RecommendationOut(paper=paper_out(card(p)), score=s, because=None) for p, s in ranked]
    return [RecommendationOut(paper=paper_out(card(s.paper)), score=s.score, because=s.because) for s in found]


@router.get("/papers/{paper_id:path}", response_model=PaperOut, responses=ERRORS)
def paper(request: Request, paper_id: str) -> Any:
    """One paper by its arXiv id (without version) or local id."""

    def build() -> Response:
        svc = services(request)
        found = svc.store.get(paper_id)
        if found is None:
            return error_response(request, 404, f"no paper {paper_id}")
        shown = paper_out(card(found))
        claimed = svc.pt.authors.claimed_among([a.name for a in shown.authors])
        for author in shown.authors:  # HF's PaperAuthor: the member who claimed the name, confirmed
            if author.name in claimed:
                author.user, author.status = user_out(claimed[author.name]), "claimed_verified"
        return as_json(_PAPER, shown)

    return shared_for_anonymous(request, build)


@router.post("/submit", response_model=PaperOut, status_code=201, responses=ERRORS)
def submit_paper(
    request: Request, body: Annotated[SubmitIn, Body()], x_csrf_token: CsrfHeader = None, _bearer: BearerAuth = None
) -> Any:
    """Submit a paper to today's feed by arXiv id (signed in; rules: recent papers only, a daily
    quota, no duplicates — a duplicate answers 409 with the existing paper's id)."""
    member = api_member(request, x_csrf_token, "submit")
    if isinstance(member, Response):
        return member
    svc = services(request)
    try:
        paper = submit(svc.store, member, body.id, svc.fetch, svc.clock(), svc.config.rules)
    except SubmissionError as exc:
        if exc.existing_id:
            return error_response(request, 409, str(exc), existing_id=exc.existing_id)
        return error_response(request, 400, str(exc))
    svc.after_submission(paper)
    return as_json(_PAPER, paper_out(card(paper)), status_code=201)


__all__ = ["router"]
