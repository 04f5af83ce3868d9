"""Reading a local file in any registered format (sources/formats.py), detected from its first
bytes when not given. gzip is recognised by its magic bytes, whatever the file is called, and a
UTF-8 byte-order mark is dropped before any parser sees the data."""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, cast

from . import Item, SourceError
from .formats import HEAD_BYTES, NAMES, by_name, detect

FORMATS = NAMES  # "auto" and every registered format's name
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
                lines = _counted(f, on_bytes) if on_bytes else f
                seen = 0
                for seen, item in enumerate(chosen.parse_lines(lines, where), 1):  # noqa: B007
                    yield item
                if not seen:
                    raise SourceError(f"{where}: the file is empty")
                return
            data = f.read()
        except (OSError, EOFError) as exc:  # a truncated or corrupt gzip stream
            raise SourceError(f"{where}: cannot be read to the end: {exc}") from exc
    if on_bytes:
        on_bytes(len(data))
    if not data.strip():
        raise SourceError(f"{where}: the file is empty")
    assert chosen.parse_document is not None
    yield from chosen.parse_document(data, where, capture_year)


def _counted(f: IO[bytes], on_bytes: Callable[[int], None]) -> Iterator[bytes]:
    pending = 0
    for line in f:
        pending += len(line)
        if pending >= 1 << 20:
            on_bytes(pending)
            pending = 0
        yield line
    on_bytes(pending)
