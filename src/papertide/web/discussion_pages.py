"""A paper's discussion on the web: post, reply, edit and delete (forms and the JSON API), its Atom
feed, @-mention mail (after the answer, through the account mailer), and the mention-mail opt-out.
The comments themselves are rendered by `papertide.members.discussions` (Markdown, then an allow-list)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Body, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from papertide.feeds.cards import card
from papertide.ids import paper_path
from papertide.members.discussions import MAX_BODY, Shown
from papertide.model import Comment, Member
from papertide.numbers import MAX_ROW_ID
from papertide.web.accounts import send_account_mail
from papertide.web.api import ERRORS
from papertide.web.context import (
    BearerAuth,
    CsrfField,
    Services,
    api_member,
    error_response,
    finish,
    render,
    services,
    signin_redirect,
    visitor,
)
from papertide.web.deps import CsrfHeader, PaperOr404, Svc, Who, acting_member
from papertide.web.feeds import MEDIA_TYPE, AtomEntry, atom_document, atom_time
from papertide.web.params import BodyRowId, FormRowId, RowId

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["discussions"])
BodyField = Annotated[str, Form(max_length=4 * MAX_BODY)]


def notify_mentions(svc: Services, comment: Comment) -> None:
    """Mail each member the comment @-mentions (verified, not opted out, not its author)."""
    paper = svc.pt.get(comment.paper_id)
    title = card(paper).title if paper else comment.paper_id
    for member_id, _email in svc.pt.discussions.to_notify(comment):
        member = svc.pt.accounts.member_by_id(member_id)
        if member is None:
            continue
        excerpt = comment.body if len(comment.body) <= 600 else comment.body[:600] + "…"
        body = (
            f"Hello {member.handle},\n\n{comment.handle} mentioned you in the discussion of “{title}”:\n\n"
            f"{excerpt}\n\n{svc.config.base_url}{paper_path(comment.paper_id)}#comment-{comment.id}\n\n"
            f"Stop these mails: {svc.config.base_url}/settings/digest#mentions"
        )
        send_account_mail(svc, member, f"{svc.config.site_name}: {comment.handle} mentioned you", body, "mention")


def _back(request: Request, paper_id: str, comment_id: int | None = None) -> Response:
    anchor = f"#comment-{comment_id}" if comment_id else "#discussion"
    return finish(request, RedirectResponse(paper_path(paper_id) + anchor, status_code=303))


def _member(request: Request, csrf: str, back: str) -> Member:
    return acting_member(request, csrf, "comment", back)


@router.post("/papers/{paper_id:path}/comments")
def post_comment(
    request: Request,
    paper_id: str,
    tasks: BackgroundTasks,
    body: BodyField = "",
    parent_id: FormRowId = None,
    csrf: CsrfField = "",
) -> Response:
    member = _member(request, csrf, paper_path(paper_id))
    svc = services(request)
    made = svc.pt.discussions.post(member, paper_id, body, parent_id)

    tasks.add_task(notify_mentions, svc, made)
    return _back(request, paper_id, made.id)


@router.get("/comments/{comment_id}/edit")
def edit_form(request: Request, comment_id: RowId, svc: Svc) -> Response:
    """The form an "Edit or delete" link opens: the member's own live comment only."""
    member = visitor(request).member
    if member is None:
        return finish(request, RedirectResponse(signin_redirect(f"/comments/{comment_id}/edit"), status_code=303))
    found = svc.pt.discussions.get(comment_id)
    if found is None or found.member_id != member.id or found.deleted_at is not None:
        return error_response(request, 404, "no such comment of yours")
    return render(request, "comment_edit.html", comment=found)


@router.post("/comments/{comment_id}")
def change_comment(
    request: Request,
    comment_id: RowId,
    action: Annotated[str, Form(max_length=10)],
    body: BodyField = "",
    csrf: CsrfField = "",
) -> Response:
    """edit (with `body`) or delete one of the member's own comments."""
    svc = services(request)
    found = svc.pt.discussions.get(comment_id)
    member = _member(request, csrf, paper_path(found.paper_id) if found else "/")
    if found is None:
        return error_response(request, 404, "no such comment")
    if action == "edit":
        svc.pt.discussions.edit(member, comment_id, body)
    elif action == "delete":
        svc.pt.discussions.delete(member, comment_id)
    else:
        return error_response(request, 400, "action must be edit or delete")

    return _back(request, found.paper_id, comment_id)


@router.post("/settings/mentions")
def mention_mail_setting(
    request: Request, svc: Svc, wanted: Annotated[bool, Form()] = False, csrf: CsrfField = ""
) -> Response:
    member = _member(request, csrf, "/settings/digest")
    svc.pt.discussions.set_mention_mail(member, wanted)
    return finish(request, RedirectResponse("/settings/digest?saved=1#mentions", status_code=303))


@router.get("/feeds/comments/{paper_id:path}")
def discussion_feed(paper: PaperOr404, svc: Svc) -> Response:
    """A paper's discussion as Atom, newest first (what any reader may read: `Shown.readable_by`)."""
    base, title = svc.config.base_url, card(paper).title
    shown = [s for s in svc.pt.discussions.thread(paper.id) if s.readable_by(moderator=False)]
    latest = max((s.comment.edited_at or s.comment.created_at for s in shown), default=svc.clock())
    entries = [
        AtomEntry(
            title=f"{s.comment.handle} on {title}",
            url=f"{base}{paper_path(paper.id)}#comment-{s.comment.id}",
            updated=atom_time(s.comment.edited_at or s.comment.created_at),
            published=atom_time(s.comment.created_at),
            authors=(s.comment.handle,),
            html=s.html,  # sanitised HTML, escaped once more by the XML writer
        )
        for s in sorted(shown, key=lambda s: s.comment.id, reverse=True)[:100]
    ]
    feed_title = f"{svc.config.site_name}: discussion of {title}"
    body = atom_document(feed_title, f"{base}/feeds/comments/{paper.id}", base + paper_path(paper.id), latest, entries)
    return Response(body, media_type=MEDIA_TYPE)


# --- the API ------------------------------------------------------------------------------------------
class CommentIn(BaseModel):
    body: str = Field(max_length=4 * MAX_BODY)
    parent_id: BodyRowId | None = Field(None, ge=1, le=MAX_ROW_ID)


class CommentOut(BaseModel):
    id: int
    paperId: str
    author: str
    parentId: int | None
    body: str = Field(description="Markdown as written (empty once deleted)")
    html: str = Field(description="the body rendered and sanitised")
    depth: int
    createdAt: str
    editedAt: str | None
    deleted: bool
    hidden: bool = Field(False, description="hidden by a moderator (its text is withheld)")


def _out(s: Shown, moderator: bool = False) -> CommentOut:
    s = s.as_read_by(moderator)
    c = s.comment
    return CommentOut(
        id=c.id,
        paperId=c.paper_id,
        author=c.handle,
        parentId=c.parent_id,
        body=c.body,
        html=s.html,
        depth=s.depth,
        createdAt=c.created_at.isoformat(timespec="milliseconds") + "Z",
        editedAt=c.edited_at.isoformat(timespec="milliseconds") + "Z" if c.edited_at else None,
        deleted=s.deleted,
        hidden=s.hidden,
    )


@api_router.get("/papers/{paper_id:path}/comments", response_model=list[CommentOut], responses=ERRORS)
def list_comments(paper: PaperOr404, svc: Svc, who: Who) -> Any:
    """The paper's discussion in reading order (each comment followed by its replies)."""
    moderator = who.member is not None and who.member.moderates
    return [_out(s, moderator) for s in svc.pt.discussions.thread(paper.id)]


@api_router.post("/papers/{paper_id:path}/comments", response_model=CommentOut, status_code=201, responses=ERRORS)
def add_comment(
    request: Request,
    paper_id: str,
    body: Annotated[CommentIn, Body()],
    tasks: BackgroundTasks,
    x_csrf_token: CsrfHeader = None,
    _bearer: BearerAuth = None,
) -> Any:
    """Comment on a paper, or reply (`parent_id`); Markdown, $LaTeX$ shown readably, @handle mentions."""
    member = api_member(request, x_csrf_token, "comment")
    svc = services(request)
    made = svc.pt.discussions.post(member, paper_id, body.body, body.parent_id)

    tasks.add_task(notify_mentions, svc, made)
    shown = next(s for s in svc.pt.discussions.thread(paper_id) if s.comment.id == made.id)
    return _out(shown)
