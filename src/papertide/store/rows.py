"""Converting between `Paper` and the `papers` table's rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from papertide.ids import title_hash, title_key
from papertide.model import Author, Paper

# Columns written for a paper, in this order (the surrogate `pk` and `ingested_at` are the store's).
ROW_COLUMNS = (
    "id",
    "title_key",
    "title_hash",
    "version",
    "title",
    "abstract",
    "authors",
    "author_names",
    "author_count",
    "organization",
    "primary_category",
    "categories",
    "published",
    "updated",
    "featured_date",
    "submitted_by",
    "upvotes",
    "comments",
    "journal_ref",
    "doi",
    "code_url",
    "project_url",
    "source",
    "changed_at",
)


# Columns read back into a Paper: the written ones less the derived and bookkeeping ones.
# `member_votes` is read but never written from a Paper: only a vote moves it (see store.community).
_DERIVED = ("title_key", "title_hash", "author_names", "changed_at")
_COMMUNITY = ("member_votes", "member_comments", "github_stars", "keywords")  # kept by papertide, not sources
PAPER_COLUMNS = (*(c for c in ROW_COLUMNS if c not in _DERIVED), *_COMMUNITY)


def paper_values(paper: Paper, now: datetime | str) -> tuple[Any, ...]:
    """The values of ROW_COLUMNS for `paper` (one tuple: bulk inserts build a million of these);
    `now` is the change time, as a datetime or already in the driver's text form."""
    authors = paper.authors
    key = title_key(paper.title)
    return (
        paper.id,
        key,
        title_hash(key),
        paper.version,
        paper.title,
        paper.abstract,
        orjson.dumps([[a.name, a.affiliation] if a.affiliation else [a.name] for a in authors]).decode(),
        " ".join([a.name for a in authors]),
        paper.author_count,
        paper.organization,
        paper.primary_category,
        orjson.dumps(list(paper.categories)).decode(),
        paper.published,
        paper.updated,
        paper.featured_date,
        paper.submitted_by,
        paper.upvotes,
        paper.comments,
        paper.journal_ref,
        paper.doi,
        paper.code_url,
        paper.project_url,
        paper.source,
        now,
    )


def paper_to_row(paper: Paper) -> dict[str, Any]:
    return dict(zip(ROW_COLUMNS, paper_values(paper, utc_now()), strict=True))


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def row_to_paper(row: Mapping[Any, Any]) -> Paper:
    return Paper(
        id=row["id"],
        version=row["version"],
        title=row["title"],
        abstract=row["abstract"],
        authors=tuple(Author(*a) for a in orjson.loads(row["authors"])),
        author_count=row["author_count"],
        organization=row["organization"],
        primary_category=row["primary_category"],
        categories=categories_of(row["categories"]),
        published=row["published"],
        updated=row["updated"],
        featured_date=row["featured_date"],
        submitted_by=row["submitted_by"],
        upvotes=row["upvotes"],
        comments=row["comments"],
        journal_ref=row["journal_ref"],
        doi=row["doi"],
        code_url=row["code_url"],
        project_url=row["project_url"],
        source=row["source"],
        member_votes=row["member_votes"],
        member_comments=row["member_comments"],
        github_stars=row["github_stars"],
        keywords=tuple(orjson.loads(row["keywords"])) if row["keywords"] else (),
    )


def categories_of(text: str | None) -> tuple[str, ...]:
    """The categories column (a JSON list) as a tuple."""
    return tuple(orjson.loads(text)) if text else ()
