"""Thumbnails: the first page of each paper's PDF as a small WebP, like the cards of Hugging Face
Papers. `papertide ingest pdf` fetches the PDFs from arXiv (politely: 3 s apart by default),
renders page one with pypdfium2 (PDFium, the renderer Chrome uses, shipped in the wheel: no system
poppler) and writes `thumbnails/<id>.webp` beside the data; the web app serves them with caching
headers. A file that is not a PDF, is encrypted or has no pages is reported and skipped.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium

from papertide.errors import Invalid
from papertide.ids import is_paper_id
from papertide.sources import SourceError

WIDTH = 360  # pixels: twice a card's thumbnail width, for sharp screens
QUALITY = 70
MAX_PDF_BYTES = 64 << 20


class ThumbnailError(Invalid):
    """A file that cannot be made into a thumbnail; the message says why."""


def render_first_page(pdf: bytes, width: int = WIDTH) -> bytes:
    """The first page of `pdf` as WebP bytes, `width` pixels wide."""
    if not pdf.startswith(b"%PDF-"):
        raise ThumbnailError("not a PDF (it does not start with %PDF-)")
    if len(pdf) > MAX_PDF_BYTES:
        raise ThumbnailError(f"the PDF is larger than {MAX_PDF_BYTES >> 20} MiB")
    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        raise ThumbnailError(f"PDFium cannot read it: {exc}") from exc
    try:
        if len(document) == 0:
            raise ThumbnailError("the PDF has no pages")
        page = document[0]
        page_width, _ = page.get_size()
        image = page.render(scale=width / max(page_width, 1.0)).to_pil()
        out = io.BytesIO()
        image.convert("RGB").save(out, "WEBP", quality=QUALITY, method=4)
        return out.getvalue()
    finally:
        document.close()


def file_name(paper_id: str) -> str:
    """The thumbnail's file name: the id with "/" (old-style arXiv ids) made safe."""
    return paper_id.replace("/", "_") + ".webp"


def thumbnail_name_ok(name: str) -> bool:
    """Whether `name` can be a thumbnail's file name: a paper id's (`ids.is_paper_id`, "/" made "_")
    plus ".webp". Checked before any file-system call, whatever the name's length or characters."""
    return name.endswith(".webp") and is_paper_id(name.removesuffix(".webp"))


@dataclass
class ThumbnailReport:
    made: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (paper id, why)
    left: int = 0  # papers still without one (past --limit)


def make_thumbnails(
    directory: Path,
    paper_ids: list[str],
    fetch: Callable[[str], bytes],
    limit: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ThumbnailReport:
    """A thumbnail for each of `paper_ids` that has none (`fetch(paper_id)` returns its PDF);
    each file is written whole or not at all (a temporary file renamed into place)."""
    directory.mkdir(parents=True, exist_ok=True)
    todo = [i for i in paper_ids if not (directory / file_name(i)).exists()]
    report = ThumbnailReport(left=max(0, len(todo) - (limit or len(todo))))
    for n, paper_id in enumerate(todo[:limit], 1):
        try:
            webp = render_first_page(fetch(paper_id))
        except (ThumbnailError, SourceError, OSError, ValueError) as exc:
            report.failed.append((paper_id, str(exc)))
            continue
        target = directory / file_name(paper_id)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(webp)
        os.replace(tmp, target)
        report.made += 1
        if on_progress:
            on_progress(n)
    return report
