"""The catalogue's record types: a paper and its authors, as every source and store sees them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Author:
    name: str
    affiliation: str | None = None


# Community state the store keeps apart from the catalogue record (votes have their own table).
_NOT_EXPORTED = frozenset({"member_votes", "member_comments", "github_stars", "keywords"})


@dataclass(frozen=True, slots=True)
class Paper:
    """One paper of the catalogue, or a partial observation of one coming from a source.

    Fields a source does not carry are None (or empty); `merge.merge_paper` decides how an
    observation changes what the catalogue already holds.
    """

    id: str
    title: str
    abstract: str = ""
    version: int | None = None
    authors: tuple[Author, ...] = ()
    # Result pages show "7 authors" without names; keep the count they give.
    author_count: int | None = None
    organization: str | None = None
    primary_category: str | None = None
    categories: tuple[str, ...] = ()
    published: datetime | None = None
    updated: datetime | None = None
    featured_date: date | None = None
    submitted_by: str | None = None
    upvotes: int | None = None
    comments: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    code_url: str | None = None
    project_url: str | None = None
    source: str = ""
    # Votes cast by this papertide's own members (the store keeps them; sources never write them).
    member_votes: int = 0
    member_comments: int = 0  # visible comments in this papertide's discussion of it
    github_stars: int | None = None  # its code repository's stars (`papertide ingest github`)
    keywords: tuple[str, ...] = ()  # key phrases computed at index time (keywords.py)

    @property
    def votes(self) -> int:
        """Upvotes shown on a card: those the paper came with from its source plus our members'."""
        return (self.upvotes or 0) + self.member_votes

    @property
    def n_authors(self) -> int | None:
        return len(self.authors) if self.authors else self.author_count

    def replace(self, **changes: Any) -> Paper:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; `from_json` reads it back to an equal Paper (the export/import format)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in _NOT_EXPORTED or value is None or value == () or (value == "" and f.name != "title"):
                continue
            if f.name == "authors":
                value = [
                    {"name": a.name, "affiliation": a.affiliation} if a.affiliation else {"name": a.name} for a in value
                ]
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, datetime):
                value = value.strftime("%Y-%m-%dT%H:%M:%SZ")
            elif isinstance(value, date):
                value = value.isoformat()
            out[f.name] = value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Paper:
        """The Paper that `to_json` wrote (trusted input: papertide's own records)."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            if f.name == "authors":
                value = tuple(Author(a["name"], a.get("affiliation")) for a in value)
            elif f.name == "categories":
                value = tuple(value)
            elif f.name in ("published", "updated"):
                value = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
            elif f.name == "featured_date":
                value = date.fromisoformat(value)
            values[f.name] = value
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Member:
    """A member of this papertide: signs in with an email and a password, votes, submits papers."""

    id: int
    handle: str
    email: str
    password_hash: str
    created_at: datetime
    verified_at: datetime | None = None
    email_status: str = "ok"  # "bounced" after a permanent SMTP failure
    hide_seen: bool = False  # hide the papers they opened from listings, search and recommendations
    mention_mail: bool = True  # mail them when someone @-mentions them in a discussion
    role: str = "member"  # "member", "moderator" or "admin"
    suspended_at: datetime | None = None  # suspended by a moderator: no sign-in, no token
    link_key: str = ""  # random; every signed link for this member covers it (never shown)

    @property
    def moderates(self) -> bool:
        return self.role in ("moderator", "admin")


@dataclass(frozen=True, slots=True)
class Subscription:
    """A member's choices for the digest email."""

    member_id: int
    active: bool = True
    frequency: str = "daily"  # or "weekly" (sent on Mondays)
    weekdays_only: bool = True  # the daily feed rests at weekends
    send_hour: int = 8  # in `timezone`
    timezone: str = "UTC"
    sections: tuple[str, ...] = ("trending", "picks")  # and "foryou", "saved" (saved searches, when they exist)


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A member's personal API token, as listed (the token itself is shown once, when made)."""

    id: int
    member_id: int
    name: str
    scopes: tuple[str, ...]  # ("read",) or ("read", "write")
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Collection:
    """A member's named list of saved papers: private, or public with its own page and feeds."""

    id: int
    member_id: int
    name: str
    description: str
    public: bool
    created_at: datetime
    updated_at: datetime
    size: int = 0


@dataclass(frozen=True, slots=True)
class Saved:
    """A paper in a collection, with the member's note on it."""

    paper: Paper
    note: str
    added_at: datetime


@dataclass(frozen=True, slots=True)
class SavedSearch:
    """A member's search kept by name: its query and filters, and how new matches reach them."""

    id: int
    member_id: int
    name: str
    query: str
    filters: dict[str, object]  # since, until, has_code, min_upvotes, sort (as in the search form)
    alert: str  # "off", "immediate" (mailed after each ingest) or "digest" (a section of their digest)
    since_pk: int
    feed_generation: int
    created_at: datetime
    updated_at: datetime
    link_key: str = ""  # random; the private feed URL's signature covers it with the owner


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment (or a reply: `parent_id`) in a paper's discussion; Markdown as its author wrote it."""

    id: int
    paper_id: str
    member_id: int
    handle: str
    parent_id: int | None
    body: str  # empty once deleted
    created_at: datetime
    edited_at: datetime | None = None
    deleted_at: datetime | None = None
    hidden_at: datetime | None = None  # hidden by a moderator
    html: str | None = None  # rendered and sanitised when written (None: a row from before 0017)
