from datetime import date, datetime

from papertide.catalogue.merge import Outcome, classify, merge_paper
from papertide.model import Author, Paper

V1 = Paper(
    id="2510.25021",
    version=1,
    title="Distilled Decoding 2",
    abstract="v1 abstract",
    authors=(Author("Enshu Liu"),),
    published=datetime(2025, 10, 28),
    updated=datetime(2025, 10, 28),
    source="arxiv",
)
PAGE = Paper(
    id="local-ef79bba50da2",
    title="Distilled Decoding 2",
    abstract="page abstract",
    author_count=7,
    featured_date=date(2025, 10, 23),
    published=datetime(2025, 10, 23),
    upvotes=2,
    source="page",
)


def test_new_paper() -> None:
    assert merge_paper(None, V1) is V1
    assert classify(None, V1) is Outcome.NEW


def test_same_record_again_is_unchanged() -> None:
    merged = merge_paper(V1, V1)
    assert merged == V1
    assert classify(V1, merged) is Outcome.UNCHANGED


def test_new_version_updates_in_place_and_keeps_featured_date() -> None:
    featured = V1.replace(featured_date=date(2025, 10, 29), upvotes=12)
    v2 = V1.replace(version=2, abstract="v2 abstract", updated=datetime(2025, 11, 2))
    merged = merge_paper(featured, v2)
    assert (merged.version, merged.abstract, merged.updated) == (2, "v2 abstract", datetime(2025, 11, 2))
    assert (merged.featured_date, merged.upvotes, merged.published) == (
        date(2025, 10, 29),
        12,
        datetime(2025, 10, 28),
    )
    assert classify(featured, merged) is Outcome.UPDATED


def test_older_version_does_not_overwrite_newer() -> None:
    v2 = V1.replace(version=2, abstract="v2 abstract", updated=datetime(2025, 11, 2))
    assert merge_paper(v2, V1) == v2


def test_oai_record_without_version_but_later_date_wins() -> None:
    oai = V1.replace(version=None, abstract="v3 via OAI", updated=datetime(2025, 12, 1))
    merged = merge_paper(V1, oai)
    assert (merged.abstract, merged.version) == ("v3 via OAI", 1)


def test_page_record_fills_but_does_not_overwrite_arxiv() -> None:
    merged = merge_paper(V1, PAGE.replace(id=V1.id))
    assert (merged.abstract, merged.published) == ("v1 abstract", datetime(2025, 10, 28))
    assert (merged.author_count, merged.featured_date, merged.upvotes) == (7, date(2025, 10, 23), 2)
    assert merged.id == "2510.25021"


def test_arxiv_record_takes_over_title_only_record() -> None:
    merged = merge_paper(PAGE, V1)
    assert merged.id == "2510.25021"
    assert (merged.abstract, merged.version, merged.published) == ("v1 abstract", 1, datetime(2025, 10, 28))
    assert (merged.featured_date, merged.upvotes, merged.author_count, merged.source) == (
        date(2025, 10, 23),
        2,
        7,
        "arxiv",
    )


def test_daily_list_outranks_a_result_page() -> None:
    daily = PAGE.replace(published=datetime(2025, 10, 28, 17, 59), source="hf-daily", abstract="daily abstract")
    assert merge_paper(daily, PAGE) == daily.replace(author_count=7)
    assert merge_paper(PAGE, daily) == daily


def test_upvotes_keep_their_maximum() -> None:
    assert merge_paper(PAGE, PAGE.replace(upvotes=1)).upvotes == 2
    assert merge_paper(PAGE, PAGE.replace(upvotes=5)).upvotes == 5
    assert merge_paper(PAGE, PAGE.replace(upvotes=None)).upvotes == 2


def test_first_submitter_and_featured_date_stay() -> None:
    first = PAGE.replace(submitted_by="akhaliq")
    merged = merge_paper(first, PAGE.replace(submitted_by="someone", featured_date=date(2025, 11, 1)))
    assert (merged.submitted_by, merged.featured_date) == ("akhaliq", date(2025, 10, 23))


def test_equal_rank_sources_do_not_flip_flop() -> None:
    snapshot = V1.replace(abstract="snapshot abstract", source="snapshot", doi="10.1/x")
    merged = merge_paper(V1, snapshot)
    assert (merged.abstract, merged.doi, merged.source) == ("v1 abstract", "10.1/x", "arxiv")
    assert merge_paper(merged, V1) == merged


def test_same_source_restates_its_record() -> None:
    mine = Paper(id="doc-1", title="Typo in titel", source="jsonl")
    assert merge_paper(mine, mine.replace(title="Typo in title")).title == "Typo in title"


def test_an_unversioned_atom_entry_without_updated_does_not_outrank_a_versioned_one() -> None:
    from papertide.sources.arxiv_atom import parse_atom

    def feed(entry_id: str, title: str, updated: str) -> bytes:
        return (
            '<feed xmlns="http://www.w3.org/2005/Atom"><entry>'
            f"<id>http://arxiv.org/abs/{entry_id}</id><published>2025-10-25T00:00:00Z</published>{updated}"
            f"<title>{title}</title><summary>s</summary></entry></feed>"
        ).encode()

    (v2,) = parse_atom(feed("2510.00001v2", "Version two", "<updated>2025-10-20T00:00:00Z</updated>")).items
    (bare,) = parse_atom(feed("2510.00001", "Unversioned, no updated", "")).items
    assert isinstance(v2, Paper) and isinstance(bare, Paper) and bare.updated is None
    assert merge_paper(v2, bare).title == "Version two"  # the versioned record stands
    assert merge_paper(bare, v2).title == "Version two"  # and wins when it comes second
