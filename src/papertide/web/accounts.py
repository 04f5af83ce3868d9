"""Accounts on the web: sign-up, sign-in, sign-out, the mailed links (confirm an address — which
also signs in —, reset a password) and the mail they travel in.

Nothing here tells a stranger whether an address has an account: sign-up and password reset answer
the same words, with the same work done inside the request, whatever the address; the mail that
differs (a link, or "someone tried to sign up with your address") is sent after the answer, from a
background task. Mail goes to exactly the one address stored (validated at sign-up).
"""

from __future__ import annotations

import logging
import sys
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from papertide.mail.mailer import MailError
from papertide.mail.mime import Outgoing
from papertide.members.accounts import device_token, device_vouches, normalise_email
from papertide.model import Member
from papertide.web.context import (
    ANON_COOKIE,
    SESSION_COOKIE,
    EmailField,
    NextField,
    PasswordField,
    Services,
    client_key,
    error_response,
    render,
    safe_next,
    services,
    set_cookie,
    signin_redirect,
    visitor,
)
from papertide.web.deps import CsrfChecked, SignedIn, Svc, TokenOwner, refusals_shown_on
from papertide.web.params import RowId

router = APIRouter(include_in_schema=False)
log = logging.getLogger("papertide.web")
DEVICE_COOKIE = "pt_device"
DEVICE_MAX_AGE = 365 * 86400


# --- mail about the account ------------------------------------------------------------------------
def send_account_mail(svc: Services, member: Member, subject: str, body: str, kind: str = "account") -> bool:
    """Send a plain-text mail to the member's one stored address; False (and logged) when none
    could go. Every such mail counts against the recipient's budget (`Accounts.mail_allowed`, per
    address and per account): past it, nothing is sent. Callers run this from a background task,
    after the answer, never in the request. In dev mode without SMTP the mail is printed on the
    console, so its link can be followed."""
    if not svc.accounts.mail_allowed(member, kind):
        log.warning("not sending %r to member %s: over the hourly mail budget", subject, member.id)
        return False
    if svc.mailer_factory is None:
        if svc.config.dev:
            notice = f"\n--- papertide (dev mode, no SMTP): mail to {member.email}: {subject}\n{body}\n---"
            print(notice, file=sys.stderr)
        else:
            log.warning("no PAPERTIDE_SMTP_URL: not sending %r to %s", subject, member.email)
        return False
    msg = EmailMessage()
    msg["From"] = svc.config.mail_from
    local, _, domain = member.email.rpartition("@")
    msg["To"] = Address(username=local, domain=domain)  # one address, never a list parsed from text
    msg["Subject"] = subject
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
    body = (
        f"Hello {member.handle},\n\nconfirm your address for {svc.config.site_name} (this also signs you in):"
        f"\n\n{link}\n\nThe link works once, for 48 hours. If you did not sign up, ignore this mail."
    )
    return send_account_mail(svc, member, f"{svc.config.site_name}: confirm your email address", body)


def send_taken_notice(svc: Services, member: Member) -> bool:
    body = (
        f"Hello {member.handle},\n\nsomeone (perhaps you) tried to sign up for {svc.config.site_name} with this "
        f"address, which already has an account. To sign in: {svc.config.base_url}/signin — forgot the "
        f"password? {svc.config.base_url}/reset\n\nIf it was not you, nothing has changed; you can ignore this mail."
    )
    return send_account_mail(svc, member, f"{svc.config.site_name}: your address already has an account", body)


def send_reset_link(svc: Services, email: str) -> None:
    """Mail a reset link when an account uses `email` (a background task: after the answer)."""
    member = svc.pt.accounts.member_by_email(email)
    if member is None:
        return
    token = svc.accounts.issue_link(member.id, "reset")
    body = (
        f"Hello {member.handle},\n\nset a new password for {svc.config.site_name} here:\n\n"
        f"{svc.config.base_url}/reset/confirm?t={token}\n\nThe link works once, for one hour. "
        "If you did not ask for it, ignore this mail: your password stays as it is."
    )
    send_account_mail(svc, member, f"{svc.config.site_name}: reset your password", body)


# --- sessions ---------------------------------------------------------------------------------------
def start_session(request: Request, member: Member, target: str) -> Response:
    """Sign `member` in on this browser (and remember it as a device they sign in from)."""
    svc = services(request)
    token = svc.accounts.start_session(member)  # AccountSuspended (an old verification link): a 403
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, svc, SESSION_COOKIE, token, max_age=int(svc.accounts.session_ttl.total_seconds()))
    set_cookie(response, svc, DEVICE_COOKIE, device_token(svc.config.secret, member), max_age=DEVICE_MAX_AGE)
    response.delete_cookie(ANON_COOKIE, path="/")
    return response


@router.get("/signup")
def signup_form(request: Request, next: str = "/") -> Response:
    return render(request, "signup.html", has_form=True, next=safe_next(next), values={})


def _typed(handle: str = "", email: str = "", next: str = "/", **_route_args: object) -> dict[str, Any]:
    """What a refused sign-up or sign-in form shows again: the name and address as typed, never the password."""
    values = {"handle": handle, "email": email} if handle else {"email": email}
    return {"values": values, "next": safe_next(next)}


@router.post("/signup")
@refusals_shown_on("signup.html", context=_typed, has_form=True)
def signup(
    request: Request,
    tasks: BackgroundTasks,
    _csrf: CsrfChecked,
    svc: Svc,
    handle: Annotated[str, Form(max_length=200)] = "",
    email: EmailField = "",
    password: PasswordField = "",
    next: NextField = "/",
) -> Response:
    svc.accounts.limit("sign-up", client_key(request))
    outcome = svc.accounts.sign_up(handle, email, password)
    if outcome.member is not None:
        tasks.add_task(send_verification, svc, outcome.member)
    elif outcome.taken is not None:
        tasks.add_task(send_taken_notice, svc, outcome.taken)
    return render(
        request,
        "message.html",
        title="Check your inbox",
        message="We sent a link to that address: follow it to confirm the address and sign in. "
        "(If the address already has an account, the mail says so instead.)",
    )


@router.get("/signin")
def signin_form(request: Request, next: str = "/") -> Response:
    return render(request, "signin.html", has_form=True, next=safe_next(next), values={})


@router.post("/signin")
@refusals_shown_on("signin.html", context=_typed, has_form=True)
def signin(
    request: Request,
    _csrf: CsrfChecked,
    svc: Svc,
    email: EmailField = "",
    password: PasswordField = "",
    next: NextField = "/",
) -> Response:
    cookie = request.cookies.get(DEVICE_COOKIE)
    vouched = lambda m: device_vouches(svc.config.secret, cookie, m)  # noqa: E731
    member = svc.accounts.sign_in(email, password, client_key(request), vouched)
    return start_session(request, member, safe_next(next))


@router.post("/signout")
def signout(request: Request, _csrf: CsrfChecked, svc: Svc) -> Response:
    svc.accounts.end_session(visitor(request).session_token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- mailed links -----------------------------------------------------------------------------------
@router.get("/verify")
def verify(request: Request, svc: Svc, t: Annotated[str, Query(max_length=200)] = "") -> Response:
    """Confirm an address (which clears an earlier bounce) and, on a browser not signed in to that
    account, sign in: the link came to the member's own mailbox, once."""
    member = svc.accounts.verify_email(t)
    if member is None:
        return error_response(request, 400, "this confirmation link has expired or was used already")
    current = visitor(request).member
    if current is None or current.id != member.id:
        return start_session(request, member, "/verified")
    return RedirectResponse("/verified", status_code=303)


@router.get("/verified")
def verified(request: Request, me: SignedIn) -> Response:
    return render(
        request,
        "message.html",
        title="Address confirmed",
        message=f"Thank you, {me.handle}: you are signed in, and the digest can reach {me.email}.",
    )


@router.post("/verify/resend")
def resend_verification(request: Request, tasks: BackgroundTasks, _csrf: CsrfChecked, svc: Svc) -> Response:
    member = visitor(request).member
    if member is None:
        return RedirectResponse(signin_redirect("/settings/digest"), status_code=303)
    svc.accounts.limit("reset", f"member:{member.id}")
    tasks.add_task(send_verification, svc, member)
    message = f"A new link is on its way to {member.email}."
    return render(request, "message.html", title="Confirmation mail", message=message)


@router.get("/reset")
def reset_form(request: Request) -> Response:
    return render(request, "reset_request.html", has_form=True)


@router.post("/reset")
def reset_request(
    request: Request, tasks: BackgroundTasks, _csrf: CsrfChecked, svc: Svc, email: EmailField = ""
) -> Response:
    svc.accounts.limit("reset", client_key(request), f"email:{normalise_email(email)}")
    tasks.add_task(send_reset_link, svc, email)  # looked up after the answer: same words, same time
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
@refusals_shown_on("reset_confirm.html", "token", has_form=True)
def reset_confirm(
    request: Request,
    _csrf: CsrfChecked,
    svc: Svc,
    token: Annotated[str, Form(max_length=200)] = "",
    password: PasswordField = "",
) -> Response:
    svc.accounts.reset_password(token, password)
    return RedirectResponse("/signin?reset=1", status_code=303)


# --- personal API tokens ------------------------------------------------------------------------------
def _tokens(me: Member, svc: Services, **_route_args: object) -> dict[str, Any]:
    return {"tokens": svc.pt.accounts.api_tokens(me.id), "made": None}


@router.get("/settings/tokens")
def tokens_page(request: Request, me: SignedIn, svc: Svc) -> Response:
    return render(request, "tokens.html", **_tokens(me, svc))


@router.post("/settings/tokens")
@refusals_shown_on("tokens.html", context=_tokens)
def make_token(
    request: Request,
    me: TokenOwner,
    svc: Svc,
    name: Annotated[str, Form(max_length=200)] = "",
    scope: Annotated[str, Form(max_length=20)] = "read",
) -> Response:
    token, _ = svc.accounts.issue_api_token(me, name, write=scope == "write")  # AccountError: the form again
    # Shown this once, on a page that is never cached or shared.
    response = render(request, "tokens.html", tokens=svc.pt.accounts.api_tokens(me.id), made=token)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/settings/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: RowId, me: TokenOwner, svc: Svc) -> Response:
    if not svc.pt.accounts.revoke_api_token(me.id, token_id):
        return error_response(request, 404, "no such live token of yours")
    return RedirectResponse("/settings/tokens", status_code=303)
