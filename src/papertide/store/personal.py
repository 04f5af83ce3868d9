"""A member's own things in SQL: collections (saved papers with notes), saved searches, the papers
they opened, and the alert log that lets each new paper reach them once.

Every write is scoped by the member who asks: a collection or saved search id that belongs to
someone else is treated as missing (False / None), never as forbidden, so ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa

from papertide.model import Collection, SavedSearch
from papertide.store import Conflict
from papertide.store.community import _insert_ignoring_duplicates, set_mark
from papertide.store.schema import (
    alert_batches,
    alert_papers,
    collection_papers,
    collections,
    counters,
    members,
    more_like_this,
    new_link_key,
    not_interested,
    papers,
    saved_searches,
    seen_papers,
)

_CHUNK = 500
_ALERT_CURSOR = "alerts"
SEEN_REFRESH = timedelta(hours=1)


def _collection(row: Any, size: int = 0) -> Collection:
    m = row._mapping
    return Collection(
        id=m["id"],
        member_id=m["member_id"],
        name=m["name"],
        description=m["description"],
        public=bool(m["public"]),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        size=size,
    )


def _saved_search(row: Any) -> SavedSearch:
    m = row._mapping
    try:
        filters = orjson.loads(m["filters"])
    except orjson.JSONDecodeError:
        filters = {}
    return SavedSearch(
        id=m["id"],
        member_id=m["member_id"],
        name=m["name"],
        query=m["query"],
        filters=filters if isinstance(filters, dict) else {},
        alert=m["alert"],
        since_pk=m["since_pk"],
        feed_generation=m["feed_generation"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        link_key=m.get("link_key") or "",
    )


def _chunks(pks: Iterable[int]) -> Iterable[list[int]]:
    wanted = list(dict.fromkeys(pks))
    for i in range(0, len(wanted), _CHUNK):
        yield wanted[i : i + _CHUNK]


class SqlPersonal:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    # --- collections ------------------------------------------------------------------------------
    def create_collection(self, member_id: int, name: str, description: str, public: bool, now: datetime) -> Collection:
        """A new collection; Conflict("name") when the member already has one of that name."""
        try:
            with self.engine.begin() as conn:
                result = conn.execute(
                    collections.insert().values(
                        member_id=member_id,
                        name=name,
                        description=description,
                        public=public,
                        created_at=now,
                        updated_at=now,
                    )
                )
                new_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        except sa.exc.IntegrityError as exc:
            raise Conflict("name") from exc
        return Collection(new_id, member_id, name, description, public, now, now)

    def collections(self, member_id: int) -> list[Collection]:
        """The member's collections, most recently changed first, with their sizes."""
        size = sa.select(sa.func.count()).where(collection_papers.c.collection_id == collections.c.id).scalar_subquery()
        stmt = (
            sa.select(collections, size.label("size"))
            .where(collections.c.member_id == member_id)
            .order_by(collections.c.updated_at.desc(), collections.c.id.desc())
        )
        with self.engine.connect() as conn:
            return [_collection(r, r.size) for r in conn.execute(stmt)]

    def collection(self, collection_id: int) -> Collection | None:
        size = sa.select(sa.func.count()).where(collection_papers.c.collection_id == collection_id).scalar_subquery()
        stmt = sa.select(collections, size.label("size")).where(collections.c.id == collection_id)
        with self.engine.connect() as conn:
            row = conn.execute(stmt).first()
        return _collection(row, row.size) if row else None

    def update_collection(self, member_id: int, collection_id: int, now: datetime, **values: object) -> bool:
        """Change name, description or public; Conflict("name") for a name the member already uses."""
        mine = sa.and_(collections.c.id == collection_id, collections.c.member_id == member_id)
        try:
            with self.engine.begin() as conn:
                changed = conn.execute(collections.update().where(mine).values(updated_at=now, **values)).rowcount
        except sa.exc.IntegrityError as exc:
            raise Conflict("name") from exc
        return bool(changed)

    def delete_collection(self, member_id: int, collection_id: int) -> bool:
        mine = sa.and_(collections.c.id == collection_id, collections.c.member_id == member_id)
        with self.engine.begin() as conn:
            if not conn.execute(collections.update().where(mine).values(public=False)).rowcount:
                return False
            conn.execute(collection_papers.delete().where(collection_papers.c.collection_id == collection_id))
            return bool(conn.execute(collections.delete().where(mine)).rowcount)

    def save_paper(self, member_id: int, collection_id: int, paper_pk: int, now: datetime) -> bool | None:
        """Put a paper in one of the member's collections: True when added, False when it was there,
        None when the collection is not theirs."""
        mine = sa.and_(collections.c.id == collection_id, collections.c.member_id == member_id)
        with self.engine.begin() as conn:
            if not conn.execute(collections.update().where(mine).values(updated_at=now)).rowcount:
                return None
            insert = _insert_ignoring_duplicates(collection_papers, self.dialect).values(
                collection_id=collection_id, paper_pk=paper_pk, added_at=now
            )
            return bool(conn.execute(insert).rowcount == 1)

    def unsave_paper(self, member_id: int, collection_id: int, paper_pk: int, now: datetime) -> bool:
        mine = sa.and_(collections.c.id == collection_id, collections.c.member_id == member_id)
        with self.engine.begin() as conn:
            if not conn.execute(collections.update().where(mine).values(updated_at=now)).rowcount:
                return False
            key = sa.and_(collection_papers.c.collection_id == collection_id, collection_papers.c.paper_pk == paper_pk)
            return bool(conn.execute(collection_papers.delete().where(key)).rowcount)

    def set_note(self, member_id: int, collection_id: int, paper_pk: int, note: str, now: datetime) -> bool:
        mine = sa.exists().where(collections.c.id == collection_id, collections.c.member_id == member_id)
        key = sa.and_(
            collection_papers.c.collection_id == collection_id, collection_papers.c.paper_pk == paper_pk, mine
        )
        with self.engine.begin() as conn:
            return bool(conn.execute(collection_papers.update().where(key).values(note=note, note_at=now)).rowcount)

    def collection_items(
        self, collection_id: int, limit: int = 1000, offset: int = 0
    ) -> list[tuple[int, str, datetime]]:
        """(paper pk, note, added at) of a collection's papers, latest added first."""
        c = collection_papers.c
        stmt = (
            sa.select(c.paper_pk, c.note, c.added_at)
            .where(c.collection_id == collection_id)
            .order_by(c.added_at.desc(), c.paper_pk.desc())
            .limit(limit)
            .offset(offset)
        )
        with self.engine.connect() as conn:
            return [(r.paper_pk, r.note, r.added_at) for r in conn.execute(stmt)]

    def collections_holding(self, member_id: int, paper_pks: Iterable[int]) -> dict[int, set[int]]:
        """For each of `paper_pks` the member saved: the ids of their collections holding it."""
        out: dict[int, set[int]] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(paper_pks):
                stmt = (
                    sa.select(collection_papers.c.paper_pk, collection_papers.c.collection_id)
                    .join(collections, collections.c.id == collection_papers.c.collection_id)
                    .where(collections.c.member_id == member_id, collection_papers.c.paper_pk.in_(chunk))
                )
                for pk, cid in conn.execute(stmt):
                    out.setdefault(pk, set()).add(cid)
        return out

    def saved_ids(self, member_id: int, limit: int = 100) -> list[str]:
        """Ids of the papers in any of the member's collections, latest saved first."""
        latest = sa.func.max(collection_papers.c.added_at)
        stmt = (
            sa.select(papers.c.id)
            .join(collection_papers, collection_papers.c.paper_pk == papers.c.pk)
            .join(collections, collections.c.id == collection_papers.c.collection_id)
            .where(collections.c.member_id == member_id)
            .group_by(papers.c.id, papers.c.pk)
            .order_by(latest.desc(), papers.c.pk.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(stmt)]

    # --- saved searches ---------------------------------------------------------------------------
    def create_search(
        self,
        member_id: int,
        name: str,
        query: str,
        filters: dict[str, object],
        alert: str,
        since_pk: int,
        now: datetime,
    ) -> SavedSearch:
        values = {
            "member_id": member_id,
            "name": name,
            "query": query,
            "filters": orjson.dumps(filters).decode(),
            "alert": alert,
            "since_pk": since_pk,
            "created_at": now,
            "updated_at": now,
            "link_key": (key := new_link_key()),
        }
        with self.engine.begin() as conn:
            new_id = int(conn.execute(saved_searches.insert().values(**values)).inserted_primary_key[0])  # type: ignore[index]
        return SavedSearch(new_id, member_id, name, query, filters, alert, since_pk, 0, now, now, key)

    def searches(self, member_id: int) -> list[SavedSearch]:
        stmt = sa.select(saved_searches).where(saved_searches.c.member_id == member_id).order_by(saved_searches.c.id)
        with self.engine.connect() as conn:
            return [_saved_search(r) for r in conn.execute(stmt)]

    def saved_search(self, search_id: int) -> SavedSearch | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(saved_searches).where(saved_searches.c.id == search_id)).first()
        return _saved_search(row) if row else None

    def update_search(self, member_id: int, search_id: int, now: datetime, **values: object) -> bool:
        """Change name, alert (or, with `revoke_feed=True`, move the feed generation on)."""
        if values.pop("revoke_feed", False):
            values["feed_generation"] = saved_searches.c.feed_generation + 1
        mine = sa.and_(saved_searches.c.id == search_id, saved_searches.c.member_id == member_id)
        with self.engine.begin() as conn:
            return bool(conn.execute(saved_searches.update().where(mine).values(updated_at=now, **values)).rowcount)

    def delete_search(self, member_id: int, search_id: int) -> bool:
        mine = sa.and_(saved_searches.c.id == search_id, saved_searches.c.member_id == member_id)
        with self.engine.begin() as conn:
            return bool(conn.execute(saved_searches.delete().where(mine)).rowcount)

    def alerting_searches(self, alert: str, after_id: int = 0, limit: int = 1000) -> list[SavedSearch]:
        """Saved searches with this kind of alert whose member can be mailed (a verified address
        that has not bounced), in id order after `after_id`: callers page through them."""
        stmt = (
            sa.select(saved_searches)
            .join(members, members.c.id == saved_searches.c.member_id)
            .where(
                saved_searches.c.alert == alert,
                saved_searches.c.id > after_id,
                members.c.verified_at.is_not(None),
                members.c.email_status == "ok",
            )
            .order_by(saved_searches.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_saved_search(r) for r in conn.execute(stmt)]

    def member_searches(self, member_id: int, alert: str) -> list[SavedSearch]:
        stmt = (
            sa.select(saved_searches)
            .where(saved_searches.c.member_id == member_id, saved_searches.c.alert == alert)
            .order_by(saved_searches.c.id)
        )
        with self.engine.connect() as conn:
            return [_saved_search(r) for r in conn.execute(stmt)]

    # --- papers the member opened -----------------------------------------------------------------
    def mark_seen(self, member_id: int, paper_pk: int, now: datetime) -> None:
        """Record that the member opened the paper. A paper page is read far more often than it is
        first opened, so a fresh record is only read (no write, no write lock) and `last_at` moves
        at most once an hour."""
        key = sa.and_(seen_papers.c.member_id == member_id, seen_papers.c.paper_pk == paper_pk)
        with self.engine.connect() as conn:
            last = conn.execute(sa.select(seen_papers.c.last_at).where(key)).scalar()
        if last is not None and now - last < SEEN_REFRESH:
            return
        with self.engine.begin() as conn:
            if last is not None:
                conn.execute(seen_papers.update().where(key).values(last_at=now))
            else:
                conn.execute(
                    _insert_ignoring_duplicates(seen_papers, self.dialect).values(
                        member_id=member_id, paper_pk=paper_pk, first_at=now, last_at=now
                    )
                )

    def unmark_seen(self, member_id: int, paper_pks: Sequence[int] | None = None) -> int:
        """Forget that the member opened these papers (all of them with None)."""
        where = [seen_papers.c.member_id == member_id]
        if paper_pks is not None:
            where.append(seen_papers.c.paper_pk.in_(list(paper_pks)))
        with self.engine.begin() as conn:
            return int(conn.execute(seen_papers.delete().where(*where)).rowcount)

    def seen_among(self, member_id: int, paper_pks: Iterable[int]) -> set[int]:
        out: set[int] = set()
        with self.engine.connect() as conn:
            for chunk in _chunks(paper_pks):
                stmt = sa.select(seen_papers.c.paper_pk).where(
                    seen_papers.c.member_id == member_id, seen_papers.c.paper_pk.in_(chunk)
                )
                out.update(r[0] for r in conn.execute(stmt))
        return out

    def hidden_among(self, member_id: int, paper_pks: Iterable[int]) -> set[int]:
        """Those of `paper_pks` the member opened or marked not interested."""
        out: set[int] = set()
        with self.engine.connect() as conn:
            for chunk in _chunks(paper_pks):
                for table in (seen_papers, not_interested):
                    mine = sa.and_(table.c.member_id == member_id, table.c.paper_pk.in_(chunk))
                    stmt = sa.select(table.c.paper_pk).where(mine)
                    out.update(r[0] for r in conn.execute(stmt))
        return out

    def seen_ids(self, member_id: int, limit: int = 100) -> list[tuple[str, datetime]]:
        """(paper id, last opened) of the papers the member opened, latest first."""
        stmt = (
            sa.select(papers.c.id, seen_papers.c.last_at)
            .join(seen_papers, seen_papers.c.paper_pk == papers.c.pk)
            .where(seen_papers.c.member_id == member_id)
            .order_by(seen_papers.c.last_at.desc(), papers.c.pk.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [(r[0], r[1]) for r in conn.execute(stmt)]

    def set_more_like_this(self, member_id: int, paper_pk: int, marked: bool, now: datetime) -> bool:
        """Mark or unmark; whether it changed anything."""
        return set_mark(self.engine, more_like_this, member_id, paper_pk, marked, now)

    def more_like_this_ids(self, member_id: int, limit: int = 100) -> list[str]:
        stmt = (
            sa.select(papers.c.id)
            .join(more_like_this, more_like_this.c.paper_pk == papers.c.pk)
            .where(more_like_this.c.member_id == member_id)
            .order_by(more_like_this.c.created_at.desc(), papers.c.pk.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(stmt)]

    def set_hide_seen(self, member_id: int, hide: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(members.update().where(members.c.id == member_id).values(hide_seen=hide))

    # --- the alert log ----------------------------------------------------------------------------
    def alert_cursor(self) -> int | None:
        """The highest paper pk the immediate alerts have looked at (None: they never ran)."""
        with self.engine.connect() as conn:
            return conn.execute(sa.select(counters.c.value).where(counters.c.name == _ALERT_CURSOR)).scalar()

    def set_alert_cursor(self, pk: int) -> None:
        with self.engine.begin() as conn:
            if not conn.execute(counters.update().where(counters.c.name == _ALERT_CURSOR).values(value=pk)).rowcount:
                conn.execute(counters.insert().values(name=_ALERT_CURSOR, value=pk))

    def open_batch(self, member_id: int, paper_pks: Sequence[int], now: datetime) -> tuple[int, list[int]] | None:
        """Claim for one alert message the papers of `paper_pks` never sent to the member before:
        (batch id, the claimed pks), committed before anything is mailed; None when none is left."""
        with self.engine.begin() as conn:
            batch_id = int(
                conn.execute(
                    alert_batches.insert().values(member_id=member_id, status="sending", created_at=now, updated_at=now)
                ).inserted_primary_key[0]  # type: ignore[index]
            )
            via = f"alert-{batch_id}"
            for chunk in _chunks(paper_pks):
                rows = [{"member_id": member_id, "paper_pk": pk, "via": via, "created_at": now} for pk in chunk]
                conn.execute(_insert_ignoring_duplicates(alert_papers, self.dialect), rows)
            claimed = [r[0] for r in conn.execute(sa.select(alert_papers.c.paper_pk).where(alert_papers.c.via == via))]
            if not claimed:
                conn.execute(alert_batches.delete().where(alert_batches.c.id == batch_id))
                return None
        order = {pk: i for i, pk in enumerate(paper_pks)}
        return batch_id, sorted(claimed, key=lambda pk: order.get(pk, len(order)))

    def unfinished_batches(self) -> list[tuple[int, int, int]]:
        """(batch id, member id, attempts) of alert messages claimed but not known to be sent
        (a crash, a deferral): the next run sends them again, with the same papers."""
        b = alert_batches.c
        stmt = sa.select(b.id, b.member_id, b.attempts).where(b.status.in_(("sending", "deferred"))).order_by(b.id)
        with self.engine.connect() as conn:
            return [(r.id, r.member_id, r.attempts) for r in conn.execute(stmt)]

    def batch_papers(self, batch_id: int) -> list[int]:
        stmt = sa.select(alert_papers.c.paper_pk).where(alert_papers.c.via == f"alert-{batch_id}")
        with self.engine.connect() as conn:
            return sorted(r[0] for r in conn.execute(stmt))

    def finish_batch(self, batch_id: int, status: str, now: datetime, error: str | None = None) -> None:
        b = alert_batches.c
        values: dict[str, object] = {"status": status, "updated_at": now, "error": error}
        if status == "sending":
            values["attempts"] = b.attempts + 1
        with self.engine.begin() as conn:
            conn.execute(alert_batches.update().where(b.id == batch_id).values(**values))

    def batch_counts(self) -> dict[str, int]:
        stmt = sa.select(alert_batches.c.status, sa.func.count()).group_by(alert_batches.c.status)
        with self.engine.connect() as conn:
            return {status: n for status, n in conn.execute(stmt)}

    def claim_for_digest(self, member_id: int, day: date, paper_pks: Sequence[int], now: datetime) -> list[int]:
        """The papers of `paper_pks` the (member, day) digest may carry in its saved-search section:
        never sent before, or already claimed by this same digest (a rerun after a crash)."""
        via = f"digest-{day.isoformat()}"
        with self.engine.begin() as conn:
            for chunk in _chunks(paper_pks):
                rows = [{"member_id": member_id, "paper_pk": pk, "via": via, "created_at": now} for pk in chunk]
                conn.execute(_insert_ignoring_duplicates(alert_papers, self.dialect), rows)
            mine = {
                r[0]
                for r in conn.execute(
                    sa.select(alert_papers.c.paper_pk).where(
                        alert_papers.c.member_id == member_id, alert_papers.c.via == via
                    )
                )
            }
        return [pk for pk in paper_pks if pk in mine]

    def sent_among(self, member_id: int, paper_pks: Iterable[int]) -> set[int]:
        out: set[int] = set()
        with self.engine.connect() as conn:
            for chunk in _chunks(paper_pks):
                stmt = sa.select(alert_papers.c.paper_pk).where(
                    alert_papers.c.member_id == member_id, alert_papers.c.paper_pk.in_(chunk)
                )
                out.update(r[0] for r in conn.execute(stmt))
        return out
