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

from ..ids import MAX_ID, is_arxiv_category, is_paper_id
from ..model import Author, Paper
from ..text import clean_line, safe_link

_TEXT = ("id", "title", "abstract", "organization", "primary_category", "submitted_by", "comments",
         "journal_ref", "doi", "code_url", "project_url", "source")  # fmt: skip
_COUNTS = ("version", "author_count", "upvotes", "member_votes", "member_comments", "github_stars")
_LINKS = ("code_url", "project_url")


def _type_error(name: str, value: Any, wanted: str) -> TypeError:
    return TypeError(f"'{name}' must be {wanted}, not {type(value).__name__}")


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
        if value is not None and value < 0:
            raise ValueError(f"'{name}' must be a whole number >= 0")
    if not isinstance(paper.authors, tuple) or not all(isinstance(a, Author) for a in paper.authors):
        raise _type_error("authors", paper.authors, "a list of authors")
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
        Author(clean_line(a.name), clean_line(a.affiliation) or None if a.affiliation else None)
        for a in paper.authors
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
