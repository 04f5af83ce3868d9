"""Discussions in SQL: comments under papers, and the count on the paper kept in step.

Posting and deleting move `papers.member_comments` in the same transaction (and the catalogue
version, so cached pages show the new count); a deleted comment keeps its row so that its replies
stay where they were, with the text gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from papertide.model import Comment
from papertide.store.community import bump_catalogue_version
from papertide.store.schema import comments, members, papers

_COLUMNS = (
    comments.c.id,
    papers.c.id.label("paper_id"),
    comments.c.member_id,
    members.c.handle,
    comments.c.parent_id,
    comments.c.body,
    comments.c.html,
    comments.c.created_at,
    comments.c.edited_at,
    comments.c.deleted_at,
    comments.c.hidden_at,
)


def _comment(row: Any) -> Comment:
    m = row._mapping
    return Comment(
        id=m["id"],
        paper_id=m["paper_id"],
        member_id=m["member_id"],
        handle=m["handle"],
        parent_id=m["parent_id"],
        body=m["body"],
        created_at=m["created_at"],
        edited_at=m["edited_at"],
        deleted_at=m["deleted_at"],
        hidden_at=m["hidden_at"],
        html=m["html"],
    )


def _select() -> sa.Select[Any]:
    return (
        sa.select(*_COLUMNS)
        .join(papers, papers.c.pk == comments.c.paper_pk)
        .join(members, members.c.id == comments.c.member_id)
    )


class SqlDiscussions:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def add(
        self, paper_pk: int, member_id: int, body: str, parent_id: int | None, now: datetime, html: str | None = None
    ) -> int | None:
        """A new comment's id; None when `parent_id` is not a live comment under the same paper."""
        with self.engine.begin() as conn:
            if parent_id is not None:
                parent = conn.execute(
                    sa.select(comments.c.id).where(
                        comments.c.id == parent_id, comments.c.paper_pk == paper_pk, comments.c.deleted_at.is_(None)
                    )
                ).first()
                if parent is None:
                    return None
            moved = conn.execute(
                papers.update().where(papers.c.pk == paper_pk).values(member_comments=papers.c.member_comments + 1)
            ).rowcount
            if not moved:
                return None
            result = conn.execute(
                comments.insert().values(
                    paper_pk=paper_pk, member_id=member_id, parent_id=parent_id, body=body, html=html, created_at=now
                )
            )
            bump_catalogue_version(conn)
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def get(self, comment_id: int) -> Comment | None:
        with self.engine.connect() as conn:
            row = conn.execute(_select().where(comments.c.id == comment_id)).first()
        return _comment(row) if row else None

    def edit(self, comment_id: int, member_id: int, body: str, now: datetime, html: str | None = None) -> bool:
        """Change the member's own live comment."""
        mine = sa.and_(comments.c.id == comment_id, comments.c.member_id == member_id, comments.c.deleted_at.is_(None))
        with self.engine.begin() as conn:
            changed = conn.execute(comments.update().where(mine).values(body=body, html=html, edited_at=now)).rowcount
            if changed:
                bump_catalogue_version(conn)
            return bool(changed)

    def delete(self, comment_id: int, member_id: int, now: datetime) -> bool:
        """Delete the member's own live comment (its text goes; its replies stay)."""
        mine = sa.and_(comments.c.id == comment_id, comments.c.member_id == member_id, comments.c.deleted_at.is_(None))
        with self.engine.begin() as conn:
            pk = conn.execute(sa.select(comments.c.paper_pk).where(mine)).scalar()
            if pk is None:
                return False
            was_hidden = conn.execute(sa.select(comments.c.hidden_at).where(mine)).scalar() is not None
            conn.execute(comments.update().where(mine).values(body="", html=None, deleted_at=now))
            if not was_hidden:  # a hidden comment was already out of the count
                conn.execute(
                    papers.update().where(papers.c.pk == pk).values(member_comments=papers.c.member_comments - 1)
                )
            bump_catalogue_version(conn)
            return True

    def thread(self, paper_pk: int, limit: int = 2000) -> list[Comment]:
        """The paper's comments, oldest first (deleted ones included: their replies hang on them)."""
        stmt = _select().where(comments.c.paper_pk == paper_pk).order_by(comments.c.id).limit(limit)
        with self.engine.connect() as conn:
            return [_comment(r) for r in conn.execute(stmt)]

    def set_hidden(self, comment_id: int, hidden: bool, now: datetime) -> bool:
        """Hide (or restore) a live comment; the paper's count moves with it."""
        live = sa.and_(comments.c.id == comment_id, comments.c.deleted_at.is_(None))
        state = comments.c.hidden_at.is_(None) if hidden else comments.c.hidden_at.is_not(None)
        with self.engine.begin() as conn:
            pk = conn.execute(sa.select(comments.c.paper_pk).where(live, state)).scalar()
            if pk is None:
                return False
            conn.execute(comments.update().where(live).values(hidden_at=now if hidden else None))
            step = -1 if hidden else 1
            conn.execute(
                papers.update().where(papers.c.pk == pk).values(member_comments=papers.c.member_comments + step)
            )
            bump_catalogue_version(conn)
            return True

    def handles_known(self, handles: Iterable[str]) -> dict[str, tuple[int, str, bool]]:
        """For each handle that names a member: (id, email, wants mention mail)."""
        wanted = list(dict.fromkeys(handles))[:50]
        if not wanted:
            return {}
        stmt = sa.select(members.c.handle, members.c.id, members.c.email, members.c.mention_mail, members.c.verified_at)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt.where(members.c.handle.in_(wanted))).all()
        return {r.handle: (r.id, r.email, bool(r.mention_mail) and r.verified_at is not None) for r in rows}

    def set_mention_mail(self, member_id: int, wanted: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(members.update().where(members.c.id == member_id).values(mention_mail=wanted))
