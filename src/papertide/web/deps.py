"""What a route is given rather than fetches: FastAPI dependencies for the app's services, who is
asking, a member acting through a form or the API (CSRF, sign-in and the action's rate limit
checked before the route runs), and a paper by its id. A dependency that cannot give its value
raises — `Answer` with the redirect or 401/403 to send, or a domain error (`errors.py`) that
app.py maps to its status once — so a route is only what it does.

    @router.post("/upvote")
    def upvote(paper_id: PaperIdField, member: Voter, svc: Svc, next: NextField = "/") -> Response:
        svc.pt.votes.vote(member.id, paper_id, None)
        return redirect(request, safe_next(next))
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, Form, Header, Request
from fastapi.responses import RedirectResponse, Response

from papertide.errors import PapertideError, RateLimited, status_of
from papertide.members.votes import NoSuchPaper
from papertide.model import Member, Paper
from papertide.web.context import (
    FORM_EXPIRED,
    Answer,
    BearerAuth,
    CsrfField,
    NextField,
    Services,
    Visitor,
    api_member,
    client_key,
    csrf_valid,
    error_response,
    finish,
    render,
    safe_next,
    services,
    signin_redirect,
    visitor,
)

Svc = Annotated[Services, Depends(services)]
Who = Annotated[Visitor, Depends(visitor)]
CsrfHeader = Annotated[str | None, Header(alias="X-CSRF-Token", max_length=200)]
PaperIdField = Annotated[str, Form(max_length=100)]


def redirect(request: Request, target: str) -> Response:
    """A 303 to `target` (after a form post), with the anonymous cookie a first visit needs."""
    return finish(request, RedirectResponse(target, status_code=303))


def acting_member(request: Request, csrf: str | None, action: str, back: str = "/") -> Member:
    """The member behind a form post, after the CSRF check (a 403), sign-in (else a redirect to it,
    then back to `back`) and the `action` rate limit (a 429)."""
    v = visitor(request)
    if not csrf_valid(request, csrf):
        raise Answer(error_response(request, 403, FORM_EXPIRED))
    if v.member is None:
        raise Answer(redirect(request, signin_redirect(safe_next(back))))
    services(request).accounts.limit(action, client_key(request), f"member:{v.member.id}")
    return v.member


def _here(request: Request) -> str:
    return request.url.path + ("?" + request.url.query if request.url.query else "")


def signed_in_member(request: Request) -> Member:
    """The signed-in member of a page; else a redirect to sign in and back here."""
    member = visitor(request).member
    if member is None:
        raise Answer(redirect(request, signin_redirect(safe_next(_here(request)))))
    return member


SignedIn = Annotated[Member, Depends(signed_in_member)]


def form_csrf(request: Request, csrf: CsrfField = "") -> None:
    """A form post's CSRF token, checked (a 403) before anything else; for forms anyone may send."""
    if not csrf_valid(request, csrf):
        raise Answer(error_response(request, 403, FORM_EXPIRED))


CsrfChecked = Annotated[None, Depends(form_csrf)]


def acting(action: str, back: str = "/") -> Callable[..., Member]:
    """The dependency of a form post that does `action` (its rate limit): the form's `csrf` field
    checked, a visitor not signed in sent to sign in and back to the form's `next` (else `back`)."""

    def dependency(request: Request, csrf: CsrfField = "", next: NextField = "") -> Member:
        return acting_member(request, csrf, action, next or back)

    return dependency


def api_acting(action: str, write: bool = True) -> Callable[..., Member]:
    """The dependency of an API call that does `action`: a personal API token (with the write
    scope for a write), or a session cookie with its X-CSRF-Token header for writes."""

    def dependency(request: Request, x_csrf_token: CsrfHeader = None, _bearer: BearerAuth = None) -> Member:
        return api_member(request, x_csrf_token, action, write)

    return dependency


def paper_or_404(paper_id: str, svc: Svc) -> Paper:
    """The paper of the path's `{paper_id}`; NoSuchPaper (a 404) when the catalogue has none."""
    paper = svc.pt.get(paper_id)
    if paper is None:
        raise NoSuchPaper(paper_id)
    return paper


PaperOr404 = Annotated[Paper, Depends(paper_or_404)]

Route = TypeVar("Route", bound=Callable[..., Any])


def refusals_shown_on(
    template: str, *echo: str, context: Callable[..., dict[str, Any]] | None = None, has_form: bool = False
) -> Callable[[Route], Route]:
    """For a form's route: a refusal from the core (a `PapertideError`) shows the form again —
    `template` with the error in words, its status (errors.status_of), the fields named in `echo`
    as they were typed, the refusal's details (the field to point at, a duplicate's paper) and
    `context(**the route's arguments)` — instead of an error page. Being too fast (RateLimited) is
    not the form's fault: it gets the error page, as do the refusals of the route's dependencies
    (CSRF, sign-in), which are answered before the route runs. `has_form`: the form is shown to
    visitors who are not signed in (sign-in, sign-up), so the page needs their CSRF cookie."""

    def shown_again(exc: PapertideError, kwargs: dict[str, Any]) -> Response:
        if isinstance(exc, RateLimited):  # not the form's fault: the error page (app.py)
            raise exc
        values: dict[str, Any] = {name: kwargs.get(name) for name in echo}
        values |= (context(**kwargs) if context else {}) | exc.details()
        values |= {"error": str(exc), "field": exc.form_field()}
        return render(kwargs["request"], template, status_code=status_of(exc), has_form=has_form, **values)

    def decorate(route: Route) -> Route:
        if inspect.iscoroutinefunction(route):

            @functools.wraps(route)
            async def shown_async(*args: Any, **kwargs: Any) -> Response:
                try:
                    return cast(Response, await route(*args, **kwargs))
                except PapertideError as exc:
                    return shown_again(exc, kwargs)

            return cast(Route, shown_async)

        @functools.wraps(route)
        def shown(*args: Any, **kwargs: Any) -> Response:
            try:
                return cast(Response, route(*args, **kwargs))
            except PapertideError as exc:
                return shown_again(exc, kwargs)

        return cast(Route, shown)

    return decorate


# The members behind the site's form posts and API calls, by what they do (each its rate limit).
Voter = Annotated[Member, Depends(acting("vote"))]
Submitter = Annotated[Member, Depends(acting("submit", "/submit"))]
Saver = Annotated[Member, Depends(acting("save"))]
TokenOwner = Annotated[Member, Depends(acting("settings", "/settings/tokens"))]
ApiVoter = Annotated[Member, Depends(api_acting("vote"))]
ApiSubmitter = Annotated[Member, Depends(api_acting("submit"))]
ApiSaver = Annotated[Member, Depends(api_acting("save"))]
ApiSaverReading = Annotated[Member, Depends(api_acting("save", write=False))]
ApiSettings = Annotated[Member, Depends(api_acting("settings"))]
ApiReader = Annotated[Member, Depends(api_acting("settings", write=False))]

__all__ = [
    "ApiReader",
    "ApiSaver",
    "ApiSaverReading",
    "ApiSettings",
    "ApiSubmitter",
    "ApiVoter",
    "CsrfChecked",
    "CsrfHeader",
    "PaperIdField",
    "PaperOr404",
    "Saver",
    "SignedIn",
    "Submitter",
    "Svc",
    "TokenOwner",
    "Voter",
    "Who",
    "acting",
    "acting_member",
    "api_acting",
    "redirect",
    "refusals_shown_on",
    "signed_in_member",
]
