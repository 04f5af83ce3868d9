"""The arXiv metadata snapshot (Cornell's Kaggle dataset): one JSON object per line, ~2.5M lines.

Read as a stream, one line at a time, so memory stays flat whatever the file size. A line looks like
{"id": "0704.0001", "submitter": ..., "authors": "C. Bal\\'azs, E. L. Berger", "title": ...,
 "comments": ..., "journal-ref": ..., "doi": ..., "categories": "hep-ph", "abstract": ...,
 "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}], "update_date": ...,
 "authors_parsed": [["Balázs", "C.", ""], ...]}
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson

from papertide.ids import InvalidId, parse_arxiv_id
from papertide.model import Author, Paper
from papertide.sources import Item, Rejected, clean_text, find_code_url
from papertide.sources.oai import rfc2822, split_author_string
from papertide.sources.records import clean_paper

# Keys only the snapshot's records have (format detection).
SNAPSHOT_KEYS = frozenset({"versions", "authors_parsed", "update_date", "journal-ref"})


def _parsed_author(parts: list[str]) -> Author:
    if len(parts) < 3:
        return Author(clean_text(" ".join(reversed(parts))))
    name = clean_text(" ".join(filter(None, (parts[1], parts[0], parts[2]))))
    affiliation = "; ".join(clean_text(p) for p in parts[3:] if p.strip())
    return Author(name, affiliation or None)


def _authors(record: dict[str, Any]) -> tuple[Author, ...]:
    parsed = record.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        # [keyname, forenames, suffix, affiliation...] -> "Forenames Keyname Suffix" (affiliation)
        names = [a for a in parsed if isinstance(a, list) and a and all(isinstance(x, str) for x in a)]
        return tuple(_parsed_author(a) for a in names)
    return tuple(Author(n) for n in split_author_string(_text(record, "authors")))


def snapshot_record(record: Any, where: str) -> Item:
    if not isinstance(record, dict):
        return Rejected(where, None, "line is not a JSON object")
    try:
        return _snapshot_record(record, where)
    except (TypeError, ValueError) as exc:
        return Rejected(where, str(record.get("id"))[:64] if record.get("id") else None, str(exc))


def _text(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if value is None or isinstance(value, str):
        return clean_text(value)
    raise TypeError(f"'{key}' must be text, not {type(value).__name__}")


def _snapshot_record(record: dict[str, Any], where: str) -> Item:
    raw_id, title = record.get("id"), _text(record, "title")
    if not isinstance(raw_id, str):
        return Rejected(where, title or None, "missing field 'id'")
    try:
        paper_id, _ = parse_arxiv_id(raw_id)
    except InvalidId:
        return Rejected(where, raw_id, f"id {raw_id!r} is not an arXiv id")
    if not title:
        return Rejected(where, paper_id, "missing field 'title'")
    try:
        versions = sorted((int(v["version"].lstrip("v")), rfc2822(v["created"])) for v in record.get("versions") or [])
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        return Rejected(where, paper_id, f"bad 'versions' field: {exc!r}")
    categories = tuple(_text(record, "categories").split())
    abstract = _text(record, "abstract")
    comments = _text(record, "comments") or None
    return clean_paper(
        Paper(
            id=paper_id,
            version=versions[-1][0] if versions else None,
            title=title,
            abstract=abstract,
            authors=_authors(record),
            primary_category=categories[0] if categories else None,
            categories=categories,
            published=versions[0][1] if versions else None,
            updated=versions[-1][1] if versions else None,
            comments=comments,
            journal_ref=_text(record, "journal-ref") or None,
            doi=_text(record, "doi") or None,
            code_url=find_code_url(comments, abstract),
            source="snapshot",
        )
    )


def decode_lines(lines: Iterable[bytes], where: str) -> Iterator[tuple[int, Any] | Rejected]:
    """(line number, parsed JSON) per non-blank line, or a Rejected naming the line."""
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            yield number, orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            reason = "not UTF-8" if "utf-8" in str(exc).lower() else f"not valid JSON ({exc})"
            yield Rejected(f"{where}:{number}", None, reason)


def parse_json_lines(lines: Iterable[bytes], where: str, to_item: Callable[[Any, str], Item]) -> Iterator[Item]:
    """Items from JSON lines: `to_item(record, "file:line")` for each readable line, else a Rejected."""
    for decoded in decode_lines(lines, where):
        if isinstance(decoded, Rejected):
            yield decoded
            continue
        number, record = decoded
        try:
            yield to_item(record, f"{where}:{number}")
        except (TypeError, ValueError, AttributeError, KeyError) as exc:  # one odd record never stops a file
            yield Rejected(f"{where}:{number}", None, f"a record of an unexpected shape ({exc})")


def parse_snapshot(lines: Iterable[bytes], where: str = "snapshot") -> Iterator[Item]:
    return parse_json_lines(lines, where, snapshot_record)
