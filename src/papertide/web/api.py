"""The JSON API, shaped like Hugging Face's papers API (`/api/daily_papers`, `/api/papers/...`) so
that clients written for it can point here. Errors are `{"error": message}` with a status code."""

from __future__ import annotations

import base64
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response
from pydantic import TypeAdapter

from papertide.feeds.cards import card
from papertide.members.votes import NoSuchPaper
from papertide.model import Member
from papertide.numbers import whole_or_none
from papertide.web import views
from papertide.web.context import Services, context, error_response, services, shared_for_anonymous
from papertide.web.deps import ApiReader, ApiSubmitter, ApiVoter, Svc
from papertide.web.params import Search, Whole, period_params, search_params
from papertide.web.schemas import (
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
    period = period_params(date, week, month)  # PeriodError: a 400 (app.py)

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

    return shared_for_anonymous(request, build)  # QueryError: a 400 (app.py)


@router.get("/papers", response_model=PaperPage, responses=ERRORS)
def catalogue(
    request: Request,
    svc: Svc,
    limit: Annotated[int, Whole, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> Any:
    """The whole catalogue, `limit` papers a page, in the order papers arrived; pass the answer's
    `nextCursor` to get the next page (opaque; no paper is skipped or repeated while papers are
    being added: new ones come at the end)."""
    after = read_cursor(cursor)
    if after is None:
        return error_response(request, 400, "cursor: not a cursor this API gave")
    rows = svc.pt.papers_after(after, limit)
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


def _vote(svc: Services, member: Member, paper_id: str, want: bool | None) -> VoteOut:
    vote = svc.pt.votes.vote(member.id, paper_id, want)  # NoSuchPaper: a 404
    return VoteOut(id=paper_id, voted=vote.voted, upvotes=vote.upvotes)


@router.post("/papers/{paper_id:path}/upvote", response_model=VoteOut, responses=ERRORS)
def upvote(paper_id: str, member: ApiVoter, svc: Svc) -> Any:
    """Vote for a paper (idempotent). Signed-in session cookie plus its X-CSRF-Token header."""
    return _vote(svc, member, paper_id, True)


@router.delete("/papers/{paper_id:path}/upvote", response_model=VoteOut, responses=ERRORS)
def withdraw_upvote(paper_id: str, member: ApiVoter, svc: Svc) -> Any:
    """Withdraw a vote (idempotent)."""
    return _vote(svc, member, paper_id, False)


@router.post("/papers/{paper_id:path}/upvote/toggle", response_model=VoteOut, responses=ERRORS)
def toggle_upvote(paper_id: str, member: ApiVoter, svc: Svc) -> Any:
    """Vote, or withdraw the vote when there is one (what the page's button does)."""
    return _vote(svc, member, paper_id, None)


@router.post("/papers/{paper_id:path}/not-interested", response_model=NotInterestedOut, responses=ERRORS)
def mark_not_interested(paper_id: str, member: ApiVoter, svc: Svc) -> Any:
    """Mark a paper "not interested" (idempotent): recommendations never show it and move away from it."""
    svc.pt.votes.not_interested(member.id, paper_id, True)
    return NotInterestedOut(id=paper_id, notInterested=True)


@router.delete("/papers/{paper_id:path}/not-interested", response_model=NotInterestedOut, responses=ERRORS)
def unmark_not_interested(paper_id: str, member: ApiVoter, svc: Svc) -> Any:
    """Take a "not interested" mark back (idempotent)."""
    svc.pt.votes.not_interested(member.id, paper_id, False)
    return NotInterestedOut(id=paper_id, notInterested=False)


@router.get("/recommendations", response_model=list[RecommendationOut], responses=ERRORS)
def recommendations(member: ApiReader, svc: Svc, limit: Annotated[int, Whole, Query(ge=1, le=100)] = 20) -> Any:
    """The signed-in member's recommendations (the For-you page), best first: from their latest 50
    upvotes and "not interested" marks; trending papers (with `because` null) until their first upvote."""
    found = svc.pt.for_you(member.id, limit)
    return [RecommendationOut(paper=paper_out(card(p.paper)), score=p.score, because=p.because) for p in found.picks]


@router.get("/papers/{paper_id:path}", response_model=PaperOut, responses=ERRORS)
def paper(request: Request, paper_id: str) -> Any:
    """One paper by its arXiv id (without version) or local id."""

    def build() -> Response:
        svc = services(request)
        found = svc.pt.get(paper_id)
        if found is None:
            raise NoSuchPaper(paper_id)
        record = views.paper_record(context(request), found)  # the paper page's record too
        shown, claimed = paper_out(record.item.card), record.claimed
        for author in shown.authors:  # HF's PaperAuthor: the member who claimed the name, confirmed
            if author.name in claimed:
                author.user, author.status = user_out(claimed[author.name]), "claimed_verified"
        return as_json(_PAPER, shown)

    return shared_for_anonymous(request, build)


@router.post("/submit", response_model=PaperOut, status_code=201, responses=ERRORS)
def submit_paper(body: Annotated[SubmitIn, Body()], member: ApiSubmitter, svc: Svc) -> Any:
    """Submit a paper to today's feed by arXiv id (signed in; rules: recent papers only, a daily
    quota, no duplicates — a duplicate answers 409 with the existing paper's id)."""
    paper = svc.pt.submit(member, body.id, svc.fetch, svc.config.rules)  # refusals: 400, or 409 with existing_id
    return as_json(_PAPER, paper_out(card(paper)), status_code=201)


__all__ = ["router"]
