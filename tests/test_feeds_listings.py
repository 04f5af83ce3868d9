from datetime import date, datetime

import pytest

from papertide.catalogue.imports import ingest
from papertide.feeds import listings as feed
from papertide.sources.hf_daily import parse_hf_daily
from papertide.sources.jsonl import parse_jsonl
from papertide.store.sql import SqlStore

from conftest import fixture_bytes


def test_parse_period_day_week_month() -> None:
    day = feed.parse_period(day="2025-10-29")
    week = feed.parse_period(week="2025-W44")
    month = feed.parse_period(month="2025-12")
    assert (day.kind, day.start, day.end, day.key) == ("day", date(2025, 10, 29), date(2025, 10, 30), "2025-10-29")  # type: ignore[union-attr]
    assert (week.start, week.end, week.key) == (date(2025, 10, 27), date(2025, 11, 3), "2025-W44")  # type: ignore[union-attr]
    assert (month.start, month.end, month.key) == (date(2025, 12, 1), date(2026, 1, 1), "2025-12")  # type: ignore[union-attr]
    assert feed.parse_period() is None
    assert week.label == "Week 44: Oct 27 – Nov 2, 2025"  # type: ignore[union-attr]
    assert day.label == "Wednesday, Oct 29, 2025"  # type: ignore[union-attr]


def test_period_shifts() -> None:
    assert feed.parse_period(month="2025-12").shifted(1).key == "2026-01"  # type: ignore[union-attr]
    assert feed.parse_period(month="2025-01").shifted(-1).key == "2024-12"  # type: ignore[union-attr]
    assert feed.parse_period(week="2025-W01").shifted(-1).key == "2024-W52"  # type: ignore[union-attr]
    assert feed.parse_period(day="2024-03-01").shifted(-1).key == "2024-02-29"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"day": "2025-02-30"}, "'2025-02-30' is not a day of the calendar"),
        ({"week": "2025-44"}, "'2025-44' is not a week like 2025-W44"),
        ({"week": "2025-W54"}, "2025 has weeks 1 to 52"),
        ({"week": "2020-W54"}, "2020 has weeks 1 to 53"),
        ({"month": "2025-13"}, "the month must be between 01 and 12"),
        ({"month": "October"}, "'October' is not a month like 2025-10"),
        ({"day": "9999-12-31"}, "the year must be between 1900 and 2199"),
        ({"week": "0001-W01"}, "the year must be between 1900 and 2199"),
        ({"month": "0001-01"}, "the year must be between 1900 and 2199"),
        ({"day": "2025-10-01", "month": "2025-10"}, "give one of"),
    ],
)
def test_bad_periods_say_why(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(feed.PeriodError, match=message):
        feed.parse_period(**kwargs)


@pytest.fixture
def featured(store: SqlStore) -> SqlStore:
    ingest(store, parse_hf_daily(fixture_bytes("hf/feed_2025-W45.json")))
    return store


def test_daily_opens_on_the_latest_day_with_papers(featured: SqlStore) -> None:
    listing = feed.daily(featured, None, today=date(2025, 11, 20))
    assert listing.period.key == "2025-11-05"
    assert [p.id for p in listing.papers] == ["2511.00003"]
    assert (listing.previous.key, listing.next) == ("2025-11-04", None)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("filled", "opens_on"),
    [(1, "2025-11-05"), (2, "2025-W45"), (4, "2025-W45"), (5, "2025-11")],
)
def test_home_widens_a_thin_day_to_its_week_then_its_month(featured: SqlStore, filled: int, opens_on: str) -> None:
    # Featured: Nov 5 (1 paper), Nov 4 (2), Nov 3 (1), Oct 20 (1): week 45 and November hold 4.
    assert feed.opening(featured, date(2025, 11, 20), filled).key == opens_on  # type: ignore[union-attr]


def test_home_passes_over_a_thin_new_month_for_a_full_one(featured: SqlStore) -> None:
    ingest(featured, parse_jsonl([b'{"id": "2512.00001", "title": "A December paper", "featured_date": "2025-12-01"}']))
    assert feed.opening(featured, date(2025, 12, 20), 4).key == "2025-11"  # type: ignore[union-attr]
    # No month of the three is full: the fullest, the latest of equals.
    assert feed.opening(featured, date(2025, 12, 20), 9).key == "2025-11"  # type: ignore[union-attr]
    assert feed.opening(featured, date(2025, 12, 20), 1).key == "2025-12-01"  # type: ignore[union-attr]


def test_home_of_an_empty_catalogue_is_today(store: SqlStore) -> None:
    assert feed.opening(store, date(2025, 12, 20)) is None
    assert feed.daily(store, None, date(2025, 12, 20)).period.key == "2025-12-20"


def test_daily_previous_and_next_skip_empty_days(featured: SqlStore) -> None:
    listing = feed.daily(featured, feed.parse_period(day="2025-11-03"), today=date(2025, 11, 20))
    assert (listing.previous.key, listing.next.key) == ("2025-10-20", "2025-11-04")  # type: ignore[union-attr]


def test_trending_is_anchored_at_the_latest_featured_day(featured: SqlStore) -> None:
    # A month later nothing is fresh: trending is computed as of the end of the latest featured day.
    assert feed.trending_anchor(featured, datetime(2025, 12, 5)) == datetime(2025, 11, 6)
    ranked = feed.trending(featured, datetime(2025, 12, 5))
    assert [p.id for p, _ in ranked] == ["2511.00003", "2511.00004", "2511.00001", "2511.00002"]  # Oct 20: too old
