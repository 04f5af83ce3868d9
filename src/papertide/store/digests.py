"""Digest subscriptions and the delivery log, in SQL.

The delivery log is what makes sending exactly-once: a row is claimed ("sending") and committed
before the message is handed to the SMTP server, and marked "sent" once the server accepted it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from papertide.model import Member, Subscription
from papertide.store import FINAL_DELIVERIES
from papertide.store.community import _member
from papertide.store.schema import deliveries, members, subscriptions


def _subscription(row: sa.Row[tuple[object, ...]]) -> Subscription:
    m = row._mapping
    return Subscription(
        member_id=m["member_id"],
        active=bool(m["active"]),
        frequency=m["frequency"],
        weekdays_only=bool(m["weekdays_only"]),
        send_hour=m["send_hour"],
        timezone=m["timezone"],
        sections=tuple(s for s in m["sections"].split(",") if s),
    )


def _upsert(dialect: str) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


class SqlDigests:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    # --- subscriptions ----------------------------------------------------------------------------
    def subscription(self, member_id: int) -> Subscription | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(subscriptions).where(subscriptions.c.member_id == member_id)).first()
        return _subscription(row) if row else None

    def save_subscription(self, sub: Subscription, now: datetime) -> None:
        values = {
            "active": sub.active,
            "frequency": sub.frequency,
            "weekdays_only": sub.weekdays_only,
            "send_hour": sub.send_hour,
            "timezone": sub.timezone,
            "sections": ",".join(sub.sections),
            "updated_at": now,
        }
        with self.engine.begin() as conn:
            changed = conn.execute(
                subscriptions.update().where(subscriptions.c.member_id == sub.member_id).values(**values)
            ).rowcount
            if not changed:
                conn.execute(subscriptions.insert().values(member_id=sub.member_id, **values))

    def unsubscribe(self, member_id: int, now: datetime) -> bool:
        """Stop the member's digest; True when there was an active subscription."""
        with self.engine.begin() as conn:
            return bool(
                conn.execute(
                    subscriptions.update()
                    .where(subscriptions.c.member_id == member_id, subscriptions.c.active.is_(True))
                    .values(active=False, updated_at=now)
                ).rowcount
            )

    def iter_subscribers(self, batch_size: int = 500) -> Iterator[tuple[Member, Subscription]]:
        """Active subscribers with a verified address that has not bounced, in member order, a batch at a time
        (memory stays flat however many there are)."""
        last = 0
        while True:
            stmt = (
                sa.select(members, subscriptions)
                .join(subscriptions, subscriptions.c.member_id == members.c.id)
                .where(
                    members.c.id > last,
                    subscriptions.c.active.is_(True),
                    members.c.email_status == "ok",
                    members.c.verified_at.is_not(None),  # double opt-in: only confirmed addresses
                )
                .order_by(members.c.id)
                .limit(batch_size)
            )
            with self.engine.connect() as conn:
                rows = conn.execute(stmt).all()
            if not rows:
                return
            last = rows[-1].id
            yield from ((_member(r), _subscription(r)) for r in rows)

    def mark_bounced(self, member_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(members.update().where(members.c.id == member_id).values(email_status="bounced"))

    # --- deliveries -------------------------------------------------------------------------------
    def claim(self, member_id: int, day: date, message_id: str, now: datetime) -> bool:
        """Record that the (member, day) digest is about to be sent; False when it was finished
        before (sent, empty or failed). An unfinished claim (a crash, a deferral) is taken again.
        One upsert statement: its conflict clause only fires on an unfinished row."""
        insert = _upsert(self.engine.dialect.name)(deliveries).values(
            member_id=member_id, digest_date=day, status="sending", attempts=1, message_id=message_id, updated_at=now
        )
        claim = insert.on_conflict_do_update(
            index_elements=[deliveries.c.member_id, deliveries.c.digest_date],
            set_={"status": "sending", "attempts": deliveries.c.attempts + 1, "updated_at": now},
            where=deliveries.c.status.not_in(FINAL_DELIVERIES),
        ).execution_options(preserve_rowcount=True)  # an INSERT's rowcount is kept only when asked for
        with self.engine.begin() as conn:
            return bool(conn.execute(claim).rowcount == 1)

    def finish(self, member_id: int, day: date, status: str, now: datetime, error: str | None = None) -> None:
        d = deliveries.c
        with self.engine.begin() as conn:
            conn.execute(
                deliveries.update()
                .where(d.member_id == member_id, d.digest_date == day)
                .values(status=status, error=error, updated_at=now)
            )

    def delivery_status(self, member_id: int, day: date) -> str | None:
        d = deliveries.c
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(d.status).where(d.member_id == member_id, d.digest_date == day)).first()
        return row[0] if row else None

    def delivery_counts(self, day: date) -> dict[str, int]:
        d = deliveries.c
        stmt = sa.select(d.status, sa.func.count()).where(d.digest_date == day).group_by(d.status)
        with self.engine.connect() as conn:
            return {status: n for status, n in conn.execute(stmt)}
