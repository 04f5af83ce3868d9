"""Atom feeds (RFC 4287) for the daily feed, trending and any search, from the same views."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from lxml import etree

from ..query import QueryError
from . import views
from .app import context, error_response, services

router = APIRouter(prefix="/feeds", include_in_schema=False)
ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    node = etree.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        node.text = text
    return node


def atom(title: str, self_url: str, site_url: str, cards: list[dict[str, Any]], now: datetime) -> bytes:
    """An Atom document with one entry per card (title, link, authors, summary, dates)."""
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    _sub(root, "title", title)
    _sub(root, "id", self_url)
    _sub(root, "link", href=self_url, rel="self")
    _sub(root, "link", href=site_url, rel="alternate")
    _sub(root, "updated", now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    _sub(root, "generator", "papertide")
    for card in cards:
        entry = _sub(root, "entry")
        url = f"{site_url}/papers/{card['id']}"
        _sub(entry, "title", card["title"])
        _sub(entry, "id", url)
        _sub(entry, "link", href=url, rel="alternate")
        if card["links"]["pdf"]:
            _sub(entry, "link", href=card["links"]["pdf"], rel="related", type="application/pdf")
        when = card["featured_date"] or (card["published"] or "")[:10] or now.date().isoformat()
        _sub(entry, "updated", f"{when}T00:00:00Z")
        if card["published"]:
            _sub(entry, "published", card["published"][:19] + "Z")
        names = card["authors"] or ([card["organization"]] if card["organization"] else []) or [card["byline"] or "?"]
        for name in names[:50]:
            _sub(_sub(entry, "author"), "name", name)
        summary = card["abstract"] + (f"\n\n{card['upvotes']} upvotes" if card["upvotes"] else "")
        _sub(entry, "summary", summary, type="text")
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def _feed(request: Request, title: str, cards: list[dict[str, Any]]) -> Response:
    svc = services(request)
    base = svc.config.base_url
    self_url = base + request.url.path + ("?" + request.url.query if request.url.query else "")
    return Response(atom(title, self_url, base, cards, svc.clock()), media_type=MEDIA_TYPE)


@router.get("/daily")
def daily(request: Request) -> Response:
    data = views.daily_view(context(request), None)
    return _feed(request, f"{services(request).config.site_name}: daily papers", data["papers"])


@router.get("/trending")
def trending(request: Request) -> Response:
    data = views.trending_view(context(request), 30)
    return _feed(request, f"{services(request).config.site_name}: trending papers", data["papers"])


@router.get("/search")
def search(request: Request, q: Annotated[str, Query(max_length=10_000)] = "", sort: str = "newest") -> Response:
    try:
        data = views.search_view(context(request), q, None, sort if sort in ("relevance", "newest") else "newest")
    except QueryError as exc:
        return error_response(request, 400, str(exc))
    return _feed(request, f"{services(request).config.site_name}: search {q!r}", data["papers"])
