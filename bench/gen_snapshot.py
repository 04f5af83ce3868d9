"""Write a synthetic arXiv metadata snapshot (Kaggle JSON-lines shape) of any size, deterministically.

    python bench/gen_snapshot.py OUT.jsonl N [--seed S] [--vocabulary CORPUS.jsonl]

Titles and abstracts are drawn from a fixed vocabulary so that lines are realistic in length
(~1 kB, like the real file) and keyword search has something to find. The default vocabulary is ~90
machine-learning words, so every word occurs in most papers (a worst case for an inverted index);
`--vocabulary` draws words instead with the frequencies they have in a JSON-lines corpus (a BEIR
corpus.jsonl: `title` and `text`), so that words are as common or as rare as in real abstracts.
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson

WORDS = (
    "diffusion score matching transformer attention language model graph neural network reinforcement "
    "learning policy gradient bayesian inference variational autoencoder contrastive representation "
    "retrieval augmented generation protein structure quantum circuit optimisation convex stochastic "
    "sampling distillation alignment preference reward benchmark dataset robustness adversarial "
    "federated privacy causal estimation kernel regression clustering segmentation detection video "
    "speech translation reasoning agent planning theorem proof sparse low rank quantization pruning"
).split()
CATEGORIES = ["cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML", "math.OC", "quant-ph", "physics.comp-ph"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def word_frequencies(corpus: Path) -> tuple[list[str], list[int]]:
    """The words of a BEIR-style corpus (lower-cased, punctuation stripped) and their cumulative counts."""
    counts: Counter[str] = Counter()
    with corpus.open("rb") as f:
        for line in f:
            doc = orjson.loads(line)
            counts.update(re.findall(r"[a-z][a-z0-9-]+", f"{doc.get('title', '')} {doc.get('text', '')}".lower()))
    words = [w for w, _ in counts.most_common()]
    return words, list(itertools.accumulate(counts[w] for w in words))


def records(n: int, seed: int = 0, vocabulary: Path | None = None) -> Iterator[dict[str, object]]:
    # Ids are yymm.NNNNN with NNNNN = i mod 100000; the year advances every n/19 records, so ids
    # stay unique while n/19 < 100000.
    if n > 1_900_000:
        raise ValueError("at most 1,900,000 records (ids would repeat)")
    rng = random.Random(seed)
    words, cumulative = word_frequencies(vocabulary) if vocabulary else (list(WORDS), None)

    def draw(k: int) -> str:
        return " ".join(rng.choices(words, cum_weights=cumulative, k=k))

    for i in range(n):
        year, month = 2007 + (i * 19 // max(n, 1)), rng.randint(1, 12)
        paper_id = f"{year % 100:02d}{month:02d}.{i % 100000:05d}"
        n_versions = rng.choice((1, 1, 1, 2, 3))
        versions = [
            {
                "version": f"v{v + 1}",
                "created": f"{DAYS[rng.randrange(7)]}, {rng.randint(1, 28)} {MONTHS[month - 1]} {year} 12:00:00 GMT",
            }
            for v in range(n_versions)
        ]
        authors = [(rng.choice(WORDS).title(), f"{chr(65 + rng.randrange(26))}.") for _ in range(rng.randint(1, 8))]
        cats = rng.sample(CATEGORIES, rng.randint(1, 3))
        yield {
            "id": paper_id,
            "submitter": authors[0][1] + " " + authors[0][0],
            "authors": ", ".join(f"{f} {k}" for k, f in authors),
            "title": draw(rng.randint(5, 12)).capitalize(),
            "comments": f"{rng.randint(4, 40)} pages",
            "journal-ref": None,
            "doi": None,
            "report-no": None,
            "categories": " ".join(cats),
            "license": None,
            "abstract": draw(rng.randint(80, 160)).capitalize() + ".",
            "versions": versions,
            "update_date": f"{year}-{month:02d}-28",
            "authors_parsed": [[k, f, ""] for k, f in authors],
        }


def write(path: Path, n: int, seed: int = 0, vocabulary: Path | None = None) -> None:
    with path.open("wb") as f:
        for record in records(n, seed, vocabulary):
            f.write(orjson.dumps(record) + b"\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("n", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--vocabulary", type=Path, help="draw words with their frequencies in this corpus")
    args = parser.parse_args()
    write(args.out, args.n, args.seed, args.vocabulary)
