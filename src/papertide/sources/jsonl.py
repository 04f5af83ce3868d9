"""JSON lines of a lab's own collection, and papertide's own export format.

One object per line: `id` (or `_id`), `title`, `abstract` (or `text`), and optionally `authors`
(a list of names or of {"name", "affiliation"}, or one "A, B and C" string), `date` (first
published), `categories` (a list or a space-separated string). BEIR corpora fit as they are.
Every other field that `papertide export` writes is read back too, so an export re-imports losslessly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from papertide.ids import InvalidId, parse_arxiv_id
from papertide.model import Author, Paper
from papertide.numbers import NumberError, parse_whole
from papertide.sources import Item, Rejected, clean_text, find_code_url, parse_iso_datetime
from papertide.sources.oai import split_author_string
from papertide.sources.records import MAX_COUNT, clean_paper
from papertide.sources.snapshot import parse_json_lines

_ID = re.compile(r"^[\w.\-/:]{1,64}$")
_TEXT_FIELDS = (
    "organization",
    "primary_category",
    "submitted_by",
    "comments",
    "journal_ref",
    "doi",
    "project_url",
)


def _authors(value: Any) -> tuple[Author, ...]:
    if isinstance(value, str):
        return tuple(Author(n) for n in split_author_string(value))
    if not isinstance(value, list):
        raise ValueError("'authors' must be a list or a string")
    out = []
    for a in value:
        if isinstance(a, str):
            out.append(Author(clean_text(a)))
        elif isinstance(a, dict) and isinstance(a.get("name"), str):
            out.append(Author(clean_text(a["name"]), a.get("affiliation") or None))
        else:
            raise ValueError(f"author {a!r} is neither a name nor an object with a name")
    return tuple(out)


def _optional_int(record: dict[str, Any], key: str) -> int | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, int):
        raise ValueError(f"'{key}' must be a whole number from 0 to {MAX_COUNT}")
    try:
        return parse_whole(value, f"'{key}'", 0, MAX_COUNT)  # an int from JSON, bounded; never text
    except NumberError:
        raise ValueError(f"'{key}' must be a whole number from 0 to {MAX_COUNT}") from None


def jsonl_record(record: Any, where: str, source: str = "jsonl") -> Item:
    if not isinstance(record, dict):
        return Rejected(where, None, "line is not a JSON object")
    raw_id = record.get("id", record.get("_id"))
    title = clean_text(record.get("title")) if isinstance(record.get("title"), str) else ""
    if raw_id is None or not _ID.match(str(raw_id)):
        reason = "missing field 'id'" if raw_id is None else f"bad id {raw_id!r}"
        return Rejected(where, title or None, reason)
    paper_id = str(raw_id)
    try:
        version = _optional_int(record, "version")
    except ValueError as exc:
        return Rejected(where, paper_id, str(exc))
    try:
        paper_id, parsed_version = parse_arxiv_id(paper_id)
        version = version or parsed_version
    except InvalidId:
        pass  # a collection's own id ("4983", "doc-12") stays as given
    if not title:
        return Rejected(where, paper_id, "missing field 'title'")
    try:
        abstract = clean_text(record.get("abstract") or record.get("text") or "")
        categories = record.get("categories") or ()
        categories = tuple(categories.split() if isinstance(categories, str) else categories)
        published = record.get("published") or record.get("date")
        updated, featured = record.get("updated"), record.get("featured_date")
        fields: dict[str, Any] = {k: record[k] for k in _TEXT_FIELDS if isinstance(record.get(k), str)}
        return clean_paper(
            Paper(
                id=paper_id,
                version=version,
                title=title,
                abstract=abstract,
                authors=_authors(record.get("authors") or []),
                author_count=_optional_int(record, "author_count"),
                categories=categories,
                primary_category=fields.pop("primary_category", categories[0] if categories else None),
                published=parse_iso_datetime(published) if published else None,
                updated=parse_iso_datetime(updated) if updated else None,
                featured_date=date.fromisoformat(featured) if featured else None,
                upvotes=_optional_int(record, "upvotes"),
                code_url=record.get("code_url") or find_code_url(abstract, fields.get("comments")),
                source=record.get("source") or source,
                **fields,
            )
        )
    except (ValueError, TypeError) as exc:
        return Rejected(where, paper_id, str(exc))


def parse_jsonl(lines: Iterable[bytes], where: str = "jsonl") -> Iterator[Item]:
    return parse_json_lines(lines, where, jsonl_record)
