"""Converting between `Paper` and the `papers` table's rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from ..ids import title_key
from ..model import Author, Paper

# Columns read back into a Paper (the rest are derived or bookkeeping).
PAPER_COLUMNS = (
    "id",
    "version",
    "title",
    "abstract",
    "authors",
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
)


def paper_to_row(paper: Paper) -> dict[str, Any]:
    now = datetime.now(UTC).replace(tzinfo=None)
    return {
        "id": paper.id,
        "title_key": title_key(paper.title),
        "version": paper.version,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": orjson.dumps(
            [[a.name, a.affiliation] if a.affiliation else [a.name] for a in paper.authors]
        ).decode(),
        "author_names": " ".join(a.name for a in paper.authors),
        "author_count": paper.author_count,
        "organization": paper.organization,
        "primary_category": paper.primary_category,
        "categories": " ".join(paper.categories),
        "published": paper.published,
        "updated": paper.updated,
        "featured_date": paper.featured_date,
        "submitted_by": paper.submitted_by,
        "upvotes": paper.upvotes,
        "comments": paper.comments,
        "journal_ref": paper.journal_ref,
        "doi": paper.doi,
        "code_url": paper.code_url,
        "project_url": paper.project_url,
        "source": paper.source,
        "changed_at": now,
    }


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
        categories=tuple(row["categories"].split()),
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
    )
