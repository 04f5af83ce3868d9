"""Reading files with bounded memory (issue 30, item 2): a small gzip that decompresses to a huge
line or document is refused with the file (and line), and what reading it held is measured."""

from __future__ import annotations

import gzip
import tracemalloc
from pathlib import Path

import pytest

from papertide.sources import SourceError
from papertide.sources import files as source_files
from papertide.sources.files import read_path


def _bomb(path: Path, head: bytes, filler: bytes, size: int, tail: bytes) -> Path:
    """A gzip of `head` + `size` bytes of `filler` + `tail`, written without holding it whole."""
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(head)
        piece = filler * (1 << 20)
        for _ in range(size >> 20):
            f.write(piece)
        f.write(tail)
    return path


def _peak_while(action: object) -> int:
    tracemalloc.start()
    try:
        action()  # type: ignore[operator]
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("name", ["bomb.jsonl.gz", "bomb.txt"])
def test_a_huge_line_is_refused_naming_its_line_with_bounded_memory(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source_files, "MAX_LINE", 1 << 20)  # 1 MB lines here; 16 MB by default
    path = _bomb(tmp_path / name, b'{"id": "ok", "title": "Fine"}\n{"id": "x", "title": "', b"a", 64 << 20, b'"}\n')
    assert path.stat().st_size < 1 << 20  # under a megabyte on disk

    def read() -> None:
        with pytest.raises(SourceError, match=rf"{name}:2: a line longer than 1 MB; refused"):
            list(read_path(path, "jsonl"))

    assert _peak_while(read) < 4 << 20  # was the whole 64 MB line (and 2.95 GB for the probe's 1 GiB)


def test_a_huge_document_is_refused_with_bounded_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source_files, "MAX_DOCUMENT", 8 << 20)
    head = b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><summary>'
    path = _bomb(tmp_path / "feed.txt", head, b"a", 64 << 20, b"</summary></entry></feed>")

    def read() -> None:
        with pytest.raises(SourceError, match=r"feed.txt: larger than 8 MB once decompressed; refused"):
            list(read_path(path))

    assert _peak_while(read) < 20 << 20  # at most the bound (and a little): never the 64 MB


def test_lines_and_documents_within_the_bounds_are_read_as_before(tmp_path: Path) -> None:
    line = tmp_path / "ok.jsonl"
    line.write_bytes(b'{"id": "a1", "title": "' + b"t" * 900 + b'", "abstract": "' + b"x" * 19_000 + b'"}\n')
    assert [p.id for p in read_path(line)] == ["a1"]  # type: ignore[union-attr]
