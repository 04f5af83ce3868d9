"""The JSON API, shaped like Hugging Face's papers API (`/api/daily_papers`, `/api/papers/...`) so
that clients written for it can point here. Errors are `{"error": message}` with a status code."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, TypeAdapter

from .. import listings
from ..cards import Card, card
from ..query import QueryError
from ..submissions import SubmissionError, submit
from . import views
from .context import api_member, context, error_response, services, shared_for_anonymous
from .params import Search, period_params, search_params

router = APIRouter(prefix="/api", tags=["papers"])


class Author(BaseModel):
    name: str


class PaperOut(BaseModel):
    id: str
    title: str
    summary: str
    authors: list[Author]
    publishedAt: str | None = Field(description="first published on arXiv")
    submittedOnDailyAt: str | None = Field(description="the day it was featured in the daily feed")
    upvotes: int
    githubRepo: str | None = None
    projectPage: str | None = None
    organization: dict[str, str] | None = None
    categories: list[str] = []
    submittedOnDailyBy: dict[str, str] | None = None


class DailyEntry(BaseModel):
    paper: PaperOut
    publishedAt: str | None
    title: str
    summary: str
    numComments: int = 0
    submittedBy: dict[str, str] | None = None
    organization: dict[str, str] | None = None


class Highlight(BaseModel):
    """Where the query's words are (character ranges, end exclusive): in the title, and in a
    query-biased snippet of the abstract."""

    title: list[tuple[int, int]]
    snippet: str
    snippetMarks: list[tuple[int, int]]
    snippetClippedStart: bool
    snippetClippedEnd: bool


class SearchHit(BaseModel):
    paper: PaperOut
    title: str
    summary: str
    score: float | None = None
    highlight: Highlight | None = Field(None, description="with `highlight=true`")


class VoteOut(BaseModel):
    id: str
    voted: bool
    upvotes: int


class SubmitIn(BaseModel):
    id: str = Field(max_length=200, description="arXiv id or abs/pdf URL")


class ErrorOut(BaseModel):
    error: str


_PAPER = TypeAdapter(PaperOut)


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut},
    401: {"model": ErrorOut},
    403: {"model": ErrorOut},
    404: {"model": ErrorOut},
    409: {"model": ErrorOut},
    429: {"model": ErrorOut},
}


def paper_out(c: Card) -> PaperOut:
    """A card in the API's field names (Hugging Face's, camel case)."""
    org = c.organization
    return PaperOut(
        id=c.id,
        title=c.title,
        summary=c.abstract,
        authors=[Author(name=n) for n in c.authors],
        publishedAt=c.published,
        submittedOnDailyAt=c.featured_date,
        upvotes=c.upvotes,
        githubRepo=c.code_url,
        projectPage=c.project_url,
        organization={"name": org, "fullname": org} if org else None,
        categories=list(c.categories),
        submittedOnDailyBy={"name": c.submitted_by} if c.submitted_by else None,
    )


def daily_entry(c: Card) -> DailyEntry:
    paper = paper_out(c)
    return DailyEntry(
        paper=paper,
        publishedAt=c.featured_date,
        title=paper.title,
        summary=paper.summary,
        numComments=0,
        submittedBy=paper.submittedOnDailyBy,
        organization=paper.organization,
    )


_DAILY = TypeAdapter(list[DailyEntry])
_HITS = TypeAdapter(list[SearchHit])


def as_json(adapter: TypeAdapter[Any], value: Any, status_code: int = 200) -> Response:
    """`value` serialised by its pydantic model: the schema the OpenAPI document shows is the one
    that writes the response."""
    return Response(adapter.dump_json(value), status_code=status_code, media_type="application/json")


def search_hit(item: views.Item, highlight: bool) -> SearchHit:
    c, marked = item.card, item.marked
    shown = None
    if highlight and marked is not None:
        s = marked.snippet
        shown = Highlight(
            title=marked.title,
            snippet=s.text,
            snippetMarks=s.marks,
            snippetClippedStart=s.clipped_start,
            snippetClippedEnd=s.clipped_end,
        )
    return SearchHit(paper=paper_out(c), title=c.title, summary=c.abstract, score=item.score, highlight=shown)


Param = Annotated[str | None, Query(max_length=20)]


@router.get("/daily_papers", response_model=list[DailyEntry], responses=ERRORS)
def daily_papers(
    request: Request,
    date: Param = None,
    week: Param = None,
    month: Param = None,
    sort: Annotated[str, Query(pattern="^(publishedAt|trending|upvotes)$")] = "upvotes",
    p: Annotated[int, Query(ge=0, le=10_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> Any:
    """Papers featured on a day (`date=2025-10-29`), ISO week (`week=2025-W44`) or month
    (`month=2025-10`); without one, today or the latest day with papers. `p` is the page (from 0)."""
    try:
        period = period_params(date, week, month)
    except listings.PeriodError as exc:
        return error_response(request, 400, str(exc))

    def build() -> Response:
        view = views.daily_view(context(request), period, sort)
        return as_json(_DAILY, [daily_entry(i.card) for i in view.papers[p * limit : (p + 1) * limit]])

    return shared_for_anonymous(request, build)


@router.get("/trending", response_model=list[DailyEntry], responses=ERRORS)
def trending(request: Request, limit: Annotated[int, Query(ge=1, le=100)] = 50) -> Any:
    """Papers of the last week ranked by votes / (age_hours + 2)^1.8."""
    return shared_for_anonymous(
        request,
        lambda: as_json(_DAILY, [daily_entry(i.card) for i in views.trending_view(context(request), limit).papers]),
    )


@router.get("/papers/search", response_model=list[SearchHit], responses=ERRORS)
def search(
    request: Request,
    asked: Annotated[Search, Depends(search_params)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
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


def _vote(request: Request, paper_id: str, want: bool | None, csrf: str | None) -> Any:
    member = api_member(request, csrf, "vote")
    if isinstance(member, Response):
        return member
    svc = services(request)
    pk = svc.store.pks_for_ids([paper_id]).get(paper_id)
    if pk is None:
        return error_response(request, 404, f"no paper {paper_id}")
    voted, _ = svc.store.community.set_vote(member.id, pk, want, svc.clock())
    paper = svc.store.get(paper_id)
    return VoteOut(id=paper_id, voted=voted, upvotes=paper.votes if paper else 0)


CsrfHeader = Annotated[str | None, Header(alias="X-CSRF-Token", max_length=200)]


@router.post("/papers/{paper_id:path}/upvote", response_model=VoteOut, responses=ERRORS)
def upvote(request: Request, paper_id: str, x_csrf_token: CsrfHeader = None) -> Any:
    """Vote for a paper (idempotent). Signed-in session cookie plus its X-CSRF-Token header."""
    return _vote(request, paper_id, True, x_csrf_token)


@router.delete("/papers/{paper_id:path}/upvote", response_model=VoteOut, responses=ERRORS)
def withdraw_upvote(request: Request, paper_id: str, x_csrf_token: CsrfHeader = None) -> Any:
    """Withdraw a vote (idempotent)."""
    return _vote(request, paper_id, False, x_csrf_token)


@router.post("/papers/{paper_id:path}/upvote/toggle", response_model=VoteOut, responses=ERRORS)
def toggle_upvote(request: Request, paper_id: str, x_csrf_token: CsrfHeader = None) -> Any:
    """Vote, or withdraw the vote when there is one (what the page's button does)."""
    return _vote(request, paper_id, None, x_csrf_token)


@router.get("/papers/{paper_id:path}", response_model=PaperOut, responses=ERRORS)
def paper(request: Request, paper_id: str) -> Any:
    """One paper by its arXiv id (without version) or local id."""

    def build() -> Response:
        found = services(request).store.get(paper_id)
        if found is None:
            return error_response(request, 404, f"no paper {paper_id}")
        return as_json(_PAPER, paper_out(card(found)))

    return shared_for_anonymous(request, build)


@router.post("/submit", response_model=PaperOut, status_code=201, responses=ERRORS)
def submit_paper(request: Request, body: Annotated[SubmitIn, Body()], x_csrf_token: CsrfHeader = None) -> Any:
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
