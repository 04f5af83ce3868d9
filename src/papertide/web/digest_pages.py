"""The digest's pages: settings (and the same over the API), the signed one-click unsubscribe
(RFC 8058) and the web view of a digest."""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import APIRouter, BackgroundTasks, Body, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from papertide import digest
from papertide.dates import DateError, parse_day
from papertide.mail.links import member_sig_ok
from papertide.members.accounts import AccountError
from papertide.model import Member, Subscription
from papertide.numbers import MAX_ROW_ID, whole_or_none
from papertide.web.accounts import send_verification
from papertide.web.context import error_response, render, services, visitor
from papertide.web.deps import ApiReader, ApiSettings, SignedIn, Svc, acting_member, refusals_shown_on
from papertide.web.params import WholeInt

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["digest"])
log = logging.getLogger("papertide.web")
TIMEZONES = sorted(available_timezones())


# --- digest settings --------------------------------------------------------------------------------
def subscription_from_form(member_id: int, form: dict[str, Any]) -> Subscription:
    """A Subscription from submitted choices; AccountError names a field that is not acceptable."""
    frequency = form.get("frequency", "daily")
    if frequency not in digest.FREQUENCIES:
        raise AccountError("frequency is daily or weekly", "frequency")
    hour = whole_or_none(form.get("send_hour", "8"), 0, 23)
    if hour is None:
        raise AccountError("the hour is between 0 and 23", "send_hour")
    zone = form.get("timezone", "UTC")
    if zone not in TIMEZONES:
        raise AccountError(f"unknown time zone {str(zone)[:60]!r}", "timezone")
    sections = tuple(s for s in digest.SECTIONS if s in form.get("sections", ()))
    if not sections:
        raise AccountError("choose at least one section", "sections")
    return Subscription(
        member_id, bool(form.get("active", True)), frequency, bool(form.get("weekdays_only")), hour, zone, sections
    )


@router.get("/settings/digest")
def digest_settings(request: Request, member: SignedIn, svc: Svc) -> Response:
    sub = svc.pt.digests.subscription(member.id)
    return render(
        request,
        "settings_digest.html",
        sub=sub or Subscription(member.id, active=False),
        subscribed=bool(sub and sub.active),
        timezones=TIMEZONES,
        verified=member.verified_at is not None,
        bounced=member.email_status == "bounced",
        email=member.email,
    )


def _refused_settings(request: Request, **_route_args: object) -> dict[str, Any]:
    """The settings form shown again after a refused choice: fresh defaults, the error above them."""
    member = visitor(request).member
    assert member is not None  # the route checked before anything could be refused
    verified = member.verified_at is not None
    return {"timezones": TIMEZONES, "sub": Subscription(member.id), "subscribed": False, "verified": verified}


@router.post("/settings/digest")
@refusals_shown_on("settings_digest.html", context=_refused_settings)
async def save_digest_settings(request: Request, tasks: BackgroundTasks, svc: Svc) -> Response:
    form = await request.form()
    member = acting_member(request, str(form.get("csrf", "")), "settings", "/settings/digest")
    choices: dict[str, Any] = {k: form.get(k) for k in ("frequency", "send_hour", "timezone", "weekdays_only")}
    choices["sections"] = form.getlist("sections")
    choices["active"] = form.get("action") != "unsubscribe"
    sub = subscription_from_form(member.id, choices)  # AccountError: the form again, with the reason
    svc.pt.digests.save_subscription(sub)
    if sub.active and (member.verified_at is None or member.email_status == "bounced"):
        # A bounced address gets mail again once it is confirmed again (the link clears the bounce).
        tasks.add_task(send_verification, svc, member)  # after the answer; the mail budget applies
    return RedirectResponse("/settings/digest?saved=1", status_code=303)


# --- unsubscribe without signing in, and the digest's web view ----------------------------------------
Signed = Annotated[str, Query(max_length=100)]


def _signed_member(request: Request, m: str, sig: str, purpose: str, *values: str) -> Member | None:
    """Member `m` when `sig` signs `purpose` and `values` for exactly that member (its id and own
    key: `links.member_sig`). Values are accepted only in their one canonical spelling (m=2.0, m=02
    or d=20251105 name nobody), so what is verified is what acts."""
    svc = services(request)
    member_id = whole_or_none(m, 1, MAX_ROW_ID)
    member = svc.pt.accounts.member_by_id(member_id)
    return member if member_sig_ok(svc.config.secret, sig, purpose, member, *values) else None


@router.get("/unsubscribe")
def unsubscribe_page(request: Request, m: Signed = "", sig: Signed = "") -> Response:
    # A GET never unsubscribes: mail scanners follow links. The page has one button.
    member = _signed_member(request, m, sig, "unsubscribe")
    if member is None:
        return error_response(request, 400, "this unsubscribe link is not valid")
    return render(request, "unsubscribe.html", m=m, sig=sig, email=member.email, done=False)


@router.post("/unsubscribe")
def unsubscribe(request: Request, m: Signed = "", sig: Signed = "") -> Response:
    """One click (RFC 8058): the mail client POSTs `List-Unsubscribe=One-Click` here, or the page's
    button does; the signature is the authority, no session or CSRF token is involved."""
    member = _signed_member(request, m, sig, "unsubscribe")
    if member is None:
        return error_response(request, 400, "this unsubscribe link is not valid")
    svc = services(request)
    svc.pt.digests.unsubscribe(member.id)
    return render(request, "unsubscribe.html", m=m, sig=sig, email=member.email, done=True)


def _digest_day(d: str) -> date | None:
    """The day a digest link names, in its one canonical spelling (2025-11-05); else None."""
    try:
        day = parse_day(d, "d")
    except DateError:
        return None
    return day if day.isoformat() == d else None


@router.get("/digest")
def digest_web_view(request: Request, svc: Svc, m: Signed = "", d: Signed = "", sig: Signed = "") -> Response:
    day = _digest_day(d)
    if day is None or (member := _signed_member(request, m, sig, "digest", d)) is None:
        return error_response(request, 400, "this digest link is not valid")
    composed = svc.pt.digests.compose(member, day)
    return HTMLResponse(digest.render(composed, svc.mail)["html"])


# --- the same settings over the API ------------------------------------------------------------------
class SubscriptionIO(BaseModel):
    active: bool = True
    frequency: str = Field("daily", pattern="^(daily|weekly)$")
    weekdays_only: bool = True
    send_hour: WholeInt = Field(8, ge=0, le=23)
    timezone: str = Field("UTC", max_length=64)
    sections: list[str] = ["trending", "picks"]


@api_router.get("/digest/subscription", response_model=SubscriptionIO, responses={401: {}, 429: {}})
def get_subscription(member: ApiReader, svc: Svc) -> Any:
    """The member's digest subscription (session cookie, or a personal API token)."""
    sub = svc.pt.digests.subscription(member.id) or Subscription(member.id, active=False)
    return {k: getattr(sub, k) for k in SubscriptionIO.model_fields} | {"sections": list(sub.sections)}


@api_router.put("/digest/subscription", response_model=SubscriptionIO, responses={400: {}, 401: {}, 403: {}, 429: {}})
def put_subscription(body: Annotated[SubscriptionIO, Body()], member: ApiSettings, svc: Svc) -> Any:
    """Subscribe, change or stop (`active: false`) the digest."""
    sub = subscription_from_form(member.id, body.model_dump())  # AccountError: a 400
    svc.pt.digests.save_subscription(sub)
    return JSONResponse(body.model_dump() | {"sections": list(sub.sections)})
