"""Hugging Face's daily papers list (`/api/daily_papers`): featured dates, upvotes and submitters.

Each entry: {"paper": {"id": "2310.01234", "title", "summary", "authors": [{"name": ...}],
"publishedAt" (arXiv), "submittedOnDailyAt", "upvotes", "githubRepo", "projectPage",
"organization": {"name", "fullname"}, ...}, "publishedAt" (featured), "title", "summary",
"submittedBy": {"name", "fullname"}, "organization": {...}, "numComments", ...}.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import orjson

from papertide.ids import InvalidId, parse_arxiv_id
from papertide.model import Author, Paper
from papertide.sources import Item, Rejected, SourceError, clean_text, find_code_url, parse_iso_datetime
from papertide.sources.http import PoliteClient
from papertide.sources.records import clean_paper

DEFAULT_URL = "https://huggingface.co/api/daily_papers"


def _name(value: Any, *keys: str) -> str | None:
    if isinstance(value, dict):
        for key in keys:
            if isinstance(value.get(key), str) and value[key].strip():
                return str(value[key]).strip()
    return None


def _is_bare_paper(value: Any) -> bool:
    """A paper object as `/api/papers/{id}` answers it (no `paper` wrapper)."""
    return isinstance(value, dict) and "id" in value and "title" in value and ("summary" in value or "upvotes" in value)


def _entry(entry: Any, where: str) -> Item:
    if _is_bare_paper(entry) and not isinstance(entry.get("paper"), dict):
        entry = {"paper": entry}
    if not isinstance(entry, dict) or not isinstance(entry.get("paper"), dict):
        return Rejected(where, None, "entry has neither a 'paper' object nor a paper's id, title and summary")
    paper = entry["paper"]
    raw_id = paper.get("id")
    try:
        title = clean_text(paper.get("title") or entry.get("title"))
        abstract = clean_text(paper.get("summary") or entry.get("summary"))
    except TypeError as exc:
        return Rejected(where, None if raw_id is None else str(raw_id)[:64], f"title or summary: {exc}")
    if raw_id is None:
        return Rejected(where, title or None, "missing field 'paper.id'")
    try:
        paper_id, version = parse_arxiv_id(str(raw_id))
    except InvalidId:
        return Rejected(where, title or None, f"paper id {raw_id!r} is not an arXiv id")
    if not title:
        return Rejected(where, paper_id, "missing field 'title'")
    try:
        published = parse_iso_datetime(paper["publishedAt"]) if paper.get("publishedAt") else None
        featured_at = paper.get("submittedOnDailyAt") or entry.get("publishedAt")
        featured = parse_iso_datetime(featured_at).date() if featured_at else None
    except (ValueError, TypeError) as exc:
        return Rejected(where, paper_id, f"bad date: {exc}")
    upvotes = paper.get("upvotes")
    paper = Paper(
        id=paper_id,
        version=version,
        title=title,
        abstract=abstract,
        authors=tuple(
            Author(clean_text(a["name"]))
            for a in paper.get("authors") or []
            if isinstance(a, dict) and isinstance(a.get("name"), str) and a["name"].strip()
        ),
        organization=_name(entry.get("organization"), "fullname", "name")
        or _name(paper.get("organization"), "fullname", "name"),
        published=published,
        featured_date=featured,
        # The submitter's handle: `name` in an entry's `submittedBy`, `user` in a paper's
        # `submittedOnDailyBy` (whose `fullname` is the display name, kept only when no handle is given).
        submitted_by=_name(entry.get("submittedBy"), "name", "user")
        or _name(paper.get("submittedOnDailyBy"), "user", "name")
        or _name(entry.get("submittedBy"), "fullname")
        or _name(paper.get("submittedOnDailyBy"), "fullname"),
        upvotes=upvotes if isinstance(upvotes, int) and upvotes >= 0 else None,
        code_url=paper.get("githubRepo") or find_code_url(abstract),
        project_url=paper.get("projectPage") or None,
        source="hf-daily",
    )
    try:
        return clean_paper(paper)
    except (TypeError, ValueError) as exc:
        return Rejected(where, paper_id, str(exc))


_ENTRY_KEYS = re.compile(rb'"(paper|summary|upvotes|submittedOnDailyAt)"\s*:')


def looks_like_hf_daily(head: bytes) -> bool:
    """A file's first bytes show HF's JSON: a list whose first element is an entry or a bare paper,
    or one paper object (an `/api/papers/{id}` answer)."""
    if head.startswith(b"["):
        first = head[1:].lstrip(b" \t\r\n")
        if first.startswith(b"]"):
            return True
        return first.startswith(b"{") and bool(_ENTRY_KEYS.search(head[:4096]))
    if head.startswith(b"{"):
        try:
            return _is_bare_paper(orjson.loads(head))
        except orjson.JSONDecodeError:
            return False
    return False


def parse_hf_daily(data: bytes, where: str = "daily_papers") -> list[Item]:
    try:
        entries = orjson.loads(data.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as exc:
        raise SourceError(f"{where}: not valid JSON: {exc}") from exc
    if _is_bare_paper(entries):
        entries = [entries]
    if not isinstance(entries, list):
        raise SourceError(f"{where}: expected a JSON list of daily-paper entries")
    return [_entry(e, f"{where}[{i}]") for i, e in enumerate(entries)]


def fetch(client: PoliteClient, day: date, base_url: str = DEFAULT_URL, page_size: int = 100) -> Iterator[Item]:
    """The papers featured on `day`, page by page until a short page."""
    page = 0
    while True:
        params: dict[str, str | int] = {"date": day.isoformat(), "limit": page_size, "p": page}
        items = parse_hf_daily(client.get(base_url, params), where=f"{base_url}?date={day}&p={page}")
        yield from items
        if len(items) < page_size:
            return
        page += 1
