"""The web application: FastAPI routes over the library, Jinja2 pages, JSON API, Atom feeds.

`create_app` takes every dependency (the catalogue with its accounts, clock, arXiv fetcher, mailer) so
tests and the CLI decide what the app talks to; nothing here is a global.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime, timedelta
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from papertide.catalogue.thumbnails import file_name, thumbnail_name_ok
from papertide.core import Papertide
from papertide.digest import Mailer
from papertide.errors import PapertideError, status_of
from papertide.feeds.cards import moment_label
from papertide.ids import paper_path
from papertide.mail.mailer import SmtpMailer
from papertide.members.submissions import Fetch, arxiv_fetcher
from papertide.numbers import NumberError
from papertide.web import (
    api,
    author_pages,
    digest_pages,
    discussion_pages,
    feeds,
    map_pages,
    moderation_pages,
    pages,
    personal_api,
    personal_pages,
)
from papertide.web.accounts import router as account_router
from papertide.web.bodies import BoundedBodies
from papertide.web.config import WebConfig
from papertide.web.context import (
    HERE,
    Answer,
    Services,
    error_response,
    has_credentials,
    utc_now,
    vote_attrs,
    with_page,
    with_param,
)
from papertide.web.methods import HeadAsGet
from papertide.web.security import SecurityHeaders

# Swagger UI's files, from the package that ships them (fastapi-offline): the docs page works
# without the internet and its scripts come from this site.
SWAGGER_UI = Path(str(resources.files("fastapi_offline") / "static"))

log = logging.getLogger(__name__)


def create_app(
    pt: Papertide,
    config: WebConfig,
    *,
    clock: Callable[[], datetime] = utc_now,
    fetch: Fetch | None = None,
    mailer_factory: Callable[[], Mailer] | None = None,
    catch_up_every: float | None = None,
) -> FastAPI:
    """The app over `pt`. `catch_up_every` (seconds; the server sets it) starts a background task
    that brings the indexes up to what other processes wrote (a cron import, `papertide index`),
    so that searches, which only read, see it."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        if catch_up_every:
            threading.Thread(target=_keep_in_step, args=(pt, catch_up_every, stop), daemon=True).start()
        yield
        stop.set()

    app = FastAPI(
        title=f"{config.site_name} API",
        version="1",
        description="Daily papers, trending, search and paper records; shaped like Hugging Face's papers API.",
        docs_url=None,  # served below from this site's own files (no CDN), under a strict CSP
        redoc_url=None,
        lifespan=lifespan,
    )
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals["quote"] = quote
    templates.env.globals["with_page"] = with_page
    templates.env.globals["with_param"] = with_param

    # Cards show a paper's first page when `papertide ingest pdf` made one (a stat per card): its
    # URL, "" for a placeholder, or None where thumbnails were never made (no empty boxes then).
    def thumbnail(paper_id: str) -> str | None:
        if pt.thumbnail_path(paper_id):
            return f"/thumbnails/{quote(file_name(paper_id))}"
        return "" if pt.thumbnails_dir.is_dir() else None

    templates.env.globals["thumbnail"] = thumbnail
    # A paper id put into a path, encoded (an old-style arXiv id keeps its "/"; `ids.is_paper_id` at
    # ingest already keeps "..", "?", "#" and the like out of ids).
    templates.env.filters["idpath"] = lambda paper_id: paper_path(str(paper_id)).removeprefix("/papers/")
    templates.env.filters["when"] = moment_label  # one date format everywhere: "Nov 5, 2025"
    # Date presets on the search page ("past week"): a day `n` days before today, on this app's clock.
    templates.env.globals["days_ago"] = lambda n: (clock() - timedelta(days=n)).date().isoformat()
    templates.env.globals["vote_attrs"] = vote_attrs
    app.state.services = Services(
        pt=pt,
        config=config,
        clock=clock,
        fetch=fetch or arxiv_fetcher(config.arxiv_url, delay=config.arxiv_delay),
        templates=templates,
        mailer_factory=mailer_factory or (partial(SmtpMailer, config.smtp_url) if config.smtp_url else None),
    )
    app.mount("/static/docs", StaticFiles(directory=SWAGGER_UI), name="swagger-ui")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    hsts = [(b"strict-transport-security", b"max-age=31536000")] if config.secure_cookies else []
    app.add_middleware(HeadAsGet)
    app.add_middleware(BoundedBodies, authenticated=has_credentials)  # inside: its answers get the headers
    app.add_middleware(SecurityHeaders, extra=hsts)

    @app.get("/thumbnails/{name}", include_in_schema=False)
    def thumbnail_file(name: str) -> Response:
        # Checked before the name touches the file system (a 300-character name was ENAMETOOLONG, a 500).
        if not thumbnail_name_ok(name):
            return Response("no such thumbnail", status_code=404, media_type="text/plain; charset=utf-8")
        path = pt.thumbnails_dir / name
        if not path.is_file():
            return Response("no such thumbnail", status_code=404, media_type="text/plain; charset=utf-8")
        # A day in caches: a new version's thumbnail replaces the file under the same name.
        return FileResponse(path, media_type="image/webp", headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/api/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        return templates.TemplateResponse(request, "api_docs.html", {"site": config.site_name})

    app.include_router(pages.router)
    app.include_router(account_router)
    app.include_router(digest_pages.router)
    app.include_router(digest_pages.api_router)
    app.include_router(discussion_pages.router)
    app.include_router(discussion_pages.api_router)  # before api.router: its /papers/{id:path} would match
    app.include_router(api.router)
    app.include_router(feeds.router)
    app.include_router(personal_pages.router)
    app.include_router(personal_api.router)
    app.include_router(moderation_pages.router)
    app.include_router(author_pages.router)
    app.include_router(map_pages.router)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404 and message == "Not Found":
            message = "nothing here"
        return error_response(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        log.info("invalid request %s: %s", request.url.path, exc.errors()[:3])
        return error_response(request, 400, plain_words(first))

    @app.exception_handler(Answer)
    async def answer(request: Request, exc: Answer) -> Response:
        return exc.response  # a helper's redirect to sign in, refused CSRF token, 401 (context.Answer)

    @app.exception_handler(PapertideError)
    async def refused(request: Request, exc: PapertideError) -> Response:
        # The one place a domain's refusal becomes an answer: invalid 400, not found 404,
        # forbidden 403, conflict 409, rate limited 429 (errors.status_of).
        return error_response(request, status_of(exc), str(exc), **exc.details())

    return app


def plain_words(error: Mapping[str, Any]) -> str:
    """A validation error as a reader can act on it ("limit must be at most 100"), not pydantic's."""
    where = ".".join(str(p) for p in error.get("loc", ())[1:]) or "the request"
    kind, limits = error.get("type", ""), error.get("ctx") or {}
    if kind in ("greater_than_equal", "greater_than"):
        return f"{where} must be at least {limits.get('ge', limits.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"{where} must be at most {limits.get('le', limits.get('lt'))}"
    if kind in ("int_parsing", "int_from_float"):
        return f"{where} must be a whole number"
    if kind == "value_error" and isinstance(limits.get("error"), NumberError):
        return str(limits["error"]).replace("the value", where, 1)
    if kind == "string_too_long":
        return f"{where} is too long (at most {limits.get('max_length')} characters)"
    if kind == "string_pattern_mismatch":
        choices = str(limits.get("pattern", "")).strip("^$()").split("|")
        return f"{where} must be one of {', '.join(choices)}"
    if kind == "missing":
        return f"{where} is missing"
    if kind == "bool_parsing":
        return f"{where} must be true or false"
    if kind.startswith(("date", "datetime")):
        return f"{where} must be a date like 2025-10-29"
    if kind == "json_invalid":
        return "the request body is not valid JSON"
    return f"{where} is not valid"


def _keep_in_step(pt: Papertide, every: float, stop: threading.Event) -> None:
    """The server's writer of last resort for the derived indexes: what another process committed
    (keywords, vectors) is caught up every `every` seconds; a failure is logged, never fatal."""
    while not stop.wait(every):
        try:
            pt.catch_up(wait=False)
        except Exception:
            log.exception("catching the indexes up failed; trying again in %.0f s", every)


__all__ = ["create_app"]
