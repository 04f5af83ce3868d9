"""Moderation in SQL: roles, suspensions, reports and the log of what moderators did.

A suspension ends the member's sessions and revokes their API tokens in the same transaction;
every moderator action writes its log row in the transaction that does it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from .schema import api_tokens, members, moderation_log, reports, sessions


class SqlModeration:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def set_role(self, member_id: int, role: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(members.update().where(members.c.id == member_id).values(role=role))

    def set_suspended(self, member_id: int, suspended: bool, now: datetime) -> bool:
        """Suspend (ending every session and token) or lift it; whether anything changed."""
        state = members.c.suspended_at.is_(None) if suspended else members.c.suspended_at.is_not(None)
        with self.engine.begin() as conn:
            changed = conn.execute(
                members.update()
                .where(members.c.id == member_id, state)
                .values(suspended_at=now if suspended else None)
            ).rowcount
            if changed and suspended:
                conn.execute(sessions.delete().where(sessions.c.member_id == member_id))
                conn.execute(
                    api_tokens.update()
                    .where(api_tokens.c.member_id == member_id, api_tokens.c.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
            return bool(changed)

    def report(self, member_id: int, kind: str, target: str, reason: str, now: datetime) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(
                reports.insert().values(member_id=member_id, kind=kind, target=target, reason=reason, created_at=now)
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def open_reports(self, limit: int = 200) -> list[dict[str, Any]]:
        stmt = (
            sa.select(reports, members.c.handle.label("reporter"))
            .join(members, members.c.id == reports.c.member_id)
            .where(reports.c.resolved_at.is_(None))
            .order_by(reports.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def resolve(self, report_id: int, by: int, resolution: str, now: datetime) -> bool:
        open_one = sa.and_(reports.c.id == report_id, reports.c.resolved_at.is_(None))
        with self.engine.begin() as conn:
            return bool(
                conn.execute(
                    reports.update().where(open_one).values(resolved_at=now, resolved_by=by, resolution=resolution)
                ).rowcount
            )

    def resolve_about(self, kind: str, target: str, by: int, resolution: str, now: datetime) -> int:
        """Close every open report about one comment or paper (what the moderator acted on)."""
        about = sa.and_(reports.c.kind == kind, reports.c.target == target, reports.c.resolved_at.is_(None))
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    reports.update().where(about).values(resolved_at=now, resolved_by=by, resolution=resolution)
                ).rowcount
            )

    def log(self, actor_id: int | None, actor: str, action: str, target: str, reason: str, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                moderation_log.insert().values(
                    actor_id=actor_id, actor=actor, action=action, target=target, reason=reason, at=now
                )
            )

    def entries(self, limit: int = 500) -> list[dict[str, Any]]:
        stmt = sa.select(moderation_log).order_by(moderation_log.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]
