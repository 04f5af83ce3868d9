"""HTML pages: each builds its data with a `views` function and renders a template."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from .. import listings
from ..accounts import RateLimited
from ..cards import bibtex, card
from ..ids import paper_path
from ..markdown import paper_markdown
from ..model import Member
from ..query import MAX_QUERY_CHARS, Filters, QueryError
from ..submissions import SubmissionError, submit
from . import views
from .context import (
    FORM_EXPIRED,
    CsrfField,
    NextField,
    Visitor,
    client_key,
    context,
    csrf_valid,
    error_response,
    finish,
    render,
    safe_next,
    services,
    shared_for_anonymous,
    shared_page,
    signin_redirect,
    visitor,
)
from .params import Search, Short, period_params, search_params

router = APIRouter(include_in_schema=False)


def _redirect(request: Request, target: str) -> Response:
    return finish(request, RedirectResponse(target, status_code=303))


@router.get("/")
@router.get("/papers")
def daily_page(
    request: Request,
    date: Short = None,
    week: Short = None,
    month: Short = None,
    sort: Short = "upvotes",
) -> Response:
    try:
        period = period_params(date, week, month)
    except listings.PeriodError as exc:
        return error_response(request, 400, str(exc))
    chosen = sort if sort in ("upvotes", "publishedAt", "trending") else "upvotes"
    return shared_page(request, "daily.html", lambda ctx: views.daily_view(ctx, period, chosen, home=True))


@router.get("/papers/trending")
def trending_page(request: Request, by: Short = "upvotes") -> Response:
    if by not in ("upvotes", "github"):
        return error_response(request, 400, "by must be upvotes or github")
    chosen = by or "upvotes"
    return shared_page(request, "trending.html", lambda ctx: views.trending_view(ctx, by=chosen))


@router.get("/search")
def search_page(request: Request) -> Response:
    try:
        asked = search_params(**_search_args(request))
    except QueryError as exc:
        return render(request, "search.html", status_code=400, data=_no_results(request), error=str(exc))
    if not asked.q:
        return render(request, "search.html", data=_no_results(request, asked))
    try:
        return shared_page(
            request,
            "search.html",
            lambda ctx: views.search_view(
                ctx, asked.q, asked.mode, asked.sorted_by("relevance"), asked.filters, asked.page
            ),
        )
    except QueryError as exc:
        return render(request, "search.html", status_code=400, data=_no_results(request, asked), error=str(exc))


def _search_args(request: Request) -> dict[str, str | None]:
    """The search parameters as sent (the page reads them itself to answer errors in the page)."""
    names = ("q", "mode", "sort", "since", "until", "has_code", "min_upvotes", "p")
    return {n: request.query_params.get(n) for n in names}


def _no_results(request: Request, asked: Search | None = None) -> views.SearchView:
    """The search page with its form filled in as far as it could be read, and no results."""
    # Echoed into the title, both forms and the date presets: never more than a usable query.
    q = (asked.q if asked else request.query_params.get("q") or "")[:MAX_QUERY_CHARS]
    filters = asked.filters if asked else Filters()
    sort = asked.sorted_by("relevance") if asked else "relevance"
    return views.SearchView(q, (asked.mode if asked else None) or "keyword", sort, filters, 1, False, [])


@router.get("/papers/{paper_id:path}")
def paper_page(request: Request, paper_id: str) -> Response:
    """A paper's page; as Markdown at /papers/ID.md or when asked with `Accept: text/markdown`."""
    store = services(request).store
    paper = store.get(paper_id)
    as_markdown = "text/markdown" in request.headers.get("accept", "")
    if paper is None and paper_id.endswith(".md"):
        paper, as_markdown = store.get(paper_id.removesuffix(".md")), True
    if paper is None:
        return error_response(request, 404, f"no paper {paper_id}")
    if as_markdown:
        found = paper

        def markdown() -> Response:
            text = paper_markdown(card(found), services(request).config.base_url, bibtex(found))
            return Response(text, media_type="text/markdown; charset=utf-8", headers={"Vary": "Accept"})

        # Shared only under its own URL: the cache is keyed by URL, and /papers/ID is also the HTML page.
        return shared_for_anonymous(request, markdown) if paper_id.endswith(".md") else markdown()
    member, svc = visitor(request).member, services(request)
    if member is None:
        return shared_page(request, "paper.html", lambda ctx: views.paper_view(ctx, paper))
    svc.pt.personal.opened(member.id, paper)  # a signal, and "hide what I've seen"
    return render(
        request,
        "paper.html",
        data=views.paper_view(context(request), paper),
        collections=svc.pt.personal.collections(member.id),
        holding=svc.pt.personal.holding(member.id, [paper.id]).get(paper.id, set()),
    )


@router.get("/u/{handle}")
def member_page(request: Request, handle: str) -> Response:
    member = services(request).store.community.member_by_handle(handle)
    if member is None:
        return error_response(request, 404, f"no member {handle}")
    return render(request, "member.html", data=views.member_view(context(request), member))


@router.get("/for-you")
def for_you_page(request: Request, window: Short = "all") -> Response:
    v = visitor(request)
    if v.member is None:
        return _redirect(request, signin_redirect("/for-you"))
    if window not in views.FOR_YOU_WINDOWS:
        return error_response(request, 400, f"window must be one of {', '.join(views.FOR_YOU_WINDOWS)}")
    chosen = window or "all"
    return render(request, "for_you.html", data=views.for_you_view(context(request), v.member, window=chosen))


@router.post("/not-interested")
def not_interested(
    request: Request,
    paper_id: Annotated[str, Form(max_length=100)],
    undo: Annotated[bool, Form()] = False,
    csrf: CsrfField = "",
    next: NextField = "/for-you",
) -> Response:
    """Mark a paper "not interested" (or take the mark back): a negative signal for recommendations."""
    found = member_paper_action(request, csrf, paper_id, next)
    if isinstance(found, Response):
        return found
    (member, pk), svc = found, services(request)
    svc.store.community.set_not_interested(member.id, pk, not undo, svc.clock())
    return _redirect(request, safe_next(next))


# --- votes and submissions ----------------------------------------------------------------------------
def member_action(request: Request, csrf: str | None, action: str, back: str = "/") -> Visitor | Response:
    """The signed-in visitor, after CSRF and rate-limit checks; else the response to send."""
    v = visitor(request)
    if not csrf_valid(request, csrf):
        return error_response(request, 403, FORM_EXPIRED)
    if v.member is None:
        return _redirect(request, signin_redirect(safe_next(back)))
    try:
        services(request).accounts.limit(action, client_key(request), f"member:{v.member.id}")
    except RateLimited as exc:
        return error_response(request, 429, str(exc))
    return v


def acting_member(request: Request, csrf: str | None, action: str, back: str = "/") -> Member | Response:
    """The member behind a form post (CSRF and the `action` rate limit checked); else the response."""
    v = member_action(request, csrf, action, back)
    if isinstance(v, Response):
        return v
    assert v.member is not None
    return v.member


def member_paper_action(request: Request, csrf: str | None, paper_id: str, back: str) -> tuple[Member, int] | Response:
    """A form's member and the pk of the paper it acts on (checks as `member_action`); else the response."""
    v = member_action(request, csrf, "vote", back)
    if isinstance(v, Response):
        return v
    pk = services(request).store.pks_for_ids([paper_id]).get(paper_id)
    if pk is None or v.member is None:
        return error_response(request, 404, f"no paper {paper_id}")
    return v.member, pk


@router.post("/upvote")
def upvote(
    request: Request,
    paper_id: Annotated[str, Form(max_length=100)],
    csrf: CsrfField = "",
    next: NextField = "/",
) -> Response:
    found = member_paper_action(request, csrf, paper_id, next)
    if isinstance(found, Response):
        return found
    (member, pk), svc = found, services(request)
    svc.store.community.set_vote(member.id, pk, None, svc.clock())
    return _redirect(request, safe_next(next))


@router.get("/submit")
def submit_form(request: Request) -> Response:
    if visitor(request).member is None:
        return _redirect(request, signin_redirect("/submit"))
    return render(request, "submit.html", arxiv_id="")


@router.post("/submit")
def submit_paper(
    request: Request,
    arxiv_id: Annotated[str, Form(max_length=200)],
    csrf: CsrfField = "",
) -> Response:
    v = member_action(request, csrf, "submit", "/submit")
    if isinstance(v, Response):
        return v
    svc = services(request)
    assert v.member is not None
    try:
        paper = submit(svc.store, v.member, arxiv_id, svc.fetch, svc.clock(), svc.config.rules)
    except SubmissionError as exc:
        return render(
            request,
            "submit.html",
            status_code=409 if exc.existing_id else 400,
            arxiv_id=arxiv_id,
            error=str(exc),
            existing_id=exc.existing_id,
        )
    svc.after_submission(paper)
    return _redirect(request, paper_path(paper.id))
