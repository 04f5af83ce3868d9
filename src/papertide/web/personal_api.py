"""The member's own things over the JSON API (a session with X-CSRF-Token for writes, or a personal
API token): collections and saving papers, saved searches, and the signals export. The same
`Papertide.personal` calls as the pages, the same refusals in the same words."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from papertide.feeds.cards import card
from papertide.model import Collection, Member, SavedSearch
from papertide.numbers import MAX_ROW_ID
from papertide.query import Filters
from papertide.web.api import ERRORS
from papertide.web.context import SESSION_COOKIE, api_member, services
from papertide.web.deps import ApiSaver, ApiSaverReading, Svc
from papertide.web.params import BodyRowId, QueryRowId, RowId, WholeInt
from papertide.web.schemas import PaperOut, paper_out

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
    owner = services(request).pt.accounts.member_by_id(c.member_id)
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


@router.get("/collections", response_model=list[CollectionOut], responses=ERRORS)
def my_collections(request: Request, member: ApiSaverReading, svc: Svc) -> Any:
    """The member's collections, most recently changed first."""
    return [_collection_out(request, c) for c in svc.pt.personal.collections(member.id)]


@router.post("/collections", response_model=CollectionOut, status_code=201, responses=ERRORS)
def create_collection(request: Request, body: Annotated[CollectionIn, Body()], member: ApiSaver, svc: Svc) -> Any:
    made = svc.pt.personal.create_collection(member.id, body.name, body.description, body.public)
    return _collection_out(request, made)


def _viewer(request: Request) -> Member | None:
    """Who reads a collection: a caller with credentials is checked as any API read; anyone else is
    nobody in particular (public collections only)."""
    if request.headers.get("authorization") or request.cookies.get(SESSION_COOKIE):
        return api_member(request, None, "save", write=False)
    return None


@router.get("/collections/{collection_id}", response_model=CollectionPapersOut, responses=ERRORS)
def collection(
    request: Request, collection_id: RowId, viewer: Annotated[Member | None, Depends(_viewer)], svc: Svc
) -> Any:
    """A public collection (anyone), or one of the member's own, with its papers and notes."""
    c = svc.pt.personal.collection(collection_id, viewer.id if viewer else None)  # else a 404
    saved = svc.pt.personal.items(c)
    papers = [SavedPaperOut(paper=paper_out(card(s.paper)), note=s.note, addedAt=_z(s.added_at)) for s in saved]
    return CollectionPapersOut(**_collection_out(request, c).model_dump(), papers=papers)


@router.post("/papers/{paper_id:path}/save", response_model=SavedOut, responses=ERRORS)
def save_paper(
    request: Request, paper_id: str, member: ApiSaver, svc: Svc, body: Annotated[SaveIn | None, Body()] = None
) -> Any:
    """Save a paper to a collection (`collection_id`), or to the member's Reading list (idempotent)."""
    c, added = svc.pt.personal.save(member.id, paper_id, body.collection_id if body else None)
    return SavedOut(id=paper_id, collection=_collection_out(request, c), added=added)


@router.delete("/papers/{paper_id:path}/save", responses=ERRORS)
def unsave_paper(paper_id: str, collection_id: QueryRowId, member: ApiSaver, svc: Svc) -> Any:
    """Take a paper out of one of the member's collections (idempotent)."""
    removed = svc.pt.personal.unsave(member.id, paper_id, collection_id)
    return JSONResponse({"id": paper_id, "removed": removed})


class MoreLikeThisOut(BaseModel):
    id: str
    moreLikeThis: bool


@router.post("/papers/{paper_id:path}/more-like-this", response_model=MoreLikeThisOut, responses=ERRORS)
def mark_more_like_this(paper_id: str, member: ApiSaver, svc: Svc) -> Any:
    """A private "more like this" mark (idempotent): recommendations treat it as a like."""
    svc.pt.personal.more_like_this(member.id, paper_id, True)
    return MoreLikeThisOut(id=paper_id, moreLikeThis=True)


@router.delete("/papers/{paper_id:path}/more-like-this", response_model=MoreLikeThisOut, responses=ERRORS)
def unmark_more_like_this(paper_id: str, member: ApiSaver, svc: Svc) -> Any:
    svc.pt.personal.more_like_this(member.id, paper_id, False)
    return MoreLikeThisOut(id=paper_id, moreLikeThis=False)


@router.get("/saved-searches", response_model=list[SavedSearchOut], responses=ERRORS)
def saved_searches(member: ApiSaverReading, svc: Svc) -> Any:
    return [_search_out(s) for s in svc.pt.personal.searches(member.id)]


@router.post("/saved-searches", response_model=SavedSearchOut, status_code=201, responses=ERRORS)
def create_saved_search(body: Annotated[SavedSearchIn, Body()], member: ApiSaver, svc: Svc) -> Any:
    """Save a search (`query` as typed in the search box, optional filters); `alert` sends new matches
    by email after each update (`immediate`) or in the member's digest (`digest`)."""
    filters = Filters(body.since, body.until, body.has_code, body.min_upvotes)  # QueryError: a 400
    return _search_out(svc.pt.personal.save_search(member.id, body.query, filters, body.name, body.alert))


@router.delete("/saved-searches/{search_id}", status_code=204, response_class=Response, responses=ERRORS)
def delete_saved_search(search_id: RowId, member: ApiSaver, svc: Svc) -> Response:
    svc.pt.personal.delete_search(member.id, search_id)
    return Response(status_code=204)


@router.get("/me/signals", responses=ERRORS)
def my_signals(member: ApiSaverReading, svc: Svc) -> Any:
    """Everything the member told papertide about papers (upvoted, saved, more like this, not
    interested, opened), their collections and saved searches: the same as /signals.json."""
    return JSONResponse(svc.pt.personal.export(member))
