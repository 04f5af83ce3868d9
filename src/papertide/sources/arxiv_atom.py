"""The arXiv API (Atom 1.0 with arXiv and OpenSearch extensions): parser and paged fetcher.

Spec: https://info.arxiv.org/help/api/user-manual.html. A query answers one page of entries with
`opensearch:totalResults`; errors come back as a feed with one entry whose id is `.../api/errors`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from papertide.ids import InvalidId, parse_arxiv_id
from papertide.model import Author, Paper
from papertide.sources import Item, Rejected, SourceError, clean_text, find_code_url, parse_iso_datetime
from papertide.sources.http import PoliteClient

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}
DEFAULT_URL = "https://export.arxiv.org/api/query"
# Parse untrusted XML without fetching or expanding anything.
XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


@dataclass(frozen=True)
class AtomPage:
    total: int
    start: int
    items: list[Item]


def parse_xml(data: bytes, where: str) -> etree._Element:
    try:
        return etree.fromstring(data, XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"{where}: not well-formed XML at line {exc.lineno}: {exc.msg}") from exc


def _text(node: etree._Element, path: str) -> str | None:
    found = node.find(path, NS)
    return clean_text(found.text) if found is not None and found.text else None


def _entry(entry: etree._Element, where: str) -> Item:
    raw_id = _text(entry, "atom:id") or ""
    title = _text(entry, "atom:title")
    try:
        paper_id, version = parse_arxiv_id(raw_id)
    except InvalidId:
        return Rejected(where, title, f"entry id {raw_id!r} is not an arXiv abs URL")
    if not title:
        return Rejected(where, paper_id, "entry has no title")
    published, updated = _text(entry, "atom:published"), _text(entry, "atom:updated")
    try:
        published_at = parse_iso_datetime(published) if published else None
        updated_at = parse_iso_datetime(updated) if updated else None
    except ValueError as exc:
        return Rejected(where, paper_id, f"bad date: {exc}")
    authors = tuple(
        Author(
            clean_text(a.findtext("atom:name", "", NS)),
            "; ".join(clean_text(x.text) for x in a.findall("arxiv:affiliation", NS) if x.text) or None,
        )
        for a in entry.findall("atom:author", NS)
    )
    primary = entry.find("arxiv:primary_category", NS)
    abstract = _text(entry, "atom:summary") or ""
    comment = _text(entry, "arxiv:comment")
    return Paper(
        id=paper_id,
        version=version,
        title=title,
        abstract=abstract,
        authors=authors,
        primary_category=primary.get("term") if primary is not None else None,
        categories=tuple(c.get("term", "") for c in entry.findall("atom:category", NS) if c.get("term")),
        published=published_at,
        updated=updated_at,  # no <updated>: no claim to be the latest version (published is v1's date)
        comments=comment,
        journal_ref=_text(entry, "arxiv:journal_ref"),
        doi=_text(entry, "arxiv:doi"),
        code_url=find_code_url(comment, abstract),
        source="arxiv",
    )


def parse_atom(data: bytes, where: str = "arxiv") -> AtomPage:
    root = parse_xml(data, where)
    if root.tag != f"{{{NS['atom']}}}feed":
        raise SourceError(f"{where}: not an Atom feed (root element {root.tag})")
    entries = root.findall("atom:entry", NS)
    if len(entries) == 1 and "/api/errors" in (_text(entries[0], "atom:id") or ""):
        raise SourceError(f"{where}: arXiv API error: {_text(entries[0], 'atom:summary')}")
    total = int(root.findtext("opensearch:totalResults", str(len(entries)), NS))
    start = int(root.findtext("opensearch:startIndex", "0", NS))
    items = [_entry(e, f"{where} entry {start + i + 1} (line {e.sourceline})") for i, e in enumerate(entries)]
    return AtomPage(total=total, start=start, items=items)


def category_query(category: str, since: datetime, until: datetime) -> str:
    """The API's search_query for papers in `category` first submitted in [since, until]."""
    return f"cat:{category} AND submittedDate:[{since:%Y%m%d%H%M} TO {until:%Y%m%d%H%M}]"


def fetch(
    client: PoliteClient,
    *,
    search_query: str | None = None,
    id_list: Sequence[str] = (),
    base_url: str = DEFAULT_URL,
    page_size: int = 100,
    empty_page_retries: int = 2,
) -> Iterator[Item]:
    """Every record a query answers, page after page (the API is known to answer an empty page now
    and then before the end; such a page is asked again a few times before giving up)."""
    start, empty_pages = 0, 0
    while True:
        params: dict[str, str | int] = {"start": start, "max_results": page_size}
        if search_query:
            params.update(search_query=search_query, sortBy="submittedDate", sortOrder="ascending")
        if id_list:
            params["id_list"] = ",".join(id_list)
        page = parse_atom(client.get(base_url, params), where=f"{base_url}?start={start}")
        yield from page.items
        start += len(page.items)
        if start >= page.total:
            return
        if not page.items:
            empty_pages += 1
            if empty_pages > empty_page_retries:
                raise SourceError(f"{base_url}: empty page at {start} of {page.total} results")
        else:
            empty_pages = 0
