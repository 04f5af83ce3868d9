"""What every record must be before it reaches the catalogue, whatever source it came from.

`clean_paper` is applied to each record on its way in (`imports.merge_records`; the JSON parsers
call it too, to reject a bad record with its file and line): fields of the wrong type are refused
(TypeError, naming the field), characters that are not text are dropped from every text field,
categories keep only arXiv category ids, and links keep only http(s) URLs. So the store never holds
a string a feed cannot carry, a link a page must not render, or a category that reads back
differently from how it was written.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from papertide.ids import MAX_ID, is_arxiv_category, is_paper_id
from papertide.model import Author, Paper
from papertide.text import clean_line, safe_link

_TEXT = ("id", "title", "abstract", "organization", "primary_category", "submitted_by", "comments",
         "journal_ref", "doi", "code_url", "project_url", "source")  # fmt: skip
_COUNTS = ("version", "author_count", "upvotes", "member_votes", "member_comments", "github_stars")
_LINKS = ("code_url", "project_url")

# The longest each field may be, in characters (items for the lists). Measured on the 92,905 real
# arXiv listings in shared/bench-data (max / 99.99th percentile): title 239 / 212, abstract 3,488 /
# 1,965 (SciFact's longest text is 10,000), comment 431 / 403, authors 3,303 (a collaboration) /
# 482, an author's name 512 (authors run together by a scraper) / 39, categories 7 / 6. Each bound
# is a few times the largest real value, so no real record is refused, while a multi-megabyte field
# (the probe's abstract made every search that found it hang, its page 16.8 MB) is refused naming it.
FIELD_LIMITS: dict[str, int] = {
    "title": 1_000,
    "abstract": 20_000,
    "comments": 2_000,
    "journal_ref": 1_000,
    "organization": 300,
    "submitted_by": 100,
    "doi": 300,
    "code_url": 2_000,
    "project_url": 2_000,
    "primary_category": 64,
    "source": 64,
    "authors": 10_000,
    "author": 1_000,  # a name or an affiliation
    "categories": 50,
}
MAX_COUNT = 2**31 - 1  # upvotes, versions, stars: within either backend's INTEGER


def _type_error(name: str, value: Any, wanted: str) -> TypeError:
    return TypeError(f"'{name}' must be {wanted}, not {type(value).__name__}")


def _too_long(name: str, size: int, unit: str = "characters") -> ValueError:
    return ValueError(f"'{name}' is too long: {size:,} {unit}, at most {FIELD_LIMITS[name]:,}")


def _check_lengths(paper: Paper) -> None:
    """Every field within FIELD_LIMITS, checked before any other work is done on the text."""
    for name, limit in FIELD_LIMITS.items():
        value = getattr(paper, name, None)
        if isinstance(value, str) and len(value) > limit:
            raise _too_long(name, len(value))
    if len(paper.authors) > FIELD_LIMITS["authors"]:
        raise _too_long("authors", len(paper.authors), "names")
    if len(paper.categories) > FIELD_LIMITS["categories"]:
        raise _too_long("categories", len(paper.categories), "categories")
    for author in paper.authors:
        for part in (author.name, author.affiliation):
            if isinstance(part, str) and len(part) > FIELD_LIMITS["author"]:
                raise _too_long("author", len(part))


def _check_types(paper: Paper) -> None:
    # Categories first: a primary category is derived from them, so their error is the one to name.
    if not isinstance(paper.categories, tuple) or not all(isinstance(c, str) for c in paper.categories):
        raise TypeError("'categories' must be a list of category ids (text)")
    for name in _TEXT:
        value = getattr(paper, name)
        if value is not None and not isinstance(value, str):
            raise _type_error(name, value, "text")
    for name in _COUNTS:
        value = getattr(paper, name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise _type_error(name, value, "a whole number")
        if value is not None and not 0 <= value <= MAX_COUNT:
            raise ValueError(f"'{name}' must be a whole number from 0 to {MAX_COUNT}")
    if not isinstance(paper.authors, tuple) or not all(isinstance(a, Author) for a in paper.authors):
        raise _type_error("authors", paper.authors, "a list of authors")
    _check_lengths(paper)
    for author in paper.authors:
        if not isinstance(author.name, str):
            raise _type_error("author name", author.name, "text")
        if author.affiliation is not None and not isinstance(author.affiliation, str):
            raise _type_error("affiliation", author.affiliation, "text")
    for name in ("published", "updated"):
        value = getattr(paper, name)
        if value is not None and not isinstance(value, datetime):
            raise _type_error(name, value, "a date-time")
    if paper.featured_date is not None and (
        not isinstance(paper.featured_date, date) or isinstance(paper.featured_date, datetime)
    ):
        raise _type_error("featured_date", paper.featured_date, "a date")


def clean_paper(paper: Paper) -> Paper:
    """`paper` fit for the catalogue (see the module's docstring); TypeError or ValueError names a
    field that cannot be used."""
    _check_types(paper)
    changes: dict[str, Any] = {}
    for name in _TEXT:
        value = getattr(paper, name)
        if value:
            cleaned = clean_line(value)
            if name in _LINKS:
                cleaned = safe_link(cleaned) or ""
            if cleaned != value:
                changes[name] = cleaned or (None if name not in ("id", "title", "abstract", "source") else "")
    if not changes.get("title", paper.title):
        raise ValueError("the title is empty once control characters are removed")
    if not changes.get("id", paper.id):
        raise ValueError("the id is empty once control characters are removed")
    if not is_paper_id(changes.get("id", paper.id)):
        raise ValueError(
            f"the id {changes.get('id', paper.id)[:80]!r} is not a paper id: up to {MAX_ID} letters, digits, '.', '-'"
            " or '_', starting with a letter or digit, no '..' (an old-style arXiv id such as hep-th/9901001 keeps"
            " its '/')"
        )
    authors = tuple(
        Author(clean_line(a.name), clean_line(a.affiliation) or None if a.affiliation else None) for a in paper.authors
    )
    authors = tuple(a for a in authors if a.name)
    if authors != paper.authors:
        changes["authors"] = authors
    categories = tuple(dict.fromkeys(c for c in (clean_line(c) for c in paper.categories) if is_arxiv_category(c)))
    if categories != paper.categories:
        changes["categories"] = categories
    primary = changes.get("primary_category", paper.primary_category)
    if primary is not None and not is_arxiv_category(primary):
        changes["primary_category"] = categories[0] if categories else None
    return dataclasses.replace(paper, **changes) if changes else paper
