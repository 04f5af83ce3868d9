"""The web application: FastAPI routes over the library, Jinja2 pages, JSON API, Atom feeds.

`create_app` takes every dependency (store, clock, arXiv fetcher, semantic search, accounts) so
tests and the CLI decide what the app talks to; nothing here is a global.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..accounts import Accounts, csrf_ok, csrf_token
from ..catalogue import Semantic
from ..model import Member
from ..store import Store
from ..submissions import Fetch, arxiv_fetcher
from .config import WebConfig
from .views import Context

HERE = Path(__file__).parent
SESSION_COOKIE, ANON_COOKIE = "pt_session", "pt_anon"


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Services:
    store: Store
    config: WebConfig
    clock: Callable[[], datetime]
    fetch: Fetch
    accounts: Accounts
    templates: Jinja2Templates
    semantic: Semantic | None = None


@dataclass
class Visitor:
    """Who is asking: a member (signed in) or not; `key` binds CSRF tokens to this browser."""

    member: Member | None
    session_token: str | None
    key: str
    new_anon: bool
    csrf: str


def services(request: Request) -> Services:
    return request.app.state.services


def visitor(request: Request) -> Visitor:
    """The visitor of this request, resolved once (a dependency of every route that needs it)."""
    cached = getattr(request.state, "visitor", None)
    if cached is not None:
        return cached
    svc = services(request)
    token = request.cookies.get(SESSION_COOKIE)
    member = svc.accounts.session_member(token)
    if member is None:
        token = None
    anon = request.cookies.get(ANON_COOKIE)
    new_anon = token is None and not anon
    if new_anon:
        anon = secrets.token_urlsafe(24)
    key = token or anon or ""
    found = Visitor(member, token, key, new_anon, csrf_token(svc.config.secret, key))
    request.state.visitor = found
    return found


def context(request: Request) -> Context:
    svc = services(request)
    return Context(svc.store, svc.clock(), visitor(request).member, svc.semantic)


def csrf_valid(request: Request, token: str | None) -> bool:
    svc = services(request)
    return csrf_ok(svc.config.secret, visitor(request).key, token)


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


def render(request: Request, template: str, status_code: int = 200, **data: Any) -> Response:
    svc = services(request)
    v = visitor(request)
    page = svc.templates.TemplateResponse(
        request,
        template,
        {
            "data": data,
            "me": v.member,
            "csrf": v.csrf,
            "site": svc.config.site_name,
            "path": request.url.path,
            "full_path": str(request.url.path) + ("?" + request.url.query if request.url.query else ""),
        },
        status_code=status_code,
    )
    return finish(request, page)


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


def signin_redirect(next_path: str) -> str:
    return f"/signin?next={quote(next_path, safe='/')}"


def create_app(
    store: Store,
    config: WebConfig,
    *,
    clock: Callable[[], datetime] = utc_now,
    fetch: Fetch | None = None,
    semantic: Semantic | None = None,
    accounts: Accounts | None = None,
) -> FastAPI:
    from . import api, feeds, pages

    app = FastAPI(
        title=f"{config.site_name} API",
        version="1",
        description="Daily papers, trending, search and paper records; shaped like Hugging Face's papers API.",
        docs_url="/api/docs",
        redoc_url=None,
    )
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals["quote"] = quote
    templates.env.globals["with_page"] = with_page
    app.state.services = Services(
        store=store,
        config=config,
        clock=clock,
        fetch=fetch or arxiv_fetcher(config.arxiv_url, delay=config.arxiv_delay),
        accounts=accounts or Accounts(store.community, clock),
        templates=templates,
        semantic=semantic,
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(feeds.router)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404 and message == "Not Found":
            message = "nothing here"
        return error_response(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
        return error_response(request, 400, f"{where}: {first.get('msg', 'invalid')}")

    return app


__all__ = ["HTMLResponse", "Services", "Visitor", "create_app"]
