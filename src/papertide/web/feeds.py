"""Atom feeds (RFC 4287) for the daily feed, trending and any search, from the same views."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from lxml import etree

from papertide.ids import paper_path
from papertide.web import views
from papertide.web.context import context, services
from papertide.web.deps import Svc
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


def atom_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class AtomEntry:
    """One entry of a feed: a paper (text summary, related links) or a comment (its HTML)."""

    title: str
    url: str
    updated: str
    published: str | None = None
    authors: Sequence[str] = ()
    summary: str | None = None  # plain text
    html: str | None = None  # already sanitised HTML (a comment)
    related: Sequence[tuple[str, dict[str, str]]] = ()  # (href, further attributes)


def atom_document(title: str, self_url: str, site_url: str, updated: datetime, entries: Iterable[AtomEntry]) -> bytes:
    """The one Atom writer (RFC 4287): every feed of the site, papers and discussions alike. Text
    never holds what XML cannot (`xml_text`), and lxml escapes the rest."""
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    _sub(root, "title", title)
    _sub(root, "id", self_url)
    _sub(root, "link", href=self_url, rel="self")
    _sub(root, "link", href=site_url, rel="alternate")
    _sub(root, "updated", atom_time(updated))
    _sub(root, "generator", "papertide")
    for e in entries:
        entry = _sub(root, "entry")
        _sub(entry, "title", e.title)
        _sub(entry, "id", e.url)
        _sub(entry, "link", href=e.url, rel="alternate")
        for href, attrs in e.related:
            _sub(entry, "link", href=href, rel="related", **attrs)
        if e.published and e.html is not None:
            _sub(entry, "published", e.published)
        _sub(entry, "updated", e.updated)
        if e.published and e.html is None:
            _sub(entry, "published", e.published)
        for name in e.authors:
            _sub(_sub(entry, "author"), "name", name)
        if e.summary is not None:
            _sub(entry, "summary", e.summary, type="text")
        if e.html is not None:
            _sub(entry, "content", e.html, type="html")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def card_entry(item: views.Item, site_url: str, now: datetime) -> AtomEntry:
    """A paper's card as an entry: title, links (PDF, code), dates, authors, the abstract."""
    c = item.card
    related: list[tuple[str, dict[str, str]]] = []
    if c.pdf_url:
        related.append((c.pdf_url, {"type": "application/pdf"}))
    if c.code_url:  # an http(s) link or none (cards.safe_link)
        related.append((c.code_url, {"title": "code"}))
    when = c.featured_date or (c.published or "")[:10] or now.date().isoformat()
    names = list(c.authors) or ([c.organization] if c.organization else []) or [c.byline or "?"]
    return AtomEntry(
        title=c.title,
        url=site_url + paper_path(c.id),
        updated=f"{when}T00:00:00Z",
        published=c.published[:19] + "Z" if c.published else None,
        authors=names[:50],
        summary=c.abstract + (f"\n\n{c.upvotes} upvotes" if c.upvotes else ""),
        related=related,
    )


def atom(title: str, self_url: str, site_url: str, cards: list[views.Item], now: datetime) -> bytes:
    """An Atom document with one entry per card (title, link, authors, summary, dates)."""
    return atom_document(title, self_url, site_url, now, [card_entry(i, site_url, now) for i in cards])


def _feed(request: Request, title: str, cards: list[views.Item]) -> Response:
    svc = services(request)
    base = svc.config.base_url
    self_url = base + request.url.path + ("?" + request.url.query if request.url.query else "")
    return Response(atom(title, self_url, base, cards, svc.clock()), media_type=MEDIA_TYPE)


@router.get("/daily")
def daily(request: Request, svc: Svc) -> Response:
    view = views.daily_view(context(request), None)
    return _feed(request, f"{svc.config.site_name}: daily papers", view.papers)


@router.get("/trending")
def trending(request: Request, svc: Svc) -> Response:
    view = views.trending_view(context(request), 30)
    return _feed(request, f"{svc.config.site_name}: trending papers", view.papers)


@router.get("/search")
def search(request: Request, asked: Annotated[Search, Depends(search_params)], svc: Svc) -> Response:
    """Any search as a feed, with the same parameters as the search page (newest first unless a
    sort is given)."""
    view = views.search_view(
        context(request), asked.q, asked.mode, asked.sorted_by("newest"), asked.filters, asked.page
    )
    return _feed(request, f"{svc.config.site_name}: search {asked.q!r}", view.papers)
