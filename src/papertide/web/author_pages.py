"""Author and organisation pages, and members claiming an author entry (a moderator decides in
the queue at /moderation). The name rule is `papertide.members.authors.name_key`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from papertide.feeds.cards import card
from papertide.ids import paper_path
from papertide.web import views
from papertide.web.context import CsrfField, context, error_response, render
from papertide.web.deps import Svc, acting_member

router = APIRouter(include_in_schema=False)


@router.get("/authors/{name:path}")
def author_page(request: Request, name: str, svc: Svc) -> Response:
    page = svc.pt.authors.page(name[:300])
    if page is None:
        return error_response(request, 404, f"no papers by {name[:100]}")
    cards = views.with_votes(context(request), views.TrendingView([views.Item(card(p)) for p in page.papers])).papers
    return render(request, "author.html", author=page, papers=cards)


@router.get("/orgs/{name:path}")
def organization_page(request: Request, name: str, svc: Svc) -> Response:
    papers = svc.pt.authors.organization(name[:300])
    if not papers:
        return error_response(request, 404, f"no papers from {name[:100]}")
    ctx = context(request)
    newest = views.with_votes(ctx, views.TrendingView([views.Item(card(p)) for p in papers])).papers
    top = sorted(newest, key=lambda i: -i.card.upvotes)[:10]
    return render(
        request, "organization.html", name=name, newest=newest, top=top, upvotes=sum(i.card.upvotes for i in newest)
    )


@router.post("/claims")
def claim(
    request: Request,
    paper_id: Annotated[str, Form(max_length=100)],
    author_name: Annotated[str, Form(max_length=300)],
    svc: Svc,
    csrf: CsrfField = "",
) -> Response:
    """A member asks to be recognised as one of a paper's authors."""
    member = acting_member(request, csrf, "report", paper_path(paper_id))
    svc.pt.authors.claim(member, paper_id, author_name)
    message = f"Your claim to be {author_name} is with the moderators; once approved, the name links to your page."
    return render(request, "message.html", title="Claim sent", message=message, back=paper_path(paper_id))
