"""Thumbnail rendering speed: pages/s for `render_first_page` (PDFium render + WebP encode) on the
test PDF, against rendering alone (no encode) and encoding PNG instead, in one run.

    python bench/thumbnails.py [--rounds 200] [--pdf FILE.pdf] [--out bench/results/thumbnails.json]

Fetching dominates in practice: arXiv asks for 3 s between requests, so one process makes at most
~0.33 thumbnails a second however fast rendering is; this measures what rendering costs on top.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from pathlib import Path

import orjson
import pypdfium2 as pdfium
from rich.console import Console
from rich.table import Table

from papertide.catalogue.thumbnails import WIDTH, render_first_page

DEFAULT_PDF = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "pdf" / "2011.13456.pdf"


def render_only(pdf: bytes) -> None:
    document = pdfium.PdfDocument(pdf)
    page = document[0]
    page.render(scale=WIDTH / page.get_size()[0]).to_pil()
    document.close()


def render_png(pdf: bytes) -> bytes:
    document = pdfium.PdfDocument(pdf)
    page = document[0]
    out = io.BytesIO()
    page.render(scale=WIDTH / page.get_size()[0]).to_pil().save(out, "PNG")
    document.close()
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--pdf", type=Path, default=DEFAULT_PDF)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results") / "thumbnails.json")
    args = parser.parse_args()
    pdf = args.pdf.read_bytes()
    rows = []
    for name, work in (
        ("render + WebP (stored)", render_first_page),
        ("render only", render_only),
        ("render + PNG", render_png),
    ):
        times = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            result = work(pdf)
            times.append(time.perf_counter() - start)
        size = len(result) if isinstance(result, bytes) else None
        median = statistics.median(times)
        rows.append(
            {"method": name, "median_ms": round(median * 1000, 2), "pages_per_s": round(1 / median, 1), "bytes": size}
        )
    table = Table(title=f"First-page thumbnails of {args.pdf.name} ({len(pdf):,} bytes), {WIDTH} px wide")
    for key in ("method", "median_ms", "pages_per_s", "bytes"):
        table.add_column(key)
    for r in rows:
        table.add_row(*(str(r[k]) for k in ("method", "median_ms", "pages_per_s", "bytes")))
    Console(width=120).print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps({"pdf": args.pdf.name, "results": rows}, option=orjson.OPT_INDENT_2) + b"\n")


if __name__ == "__main__":
    main()
