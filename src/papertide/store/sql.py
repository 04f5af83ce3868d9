"""The SQL store: SQLite (default, one WAL-mode file) through SQLAlchemy Core, migrated by Alembic."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from ..ids import LOCAL_PREFIX, title_hash
from ..index.keywords import Doc, KeywordIndex, Marks
from ..model import Paper
from ..query import Filters, Query
from . import Change
from .changelog import prune, pruned_through, take_order_lock
from .community import SqlCommunity, bump_catalogue_version
from .digests import SqlDigests
from .embeddings import SqlEmbeddings
from .rows import PAPER_COLUMNS, ROW_COLUMNS, paper_to_row, paper_values, row_to_paper, utc_now
from .schema import counters, keyword_changes, papers

MIGRATIONS = Path(__file__).with_name("migrations")
_CHUNK = 500  # ids per IN (...) lookup: under SQLite's bound-parameter limit with room to spare
_KEYWORD_BATCH = 5000  # papers read per query while the keyword index catches up
# How deep keyword search looks when upvotes filter or order the matches: upvotes move with every
# vote, so they live in the database, not in the keyword index.
UPVOTE_DEPTH = 1000
# Indexes only browsing and filtering use: a bulk load into an empty catalogue builds them at the end
# (the id and title-hash indexes stay: every batch looks papers up by them).
_BROWSE_INDEX_NAMES = ("ix_papers_featured_date", "ix_papers_primary_category", "ix_papers_published")
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
    padded = sa.literal(" ") + papers.c.categories + sa.literal(" ")
    clauses = []
    for cat in categories:
        # cat:cs.LG is exact; cat:cs means any cs.* category.
        pattern = f"% {cat} %" if "." in cat else f"% {cat}.%"
        clauses.append(sa.or_(padded.like(pattern), papers.c.categories == cat))
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

_KEYWORD_MARKS = sa.select(
    sa.select(sa.func.coalesce(sa.func.max(papers.c.pk), 0)).scalar_subquery(),
    sa.select(sa.func.coalesce(sa.func.max(keyword_changes.c.seq), 0)).scalar_subquery(),
)
# How far `keyword_changes` has been pruned (0: never). Entries are kept for the last
# KEYWORD_LOG_KEEP changes: enough for any index that syncs now and then (another host's, on
# PostgreSQL) to catch up from the log; one that falls further behind rebuilds.
_KEYWORD_LOG_PRUNED = pruned_through("keyword_log_pruned")
KEYWORD_LOG_KEEP = 100_000
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
    return Doc(pk, title, abstract or "", authors or "", tuple((categories or "").split()), published, bool(has_code))


def _default_keyword_dir(engine: sa.Engine) -> Path | None:
    """`<database file>-keywords` beside an SQLite file (as its -wal is); None: in memory."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        return Path(database).with_name(Path(database).name + "-keywords")
    return None


class SqlStore(SqlEmbeddings):
    def __init__(self, url: str, keyword_dir: Path | None = None) -> None:
        self.url = url
        self.engine = sa.create_engine(url)
        self.dialect = self.engine.dialect.name
        self.keywords = KeywordIndex(keyword_dir or _default_keyword_dir(self.engine))
        self.community = SqlCommunity(self.engine)
        self.digests = SqlDigests(self.engine)
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
        with self.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)

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
    def apply(self, changes: Sequence[Change]) -> None:
        updates = [{**paper_to_row(p), "old_id": old} for old, p in changes if old is not None]
        new = [p for old, p in changes if old is None]
        with self.engine.begin() as conn:
            # Before any row lock: the triggers take this lock too (migration 0009), and a writer
            # holding a row while waiting for the lock could deadlock with one holding the lock.
            take_order_lock(conn, self.dialect)
            bump_catalogue_version(conn)
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

    # --- keyword search ---------------------------------------------------------------------------
    def keyword_search(
        self, query: Query, limit: int, offset: int = 0, filters: Filters | None = None, sort: str = "relevance"
    ) -> tuple[list[str], list[float]]:
        pks, scores = self.keyword_pks(query, limit, offset, filters, sort)
        id_of = self.ids_for_pks(pks)
        found = [(id_of[pk], score) for pk, score in zip(pks, scores, strict=True) if pk in id_of]
        return [i for i, _ in found], [score for _, score in found]

    def keyword_pks(
        self, query: Query, limit: int, offset: int = 0, filters: Filters | None = None, sort: str = "relevance"
    ) -> tuple[list[int], list[float]]:
        if query.is_empty or limit <= 0:
            return [], []
        filters = filters or Filters()
        if not (query.terms or query.phrases or query.authors):  # only categories: list them, newest first
            where = sa.and_(_category_clause(query.categories), _filter_clause(filters))
            order = (*_SORT_ORDER.get(sort, _SORT_ORDER["newest"]), papers.c.pk.desc())
            stmt = sa.select(papers.c.pk).where(where).order_by(*order).limit(limit).offset(offset)
            with self.engine.connect() as conn:
                found = list(conn.execute(stmt).scalars())
            return found, [0.0] * len(found)
        self.sync_keyword_index(wait=False)
        if not (sort == "upvotes" or filters.min_upvotes):
            return self.keywords.search(query, limit, offset, filters, newest=sort == "newest")
        # Upvotes: the best UPVOTE_DEPTH matches, filtered (and ordered) by the database.
        pks, scores = self.keywords.search(query, UPVOTE_DEPTH, 0, filters)
        score_of = dict(zip(pks, scores, strict=True))
        votes = sa.func.coalesce(papers.c.upvotes, 0) + papers.c.member_votes
        stmt = sa.select(papers.c.pk, votes).where(papers.c.pk.in_(pks), _filter_clause(filters))
        with self.engine.connect() as conn:
            rows = list(conn.execute(stmt))
        by_votes = sort == "upvotes"
        rows.sort(key=lambda r: (-r[1] if by_votes else 0, -score_of[r[0]], r[0]))
        page = [r[0] for r in rows[offset : offset + limit]]
        return page, [score_of[pk] for pk in page]

    def keyword_marks(self) -> Marks:
        """How far the database has come: its highest paper pk and last keyword change."""
        with self.engine.connect() as conn:
            max_pk, seq = conn.execute(_KEYWORD_MARKS).one()
        return Marks(int(max_pk), int(seq))

    def sync_keyword_index(
        self, *, wait: bool = True, rebuild: bool = False, on_progress: Callable[[int], None] | None = None
    ) -> int:
        """Bring the keyword index up to the database (or rebuild it) and return how many papers were
        (re)indexed. Without `wait`, a process that finds another one writing the index returns
        at once and searches what is committed."""
        # The hot path of every keyword search: one marks row from the database, one small file read.
        if not rebuild and self.keywords.refresh() == self.keyword_marks():
            return 0
        with self.keywords.writing(wait) as mine:
            if not mine:
                self.keywords.refresh()
                return 0
            with self._snapshot() as conn:  # the rows as of `target`
                target = Marks(*conn.execute(_KEYWORD_MARKS).one())
                have = self.keywords.marks()
                if not rebuild and have == target:
                    self.keywords.refresh()
                    return 0
                pruned = int(conn.execute(_KEYWORD_LOG_PRUNED).scalar_one())
                if (
                    rebuild
                    or have is None
                    or not (pruned <= have.seq <= target.seq)
                    or not self.keywords.writer_in_step()
                ):
                    # (also when the log was pruned past this index's mark: another host's index, long idle)
                    added = self.keywords.rebuild(_counting(self._keyword_docs(conn, 0), on_progress), target)
                else:
                    changed = [
                        r[0]
                        for r in conn.execute(
                            sa.select(keyword_changes.c.pk)
                            .where(keyword_changes.c.seq > have.seq, keyword_changes.c.seq <= target.seq)
                            .distinct()
                        )
                    ]
                    docs = itertools.chain(
                        self._keyword_docs(conn, have.max_pk, target.max_pk),
                        (_keyword_doc(r) for r in self._keyword_rows(conn, changed) if r[0] <= have.max_pk),
                    )
                    added = self.keywords.update(_counting(docs, on_progress), changed, target)
            if target.seq - KEYWORD_LOG_KEEP > pruned:
                self._prune_keyword_log(target.seq - KEYWORD_LOG_KEEP)
            return added

    def _prune_keyword_log(self, through: int) -> None:
        prune(self.engine, keyword_changes, "keyword_log_pruned", through)

    def _keyword_docs(self, conn: sa.Connection, after_pk: int, until_pk: int | None = None) -> Iterator[Doc]:
        """Papers with pk in (after_pk, until_pk], in pk order, read a batch at a time."""
        last = after_pk
        while True:
            stmt = sa.select(*_KEYWORD_COLUMNS).where(papers.c.pk > last).order_by(papers.c.pk).limit(_KEYWORD_BATCH)
            if until_pk is not None:
                stmt = stmt.where(papers.c.pk <= until_pk)
            rows = conn.execute(stmt).all()
            if not rows:
                return
            last = rows[-1][0]
            yield from (_keyword_doc(r) for r in rows)

    def _keyword_rows(self, conn: sa.Connection, pks: list[int]) -> Iterator[sa.Row[Any]]:
        for i in range(0, len(pks), _CHUNK):
            yield from conn.execute(sa.select(*_KEYWORD_COLUMNS).where(papers.c.pk.in_(pks[i : i + _CHUNK])))

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
        problems.extend(self._keyword_index_problems())
        if self.schema_revision() != self.head_revision():
            problems.append(f"schema at {self.schema_revision()}, code expects {self.head_revision()}")
        return problems

    def _keyword_index_problems(self) -> list[str]:
        """What is wrong with the keyword index. Lagging behind the database is not wrong: the next
        keyword search (or import) catches up. Holding other papers than its marks say is."""
        have, target = self.keywords.marks(), self.keyword_marks()
        repair = "(`papertide check --repair` rebuilds it)"
        if have is not None and have.seq > target.seq:
            return [
                f"the keyword index has seen changes the database has not (#{have.seq} > #{target.seq}): "
                f"was the database restored from a backup? {repair}"
            ]
        if have != target:
            return []
        self.keywords.refresh()
        held, papers_now = self.keywords.count(), self.count()
        if held != papers_now:
            return [f"the keyword index holds {held} papers, the catalogue {papers_now} {repair}"]
        return []

    def close(self) -> None:
        self.engine.dispose()


def _counting(docs: Iterable[Doc], on_progress: Callable[[int], None] | None) -> Iterator[Doc]:
    """`docs`, calling `on_progress(n)` every 1,000 papers and at the end."""
    n = 0
    for n, doc in enumerate(docs, 1):
        if on_progress and n % 1000 == 0:
            on_progress(n)
        yield doc
    if on_progress:
        on_progress(n)
