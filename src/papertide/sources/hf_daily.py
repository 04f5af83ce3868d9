"""Hugging Face's daily papers list (`/api/daily_papers`): featured dates, upvotes and submitters.

Each entry: {"paper": {"id": "2310.01234", "title", "summary", "authors": [{"name": ...}],
"publishedAt" (arXiv), "submittedOnDailyAt", "upvotes", "githubRepo", "projectPage",
"organization": {"name", "fullname"}, ...}, "publishedAt" (featured), "title", "summary",
"submittedBy": {"name", "fullname"}, "organization": {...}, "numComments", ...}.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import orjson

from ..ids import InvalidId, parse_arxiv_id
from ..model import Author, Paper
from . import Item, Rejected, SourceError, clean_text, find_code_url, parse_iso_datetime
from .http import PoliteClient

DEFAULT_URL = "https://huggingface.co/api/daily_papers"


def _name(value: Any, *keys: str) -> str | None:
    if isinstance(value, dict):
        for key in keys:
            if isinstance(value.get(key), str) and value[key].strip():
                return str(value[key]).strip()
    return None


def _entry(entry: Any, where: str) -> Item:
    if not isinstance(entry, dict) or not isinstance(entry.get("paper"), dict):
        return Rejected(where, None, "entry has no 'paper' object")
    paper = entry["paper"]
    raw_id = paper.get("id")
    title = clean_text(paper.get("title") or entry.get("title"))
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
    abstract = clean_text(paper.get("summary") or entry.get("summary"))
    return Paper(
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
        submitted_by=_name(entry.get("submittedBy"), "name", "fullname")
        or _name(paper.get("submittedOnDailyBy"), "name", "fullname"),
        upvotes=upvotes if isinstance(upvotes, int) and upvotes >= 0 else None,
        code_url=paper.get("githubRepo") or find_code_url(abstract),
        project_url=paper.get("projectPage") or None,
        source="hf-daily",
    )


def parse_hf_daily(data: bytes, where: str = "daily_papers") -> list[Item]:
    try:
        entries = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise SourceError(f"{where}: not valid JSON: {exc}") from exc
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
