"""The SQL store: SQLite (default, one WAL-mode file) through SQLAlchemy Core, migrated by Alembic."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from papertide.ids import LOCAL_PREFIX, title_hash
from papertide.model import Paper
from papertide.query import Filters
from papertide.store import Change, Doc, Marks
from papertide.store.api_tokens import SqlApiTokens
from papertide.store.changelog import prune, pruned_through, take_order_lock
from papertide.store.community import SqlCommunity, bump_catalogue_version
from papertide.store.digests import SqlDigests
from papertide.store.discussions import SqlDiscussions
from papertide.store.embeddings import SqlEmbeddings
from papertide.store.github import SqlGithub
from papertide.store.import_log import SqlImportLog, record_changes
from papertide.store.moderation import SqlModeration
from papertide.store.personal import SqlPersonal
from papertide.store.rows import (
    PAPER_COLUMNS,
    ROW_COLUMNS,
    categories_of,
    paper_to_row,
    paper_values,
    row_to_paper,
    utc_now,
)
from papertide.store.schema import counters, keyword_changes, papers

MIGRATIONS = Path(__file__).with_name("migrations")
_CHUNK = 500  # ids per IN (...) lookup: under SQLite's bound-parameter limit with room to spare
# Indexes only browsing and filtering use: a bulk load into an empty catalogue builds them at the end
# (the id and title-hash indexes stay: every batch looks papers up by them).
_BROWSE_INDEX_NAMES = (
    "ix_papers_featured_date",
    "ix_papers_ingested_at",
    "ix_papers_organization",
    "ix_papers_primary_category",
    "ix_papers_published",
)
BROWSE_INDEXES = tuple(sorted((i for i in papers.indexes if i.name in _BROWSE_INDEX_NAMES), key=lambda i: str(i.name)))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers never block the writer; NORMAL sync is durable across process crashes in WAL mode.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Checkpoint the WAL every ~64 MB instead of 4 MB: bulk imports rewrite the same index pages
    # many times, and each checkpoint copies them into the main file.
    cursor.execute("PRAGMA wal_autocheckpoint=16384")
    # 64 MB of page cache (default 2 MB): the id and title indexes are probed at random on ingest.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


_INSERT_COLUMNS = (*ROW_COLUMNS, "ingested_at")
_SQLITE_INSERT = "INSERT INTO papers ({}) VALUES ({})".format(
    ", ".join(_INSERT_COLUMNS), ", ".join("?" * len(_INSERT_COLUMNS))
)
_PG_COPY = "COPY papers ({}) FROM STDIN".format(", ".join(_INSERT_COLUMNS))
_PUBLISHED, _UPDATED, _FEATURED = (ROW_COLUMNS.index(c) for c in ("published", "updated", "featured_date"))


def _sqlite_values(paper: Paper, now: str) -> tuple[Any, ...]:
    """A row for the SQLite driver: dates in the text forms SQLAlchemy's SQLite types read back."""
    values = list(paper_values(paper, now))
    for i in (_PUBLISHED, _UPDATED):
        if values[i] is not None:
            values[i] = values[i].isoformat(" ", "microseconds")
    if values[_FEATURED] is not None:
        values[_FEATURED] = values[_FEATURED].isoformat()
    values.append(now)  # ingested_at
    return tuple(values)


def _copy_new_papers(conn: sa.Connection, new: Sequence[Paper]) -> None:
    """PostgreSQL: COPY the rows in, on the same connection and transaction. The INSERT through
    SQLAlchemy spent most of its time building and converting statements (bench/ingest.py
    --postgres). A duplicate id raises SQLAlchemy's IntegrityError, as the INSERT did."""
    now = utc_now()
    driver = conn.dialect.loaded_dbapi
    try:
        with conn.connection.dbapi_connection.cursor() as cursor, cursor.copy(_PG_COPY) as copy:  # type: ignore[union-attr]
            for paper in new:
                copy.write_row((*paper_values(paper, now), now))
    except driver.IntegrityError as exc:
        raise sa.exc.IntegrityError(_PG_COPY, None, exc) from exc


def _category_clause(categories: Sequence[str]) -> sa.ColumnElement[bool]:
    clauses = []
    for cat in categories:
        # The column is a JSON list of ids: cat:cs.LG is exact; cat:cs means cs itself or any cs.*.
        quoted = cat.replace("\\", "").replace('"', "").replace("%", "").replace("_", "\\_")
        exact = papers.c.categories.like(f'%"{quoted}"%', escape="\\")
        clauses.append(exact if "." in cat else sa.or_(exact, papers.c.categories.like(f'%"{quoted}.%', escape="\\")))
    return sa.and_(*clauses)


_SORT_ORDER = {
    "newest": (papers.c.published.is_(None), papers.c.published.desc()),
    "upvotes": ((sa.func.coalesce(papers.c.upvotes, 0) + papers.c.member_votes).desc(),),
}


def _filter_clause(filters: Filters) -> sa.ColumnElement[bool]:
    c = papers.c
    clauses: list[sa.ColumnElement[bool]] = []
    if filters.since:
        clauses.append(c.published >= datetime.combine(filters.since, datetime.min.time()))
    if filters.until:
        clauses.append(c.published < datetime.combine(filters.until + timedelta(days=1), datetime.min.time()))
    if filters.has_code:
        clauses.append(c.code_url.is_not(None))
    if filters.min_upvotes:
        clauses.append(sa.func.coalesce(c.upvotes, 0) + c.member_votes >= filters.min_upvotes)
    return sa.and_(sa.true(), *clauses)


# Papers and votes move `catalogue`, `papertide index` moves `vectors` (search results): both only grow.
_CATALOGUE_VERSION = sa.select(sa.func.sum(counters.c.value)).where(counters.c.name.in_(("catalogue", "vectors")))


def _missing_browse_indexes(conn: sa.Connection) -> list[str]:
    """Browsing indexes a bulk load dropped and has not rebuilt yet."""
    existing = {i["name"] for i in sa.inspect(conn).get_indexes("papers")}
    return [str(i.name) for i in BROWSE_INDEXES if i.name not in existing]


def _lookup(key: sa.Column[Any], *columns: sa.Column[Any]) -> sa.Select[Any]:
    """SELECT columns WHERE key IN (:keys), built once: search maps up to 200 keys per query, and
    building the IN clause anew each time cost three times the lookup itself."""
    return sa.select(*columns).where(key.in_(sa.bindparam("keys", expanding=True)))


_IDS_FOR_PKS = _lookup(papers.c.pk, papers.c.pk, papers.c.id)
_PKS_FOR_IDS = _lookup(papers.c.id, papers.c.id, papers.c.pk)
_PAPERS_BY_ID = _lookup(papers.c.id, *(papers.c[name] for name in PAPER_COLUMNS))
_PAPERS_BY_PK = _lookup(papers.c.pk, papers.c.pk, *(papers.c[name] for name in PAPER_COLUMNS))
_PAPERS_BY_ID_WITH_PK = _lookup(papers.c.id, papers.c.pk, *(papers.c[name] for name in PAPER_COLUMNS))

_KEYWORD_MARKS = sa.select(
    sa.select(sa.func.coalesce(sa.func.max(papers.c.pk), 0)).scalar_subquery(),
    sa.select(sa.func.coalesce(sa.func.max(keyword_changes.c.seq), 0)).scalar_subquery(),
)
_KEYWORD_LOG_PRUNED = pruned_through("keyword_log_pruned")
_KEYWORD_BATCH = 5000  # papers read per query while the keyword index catches up
_KEYWORD_COLUMNS = (
    papers.c.pk,
    papers.c.title,
    papers.c.abstract,
    papers.c.author_names,
    papers.c.categories,
    papers.c.published,
    papers.c.code_url.is_not(None),
)


def _keyword_doc(row: sa.Row[Any]) -> Doc:
    pk, title, abstract, authors, categories, published, has_code = tuple(row)
    return Doc(pk, title, abstract or "", authors or "", categories_of(categories), published, bool(has_code))


class _KeywordSnapshot:
    """The papers and the keyword log as of one read transaction (see KeywordSnapshot)."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.target = Marks(*conn.execute(_KEYWORD_MARKS).one())
        self.pruned = int(conn.execute(_KEYWORD_LOG_PRUNED).scalar_one())

    def docs(self, after_pk: int, until_pk: int | None = None) -> Iterator[Doc]:
        last = after_pk
        until = self.target.max_pk if until_pk is None else until_pk
        while True:
            stmt = (
                sa.select(*_KEYWORD_COLUMNS)
                .where(papers.c.pk > last, papers.c.pk <= until)
                .order_by(papers.c.pk)
                .limit(_KEYWORD_BATCH)
            )
            rows = self.conn.execute(stmt).all()
            if not rows:
                return
            last = rows[-1][0]
            yield from (_keyword_doc(r) for r in rows)

    def changed_since(self, seq: int) -> list[int]:
        stmt = (
            sa.select(keyword_changes.c.pk)
            .where(keyword_changes.c.seq > seq, keyword_changes.c.seq <= self.target.seq)
            .distinct()
        )
        return [r[0] for r in self.conn.execute(stmt)]

    def docs_of(self, pks: Sequence[int]) -> Iterator[Doc]:
        wanted = list(pks)
        for i in range(0, len(wanted), _CHUNK):
            chunk = wanted[i : i + _CHUNK]
            rows = self.conn.execute(sa.select(*_KEYWORD_COLUMNS).where(papers.c.pk.in_(chunk)))
            yield from (_keyword_doc(r) for r in rows)


class SqlStore(SqlEmbeddings):
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = sa.create_engine(url)
        self.dialect = self.engine.dialect.name
        self.community = SqlCommunity(self.engine)
        self.digests = SqlDigests(self.engine)
        self.import_log = SqlImportLog(self.engine)
        self.api_tokens = SqlApiTokens(self.engine)
        self.personal = SqlPersonal(self.engine)
        self.discussions = SqlDiscussions(self.engine)
        self.moderation = SqlModeration(self.engine)
        self.github = SqlGithub(self.engine)
        if self.dialect == "sqlite":
            database = self.engine.url.database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)

    # --- schema -----------------------------------------------------------------------------------
    def _alembic_config(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        return config

    def migrate(self, revision: str = "head") -> None:
        """Create the schema, or upgrade an older database in place to `revision`."""
        config = self._alembic_config()
        with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                # Rebuilding a table (Alembic's batch mode: copy, drop, rename) with foreign keys on
                # would cascade the drop into every row that refers to it. SQLite's own procedure:
                # keys off outside the transaction, rebuild, check, keys on again.
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                conn.commit()
            try:
                with conn.begin():
                    config.attributes["connection"] = conn
                    command.upgrade(config, revision)
                    if self.dialect == "sqlite" and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                        raise RuntimeError("a migration left rows whose foreign keys point nowhere")
            finally:
                if self.dialect == "sqlite":
                    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                    conn.commit()

    def schema_revision(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def head_revision(self) -> str | None:
        return ScriptDirectory.from_config(self._alembic_config()).get_current_head()

    # --- reading ----------------------------------------------------------------------------------
    def _select(self) -> sa.Select[Any]:
        return sa.select(*(papers.c[name] for name in PAPER_COLUMNS))

    def get_many(self, ids: Iterable[str]) -> dict[str, Paper]:
        return self._papers(_PAPERS_BY_ID, "id", list(ids))

    def papers_by_pk(self, pks: Iterable[int]) -> dict[int, Paper]:
        return self._papers(_PAPERS_BY_PK, "pk", [int(p) for p in pks])

    def _papers(self, lookup: sa.Select[Any], key: str, wanted: list[Any]) -> dict[Any, Paper]:
        wanted = list(dict.fromkeys(wanted))
        found: dict[Any, Paper] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), _CHUNK):
                for row in conn.execute(lookup, {"keys": wanted[i : i + _CHUNK]}).mappings():
                    found[row[key]] = row_to_paper(row)
        return found

    def get(self, paper_id: str) -> Paper | None:
        return self.get_many([paper_id]).get(paper_id)

    def find_by_title_keys(self, keys: Iterable[str]) -> dict[str, list[Paper]]:
        wanted = set(keys)
        hashes = list({title_hash(k) for k in wanted})
        found: dict[str, list[Paper]] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(hashes), _CHUNK):
                stmt = (
                    self._select()
                    .add_columns(papers.c.title_key)
                    .where(papers.c.title_hash.in_(hashes[i : i + _CHUNK]))
                    .order_by(papers.c.pk)
                )
                for row in conn.execute(stmt).mappings():
                    if row["title_key"] in wanted:  # not a hash collision
                        found.setdefault(row["title_key"], []).append(row_to_paper(row))
        return found

    def featured_between(self, start: date, end: date, limit: int = 1000) -> list[Paper]:
        """Papers featured on days in [start, end), most upvoted first."""
        c = papers.c
        stmt = (
            self._select()
            .where(c.featured_date >= start, c.featured_date < end)
            .order_by((sa.func.coalesce(c.upvotes, 0) + c.member_votes).desc(), c.featured_date.desc(), c.pk)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [row_to_paper(r) for r in conn.execute(stmt).mappings()]

    def docs_ingested_between(self, start: datetime, end: datetime, limit: int = 100_000) -> list[Doc]:
        """The searchable fields of the papers first ingested in [start, end), oldest first."""
        stmt = (
            sa.select(*_KEYWORD_COLUMNS)
            .where(papers.c.ingested_at >= start, papers.c.ingested_at < end)
            .order_by(papers.c.pk)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_keyword_doc(r) for r in conn.execute(stmt)]

    def papers_needing_keywords(self, after_pk: int = 0, limit: int = 1000) -> list[tuple[int, str, str, datetime]]:
        """(pk, title, abstract, changed_at) of papers after `after_pk` whose key phrases are missing
        or were made for an earlier version of the paper (`keywords_at` holds the `changed_at` they
        were made for)."""
        c = papers.c
        stmt = (
            sa.select(c.pk, c.title, c.abstract, c.changed_at)
            .where(c.pk > after_pk, sa.or_(c.keywords_at.is_(None), c.keywords_at != c.changed_at))
            .order_by(c.pk)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [(r.pk, r.title, r.abstract, r.changed_at) for r in conn.execute(stmt)]

    def save_keywords(self, rows: Sequence[tuple[int, Sequence[str], datetime]]) -> None:
        """Store key phrases with the version of the paper they were made for (not a change of the
        paper: `changed_at` and the change logs stay)."""
        if not rows:
            return
        stmt = (
            papers.update()
            .where(papers.c.pk == sa.bindparam("b_pk"))
            .values(keywords=sa.bindparam("b_keywords"), keywords_at=sa.bindparam("b_at"))
        )
        with self.engine.begin() as conn:
            values = [{"b_pk": pk, "b_keywords": orjson.dumps(list(k)).decode(), "b_at": at} for pk, k, at in rows]
            conn.execute(stmt, values)
            bump_catalogue_version(conn)

    def papers_of_organization(self, name: str, limit: int = 200) -> list[Paper]:
        """Papers whose organisation is exactly `name`, newest first (indexed)."""
        newest = sa.func.coalesce(papers.c.featured_date, sa.cast(papers.c.published, sa.Date))
        stmt = (
            self._select().where(papers.c.organization == name).order_by(newest.desc(), papers.c.pk.desc()).limit(limit)
        )
        with self.engine.connect() as conn:
            return [row_to_paper(r) for r in conn.execute(stmt).mappings()]

    def featured_days_around(self, day: date) -> tuple[date | None, date | None, date | None]:
        """(the latest featured day before `day`, the earliest after it, the latest of all)."""
        c = papers.c
        with self.engine.connect() as conn:
            before, after, latest = conn.execute(
                sa.select(
                    sa.select(sa.func.max(c.featured_date)).where(c.featured_date < day).scalar_subquery(),
                    sa.select(sa.func.min(c.featured_date)).where(c.featured_date > day).scalar_subquery(),
                    sa.select(sa.func.max(c.featured_date)).scalar_subquery(),
                )
            ).one()
        return before, after, latest

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(papers)).scalar_one())

    def iter_papers(self, batch_size: int = 1000) -> Iterator[Paper]:
        last = 0
        while True:
            with self.engine.connect() as conn:
                stmt = (
                    self._select()
                    .add_columns(papers.c.pk)
                    .where(papers.c.pk > last)
                    .order_by(papers.c.pk)
                    .limit(batch_size)
                )
                rows = list(conn.execute(stmt).mappings())
            if not rows:
                return
            last = rows[-1]["pk"]
            yield from (row_to_paper(r) for r in rows)

    def papers_after(self, pk: int, limit: int) -> list[tuple[int, Paper]]:
        stmt = self._select().add_columns(papers.c.pk).where(papers.c.pk > pk).order_by(papers.c.pk).limit(limit)
        with self.engine.connect() as conn:
            return [(row["pk"], row_to_paper(row)) for row in conn.execute(stmt).mappings()]

    def stats(self) -> dict[str, object]:
        c = papers.c
        local = c.id.like(LOCAL_PREFIX + "%")
        with self.engine.connect() as conn:
            totals = conn.execute(
                sa.select(
                    sa.func.count(),
                    sa.func.count().filter(sa.not_(local)),
                    sa.func.count(c.featured_date),
                    sa.func.count(c.code_url),
                    sa.func.coalesce(sa.func.sum(c.upvotes), 0),
                    sa.func.min(c.published),
                    sa.func.max(c.published),
                    sa.func.max(c.featured_date),
                )
            ).one()
            by_source = conn.execute(sa.select(c.source, sa.func.count()).group_by(c.source)).all()
            top_categories = conn.execute(
                sa.select(c.primary_category, sa.func.count().label("n"))
                .where(c.primary_category.is_not(None))
                .group_by(c.primary_category)
                .order_by(sa.desc("n"), c.primary_category)
                .limit(10)
            ).all()
        return {
            "papers": totals[0],
            "arxiv": totals[1],
            "title_only": totals[0] - totals[1],
            "featured": totals[2],
            "with_code": totals[3],
            "upvotes": int(totals[4]),
            "published_from": totals[5].date().isoformat() if totals[5] else None,
            "published_until": totals[6].date().isoformat() if totals[6] else None,
            "latest_featured": totals[7].isoformat() if totals[7] else None,
            "by_source": {source or "?": n for source, n in sorted(by_source)},
            "top_categories": {cat: n for cat, n in top_categories},
            "schema": self.schema_revision(),
        }

    # --- writing ----------------------------------------------------------------------------------
    def apply(self, changes: Sequence[Change], run: int | None = None) -> None:
        updates = [{**paper_to_row(p), "old_id": old} for old, p in changes if old is not None]
        new = [p for old, p in changes if old is None]
        with self.engine.begin() as conn:
            # Before any row lock: the triggers take this lock too (migration 0009), and a writer
            # holding a row while waiting for the lock could deadlock with one holding the lock.
            take_order_lock(conn, self.dialect)
            bump_catalogue_version(conn)
            if run is not None and updates:  # what each paper was, before this run changed it
                record_changes(conn, run, self._papers_in(conn, [u["old_id"] for u in updates]), previous=True)
            if updates:
                values: dict[str, Any] = {k: sa.bindparam(k) for k in updates[0] if k != "old_id"}
                stmt = papers.update().where(papers.c.id == sa.bindparam("old_id")).values(values)
                conn.execute(stmt, updates)
            if new and self.dialect == "sqlite":
                # Straight to the driver: SQLAlchemy's per-row parameter processing cost a third of
                # bulk-import time. Values are written in the text forms SQLAlchemy reads back.
                now = utc_now().isoformat(" ", "microseconds")
                conn.exec_driver_sql(_SQLITE_INSERT, [_sqlite_values(p, now) for p in new])
            elif new and self.dialect == "postgresql":
                _copy_new_papers(conn, new)
            elif new:
                now_dt = utc_now()
                conn.execute(papers.insert(), [{**paper_to_row(p), "ingested_at": now_dt} for p in new])
            if run is not None and new:
                added = conn.execute(_PKS_FOR_IDS, {"keys": [p.id for p in new]}).all()
                record_changes(conn, run, {pk: None for _, pk in added}, previous=False)

    def _papers_in(self, conn: sa.Connection, ids: list[str]) -> dict[int, Paper]:
        found: dict[int, Paper] = {}
        for i in range(0, len(ids), _CHUNK):
            for row in conn.execute(_PAPERS_BY_ID_WITH_PK, {"keys": ids[i : i + _CHUNK]}).mappings():
                found[row["pk"]] = row_to_paper(row)
        return found

    def restore(self, pk: int, paper: Paper) -> None:
        """Rewrite paper `pk` as `paper` (undoing an import run's change; its id may differ)."""
        with self.engine.begin() as conn:
            take_order_lock(conn, self.dialect)
            bump_catalogue_version(conn)
            conn.execute(papers.update().where(papers.c.pk == pk).values(paper_to_row(paper)))

    def remove(self, pks: Sequence[int]) -> int:
        wanted = [int(pk) for pk in pks]
        removed = 0
        with self.engine.begin() as conn:
            take_order_lock(conn, self.dialect)
            bump_catalogue_version(conn)
            for i in range(0, len(wanted), _CHUNK):
                removed += conn.execute(papers.delete().where(papers.c.pk.in_(wanted[i : i + _CHUNK]))).rowcount
        return removed

    def changed_after(self, pks: Sequence[int], moment: datetime) -> set[int]:
        """Those among `pks` whose record was written after `moment`."""
        wanted = [int(pk) for pk in pks]
        found: set[int] = set()
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), _CHUNK):
                stmt = sa.select(papers.c.pk).where(
                    papers.c.pk.in_(wanted[i : i + _CHUNK]), papers.c.changed_at > moment
                )
                found.update(r[0] for r in conn.execute(stmt))
        return found

    # --- what search and browsing ask of the database ---------------------------------------------
    def category_listing(
        self, categories: Sequence[str], filters: Filters, sort: str, limit: int, offset: int = 0
    ) -> list[int]:
        where = sa.and_(_category_clause(categories), _filter_clause(filters))
        order = (*_SORT_ORDER.get(sort, _SORT_ORDER["newest"]), papers.c.pk.desc())
        stmt = sa.select(papers.c.pk).where(where).order_by(*order).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return list(conn.execute(stmt).scalars())

    def votes_passing(self, pks: Sequence[int], filters: Filters) -> dict[int, int]:
        votes = sa.func.coalesce(papers.c.upvotes, 0) + papers.c.member_votes
        wanted = [int(pk) for pk in pks]
        found: dict[int, int] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), _CHUNK):
                stmt = sa.select(papers.c.pk, votes).where(
                    papers.c.pk.in_(wanted[i : i + _CHUNK]), _filter_clause(filters)
                )
                found.update((pk, int(n)) for pk, n in conn.execute(stmt))
        return found

    # --- the keyword index's feed -----------------------------------------------------------------
    def keyword_marks(self) -> Marks:
        with self.engine.connect() as conn:
            max_pk, seq = conn.execute(_KEYWORD_MARKS).one()
        return Marks(int(max_pk), int(seq))

    @contextlib.contextmanager
    def keyword_snapshot(self) -> Iterator[_KeywordSnapshot]:
        with self._snapshot() as conn:
            yield _KeywordSnapshot(conn)

    def prune_keyword_log(self, keep: int) -> None:
        prune(self.engine, keyword_changes, "keyword_log_pruned", self.keyword_marks().seq - keep)

    # --- versions and id maps ---------------------------------------------------------------------
    def catalogue_version(self) -> int:
        """A number that moves whenever papers, votes or vectors change (see bump_catalogue_version)."""
        with self.engine.connect() as conn:
            return int(conn.execute(_CATALOGUE_VERSION).scalar_one())

    def ids_for_pks(self, pks: Iterable[int]) -> dict[int, str]:
        return self._pairs(_IDS_FOR_PKS, [int(p) for p in pks])

    def pks_for_ids(self, ids: Iterable[str]) -> dict[str, int]:
        return self._pairs(_PKS_FOR_IDS, list(ids))

    def _pairs(self, lookup: sa.Select[Any], wanted: list[Any]) -> dict[Any, Any]:
        """{key: value} from a `_lookup` statement for the keys in `wanted`, in chunks."""
        wanted = list(dict.fromkeys(wanted))
        found: dict[Any, Any] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), _CHUNK):
                found.update((k, v) for k, v in conn.execute(lookup, {"keys": wanted[i : i + _CHUNK]}))
        return found

    # --- bulk loads -------------------------------------------------------------------------------
    def start_bulk_load(self) -> None:
        """Make a large import into an empty catalogue cheaper: drop the browsing indexes, to be
        rebuilt by sorting once instead of growing by random inserts. Until `finish_bulk_load`
        browsing is slow; a process killed in between leaves a consistent database that
        `finish_bulk_load` completes (`bulk_load_unfinished` says when it is needed)."""
        with self.engine.begin() as conn:
            for index in BROWSE_INDEXES:
                index.drop(conn, checkfirst=True)

    def finish_bulk_load(self) -> None:
        """Build the browsing indexes a bulk load dropped; does nothing when none is missing."""
        if not self.bulk_load_unfinished():
            return
        with self.engine.begin() as conn:
            for index in BROWSE_INDEXES:
                index.create(conn, checkfirst=True)

    def bulk_load_unfinished(self) -> bool:
        with self.engine.connect() as conn:
            return bool(_missing_browse_indexes(conn))

    # --- upkeep -----------------------------------------------------------------------------------
    def check(self) -> list[str]:
        problems: list[str] = []
        if self.dialect == "sqlite":
            with self.engine.connect() as conn:
                result = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
                if result != ["ok"]:
                    problems.extend(f"integrity: {r}" for r in result)
        with self.engine.connect() as conn:
            missing = _missing_browse_indexes(conn)
        if missing:
            problems.append(
                f"an interrupted bulk import left {', '.join(f'index {name}' for name in missing)} unbuilt "
                "(the next import, or `papertide check --repair`, builds them)"
            )
        if self.schema_revision() != self.head_revision():
            problems.append(f"schema at {self.schema_revision()}, code expects {self.head_revision()}")
        return problems

    def close(self) -> None:
        self.engine.dispose()
