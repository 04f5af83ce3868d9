import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import pytest

from papertide.catalogue.imports import ingest
from papertide.ids import local_id
from papertide.index import keyword_dir
from papertide.index.keywords import KeywordIndex
from papertide.model import Paper
from papertide.sources import Rejected, SourceError
from papertide.sources.arxiv_atom import parse_atom
from papertide.sources.files import read_path
from papertide.sources.hf_daily import parse_hf_daily
from papertide.sources.pages import parse_page
from papertide.store.sql import SqlStore

from conftest import FIXTURES, SEEDS, children_of, fixture_bytes, gone

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from gen_snapshot import write as write_snapshot

ALL_FIXTURES = [
    "arxiv/query_page1.xml",
    "arxiv/query_page2.xml",
    "oai/arxiv_page1.xml",
    "oai/arxivraw.xml",
    "snapshot/sample.jsonl",
    "hf/daily_2025-10-29.json",
    "pages/pairs.txt",
    "pages/cards.txt",
    "jsonl/collection.jsonl",
]


def dump(store: SqlStore) -> list[tuple]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM papers ORDER BY pk")]


def import_all(store: SqlStore) -> dict[str, int]:
    items = (i for name in ALL_FIXTURES for i in read_path(FIXTURES / name))
    return ingest(store, items, batch_size=4).as_dict()


def test_second_import_changes_nothing(store: SqlStore) -> None:
    first = import_all(store)
    before = dump(store)
    second = import_all(store)
    assert first == {"new": 14, "updated": 2, "unchanged": 4, "rejected": 2}
    assert second == {"new": 0, "updated": 0, "unchanged": 20, "rejected": 2}
    assert dump(store) == before


def test_new_version_updates_in_place(store: SqlStore) -> None:
    ingest(store, parse_atom(fixture_bytes("arxiv/query_page1.xml")).items)  # v2
    ingest(store, parse_hf_daily(fixture_bytes("hf/daily_2025-10-29.json")))  # featured Oct 29
    summary = ingest(store, parse_atom(fixture_bytes("arxiv/id_2510.25021v3.xml")).items)
    assert summary.as_dict() == {"new": 0, "updated": 1, "unchanged": 0, "rejected": 0}
    paper = store.get("2510.25021")
    assert paper is not None
    assert (paper.version, paper.updated, paper.featured_date) == (
        3,
        datetime(2025, 11, 4, 10),
        date(2025, 10, 29),
    )
    assert [a.name for a in paper.authors] == ["Enshu Liu", "Qian Chen", "Yu Wang"]
    assert paper.upvotes == 12
    assert store.count() == 3  # the two Atom papers and SoundCTM from the daily list; no duplicate row


def test_page_record_merges_with_arxiv_record_arriving_later(store: SqlStore) -> None:
    ingest(store, parse_page(fixture_bytes("pages/cards.txt")))
    dd2_local = local_id(
        "Distilled Decoding 2: One-step Sampling of Image Auto-regressive Models with Conditional Score Distillation"
    )
    assert store.get(dd2_local) is not None
    summary = ingest(store, parse_atom(fixture_bytes("arxiv/query_page1.xml")).items)
    assert summary.as_dict() == {"new": 1, "updated": 1, "unchanged": 0, "rejected": 0}
    assert store.get(dd2_local) is None
    paper = store.get("2510.25021")
    assert paper is not None
    assert (paper.author_count, paper.upvotes, paper.featured_date) == (7, 2, date(2025, 10, 23))
    assert paper.published == datetime(2025, 10, 28, 17, 59, 58)  # arXiv's date replaces the card's
    assert store.count() == 5
    # ...and the same page imported again finds the paper under its arXiv id.
    again = ingest(store, parse_page(fixture_bytes("pages/cards.txt")))
    assert again.as_dict() == {"new": 0, "updated": 0, "unchanged": 4, "rejected": 1}


def test_page_and_arxiv_record_in_the_same_batch(store: SqlStore) -> None:
    items = [
        *parse_page(fixture_bytes("pages/cards.txt"))[:1],
        *parse_atom(fixture_bytes("arxiv/query_page1.xml")).items,
        *parse_page(fixture_bytes("pages/cards.txt"))[:1],
    ]
    summary = ingest(store, items)
    assert summary.as_dict() == {"new": 2, "updated": 1, "unchanged": 1, "rejected": 0}
    assert sorted(p.id for p in store.iter_papers()) == ["2510.25021", "hep-th/9901001"]


def test_malformed_records_are_rejected_and_nothing_partial_is_written(store: SqlStore) -> None:
    summary = ingest(store, read_path(FIXTURES / "snapshot/malformed.jsonl"))
    assert (summary.new, summary.rejected) == (2, 5)
    assert sorted(p.id for p in store.iter_papers()) == ["0704.0001", "2501.00005"]
    assert [r.where.rsplit(":", 1)[1] for r in summary.rejections] == ["2", "3", "4", "5", "6"]
    assert all(isinstance(r, Rejected) for r in summary.rejections)


def test_crash_inside_a_batch_writes_nothing_of_it(store: SqlStore) -> None:
    def items():
        yield from parse_atom(fixture_bytes("arxiv/query_page1.xml")).items
        raise RuntimeError("source died")

    with pytest.raises(RuntimeError):
        ingest(store, items(), batch_size=10)
    assert store.count() == 0


@pytest.mark.skipif(not SEEDS.exists(), reason="shared/seeds is not beside this checkout")
def test_seed_pages_import(store: SqlStore) -> None:
    paths = sorted(SEEDS.glob("*.txt"))
    first = ingest(store, (i for p in paths for i in read_path(p)))
    assert first.as_dict() == {"new": 538, "updated": 9, "unchanged": 39, "rejected": 0}
    second = ingest(store, (i for p in paths for i in read_path(p)))
    assert second.as_dict() == {"new": 0, "updated": 0, "unchanged": 586, "rejected": 0}
    facts = store.stats()
    assert (facts["papers"], facts["featured"], facts["with_code"], facts["upvotes"]) == (538, 131, 85, 66)
    sony = [p for p in store.iter_papers() if p.organization == "Sony"]
    assert [p.title for p in sony] == [
        "SoundCTM: Uniting Score-based and Consistency Models for Text-to-Sound Generation"
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("parallel", "bulk"), [("--parallel", "--no-bulk"), ("--no-parallel", "--no-bulk"), ("--parallel", "--bulk")]
)
def test_sigkill_mid_import_leaves_a_consistent_database_and_rerun_completes(
    tmp_path: Path, parallel: str, bulk: str
) -> None:
    # 10,000 papers: killed after 1,500 (3 batches), long before the end (30,000 cost ~13 s a case).
    n, batch = 10_000, 500
    snapshot = tmp_path / "snapshot.jsonl"
    write_snapshot(snapshot, n)
    data_dir = tmp_path / "data"
    command = [
        sys.executable,
        "-m",
        "papertide.cli",
        "import",
        str(snapshot),
        "--data-dir",
        str(data_dir),
        "--batch-size",
        str(batch),
        "--json",
        parallel,
        bulk,
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    db = data_dir / "papertide.sqlite3"
    store = None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if db.exists():
                store = store or SqlStore(f"sqlite:///{db}")
                try:
                    if store.count() >= 3 * batch:
                        break
                except Exception:  # the schema is still being created
                    pass
            time.sleep(0.01)
        assert proc.poll() is None, "the import finished before it could be killed; make the file bigger"
        readers = children_of(proc.pid)
        assert len(readers) == (1 if parallel == "--parallel" else 0)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert all(gone(pid) for pid in readers)  # the reading process does not outlive the import
    finally:
        if proc.poll() is None:
            proc.kill()
    assert store is not None
    written = store.count()
    assert 0 < written < n
    assert written % batch == 0  # whole batches only: nothing half-written
    if bulk == "--bulk":  # consistent, with the indexes left for the end still to build
        assert store.check() == [
            "an interrupted bulk import left index ix_papers_featured_date, index ix_papers_ingested_at, "
            "index ix_papers_organization, index ix_papers_primary_category, index ix_papers_published unbuilt "
            "(the next import, or `papertide check --repair`, builds them)"
        ]
    else:
        assert store.check() == []
    rerun = subprocess.run(command, env=env, capture_output=True, check=True)
    assert rerun.stdout.strip().startswith(
        b'{"new":%d,"updated":0,"unchanged":%d,"rejected":0' % (n - written, written)
    )
    assert store.count() == n
    assert store.check() == []
    assert not store.bulk_load_unfinished()
    keywords = KeywordIndex(keyword_dir(store.url, data_dir))
    assert keywords.marks() == store.keyword_marks()  # the rerun brought the keyword index up to date
    assert keywords.count() == n
    store.close()


def test_bulk_ingest_indexes_at_the_end_even_when_the_input_fails_half_way(store: SqlStore) -> None:
    def items():  # type: ignore[no-untyped-def]
        yield from parse_atom(fixture_bytes("arxiv/query_page1.xml")).items
        raise SourceError("truncated.xml:12: unexpected end of document")

    seen: list[bool] = []
    with pytest.raises(SourceError):
        ingest(store, items(), batch_size=1, on_batch=lambda s: seen.append(s.indexing), bulk=True)
    assert seen == [False, False, True]  # two batches of one paper, then told that it builds the indexes
    assert store.count() == 2
    assert not store.bulk_load_unfinished()
    assert store.check() == []


def test_the_next_ingest_finishes_an_interrupted_bulk_load_first(store: SqlStore) -> None:
    store.start_bulk_load()  # as a bulk import killed after its first batch leaves it
    v3 = parse_atom(fixture_bytes("arxiv/id_2510.25021v3.xml")).items[0]
    assert isinstance(v3, Paper)
    store.apply([(None, v3)])
    assert store.bulk_load_unfinished()
    summary = ingest(store, parse_atom(fixture_bytes("arxiv/query_page1.xml")).items)
    assert summary.as_dict() == {"new": 1, "updated": 1, "unchanged": 0, "rejected": 0}
    assert not store.bulk_load_unfinished()
    assert store.check() == []
