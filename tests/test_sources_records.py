"""What every record must be before the catalogue takes it (sources/records.py, issue 16 items
2, 3, 14, 16): types checked, non-text characters dropped, only arXiv categories, only http(s) links."""

from __future__ import annotations

from datetime import datetime

import pytest

from papertide.model import Author, Paper
from papertide.sources.records import clean_paper
from papertide.text import clean_line


def test_control_characters_and_bidi_overrides_are_dropped_from_every_text_field() -> None:
    paper = Paper(
        id="2401.00001",
        title="Score\x00 matching\x01 \u202egnihctam\u202c\ttwice\n",
        abstract="An\x0b abstract\x7f with \x85 controls \ud800 and \ufffe",
        authors=(Author("Ada\x00 Lovelace", "Analytical\x1b Engine"),),
        comments="12 pages\x08",
    )
    cleaned = clean_paper(paper)
    assert cleaned.title == "Score matching gnihctam twice"
    assert cleaned.abstract == "An abstract with controls and"
    assert cleaned.authors == (Author("Ada Lovelace", "Analytical Engine"),)
    assert cleaned.comments == "12 pages"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "http:///no-host",
        "file:///etc/passwd",
        "https://exa mple.com/",
    ],
)
def test_only_http_links_survive(url: str) -> None:
    cleaned = clean_paper(Paper(id="x1", title="T", code_url=url, project_url=url))
    assert (cleaned.code_url, cleaned.project_url) == (None, None)


def test_http_links_are_kept() -> None:
    cleaned = clean_paper(Paper(id="x1", title="T", code_url="https://github.com/a/b", project_url="http://a.org/p"))
    assert (cleaned.code_url, cleaned.project_url) == ("https://github.com/a/b", "http://a.org/p")


def test_categories_keep_arxiv_ids_only() -> None:
    paper = Paper(
        id="x1",
        title="T",
        primary_category="20M20, 20M10",
        categories=("math.GR", "20M20,", "20M10,", "05C12,", "I.2.7", "cond-mat.mes-hall", "hep-th", "math.GR"),
    )
    cleaned = clean_paper(paper)
    assert cleaned.categories == ("math.GR", "cond-mat.mes-hall", "hep-th")
    assert cleaned.primary_category == "math.GR"
    assert clean_paper(cleaned) == cleaned  # cleaning is idempotent: a re-import changes nothing


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"code_url": ["x"]}, "'code_url' must be text, not list"),
        ({"categories": (1, 2)}, "'categories' must be a list of category ids \\(text\\)"),
        ({"authors": (Author("A", {"name": "MIT"}),)}, "'affiliation' must be text, not dict"),  # type: ignore[arg-type]
        ({"upvotes": "12"}, "'upvotes' must be a whole number, not str"),
        ({"upvotes": True}, "'upvotes' must be a whole number, not bool"),
        ({"upvotes": -1}, "'upvotes' must be a whole number from 0 to 2147483647"),
        ({"upvotes": 2**63}, "'upvotes' must be a whole number from 0 to 2147483647"),
        ({"abstract": "x" * 20_001}, "'abstract' is too long: 20,001 characters, at most 20,000"),
        ({"comments": "c" * 2_001}, "'comments' is too long: 2,001 characters, at most 2,000"),
        ({"categories": tuple(f"cs.A{i}" for i in range(51))}, "'categories' is too long: 51 categories, at most 50"),
        ({"published": "2024-01-01"}, "'published' must be a date-time, not str"),
        ({"featured_date": datetime(2024, 1, 1)}, "'featured_date' must be a date, not datetime"),
        ({"title": "\x00\x01"}, "the title is empty"),
    ],
)
def test_wrong_types_are_refused_naming_the_field(changes: dict[str, object], message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        clean_paper(Paper(id="x1", title="T").replace(**changes))


def test_clean_line() -> None:
    assert clean_line("  a\tb\r\n c\x00d ") == "a b cd"


@pytest.mark.parametrize("bad", ["../papers/local-fa12f08e99cd", "a/b", "x" * 65, "id with space", "a?vote"])
def test_a_record_whose_id_is_outside_the_grammar_is_rejected_naming_it(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a paper id"):
        clean_paper(Paper(id=bad, title="A title"))
    assert clean_paper(Paper(id="hep-th/9901001", title="A title")).id == "hep-th/9901001"
