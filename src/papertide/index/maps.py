"""The map of the catalogue, the pure part: where a new paper goes, how many clusters, what each
cluster is called, and the grid the browser draws on. The projection itself (t-SNE fitted on the
vectors) and the file that keeps it are in `index/layout.py`.

Why these choices:
- A new paper goes to the coordinate-wise median of its nearest already-placed neighbours: the start
  openTSNE itself gives points it adds to an embedding, robust to one far neighbour, and it costs one
  ANN query, so the map keeps up with ingest without refitting.
- Clusters are k-means regions of the 2-D map, not of the vectors: a colour on screen is then one
  contiguous region a reader can point at.
- A cluster is named by class-based tf-idf over the phrases of its papers' titles and abstracts (a
  phrase frequent in the cluster and rare in the others), the naming BERTopic uses for its topics.
  (Each paper's own stored key phrases were tried first: chosen to single out one paper, they named
  the demo's regions "form", "mode", "missing".)
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

GRID = 10_000  # map coordinates sent to browsers: integers 0..GRID on both axes
NEIGHBOURS = 5  # placed neighbours whose median places a new paper
MAX_CLUSTERS = 40
# Points a browser is sent at most: 100,000 draw in ~4 ms a frame (bench/map.py); a million would
# take ~40 ms and 21 MB of JSON. Beyond it, a fixed sample (papers a page rings come on their own).
SHOWN = 200_000
_LONGER = 1.5


def cluster_count(papers: int) -> int:
    """How many coloured regions a map of `papers` papers gets: about sqrt(n / 4) (12 for the demo's
    538, 40 at most, where a legend still reads), one below 8 papers."""
    if papers < 8:
        return 1
    return max(2, min(MAX_CLUSTERS, round(math.sqrt(papers / 4))))


def place(neighbour_xy: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Where a new paper goes: the coordinate-wise median of its nearest placed neighbours (rows,
    nearest first; at most NEIGHBOURS are used)."""
    if len(neighbour_xy) == 0:
        raise ValueError("a paper is placed from at least one placed neighbour")
    return np.median(neighbour_xy[:NEIGHBOURS], axis=0).astype(np.float32)


def nearest_centre(xy: npt.NDArray[np.float32], centres: npt.NDArray[np.float32]) -> npt.NDArray[np.int16]:
    """The cluster of each point: the index of the nearest centre (2-D, so a placed paper takes the
    colour of the region it lands in)."""
    if len(xy) == 0:
        return np.zeros(0, dtype=np.int16)
    d = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    nearest: npt.NDArray[np.int16] = d.argmin(axis=1).astype(np.int16)
    return nearest


def cluster_labels(
    clusters: Sequence[int], phrases: Sequence[Iterable[str]], count: int, per_cluster: int = 3
) -> list[list[str]]:
    """Up to `per_cluster` phrases naming each of `count` clusters, by class-based tf-idf over the
    phrases of each paper (`keywords.candidates`): papers of the cluster holding the phrase times
    log(1 + papers per cluster / papers holding it anywhere), times 1.5 per word after the first (a
    region of "scaling laws" papers is better named by that than by "laws"). A phrase held by one paper never names
    a cluster; ties go to the alphabetically first, so the names are the same on every run."""
    counts: list[Counter[str]] = [Counter() for _ in range(count)]
    for cluster, found in zip(clusters, phrases, strict=True):
        counts[cluster].update({p.casefold() for p in found})
    everywhere: Counter[str] = Counter()
    for c in counts:
        everywhere.update(c)
    per = max(len(clusters), 1) / max(count, 1)
    labels = []
    for c in counts:
        weighed = sorted(
            ((p, n * math.log(1 + per / everywhere[p]) * _LONGER ** p.count(" ")) for p, n in c.items() if n > 1),
            key=lambda pw: (-pw[1], pw[0]),
        )
        labels.append(_distinct([p for p, _ in weighed], per_cluster))
    return labels


def _distinct(phrases: list[str], limit: int) -> list[str]:
    """The first `limit` phrases, skipping one whose words all appear in a phrase already taken
    ("diffusion" after "diffusion models")."""
    taken: list[str] = []
    for phrase in phrases:
        words = set(phrase.split())
        if any(words <= set(t.split()) or set(t.split()) <= words for t in taken):
            continue
        taken.append(phrase)
        if len(taken) == limit:
            break
    return taken


def to_grid(xy: npt.NDArray[np.float32]) -> npt.NDArray[np.int32]:
    """Map coordinates as integers 0..GRID, the aspect ratio kept and the map centred (what the
    browser receives: smaller than floats, and the same whatever scale t-SNE chose)."""
    if len(xy) == 0:
        return np.zeros((0, 2), dtype=np.int32)
    low, high = xy.min(axis=0), xy.max(axis=0)
    span = float(max(high - low)) or 1.0
    offset = (span - (high - low)) / 2
    grid: npt.NDArray[np.int32] = np.rint((xy - low + offset) / span * GRID).astype(np.int32)
    return grid


def shown_rows(count: int, limit: int | None = None, seed: int = 0) -> npt.NDArray[np.int64]:
    """Which of `count` papers (rows of a layout) a browser is sent: all of them up to `limit`
    (default SHOWN), else the same `limit` chosen at random every time, in row order."""
    limit = SHOWN if limit is None else limit
    if count <= limit:
        return np.arange(count, dtype=np.int64)
    rows: npt.NDArray[np.int64] = np.sort(np.random.default_rng(seed).choice(count, limit, replace=False))
    return rows
