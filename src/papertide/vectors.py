"""Semantic retrieval: paper vectors in the database, an HNSW index (usearch) in a file beside it.

The database is the truth; the index file is derived. Its sidecar JSON records the encoder and the
database's `vectors` counter it was built at, so an index that is missing, from another model or
out of step (a crash between writing vectors and saving the file, a paper whose text changed) is
rebuilt from the stored vectors before it answers, without re-encoding anything.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

# onnxruntime must be loaded before usearch: `import usearch.index` and then `import onnxruntime`
# kills the interpreter with SIGSEGV (onnxruntime 1.32.0, usearch 2.26.6, seen here); the other
# order works. The encoder imports onnxruntime lazily, so it is imported here, first.
import onnxruntime  # noqa: F401
from usearch.index import Index

from .embed import Encoder, paper_text
from .store import Store


@dataclass
class IndexState:
    model: str
    generation: int
    count: int


class VectorIndex:
    """An HNSW index over paper vectors, keyed by the papers' surrogate keys (`pk`)."""

    def __init__(self, path: Path, dim: int, model: str) -> None:
        self.path, self.dim, self.model = path, dim, model
        self.sidecar = path.with_suffix(".json")
        self.index = self._empty()
        self.state: IndexState | None = None
        self._lock = threading.Lock()  # one repair at a time; searches go on with the index they hold
        self._left_stale_at: int | None = None  # the generation a too-large repair was left for
        saved = self._saved_state()
        if saved is not None:
            self._load(saved)

    def _saved_state(self) -> IndexState | None:
        """What the file on disk holds (another process may have saved it since), if it is ours."""
        if not (self.path.exists() and self.sidecar.exists()):
            return None
        try:
            state = IndexState(**json.loads(self.sidecar.read_text()))
        except (ValueError, TypeError):
            return None
        return state if state.model == self.model else None

    def _load(self, state: IndexState) -> None:
        index = self._empty()
        index.load(str(self.path))
        self.index, self.state = index, state  # swapped whole: a search in flight keeps the old one

    def _empty(self) -> Index:
        # f16 halves memory at no measurable cost to recall for normalised 384-d vectors;
        # ef_search 256: recall@10 0.9775 at 1M (0.9205 at 128) for 2.0 ms p50 in bench/latency.py.
        return Index(ndim=self.dim, metric="cos", dtype="f16", connectivity=16, expansion_add=128, expansion_search=256)

    def in_step(self, store: Store) -> bool:
        # Runs before every semantic search, so it reads one counter row, not a COUNT(*) over the
        # vectors: every vector write moves the counter, and the file must hold what its sidecar says.
        return (
            self.state is not None
            and self.state.generation == store.vector_generation()
            and len(self.index) == self.state.count
        )

    def rebuild(self, store: Store) -> None:
        index = self._empty()
        generation = store.vector_generation()
        for pks, vectors in store.iter_embeddings(self.model):
            index.add(pks.astype(np.uint64), vectors)
        self.index = index
        self.save(generation)

    def ensure(self, store: Store, rebuild_limit: int | None = None) -> bool:
        """Bring the index in step with the database: load the file when another process saved one
        in step (`papertide index` run by cron), else rebuild from the stored vectors — unless
        there are more than `rebuild_limit` of them. Then return False and leave it as it is:
        searches use it (papers encoded since are missing, a paper whose text changed keeps its
        old vector) until `papertide index` repairs it, which `papertide check` reports."""
        if self.in_step(store):
            return True
        with self._lock:
            generation = store.vector_generation()
            saved = self._saved_state()
            if saved is not None and saved.generation == generation and saved != self.state:
                self._load(saved)
            if self.in_step(store):
                return True
            if rebuild_limit is not None:
                if self._left_stale_at == generation:
                    return False
                if store.count_embeddings(self.model) > rebuild_limit:
                    self._left_stale_at = generation  # count once per generation, not per search
                    return False
            self.rebuild(store)
            return True

    def upsert(self, pks: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]) -> None:
        keys = pks.astype(np.uint64)
        present = keys[np.asarray(self.index.contains(keys), dtype=bool)]
        if len(present):
            self.index.remove(present)
        self.index.add(keys, vectors)

    def save(self, generation: int) -> None:
        """Write the index and then its sidecar, each through a temporary file and a rename."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        self.index.save(str(tmp))
        os.replace(tmp, self.path)
        self.state = IndexState(self.model, generation, len(self.index))
        tmp_sidecar = self.sidecar.with_suffix(".json.tmp")
        tmp_sidecar.write_text(json.dumps(self.state.__dict__))
        os.replace(tmp_sidecar, self.sidecar)

    def search(self, vector: npt.NDArray[np.float32], k: int) -> tuple[list[int], list[float]]:
        """Keys and cosine similarities of the `k` nearest papers."""
        if len(self.index) == 0 or k <= 0:
            return [], []
        matches = self.index.search(vector, min(k, len(self.index)))
        return [int(x) for x in matches.keys], [round(1.0 - float(d), 6) for d in matches.distances]


def index_papers(
    store: Store,
    encoder: Encoder,
    index: VectorIndex,
    batch_size: int = 256,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Encode every paper that has no vector yet, one committed batch at a time (a killed run
    resumes where it stopped), keep the index in step, and return how many were encoded."""
    index.ensure(store)
    done = 0
    generation = store.vector_generation()
    while batch := store.pending_embeddings(encoder.name, batch_size):
        pks = np.array([pk for pk, _, _ in batch], dtype=np.int64)
        vectors = encoder.encode([paper_text(title, abstract) for _, title, abstract in batch])
        generation = store.save_embeddings(encoder.name, pks, vectors)
        index.upsert(pks, vectors)
        done += len(batch)
        if on_batch:
            on_batch(done)
    index.save(generation)
    return done
