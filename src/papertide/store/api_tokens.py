"""Personal API tokens in SQL: only each token's hash is kept."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from papertide.model import ApiToken, Member
from papertide.store.community import _member
from papertide.store.schema import api_tokens, members

# A token's last use is written at most this often (every API call reading it would otherwise
# write a row).
_TOUCH_EVERY = timedelta(minutes=1)


def _token(row: Any) -> ApiToken:
    m = row._mapping
    return ApiToken(
        id=m["id"],
        member_id=m["member_id"],
        name=m["name"],
        scopes=tuple(m["scopes"].split()),
        created_at=m["created_at"],
        last_used_at=m["last_used_at"],
        revoked_at=m["revoked_at"],
    )


class SqlApiTokens:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def create(self, member_id: int, name: str, token_hash: str, scopes: tuple[str, ...], now: datetime) -> ApiToken:
        with self.engine.begin() as conn:
            result = conn.execute(
                api_tokens.insert().values(
                    member_id=member_id, name=name, token_hash=token_hash, scopes=" ".join(scopes), created_at=now
                )
            )
            token_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return ApiToken(token_id, member_id, name, scopes, now)

    def list(self, member_id: int) -> list[ApiToken]:
        stmt = sa.select(api_tokens).where(api_tokens.c.member_id == member_id).order_by(api_tokens.c.id.desc())
        with self.engine.connect() as conn:
            return [_token(r) for r in conn.execute(stmt)]

    def resolve(self, token_hash: str, now: datetime) -> tuple[ApiToken, Member] | None:
        """The live token with this hash and its member (recording the use), or None."""
        live = sa.and_(api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None))
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(api_tokens).where(live)).first()
            if row is None:
                return None
            token = _token(row)
            member = _member(conn.execute(sa.select(members).where(members.c.id == token.member_id)).one())
        if token.last_used_at is None or now - token.last_used_at >= _TOUCH_EVERY:
            with self.engine.begin() as conn:
                conn.execute(api_tokens.update().where(api_tokens.c.id == token.id).values(last_used_at=now))
        return token, member

    def revoke(self, member_id: int, token_id: int, now: datetime) -> bool:
        where = sa.and_(
            api_tokens.c.id == token_id, api_tokens.c.member_id == member_id, api_tokens.c.revoked_at.is_(None)
        )
        with self.engine.begin() as conn:
            return bool(conn.execute(api_tokens.update().where(where).values(revoked_at=now)).rowcount == 1)

    def revoke_all(self, member_id: int, now: datetime) -> int:
        where = sa.and_(api_tokens.c.member_id == member_id, api_tokens.c.revoked_at.is_(None))
        with self.engine.begin() as conn:
            return int(conn.execute(api_tokens.update().where(where).values(revoked_at=now)).rowcount)
