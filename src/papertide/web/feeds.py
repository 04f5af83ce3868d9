"""Atom feeds (RFC 4287) for the daily feed, trending and any search, from the same views."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from lxml import etree

from papertide.ids import paper_path
from papertide.web import views
from papertide.web.context import context, services
from papertide.web.params import Search, search_params

router = APIRouter(prefix="/feeds", include_in_schema=False)
ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"


# What XML 1.0 cannot hold at all (C0 controls but tab and newlines, lone surrogates, U+FFFE/FFFF):
# a stored string carrying one must never take a feed down.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    node = etree.SubElement(parent, f"{{{ATOM}}}{tag}", {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        node.text = xml_text(text)
    return node


def atom(title: str, self_url: str, site_url: str, cards: list[views.Item], now: datetime) -> bytes:
    """An Atom document with one entry per card (title, link, authors, summary, dates)."""
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    _sub(root, "title", title)
    _sub(root, "id", self_url)
    _sub(root, "link", href=self_url, rel="self")
    _sub(root, "link", href=site_url, rel="alternate")
    _sub(root, "updated", now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    _sub(root, "generator", "papertide")
    for item in cards:
        c = item.card
        entry = _sub(root, "entry")
        url = site_url + paper_path(c.id)
        _sub(entry, "title", c.title)
        _sub(entry, "id", url)
        _sub(entry, "link", href=url, rel="alternate")
        if c.pdf_url:
            _sub(entry, "link", href=c.pdf_url, rel="related", type="application/pdf")
        if c.code_url:  # an http(s) link or none (cards.safe_link)
            _sub(entry, "link", href=c.code_url, rel="related", title="code")
        when = c.featured_date or (c.published or "")[:10] or now.date().isoformat()
        _sub(entry, "updated", f"{when}T00:00:00Z")
        if c.published:
            _sub(entry, "published", c.published[:19] + "Z")
        names = list(c.authors) or ([c.organization] if c.organization else []) or [c.byline or "?"]
        for name in names[:50]:
            _sub(_sub(entry, "author"), "name", name)
        summary = c.abstract + (f"\n\n{c.upvotes} upvotes" if c.upvotes else "")
        _sub(entry, "summary", summary, type="text")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def _feed(request: Request, title: str, cards: list[views.Item]) -> Response:
    svc = services(request)
    base = svc.config.base_url
    self_url = base + request.url.path + ("?" + request.url.query if request.url.query else "")
    return Response(atom(title, self_url, base, cards, svc.clock()), media_type=MEDIA_TYPE)


@router.get("/daily")
def daily(request: Request) -> Response:
    view = views.daily_view(context(request), None)
    return _feed(request, f"{services(request).config.site_name}: daily papers", view.papers)


@router.get("/trending")
def trending(request: Request) -> Response:
    view = views.trending_view(context(request), 30)
    return _feed(request, f"{services(request).config.site_name}: trending papers", view.papers)


@router.get("/search")
def search(request: Request, asked: Annotated[Search, Depends(search_params)]) -> Response:
    """Any search as a feed, with the same parameters as the search page (newest first unless a
    sort is given)."""
    view = views.search_view(
        context(request), asked.q, asked.mode, asked.sorted_by("newest"), asked.filters, asked.page
    )
    return _feed(request, f"{services(request).config.site_name}: search {asked.q!r}", view.papers)
