"""The map's layout: every encoded paper at a point in 2-D, in a file beside the vector index
(`map.npz`), derived from the stored vectors as the index is (the database stays the truth).

Fit: t-SNE (openTSNE; cosine, perplexity 30, PCA start, fixed seed) on every paper up to
FIT_SAMPLE, else on a random sample of that many; every other paper is placed by `maps.place` from
its nearest placed neighbours in the ANN index (one query each, so 1M papers cost a 20k-paper fit
plus 1M queries, not a 1M-point t-SNE). K-means on the fitted points gives the coloured regions,
named from their papers' phrases (`maps.cluster_labels`).

Update, at each `papertide index`: replay the vector log since the file's mark: papers removed (or
whose text changed) leave, those with a new vector are placed by their neighbours and take the colour
of the region they land in. When the papers changed since the fit exceed a fifth of the papers at the
fit, or the log cannot be replayed (pruned past the mark, another model), the layout is fitted anew.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
import onnxruntime  # noqa: F401  (before usearch: the other order crashes; see vectors.py)
from usearch.index import Index

from papertide.index import key_phrases as keywords
from papertide.index import maps
from papertide.index.vectors import VectorIndex, nearest_keys
from papertide.store import Store

FIT_SAMPLE = 20_000  # papers t-SNE is fitted on (2 cores: about a minute); the rest are placed
REFIT_SHARE = 0.2  # refit when the papers changed since the fit exceed this share of those at the fit
SEARCHED = 24  # ANN neighbours asked for when placing a paper (some may be unplaced themselves)
_BATCH = 10_000


@dataclass(frozen=True)
class Layout:
    """Papers (`pks`, `ids`) at points `xy`, in regions `cluster` named by `labels`."""

    model: str
    seq: int  # the last vector_changes entry the layout holds
    fitted: int  # papers in the catalogue at the last fit
    changed: int  # papers placed or removed since the fit
    built_at: str
    pks: npt.NDArray[np.int64]
    ids: list[str]
    xy: npt.NDArray[np.float32]
    cluster: npt.NDArray[np.int16]
    centres: npt.NDArray[np.float32]
    labels: list[list[str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.pks)


class MapFile:
    """The layout file of one data directory; written whole through a rename, read by mtime."""

    def __init__(self, path: Path, model: str) -> None:
        self.path, self.model = path, model
        self._cached: tuple[tuple[int, int], Layout] | None = None

    def load(self) -> Layout | None:
        """The saved layout (None: none, or one of another model). Read again only when the file
        changed, so the web's workers see the indexer's new file without restarting."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        mark = (stat.st_mtime_ns, stat.st_size)
        if self._cached and self._cached[0] == mark:
            return self._cached[1]
        with np.load(self.path, allow_pickle=False) as saved:
            meta = json.loads(str(saved["meta"]))
            layout = Layout(
                model=meta["model"],
                seq=meta["seq"],
                fitted=meta["fitted"],
                changed=meta["changed"],
                built_at=meta["built_at"],
                pks=saved["pks"].astype(np.int64),
                ids=[str(i) for i in saved["ids"]],
                xy=saved["xy"].astype(np.float32),
                cluster=saved["cluster"].astype(np.int16),
                centres=saved["centres"].astype(np.float32),
                labels=meta["labels"],
            )
        if layout.model != self.model:
            return None
        self._cached = (mark, layout)
        return layout

    def save(self, layout: Layout) -> None:
        meta = {
            "model": layout.model,
            "seq": layout.seq,
            "fitted": layout.fitted,
            "changed": layout.changed,
            "built_at": layout.built_at,
            "labels": layout.labels,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(
            tmp,
            meta=np.array(json.dumps(meta)),
            pks=layout.pks,
            ids=np.array(layout.ids, dtype=str),
            xy=layout.xy,
            cluster=layout.cluster,
            centres=layout.centres,
        )
        os.replace(tmp, self.path)

    def update(self, store: Store, vectors: VectorIndex, *, refit: bool = False) -> Layout | None:
        """Bring the layout up to the stored vectors (fitting anew when due) and save it; None when
        no paper has a vector yet."""
        old = None if refit else self.load()
        layout = _replayed(old, store, vectors) if old is not None else None
        if layout is None:
            if not store.count_embeddings(self.model):
                return None
            layout = fit(store, vectors)
        if layout is not old:
            self.save(layout)
        return layout


def fit(store: Store, vectors: VectorIndex, sample: int = FIT_SAMPLE, seed: int = 0) -> Layout:
    """Lay the catalogue out anew (see the module's docstring)."""
    seq = store.vector_log_seq()  # taken first: whatever changes meanwhile is replayed next time
    pks, matrix = _stored_vectors(store, vectors)
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(pks), sample, replace=False)) if len(pks) > sample else np.arange(len(pks))
    fitted_xy = project(matrix[chosen], seed)
    count = maps.cluster_count(len(chosen))
    centres, fitted_cluster = _regions(fitted_xy, count, seed)
    placed = {int(pks[i]): fitted_xy[j] for j, i in enumerate(chosen)}
    rest = np.setdiff1d(np.arange(len(pks)), chosen)
    if len(rest):
        # The others go by their nearest *fitted* papers (as openTSNE places points against its
        # reference embedding), found in a small graph of the sample: every neighbour is placed,
        # and a 20,000-point graph answers far faster than the catalogue's (measured at 1M:
        # bench/recommend_scale.py).
        sample_graph = GraphNeighbours.of(pks[chosen], matrix[chosen])
        for at in range(0, len(rest), 100_000):  # a slice at a time: no second copy of the vectors
            part = rest[at : at + 100_000]
            _place(placed, pks[part], matrix[part], sample_graph)
    del matrix
    order = np.argsort(pks)
    xy = np.stack([placed[int(p)] for p in pks[order]]) if len(pks) else np.zeros((0, 2), np.float32)
    papers = store.papers_by_pk(int(p) for p in pks[chosen])
    phrases = [
        keywords.candidates(papers[int(p)].title, papers[int(p)].abstract) if int(p) in papers else []
        for p in pks[chosen]
    ]
    labels = maps.cluster_labels([int(c) for c in fitted_cluster], phrases, count)
    ids = store.ids_for_pks(int(p) for p in pks)
    return Layout(
        model=vectors.model,
        seq=seq,
        fitted=len(pks),
        changed=0,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        pks=pks[order],
        ids=[ids.get(int(p), "") for p in pks[order]],
        xy=xy.astype(np.float32),
        cluster=maps.nearest_centre(xy, centres),
        centres=centres,
        labels=labels,
    )


def _stored_vectors(store: Store, vectors: VectorIndex) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Every stored vector of the model, in one preallocated matrix (at 1M: 1.5 GB, once). Vectors
    written while this reads are left to the next update (the log has them)."""
    total = store.count_embeddings(vectors.model)
    pks = np.empty(total, dtype=np.int64)
    matrix = np.empty((total, vectors.dim), dtype=np.float32)
    filled = 0
    for keys, rows in store.iter_embeddings(vectors.model):
        take = min(len(keys), total - filled)
        pks[filled : filled + take] = keys[:take]
        matrix[filled : filled + take] = rows[:take]
        filled += take
        if filled == total:
            break
    return pks[:filled], matrix[:filled]


def project(matrix: npt.NDArray[np.float32], seed: int = 0) -> npt.NDArray[np.float32]:
    """2-D points for the rows of `matrix` (unit vectors): t-SNE from 5 papers up, the two
    principal axes below (t-SNE needs a neighbourhood to work with)."""
    n = len(matrix)
    if n < 5:
        centred = matrix - matrix.mean(axis=0)
        if n < 2 or not centred.any():
            return np.zeros((n, 2), dtype=np.float32)
        _, _, axes = np.linalg.svd(centred, full_matrices=False)
        points = centred @ axes[:2].T
        return np.pad(points, ((0, 0), (0, 2 - points.shape[1]))).astype(np.float32)
    from openTSNE import TSNE

    tsne = TSNE(
        n_components=2,
        perplexity=min(30.0, (n - 1) / 3),
        metric="cosine",
        initialization="pca",
        # Barnes-Hut below 10k points, FFT interpolation above: each is the faster there (openTSNE's advice).
        negative_gradient_method="bh" if n < 10_000 else "fft",
        n_jobs=min(4, os.cpu_count() or 1),
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openTSNE warns about small perplexities on tiny catalogues
        return np.asarray(tsne.fit(matrix), dtype=np.float32)


def _regions(
    xy: npt.NDArray[np.float32], count: int, seed: int
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int16]]:
    """K-means on the 2-D points: (centres, the region of each point)."""
    if count <= 1 or len(xy) <= count:
        centre = xy.mean(axis=0, keepdims=True) if len(xy) else np.zeros((1, 2), np.float32)
        return centre.astype(np.float32), np.zeros(len(xy), dtype=np.int16)
    from sklearn.cluster import KMeans

    model = KMeans(n_clusters=count, n_init=4, random_state=seed).fit(xy)
    return model.cluster_centers_.astype(np.float32), model.labels_.astype(np.int16)


class Neighbours(Protocol):
    def search_many(self, vectors: npt.NDArray[np.float32], k: int) -> list[list[int]]: ...


class GraphNeighbours:
    """Nearest neighbours in a usearch graph of its own (`of`: the fitted papers only)."""

    def __init__(self, graph: Index) -> None:
        self.graph = graph

    @classmethod
    def of(cls, pks: npt.NDArray[np.int64], matrix: npt.NDArray[np.float32]) -> GraphNeighbours:
        graph = Index(ndim=matrix.shape[1], metric="cos", dtype="f16", connectivity=16, expansion_search=64)
        graph.add(pks.astype(np.uint64), matrix)
        return cls(graph)

    def search_many(self, vectors: npt.NDArray[np.float32], k: int) -> list[list[int]]:
        return nearest_keys(self.graph, vectors, k)


def _place(
    placed: dict[int, npt.NDArray[np.float32]],
    pks: npt.NDArray[np.int64],
    matrix: npt.NDArray[np.float32],
    vectors: Neighbours,
) -> None:
    """Put each paper of `pks` at the median of its nearest placed neighbours, in rounds (a paper
    whose neighbours are all unplaced waits for the next round); one with none at all, ever, goes
    to the middle of the map."""
    waiting = np.arange(len(pks))
    while len(waiting):
        still = []
        for start in range(0, len(waiting), _BATCH):
            rows = waiting[start : start + _BATCH]
            found = vectors.search_many(matrix[rows], SEARCHED)
            for row, neighbours in zip(rows, found, strict=True):
                near = [placed[n] for n in neighbours if n in placed]
                if near:
                    placed[int(pks[row])] = maps.place(np.stack(near[: maps.NEIGHBOURS]))
                else:
                    still.append(row)
        if len(still) == len(waiting):  # no progress: nothing near any of them is placed
            middle = np.median(np.stack(list(placed.values())), axis=0) if placed else np.zeros(2, np.float32)
            placed.update((int(pks[r]), middle.astype(np.float32)) for r in still)
            return
        waiting = np.array(still, dtype=np.int64)


def _replayed(old: Layout, store: Store, vectors: VectorIndex) -> Layout | None:
    """`old` with the vector log since its mark applied (itself when nothing changed); None when it
    is due a refit."""
    seq, pruned, changed = store.vector_log(old.seq)
    if not pruned <= old.seq <= seq:
        return None
    if not changed:
        return old
    if old.changed + len(changed) > max(old.fitted, 1) * REFIT_SHARE:
        return None
    keep = ~np.isin(old.pks, np.asarray(changed, dtype=np.int64))
    placed = {int(p): xy for p, xy in zip(old.pks[keep], old.xy[keep], strict=True)}
    stored = list(store.embeddings_of(vectors.model, changed))
    new_pks = np.concatenate([k for k, _ in stored]).astype(np.int64) if stored else np.zeros(0, np.int64)
    if len(new_pks):
        if not placed:
            return None
        _place(placed, new_pks, np.concatenate([v for _, v in stored]).astype(np.float32), vectors)
    new_ids = store.ids_for_pks(int(p) for p in new_pks)
    id_of = {int(p): i for p, i, kept in zip(old.pks, old.ids, keep, strict=True) if kept}
    id_of.update(new_ids)
    pks = np.array(sorted(placed), dtype=np.int64)
    xy = np.stack([placed[int(p)] for p in pks]).astype(np.float32) if len(pks) else np.zeros((0, 2), np.float32)
    return replace(
        old,
        seq=seq,
        changed=old.changed + len(changed),
        pks=pks,
        ids=[id_of.get(int(p), "") for p in pks],
        xy=xy,
        cluster=maps.nearest_centre(xy, old.centres),
    )
