"""The keyword index (papertide/index/keywords.py): tantivy beside the database, kept in step by
writers from the database's change log; searches read what is committed and never write."""

from __future__ import annotations

import fcntl
import json
import threading
import time
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import tantivy

import pgserver
from papertide.index import keyword_dir
from papertide.index import keywords as keywords_module
from papertide.index.keywords import MARKS_FILE, KeywordIndex, category_terms, query_string
from papertide.model import Paper
from papertide.query import Filters, parse_query
from papertide.search.retrieval import keyword_pks
from papertide.store import Change, Marks
from papertide.store.rows import paper_to_row
from papertide.store.schema import counters, keyword_changes, papers
from papertide.store.sql import SqlStore

ON_BOTH_BACKENDS = True  # every test that uses `store` runs on SQLite and PostgreSQL (conftest)


def paper(pid: str, title: str, abstract: str = "", **kw: object) -> Paper:
    return Paper(id=pid, title=title, abstract=abstract, **kw)  # type: ignore[arg-type]


def found(store: SqlStore, index: KeywordIndex, text: str, **kw: object) -> list[str]:
    """The ids a keyword search finds, as search reads the index (without catching it up)."""
    pks, _ = keyword_pks(store, index, parse_query(text), 10, **kw)  # type: ignore[arg-type]
    id_of = store.ids_for_pks(pks)
    return [id_of[pk] for pk in pks]


@pytest.fixture
def kw(store: SqlStore, tmp_path: Path) -> KeywordIndex:
    """The store's keyword index where the library keeps it (beside an SQLite file, else in the data dir)."""
    return KeywordIndex(keyword_dir(store.url, tmp_path))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("score matching", '+("score" "matching") "score matching"~8'),  # near each other counts extra
        ('"score matching" -diffusion', '+("score matching") -"diffusion"'),
        ("author:Song graphs", '+("graphs") +authors:"song"'),
        ("one two three four five", '+("one" "two" "three" "four" "five")'),  # long: no proximity clause
        ('title:x AND "y OR *', '+("title" "x" "y or")'),  # operators are words; an open quote runs to the end
        ("cat:cs.LG", None),  # categories are clauses of their own, not words
        ("-diffusion", None),
    ],
)
def test_query_string(text: str, expected: str | None) -> None:
    assert query_string(parse_query(text)) == expected


def test_category_terms() -> None:
    assert category_terms(["cs.LG", "stat.ML", "cs.CL", "hep-th", ""]) == [
        "cs",
        "cs.cl",
        "cs.lg",
        "hep-th",
        "stat",
        "stat.ml",
    ]


def test_the_index_lives_beside_the_database_and_survives_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'papertide.sqlite3'}"
    store = SqlStore(url)
    store.migrate()
    store.apply([(None, paper("p1", "Score matching")), (None, paper("p2", "Flow matching"))])
    assert KeywordIndex(keyword_dir(url, tmp_path)).catch_up(store) == 2
    assert json.loads((tmp_path / "papertide.sqlite3-keywords" / MARKS_FILE).read_text())["max_pk"] == 2
    again = KeywordIndex(keyword_dir(url, tmp_path))  # another process, later
    assert again.catch_up(store) == 0  # nothing to do: the marks match the database
    assert found(store, again, "flow") == ["p2"]
    store.close()


def test_writers_catch_up_with_new_changed_and_deleted_papers_and_searches_only_read(
    store: SqlStore, kw: KeywordIndex
) -> None:
    store.apply([(None, paper("p1", "Score matching")), (None, paper("p2", "Flow matching"))])
    kw.catch_up(store)
    assert found(store, kw, "matching") == ["p1", "p2"]
    store.apply([("p1", paper("p1", "Sliced score estimation")), (None, paper("p3", "Matching pursuit"))])
    assert found(store, kw, "matching") == ["p1", "p2"]  # a search answers from what is committed ...
    assert kw.marks() == Marks(max_pk=2, seq=0) and not kw.in_step(store)  # ... and writes nothing
    assert kw.catch_up(store) == 2  # p3 (new) and p1 (changed)
    assert found(store, kw, "matching") == ["p2", "p3"]
    assert found(store, kw, "sliced") == ["p1"]
    with store.engine.begin() as conn:  # an operator deletes a paper by hand: the log still sees it
        conn.exec_driver_sql("DELETE FROM papers WHERE id = 'p2'")
    kw.catch_up(store)
    assert found(store, kw, "matching") == ["p3"]
    assert kw.marks() == Marks(max_pk=3, seq=2) and kw.in_step(store)
    assert kw.problems(store) == []


def test_a_vote_does_not_touch_the_keyword_index(store: SqlStore, kw: KeywordIndex) -> None:
    store.apply([(None, paper("p1", "Score matching"))])
    kw.catch_up(store)
    unchanged = paper("p1", "Score matching", upvotes=40)
    store.apply([("p1", unchanged)])  # an update that leaves every searchable field as it was
    assert store.keyword_marks() == Marks(max_pk=1, seq=0) and kw.in_step(store)


@pytest.mark.sqlite_only  # PostgreSQL's sequences never hand a pk out twice
def test_a_reused_pk_is_indexed(store: SqlStore, kw: KeywordIndex) -> None:
    store.apply([(None, paper("p1", "Score matching")), (None, paper("p2", "Flow matching"))])
    kw.catch_up(store)
    with store.engine.begin() as conn:  # deleting the highest row lets SQLite hand its pk out again
        conn.exec_driver_sql("DELETE FROM papers WHERE id = 'p2'")
    kw.catch_up(store)
    store.apply([(None, paper("p3", "Matching pursuit"))])
    kw.catch_up(store)
    assert store.pks_for_ids(["p3"]) == {"p3": 2}
    assert found(store, kw, "matching") == ["p1", "p3"]


def test_a_crash_between_commit_and_marks_is_repaired_by_a_rebuild(store: SqlStore, kw: KeywordIndex) -> None:
    store.apply([(None, paper("p1", "Score matching"))])
    kw.catch_up(store)
    marks_file = kw.path / MARKS_FILE  # type: ignore[operator]
    before = marks_file.read_text()
    store.apply([(None, paper("p2", "Flow matching"))])
    kw.catch_up(store)
    marks_file.write_text(before)  # as if killed after tantivy's commit, before the marks were written
    assert kw.catch_up(store) == 2  # the marks do not describe the last commit: rebuilt, not added twice
    assert found(store, kw, "matching") == ["p1", "p2"]
    assert kw.problems(store) == []


def test_an_unreadable_index_is_rebuilt(store: SqlStore, kw: KeywordIndex) -> None:
    store.apply([(None, paper("p1", "Score matching"))])
    kw.catch_up(store)
    (kw.path / MARKS_FILE).write_text("{not json")  # type: ignore[operator]
    reopened = KeywordIndex(kw.path)
    assert found(store, reopened, "score") == []  # nothing usable to read ...
    assert reopened.catch_up(store) == 1  # ... until a writer rebuilds it
    assert found(store, reopened, "score") == ["p1"]


def test_problems_detect_an_index_out_of_step_and_a_rebuild_repairs_it(store: SqlStore, kw: KeywordIndex) -> None:
    store.apply([(None, paper("p1", "Score matching")), (None, paper("p2", "Flow matching"))])
    kw.catch_up(store)
    assert kw.problems(store) == []
    index = tantivy.Index.open(str(kw.path))  # remove p1 behind the store's back
    writer = index.writer(heap_size=15_000_000, num_threads=1)
    writer.delete_documents_by_term("pk", 1)
    writer.commit()
    del writer
    assert kw.problems(store) == [
        "the keyword index holds 1 papers, the catalogue 2 (`papertide check --repair` rebuilds it)"
    ]
    assert kw.rebuild(store) == 2
    assert kw.problems(store) == []
    assert found(store, kw, "matching") == ["p1", "p2"]


def test_an_index_ahead_of_a_restored_database_is_reported(store: SqlStore, kw: KeywordIndex) -> None:
    store.apply([(None, paper("p1", "Score matching"))])
    store.apply([("p1", paper("p1", "Sliced score matching"))])
    kw.catch_up(store)
    with store.engine.begin() as conn:  # a backup from before the change
        conn.exec_driver_sql("DELETE FROM keyword_changes")
        if store.dialect == "sqlite":
            conn.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = 'keyword_changes'")
    assert kw.problems(store) == [
        "the keyword index has seen changes the database has not (#1 > #0): was the database restored from a "
        "backup? (`papertide check --repair` rebuilds it)"
    ]
    kw.catch_up(store)  # a writer rebuilds it too
    assert found(store, kw, "sliced") == ["p1"]
    assert kw.problems(store) == []


def test_a_catch_up_without_waiting_leaves_it_to_another_process_writing_the_index(
    store: SqlStore, kw: KeywordIndex
) -> None:
    store.apply([(None, paper("p1", "Score matching"))])
    kw.catch_up(store)
    store.apply([(None, paper("p2", "Flow matching"))])
    lock_path = kw.path.with_name(kw.path.name + ".lock")  # type: ignore[union-attr]
    with open(lock_path, "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process is catching up
        assert kw.catch_up(store, wait=False) == 0  # the web server's background task does not wait
        assert found(store, kw, "matching") == ["p1"]  # what is committed, at once
    kw.catch_up(store)
    assert found(store, kw, "matching") == ["p1", "p2"]


def test_the_change_log_is_pruned_and_an_index_left_behind_rebuilds(
    store: SqlStore, kw: KeywordIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keywords_module, "KEYWORD_LOG_KEEP", 2)
    store.apply([(None, paper("p1", "Score matching")), (None, paper("p2", "Flow matching"))])
    other_host = KeywordIndex(tmp_path / "other-host-keywords")  # e.g. a second web server on PostgreSQL
    assert kw.catch_up(store) == other_host.catch_up(store) == 2
    for title in ("Sliced score matching", "Denoising score matching", "Score matching on graphs"):
        store.apply([("p1", paper("p1", title))])
        assert kw.catch_up(store) == 1  # caught up from the log: p1 only
    with store.engine.connect() as conn:
        log = conn.execute(sa.select(keyword_changes.c.seq).order_by(keyword_changes.c.seq)).scalars().all()
        pruned = conn.execute(sa.select(counters.c.value).where(counters.c.name == "keyword_log_pruned")).scalar()
    assert (log, pruned) == ([2, 3], 1)  # the last two changes are kept
    assert found(store, kw, "graphs") == ["p1"]
    assert other_host.catch_up(store) == 2  # its mark (0) is below the pruned log: rebuilt, both papers
    assert (found(store, other_host, "graphs"), found(store, other_host, "sliced")) == (["p1"], [])
    assert kw.problems(store) == [] and other_host.problems(store) == []


def _wait_for_a_writer_blocked_on_the_advisory_lock(store: SqlStore) -> bool:
    query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'"
    for _ in range(200):  # up to 10 s; a blocked writer shows up within milliseconds
        with store.engine.connect() as conn:
            if conn.exec_driver_sql(query).scalar_one():
                return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # a hand-written INSERT (the trigger takes the lock) holds pk 1 while the store adds p2
        ("INSERT", [(None, paper("p2", "Flow matching"))]),
        # an UPDATE of a title (the trigger takes the lock) holds a log seq while the store changes p2
        ("UPDATE", [("p2", paper("p2", "Rectified flow matching"))]),
    ],
)
def test_postgresql_writers_commit_pks_and_log_seqs_in_order(
    postgres_admin_url: str, tmp_path: Path, first: str, second: list[Change]
) -> None:
    """Without commit order, an index synced between the second writer's commit and the first's
    would mark past the first writer's pk or seq and never index that paper."""
    with pgserver.fresh_database(postgres_admin_url) as url:
        store = SqlStore(url)
        kw = KeywordIndex(tmp_path / "keywords")
        if first == "UPDATE":
            store.apply([(None, paper("p1", "Score matching")), (None, paper("p2", "Flow matching"))])
            kw.catch_up(store)
        slow = store.engine.connect()
        transaction = slow.begin()
        if first == "INSERT":
            row = paper_to_row(paper("p1", "Score matching"))
            slow.execute(papers.insert(), {**row, "ingested_at": row["changed_at"]})
        else:
            slow.execute(papers.update().where(papers.c.id == "p1").values(title="Sliced score matching"))
        writer = threading.Thread(target=store.apply, args=(second,))
        writer.start()
        assert _wait_for_a_writer_blocked_on_the_advisory_lock(store)
        kw.catch_up(store)  # sees neither: the second waits for the first to commit
        transaction.commit()
        slow.close()
        writer.join(timeout=30)
        kw.catch_up(store)
        assert found(store, kw, "matching") == ["p1", "p2"]
        assert found(store, kw, "sliced" if first == "UPDATE" else "score") == ["p1"]
        assert found(store, kw, "rectified") == (["p2"] if first == "UPDATE" else [])
        assert store.pks_for_ids(["p1", "p2"]) == {"p1": 1, "p2": 2}
        assert kw.problems(store) == []
        store.close()


def test_an_in_memory_database_keeps_its_index_in_memory(tmp_path: Path) -> None:
    store = SqlStore("sqlite://")
    store.migrate()
    store.apply([(None, paper("p1", "Score matching"))])
    assert keyword_dir("sqlite://", tmp_path) is None
    kw = KeywordIndex(None)
    kw.catch_up(store)
    assert found(store, kw, "score") == ["p1"]
    store.close()


@pytest.fixture
def dated(store: SqlStore, kw: KeywordIndex) -> SqlStore:
    store.apply(
        [
            (None, paper("old", "Graph networks", published=datetime(2019, 5, 1), categories=("cs.LG",), upvotes=50)),
            (None, paper("mid", "Graph networks for molecules", published=datetime(2022, 3, 1), code_url="https://c")),
            (None, paper("new", "Graph kernels", published=datetime(2025, 1, 9), categories=("stat.ML",), upvotes=7)),
            (None, paper("undated", "Graph theory")),
        ]
    )
    kw.catch_up(store)
    return store


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        ("graph", {"sort": "newest"}, ["new", "mid", "old", "undated"]),
        ("graph", {"filters": Filters(since=date(2020, 1, 1))}, ["new", "mid"]),
        ("graph", {"filters": Filters(until=date(2022, 3, 1)), "sort": "newest"}, ["mid", "old"]),
        (
            "graph",
            {"filters": Filters(since=date(1900, 1, 1), until=date(2199, 12, 31)), "sort": "newest"},
            ["new", "mid", "old"],
        ),
        ("graph", {"filters": Filters(has_code=True)}, ["mid"]),
        ("graph", {"filters": Filters(min_upvotes=5)}, ["old", "new"]),
        ("graph", {"sort": "upvotes"}, ["old", "new", "undated", "mid"]),  # equal votes: better match first
        ("graph cat:stat", {}, ["new"]),
        ("graph cat:CS.lg", {}, ["old"]),
        ("graph -kernels -molecules", {}, ["old", "undated"]),
    ],
)
def test_filters_and_orders(
    dated: SqlStore, kw: KeywordIndex, text: str, options: dict[str, object], expected: list[str]
) -> None:
    assert found(dated, kw, text, **options) == expected


def test_papers_by_pk(dated: SqlStore) -> None:
    pk_of = dated.pks_for_ids(["old", "new"])
    found = dated.papers_by_pk([pk_of["new"], 10**9, pk_of["old"], pk_of["new"]])
    assert {pk: p.id for pk, p in found.items()} == {pk_of["new"]: "new", pk_of["old"]: "old"}
