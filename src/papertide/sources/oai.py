"""arXiv's OAI-PMH interface, for backfills: `ListRecords` in the `arXiv` or `arXivRaw` format.

Spec: https://www.openarchives.org/OAI/openarchivesprotocol.html and https://info.arxiv.org/help/oa/.
A response holds up to ~1000 records and a `resumptionToken` for the next; the last page has an
empty token. `noRecordsMatch` is an empty answer, not an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from lxml import etree

from papertide.ids import InvalidId, parse_arxiv_id
from papertide.model import Author, Paper
from papertide.numbers import whole_or_none
from papertide.sources import Item, Rejected, SourceError, clean_text, find_code_url
from papertide.sources.arxiv_atom import parse_xml
from papertide.sources.http import PoliteClient

OAI = "http://www.openarchives.org/OAI/2.0/"
ARXIV = "http://arxiv.org/OAI/arXiv/"
ARXIV_RAW = "http://arxiv.org/OAI/arXivRaw/"
DEFAULT_URL = "https://oaipmh.arxiv.org/oai"
FORMATS = ("arXiv", "arXivRaw")


@dataclass(frozen=True)
class OaiPage:
    items: list[Item]
    token: str | None
    complete_size: int | None


def _find(node: etree._Element, ns: str, name: str) -> str | None:
    found = node.find(f"{{{ns}}}{name}")
    return clean_text(found.text) if found is not None and found.text else None


def split_author_string(text: str) -> list[str]:
    """'A. Author, B. Author and C. Author' -> three names (arXivRaw and the snapshot's raw form)."""
    text = re.sub(r"\([^()]*\)", "", clean_text(text))  # drop "(affiliation)" asides
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+", text)
    return [p.strip() for p in parts if p.strip()]


_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)}


def rfc2822(text: str) -> datetime:
    """'Mon, 2 Apr 2007 19:18:42 GMT' as naive UTC. arXiv always writes this exact shape, parsed
    here directly (the 2.5M-line snapshot has ~4M of them); anything else goes to the stdlib."""
    parts = text.split()
    if len(parts) == 6 and parts[5] == "GMT" and parts[2] in _MONTHS and len(parts[4]) == 8:
        hh, mm, ss = parts[4].split(":")
        return datetime(int(parts[3]), _MONTHS[parts[2]], int(parts[1]), int(hh), int(mm), int(ss))
    parsed = parsedate_to_datetime(text)
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def _common(meta: etree._Element, ns: str, paper_id: str, title: str) -> dict[str, Any]:
    categories = tuple((_find(meta, ns, "categories") or "").split())
    abstract = _find(meta, ns, "abstract") or ""
    comments = _find(meta, ns, "comments")
    return {
        "id": paper_id,
        "title": title,
        "abstract": abstract,
        "primary_category": categories[0] if categories else None,
        "categories": categories,
        "comments": comments,
        "journal_ref": _find(meta, ns, "journal-ref"),
        "doi": _find(meta, ns, "doi"),
        "code_url": find_code_url(comments, abstract),
        "source": "oai",
    }


def _arxiv_record(meta: etree._Element, paper_id: str, title: str) -> Paper:
    authors = []
    for a in meta.iter(f"{{{ARXIV}}}author"):
        name = " ".join(filter(None, (_find(a, ARXIV, n) for n in ("forenames", "keyname", "suffix"))))
        affiliation = "; ".join(clean_text(x.text) for x in a.findall(f"{{{ARXIV}}}affiliation") if x.text)
        authors.append(Author(name, affiliation or None))
    created, updated = _find(meta, ARXIV, "created"), _find(meta, ARXIV, "updated")
    published = datetime.combine(date.fromisoformat(created), datetime.min.time()) if created else None
    last = datetime.combine(date.fromisoformat(updated), datetime.min.time()) if updated else published
    return Paper(authors=tuple(authors), published=published, updated=last, **_common(meta, ARXIV, paper_id, title))


def _raw_record(meta: etree._Element, paper_id: str, title: str) -> Paper:
    versions = [
        (int(v.get("version", "v0").lstrip("v")), rfc2822(v.findtext(f"{{{ARXIV_RAW}}}date", "")))
        for v in meta.findall(f"{{{ARXIV_RAW}}}version")
    ]
    versions.sort()
    return Paper(
        version=versions[-1][0] if versions else None,
        authors=tuple(Author(n) for n in split_author_string(_find(meta, ARXIV_RAW, "authors") or "")),
        published=versions[0][1] if versions else None,
        updated=versions[-1][1] if versions else None,
        **_common(meta, ARXIV_RAW, paper_id, title),
    )


def _record(record: etree._Element, where: str) -> Item | None:
    header = record.find(f"{{{OAI}}}header")
    if header is not None and header.get("status") == "deleted":
        return None
    meta = record.find(f"{{{OAI}}}metadata")
    body = meta[0] if meta is not None and len(meta) else None
    if body is None or body.tag not in (f"{{{ARXIV}}}arXiv", f"{{{ARXIV_RAW}}}arXivRaw"):
        return Rejected(where, None, "record has no arXiv or arXivRaw metadata")
    ns = ARXIV if body.tag == f"{{{ARXIV}}}arXiv" else ARXIV_RAW
    raw_id, title = _find(body, ns, "id") or "", _find(body, ns, "title")
    try:
        paper_id, _ = parse_arxiv_id(raw_id)
    except InvalidId:
        return Rejected(where, title, f"id {raw_id!r} is not an arXiv id")
    if not title:
        return Rejected(where, paper_id, "record has no title")
    try:
        return _arxiv_record(body, paper_id, title) if ns == ARXIV else _raw_record(body, paper_id, title)
    except (ValueError, TypeError) as exc:
        return Rejected(where, paper_id, f"bad date: {exc}")


def parse_oai(data: bytes, where: str = "oai") -> OaiPage:
    root = parse_xml(data, where)
    error = root.find(f"{{{OAI}}}error")
    if error is not None:
        if error.get("code") == "noRecordsMatch":
            return OaiPage([], None, 0)
        raise SourceError(f"{where}: OAI-PMH error {error.get('code')}: {clean_text(error.text)}")
    listing = root.find(f"{{{OAI}}}ListRecords")
    if listing is None:
        raise SourceError(f"{where}: not an OAI-PMH ListRecords response")
    items = []
    for i, record in enumerate(listing.findall(f"{{{OAI}}}record")):
        item = _record(record, f"{where} record {i + 1} (line {record.sourceline})")
        if item is not None:
            items.append(item)
    token_node = listing.find(f"{{{OAI}}}resumptionToken")
    token = clean_text(token_node.text) if token_node is not None and token_node.text else None
    size = token_node.get("completeListSize") if token_node is not None else None
    return OaiPage(items, token or None, whole_or_none(size))


def fetch(
    client: PoliteClient,
    *,
    metadata_prefix: str = "arXiv",
    set_spec: str | None = None,
    since: date | None = None,
    until: date | None = None,
    base_url: str = DEFAULT_URL,
) -> Iterator[Item]:
    if metadata_prefix not in FORMATS:
        raise SourceError(f"metadata format must be one of {', '.join(FORMATS)}")
    params: dict[str, str | int] = {"verb": "ListRecords", "metadataPrefix": metadata_prefix}
    if set_spec:
        params["set"] = set_spec
    if since:
        params["from"] = since.isoformat()
    if until:
        params["until"] = until.isoformat()
    while True:
        page = parse_oai(client.get(base_url, params), where=base_url)
        yield from page.items
        if not page.token:
            return
        # Later pages carry only the token (the protocol forbids other arguments beside it).
        params = {"verb": "ListRecords", "resumptionToken": page.token}
