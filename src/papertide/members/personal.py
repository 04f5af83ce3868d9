"""A member's own layer over the catalogue: collections of saved papers with notes, saved searches
(their alerts are sent by digest/alerts.py), the papers they opened, and every signal they gave,
listed and exported as their own data. `Papertide.personal` is one of these.

Validation lives here, so the web forms, the JSON API and scripts refuse the same things with the
same words (`PersonalError`); ids of other members' private things read as missing (`NotFound`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

import orjson

from papertide.errors import Invalid, NotFound
from papertide.feeds.cards import bibtex
from papertide.mail.links import feed_key_ok
from papertide.model import Collection, Member, Paper, Saved, SavedSearch
from papertide.query import Filters, QueryError, parse_query
from papertide.store import Conflict, Store
from papertide.text import clean_line

MAX_NAME = 100
MAX_DESCRIPTION = 2000
MAX_NOTE = 5000
MAX_COLLECTIONS = 200
MAX_SAVED_SEARCHES = 100
ALERTS = ("off", "immediate", "digest")
DEFAULT_COLLECTION = "Reading list"


class PersonalError(Invalid):
    """A request about a member's own things that cannot be done; the message says why."""


class Missing(NotFound):
    """A collection, saved search or paper that does not exist (or is another member's private one)."""


@dataclass(frozen=True)
class Signals:
    """Everything a member told papertide about papers, latest first: their own data."""

    upvoted: list[str]
    saved: list[str]
    more_like_this: list[str]
    not_interested: list[str]
    opened: list[tuple[str, datetime]]

    def to_json(self) -> dict[str, Any]:
        return {
            "upvoted": self.upvoted,
            "saved": self.saved,
            "more_like_this": self.more_like_this,
            "not_interested": self.not_interested,
            "opened": [{"id": i, "at": at.isoformat() + "Z"} for i, at in self.opened],
        }


def _name(text: str, what: str) -> str:
    name = clean_line(text)[:MAX_NAME].strip()
    if not name:
        raise PersonalError(f"{what} needs a name")
    return name


def _text(text: str, limit: int, what: str) -> str:
    text = text.replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise PersonalError(f"{what} is too long ({len(text)} characters; at most {limit})")
    return text


class Personal:
    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store, self.clock = store, clock

    def _pk(self, paper_id: str) -> int:
        pk = self.store.pks_for_ids([paper_id]).get(paper_id)
        if pk is None:
            raise Missing(f"no paper {paper_id!r} in this catalogue")
        return pk

    # --- collections ------------------------------------------------------------------------------
    def collections(self, member_id: int) -> list[Collection]:
        return self.store.personal.collections(member_id)

    def collection(self, collection_id: int, viewer_id: int | None) -> Collection:
        """The collection, when it is public or `viewer_id` owns it."""
        found = self.store.personal.collection(collection_id)
        if found is None or not (found.public or found.member_id == viewer_id):
            raise Missing("no such collection (or it is private)")
        return found

    def create_collection(self, member_id: int, name: str, description: str = "", public: bool = False) -> Collection:
        name = _name(name, "a collection")
        description = _text(description, MAX_DESCRIPTION, "the description")
        if len(self.collections(member_id)) >= MAX_COLLECTIONS:
            raise PersonalError(f"you have {MAX_COLLECTIONS} collections, the most one member can have")
        try:
            return self.store.personal.create_collection(member_id, name, description, public, self.clock())
        except Conflict:
            raise PersonalError(f"you already have a collection called {name!r}") from None

    def update_collection(
        self,
        member_id: int,
        collection_id: int,
        *,
        name: str | None = None,
        description: str | None = None,
        public: bool | None = None,
    ) -> Collection:
        values: dict[str, object] = {}
        if name is not None:
            values["name"] = _name(name, "a collection")
        if description is not None:
            values["description"] = _text(description, MAX_DESCRIPTION, "the description")
        if public is not None:
            values["public"] = public
        try:
            changed = self.store.personal.update_collection(member_id, collection_id, self.clock(), **values)
        except Conflict:
            raise PersonalError(f"you already have a collection called {values.get('name')!r}") from None
        if not changed:
            raise Missing("no such collection")
        return self.collection(collection_id, member_id)

    def delete_collection(self, member_id: int, collection_id: int) -> None:
        if not self.store.personal.delete_collection(member_id, collection_id):
            raise Missing("no such collection")

    def save(self, member_id: int, paper_id: str, collection_id: int | None = None) -> tuple[Collection, bool]:
        """Save a paper to a collection (the member's "Reading list", made on first use, when none is
        named); returns the collection and whether the paper was new to it."""
        pk = self._pk(paper_id)
        if collection_id is None:
            mine = {c.name: c for c in self.collections(member_id)}
            chosen = mine.get(DEFAULT_COLLECTION) or self.create_collection(member_id, DEFAULT_COLLECTION)
            collection_id = chosen.id
        added = self.store.personal.save_paper(member_id, collection_id, pk, self.clock())
        if added is None:
            raise Missing("no such collection")
        return self.collection(collection_id, member_id), added

    def unsave(self, member_id: int, paper_id: str, collection_id: int) -> bool:
        return self.store.personal.unsave_paper(member_id, collection_id, self._pk(paper_id), self.clock())

    def set_note(self, member_id: int, collection_id: int, paper_id: str, note: str) -> None:
        note = _text(note, MAX_NOTE, "the note")
        if not self.store.personal.set_note(member_id, collection_id, self._pk(paper_id), note, self.clock()):
            raise Missing("that paper is not in that collection")

    def items(self, collection: Collection, limit: int = 1000, offset: int = 0) -> list[Saved]:
        rows = self.store.personal.collection_items(collection.id, limit, offset)
        found = self.store.papers_by_pk(pk for pk, _, _ in rows)
        return [Saved(found[pk], note, at) for pk, note, at in rows if pk in found]

    def holding(self, member_id: int, paper_ids: Iterable[str]) -> dict[str, set[int]]:
        """For each of `paper_ids` the member saved: the ids of their collections holding it."""
        pks = self.store.pks_for_ids(paper_ids)
        by_pk = self.store.personal.collections_holding(member_id, pks.values())
        return {paper_id: by_pk[pk] for paper_id, pk in pks.items() if pk in by_pk}

    def write_bibtex(self, collection: Collection, stream: IO[str]) -> int:
        written = 0
        for saved in self._all_items(collection):
            stream.write(bibtex(saved.paper) + "\n\n")
            written += 1
        return written

    def write_jsonl(self, collection: Collection, stream: IO[bytes]) -> int:
        """The collection's papers as JSON lines that `papertide import` reads back."""
        written = 0
        for saved in self._all_items(collection):
            stream.write(orjson.dumps(saved.paper.to_json()) + b"\n")
            written += 1
        return written

    def _all_items(self, collection: Collection) -> Iterator[Saved]:
        offset = 0
        while page := self.items(collection, 1000, offset):
            yield from page
            offset += 1000

    # --- saved searches ---------------------------------------------------------------------------
    def save_search(
        self, member_id: int, query: str, filters: Filters | None = None, name: str = "", alert: str = "off"
    ) -> SavedSearch:
        """Keep a search; new papers (those added from now on) matching it can be alerted."""
        filters = filters or Filters()
        try:
            parsed = parse_query(query)
        except QueryError as exc:
            raise PersonalError(str(exc)) from None
        if parsed.is_empty:
            raise PersonalError("a saved search needs at least one word to look for")
        if alert not in ALERTS:
            raise PersonalError(f"alert must be one of {', '.join(ALERTS)}")
        if len(self.store.personal.searches(member_id)) >= MAX_SAVED_SEARCHES:
            raise PersonalError(f"you have {MAX_SAVED_SEARCHES} saved searches, the most one member can have")
        name = _name(name or query, "a saved search")
        since = self.store.keyword_marks().max_pk
        return self.store.personal.create_search(
            member_id, name, parsed.text, filters.to_dict(), alert, since, self.clock()
        )

    def searches(self, member_id: int) -> list[SavedSearch]:
        return self.store.personal.searches(member_id)

    def saved_search(self, member_id: int, search_id: int) -> SavedSearch:
        found = self.store.personal.saved_search(search_id)
        if found is None or found.member_id != member_id:
            raise Missing("no such saved search")
        return found

    def feed_search(self, search_id: int, secret: str, key: str) -> SavedSearch:
        """The saved search a private feed URL names, when `key` is its current feed key (bound to
        the owner, the search's own random key and its feed generation: see links.py)."""
        found = self.store.personal.saved_search(search_id)
        if found is None or not feed_key_ok(secret, key, found):
            raise Missing("this feed link is not valid (revoked?)")
        return found

    def update_search(
        self, member_id: int, search_id: int, *, name: str | None = None, alert: str | None = None
    ) -> SavedSearch:
        values: dict[str, object] = {}
        if name is not None:
            values["name"] = _name(name, "a saved search")
        if alert is not None:
            if alert not in ALERTS:
                raise PersonalError(f"alert must be one of {', '.join(ALERTS)}")
            values["alert"] = alert
        if not self.store.personal.update_search(member_id, search_id, self.clock(), **values):
            raise Missing("no such saved search")
        return self.saved_search(member_id, search_id)

    def revoke_feed(self, member_id: int, search_id: int) -> SavedSearch:
        """Make the saved search's private feed URL stop working (a new one replaces it)."""
        if not self.store.personal.update_search(member_id, search_id, self.clock(), revoke_feed=True):
            raise Missing("no such saved search")
        return self.saved_search(member_id, search_id)

    def delete_search(self, member_id: int, search_id: int) -> None:
        if not self.store.personal.delete_search(member_id, search_id):
            raise Missing("no such saved search")

    def alerts_off(self, member_id: int) -> int:
        """Turn off every alert of the member (the one-click link in an alert mail)."""
        turned = 0
        for s in self.searches(member_id):
            if s.alert != "off":
                self.store.personal.update_search(member_id, s.id, self.clock(), alert="off")
                turned += 1
        return turned

    # --- what the member opened, and all their signals --------------------------------------------
    def opened(self, member_id: int, paper: Paper) -> None:
        pk = self.store.pks_for_ids([paper.id]).get(paper.id)
        if pk is not None:
            self.store.personal.mark_seen(member_id, pk, self.clock())

    def seen_among(self, member_id: int, paper_ids: Iterable[str]) -> set[str]:
        pks = self.store.pks_for_ids(paper_ids)
        seen = self.store.personal.seen_among(member_id, pks.values())
        return {paper_id for paper_id, pk in pks.items() if pk in seen}

    def forget_opened(self, member_id: int, paper_ids: Iterable[str] | None = None) -> int:
        """Forget that the member opened these papers (every one with None)."""
        if paper_ids is None:
            return self.store.personal.unmark_seen(member_id)
        return self.store.personal.unmark_seen(member_id, list(self.store.pks_for_ids(paper_ids).values()))

    def set_hide_seen(self, member: Member, hide: bool) -> None:
        self.store.personal.set_hide_seen(member.id, hide)

    def more_like_this(self, member_id: int, paper_id: str, marked: bool = True) -> bool:
        """A private "more like this" mark (or its removal): a like only recommendations see."""
        return self.store.personal.set_more_like_this(member_id, self._pk(paper_id), marked, self.clock())

    def liked_ids(self, member_id: int, limit: int = 50) -> list[str]:
        """The papers a member's positive signals name, latest first within each kind: "more like
        this" marks, upvotes, saves."""
        personal = self.store.personal
        liked = personal.more_like_this_ids(member_id, limit) + self.store.community.voted_ids(member_id, limit)
        return list(dict.fromkeys(liked + personal.saved_ids(member_id, limit)))[: 2 * limit]

    def export(self, member: Member) -> dict[str, Any]:
        """Everything the member told papertide, as their own data (the /signals.json download and
        `GET /api/me/signals` alike): every signal, each collection with its papers and notes, and
        the saved searches."""
        collections = [
            {
                "name": c.name,
                "public": c.public,
                "papers": [
                    {"id": s.paper.id, "note": s.note, "added": s.added_at.isoformat() + "Z"} for s in self.items(c)
                ],
            }
            for c in self.collections(member.id)
        ]
        searches = [
            {"name": s.name, "query": s.query, "filters": s.filters, "alert": s.alert} for s in self.searches(member.id)
        ]
        return {
            "member": member.handle,
            **self.signals(member.id).to_json(),
            "collections": collections,
            "saved_searches": searches,
        }

    def signals(self, member_id: int, limit: int = 10_000) -> Signals:
        community = self.store.community
        return Signals(
            upvoted=community.voted_ids(member_id, limit),
            saved=self.store.personal.saved_ids(member_id, limit),
            more_like_this=self.store.personal.more_like_this_ids(member_id, limit),
            not_interested=community.not_interested_ids(member_id, limit),
            opened=self.store.personal.seen_ids(member_id, limit),
        )
