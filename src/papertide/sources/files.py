"""Reading a local file in any supported format, detected from its first bytes when not given."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, cast

import orjson

from . import Item, SourceError
from .arxiv_atom import parse_atom
from .hf_daily import parse_hf_daily
from .jsonl import parse_jsonl
from .oai import parse_oai
from .pages import parse_page
from .snapshot import parse_snapshot

FORMATS = ("auto", "arxiv-atom", "oai", "snapshot", "hf-daily", "page", "jsonl")
_SNAPSHOT_KEYS = {"versions", "authors_parsed", "update_date", "journal-ref"}


def _open(path: Path) -> IO[bytes]:
    return cast(IO[bytes], gzip.open(path, "rb")) if path.suffix == ".gz" else path.open("rb")


def detect_format(path: Path) -> str:
    with _open(path) as f:
        head = f.read(65536).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        if b"http://www.w3.org/2005/Atom" in head:
            return "arxiv-atom"
        if b"http://www.openarchives.org/OAI/2.0/" in head:
            return "oai"
        raise SourceError(f"{path}: XML that is neither an arXiv Atom feed nor an OAI-PMH response")
    if head.startswith(b"["):
        return "hf-daily"
    if head.startswith(b"{"):
        try:
            first = orjson.loads(head.split(b"\n", 1)[0])
        except orjson.JSONDecodeError:
            return "jsonl"
        return "snapshot" if isinstance(first, dict) and _SNAPSHOT_KEYS & first.keys() else "jsonl"
    return "page"


def read_path(
    path: Path,
    fmt: str = "auto",
    capture_year: int | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[Item]:
    """The records of one file. Line formats stream (constant memory); documents are read whole.
    `on_bytes` is told how many bytes were consumed, for a progress bar."""
    if fmt == "auto":
        fmt = detect_format(path)
    where = str(path)
    if fmt in ("snapshot", "jsonl"):
        with _open(path) as f:
            lines = _counted(f, on_bytes) if on_bytes else f
            parse = parse_snapshot if fmt == "snapshot" else parse_jsonl
            yield from parse(lines, where)
        return
    with _open(path) as f:
        data = f.read()
    if on_bytes:
        on_bytes(len(data))
    if fmt == "arxiv-atom":
        yield from parse_atom(data, where).items
    elif fmt == "oai":
        yield from parse_oai(data, where).items
    elif fmt == "hf-daily":
        yield from parse_hf_daily(data, where)
    elif fmt == "page":
        yield from parse_page(data, where, capture_year=capture_year)
    else:
        raise SourceError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")


def _counted(f: IO[bytes], on_bytes: Callable[[int], None]) -> Iterator[bytes]:
    pending = 0
    for line in f:
        pending += len(line)
        if pending >= 1 << 20:
            on_bytes(pending)
            pending = 0
        yield line
    on_bytes(pending)
