"""Pure decisions of ingest: how a new observation of a paper changes the catalogue's record.

Sources disagree and arrive in any order, so the rules are:
- Bibliographic fields (title, abstract, authors, categories, dates, links) come from the most
  authoritative observation: the latest arXiv version seen, by (last-updated date, version); among
  records without those, an arXiv-family record beats the HF daily list, which beats a JSON-lines
  list, which beats a captured result page. The winner's fields replace the stored ones and its
  source becomes the record's `source`; a weaker observation only fills fields that are empty,
  and so does an equally strong one from another source.
- Community fields do not move backwards: upvotes keep their maximum (counts at the source only
  grow, and taking the maximum keeps re-imports idempotent), the featured date and the submitter
  keep their first value.
- A title-only record (`local-…` id) takes the arXiv id when the arXiv record for it arrives.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from papertide.ids import is_local_id
from papertide.model import Paper
from papertide.sources.formats import SOURCE_RANK

BIBLIOGRAPHIC = (
    "title",
    "abstract",
    "version",
    "authors",
    "author_count",
    "primary_category",
    "categories",
    "published",
    "updated",
    "comments",
    "journal_ref",
    "doi",
    "code_url",
    "project_url",
    "organization",
)
KEEP_FIRST = ("featured_date", "submitted_by")


class Outcome(enum.Enum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def _empty(value: Any) -> bool:
    return value is None or value == () or value == ""


def _outranks(incoming: Paper, existing: Paper) -> bool:
    """Whether `incoming`'s bibliographic fields replace `existing`'s (see module docstring)."""
    # At equal authority only the same source may restate a record (a lab re-importing its corrected
    # list); two sources that disagree at equal rank would otherwise flip the record on every run.
    ours, theirs = _authority(incoming), _authority(existing)
    return ours > theirs or (ours == theirs and incoming.source == existing.source)


def _authority(paper: Paper) -> tuple[datetime, int, int]:
    # `updated` is the date of the latest arXiv version in every arXiv format; OAI's `arXiv`
    # format has no version number, so the date comes first and the version breaks ties.
    return (paper.updated or datetime.min, paper.version or 0, SOURCE_RANK.get(paper.source, 1))


def merge_paper(existing: Paper | None, incoming: Paper) -> Paper:
    """The record the catalogue should hold after observing `incoming`."""
    if existing is None:
        return incoming
    wins = _outranks(incoming, existing)
    changes: dict[str, Any] = {}
    for name in BIBLIOGRAPHIC:
        new, old = getattr(incoming, name), getattr(existing, name)
        if not _empty(new) and (wins or _empty(old)):
            changes[name] = new
    if wins and incoming.source:
        changes["source"] = incoming.source
    for name in KEEP_FIRST:
        if _empty(getattr(existing, name)) and not _empty(getattr(incoming, name)):
            changes[name] = getattr(incoming, name)
    if incoming.upvotes is not None and (existing.upvotes is None or incoming.upvotes > existing.upvotes):
        changes["upvotes"] = incoming.upvotes
    if is_local_id(existing.id) and not is_local_id(incoming.id):
        changes["id"] = incoming.id
    return existing.replace(**changes) if changes else existing


def classify(existing: Paper | None, merged: Paper) -> Outcome:
    if existing is None:
        return Outcome.NEW
    return Outcome.UNCHANGED if merged == existing else Outcome.UPDATED
