"""Snippet and highlight cost per document, ordinary and worst case, in one run.

    python bench/snippets.py [--repeat 20] [--out bench/results/snippets.json]

Rows: a real-length abstract (1,900 characters, the 99th percentile of the real listings) with a
few matches (the baseline); the longest abstract ingest accepts (20,000 characters) made of nothing
but matches; and a 5 MB abstract of nothing but matches (what the outside probe imported before the
field limits; a stored one may still exist). The median of --repeat runs of `highlight.snippet`.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import orjson
from rich.console import Console
from rich.table import Table

from papertide.search.highlight import snippet, stems

WANTED = stems(["surface", "codes"])
CASES = {
    "real abstract, 1,900 chars, 3 matches (baseline)": ("qubit noise " * 180)[:1_880] + " surface codes surface",
    "20,000 chars, all matches (the ingest limit)": ("surface codes " * 1_430)[:20_000],
    "5 MB, all matches (the probe's record)": "surface codes " * 375_000,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results") / "snippets.json")
    args = parser.parse_args()
    results: dict[str, float] = {}
    for name, text in CASES.items():
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            snippet(text, WANTED)
            times.append(time.perf_counter() - start)
        results[name] = round(statistics.median(times) * 1000, 3)
    base = next(iter(results.values()))
    table = Table(title="highlight.snippet, median per document")
    for column in ("document", "ms", "× baseline"):
        table.add_column(column, justify="left" if column == "document" else "right")
    for name, ms in results.items():
        table.add_row(name, f"{ms:.3f}", f"{ms / base:.1f}")
    Console().print(table)
    meta = {"python": platform.python_version(), "machine": platform.machine(), "repeat": args.repeat}
    args.out.write_bytes(orjson.dumps({"meta": meta, "ms": results}, option=orjson.OPT_INDENT_2) + b"\n")


if __name__ == "__main__":
    main()
