"""Probe, not product: tantivy BM25 top-10 latency on a papertide catalogue, for choosing the next
keyword index (FTS5 scores every matching paper; tantivy prunes to the top k with block-max WAND).

    .venv/bin/pip install 'tantivy>=0.27'   # not a papertide dependency
    python bench/keyword_tantivy_probe.py DATA_DIR QUERIES.jsonl INDEX_DIR [--queries 50]

It indexes title and abstract (English stemming) and author names from DATA_DIR's papers table
into a fresh tantivy index in INDEX_DIR, then runs queries sampled (seed 0, as
`keyword_latency.py --queries-file` samples them) with papertide's own query parsing (stop-words
dropped), words OR-ed, title weighted 10 and authors 3 as in papertide's BM25.
"""

from __future__ import annotations

import argparse
import random
import re
import sqlite3
import statistics
import time
from pathlib import Path

import orjson
import tantivy

from papertide.search import parse_query


def build(db: Path, index_dir: Path) -> tuple[tantivy.Index, float]:
    schema_builder = tantivy.SchemaBuilder()
    schema_builder.add_integer_field("pk", stored=True, indexed=True, fast=True)
    schema_builder.add_text_field("title", tokenizer_name="en_stem")
    schema_builder.add_text_field("abstract", tokenizer_name="en_stem")
    schema_builder.add_text_field("authors", tokenizer_name="default")
    index_dir.mkdir(parents=True, exist_ok=False)
    index = tantivy.Index(schema_builder.build(), path=str(index_dir))
    writer = index.writer(heap_size=512_000_000, num_threads=2)
    start = time.perf_counter()
    rows = sqlite3.connect(db).execute("SELECT pk, title, abstract, author_names FROM papers")
    for pk, title, abstract, authors in rows:
        writer.add_document(tantivy.Document(pk=pk, title=title, abstract=abstract, authors=authors or ""))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return index, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("queries_file", type=Path)
    parser.add_argument("index_dir", type=Path)
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    index, build_s = build(args.data_dir / "papertide.sqlite3", args.index_dir)
    texts = [orjson.loads(line)["text"] for line in args.queries_file.read_bytes().splitlines() if line.strip()]
    searcher = index.searcher()
    latencies = []
    for text in random.Random(0).sample(texts, args.queries):
        words = [w for w in (re.sub(r"[^a-z0-9]", "", t.lower()) for t in parse_query(text).terms) if w]
        query = index.parse_query(
            " OR ".join(words), ["title", "abstract", "authors"], field_boosts={"title": 10.0, "authors": 3.0}
        )
        start = time.perf_counter()
        searcher.search(query, 10)
        latencies.append((time.perf_counter() - start) * 1000)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"build {build_s:.1f} s, p50 {statistics.median(latencies):.2f} ms, p99 {p99:.2f} ms")


if __name__ == "__main__":
    main()
