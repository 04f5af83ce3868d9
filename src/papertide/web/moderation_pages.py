"""Reports and moderation on the web: any member reports a comment or a paper; moderators work
the queue at /moderation (hide or restore a comment, suspend a member, dismiss a report); admins
read the log at /moderation/log. Every act goes through `Papertide.moderation`, which logs it."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from papertide.web.context import (
    CsrfField,
    NextField,
    error_response,
    finish,
    render,
    safe_next,
    signin_redirect,
    visitor,
)
from papertide.web.deps import Svc, acting_member
from papertide.web.params import FormRowId

router = APIRouter(include_in_schema=False)
Reason = Annotated[str, Form(max_length=4000)]


@router.get("/report")
def report_form(
    request: Request,
    kind: Annotated[str, Query(max_length=16)] = "comment",
    target: Annotated[str, Query(max_length=64)] = "",
    next: Annotated[str, Query(max_length=2000)] = "/",
) -> Response:
    """The form a "Report" link opens (one form here instead of one under every comment)."""
    if visitor(request).member is None:
        back = "/report?" + urlencode({"kind": kind, "target": target})
        return finish(request, RedirectResponse(signin_redirect(back), status_code=303))
    if kind not in ("comment", "paper") or not target:
        return error_response(request, 400, "kind must be comment or paper, and target what to report")
    return render(request, "report.html", kind=kind, target=target, back=safe_next(next))


@router.post("/report")
def report(
    request: Request,
    kind: Annotated[str, Form(max_length=16)],
    target: Annotated[str, Form(max_length=64)],
    svc: Svc,
    reason: Reason = "",
    csrf: CsrfField = "",
    next: NextField = "/",
) -> Response:
    """Report a comment or a paper to the moderators."""
    member = acting_member(request, csrf, "report", next)
    svc.pt.moderation.report(member, kind, target, reason)
    return render(
        request,
        "message.html",
        title="Reported",
        message="Thank you: the moderators will look at it.",
        back=safe_next(next),
    )


@router.get("/moderation")
def queue(request: Request, svc: Svc) -> Response:
    member = visitor(request).member
    if member is None:
        return finish(request, RedirectResponse(signin_redirect("/moderation"), status_code=303))
    reports = svc.pt.moderation.queue(member)
    return render(request, "moderation.html", reports=reports, claims=svc.pt.moderation.claims(member))


@router.post("/moderation")
def act(
    request: Request,
    action: Annotated[str, Form(max_length=16)],
    svc: Svc,
    report_id: FormRowId = None,
    comment_id: FormRowId = None,
    claim_id: FormRowId = None,
    handle: Annotated[str, Form(max_length=64)] = "",
    reason: Reason = "",
    csrf: CsrfField = "",
    next: NextField = "/moderation",
) -> Response:
    """hide / restore (comment_id), suspend / unsuspend (handle), dismiss (report_id)."""
    member = acting_member(request, csrf, "moderate", "/moderation")
    moderation = svc.pt.moderation
    if action in ("hide", "restore") and comment_id is not None:
        moderation.hide_comment(member, comment_id, reason, hidden=action == "hide")
    elif action in ("suspend", "unsuspend") and handle:
        moderation.suspend(member, handle, reason, suspended=action == "suspend")
    elif action == "dismiss" and report_id is not None:
        moderation.dismiss(member, report_id)
    elif action in ("approve", "reject") and claim_id is not None:
        moderation.decide_claim(member, claim_id, approve=action == "approve")
    else:
        return error_response(
            request,
            400,
            "action must be hide or restore (comment_id), suspend or unsuspend (handle), dismiss (report_id), "
            "or approve or reject (claim_id)",
        )

    return finish(request, RedirectResponse(safe_next(next), status_code=303))


@router.get("/moderation/log")
def log(request: Request, svc: Svc) -> Response:
    member = visitor(request).member
    if member is None:
        return finish(request, RedirectResponse(signin_redirect("/moderation/log"), status_code=303))
    entries = svc.pt.moderation.log(member)
    return render(request, "moderation_log.html", entries=entries)
