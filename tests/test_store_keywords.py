"""The keyword index beside the database: query building, catching up, surviving restarts and
crashes, being detected and repaired when out of step, and filtering."""

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
from papertide.index.keywords import MARKS_FILE, Marks, category_terms, query_string
from papertide.model import Paper
from papertide.query import Filters, parse_query
from papertide.store import Change, sql
from papertide.store.rows import paper_to_row
from papertide.store.schema import counters, keyword_changes, papers
from papertide.store.sql import SqlStore

ON_BOTH_BACKENDS = True  # every test that uses `store` runs on SQLite and PostgreSQL (conftest)


def paper(pid: str, title: str, abstract: str = "", **kw: object) -> Paper:
    return Paper(id=pid, title=title, abstract=abstract, **kw)  # type: ignore[arg-type]


def found(store: SqlStore, text: str, **kw: object) -> list[str]:
    return store.keyword_search(parse_query(text), 10, **kw)[0]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("score matching", '+("score" "matching")'),
        ('"score matching" -diffusion', '+("score matching") -"diffusion"'),
        ("author:Song graphs", '+("graphs") +authors:"song"'),
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
    assert store.sync_keyword_index() == 2
    store.close()
    assert json.loads((tmp_path / "papertide.sqlite3-keywords" / MARKS_FILE).read_text())["max_pk"] == 2
    again = SqlStore(url)
    assert again.sync_keyword_index() == 0  # nothing to do: the marks match the database
    assert found(again, "flow") == ["p2"]
    again.close()


def test_search_catches_up_with_new_changed_and_deleted_papers(store: SqlStore) -> None:
    store.apply([(None, paper("p1", "Score matching")), (None, paper("p2", "Flow matching"))])
    assert found(store, "matching") == ["p1", "p2"]
    store.apply([("p1", paper("p1", "Sliced score estimation")), (None, paper("p3", "Matching pursuit"))])
    assert store.keywords.marks() == Marks(max_pk=2, seq=0)  # behind until someone searches
    assert found(store, "matching") == ["p2", "p3"]
    assert found(store, "sliced") == ["p1"]
    with store.engine.begin() as conn:  # an operator deletes a paper by hand: the log still sees it
        conn.exec_driver_sql("DELETE FROM papers WHERE id = 'p2'")
    assert found(store, "matching") == ["p3"]
    assert store.keywords.marks() == Marks(max_pk=3, seq=2)
    assert store.check() == []


def test_a_vote_does_not_touch_the_keyword_index(store: SqlStore) -> None:
    store.apply([(None, paper("p1", "Score matching"))])
    store.sync_keyword_index()
    unchanged = paper("p1", "Score matching", upvotes=40)
    store.apply([("p1", unchanged)])  # an update that leaves every searchable field as it was
    assert store.keyword_marks() == Marks(max_pk=1, seq=0)


@pytest.mark.sqlite_only  # PostgreSQL's sequences never hand a pk out twice
def test_a_reused_pk_is_indexed(store: SqlStore) -> None:
    store.apply([(None, paper("p1", "Score matching")), (None, paper("p2", "Flow matching"))])
    store.sync_keyword_index()
    with store.engine.begin() as conn:  # deleting the highest row lets SQLite hand its pk out again
        conn.exec_driver_sql("DELETE FROM papers WHERE id = 'p2'")
    store.sync_keyword_index()
    store.apply([(None, paper("p3", "Matching pursuit"))])
    assert store.pks_for_ids(["p3"]) == {"p3": 2}
    assert found(store, "matching") == ["p1", "p3"]


def test_a_crash_between_commit_and_marks_is_repaired_by_a_rebuild(store: SqlStore) -> None:
    store.apply([(None, paper("p1", "Score matching"))])
    store.sync_keyword_index()
    marks_file = store.keywords.path / MARKS_FILE  # type: ignore[operator]
    before = marks_file.read_text()
    store.apply([(None, paper("p2", "Flow matching"))])
    store.sync_keyword_index()
    marks_file.write_text(before)  # as if killed after tantivy's commit, before the marks were written
    assert store.sync_keyword_index() == 2  # the marks do not describe the last commit: rebuilt, not added twice
    assert found(store, "matching") == ["p1", "p2"]
    assert store.check() == []


def test_an_unreadable_index_is_rebuilt(store: SqlStore) -> None:
    store.apply([(None, paper("p1", "Score matching"))])
    store.sync_keyword_index()
    (store.keywords.path / MARKS_FILE).write_text("{not json")  # type: ignore[operator]
    reopened = SqlStore(store.url, store.keywords.path)
    assert found(reopened, "score") == ["p1"]
    reopened.close()


def test_check_detects_an_index_out_of_step_and_repair_rebuilds_it(store: SqlStore) -> None:
    store.apply([(None, paper("p1", "Score matching")), (None, paper("p2", "Flow matching"))])
    store.sync_keyword_index()
    assert store.check() == []
    index = tantivy.Index.open(str(store.keywords.path))  # remove p1 behind the store's back
    writer = index.writer(heap_size=15_000_000, num_threads=1)
    writer.delete_documents_by_term("pk", 1)
    writer.commit()
    del writer
    assert store.check() == [
        "the keyword index holds 1 papers, the catalogue 2 (`papertide check --repair` rebuilds it)"
    ]
    assert store.sync_keyword_index(rebuild=True) == 2
    assert store.check() == []
    assert found(store, "matching") == ["p1", "p2"]


def test_an_index_ahead_of_a_restored_database_is_reported(store: SqlStore) -> None:
    store.apply([(None, paper("p1", "Score matching"))])
    store.apply([("p1", paper("p1", "Sliced score matching"))])
    store.sync_keyword_index()
    with store.engine.begin() as conn:  # a backup from before the change
        conn.exec_driver_sql("DELETE FROM keyword_changes")
        if store.dialect == "sqlite":
            conn.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = 'keyword_changes'")
    assert store.check() == [
        "the keyword index has seen changes the database has not (#1 > #0): was the database restored from a "
        "backup? (`papertide check --repair` rebuilds it)"
    ]
    assert found(store, "sliced") == ["p1"]  # a search rebuilds it too
    assert store.check() == []


def test_a_search_does_not_wait_for_another_process_writing_the_index(store: SqlStore) -> None:
    store.apply([(None, paper("p1", "Score matching"))])
    store.sync_keyword_index()
    store.apply([(None, paper("p2", "Flow matching"))])
    lock_path = store.keywords.path.with_name(store.keywords.path.name + ".lock")  # type: ignore[union-attr]
    with open(lock_path, "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process is catching up
        assert found(store, "matching") == ["p1"]  # what is committed, at once
    assert found(store, "matching") == ["p1", "p2"]


def test_the_change_log_is_pruned_and_an_index_left_behind_rebuilds(
    store: SqlStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql, "KEYWORD_LOG_KEEP", 2)
    store.apply([(None, paper("p1", "Score matching")), (None, paper("p2", "Flow matching"))])
    other_host = SqlStore(store.url, tmp_path / "other-host-keywords")  # e.g. a second web server on PostgreSQL
    assert store.sync_keyword_index() == other_host.sync_keyword_index() == 2
    for title in ("Sliced score matching", "Denoising score matching", "Score matching on graphs"):
        store.apply([("p1", paper("p1", title))])
        assert store.sync_keyword_index() == 1  # caught up from the log: p1 only
    with store.engine.connect() as conn:
        log = conn.execute(sa.select(keyword_changes.c.seq).order_by(keyword_changes.c.seq)).scalars().all()
        pruned = conn.execute(sa.select(counters.c.value).where(counters.c.name == "keyword_log_pruned")).scalar()
    assert (log, pruned) == ([2, 3], 1)  # the last two changes are kept
    assert found(store, "graphs") == ["p1"]
    assert other_host.sync_keyword_index() == 2  # its mark (0) is below the pruned log: rebuilt, both papers
    assert (found(other_host, "graphs"), found(other_host, "sliced")) == (["p1"], [])
    assert store.check() == [] and other_host.check() == []
    other_host.close()


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
        store = SqlStore(url, tmp_path / "keywords")
        if first == "UPDATE":
            store.apply([(None, paper("p1", "Score matching")), (None, paper("p2", "Flow matching"))])
            store.sync_keyword_index()
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
        store.sync_keyword_index()  # sees neither: the second waits for the first to commit
        transaction.commit()
        slow.close()
        writer.join(timeout=30)
        assert found(store, "matching") == ["p1", "p2"]
        assert found(store, "sliced" if first == "UPDATE" else "score") == ["p1"]
        assert found(store, "rectified") == (["p2"] if first == "UPDATE" else [])
        assert store.pks_for_ids(["p1", "p2"]) == {"p1": 1, "p2": 2}
        assert store.check() == []
        store.close()


def test_an_in_memory_database_keeps_its_index_in_memory() -> None:
    store = SqlStore("sqlite://")
    store.migrate()
    store.apply([(None, paper("p1", "Score matching"))])
    assert store.keywords.path is None
    assert found(store, "score") == ["p1"]
    store.close()


@pytest.fixture
def dated(store: SqlStore) -> SqlStore:
    store.apply(
        [
            (None, paper("old", "Graph networks", published=datetime(2019, 5, 1), categories=("cs.LG",), upvotes=50)),
            (None, paper("mid", "Graph networks for molecules", published=datetime(2022, 3, 1), code_url="https://c")),
            (None, paper("new", "Graph kernels", published=datetime(2025, 1, 9), categories=("stat.ML",), upvotes=7)),
            (None, paper("undated", "Graph theory")),
        ]
    )
    return store


@pytest.mark.parametrize(
    ("text", "kw", "expected"),
    [
        ("graph", {"sort": "newest"}, ["new", "mid", "old", "undated"]),
        ("graph", {"filters": Filters(since=date(2020, 1, 1))}, ["new", "mid"]),
        ("graph", {"filters": Filters(until=date(2022, 3, 1)), "sort": "newest"}, ["mid", "old"]),
        (
            "graph",
            {"filters": Filters(since=date(31, 1, 1), until=date(9999, 1, 1)), "sort": "newest"},
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
def test_filters_and_orders(dated: SqlStore, text: str, kw: dict[str, object], expected: list[str]) -> None:
    assert found(dated, text, **kw) == expected


@pytest.mark.parametrize(
    ("text", "kw"),
    [("graph", {}), ("graph", {"sort": "upvotes"}), ("cat:cs.LG", {}), ("graph", {"offset": 1, "sort": "newest"})],
)
def test_keyword_pks_are_keyword_search_by_pk(dated: SqlStore, text: str, kw: dict[str, object]) -> None:
    pks, scores = dated.keyword_pks(parse_query(text), 10, **kw)  # type: ignore[arg-type]
    ids, id_scores = dated.keyword_search(parse_query(text), 10, **kw)  # type: ignore[arg-type]
    pk_of = dated.pks_for_ids(["old", "mid", "new", "undated"])
    assert pks == [pk_of[i] for i in ids] and scores == id_scores and pks


def test_papers_by_pk(dated: SqlStore) -> None:
    pk_of = dated.pks_for_ids(["old", "new"])
    found = dated.papers_by_pk([pk_of["new"], 10**9, pk_of["old"], pk_of["new"]])
    assert {pk: p.id for pk, p in found.items()} == {pk_of["new"]: "new", pk_of["old"]: "old"}
