from datetime import date, datetime

import pytest

from papertide.sources import Rejected, SourceError
from papertide.sources.hf_daily import fetch, parse_hf_daily
from papertide.sources.http import PoliteClient

from conftest import LocalServer, assert_golden, fixture_bytes


def test_parse_golden() -> None:
    items = parse_hf_daily(fixture_bytes("hf/daily_2025-10-29.json"), "daily.json")
    assert_golden("hf_daily_2025-10-29", items)
    dd2, sound, bad = items
    assert (dd2.id, dd2.featured_date, dd2.upvotes, dd2.submitted_by) == (
        "2510.25021",
        date(2025, 10, 29),
        12,
        "akhaliq",
    )
    assert dd2.published == datetime(2025, 10, 28, 17, 59, 58)
    assert dd2.organization == "Tsinghua University"
    assert dd2.code_url == "https://github.com/imagination-research/Distilled-Decoding-2"
    assert (sound.organization, sound.project_url, sound.featured_date) == (
        "Sony",
        "https://example.org/soundctm",
        date(2025, 10, 29),
    )
    assert (
        isinstance(bad, Rejected)
        and str(bad) == "daily.json[2] (record An entry without an id): missing field 'paper.id'"
    )


def test_truncated_json_is_a_clear_error() -> None:
    data = fixture_bytes("hf/daily_2025-10-29.json")[:300]
    with pytest.raises(SourceError, match=r"daily\.json: not valid JSON"):
        parse_hf_daily(data, "daily.json")


def test_fetch_pages_until_short_page(local_server: LocalServer) -> None:
    day = fixture_bytes("hf/daily_2025-10-29.json")
    local_server.route("/api/daily_papers", lambda q: (200, {}, day if q["p"] == "0" else b"[]"))
    items = list(fetch(PoliteClient(delay=0), date(2025, 10, 29), local_server.url + "/api/daily_papers", page_size=3))
    assert len(items) == 3
    assert [q for _, q in local_server.requests] == [
        {"date": "2025-10-29", "limit": "3", "p": "0"},
        {"date": "2025-10-29", "limit": "3", "p": "1"},
    ]


def test_a_title_or_summary_that_is_not_text_is_rejected_with_the_reason() -> None:
    data = (
        b'[{"paper": {"id": "2511.00001", "title": [null], "summary": "s"}},'
        b' {"paper": {"id": "2511.00002", "title": "Fine", "summary": {"x": 1}}},'
        b' {"title": 7, "paper": {"id": "2511.00003", "summary": "s"}},'
        b' {"paper": {"id": "2511.00004", "title": "Fine", "summary": "Text."}}]'
    )
    items = parse_hf_daily(data, "daily")
    assert [str(i) for i in items if isinstance(i, Rejected)] == [
        "daily[0] (record 2511.00001): title or summary: expected text, not list",
        "daily[1] (record 2511.00002): title or summary: expected text, not dict",
        "daily[2] (record 2511.00003): title or summary: expected text, not int",
    ]
    assert [i.id for i in items if not isinstance(i, Rejected)] == ["2511.00004"]
