"""Account pages beyond sign-in: email verification, password reset, digest settings, the
signed one-click unsubscribe (RFC 8058) and the web view of a digest."""

from __future__ import annotations

import logging
from datetime import date
from email.message import EmailMessage
from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Body, Form, Header, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from .. import digest
from ..accounts import AccountError, RateLimited, normalise_email
from ..digest.mailer import MailError
from ..digest.mime import Outgoing
from ..model import Member, Subscription
from .context import (
    FORM_EXPIRED,
    CsrfField,
    EmailField,
    PasswordField,
    Services,
    client_key,
    csrf_valid,
    error_response,
    render,
    services,
    signin_redirect,
    visitor,
)

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["digest"])
log = logging.getLogger("papertide.web")
TIMEZONES = sorted(available_timezones())


# --- mail about the account ------------------------------------------------------------------------
def send_account_mail(svc: Services, member: Member, subject: str, body: str) -> bool:
    """Send a plain-text mail to the member now; False (and logged) when no mail could go."""
    if svc.mailer_factory is None:
        log.warning("no PAPERTIDE_SMTP_URL: not sending %r to %s", subject, member.email)
        return False
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = svc.config.mail_from, member.email, subject
    msg.set_content(body)
    mailer = svc.mailer_factory()
    try:
        mailer.send(Outgoing.from_message(msg))
    except MailError as exc:
        log.warning("could not send %r to %s: %s", subject, member.email, exc)
        return False
    finally:
        mailer.close()
    return True


def send_verification(svc: Services, member: Member) -> bool:
    token = svc.accounts.issue_link(member.id, "verify")
    link = f"{svc.config.base_url}/verify?t={token}"
    body = f"Hello {member.handle},\n\nconfirm your address for {svc.config.site_name}'s digest:\n\n{link}\n\n"
    body += "The link works once, for 48 hours. If you did not sign up, ignore this mail."
    return send_account_mail(svc, member, f"{svc.config.site_name}: confirm your email address", body)


@router.get("/verify")
def verify(request: Request, t: Annotated[str, Query(max_length=200)] = "") -> Response:
    member = services(request).accounts.verify_email(t)
    if member is None:
        return error_response(request, 400, "this confirmation link has expired or was used already")
    return render(
        request,
        "message.html",
        title="Address confirmed",
        message=f"Thank you, {member.handle}: the digest can now reach {member.email}.",
    )


@router.post("/verify/resend")
def resend_verification(request: Request, csrf: CsrfField = "") -> Response:
    v = visitor(request)
    if not csrf_valid(request, csrf):
        return error_response(request, 403, FORM_EXPIRED)
    if v.member is None:
        return RedirectResponse(signin_redirect("/settings/digest"), status_code=303)
    svc = services(request)
    try:
        svc.accounts.limit("reset", f"member:{v.member.id}")
    except RateLimited as exc:
        return error_response(request, 429, str(exc))
    sent = send_verification(svc, v.member)
    return render(
        request,
        "message.html",
        title="Confirmation mail",
        message=f"We sent a new link to {v.member.email}." if sent else "Mail cannot be sent just now.",
    )


# --- password reset --------------------------------------------------------------------------------
@router.get("/reset")
def reset_form(request: Request) -> Response:
    return render(request, "reset_request.html", has_form=True)


@router.post("/reset")
def reset_request(
    request: Request,
    email: EmailField = "",
    csrf: CsrfField = "",
) -> Response:
    if not csrf_valid(request, csrf):
        return error_response(request, 403, FORM_EXPIRED)
    svc = services(request)
    try:
        svc.accounts.limit("reset", client_key(request), f"email:{normalise_email(email)}")
    except RateLimited as exc:
        return error_response(request, 429, str(exc))
    member = svc.store.community.member_by_email(normalise_email(email))
    if member is not None:
        token = svc.accounts.issue_link(member.id, "reset")
        body = (
            f"Hello {member.handle},\n\nset a new password for {svc.config.site_name} here:\n\n"
            f"{svc.config.base_url}/reset/confirm?t={token}\n\nThe link works once, for one hour. "
            "If you did not ask for it, ignore this mail: your password stays as it is."
        )
        send_account_mail(svc, member, f"{svc.config.site_name}: reset your password", body)
    # The same answer whether or not the address has an account: no probing for members.
    return render(
        request,
        "message.html",
        title="Check your mail",
        message="If an account uses that address, a link to set a new password is on its way.",
    )


@router.get("/reset/confirm")
def reset_confirm_form(request: Request, t: Annotated[str, Query(max_length=200)] = "") -> Response:
    return render(request, "reset_confirm.html", has_form=True, token=t)


@router.post("/reset/confirm")
def reset_confirm(
    request: Request,
    token: Annotated[str, Form(max_length=200)] = "",
    password: PasswordField = "",
    csrf: CsrfField = "",
) -> Response:
    if not csrf_valid(request, csrf):
        return error_response(request, 403, FORM_EXPIRED)
    try:
        services(request).accounts.reset_password(token, password)
    except AccountError as exc:
        return render(request, "reset_confirm.html", has_form=True, status_code=400, token=token, error=str(exc))
    return RedirectResponse("/signin?reset=1", status_code=303)


# --- digest settings --------------------------------------------------------------------------------
def subscription_from_form(member_id: int, form: dict[str, Any]) -> Subscription:
    """A Subscription from submitted choices; AccountError names a field that is not acceptable."""
    frequency = form.get("frequency", "daily")
    if frequency not in digest.FREQUENCIES:
        raise AccountError("frequency is daily or weekly", "frequency")
    try:
        hour = int(form.get("send_hour", 8))
    except (TypeError, ValueError):
        hour = -1
    if not 0 <= hour <= 23:
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
def digest_settings(request: Request) -> Response:
    v = visitor(request)
    if v.member is None:
        return RedirectResponse(signin_redirect("/settings/digest"), status_code=303)
    sub = services(request).store.digests.subscription(v.member.id)
    return render(
        request,
        "settings_digest.html",
        sub=sub or Subscription(v.member.id, active=False),
        subscribed=bool(sub and sub.active),
        timezones=TIMEZONES,
        verified=v.member.verified_at is not None,
    )


@router.post("/settings/digest")
async def save_digest_settings(request: Request) -> Response:
    form = await request.form()
    v = visitor(request)
    if not csrf_valid(request, str(form.get("csrf", ""))):
        return error_response(request, 403, FORM_EXPIRED)
    if v.member is None:
        return RedirectResponse(signin_redirect("/settings/digest"), status_code=303)
    svc = services(request)
    choices: dict[str, Any] = {k: form.get(k) for k in ("frequency", "send_hour", "timezone", "weekdays_only")}
    choices["sections"] = form.getlist("sections")
    choices["active"] = form.get("action") != "unsubscribe"
    try:
        sub = subscription_from_form(v.member.id, choices)
    except AccountError as exc:
        return render(
            request,
            "settings_digest.html",
            status_code=400,
            error=str(exc),
            timezones=TIMEZONES,
            sub=Subscription(v.member.id),
            subscribed=False,
            verified=v.member.verified_at is not None,
        )
    svc.store.digests.save_subscription(sub, svc.clock())
    if sub.active and v.member.verified_at is None:
        send_verification(svc, v.member)
    return RedirectResponse("/settings/digest?saved=1", status_code=303)


# --- unsubscribe without signing in, and the digest's web view ----------------------------------------
def _signed_member(request: Request, m: int, sig: str, *parts: object) -> Member | None:
    svc = services(request)
    if not digest.signature_ok(svc.config.secret, sig, *parts):
        return None
    return svc.store.community.member_by_id(m)


@router.get("/unsubscribe")
def unsubscribe_page(request: Request, m: int = 0, sig: Annotated[str, Query(max_length=100)] = "") -> Response:
    # A GET never unsubscribes: mail scanners follow links. The page has one button.
    member = _signed_member(request, m, sig, "unsubscribe", m)
    if member is None:
        return error_response(request, 400, "this unsubscribe link is not valid")
    return render(request, "unsubscribe.html", m=m, sig=sig, email=member.email, done=False)


@router.post("/unsubscribe")
def unsubscribe(request: Request, m: int = 0, sig: Annotated[str, Query(max_length=100)] = "") -> Response:
    """One click (RFC 8058): the mail client POSTs `List-Unsubscribe=One-Click` here, or the page's
    button does; the signature is the authority, no session or CSRF token is involved."""
    member = _signed_member(request, m, sig, "unsubscribe", m)
    if member is None:
        return error_response(request, 400, "this unsubscribe link is not valid")
    svc = services(request)
    svc.store.digests.unsubscribe(member.id, svc.clock())
    return render(request, "unsubscribe.html", m=m, sig=sig, email=member.email, done=True)


@router.get("/digest")
def digest_web_view(
    request: Request, m: int = 0, d: date | None = None, sig: Annotated[str, Query(max_length=100)] = ""
) -> Response:
    if d is None or (member := _signed_member(request, m, sig, "digest", m, d.isoformat())) is None:
        return error_response(request, 400, "this digest link is not valid")
    svc = services(request)
    sub = svc.store.digests.subscription(member.id) or Subscription(member.id)
    composed = digest.Composer(svc.store, svc.clock()).compose(member, sub, d)
    return HTMLResponse(digest.render(composed, svc.mail)["html"])


# --- the same settings over the API ------------------------------------------------------------------
class SubscriptionIO(BaseModel):
    active: bool = True
    frequency: str = Field("daily", pattern="^(daily|weekly)$")
    weekdays_only: bool = True
    send_hour: int = Field(8, ge=0, le=23)
    timezone: str = Field("UTC", max_length=64)
    sections: list[str] = ["trending", "picks"]


@api_router.get("/digest/subscription", response_model=SubscriptionIO, responses={401: {}})
def get_subscription(request: Request) -> Any:
    """The signed-in member's digest subscription."""
    v = visitor(request)
    if v.member is None:
        return error_response(request, 401, "sign in first")
    sub = services(request).store.digests.subscription(v.member.id) or Subscription(v.member.id, active=False)
    return {k: getattr(sub, k) for k in SubscriptionIO.model_fields} | {"sections": list(sub.sections)}


@api_router.put("/digest/subscription", response_model=SubscriptionIO, responses={400: {}, 401: {}, 403: {}})
def put_subscription(
    request: Request,
    body: Annotated[SubscriptionIO, Body()],
    x_csrf_token: Annotated[str | None, Header(alias="X-CSRF-Token", max_length=200)] = None,
) -> Any:
    """Subscribe, change or stop (`active: false`) the digest."""
    v = visitor(request)
    if v.member is None:
        return error_response(request, 401, "sign in first")
    if not csrf_valid(request, x_csrf_token):
        return error_response(request, 403, "missing or wrong X-CSRF-Token header")
    try:
        sub = subscription_from_form(v.member.id, body.model_dump())
    except AccountError as exc:
        return error_response(request, 400, str(exc))
    svc = services(request)
    svc.store.digests.save_subscription(sub, svc.clock())
    return JSONResponse(body.model_dump() | {"sections": list(sub.sections)})
