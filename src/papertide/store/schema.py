"""Table definitions (SQLAlchemy Core), shared by every SQL dialect the store runs on.

Migrations in `migrations/versions/` create and change these tables; this module states what the
current code reads and writes, and a test checks that the two agree.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa

metadata = sa.MetaData()


def new_link_key() -> str:
    """A row's own unguessable identity (128 random bits), part of every signed link that grants
    something of it (migration 0017): a link made for one row never opens another, even one that
    somehow got the same id."""
    return secrets.token_hex(16)


# Rows that a capability link or an id from outside can name (members, tokens, collections, saved
# searches) get ids that are never reused: AUTOINCREMENT on SQLite (plain rowids reuse the largest id
# after a delete), a sequence on PostgreSQL: `sqlite_autoincrement=True  # never reused` below.

papers = sa.Table(
    "papers",
    metadata,
    # A surrogate key: the public id changes once, when a title-only record gets its arXiv id,
    # and the keyword index (and later votes) refer to the row by this number.
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(64), nullable=False, unique=True),
    sa.Column("title_key", sa.Text, nullable=False),
    # Papers are looked up by title through this hash of `title_key` (migration 0006 says why).
    sa.Column("title_hash", sa.BigInteger, nullable=False, server_default="0", index=True),
    sa.Column("version", sa.Integer),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("abstract", sa.Text, nullable=False, server_default=""),
    sa.Column("authors", sa.Text, nullable=False, server_default="[]"),  # JSON list of {name, affiliation}
    sa.Column("author_names", sa.Text, nullable=False, server_default=""),  # for keyword search
    sa.Column("author_count", sa.Integer),
    sa.Column("organization", sa.Text, index=True),
    sa.Column("primary_category", sa.String(32), index=True),
    sa.Column("categories", sa.Text, nullable=False, server_default=""),  # JSON list of arXiv category ids
    sa.Column("published", sa.DateTime, index=True),
    sa.Column("updated", sa.DateTime),
    sa.Column("featured_date", sa.Date, index=True),
    sa.Column("submitted_by", sa.Text),
    sa.Column("upvotes", sa.Integer),
    sa.Column("comments", sa.Text),
    sa.Column("journal_ref", sa.Text),
    sa.Column("doi", sa.Text),
    sa.Column("code_url", sa.Text),
    sa.Column("project_url", sa.Text),
    sa.Column("source", sa.String(32), nullable=False, server_default=""),
    sa.Column("ingested_at", sa.DateTime, nullable=False, index=True),
    sa.Column("changed_at", sa.DateTime, nullable=False),
    sa.Column("member_votes", sa.Integer, nullable=False, server_default="0"),
    sa.Column("member_comments", sa.Integer, nullable=False, server_default="0"),  # visible comments (0015)
    sa.Column("github_stars", sa.Integer),  # its code repository's stars, copied by `ingest github` (0016)
    sa.Column("keywords", sa.Text),  # key phrases (JSON list), computed at index time (0016)
    sa.Column("keywords_at", sa.DateTime),  # the changed_at they were made for; a paper changed since is redone
)

paper_vectors = sa.Table(
    "paper_vectors",
    metadata,
    sa.Column("pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("vector", sa.LargeBinary, nullable=False),  # float32, little-endian
)


def _change_log(name: str) -> sa.Table:
    """A log written by triggers: `seq` never reused (AUTOINCREMENT on SQLite), the paper's `pk`."""
    return sa.Table(
        name,
        metadata,
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("pk", sa.Integer, nullable=False),
        sqlite_autoincrement=True,
    )


# Papers whose searchable fields changed, or that were deleted (triggers of migration 0008); the
# keyword index beside the database re-reads them (new papers it finds by pk).
keyword_changes = _change_log("keyword_changes")
# Every write of a paper's vector: new, replaced, dropped because its text changed, or gone with its
# paper (triggers of migration 0010); the ANN index beside the database replays it to catch up.
vector_changes = _change_log("vector_changes")

# Monotonic counters; `vectors` moves on every vector write, and the ANN index file records the
# value it was built at, so an index out of step with the database is detected.
counters = sa.Table(
    "counters",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.Integer, nullable=False),
)

# --- the community: members, their sessions, votes and submissions (migration 0004) ---------------
members = sa.Table(
    "members",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("handle", sa.String(32), nullable=False, unique=True),  # shown on cards and in URLs
    sa.Column("email", sa.String(254), nullable=False, unique=True),  # stored lower-cased
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("verified_at", sa.DateTime),
    # "ok", or "bounced" after a permanent SMTP failure: no more mail goes to a bounced address.
    sa.Column("email_status", sa.String(16), nullable=False, server_default="ok"),
    # Hide the papers the member has opened from listings, search and recommendations (migration 0014).
    sa.Column("hide_seen", sa.Boolean, nullable=False, server_default=sa.false()),
    # Mail when another member @-mentions them in a discussion (migration 0015).
    sa.Column("mention_mail", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("role", sa.String(16), nullable=False, server_default="member"),  # member, moderator, admin
    sa.Column("suspended_at", sa.DateTime),  # a suspended member cannot sign in or use a token
    sa.Column("link_key", sa.String(32), nullable=False, default=new_link_key),  # signed links (0017)
    sqlite_autoincrement=True,  # never reused (above)
)

sessions = sa.Table(
    "sessions",
    metadata,
    # Only a hash of the cookie's token is kept: a copy of the database does not sign anyone in.
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
)

votes = sa.Table(
    "votes",
    metadata,
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True, index=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# A member's "not interested" marks (migration 0013): recommendations move away from these papers.
not_interested = sa.Table(
    "not_interested",
    metadata,
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True, index=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

submissions = sa.Table(
    "submissions",
    metadata,
    # One submission per paper: the unique key is what rejects a duplicate under concurrency.
    sa.Column("paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# Attempts at rate-limited actions (sign-in, sign-up, vote, submit…), counted over a sliding window
# in the database so that every worker process sees the same counts.
rate_events = sa.Table(
    "rate_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Index("ix_rate_events_key_at", "key", "at"),
)

# --- accounts' links and the daily digest (migration 0005) ------------------------------------------
# Single-use links mailed to a member (verify an address, reset a password): only the hash is kept.
member_tokens = sa.Table(
    "member_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("purpose", sa.String(16), nullable=False),  # "verify" or "reset"
    sa.Column("expires_at", sa.DateTime, nullable=False),
    sa.Column("used_at", sa.DateTime),
)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("frequency", sa.String(8), nullable=False),  # "daily" or "weekly"
    sa.Column("weekdays_only", sa.Boolean, nullable=False),
    sa.Column("send_hour", sa.Integer, nullable=False),  # 0–23 in the member's time zone
    sa.Column("timezone", sa.String(64), nullable=False),  # IANA name, e.g. Europe/Paris
    sa.Column("sections", sa.String(100), nullable=False),  # comma-separated: trending,picks,saved
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

# One row per (member, digest date): written *before* the message goes to the SMTP server and
# marked sent after it is accepted, so a rerun knows exactly who is left (see digest.send_all).
deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("digest_date", sa.Date, primary_key=True),
    sa.Column("status", sa.String(10), nullable=False),  # sending, sent, empty, failed, deferred
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("message_id", sa.String(200), nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

# --- import runs, so that one can be listed and undone (migration 0011) ------------------------------
import_runs = sa.Table(
    "import_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.Text, nullable=False),  # a file's path, or the remote query
    sa.Column("format", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # running, done, failed, undone
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
    sa.Column("new", sa.Integer, nullable=False, server_default="0"),
    sa.Column("updated", sa.Integer, nullable=False, server_default="0"),
    sa.Column("unchanged", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rejected", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text),
    sqlite_autoincrement=True,
)

# A paper a run added (`previous` NULL) or changed (`previous`: the paper before, as export JSON).
import_changes = sa.Table(
    "import_changes",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("import_runs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_pk", sa.Integer, primary_key=True, index=True),
    sa.Column("previous", sa.Text),
)

# --- personal API tokens (migration 0012) -----------------------------------------------------------
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # SHA-256 of the token
    sa.Column("scopes", sa.String(32), nullable=False),  # "read" or "read write"
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("last_used_at", sa.DateTime),
    sa.Column("revoked_at", sa.DateTime),
    sqlite_autoincrement=True,  # never reused (above)
)

# --- a member's own things (migration 0014 says what each holds) ------------------------------------
collections = sa.Table(
    "collections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("public", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("member_id", "name", name="uq_collections_member_name"),
    sqlite_autoincrement=True,  # never reused (above)
)

collection_papers = sa.Table(
    "collection_papers",
    metadata,
    sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True, index=True),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("added_at", sa.DateTime, nullable=False),
    sa.Column("note_at", sa.DateTime),
)

saved_searches = sa.Table(
    "saved_searches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("query", sa.Text, nullable=False),
    sa.Column("filters", sa.Text, nullable=False, server_default="{}"),  # JSON: since, until, has_code, …
    sa.Column("alert", sa.String(10), nullable=False, server_default="off", index=True),  # off, immediate, digest
    # Papers at or below this pk were in the catalogue when the search was saved: never "new" to it.
    sa.Column("since_pk", sa.Integer, nullable=False, server_default="0"),
    # Part of the private feed URL's signature: moving it on revokes every copy of the old URL.
    sa.Column("feed_generation", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    # With the owner and the generation, what the private feed URL's signature covers (0017).
    sa.Column("link_key", sa.String(32), nullable=False, default=new_link_key),
    sqlite_autoincrement=True,  # never reused (above)
)

alert_batches = sa.Table(
    "alert_batches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("status", sa.String(10), nullable=False, index=True),  # sending, sent, failed, deferred
    sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
    sa.Column("error", sa.Text),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sqlite_autoincrement=True,
)

alert_papers = sa.Table(
    "alert_papers",
    metadata,
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    sa.Column("via", sa.String(40), nullable=False, index=True),  # "alert-<batch id>" or "digest-<date>"
    sa.Column("created_at", sa.DateTime, nullable=False),
)

seen_papers = sa.Table(
    "seen_papers",
    metadata,
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True, index=True),
    sa.Column("first_at", sa.DateTime, nullable=False),
    sa.Column("last_at", sa.DateTime, nullable=False),
)

# A private positive signal: "more like this" on a card (an upvote is public; this is not).
more_like_this = sa.Table(
    "more_like_this",
    metadata,
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True, index=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# Discussions (migration 0015): comments and replies under a paper; a deleted one keeps its row.
comments = sa.Table(
    "comments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("comments.id", ondelete="CASCADE")),
    sa.Column("body", sa.Text, nullable=False),  # Markdown as written
    sa.Column("html", sa.Text),  # rendered and sanitised once, when written or edited (0017)
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("edited_at", sa.DateTime),
    sa.Column("deleted_at", sa.DateTime),
    sa.Column("hidden_at", sa.DateTime),  # hidden by a moderator (restorable)
    sqlite_autoincrement=True,
)

reports = sa.Table(
    "reports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # comment or paper
    sa.Column("target", sa.String(64), nullable=False),  # the comment id or the paper id
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("resolved_at", sa.DateTime, index=True),
    sa.Column("resolved_by", sa.Integer, sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("resolution", sa.String(32)),
    sqlite_autoincrement=True,
)

# Everything a moderator or admin does, for admins to read.
moderation_log = sa.Table(
    "moderation_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("actor_id", sa.Integer, sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("actor", sa.String(32), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.String(100), nullable=False),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("at", sa.DateTime, nullable=False),
    sqlite_autoincrement=True,
)

# A member's claim to be an author (by `authors.name_key`); a moderator approves or rejects it.
author_claims = sa.Table(
    "author_claims",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("author_key", sa.String(200), nullable=False, index=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("paper_id", sa.String(64), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),  # pending, approved, rejected
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("decided_at", sa.DateTime),
    sa.Column("decided_by", sa.Integer, sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.UniqueConstraint("member_id", "author_key", name="uq_author_claims_member_key"),
    sqlite_autoincrement=True,
)

# GitHub stars (migration 0016): the repositories papers link to, and their daily counts.
github_repos = sa.Table(
    "github_repos",
    metadata,
    sa.Column("repo", sa.String(200), primary_key=True),
    sa.Column("stars", sa.Integer),
    sa.Column("etag", sa.String(200)),
    sa.Column("gone", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("checked_at", sa.DateTime, nullable=False, index=True),
)

github_stars = sa.Table(
    "github_stars",
    metadata,
    sa.Column("repo", sa.String(200), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True, index=True),
    sa.Column("stars", sa.Integer, nullable=False),
)
