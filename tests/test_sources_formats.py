"""Format detection is positive (issue 16, item 12): every fixture is recognised as its own
format; anything else is refused with what it seems to be, never imported as junk papers."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from papertide.model import Author, Paper
from papertide.sources import SourceError
from papertide.sources.files import detect_format, read_path
from papertide.sources.formats import BY_NAME, SOURCE_RANK

from conftest import FIXTURES

KNOWN = {
    "arxiv/query_page1.xml": "arxiv-atom",
    "arxiv/empty.xml": "arxiv-atom",
    "arxiv/id_2510.25021v3.xml": "arxiv-atom",
    "oai/arxiv_page1.xml": "oai",
    "oai/arxivraw.xml": "oai",
    "oai/no_records.xml": "oai",
    "snapshot/sample.jsonl": "snapshot",
    "hf/feed_2025-W45.json": "hf-daily",
    "hf/daily_2025-10-29.json": "hf-daily",
    "jsonl/small_corpus.jsonl": "jsonl",
    "jsonl/collection.jsonl": "jsonl",
    "pages/cards.txt": "page",
    "pages/pairs.txt": "page",
}


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_every_fixture_is_recognised_as_its_format(name: str) -> None:
    assert detect_format(FIXTURES / name) == KNOWN[name]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


ATOM = (FIXTURES / "arxiv/query_page1.xml").read_bytes()
JUNK = {
    "curl-i.xml": (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/atom+xml\r\n\r\n" + ATOM,
        "HTTP status line",
    ),
    "rate-limited.txt": (b"Too Many Requests\n", "starts with 'Too Many Requests'"),
    "papers.csv": (b"id,title,abstract\n2401.00001,A title,An abstract\n", "starts with 'id,title,abstract'"),
    "error.html": (b"<!DOCTYPE html>\n<html><body><h1>502 Bad Gateway</h1></body></html>\n", "HTML page"),
    "empty.jsonl": (b"", "empty"),
    "blank.txt": (b"  \n\n\t\n", "empty"),
    "other.xml": (b"<?xml version='1.0'?><rss version='2.0'><channel/></rss>", "neither an arXiv Atom feed"),
    "other.json": (b'{"name": "not a paper", "size": 3}\n', "JSON without the fields"),
    "list.json": (b"[1, 2, 3]", "JSON without the fields"),
}


@pytest.mark.parametrize("name", sorted(JUNK))
def test_unrecognised_files_are_refused_with_what_they_seem(tmp_path: Path, name: str) -> None:
    data, said = JUNK[name]
    with pytest.raises(SourceError) as err:
        list(read_path(write(tmp_path, name, data)))
    assert said in str(err.value)
    assert "give --format" in str(err.value) or "empty" in str(err.value)


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html>\n<html><head><title>Error</title></head><body>Daily Papers</body></html>",
        b"Too Many Requests\n",
        b"id,title,abstract\n2401.00001,A title,An abstract long enough to pass for one\n",
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 5\r\n\r\nslow down\n",
    ],
)
def test_the_page_parser_refuses_what_is_not_a_result_page(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(SourceError, match=r"not .*result page"):
        list(read_path(write(tmp_path, "x.txt", data), fmt="page"))


@pytest.mark.parametrize("fmt", ["jsonl", "snapshot", "hf-daily", "arxiv-atom", "page"])
def test_an_empty_file_is_an_error_in_every_format(tmp_path: Path, fmt: str) -> None:
    with pytest.raises(SourceError, match="empty"):
        list(read_path(write(tmp_path, "empty", b"\n"), fmt=fmt))


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_a_byte_order_mark_and_gzip_without_gz_read_the_same(tmp_path: Path, name: str) -> None:
    original = (FIXTURES / name).read_bytes()
    plain = list(read_path(FIXTURES / name, capture_year=2025))
    with_bom = write(tmp_path, "bom", b"\xef\xbb\xbf" + original)
    gzipped = write(tmp_path, "data.bin", gzip.compress(original))
    assert list(read_path(with_bom, capture_year=2025)) == _renamed(plain, FIXTURES / name, with_bom)
    assert list(read_path(gzipped, capture_year=2025)) == _renamed(plain, FIXTURES / name, gzipped)


def _renamed(items: list[object], old: Path, new: Path) -> list[object]:
    """Rejections name the file they came from."""
    from papertide.sources import Rejected

    return [
        Rejected(i.where.replace(str(old), str(new)), i.record, i.reason) if isinstance(i, Rejected) else i
        for i in items
    ]


def test_hf_bare_paper_objects_and_a_single_paper_are_read(tmp_path: Path) -> None:
    paper = {
        "id": "2511.00001",
        "title": "Sparse Attention",
        "summary": "We make attention sparse.",
        "upvotes": 3,
        "publishedAt": "2025-11-02T18:00:00.000Z",
        "submittedOnDailyAt": "2025-11-04T13:00:00.000Z",
        "submittedOnDailyBy": {"_id": "u1", "fullname": "Ada Lovelace", "user": "ada", "type": "user"},
    }
    listed = list(read_path(write(tmp_path, "list.json", orjson.dumps([paper]))))
    single = list(read_path(write(tmp_path, "one.json", orjson.dumps(paper, option=orjson.OPT_INDENT_2))))
    assert listed == single
    (found,) = single
    assert isinstance(found, Paper)
    assert (found.id, found.upvotes, found.submitted_by) == ("2511.00001", 3, "ada")
    assert str(found.featured_date) == "2025-11-04"


def test_snapshot_affiliations_are_kept(tmp_path: Path) -> None:
    record = {
        "id": "2401.00001",
        "title": "T",
        "abstract": "A",
        "categories": "cs.LG",
        "versions": [{"version": "v1", "created": "Mon, 1 Jan 2024 10:00:00 GMT"}],
        "update_date": "2024-01-02",
        "authors_parsed": [["Lovelace", "Ada", "", "Analytical Engine Society"], ["Turing", "Alan", ""]],
    }
    (paper,) = read_path(write(tmp_path, "s.jsonl", orjson.dumps(record) + b"\n"))
    assert isinstance(paper, Paper)
    assert paper.authors == (Author("Ada Lovelace", "Analytical Engine Society"), Author("Alan Turing"))


def test_every_format_has_a_merge_rank() -> None:
    assert {f.source for f in BY_NAME.values()} <= SOURCE_RANK.keys()
    assert SOURCE_RANK["arxiv"] > SOURCE_RANK["hf-daily"] > SOURCE_RANK["jsonl"] > SOURCE_RANK["page"]
