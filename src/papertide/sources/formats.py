"""The file formats papertide reads, in one registry: `import --format`, format detection, the
parallel reader and merge ranking all read it. A new format is one more `Format` here.

Detection is positive: a file is a format only when its first bytes show that format's own marks
(an Atom feed element, an OAI-PMH envelope, JSON objects with the format's keys, a result page's
header). Anything else is refused with what was seen, never guessed into papers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import orjson

from papertide.sources import Item, SourceError
from papertide.sources.arxiv_atom import parse_atom
from papertide.sources.hf_daily import looks_like_hf_daily, parse_hf_daily
from papertide.sources.jsonl import parse_jsonl
from papertide.sources.oai import parse_oai
from papertide.sources.pages import looks_like_page, parse_page
from papertide.sources.snapshot import SNAPSHOT_KEYS, parse_snapshot

# How much of a file detection looks at.
HEAD_BYTES = 65536


@dataclass(frozen=True)
class Format:
    """A format: its name (`--format`), the `Paper.source` its records carry and their merge rank, how it recognises
    its own first bytes (BOM and leading whitespace removed), and its parser. Line formats stream;
    documents are read whole and parsed with the capture year (result pages need it)."""

    name: str
    source: str
    rank: int  # merge authority among records without an arXiv version date (merge.py)
    recognise: Callable[[bytes], bool]
    parse_lines: Callable[[Iterable[bytes], str], Iterator[Item]] | None = None
    parse_document: Callable[[bytes, str, int | None], Iterable[Item]] | None = None

    @property
    def streams(self) -> bool:
        return self.parse_lines is not None


_ATOM_FEED = re.compile(rb"<(?:[\w.-]+:)?feed\b[^>]*[\"']http://www\.w3\.org/2005/Atom[\"']", re.S)
_OAI_ENVELOPE = re.compile(rb"<(?:[\w.-]+:)?OAI-PMH\b[^>]*[\"']http://www\.openarchives\.org/OAI/2\.0/[\"']", re.S)


def _first_json_line(head: bytes) -> object:
    try:
        return orjson.loads(head.split(b"\n", 1)[0])
    except orjson.JSONDecodeError:
        return None


def _is_snapshot(head: bytes) -> bool:
    first = _first_json_line(head)
    return isinstance(first, dict) and bool(SNAPSHOT_KEYS & first.keys()) and "id" in first


def _is_jsonl(head: bytes) -> bool:
    first = _first_json_line(head)
    return isinstance(first, dict) and ("id" in first or "_id" in first) and "title" in first


FORMATS: tuple[Format, ...] = (
    Format("arxiv-atom", "arxiv", 3, lambda h: h.startswith(b"<") and bool(_ATOM_FEED.search(h)),
           parse_document=lambda data, where, _year: parse_atom(data, where).items),
    Format("oai", "oai", 3, lambda h: h.startswith(b"<") and bool(_OAI_ENVELOPE.search(h)),
           parse_document=lambda data, where, _year: parse_oai(data, where).items),
    Format("snapshot", "snapshot", 3, _is_snapshot, parse_lines=parse_snapshot),
    Format("hf-daily", "hf-daily", 2, looks_like_hf_daily, parse_document=lambda d, w, _y: parse_hf_daily(d, w)),
    Format("jsonl", "jsonl", 1, _is_jsonl, parse_lines=parse_jsonl),
    Format("page", "page", 0, looks_like_page,
           parse_document=lambda data, where, year: parse_page(data, where, capture_year=year)),
)  # fmt: skip
BY_NAME = {f.name: f for f in FORMATS}
NAMES = ("auto", *BY_NAME)


def by_name(name: str) -> Format:
    try:
        return BY_NAME[name]
    except KeyError:
        raise SourceError(f"unknown format {name!r}; choose from {', '.join(NAMES)}") from None


def detect(head: bytes, where: str) -> Format:
    """The format whose marks `head` (a file's first bytes, BOM removed) shows; else SourceError
    saying what the file seems to be instead."""
    head = head.lstrip(b" \t\r\n")
    for fmt in FORMATS:
        if fmt.recognise(head):
            return fmt
    raise SourceError(f"{where}: {_what_it_is(head)}; cannot tell which format it is (give --format)")


def _what_it_is(head: bytes) -> str:
    """A reader's description of an unrecognised file, with a hint where one helps."""
    if not head:
        return "the file is empty"
    start = head[:200].decode("utf-8", "replace")
    if re.match(r"HTTP/\d(\.\d)? \d{3}", start):
        return "it starts with an HTTP status line: saved with its headers (curl -i?); save only the body"
    lowered = start.lower()
    if lowered.startswith(("<!doctype html", "<html")) or "<html" in lowered:
        return "it is an HTML page (a captured result page is the page's text, not its HTML)"
    if head.startswith(b"<"):
        return "it is XML but neither an arXiv Atom feed nor an OAI-PMH response"
    if head.startswith((b"{", b"[")):
        return "it is JSON without the fields of the arXiv snapshot, HF daily papers or papertide's JSON lines"
    first_line = start.splitlines()[0][:80] if start.strip() else ""
    return f"it starts with {first_line!r}"


# Merge authority by `Paper.source` (see merge.py): the arXiv family over HF daily over a lab's JSON
# lines over captured result pages.
SOURCE_RANK = {f.source: f.rank for f in FORMATS}
