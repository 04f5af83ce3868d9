"""The member's own things over the JSON API (a session with X-CSRF-Token for writes, or a personal
API token): collections and saving papers, saved searches, and the signals export. The same
`Papertide.personal` calls as the pages, the same refusals in the same words."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from ..cards import card
from ..model import Collection, Member, SavedSearch
from ..numbers import MAX_ROW_ID
from ..personal import Missing, PersonalError
from ..query import Filters
from .api import ERRORS, CsrfHeader
from .context import SESSION_COOKIE, BearerAuth, api_member, error_response, services
from .params import BodyRowId, QueryRowId, RowId, WholeInt
from .schemas import PaperOut, paper_out

router = APIRouter(prefix="/api", tags=["library"])
T = TypeVar("T")


class CollectionOut(BaseModel):
    id: int
    name: str
    description: str
    public: bool
    size: int
    owner: str
    createdAt: str
    updatedAt: str


class SavedPaperOut(BaseModel):
    paper: PaperOut
    note: str
    addedAt: str


class CollectionPapersOut(CollectionOut):
    papers: list[SavedPaperOut]


class CollectionIn(BaseModel):
    name: str = Field(max_length=400)
    description: str = Field("", max_length=20_000)
    public: bool = False


class SaveIn(BaseModel):
    collection_id: BodyRowId | None = Field(None, ge=1, le=MAX_ROW_ID)


class SavedOut(BaseModel):
    id: str
    collection: CollectionOut
    added: bool


class SavedSearchIn(BaseModel):
    query: str = Field(max_length=2000)
    name: str = Field("", max_length=400)
    alert: str = Field("off", pattern="^(off|immediate|digest)$")
    since: date | None = None
    until: date | None = None
    has_code: bool = False
    min_upvotes: WholeInt | None = Field(None, ge=0, le=1_000_000)


class SavedSearchOut(BaseModel):
    id: int
    name: str
    query: str
    filters: dict[str, Any]
    alert: str
    createdAt: str


def _z(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds") + "Z"


def _collection_out(request: Request, c: Collection) -> CollectionOut:
    owner = services(request).store.community.member_by_id(c.member_id)
    return CollectionOut(
        id=c.id,
        name=c.name,
        description=c.description,
        public=c.public,
        size=c.size,
        owner=owner.handle if owner else "",
        createdAt=_z(c.created_at),
        updatedAt=_z(c.updated_at),
    )


def _search_out(s: SavedSearch) -> SavedSearchOut:
    return SavedSearchOut(
        id=s.id, name=s.name, query=s.query, filters=dict(s.filters), alert=s.alert, createdAt=_z(s.created_at)
    )


def _acting(request: Request, csrf: str | None, write: bool, do: Callable[[Member], T]) -> T | Response:
    """`do(member)` for the member the call acts for; Missing → 404, PersonalError → 400."""
    member = api_member(request, csrf, "save", write=write)
    if isinstance(member, Response):
        return member
    try:
        return do(member)
    except Missing as exc:
        return error_response(request, 404, str(exc))
    except PersonalError as exc:
        return error_response(request, 400, str(exc))


@router.get("/collections", response_model=list[CollectionOut], responses=ERRORS)
def my_collections(request: Request, _bearer: BearerAuth = None) -> Any:
    """The member's collections, most recently changed first."""
    personal = services(request).pt.personal
    return _acting(request, None, False, lambda m: [_collection_out(request, c) for c in personal.collections(m.id)])


@router.post("/collections", response_model=CollectionOut, status_code=201, responses=ERRORS)
def create_collection(
    request: Request, body: Annotated[CollectionIn, Body()], x_csrf_token: CsrfHeader = None, _bearer: BearerAuth = None
) -> Any:
    personal = services(request).pt.personal
    return _acting(
        request,
        x_csrf_token,
        True,
        lambda m: _collection_out(request, personal.create_collection(m.id, body.name, body.description, body.public)),
    )


@router.get("/collections/{collection_id}", response_model=CollectionPapersOut, responses=ERRORS)
def collection(request: Request, collection_id: RowId, _bearer: BearerAuth = None) -> Any:
    """A public collection (anyone), or one of the member's own, with its papers and notes."""
    svc = services(request)
    member = None
    if request.headers.get("authorization") or request.cookies.get(SESSION_COOKIE):
        found = api_member(request, None, "save", write=False)
        member = found if isinstance(found, Member) else None
    try:
        c = svc.pt.personal.collection(collection_id, member.id if member else None)
    except Missing:
        return error_response(request, 404, "no such collection (or it is private)")
    saved = svc.pt.personal.items(c)
    papers = [SavedPaperOut(paper=paper_out(card(s.paper)), note=s.note, addedAt=_z(s.added_at)) for s in saved]
    return CollectionPapersOut(**_collection_out(request, c).model_dump(), papers=papers)


def _save(request: Request, paper_id: str, collection_id: int | None, csrf: str | None) -> Any:
    personal = services(request).pt.personal

    def save(m: Member) -> SavedOut:
        c, added = personal.save(m.id, paper_id, collection_id)
        return SavedOut(id=paper_id, collection=_collection_out(request, c), added=added)

    return _acting(request, csrf, True, save)


@router.post("/papers/{paper_id:path}/save", response_model=SavedOut, responses=ERRORS)
def save_paper(
    request: Request,
    paper_id: str,
    body: Annotated[SaveIn | None, Body()] = None,
    x_csrf_token: CsrfHeader = None,
    _bearer: BearerAuth = None,
) -> Any:
    """Save a paper to a collection (`collection_id`), or to the member's Reading list (idempotent)."""
    return _save(request, paper_id, body.collection_id if body else None, x_csrf_token)


@router.delete("/papers/{paper_id:path}/save", responses=ERRORS)
def unsave_paper(
    request: Request,
    paper_id: str,
    collection_id: QueryRowId,
    x_csrf_token: CsrfHeader = None,
    _bearer: BearerAuth = None,
) -> Any:
    """Take a paper out of one of the member's collections (idempotent)."""
    personal = services(request).pt.personal
    removed = _acting(request, x_csrf_token, True, lambda m: personal.unsave(m.id, paper_id, collection_id))
    return removed if isinstance(removed, Response) else JSONResponse({"id": paper_id, "removed": removed})


class MoreLikeThisOut(BaseModel):
    id: str
    moreLikeThis: bool


def _more(request: Request, paper_id: str, marked: bool, csrf: str | None) -> Any:
    personal = services(request).pt.personal

    def mark(m: Member) -> MoreLikeThisOut:
        personal.more_like_this(m.id, paper_id, marked)
        return MoreLikeThisOut(id=paper_id, moreLikeThis=marked)

    return _acting(request, csrf, True, mark)


@router.post("/papers/{paper_id:path}/more-like-this", response_model=MoreLikeThisOut, responses=ERRORS)
def mark_more_like_this(
    request: Request, paper_id: str, x_csrf_token: CsrfHeader = None, _bearer: BearerAuth = None
) -> Any:
    """A private "more like this" mark (idempotent): recommendations treat it as a like."""
    return _more(request, paper_id, True, x_csrf_token)


@router.delete("/papers/{paper_id:path}/more-like-this", response_model=MoreLikeThisOut, responses=ERRORS)
def unmark_more_like_this(
    request: Request, paper_id: str, x_csrf_token: CsrfHeader = None, _bearer: BearerAuth = None
) -> Any:
    return _more(request, paper_id, False, x_csrf_token)


@router.get("/saved-searches", response_model=list[SavedSearchOut], responses=ERRORS)
def saved_searches(request: Request, _bearer: BearerAuth = None) -> Any:
    personal = services(request).pt.personal
    return _acting(request, None, False, lambda m: [_search_out(s) for s in personal.searches(m.id)])


@router.post("/saved-searches", response_model=SavedSearchOut, status_code=201, responses=ERRORS)
def create_saved_search(
    request: Request,
    body: Annotated[SavedSearchIn, Body()],
    x_csrf_token: CsrfHeader = None,
    _bearer: BearerAuth = None,
) -> Any:
    """Save a search (`query` as typed in the search box, optional filters); `alert` sends new matches
    by email after each update (`immediate`) or in the member's digest (`digest`)."""
    personal = services(request).pt.personal
    filters = Filters(body.since, body.until, body.has_code, body.min_upvotes)
    if body.since and body.until and body.since > body.until:
        return error_response(request, 400, "since is after until")
    return _acting(
        request,
        x_csrf_token,
        True,
        lambda m: _search_out(personal.save_search(m.id, body.query, filters, body.name, body.alert)),
    )


@router.delete("/saved-searches/{search_id}", status_code=204, response_class=Response, responses=ERRORS)
def delete_saved_search(
    request: Request, search_id: RowId, x_csrf_token: CsrfHeader = None, _bearer: BearerAuth = None
) -> Response:
    personal = services(request).pt.personal
    done = _acting(request, x_csrf_token, True, lambda m: personal.delete_search(m.id, search_id))
    return done if isinstance(done, Response) else Response(status_code=204)


@router.get("/me/signals", responses=ERRORS)
def my_signals(request: Request, _bearer: BearerAuth = None) -> Any:
    """Everything the member told papertide about papers: upvoted, saved, not interested, opened."""
    personal = services(request).pt.personal
    return _acting(request, None, False, lambda m: JSONResponse(personal.signals(m.id).to_json()))
