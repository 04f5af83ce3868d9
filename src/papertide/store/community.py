"""The community's tables (members, sessions, votes, submissions, rate-limit events) in SQL.

Every write that must stay consistent under concurrent requests is one transaction whose first
statement is a write, so SQLite takes its write lock before anything is read and PostgreSQL relies
on the unique keys (a second identical vote or submission is a conflict, never a second row).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from papertide.model import Member
from papertide.store import Conflict
from papertide.store.schema import (
    counters,
    member_tokens,
    members,
    new_link_key,
    not_interested,
    papers,
    rate_events,
    sessions,
    submissions,
    votes,
)

_BUMP = counters.update().where(counters.c.name == "catalogue").values(value=counters.c.value + 1)


def bump_catalogue_version(conn: sa.Connection) -> None:
    """Move the catalogue counter inside the writing transaction (it becomes visible with the change)."""
    conn.execute(_BUMP)


def _member(row: Any) -> Member:
    return Member(
        id=row.id,
        handle=row.handle,
        email=row.email,
        password_hash=row.password_hash,
        created_at=row.created_at,
        verified_at=row.verified_at,
        email_status=row.email_status,
        hide_seen=bool(getattr(row, "hide_seen", False)),
        mention_mail=bool(getattr(row, "mention_mail", True)),
        role=getattr(row, "role", "member") or "member",
        suspended_at=getattr(row, "suspended_at", None),
        link_key=getattr(row, "link_key", "") or "",
    )


def _insert_ignoring_duplicates(table: sa.Table, dialect: str) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING whose `rowcount` says whether a row went in (SQLAlchemy only
    keeps an INSERT's rowcount when asked to; psycopg's would otherwise read -1)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing().execution_options(preserve_rowcount=True)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing().execution_options(preserve_rowcount=True)


class SqlCommunity:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    # --- members ----------------------------------------------------------------------------------
    def create_member(self, handle: str, email: str, password_hash: str, now: datetime) -> Member:
        try:
            with self.engine.begin() as conn:
                key = new_link_key()
                result = conn.execute(
                    members.insert().values(
                        handle=handle, email=email, password_hash=password_hash, created_at=now, link_key=key
                    )
                )
                member_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        except sa.exc.IntegrityError as exc:
            taken = self.member_by_email(email) is not None
            raise Conflict("email" if taken else "handle") from exc
        return Member(member_id, handle, email, password_hash, now, link_key=key)

    def _one_member(self, clause: sa.ColumnElement[bool]) -> Member | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(members).where(clause)).first()
        return _member(row) if row else None

    def member_by_email(self, email: str) -> Member | None:
        return self._one_member(members.c.email == email)

    def member_by_handle(self, handle: str) -> Member | None:
        return self._one_member(sa.func.lower(members.c.handle) == handle.lower())

    def member_by_id(self, member_id: int) -> Member | None:
        return self._one_member(members.c.id == member_id)

    def update_member(self, member_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(members.update().where(members.c.id == member_id).values(**values))

    # --- single-use links (verify an address, reset a password) ------------------------------------
    def create_token(self, token_hash: str, member_id: int, purpose: str, expires_at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                member_tokens.insert().values(
                    token_hash=token_hash, member_id=member_id, purpose=purpose, expires_at=expires_at
                )
            )

    def consume_token(self, token_hash: str, purpose: str, now: datetime) -> int | None:
        """The member a valid, unused, unexpired token belongs to, marking it used (once only)."""
        t = member_tokens.c
        valid = sa.and_(t.token_hash == token_hash, t.purpose == purpose, t.used_at.is_(None), t.expires_at > now)
        with self.engine.begin() as conn:
            if conn.execute(member_tokens.update().where(valid).values(used_at=now)).rowcount != 1:
                return None
            return int(conn.execute(sa.select(t.member_id).where(t.token_hash == token_hash)).scalar_one())

    def spend_tokens(self, member_id: int, purpose: str, now: datetime) -> int:
        t = member_tokens.c
        outstanding = sa.and_(t.member_id == member_id, t.purpose == purpose, t.used_at.is_(None))
        with self.engine.begin() as conn:
            return int(conn.execute(member_tokens.update().where(outstanding).values(used_at=now)).rowcount)

    # --- sessions ---------------------------------------------------------------------------------
    def create_session(self, token_hash: str, member_id: int, now: datetime, expires_at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.expires_at <= now))  # keep the table small
            conn.execute(
                sessions.insert().values(
                    token_hash=token_hash, member_id=member_id, created_at=now, expires_at=expires_at
                )
            )

    def session_member(self, token_hash: str, now: datetime) -> Member | None:
        stmt = (
            sa.select(members)
            .join(sessions, sessions.c.member_id == members.c.id)
            .where(sessions.c.token_hash == token_hash, sessions.c.expires_at > now)
        )
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return _member(row) if row else None

    def end_session(self, token_hash: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.token_hash == token_hash))

    def end_member_sessions(self, member_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.member_id == member_id))

    # --- votes ------------------------------------------------------------------------------------
    def set_vote(self, member_id: int, paper_pk: int, want: bool | None, now: datetime) -> tuple[bool, int]:
        """Vote (True), withdraw (False) or toggle (None); returns (voted now, member_votes now).
        The vote row and the paper's count change in one transaction, so the count is exact."""
        key = sa.and_(votes.c.member_id == member_id, votes.c.paper_pk == paper_pk)
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                # Lock the paper's row first: two toggles at once would otherwise both find the vote
                # and both delete it (one a no-op), losing a toggle. SQLite writers are serial anyway.
                conn.execute(sa.select(papers.c.pk).where(papers.c.pk == paper_pk).with_for_update())
            voted = False
            if want is not False:
                insert = _insert_ignoring_duplicates(votes, self.dialect).values(
                    member_id=member_id, paper_pk=paper_pk, created_at=now
                )
                voted = conn.execute(insert).rowcount == 1
            if not voted and want is not True:
                removed = conn.execute(votes.delete().where(key)).rowcount == 1
                delta = -1 if removed else 0
            else:
                delta = 1 if voted else 0
            if delta:
                bump_catalogue_version(conn)
                conn.execute(
                    papers.update().where(papers.c.pk == paper_pk).values(member_votes=papers.c.member_votes + delta)
                )
            has_vote = conn.execute(sa.select(sa.func.count()).select_from(votes).where(key)).scalar_one() == 1
            count = conn.execute(sa.select(papers.c.member_votes).where(papers.c.pk == paper_pk)).scalar_one()
        return has_vote, int(count)

    def voted(self, member_id: int, paper_pks: Iterable[int]) -> set[int]:
        """Which of `paper_pks` the member has voted for."""
        wanted = list(paper_pks)
        if not wanted:
            return set()
        stmt = sa.select(votes.c.paper_pk).where(votes.c.member_id == member_id, votes.c.paper_pk.in_(wanted))
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(stmt)}

    def voted_among(self, member_id: int, paper_ids: Iterable[str]) -> set[str]:
        """Which of `paper_ids` the member has voted for (one query)."""
        wanted = list(dict.fromkeys(paper_ids))
        stmt = (
            sa.select(papers.c.id)
            .join(votes, votes.c.paper_pk == papers.c.pk)
            .where(votes.c.member_id == member_id, papers.c.id.in_(wanted))
        )
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(stmt)}

    def voted_ids(self, member_id: int, limit: int = 100) -> list[str]:
        """Ids of the papers the member voted for, latest vote first."""
        return self._member_paper_ids(votes, member_id, limit)

    # --- "not interested" marks ----------------------------------------------------------------------
    def set_not_interested(self, member_id: int, paper_pk: int, marked: bool, now: datetime) -> bool:
        """Mark or unmark; returns whether the mark changed anything."""
        return set_mark(self.engine, not_interested, member_id, paper_pk, marked, now)

    def not_interested_ids(self, member_id: int, limit: int = 100) -> list[str]:
        """Ids of the papers the member marked not interested, latest first."""
        return self._member_paper_ids(not_interested, member_id, limit)

    def _member_paper_ids(self, table: sa.Table, member_id: int, limit: int) -> list[str]:
        """Ids of the papers in `table` (votes, submissions) rows of the member, latest first."""
        stmt = (
            sa.select(papers.c.id)
            .join(table, table.c.paper_pk == papers.c.pk)
            .where(table.c.member_id == member_id)
            .order_by(table.c.created_at.desc(), papers.c.pk.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(stmt)]

    # --- submissions ------------------------------------------------------------------------------
    def add_submission(self, paper_pk: int, member_id: int, now: datetime) -> bool:
        """Record a submission; False when the paper was submitted before (by anyone)."""
        insert = _insert_ignoring_duplicates(submissions, self.dialect).values(
            paper_pk=paper_pk, member_id=member_id, created_at=now
        )
        with self.engine.begin() as conn:
            return bool(conn.execute(insert).rowcount == 1)

    def submissions_since(self, member_id: int, since: datetime) -> int:
        stmt = (
            sa.select(sa.func.count())
            .select_from(submissions)
            .where(submissions.c.member_id == member_id, submissions.c.created_at >= since)
        )
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def submitted_ids(self, member_id: int, limit: int = 100) -> list[str]:
        """Ids of the member's submissions, latest first."""
        return self._member_paper_ids(submissions, member_id, limit)

    def members_engaged_with(self, pks: Sequence[int]) -> dict[int, str]:
        wanted = [int(pk) for pk in pks]
        found: dict[int, str] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                for (pk,) in conn.execute(sa.select(votes.c.paper_pk).where(votes.c.paper_pk.in_(chunk)).distinct()):
                    found[pk] = "members voted for it"
                for (pk,) in conn.execute(sa.select(submissions.c.paper_pk).where(submissions.c.paper_pk.in_(chunk))):
                    found[pk] = "a member submitted it"
        return found

    # --- rate limits ------------------------------------------------------------------------------
    def rate_hit(self, key: str, now: datetime, window_start: datetime, limit: int) -> bool:
        """Count an attempt at `key` unless `limit` attempts happened since `window_start`;
        True when this attempt is allowed."""
        with self.engine.begin() as conn:
            conn.execute(rate_events.delete().where(rate_events.c.key == key, rate_events.c.at < window_start))
            recent = conn.execute(
                sa.select(sa.func.count()).select_from(rate_events).where(rate_events.c.key == key)
            ).scalar_one()
            if recent >= limit:
                return False
            conn.execute(rate_events.insert().values(key=key, at=now))
            if random.random() < 0.01:  # now and then, forget every key's old attempts (no window is a day)
                conn.execute(rate_events.delete().where(rate_events.c.at < now - timedelta(days=1)))
            return True

    def rate_count(self, key: str, window_start: datetime) -> int:
        stmt = (
            sa.select(sa.func.count())
            .select_from(rate_events)
            .where(rate_events.c.key == key, rate_events.c.at >= window_start)
        )
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())


def _upsert_any(
    conn: sa.Connection, dialect: str, table: sa.Table, values: dict[str, Any], keys: list[str], update: dict[str, Any]
) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET update, on either dialect."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        insert: Any = pg_insert(table)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        insert = sqlite_insert(table)
    conn.execute(insert.values(**values).on_conflict_do_update(index_elements=keys, set_=update))


def set_mark(engine: sa.Engine, table: sa.Table, member_id: int, paper_pk: int, marked: bool, now: datetime) -> bool:
    """Put or take away a member's mark on a paper in `table` (member_id, paper_pk, created_at);
    whether anything changed. A second identical mark is a no-op (the key), never a second row."""
    with engine.begin() as conn:
        if marked:
            insert = _insert_ignoring_duplicates(table, engine.dialect.name).values(
                member_id=member_id, paper_pk=paper_pk, created_at=now
            )
            return bool(conn.execute(insert).rowcount == 1)
        key = sa.and_(table.c.member_id == member_id, table.c.paper_pk == paper_pk)
        return bool(conn.execute(table.delete().where(key)).rowcount == 1)
