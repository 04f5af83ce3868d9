from datetime import date

import pytest

from papertide.ids import local_id
from papertide.sources import Rejected, SourceError
from papertide.sources.pages import parse_page

from conftest import SEEDS, assert_golden, fixture_bytes


def test_line_pairs_golden() -> None:
    items = parse_page(fixture_bytes("pages/pairs.txt"), "pairs.txt")
    assert_golden("page_pairs", items)
    assert [p.title for p in items] == [
        "Doubly Robust Alignment for Large Language Models",
        "Truth Neurons",
        "Doubly Robust Alignment for Large Language Models",
    ]
    assert items[0].id == items[2].id == local_id("doubly robust alignment for large language models")
    assert items[0].code_url == "https://github.com/DRPO4LLM/DRPO4LLM"


def test_cards_golden() -> None:
    items = parse_page(fixture_bytes("pages/cards.txt"), "cards.txt")
    assert_golden("page_cards", items)
    dd2, sound, geo, mcvd, broken = items
    # "Oct 23 2": no year, so the year of capture: one after the latest explicit year (2024).
    assert (dd2.featured_date, dd2.upvotes, dd2.author_count) == (date(2025, 10, 23), 2, 7)
    assert (sound.organization, sound.featured_date, sound.upvotes) == ("Sony", date(2024, 5, 28), 0)
    assert (geo.featured_date, geo.upvotes, geo.author_count) == (None, None, None)
    assert (mcvd.featured_date, mcvd.upvotes, mcvd.author_count) == (date(2022, 5, 19), 15, 3)
    assert isinstance(broken, Rejected)
    assert (
        str(broken)
        == "cards.txt card 5 (record A Card With a Broken Date): card without an abstract or a readable date"
    )


def test_capture_year_can_be_given() -> None:
    items = parse_page(fixture_bytes("pages/cards.txt"), capture_year=2030)
    assert items[0].featured_date == date(2030, 10, 23)


def test_wrong_encoding_names_the_line() -> None:
    with pytest.raises(SourceError, match=r"bad_encoding.txt:2: not UTF-8 \(byte 0xff\)"):
        parse_page(fixture_bytes("pages/bad_encoding.txt"), "bad_encoding.txt")


@pytest.mark.skipif(not SEEDS.exists(), reason="shared/seeds is not beside this checkout")
def test_seed_pages_parse_completely() -> None:
    counts, distinct = [], set()
    for path in sorted(SEEDS.glob("*.txt")):
        items = parse_page(path.read_bytes(), path.name)
        assert not [i for i in items if isinstance(i, Rejected)]
        counts.append(len(items))
        distinct.update(i.id for i in items)
    assert counts == [119, 119, 74, 67, 207]
    assert len(distinct) == 538
