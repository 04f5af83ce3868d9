from datetime import date, datetime

import pytest

from papertide.model import Author
from papertide.sources import SourceError
from papertide.sources.http import PoliteClient
from papertide.sources.oai import fetch, parse_oai, split_author_string

from conftest import LocalServer, assert_golden, fixture_bytes, serve_file


def test_parse_arxiv_format_golden() -> None:
    page = parse_oai(fixture_bytes("oai/arxiv_page1.xml"), "arxiv_page1.xml")
    assert (page.token, page.complete_size) == ("6960524|1001", 3)
    assert len(page.items) == 1  # the deleted record is skipped
    assert_golden("oai_arxiv_page1", page.items)
    paper = page.items[0]
    assert paper.authors == (Author("Jürgen Müller", "ETH Zürich"), Author("Martin Luther King Jr"))
    assert paper.title == "Hierarchical Search for Scientific Hypotheses"
    assert (paper.published, paper.updated) == (datetime(2025, 10, 1), datetime(2025, 10, 2))
    assert paper.code_url == "https://github.com/example/hsearch"


def test_parse_arxivraw_versions() -> None:
    (paper,) = parse_oai(fixture_bytes("oai/arxivraw.xml"), "arxivraw.xml").items
    assert_golden("oai_arxivraw", [paper])
    assert paper.version == 2
    assert paper.published == datetime(2007, 4, 2, 19, 18, 42)
    assert paper.updated == datetime(2007, 7, 24, 20, 10, 27)
    assert [a.name for a in paper.authors] == ["C. Bal\\'azs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]


def test_last_page_has_no_token() -> None:
    page = parse_oai(fixture_bytes("oai/arxiv_page2.xml"))
    assert page.token is None
    assert [(p.id, p.journal_ref) for p in page.items] == [("math/0309136", "Ann. Math. 1 (2004)")]


def test_no_records_match_is_empty_not_an_error() -> None:
    assert parse_oai(fixture_bytes("oai/no_records.xml")).items == []


def test_other_oai_errors_raise() -> None:
    with pytest.raises(SourceError, match="badResumptionToken: The value of the resumptionToken"):
        parse_oai(fixture_bytes("oai/bad_token.xml"))


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("A. One, B. Two and C. Three", ["A. One", "B. Two", "C. Three"]),
        ("A. One, B. Two, and C. Three", ["A. One", "B. Two", "C. Three"]),
        ("Solo Author", ["Solo Author"]),
        ("A. One (MIT), B. Two (CMU)", ["A. One", "B. Two"]),
    ],
)
def test_split_author_string(text: str, names: list[str]) -> None:
    assert split_author_string(text) == names


def test_fetch_follows_resumption_tokens(local_server: LocalServer) -> None:
    def oai(query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        name = "oai/arxiv_page2.xml" if query.get("resumptionToken") == "6960524|1001" else "oai/arxiv_page1.xml"
        return serve_file(name, "text/xml")(query)

    local_server.route("/oai", oai)
    client = PoliteClient(delay=0)
    items = list(fetch(client, set_spec="cs", since=date(2025, 10, 1), base_url=local_server.url + "/oai"))
    assert [i.id for i in items] == ["2510.00001", "math/0309136"]
    assert [q for _, q in local_server.requests] == [
        {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "from": "2025-10-01"},
        {"verb": "ListRecords", "resumptionToken": "6960524|1001"},
    ]
