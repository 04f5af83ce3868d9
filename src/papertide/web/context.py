"""What every route shares: the app's services, who is asking, rendering a page or an error, the
page cache. Routes (pages, api, feeds, account_pages) import from here; `app.create_app` wires them.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Form, Request, Security
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from papertide.core import Papertide
from papertide.digest import MailConfig, Mailer
from papertide.members.accounts import Accounts, csrf_ok, csrf_token
from papertide.members.submissions import Fetch
from papertide.model import Member
from papertide.web.config import WebConfig
from papertide.web.views import Context

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
SESSION_COOKIE, ANON_COOKIE = "pt_session", "pt_anon"


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Visitor:
    """Who is asking: a member (signed in) or not. `key` binds CSRF tokens to this browser: the
    session token, else an anonymous cookie handed out only with pages that hold a form."""

    member: Member | None
    session_token: str | None
    key: str
    new_anon: bool = False

    def csrf(self, secret: str) -> str:
        return csrf_token(secret, self.key) if self.key else ""


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def visitor(request: Request) -> Visitor:
    """The visitor of this request, resolved once per request."""
    cached: Visitor | None = getattr(request.state, "visitor", None)
    if cached is not None:
        return cached
    token = request.cookies.get(SESSION_COOKIE)
    member = services(request).accounts.session_member(token)
    if member is None:
        token = None
    found = Visitor(member, token, token or request.cookies.get(ANON_COOKIE, ""))
    request.state.visitor = found
    return found


def ensure_csrf_key(request: Request) -> Visitor:
    """Give an anonymous visitor without one the cookie a form's CSRF token is bound to."""
    v = visitor(request)
    if not v.key:
        v.key, v.new_anon = secrets.token_urlsafe(24), True
    return v


class PageCache:
    """What every reader sees alike — whole pages for readers who are not signed in, view data for
    members (their votes are marked per request) — keyed with the catalogue version and the
    minute, so nothing outlives a change. Bounded; least recently used goes first."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._items: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Any:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


@dataclass
class Services:
    pt: Papertide
    config: WebConfig
    clock: Callable[[], datetime]
    fetch: Fetch
    templates: Jinja2Templates
    page_cache: PageCache = field(default_factory=PageCache)
    # A new SMTP connection per account mail (request threads must not share one); None: no mail.
    mailer_factory: Callable[[], Mailer] | None = None

    @property
    def accounts(self) -> Accounts:
        return self.pt.accounts

    @property
    def mail(self) -> MailConfig:
        c = self.config
        return MailConfig(secret=c.secret, base_url=c.base_url, sender=c.mail_from, site_name=c.site_name)


def shared_for_anonymous(request: Request, build: Callable[[], Response]) -> Response:
    """`build()`'s response, served from the page cache to readers who are not signed in."""
    if request.cookies.get(SESSION_COOKIE):  # maybe a member: the page shows their votes
        return build()
    svc = services(request)
    key = (request.url.path, request.url.query, str(svc.pt.version()), svc.clock().strftime("%Y%m%d%H%M"))
    hit = svc.page_cache.get(key)
    if hit is not None:
        return Response(hit[0], status_code=hit[1], media_type=hit[2])
    response = build()
    if response.status_code == 200 and "set-cookie" not in response.headers and hasattr(response, "body"):
        svc.page_cache.put(key, (bytes(response.body), 200, response.headers.get("content-type", "")))
    return response


def context(request: Request) -> Context:
    svc = services(request)
    return Context(svc.pt, svc.clock(), visitor(request).member, svc.page_cache)


# Form fields every account form shares (bounded: a form post never carries megabytes).
CsrfField = Annotated[str, Form(max_length=200)]
EmailField = Annotated[str, Form(max_length=400)]
PasswordField = Annotated[str, Form(max_length=2000)]
NextField = Annotated[str, Form(max_length=2000)]


FORM_EXPIRED = "the form expired or came from another site; reload and try again"
HEADER_MISSING = "missing or wrong X-CSRF-Token header"


def client_key(request: Request) -> str:
    """The rate-limit subject for the client's address."""
    return f"ip:{request.client.host if request.client else '?'}"


class Answer(Exception):
    """What a helper answers instead of a value — a redirect to sign in, a refused CSRF token, a 401:
    raised, and sent as it is by the app's one handler (app.py), so routes hold no such branch."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def api_member(request: Request, csrf: str | None, action: str, write: bool = True) -> Member:
    """The member an API call acts for, after the rate limit for `action` (else `Answer` with the
    401/403/429 to send). A personal API token (`Authorization: Bearer pt_…`, with the write scope for a write) needs
    no cookie and no CSRF token; a browser's session cookie needs its X-CSRF-Token header for writes."""
    svc = services(request)
    bearer = bearer_token(request)
    if bearer is not None:
        found = svc.accounts.api_token_member(bearer)
        if found is None:
            raise Answer(error_response(request, 401, "this API token is not valid (revoked, or never made)"))
        token, member = found
        if write and "write" not in token.scopes:
            raise Answer(error_response(request, 403, "this API token can only read; make one with the write scope"))
        subjects = [f"token:{token.id}", f"member:{member.id}"]
    else:
        v = visitor(request)
        if v.member is None:
            raise Answer(error_response(request, 401, f"sign in (or send a personal API token) to {action}"))
        if write and not csrf_valid(request, csrf):
            raise Answer(error_response(request, 403, HEADER_MISSING))
        member, subjects = v.member, [client_key(request), f"member:{v.member.id}"]
    if bearer is not None:
        svc.accounts.limit("api-token", subjects[0])  # RateLimited: a 429 (app.py)
    svc.accounts.limit(action, *subjects)
    return member


# Documents the personal-token scheme in OpenAPI on the routes that take it (the token is read by
# `api_member`, which also accepts a browser session).
BearerAuth = Annotated[
    HTTPAuthorizationCredentials | None,
    Security(HTTPBearer(auto_error=False, description="a personal API token (pt_…), made at /settings/tokens")),
]


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer …` header, if the request has one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def has_credentials(request: Request) -> bool:
    """Whether the request carries a live personal API token or session (what an API write needs
    before its body is read: `bodies.BoundedBodies`)."""
    bearer = bearer_token(request)
    if bearer is not None:
        return services(request).accounts.api_token_member(bearer) is not None
    return visitor(request).member is not None


def csrf_valid(request: Request, token: str | None) -> bool:
    return csrf_ok(services(request).config.secret, visitor(request).key, token)


def set_cookie(response: Response, svc: Services, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax", secure=svc.config.secure_cookies, path="/"
    )


def finish(request: Request, response: Response) -> Response:
    """Give a first-time visitor the anonymous cookie their forms' CSRF tokens are bound to."""
    v = visitor(request)
    if v.new_anon:
        set_cookie(response, services(request), ANON_COOKIE, v.key, max_age=30 * 86400)
    return response


def render(
    request: Request,
    template: str,
    status_code: int = 200,
    has_form: bool = False,
    data: object = None,
    **extra: Any,
) -> Response:
    """Render `template` with `data` (a view object; else the `extra` values as a dict), the
    `extra` values also by name; `has_form`: the page holds a form for anonymous visitors too
    (sign-in, sign-up), so it needs a CSRF token (and is never shared between visitors)."""
    svc = services(request)
    v = ensure_csrf_key(request) if has_form else visitor(request)
    values = page_context(request, extra if data is None else data, v.member, v.csrf(svc.config.secret)) | extra
    page = svc.templates.TemplateResponse(request, template, values, status_code=status_code)
    return finish(request, page)


# --- pages shared between readers ---------------------------------------------------------------------
# What every reader sees alike (the view's data) is built once and cached; a member's page is then
# rendered for them with their own handle, CSRF token and votes. Nothing per member is ever spliced
# into rendered HTML: the template engine escapes every value in its place (an earlier version
# filled slots by string replacement, and a query carrying the slot markers could inject markup).
VOTED = Markup('class="vote-button voted" aria-pressed="true"')
NOT_VOTED = Markup('class="vote-button" aria-pressed="false"')


def vote_attrs(item: Any) -> Markup:
    """The vote button's attributes, voted or not (constant markup: nothing from the card but a flag)."""
    return VOTED if getattr(item, "voted", False) else NOT_VOTED


def shared_page(request: Request, template: str, build: Callable[[Context], object]) -> Response:
    """`template` rendered with `build(context)`: for readers who are not signed in, the whole
    page from the cache; for members, rendered for them from the cached view data (`Context.shared`
    keeps what is common and marks their votes)."""
    if visitor(request).member is None:
        return shared_for_anonymous(request, lambda: render(request, template, data=build(context(request))))
    return render(request, template, data=build(context(request)))


def page_context(request: Request, data: object, me: object, csrf: str) -> dict[str, Any]:
    svc = services(request)
    return {
        "request": request,
        "data": data,
        "me": me,
        "csrf": csrf,
        "site": svc.config.site_name,
        "path": request.url.path,
        "full_path": _return_path(request),
    }


MAX_RETURN_PATH = 2000


def _return_path(request: Request) -> str:
    """Where sign-in links bring the reader back: this page, or its path alone when the query is
    absurdly long (a 20,000-character query echoed into every link made a 220 kB error page)."""
    path = str(request.url.path)
    full = path + ("?" + request.url.query if request.url.query else "")
    return full if len(full) <= MAX_RETURN_PATH else path[:MAX_RETURN_PATH]


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def error_response(request: Request, status: int, message: str, **extra: Any) -> Response:
    if wants_json(request):
        return JSONResponse({"error": message, **extra}, status_code=status)
    if request.url.path.startswith("/feeds/"):
        return Response(message, status_code=status, media_type="text/plain; charset=utf-8")
    return render(request, "error.html", status_code=status, status=status, message=message, **extra)


def with_page(request: Request, page: int) -> str:
    """The current query string with `p` set to `page` (search result pages)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "p"]
    return urlencode([*params, ("p", str(page))])


def with_param(request: Request, name: str, value: str) -> str:
    """The current query string with `name` set to `value` (e.g. seen=show)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != name]
    return urlencode([*params, (name, value)])


# A return link is a path on this site: "/" then anything but a second "/" or "\\" (which browsers
# read as another host), with no whitespace or control character anywhere (browsers drop tab, CR
# and LF inside URLs, so "/\t/evil.example" is "//evil.example" to them) and no backslash at all.
_SAME_SITE_PATH = re.compile(r"/(?![/\\])[^\x00-\x20\x7f-\x9f\\\s]*")
MAX_NEXT = 2000


def safe_next(target: str | None) -> str:
    """The one return-link rule, for every `next`: a same-site path, else "/" (a
    `next=https://evil.example` or `/%09/evil.example` must not bounce a member off-site)."""
    if target and len(target) <= MAX_NEXT and _SAME_SITE_PATH.fullmatch(target):
        return target
    return "/"


def signin_redirect(next_path: str) -> str:
    return f"/signin?next={quote(next_path, safe='/')}"
