"""HTML pages: each builds its data with a `views` function and renders a template."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from papertide.feeds.cards import bibtex, card
from papertide.feeds.markdown import paper_markdown
from papertide.ids import paper_path
from papertide.members.votes import NoSuchPaper
from papertide.query import MAX_QUERY_CHARS, Filters, QueryError
from papertide.web import views
from papertide.web.context import (
    NextField,
    context,
    error_response,
    render,
    safe_next,
    services,
    shared_for_anonymous,
    shared_page,
    visitor,
)
from papertide.web.deps import PaperIdField, SignedIn, Submitter, Svc, Voter, redirect, refusals_shown_on
from papertide.web.params import Search, Short, period_params, search_params

router = APIRouter(include_in_schema=False)


@router.get("/")
@router.get("/papers")
def daily_page(
    request: Request,
    date: Short = None,
    week: Short = None,
    month: Short = None,
    sort: Short = "upvotes",
) -> Response:
    period = period_params(date, week, month)  # PeriodError: a 400 (app.py)
    chosen = sort if sort in ("upvotes", "publishedAt", "trending") else "upvotes"
    return shared_page(request, "daily.html", lambda ctx: views.daily_view(ctx, period, chosen, home=True))


@router.get("/papers/trending")
def trending_page(request: Request, by: Short = "upvotes") -> Response:
    if by not in ("upvotes", "github"):
        return error_response(request, 400, "by must be upvotes or github")
    chosen = by or "upvotes"
    return shared_page(request, "trending.html", lambda ctx: views.trending_view(ctx, by=chosen))


def _search_args(request: Request) -> dict[str, str | None]:
    """The search parameters as sent (the page reads them itself to answer errors in the page)."""
    names = ("q", "mode", "sort", "since", "until", "has_code", "min_upvotes", "p")
    return {n: request.query_params.get(n) for n in names}


def _no_results(request: Request, **_route_args: object) -> dict[str, Any]:
    """The search page with its form filled in as far as the parameters can be read, and no results."""
    try:
        asked: Search | None = search_params(**_search_args(request))
    except QueryError:
        asked = None
    # Echoed into the title, both forms and the date presets: never more than a usable query.
    q = (asked.q if asked else request.query_params.get("q") or "")[:MAX_QUERY_CHARS]
    filters = asked.filters if asked else Filters()
    sort = asked.sorted_by("relevance") if asked else "relevance"
    return {"data": views.SearchView(q, (asked.mode if asked else None) or "keyword", sort, filters, 1, False, [])}


@router.get("/search")
@refusals_shown_on("search.html", context=_no_results)
def search_page(request: Request) -> Response:
    """Results, or the form again with the reason (an unusable query or option: a 400)."""
    asked = search_params(**_search_args(request))
    if not asked.q:
        return render(request, "search.html", **_no_results(request))
    return shared_page(
        request,
        "search.html",
        lambda ctx: views.search_view(
            ctx, asked.q, asked.mode, asked.sorted_by("relevance"), asked.filters, asked.page
        ),
    )


@router.get("/papers/{paper_id:path}")
def paper_page(request: Request, paper_id: str) -> Response:
    """A paper's page; as Markdown at /papers/ID.md or when asked with `Accept: text/markdown`."""
    pt = services(request).pt
    paper = pt.get(paper_id)
    as_markdown = "text/markdown" in request.headers.get("accept", "")
    if paper is None and paper_id.endswith(".md"):
        paper, as_markdown = pt.get(paper_id.removesuffix(".md")), True
    if paper is None:
        raise NoSuchPaper(paper_id)
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
def member_page(request: Request, handle: str, svc: Svc) -> Response:
    member = svc.pt.accounts.member_named(handle)  # NoSuchMember: a 404
    return render(request, "member.html", data=views.member_view(context(request), member))


@router.get("/for-you")
def for_you_page(request: Request, member: SignedIn, window: Short = "all") -> Response:
    if window not in views.FOR_YOU_WINDOWS:
        return error_response(request, 400, f"window must be one of {', '.join(views.FOR_YOU_WINDOWS)}")
    chosen = window or "all"
    return render(request, "for_you.html", data=views.for_you_view(context(request), member, window=chosen))


@router.post("/not-interested")
def not_interested(
    request: Request,
    paper_id: PaperIdField,
    member: Voter,
    svc: Svc,
    undo: Annotated[bool, Form()] = False,
    next: NextField = "/for-you",
) -> Response:
    """Mark a paper "not interested" (or take the mark back): a negative signal for recommendations."""
    svc.pt.votes.not_interested(member.id, paper_id, not undo)
    return redirect(request, safe_next(next))


# --- votes and submissions ----------------------------------------------------------------------------
@router.post("/upvote")
def upvote(request: Request, paper_id: PaperIdField, member: Voter, svc: Svc, next: NextField = "/") -> Response:
    svc.pt.votes.vote(member.id, paper_id, None)
    return redirect(request, safe_next(next))


@router.get("/submit")
def submit_form(request: Request, _member: SignedIn) -> Response:
    return render(request, "submit.html", arxiv_id="")


@router.post("/submit")
@refusals_shown_on("submit.html", "arxiv_id")
def submit_paper(
    request: Request, arxiv_id: Annotated[str, Form(max_length=200)], member: Submitter, svc: Svc
) -> Response:
    paper = svc.pt.submit(member, arxiv_id, svc.fetch, svc.config.rules)
    return redirect(request, paper_path(paper.id))
