from datetime import date, datetime

from papertide.model import Author, Paper
from papertide.sources import Rejected
from papertide.sources.jsonl import parse_jsonl

from conftest import FIXTURES, assert_golden


def _read(name: str) -> list:
    with (FIXTURES / name).open("rb") as f:
        return list(parse_jsonl(f, name.split("/")[-1]))


def test_collection_golden() -> None:
    items = _read("jsonl/collection.jsonl")
    assert_golden("jsonl_collection", items)
    beir, own, versioned = items
    assert (beir.id, beir.abstract[:25]) == ("4983", "Alterations of the archit")
    assert own.authors == (Author("Ada Lovelace"), Author("Charles Babbage", "Cambridge"))
    assert (own.published, own.categories, own.primary_category) == (
        datetime(2024, 5, 1),
        ("cs.LG", "stat.ML"),
        "cs.LG",
    )
    assert (versioned.id, versioned.version) == ("2310.01234", 2)
    assert [a.name for a in versioned.authors] == ["A. One", "B. Two", "C. Three"]


def test_malformed_lines() -> None:
    items = _read("jsonl/malformed.jsonl")
    assert [i.id for i in items if isinstance(i, Paper)] == ["doc-2", "doc-8"]
    assert [str(i) for i in items if isinstance(i, Rejected)] == [
        "malformed.jsonl:2: not valid JSON (unexpected control character in string: line 1 column 32 (char 31))",
        "malformed.jsonl:3 (record doc-4): missing field 'title'",
        "malformed.jsonl:4 (record no id): missing field 'id'",
        "malformed.jsonl:5 (record doc-5): 'upvotes' must be a whole number from 0 to 2147483647",
        "malformed.jsonl:6 (record Bad id): bad id 'doc 6 has spaces'",
        "malformed.jsonl:7 (record doc-7): day is out of range for month",
    ]


def test_export_form_round_trips() -> None:
    paper = Paper(
        id="local-0123456789ab",
        title="T",
        abstract="A",
        authors=(Author("X", "Org"),),
        author_count=7,
        organization="Sony",
        featured_date=date(2025, 10, 23),
        published=datetime(2025, 10, 23),
        upvotes=2,
        code_url="https://github.com/a/b",
        source="page",
        version=None,
    )
    import orjson

    (back,) = parse_jsonl([orjson.dumps(paper.to_json())])
    assert back == paper


def test_fields_of_the_wrong_type_are_rejected_with_the_reason() -> None:
    lines = [
        b'{"id": "a1", "title": "T", "abstract": ["a", "list"]}\n',
        b'{"id": "a2", "title": "T", "text": {"an": "object"}}\n',
        b'{"id": "a3", "title": "T", "version": "two"}\n',
        b'{"id": "a4", "title": "T", "abstract": 12}\n',
        b'{"id": "a5", "title": "Fine", "abstract": "Text."}\n',
    ]
    items = list(parse_jsonl(lines, "typed.jsonl"))
    assert [str(i) for i in items if isinstance(i, Rejected)] == [
        "typed.jsonl:1 (record a1): expected text, not list",
        "typed.jsonl:2 (record a2): expected text, not dict",
        "typed.jsonl:3 (record a3): 'version' must be a whole number from 0 to 2147483647",
        "typed.jsonl:4 (record a4): expected text, not int",
    ]
    assert [i.id for i in items if isinstance(i, Paper)] == ["a5"]
