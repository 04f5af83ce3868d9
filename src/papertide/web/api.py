"""The JSON API, shaped like Hugging Face's papers API (`/api/daily_papers`, `/api/papers/...`) so
that clients written for it can point here. Errors are `{"error": message}` with a status code."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from .. import listings as feed
from ..query import Filters, QueryError
from ..submissions import SubmissionError, submit
from . import views
from .app import api_member, context, error_response, services, shared_for_anonymous

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


class SearchHit(BaseModel):
    paper: PaperOut
    title: str
    summary: str
    score: float | None = None


class VoteOut(BaseModel):
    id: str
    voted: bool
    upvotes: int


class SubmitIn(BaseModel):
    id: str = Field(max_length=200, description="arXiv id or abs/pdf URL")


class ErrorOut(BaseModel):
    error: str


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut},
    401: {"model": ErrorOut},
    403: {"model": ErrorOut},
    404: {"model": ErrorOut},
    409: {"model": ErrorOut},
    429: {"model": ErrorOut},
}


def paper_json(card: dict[str, Any]) -> dict[str, Any]:
    """A card in the API's field names (Hugging Face's, camel case)."""
    org = card["organization"]
    return {
        "id": card["id"],
        "title": card["title"],
        "summary": card["abstract"],
        "authors": [{"name": n} for n in card["authors"]],
        "publishedAt": card["published"],
        "submittedOnDailyAt": card["featured_date"],
        "upvotes": card["upvotes"],
        "githubRepo": card["code_url"],
        "projectPage": card["project_url"],
        "organization": {"name": org, "fullname": org} if org else None,
        "categories": card["categories"],
        "submittedOnDailyBy": {"name": card["submitted_by"]} if card["submitted_by"] else None,
    }


def daily_entry(card: dict[str, Any]) -> dict[str, Any]:
    paper = paper_json(card)
    return {
        "paper": paper,
        "publishedAt": card["featured_date"],
        "title": paper["title"],
        "summary": paper["summary"],
        "numComments": 0,
        "submittedBy": paper["submittedOnDailyBy"],
        "organization": paper["organization"],
    }


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
        period = feed.parse_period(date, week, month)
    except feed.PeriodError as exc:
        return error_response(request, 400, str(exc))

    def build() -> Response:
        data = views.daily_view(context(request), period, sort)
        return JSONResponse([daily_entry(c) for c in data["papers"][p * limit : (p + 1) * limit]])

    return shared_for_anonymous(request, build)


@router.get("/trending", response_model=list[DailyEntry], responses=ERRORS)
def trending(request: Request, limit: Annotated[int, Query(ge=1, le=100)] = 50) -> Any:
    """Papers of the last week ranked by votes / (age_hours + 2)^1.8."""
    return shared_for_anonymous(
        request, lambda: JSONResponse([daily_entry(c) for c in views.trending_view(context(request), limit)["papers"]])
    )


@router.get("/papers/search", response_model=list[SearchHit], responses=ERRORS)
def search(
    request: Request,
    q: Annotated[str, Query(max_length=10_000)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    p: Annotated[int, Query(ge=1, le=views.MAX_PAGE)] = 1,
    mode: Annotated[str | None, Query(pattern="^(hybrid|keyword|semantic)$")] = None,
    sort: Annotated[str, Query(pattern="^(relevance|newest|upvotes)$")] = "relevance",
    since: date | None = None,
    until: date | None = None,
    has_code: bool = False,
    min_upvotes: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
) -> Any:
    """Relevance-ranked search: words, "phrases", -exclusions, author:Name, cat:cs.LG."""

    def build() -> Response:
        data = views.search_view(
            context(request), q, mode, sort, Filters(since, until, has_code, min_upvotes), p, limit
        )
        return JSONResponse(
            [
                {"paper": paper_json(c), "title": c["title"], "summary": c["abstract"], "score": c["score"]}
                for c in data["papers"]
            ]
        )

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
    return {"id": paper_id, "voted": voted, "upvotes": paper.votes if paper else 0}


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
        return JSONResponse(paper_json(views.card(found)))

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
    svc.encode_submitted(paper)
    return JSONResponse(paper_json(views.card(paper)), status_code=201)


__all__ = ["router"]
