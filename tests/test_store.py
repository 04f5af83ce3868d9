"""The store contract: what every backend must do (each test runs on SQLite and on PostgreSQL)."""

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import pgserver
from papertide.ids import title_key
from papertide.index.keywords import KeywordIndex
from papertide.model import Author, Paper
from papertide.query import parse_query
from papertide.search.retrieval import keyword_pks
from papertide.store.rows import paper_to_row
from papertide.store.schema import metadata, papers
from papertide.store.sql import SqlStore
from pgserver import BACKENDS

FULL = Paper(
    id="2510.25021",
    version=2,
    title="Distilled Decoding 2",
    abstract="One-step sampling of AR models.",
    authors=(Author("Enshu Liu", "Tsinghua"), Author("Qian Chen")),
    author_count=7,
    organization="Tsinghua AI",
    primary_category="cs.CV",
    categories=("cs.CV", "cs.LG"),
    published=datetime(2025, 10, 28, 17, 59, 58),
    updated=datetime(2025, 10, 30),
    featured_date=date(2025, 10, 29),
    submitted_by="akhaliq",
    upvotes=12,
    comments="NeurIPS",
    journal_ref="J. 1",
    doi="10.1/x",
    code_url="https://github.com/a/b",
    project_url="https://p.example",
    source="arxiv",
)

ON_BOTH_BACKENDS = True  # every test that uses `store` runs on SQLite and PostgreSQL (conftest)


def keyword_search(store: SqlStore, text: str, limit: int, offset: int = 0) -> tuple[list[str], list[float]]:
    """(ids, scores) from a keyword index caught up with `store` by a writer, as search reads it."""
    index = KeywordIndex(None)
    index.catch_up(store)
    pks, scores = keyword_pks(store, index, parse_query(text), limit, offset)
    id_of = store.ids_for_pks(pks)
    return [id_of[pk] for pk in pks], scores


def paper(pid: str, title: str, abstract: str = "", **kw: object) -> Paper:
    return Paper(id=pid, title=title, abstract=abstract, **kw)  # type: ignore[arg-type]


def ids(result: tuple[list[str], list[float]]) -> list[str]:
    return result[0]


def test_round_trip_every_field(store: SqlStore) -> None:
    store.apply([(None, FULL)])
    assert store.get_many(["2510.25021", "nope"]) == {"2510.25021": FULL}
    assert list(store.iter_papers()) == [FULL]


def test_rekey_keeps_row_and_index(store: SqlStore) -> None:
    local = paper("local-aaaaaaaaaaaa", "Truth Neurons", "neurons that know")
    store.apply([(None, local)])
    store.apply([("local-aaaaaaaaaaaa", local.replace(id="2501.00001", abstract="a new abstract"))])
    assert store.count() == 1
    assert list(store.get_many(["local-aaaaaaaaaaaa", "2501.00001"])) == ["2501.00001"]
    assert ids(keyword_search(store, "abstract", 10)) == ["2501.00001"]
    assert ids(keyword_search(store, "know", 10)) == []
    assert store.check() == []


def test_apply_is_all_or_nothing(store: SqlStore) -> None:
    store.apply([(None, paper("a1", "First"))])
    with pytest.raises(sa.exc.IntegrityError):
        store.apply([(None, paper("a2", "Second")), (None, paper("a1", "Duplicate id"))])
    assert [p.id for p in store.iter_papers()] == ["a1"]


def test_find_by_title_keys(store: SqlStore) -> None:
    store.apply([(None, paper("local-aaaaaaaaaaaa", "Truth Neurons")), (None, paper("2501.00001", "Truth neurons!"))])
    found = store.find_by_title_keys([title_key("TRUTH NEURONS"), "missing"])
    assert {k: [p.id for p in v] for k, v in found.items()} == {"truth neurons": ["local-aaaaaaaaaaaa", "2501.00001"]}


def test_find_by_title_keys_tells_a_hash_collision_from_a_match(store: SqlStore) -> None:
    store.apply([(None, paper("2501.00001", "Truth neurons")), (None, paper("2501.00002", "Other words"))])
    with store.engine.begin() as conn:  # make the second paper's hash collide with the first's
        conn.exec_driver_sql(
            "UPDATE papers SET title_hash = (SELECT title_hash FROM papers WHERE id = '2501.00001') "
            "WHERE id = '2501.00002'"
        )
    found = store.find_by_title_keys([title_key("Truth neurons")])
    assert {k: [p.id for p in v] for k, v in found.items()} == {"truth neurons": ["2501.00001"]}


@pytest.fixture
def corpus(store: SqlStore) -> SqlStore:
    store.apply(
        [
            (
                None,
                paper(
                    "p1",
                    "Score matching for graphs",
                    "We study denoising.",
                    authors=(Author("Yang Song"),),
                    categories=("cs.LG",),
                    published=datetime(2021, 1, 1),
                ),
            ),
            (
                None,
                paper(
                    "p2",
                    "Image generation",
                    "Diffusion models trained by score matching.",
                    categories=("cs.CV",),
                    published=datetime(2022, 1, 1),
                ),
            ),
            (
                None,
                paper(
                    "p3",
                    "Language models",
                    "Matching scores of students; score distributions.",
                    categories=("cs.CL", "cs.LG"),
                    published=datetime(2023, 1, 1),
                ),
            ),
        ]
    )
    return store


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("score matching", ["p1", "p3", "p2"]),  # title first; p3 says "score" twice (stemmed "scores")
        ('"score matching"', ["p1", "p2"]),  # phrase: p3 has the words apart
        ("score matching -diffusion", ["p1", "p3"]),
        ("author:song", ["p1"]),
        ("matching cat:cs.LG", ["p1", "p3"]),
        ("cat:cs", ["p3", "p2", "p1"]),  # filter only: newest first
        ("the of", []),
        ("NEAR( * OR", []),
    ],
)
def test_keyword_search(corpus: SqlStore, query: str, expected: list[str]) -> None:
    assert ids(keyword_search(corpus, query, 10)) == expected


def test_keyword_search_scores_and_paging(corpus: SqlStore) -> None:
    found, scores = keyword_search(corpus, "score matching", 10)
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    assert ids(keyword_search(corpus, "score matching", 1, offset=1)) == [found[1]]


def test_stats(corpus: SqlStore) -> None:
    corpus.apply([(None, FULL), (None, paper("local-bbbbbbbbbbbb", "Only a title", source="page", upvotes=3))])
    facts = corpus.stats()
    assert {k: facts[k] for k in ("papers", "arxiv", "title_only", "featured", "with_code", "upvotes")} == {
        "papers": 5,
        "arxiv": 4,
        "title_only": 1,
        "featured": 1,
        "with_code": 1,
        "upvotes": 15,
    }
    assert (facts["published_from"], facts["published_until"], facts["schema"]) == (
        "2021-01-01",
        "2025-10-28",
        "0017",
    )


def test_a_new_title_or_abstract_drops_the_papers_vector(store: SqlStore) -> None:
    store.apply([(None, paper("p1", "Score matching", "Old abstract.")), (None, paper("p2", "Flow matching"))])
    pks = store.pks_for_ids(["p1", "p2"])
    store.save_embeddings("m", [pks["p1"], pks["p2"]], np.ones((2, 4), dtype=np.float32))
    generation = store.vector_generation()
    store.apply([("p2", paper("p2", "Flow matching", upvotes=3))])  # not its text: the vector stays
    assert (store.pending_embeddings("m", 10), store.vector_generation()) == ([], generation)
    store.apply([("p1", paper("p1", "Score matching", "New abstract."))])
    assert store.pending_embeddings("m", 10) == [(pks["p1"], "Score matching", "New abstract.")]
    assert store.vector_generation() == generation + 1  # cached pages that show vectors are stale now


def test_the_vector_log_records_every_vector_write(store: SqlStore) -> None:
    store.apply([(None, paper(f"p{i}", f"Paper {i}", "An abstract.")) for i in (1, 2, 3)])
    p1, p2, p3 = (store.pks_for_ids(["p1", "p2", "p3"])[i] for i in ("p1", "p2", "p3"))
    store.save_embeddings("m", [p1, p2, p3], np.eye(3, 4, dtype=np.float32))
    assert store.vector_log(0) == (3, 0, [p1, p2, p3])
    store.apply([("p1", paper("p1", "Paper 1", "A new abstract."))])  # its vector is dropped
    with store.engine.begin() as conn:
        conn.execute(papers.delete().where(papers.c.id == "p2"))  # its vector goes with it (cascade)
    store.save_embeddings("m", [p3], np.ones((1, 4), dtype=np.float32))  # replaced: deleted and inserted
    assert store.vector_log(3) == (7, 0, [p1, p2, p3])
    assert [(list(pks), v.tolist()) for pks, v in store.embeddings_of("m", [p1, p2, p3])] == [([p3], [[1.0] * 4])]
    store.prune_vector_log(keep=2)
    assert store.vector_log(0) == (7, 5, [p3])  # entries 6 and 7 are left: p3's replacement
    assert store.vector_log_seq() == 7


@pytest.mark.sqlite_only
def test_sqlite_file_is_in_wal_mode(store: SqlStore) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database (no schema yet), on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    with pgserver.fresh_database(request.getfixturevalue("postgres_admin_url"), "template0") as url:
        yield url


def test_migration_upgrades_an_old_database_in_place(empty_url: str, tmp_path: Path) -> None:
    old = SqlStore(empty_url)
    old.migrate("0001")  # a database from before the keyword index existed
    with old.engine.begin() as conn:  # written as the code of that time wrote it: no index to feed
        row = paper_to_row(paper("p1", "Score matching for graphs"))
        del row["title_hash"]  # a column of 0006
        conn.execute(papers.insert(), {**row, "ingested_at": row["changed_at"]})
    assert old.schema_revision() == "0001"
    old.migrate()
    assert old.schema_revision() == "0017"
    assert ids(keyword_search(old, "graphs", 10)) == ["p1"]  # the index was built from old rows
    found = old.find_by_title_keys([title_key("Score Matching for Graphs")])  # title hashes were filled in
    assert {k: [p.id for p in v] for k, v in found.items()} == {"score matching for graphs": ["p1"]}
    assert old.check() == []
    old.close()


def test_migrations_match_the_table_definitions(store: SqlStore) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def index_names(store: SqlStore) -> list[str]:
    """The papers table's own indexes (not the one PostgreSQL lists for the id's UNIQUE constraint)."""
    with store.engine.connect() as conn:
        return sorted(str(i["name"]) for i in sa.inspect(conn).get_indexes("papers") if i["name"] != "papers_id_key")


def test_bulk_load_defers_the_browsing_indexes_to_its_end(store: SqlStore) -> None:
    store.apply([(None, paper("p0", "Old and indexed", "sparse attention"))])
    store.start_bulk_load()
    assert index_names(store) == ["ix_papers_title_hash"]  # the id index is the table's own
    store.apply([(None, paper("p1", "Score matching", "diffusion"))])
    store.apply([("p1", paper("p1", "Denoising score matching", "diffusion"))])
    assert ids(keyword_search(store, "denoising", 10)) == ["p1"]  # keyword search is unaffected
    assert store.bulk_load_unfinished()
    assert store.check() == [
        "an interrupted bulk import left index ix_papers_featured_date, index ix_papers_ingested_at, "
        "index ix_papers_organization, index ix_papers_primary_category, index ix_papers_published unbuilt "
        "(the next import, or `papertide check --repair`, builds them)"
    ]
    store.finish_bulk_load()
    assert not store.bulk_load_unfinished()
    assert store.check() == []
    assert index_names(store) == [
        "ix_papers_featured_date",
        "ix_papers_ingested_at",
        "ix_papers_organization",
        "ix_papers_primary_category",
        "ix_papers_published",
        "ix_papers_title_hash",
    ]


def test_upgrade_to_0008_drops_fts5_and_builds_the_keyword_index_from_the_rows(tmp_path: Path) -> None:
    old = SqlStore(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    old.migrate("0007")
    with old.engine.begin() as conn:  # as 0007's code wrote papers: indexed into FTS5 with the batch
        for pid, title in (("p1", "Score matching"), ("p2", "Flow matching")):
            row = paper_to_row(paper(pid, title))
            conn.execute(papers.insert(), {**row, "ingested_at": row["changed_at"]})
        conn.exec_driver_sql("INSERT INTO papers_fts(papers_fts) VALUES ('rebuild')")
    old.migrate()
    with old.engine.connect() as conn:
        tables = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE name LIKE 'papers_fts%'")}
        counters = dict(conn.exec_driver_sql("SELECT name, value FROM counters").all())
    assert tables == set()
    assert "keyword_indexed" not in counters
    assert ids(keyword_search(old, "matching", 10)) == ["p1", "p2"]
    old.apply([("p1", paper("p1", "Sliced score matching"))])  # logged by the new trigger
    assert ids(keyword_search(old, "sliced", 10)) == ["p1"]
    assert old.check() == []
