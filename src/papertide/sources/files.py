"""Reading a local file in any registered format (sources/formats.py), detected from its first
bytes when not given. gzip is recognised by its magic bytes, whatever the file is called, and a
UTF-8 byte-order mark is dropped before any parser sees the data."""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, cast

from papertide.sources import Item, SourceError
from papertide.sources.formats import HEAD_BYTES, NAMES, by_name, detect

FORMATS = NAMES  # "auto" and every registered format's name
# Bounds on what one file may make this process hold, decompressed (a 1 MB gzip can hold 1 GiB):
# a line of a line format, and a whole document. A record within records.FIELD_LIMITS is under 1 MB
# even with every character escaped (the longest line of the 92,905 real listings is 56 kB); lines up
# to 16 MB are still parsed, so that a record with one over-long field is rejected naming that field
# while the rest of the file goes in; past 16 MB the file is refused naming the line. An arXiv API or
# OAI-PMH page is a few MB. Past either bound nothing of the file is kept.
MAX_LINE = 16 << 20
MAX_DOCUMENT = 64 << 20
_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"


def open_input(path: Path) -> IO[bytes]:
    """`path` for reading: decompressed when it is gzip, positioned after a byte-order mark."""
    with path.open("rb") as probe:
        is_gzip = probe.read(2) == _GZIP_MAGIC
    stream = cast(io.BufferedReader, gzip.open(path, "rb")) if is_gzip else path.open("rb")  # noqa: SIM115 (returned open)
    try:
        if stream.peek(3)[:3] == _BOM:
            stream.read(3)
    except (OSError, EOFError) as exc:
        stream.close()
        raise SourceError(f"{path}: cannot be read: {exc}") from exc
    return cast(IO[bytes], stream)


def detect_format(path: Path) -> str:
    """The name of the format `path` holds; SourceError when no format's marks are there."""
    with open_input(path) as f:
        try:
            head = f.read(HEAD_BYTES)
        except (OSError, EOFError) as exc:
            raise SourceError(f"{path}: cannot be read: {exc}") from exc
    return detect(head, str(path)).name


def read_path(
    path: Path,
    fmt: str = "auto",
    capture_year: int | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[Item]:
    """The records of one file. Line formats stream (constant memory); documents are read whole.
    `on_bytes` is told how many bytes were consumed, for a progress bar."""
    chosen = by_name(detect_format(path) if fmt == "auto" else fmt)
    where = str(path)
    with open_input(path) as f:
        try:
            if chosen.parse_lines is not None:
                bounded = _bounded_lines(f, where)
                lines = _counted(bounded, on_bytes) if on_bytes else bounded
                seen = 0
                for seen, item in enumerate(chosen.parse_lines(lines, where), 1):  # noqa: B007
                    yield item
                if not seen:
                    raise SourceError(f"{where}: the file is empty")
                return
            data = f.read(MAX_DOCUMENT + 1)
            if len(data) > MAX_DOCUMENT:
                raise SourceError(
                    f"{where}: larger than {MAX_DOCUMENT >> 20} MB once decompressed; refused (an API or OAI page is a"
                    " few MB): nothing of it is kept"
                )
        except (OSError, EOFError) as exc:  # a truncated or corrupt gzip stream
            raise SourceError(f"{where}: cannot be read to the end: {exc}") from exc
    if on_bytes:
        on_bytes(len(data))
    if not data.strip():
        raise SourceError(f"{where}: the file is empty")
    assert chosen.parse_document is not None
    yield from chosen.parse_document(data, where, capture_year)


def _bounded_lines(f: IO[bytes], where: str) -> Iterator[bytes]:
    """The lines of `f`, none read past MAX_LINE bytes: a longer one is a SourceError naming its line
    (the run is undone, the next file goes on), never a gigabyte held in memory."""
    number = 0
    while line := f.readline(MAX_LINE + 1):
        number += 1
        if len(line) > MAX_LINE and not line.endswith(b"\n"):
            raise SourceError(f"{where}:{number}: a line longer than {MAX_LINE >> 20} MB; refused, nothing of it kept")
        yield line


def _counted(f: Iterable[bytes], on_bytes: Callable[[int], None]) -> Iterator[bytes]:
    pending = 0
    for line in f:
        pending += len(line)
        if pending >= 1 << 20:
            on_bytes(pending)
            pending = 0
        yield line
    on_bytes(pending)
