"""`papertide.Papertide`, the library face (issues 15 and 16): opening, importing file by file,
import runs and undoing them, removing papers, and the indexes following every write."""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from papertide import NotFound, Paper, Papertide, SourceError
from papertide.sources import Item
from papertide.store.sql import SqlStore

from conftest import FIXTURES

ATOM_WITH_MSC = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <title>arXiv query results</title>
  <entry>
    <id>http://arxiv.org/abs/2401.00007v1</id>
    <updated>2024-01-02T00:00:00Z</updated>
    <published>2024-01-02T00:00:00Z</published>
    <title>Semigroups of graphs</title>
    <summary>We study semigroups.</summary>
    <author><name>Ada Lovelace</name></author>
    <arxiv:primary_category term="math.GR" scheme="http://arxiv.org/schemas/atom"/>
    <category term="math.GR" scheme="http://arxiv.org/schemas/atom"/>
    <category term="20M20, 20M10, 05C12, 05C25" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
</feed>
"""


@pytest.fixture
def pt(store: SqlStore, tmp_path: Path) -> Papertide:
    return Papertide(store, tmp_path, encoder=None)


def lines(*records: dict[str, object]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


def test_open_refuses_a_missing_data_dir_unless_it_may_create_it(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no papertide data directory at"):
        Papertide.open(tmp_path / "mistyped", create=False)
    assert not (tmp_path / "mistyped").exists()
    with Papertide.open(tmp_path / "new") as pt:
        assert pt._store.count() == 0
    with Papertide.open(tmp_path / "new", create=False) as pt:
        assert pt.search_mode() == "keyword"


def test_each_file_is_kept_whole_or_not_at_all_and_the_next_one_goes_on(pt: Papertide, tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_bytes(lines({"id": "a1", "title": "Alpha"}, {"id": "a2", "title": "Beta"}))
    broken = tmp_path / "broken.jsonl.gz"  # readable for many batches, then the gzip stream ends
    records = ({"id": f"b{i}", "title": f"Broken {os.urandom(24).hex()}"} for i in range(4000))
    broken.write_bytes(gzip.compress(lines(*records))[:-40])
    last = tmp_path / "last.jsonl"
    last.write_bytes(lines({"id": "c1", "title": "Gamma"}))
    report = pt.import_files([good, broken, last], batch_size=2)
    assert [(Path(f.source).name, f.summary.new, f.error is None) for f in report.files] == [
        ("good.jsonl", 2, True),
        ("broken.jsonl.gz", report.files[1].summary.new, False),
        ("last.jsonl", 1, True),
    ]
    assert report.files[1].summary.new > 0  # it had written batches before it failed ...
    assert "cannot be read to the end" in (report.files[1].error or "")
    assert sorted(p.id for p in pt._store.iter_papers()) == ["a1", "a2", "c1"]  # ... and they were undone
    assert [r.status for r in pt.imports()] == ["done", "undone", "done"][::-1]
    assert not report.ok and report.total.new == 3
    assert [h.paper.id for h in pt.search("gamma")] == ["c1"]  # the keyword index followed


def test_one_bad_record_rejects_that_record_with_file_line_and_reason(pt: Papertide, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        lines(
            {"id": "ok1", "title": "Fine"},
            {"id": "bad1", "title": "List link", "code_url": ["x"]},
            {"id": "bad2", "title": "Number categories", "categories": [1, 2]},
            {"id": "bad3", "title": "Dict affiliation", "authors": [{"name": "A", "affiliation": {"org": "MIT"}}]},
            {"id": "ok2", "title": "Also fine", "code_url": "javascript:alert(1)"},
        )
    )
    report = pt.import_files([path])
    total = report.total
    assert (total.new, total.rejected) == (2, 3)
    assert [str(r).split("mixed.jsonl")[1] for r in total.rejections] == [
        ":2 (record bad1): 'code_url' must be text, not list",
        ":3 (record bad2): 'categories' must be a list of category ids (text)",
        ":4 (record bad3): 'affiliation' must be text, not dict",
    ]
    ok2 = pt.get("ok2")
    assert ok2 is not None and ok2.code_url is None  # a link that may not be rendered is not kept


def test_category_terms_that_are_not_arxiv_ids_are_dropped_and_reimport_is_a_no_op(
    pt: Papertide, tmp_path: Path
) -> None:
    feed = tmp_path / "msc.xml"
    feed.write_bytes(ATOM_WITH_MSC)
    first = pt.import_files([feed]).total
    again = pt.import_files([feed]).total
    paper = pt.get("2401.00007")
    assert paper is not None and paper.categories == ("math.GR",)
    assert (first.new, again.unchanged, again.updated) == (1, 1, 0)
    assert [h.paper.id for h in pt.search("cat:math.GR")] == ["2401.00007"]


def test_undo_removes_what_a_run_added_and_restores_what_it_changed(pt: Papertide, tmp_path: Path) -> None:
    base = tmp_path / "base.jsonl"
    base.write_bytes(lines({"id": "p1", "title": "Original title"}, {"id": "p2", "title": "Kept"}))
    pt.import_files([base])
    junk = tmp_path / "junk.jsonl"
    junk.write_bytes(
        lines({"id": "p1", "title": "Vandalised title"}, *({"id": f"j{i}", "title": f"Junk {i}"} for i in range(5)))
    )
    run = pt.import_files([junk]).files[0].run
    assert run is not None and pt._store.count() == 7
    undone = pt.undo_import(run)
    assert (undone.removed, undone.restored, undone.kept, undone.run.status) == (5, 1, [], "undone")
    assert sorted(p.id for p in pt._store.iter_papers()) == ["p1", "p2"]
    assert pt.get("p1").title == "Original title"  # type: ignore[union-attr]
    assert pt.search("junk") == [] and [h.paper.id for h in pt.search("original")] == ["p1"]
    with pytest.raises(NotFound, match="undone already"):
        pt.undo_import(run)
    with pytest.raises(NotFound, match="no import run 99"):
        pt.undo_import(99)


def test_undo_leaves_papers_that_members_touched_or_later_runs_changed(pt: Papertide, tmp_path: Path) -> None:
    first = tmp_path / "first.jsonl"
    first.write_bytes(lines(*({"id": f"p{i}", "title": f"Paper {i}"} for i in range(4))))
    run = pt.import_files([first]).files[0].run
    assert run is not None
    store = pt._store
    member = store.community.create_member("ada", "ada@example.org", "x", pt.clock())
    store.community.set_vote(member.id, store.pks_for_ids(["p0"])["p0"], True, pt.clock())
    later = tmp_path / "later.jsonl"
    later.write_bytes(lines({"id": "p1", "title": "Paper 1, corrected"}))
    pt.import_files([later])
    report = pt.undo_import(run)
    assert report.removed == 2
    assert report.kept == [("p0", "members voted for it"), ("p1", "a later import changed it")]
    assert sorted(p.id for p in store.iter_papers()) == ["p0", "p1"]


def test_remove_keeps_papers_members_engaged_with_unless_forced(pt: Papertide, tmp_path: Path) -> None:
    pt.import_records([Paper(id="r1", title="Remove me"), Paper(id="r2", title="Voted for")])
    store = pt._store
    member = store.community.create_member("ada", "ada@example.org", "x", pt.clock())
    store.community.set_vote(member.id, store.pks_for_ids(["r2"])["r2"], True, pt.clock())
    report = pt.remove(["r1", "r2", "nope"])
    assert (report.removed, report.missing) == (["r1"], ["nope"])
    assert report.kept == [("r2", "members voted for it (--force removes it anyway)")]
    assert pt.search("remove") == []
    assert pt.remove(["r2"], force=True).removed == ["r2"] and store.count() == 0


def test_import_records_built_by_hand_are_checked_too(pt: Papertide) -> None:
    summary = pt.import_records([Paper(id="h1", title="Fine"), Paper(id="h2", title="Bad", upvotes="3")])  # type: ignore[arg-type]
    assert (summary.new, summary.rejected) == (1, 1)
    assert str(summary.rejections[0]) == "record 2 (record h2): 'upvotes' must be a whole number, not str"


def test_a_source_error_in_import_records_keeps_nothing(pt: Papertide) -> None:
    def items():  # type: ignore[no-untyped-def]
        yield Paper(id="s1", title="Before the failure")
        raise SourceError("feed.xml:12: not well-formed")

    with pytest.raises(SourceError, match="not well-formed"):
        pt.import_records(items(), batch_size=1)
    assert pt._store.count() == 0 and pt.imports()[0].status == "undone"


def test_every_fixture_imports_through_the_facade(pt: Papertide) -> None:
    report = pt.import_files(
        [FIXTURES / n for n in ("arxiv/query_page1.xml", "oai/arxiv_page1.xml", "snapshot/sample.jsonl")]
    )
    assert report.ok and report.total.new == pt._store.count() > 0


def test_a_bad_number_or_a_parser_error_in_file_1_leaves_file_2_imported(pt: Papertide, tmp_path: Path) -> None:
    """Issue 30, item 3: `completeListSize="²"` is no number (the count is advisory: the records are
    kept), and any error a parser raises fails that file alone, naming it; the next file goes on."""
    page = (FIXTURES / "oai" / "arxiv_page2.xml").read_text()
    odd = tmp_path / "odd.xml"
    odd.write_text(re.sub(r'completeListSize="[^"]*"', 'completeListSize="²"', page))
    last = tmp_path / "last.jsonl"
    last.write_bytes(lines({"id": "c1", "title": "Gamma"}))
    report = pt.import_files([odd, last])
    assert [f.error for f in report.files] == [None, None] and report.files[0].summary.new > 0

    def parser_with_a_bug() -> Iterator[Item]:
        yield Paper(id="f1", title="Fine")
        raise ValueError("invalid literal for int() with base 10: '²'")

    with pytest.raises(SourceError, match=r"^broken.xml: could not be parsed: ValueError: invalid literal"):
        pt.import_records(parser_with_a_bug(), source="broken.xml", batch_size=1)
    assert pt._store.get("f1") is None  # that run was undone
    assert pt.import_files([last]).ok  # and the next import goes on


def test_an_over_long_field_is_a_rejected_record_naming_the_field(pt: Papertide, tmp_path: Path) -> None:
    """Issue 30, item 1: a 5 MB abstract (which made every search that found it hang) is refused with
    file, line and field; the records beside it are imported."""
    path = tmp_path / "long.jsonl"
    path.write_bytes(
        lines(
            {"id": "ok1", "title": "Fine"},
            {"id": "big", "title": "Huge", "abstract": "x" * 5_242_880},
            {"id": "ok2", "title": "t" * 1_600},
            {"id": "many", "title": "Many", "authors": [f"A{i}" for i in range(10_001)]},
        )
    )
    total = pt.import_files([path]).total
    assert [str(r) for r in total.rejections] == [
        f"{path}:2 (record big): 'abstract' is too long: 5,242,880 characters, at most 20,000",
        f"{path}:3 (record ok2): 'title' is too long: 1,600 characters, at most 1,000",
        f"{path}:4 (record many): 'authors' is too long: 10,001 names, at most 10,000",
    ]
    assert sorted(p.id for p in pt._store.iter_papers()) == ["ok1"]
