from datetime import datetime

import pytest

from papertide.model import Author
from papertide.sources import SourceError
from papertide.sources.arxiv_atom import category_query, fetch, parse_atom
from papertide.sources.http import PoliteClient

from conftest import LocalServer, assert_golden, fixture_bytes, serve_file


def test_parse_page_golden() -> None:
    page = parse_atom(fixture_bytes("arxiv/query_page1.xml"), "query_page1.xml")
    assert (page.total, page.start, len(page.items)) == (3, 0, 2)
    assert_golden("arxiv_query_page1", page.items)


def test_parse_entry_fields() -> None:
    first, old = parse_atom(fixture_bytes("arxiv/query_page1.xml")).items
    assert first.id == "2510.25021" and first.version == 2
    assert first.title == (
        "Distilled Decoding 2: One-step Sampling of Image Auto-regressive Models with Conditional Score Distillation"
    )
    assert first.authors == (Author("Enshu Liu", "Tsinghua University"), Author("Qian Chen"))
    assert (first.primary_category, first.categories) == ("cs.CV", ("cs.CV", "cs.LG"))
    assert first.published == datetime(2025, 10, 28, 17, 59, 58)
    assert first.updated == datetime(2025, 10, 30, 17, 59, 58)
    assert first.code_url == "https://github.com/imagination-research/Distilled-Decoding-2"
    assert old.id == "hep-th/9901001" and old.version == 1
    assert old.title == "An Old-Style Identifier & Entities: $\\alpha$-Branes"
    assert old.abstract == "We study $\\alpha$-branes <script>alert(1)</script> in a toy model."
    assert old.doi == "10.1016/S0370-2693(99)00001-1"


def test_api_error_is_reported() -> None:
    with pytest.raises(SourceError, match=r"arXiv API error: incorrect id format for 1234\.12345"):
        parse_atom(fixture_bytes("arxiv/error.xml"))


def test_truncated_xml_names_the_line() -> None:
    with pytest.raises(SourceError, match=r"truncated.xml: not well-formed XML at line \d+"):
        parse_atom(fixture_bytes("arxiv/truncated.xml"), "truncated.xml")


def test_not_a_feed() -> None:
    with pytest.raises(SourceError, match="not an Atom feed"):
        parse_atom(b"<html><body>Service unavailable</body></html>")


def test_category_query() -> None:
    query = category_query("cs.LG", datetime(2025, 10, 1), datetime(2025, 10, 8, 23, 59))
    assert query == "cat:cs.LG AND submittedDate:[202510010000 TO 202510082359]"


def test_fetch_follows_pages_over_http(local_server: LocalServer) -> None:
    pages = {"0": "arxiv/query_page1.xml", "2": "arxiv/query_page2.xml"}
    local_server.route("/api/query", lambda q: serve_file(pages[q["start"]])(q))
    sleeps: list[float] = []
    client = PoliteClient(delay=3.0, sleep=sleeps.append, clock=lambda: 0.0)
    items = list(fetch(client, search_query="cat:cs.LG", base_url=local_server.url + "/api/query", page_size=2))
    assert [i.id for i in items] == ["2510.25021", "hep-th/9901001", "2510.26001"]
    assert [q["start"] for _, q in local_server.requests] == ["0", "2"]
    assert local_server.requests[0][1] == {
        "start": "0",
        "max_results": "2",
        "search_query": "cat:cs.LG",
        "sortBy": "submittedDate",
        "sortOrder": "ascending",
    }
    assert sleeps == [3.0]  # the polite delay between the two requests


def test_fetch_retries_503_then_succeeds(local_server: LocalServer) -> None:
    answers = iter([(503, {"Retry-After": "5"}, b"busy"), (200, {}, fixture_bytes("arxiv/id_2510.25021v3.xml"))])
    local_server.route("/api/query", lambda q: next(answers))
    sleeps: list[float] = []
    client = PoliteClient(delay=0, sleep=sleeps.append)
    items = list(fetch(client, id_list=["2510.25021"], base_url=local_server.url + "/api/query"))
    assert [(i.id, i.version) for i in items] == [("2510.25021", 3)]
    assert sleeps == [5.0]


def test_fetch_gives_up_on_404(local_server: LocalServer) -> None:
    client = PoliteClient(delay=0, sleep=lambda s: None)
    with pytest.raises(SourceError, match="answered HTTP 404"):
        list(fetch(client, id_list=["2510.25021"], base_url=local_server.url + "/nowhere"))


def test_wrong_encoding_names_the_line() -> None:
    data = fixture_bytes("arxiv/query_page2.xml").replace(b"Bo Zhang", b"Bo Zh\xe4ng")  # Latin-1 byte in UTF-8
    expected = r"page2\.xml: not well-formed XML at line 15: Invalid bytes in character encoding"
    with pytest.raises(SourceError, match=expected):
        parse_atom(data, "page2.xml")
