"""Moderation in SQL: roles, suspensions, reports and the log of what moderators did.

A suspension ends the member's sessions and revokes their API tokens in the same transaction;
every moderator action writes its log row in the transaction that does it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from papertide.store.community import _BUMP
from papertide.store.schema import api_tokens, author_claims, members, moderation_log, reports, sessions


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
                members.update().where(members.c.id == member_id, state).values(suspended_at=now if suspended else None)
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

    def open_report(self, report_id: int) -> dict[str, Any] | None:
        stmt = sa.select(reports).where(reports.c.id == report_id, reports.c.resolved_at.is_(None))
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return dict(row._mapping) if row else None

    def claim(self, claim_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(author_claims).where(author_claims.c.id == claim_id)).first()
        return dict(row._mapping) if row else None

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

    # --- authorship claims ---------------------------------------------------------------------------
    def add_claim(self, member_id: int, key: str, name: str, paper_id: str, now: datetime) -> bool:
        """A pending claim; False when the member already claimed this author."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    author_claims.insert().values(
                        member_id=member_id,
                        author_key=key,
                        name=name,
                        paper_id=paper_id,
                        status="pending",
                        created_at=now,
                    )
                )
        except sa.exc.IntegrityError:
            return False
        return True

    def claim_holders(self, keys: set[str]) -> dict[str, str]:
        """{author key: handle} of the approved claims among `keys`."""
        if not keys:
            return {}
        stmt = (
            sa.select(author_claims.c.author_key, members.c.handle)
            .join(members, members.c.id == author_claims.c.member_id)
            .where(author_claims.c.author_key.in_(sorted(keys)[:500]), author_claims.c.status == "approved")
        )
        with self.engine.connect() as conn:
            return {k: h for k, h in conn.execute(stmt)}

    def claim_holder(self, key: str) -> str | None:
        return self.claim_holders({key}).get(key)

    def pending_claims(self, limit: int = 200) -> list[dict[str, Any]]:
        stmt = (
            sa.select(author_claims, members.c.handle)
            .join(members, members.c.id == author_claims.c.member_id)
            .where(author_claims.c.status == "pending")
            .order_by(author_claims.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def decide_claim(self, claim_id: int, approve: bool, by: int, now: datetime) -> dict[str, Any] | None:
        """Approve or reject a pending claim (an author has at most one approved claim); the claim,
        or None when there is no such pending claim or its author is already someone's."""
        with self.engine.begin() as conn:
            claim = conn.execute(
                sa.select(author_claims).where(author_claims.c.id == claim_id, author_claims.c.status == "pending")
            ).first()
            if claim is None:
                return None
            if approve:
                taken = conn.execute(
                    sa.select(author_claims.c.id).where(
                        author_claims.c.author_key == claim.author_key, author_claims.c.status == "approved"
                    )
                ).first()
                if taken is not None:
                    return None
            conn.execute(
                author_claims.update()
                .where(author_claims.c.id == claim_id)
                .values(status="approved" if approve else "rejected", decided_at=now, decided_by=by)
            )
            if approve:
                conn.execute(_BUMP)  # pages showing the author's name change
            return dict(claim._mapping)
