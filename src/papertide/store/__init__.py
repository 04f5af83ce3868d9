"""The catalogue's storage, behind small interfaces split by concern.

- `PaperStore`: the papers themselves (read, write in atomic batches, browse by featured day).
- `KeywordFeed` and `VectorStore`: what the derived indexes beside the database read to stay in step
  (the change logs, the stored vectors); `papertide.index` holds the indexes and their catch-up policy.
- `Community` (members, sessions, votes, submissions, rate limits) and `Digests` (subscriptions,
  the delivery log).
`Store` is all of them over one database; `backends.open_store` picks the backend from a URL (an
SQLite file by default, or PostgreSQL). Nothing outside this package names an implementation class: the
contract tests in `tests/test_store*.py` hold every backend to these Protocols.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from papertide.errors import Conflict as _Conflict
from papertide.model import ApiToken, Collection, Comment, Member, Paper, SavedSearch, Subscription
from papertide.query import Filters

__all__ = [
    "FINAL_DELIVERIES",
    "Change",
    "Community",
    "Conflict",
    "Digests",
    "Doc",
    "ImportLog",
    "ImportRun",
    "KeywordFeed",
    "KeywordSnapshot",
    "Marks",
    "PaperStore",
    "Store",
    "VectorStore",
]

# (id the paper is stored under now, or None for a new paper; the paper as it should be stored)
Change = tuple[str | None, Paper]
Vectors = npt.NDArray[np.float32]
Keys = npt.NDArray[np.int64]

# A delivery in one of these states is finished: a rerun never sends it again.
FINAL_DELIVERIES = ("sent", "empty", "failed")


@dataclass(frozen=True)
class ImportRun:
    """One imported file or fetch, as the import log records it."""

    id: int
    source: str
    format: str
    status: str  # running, done, failed, undone
    started_at: datetime
    finished_at: datetime | None
    new: int
    updated: int
    unchanged: int
    rejected: int
    error: str | None = None


class Conflict(_Conflict):
    """A row that must be unique already exists; `field` says which (e.g. "email", "handle")."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field} already taken")
        self.field = field


class PaperStore(Protocol):
    url: str

    def get(self, paper_id: str) -> Paper | None: ...

    def get_many(self, ids: Iterable[str]) -> dict[str, Paper]:
        """The stored papers among `ids`, by id."""
        ...

    def papers_by_pk(self, pks: Iterable[int]) -> dict[int, Paper]:
        """The stored papers among `pks` (the row keys the indexes hold), by pk."""
        ...

    def find_by_title_keys(self, keys: Iterable[str]) -> dict[str, list[Paper]]:
        """The stored papers whose normalised title is among `keys`, by key, oldest first."""
        ...

    def apply(self, changes: Sequence[Change], run: int | None = None) -> None:
        """Insert or rewrite papers, all of them or none (one transaction); with `run`, record
        each as added or changed (with its previous version) by that import run."""
        ...

    def remove(self, pks: Sequence[int]) -> int:
        """Delete these papers (their votes, submissions and vectors go with them); how many were."""
        ...

    def restore(self, pk: int, paper: Paper) -> None:
        """Rewrite paper `pk` as `paper` (undoing an import run's change)."""
        ...

    def changed_after(self, pks: Sequence[int], moment: datetime) -> set[int]:
        """Those among `pks` whose record was written after `moment`."""
        ...

    def featured_between(self, start: date, end: date, limit: int = 1000) -> list[Paper]:
        """Papers featured on days in [start, end), most upvoted first."""
        ...

    def docs_ingested_between(self, start: datetime, end: datetime, limit: int = 100_000) -> list[Doc]:
        """The searchable fields of the papers first ingested in [start, end), oldest first."""
        ...

    def papers_needing_keywords(self, after_pk: int = 0, limit: int = 1000) -> list[tuple[int, str, str, datetime]]:
        """Papers after `after_pk` whose key phrases are missing or made for an earlier version."""
        ...

    def save_keywords(self, rows: Sequence[tuple[int, Sequence[str], datetime]]) -> None: ...

    def papers_of_organization(self, name: str, limit: int = 200) -> list[Paper]:
        """Papers whose organisation is exactly `name`, newest first."""
        ...

    def featured_days_around(self, day: date) -> tuple[date | None, date | None, date | None]:
        """(the latest featured day before `day`, the earliest after it, the latest of all)."""
        ...

    def category_listing(
        self, categories: Sequence[str], filters: Filters, sort: str, limit: int, offset: int = 0
    ) -> list[int]:
        """Pks of the papers in all of `categories` (cat:cs means any cs.*) passing `filters`,
        newest first (or most upvoted with sort "upvotes")."""
        ...

    def votes_passing(self, pks: Sequence[int], filters: Filters) -> dict[int, int]:
        """{pk: upvotes} of those among `pks` that pass `filters` (upvotes live in the database)."""
        ...

    def count(self) -> int: ...

    def catalogue_version(self) -> int:
        """A number that moves whenever papers, votes or vectors change (cached pages check it)."""
        ...

    def iter_papers(self, batch_size: int = 1000) -> Iterable[Paper]:
        """Every paper, in insertion order."""
        ...

    def papers_after(self, pk: int, limit: int) -> list[tuple[int, Paper]]:
        """(pk, paper) of the first `limit` papers with a pk above `pk`, in pk order (the order
        papers arrived: a stable listing while papers are being added)."""
        ...

    def pks_for_ids(self, ids: Iterable[str]) -> dict[str, int]: ...

    def ids_for_pks(self, pks: Iterable[int]) -> dict[int, str]: ...

    def start_bulk_load(self) -> None:
        """Before a large import into an empty catalogue: drop what is cheaper built once at the end."""
        ...

    def finish_bulk_load(self) -> None:
        """Build whatever a bulk load left for the end; nothing when it is all built."""
        ...

    def bulk_load_unfinished(self) -> bool: ...

    def stats(self) -> dict[str, object]: ...


@dataclass(frozen=True)
class Marks:
    """How far the keyword index has come: papers up to `max_pk`, logged changes up to `seq`."""

    max_pk: int
    seq: int


@dataclass(frozen=True)
class Doc:
    """A paper's searchable fields, as the keyword index takes them."""

    pk: int
    title: str
    abstract: str
    author_names: str
    categories: tuple[str, ...]
    published: datetime | None
    has_code: bool


class KeywordSnapshot(Protocol):
    """The papers as of one moment: what a keyword index catches up to."""

    target: Marks  # the highest pk and the last logged change in this snapshot
    pruned: int  # the log's entries up to this seq are gone

    def docs(self, after_pk: int, until_pk: int | None = None) -> Iterator[Doc]:
        """Papers with pk in (after_pk, until_pk], in pk order."""
        ...

    def changed_since(self, seq: int) -> list[int]:
        """Pks logged (changed or deleted) after `seq`, up to the target."""
        ...

    def docs_of(self, pks: Sequence[int]) -> Iterator[Doc]:
        """The papers among `pks` that still exist."""
        ...


class KeywordFeed(Protocol):
    def count(self) -> int: ...

    def keyword_marks(self) -> Marks:
        """The highest paper pk and the last keyword change now (one cheap statement)."""
        ...

    def keyword_snapshot(self) -> AbstractContextManager[KeywordSnapshot]:
        """A consistent snapshot of the papers and the keyword change log."""
        ...

    def prune_keyword_log(self, keep: int) -> None:
        """Drop all but the last `keep` entries of the keyword change log."""
        ...


class VectorStore(Protocol):
    def pending_embeddings(self, model: str, limit: int) -> list[tuple[int, str, str]]:
        """(pk, title, abstract) of papers with no vector from `model` yet, oldest first."""
        ...

    def save_embeddings(self, model: str, pks: Sequence[int] | Keys, vectors: Vectors) -> None:
        """Store vectors in one transaction (each pk is logged for the ANN index to replay)."""
        ...

    def vector_log_seq(self) -> int:
        """The last logged vector change; an ANN index holding it is in step."""
        ...

    def vector_log(self, after: int) -> tuple[int, int, list[int]]:
        """(last seq, seq pruned through, pks whose vector changed after `after`), one snapshot."""
        ...

    def embeddings_of(self, model: str, pks: Iterable[int]) -> Iterable[tuple[Keys, Vectors]]: ...

    def iter_embeddings(self, model: str, batch_size: int = 10000) -> Iterable[tuple[Keys, Vectors]]: ...

    def prune_vector_log(self, keep: int = ...) -> None: ...

    def count_embeddings(self, model: str) -> int: ...


class Community(Protocol):
    """Members, sessions, single-use links, votes, submissions and rate-limit counters."""

    def create_member(self, handle: str, email: str, password_hash: str, now: datetime) -> Member:
        """Raises Conflict naming the field ("email" or "handle") that is taken."""
        ...

    def member_by_email(self, email: str) -> Member | None: ...

    def member_by_handle(self, handle: str) -> Member | None: ...

    def member_by_id(self, member_id: int) -> Member | None: ...

    def update_member(self, member_id: int, **values: object) -> None: ...

    def create_token(self, token_hash: str, member_id: int, purpose: str, expires_at: datetime) -> None: ...

    def consume_token(self, token_hash: str, purpose: str, now: datetime) -> int | None:
        """The member a valid, unused, unexpired token belongs to, marking it used (once only)."""
        ...

    def spend_tokens(self, member_id: int, purpose: str, now: datetime) -> int:
        """Mark every outstanding token of the member for `purpose` used; how many were."""
        ...

    def create_session(self, token_hash: str, member_id: int, now: datetime, expires_at: datetime) -> None: ...

    def session_member(self, token_hash: str, now: datetime) -> Member | None: ...

    def end_session(self, token_hash: str) -> None: ...

    def end_member_sessions(self, member_id: int) -> None: ...

    def set_vote(self, member_id: int, paper_pk: int, want: bool | None, now: datetime) -> tuple[bool, int]:
        """Vote (True), withdraw (False) or toggle (None); (voted now, member votes now)."""
        ...

    def voted(self, member_id: int, paper_pks: Iterable[int]) -> set[int]: ...

    def voted_among(self, member_id: int, paper_ids: Iterable[str]) -> set[str]: ...

    def voted_ids(self, member_id: int, limit: int = 100) -> list[str]: ...

    def set_not_interested(self, member_id: int, paper_pk: int, marked: bool, now: datetime) -> bool: ...

    def not_interested_ids(self, member_id: int, limit: int = 100) -> list[str]: ...

    def add_submission(self, paper_pk: int, member_id: int, now: datetime) -> bool: ...

    def submissions_since(self, member_id: int, since: datetime) -> int: ...

    def submitted_ids(self, member_id: int, limit: int = 100) -> list[str]: ...

    def rate_hit(self, key: str, now: datetime, window_start: datetime, limit: int) -> bool: ...

    def rate_count(self, key: str, window_start: datetime) -> int:
        """Attempts counted for `key` since `window_start` (without counting one more)."""
        ...

    def members_engaged_with(self, pks: Sequence[int]) -> dict[int, str]:
        """{pk: why} for the papers among `pks` that members voted for or submitted."""
        ...


class ImportLog(Protocol):
    """Import runs (a file or a fetch each) and the papers each added or changed."""

    def start(self, source: str, fmt: str, now: datetime) -> int: ...

    def finish(
        self, run: int, status: str, counts: dict[str, int], now: datetime, error: str | None = None
    ) -> None: ...

    def runs(self, limit: int = 50) -> list[ImportRun]: ...

    def run(self, run: int) -> ImportRun | None: ...

    def changes(self, run: int) -> dict[int, Paper | None]:
        """{pk: the paper before the run, or None when the run added it}."""
        ...

    def touched_later(self, run: int, pks: list[int]) -> set[int]:
        """Those among `pks` that a later run (not undone) added or changed."""
        ...


class ApiTokens(Protocol):
    """Members' personal API tokens (only hashes are stored)."""

    def create(
        self, member_id: int, name: str, token_hash: str, scopes: tuple[str, ...], now: datetime
    ) -> ApiToken: ...

    def list(self, member_id: int) -> list[ApiToken]: ...

    def resolve(self, token_hash: str, now: datetime) -> tuple[ApiToken, Member] | None:
        """The live token with this hash and its member (its last use recorded), or None."""
        ...

    def revoke(self, member_id: int, token_id: int, now: datetime) -> bool: ...

    def revoke_all(self, member_id: int, now: datetime) -> int: ...


class Digests(Protocol):
    """Digest subscriptions and the delivery log that makes sending exactly-once."""

    def subscription(self, member_id: int) -> Subscription | None: ...

    def save_subscription(self, sub: Subscription, now: datetime) -> None: ...

    def unsubscribe(self, member_id: int, now: datetime) -> bool: ...

    def iter_subscribers(self, batch_size: int = 500) -> Iterator[tuple[Member, Subscription]]: ...

    def mark_bounced(self, member_id: int) -> None: ...

    def claim(self, member_id: int, day: date, message_id: str, now: datetime) -> bool: ...

    def finish(self, member_id: int, day: date, status: str, now: datetime, error: str | None = None) -> None: ...

    def delivery_status(self, member_id: int, day: date) -> str | None: ...

    def delivery_counts(self, day: date) -> dict[str, int]: ...


class Personal(Protocol):
    """A member's own things: collections, saved searches, papers opened, and the alert log that
    sends each new paper to a member once (store/personal.py says how)."""

    def create_collection(self, member_id: int, name: str, description: str, public: bool, now: datetime) -> Collection:
        """Conflict("name") when the member has a collection of that name."""
        ...

    def collections(self, member_id: int) -> list[Collection]: ...

    def collection(self, collection_id: int) -> Collection | None: ...

    def update_collection(self, member_id: int, collection_id: int, now: datetime, **values: object) -> bool: ...

    def delete_collection(self, member_id: int, collection_id: int) -> bool: ...

    def save_paper(self, member_id: int, collection_id: int, paper_pk: int, now: datetime) -> bool | None:
        """True: added; False: it was there; None: not the member's collection."""
        ...

    def unsave_paper(self, member_id: int, collection_id: int, paper_pk: int, now: datetime) -> bool: ...

    def set_note(self, member_id: int, collection_id: int, paper_pk: int, note: str, now: datetime) -> bool: ...

    def collection_items(
        self, collection_id: int, limit: int = 1000, offset: int = 0
    ) -> list[tuple[int, str, datetime]]: ...

    def collections_holding(self, member_id: int, paper_pks: Iterable[int]) -> dict[int, set[int]]: ...

    def saved_ids(self, member_id: int, limit: int = 100) -> list[str]: ...

    def create_search(
        self,
        member_id: int,
        name: str,
        query: str,
        filters: dict[str, object],
        alert: str,
        since_pk: int,
        now: datetime,
    ) -> SavedSearch: ...

    def searches(self, member_id: int) -> list[SavedSearch]: ...

    def saved_search(self, search_id: int) -> SavedSearch | None: ...

    def update_search(self, member_id: int, search_id: int, now: datetime, **values: object) -> bool: ...

    def delete_search(self, member_id: int, search_id: int) -> bool: ...

    def alerting_searches(self, alert: str, after_id: int = 0, limit: int = 1000) -> list[SavedSearch]: ...

    def member_searches(self, member_id: int, alert: str) -> list[SavedSearch]: ...

    def mark_seen(self, member_id: int, paper_pk: int, now: datetime) -> None: ...

    def unmark_seen(self, member_id: int, paper_pks: Sequence[int] | None = None) -> int: ...

    def seen_among(self, member_id: int, paper_pks: Iterable[int]) -> set[int]: ...

    def seen_ids(self, member_id: int, limit: int = 100) -> list[tuple[str, datetime]]: ...

    def hidden_among(self, member_id: int, paper_pks: Iterable[int]) -> set[int]:
        """Those the member opened or marked not interested."""
        ...

    def set_more_like_this(self, member_id: int, paper_pk: int, marked: bool, now: datetime) -> bool: ...

    def more_like_this_ids(self, member_id: int, limit: int = 100) -> list[str]: ...

    def set_hide_seen(self, member_id: int, hide: bool) -> None: ...

    def alert_cursor(self) -> int | None: ...

    def set_alert_cursor(self, pk: int) -> None: ...

    def open_batch(self, member_id: int, paper_pks: Sequence[int], now: datetime) -> tuple[int, list[int]] | None: ...

    def unfinished_batches(self) -> list[tuple[int, int, int]]: ...

    def batch_papers(self, batch_id: int) -> list[int]: ...

    def finish_batch(self, batch_id: int, status: str, now: datetime, error: str | None = None) -> None: ...

    def batch_counts(self) -> dict[str, int]: ...

    def claim_for_digest(self, member_id: int, day: date, paper_pks: Sequence[int], now: datetime) -> list[int]: ...

    def sent_among(self, member_id: int, paper_pks: Iterable[int]) -> set[int]: ...


class Discussions(Protocol):
    """Comments under papers (store/discussions.py); the paper's count moves with them."""

    def add(
        self, paper_pk: int, member_id: int, body: str, parent_id: int | None, now: datetime, html: str | None = None
    ) -> int | None: ...

    def get(self, comment_id: int) -> Comment | None: ...

    def edit(self, comment_id: int, member_id: int, body: str, now: datetime, html: str | None = None) -> bool: ...

    def delete(self, comment_id: int, member_id: int, now: datetime) -> bool: ...

    def thread(self, paper_pk: int, limit: int = 2000) -> list[Comment]: ...

    def handles_known(self, handles: Iterable[str]) -> dict[str, tuple[int, str, bool]]: ...

    def set_mention_mail(self, member_id: int, wanted: bool) -> None: ...

    def set_hidden(self, comment_id: int, hidden: bool, now: datetime) -> bool: ...


class Moderation(Protocol):
    """Roles, suspensions, reports and the moderation log (store/moderation.py)."""

    def set_role(self, member_id: int, role: str) -> None: ...

    def set_suspended(self, member_id: int, suspended: bool, now: datetime) -> bool:
        """Suspending ends the member's sessions and revokes their tokens."""
        ...

    def report(self, member_id: int, kind: str, target: str, reason: str, now: datetime) -> int: ...

    def open_reports(self, limit: int = 200) -> list[dict[str, Any]]: ...

    def resolve(self, report_id: int, by: int, resolution: str, now: datetime) -> bool: ...

    def open_report(self, report_id: int) -> dict[str, Any] | None: ...

    def claim(self, claim_id: int) -> dict[str, Any] | None: ...

    def resolve_about(self, kind: str, target: str, by: int, resolution: str, now: datetime) -> int: ...

    def log(self, actor_id: int | None, actor: str, action: str, target: str, reason: str, now: datetime) -> None: ...

    def entries(self, limit: int = 500) -> list[dict[str, Any]]: ...

    def add_claim(self, member_id: int, key: str, name: str, paper_id: str, now: datetime) -> bool: ...

    def claim_holders(self, keys: set[str]) -> dict[str, str]: ...

    def claim_holder(self, key: str) -> str | None: ...

    def pending_claims(self, limit: int = 200) -> list[dict[str, Any]]: ...

    def decide_claim(self, claim_id: int, approve: bool, by: int, now: datetime) -> dict[str, Any] | None: ...


class Github(Protocol):
    """GitHub star counts (store/github.py)."""

    def targets(self) -> list[tuple[str, list[int], str | None]]: ...

    def record(
        self, repo: str, pks: Sequence[int], stars: int | None, etag: str | None, gone: bool, day: date, now: datetime
    ) -> bool: ...

    def touch(self, repo: str, now: datetime, day: date) -> None: ...

    def histories(self, since: date) -> dict[str, list[tuple[date, int]]]: ...

    def papers_of(self, repos: Iterable[str]) -> dict[str, list[int]]: ...


class Store(PaperStore, KeywordFeed, VectorStore, Protocol):
    """One database: the papers, the change feeds of the derived indexes, the community, digests."""

    @property
    def community(self) -> Community: ...

    @property
    def digests(self) -> Digests: ...

    @property
    def import_log(self) -> ImportLog: ...

    @property
    def api_tokens(self) -> ApiTokens: ...

    @property
    def personal(self) -> Personal: ...

    @property
    def discussions(self) -> Discussions: ...

    @property
    def moderation(self) -> Moderation: ...

    @property
    def github(self) -> Github: ...

    def schema_revision(self) -> str | None:
        """The migration the database is at."""
        ...

    def check(self) -> list[str]:
        """Problems found in the database itself (empty when consistent)."""
        ...

    def close(self) -> None: ...
