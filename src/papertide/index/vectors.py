"""Semantic retrieval: paper vectors in the database, an HNSW index (usearch) in a file beside it.

The database is the truth; the index file is derived. Its sidecar JSON records the encoder and the
last entry of the database's vector log (`vector_changes`) it holds. An index behind the database
(vectors written by another process, a paper whose text changed and lost its vector, a crash before
the file was saved) catches up by replaying the log since; one that cannot (no file, another
model, a log pruned past its mark, a database restored to before it) is rebuilt from the stored
vectors, without re-encoding anything.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

# onnxruntime must be loaded before usearch: `import usearch.index` and then `import onnxruntime`
# kills the interpreter with SIGSEGV (onnxruntime 1.32.0, usearch 2.26.6, seen here); the other
# order works. The encoder imports onnxruntime lazily, so it is imported here, first.
import onnxruntime  # noqa: F401
from usearch.index import Index

from papertide.index.embed import Encoder, paper_text
from papertide.store import VectorStore

log = logging.getLogger("papertide.index")


@dataclass(frozen=True)
class IndexState:
    model: str
    seq: int  # the last vector_changes entry the index holds
    count: int


def _digest(path: Path) -> str:
    """SHA-256 of the index file (≈1 GB/s here: about a second for the 1M-paper index's 917 MB)."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


class DamagedIndex(Exception):
    """The index file is not what its sidecar says it is (size, checksum), or usearch cannot read it."""


class SharedLock:
    """Many holders at once (searches) or one alone (changing the graph in place). A waiting writer
    holds off new readers, so a stream of searches cannot starve a catch-up. Not reentrant."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not (self._writing or self._writers_waiting))
            self._readers += 1
        try:
            yield
        finally:
            with self._changed:
                self._readers -= 1
                if not self._readers:
                    self._changed.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._changed:
            self._writers_waiting += 1
            self._changed.wait_for(lambda: not (self._writing or self._readers))
            self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._changed:
                self._writing = False
                self._changed.notify_all()


class VectorIndex:
    """An HNSW index over paper vectors, keyed by the papers' surrogate keys (`pk`)."""

    def __init__(self, path: Path, dim: int, model: str) -> None:
        self.path, self.dim, self.model = path, dim, model
        self.sidecar = path.with_suffix(".json")
        self.index = self._empty()
        self.state: IndexState | None = None
        self._lock = threading.Lock()  # one catch-up or rebuild at a time
        # The graph is changed in place (catching up) only while no search is in it: usearch's
        # guarantees for concurrent add/remove and search are thin (unum-cloud/usearch#441, #735).
        # Searches only read it, so they share it. (usearch 2.26 holds the GIL while it searches one
        # vector, so searches from many threads still run one at a time: 275 q/s on 1, 2 or 4
        # threads over 200k vectors here.) A rebuild makes a new graph and swaps it in.
        self._in_use = SharedLock()
        self._left_stale_at: int | None = None  # the log seq a too-large rebuild was left for
        self.damaged: str | None = None  # why the file on disk was refused, until a rebuild replaces it
        self._refused: tuple[int, int] | None = None  # (size, mtime) of that file: not read again
        # The file is read when first needed (`refresh`, `catch_up`): a command that never searches
        # by meaning never loads a graph that may take a gigabyte.

    def _saved_state(self) -> IndexState | None:
        """What the file on disk holds (another process may have saved it since), if it is ours and
        not a file already refused as damaged."""
        if not (self.path.exists() and self.sidecar.exists()):
            return None
        if self._refused is not None and self._refused == self._file_mark():
            return None
        try:
            saved = json.loads(self.sidecar.read_text())
            if "generation" in saved:  # written before the vector log (migration 0010): searchable, but
                saved = {"model": saved["model"], "seq": -1, "count": saved["count"]}  # never in step
            state = IndexState(saved["model"], saved["seq"], saved["count"])
        except (ValueError, TypeError, KeyError):
            return None
        return state if state.model == self.model else None

    def _file_mark(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_size, stat.st_mtime_ns

    def _load(self, state: IndexState) -> bool:
        """Load the file when it is the one its sidecar describes (size and SHA-256, written by
        `save`) and usearch reads it whole; else remember why (`damaged`), keep what this process
        holds, and answer False: searches go on by words and the next writer rebuilds it from the
        database. (Random bytes written into the file loaded silently and scored every paper 0; a
        truncated file made every search a 500.)"""
        try:
            self._verify()
            index = self._empty()
            index.load(str(self.path))
            if len(index) != state.count:
                raise DamagedIndex(f"it holds {len(index)} vectors, its sidecar says {state.count}")
        except (DamagedIndex, OSError, RuntimeError, ValueError) as exc:
            self.damaged = f"{self.path} is damaged: {exc}"
            self._refused = self._file_mark()
            log.error("%s; searching by words until it is rebuilt from the database", self.damaged)
            return False
        self.index, self.state = index, state  # swapped whole: a search in flight keeps the old one
        self.damaged = None
        return True

    def _verify(self) -> None:
        try:
            saved = json.loads(self.sidecar.read_text())
        except (OSError, ValueError) as exc:
            raise DamagedIndex(f"its sidecar cannot be read ({exc})") from None
        size, digest = saved.get("size"), saved.get("sha256")
        if size is None or digest is None:
            return  # saved before checksums: the sample against the stored vectors still checks it
        if self.path.stat().st_size != size:
            raise DamagedIndex(f"{self.path.stat().st_size} bytes where {size} were saved (truncated?)")
        if _digest(self.path) != digest:
            raise DamagedIndex("its checksum is not the one saved with it")

    def sample_ok(self, store: VectorStore, sample: int = 8) -> bool:
        """Whether a few stored vectors are in the index as stored (what a file without a checksum
        is checked by): f16 keeps them within 1e-2."""
        for pks, vectors in store.iter_embeddings(self.model, batch_size=sample):
            held, rows = self.vectors_of([int(k) for k in pks[:sample]])
            if len(held) != min(sample, len(pks)):
                return False
            wanted = {int(k): v for k, v in zip(pks[:sample], vectors[:sample], strict=True)}
            return all(float(np.max(np.abs(wanted[k] - row))) < 1e-2 for k, row in zip(held, rows, strict=True))
        return True

    def _empty(self) -> Index:
        # f16 halves memory at no measurable cost to recall for normalised 384-d vectors;
        # ef_search 256: recall@10 0.9775 at 1M (0.9205 at 128) for 2.0 ms p50 in bench/latency.py.
        return Index(ndim=self.dim, metric="cos", dtype="f16", connectivity=16, expansion_add=128, expansion_search=256)

    def in_step(self, store: VectorStore) -> bool:
        # Runs before every semantic search, so it reads one row (the log's last seq), not a count.
        return (
            self.state is not None and self.state.seq == store.vector_log_seq() and len(self.index) == self.state.count
        )

    def replay_log(self, store: VectorStore) -> bool:
        """Replay the vector log since this index's mark: the stored vector of each pk logged, or its
        removal. False when the log cannot bring it in step (then only a rebuild can)."""
        if self.state is None or self.state.seq < 0:  # no file, or one from before the log
            return False
        seq, pruned, changed = store.vector_log(self.state.seq)
        if not pruned <= self.state.seq <= seq:  # entries gone, or a database older than the index
            return False
        keys = np.array(changed, dtype=np.uint64)
        stored = list(store.embeddings_of(self.model, changed))  # read before taking the graph
        with self._in_use.exclusive():
            present = keys[np.asarray(self.index.contains(keys), dtype=bool)] if len(keys) else keys
            if len(present):
                self.index.remove(present)
            for pks, vectors in stored:
                self.index.add(pks.astype(np.uint64), vectors)
            self.state = IndexState(self.model, seq, len(self.index))
        return True

    def rebuild(self, store: VectorStore) -> None:
        """Build the index anew from every stored vector, then replay what changed meanwhile."""
        index = self._empty()
        seq = store.vector_log_seq()  # read first: whatever is written while we read is replayed
        for pks, vectors in store.iter_embeddings(self.model):
            index.add(pks.astype(np.uint64), vectors)
        self.index, self.state = index, IndexState(self.model, seq, len(index))
        self.replay_log(store)
        self.save()

    def refresh(self) -> None:
        """Load the file another process saved since, if it is newer than what this one holds (a
        read of the disk: what searches may do; catching up from the log is for writers)."""
        saved = self._saved_state()
        if saved is not None and (self.state is None or saved.seq > self.state.seq):
            with self._lock:
                saved = self._saved_state()
                if saved is not None and (self.state is None or saved.seq > self.state.seq):
                    self._load(saved)

    def catch_up(self, store: VectorStore, rebuild_limit: int | None = None) -> bool:
        """Bring the index in step with the database: load the file if another process saved a newer
        one, replay the log, and when that cannot do it rebuild from the stored vectors — unless
        there are more than `rebuild_limit` of them. Then return False and leave it as it is:
        searches use it until `papertide index` rebuilds it, which `papertide check` reports."""
        if self.in_step(store):
            return True
        with self._lock:
            saved = self._saved_state()
            if saved is not None and (self.state is None or saved.seq > self.state.seq):
                if self._load(saved) and not self.sample_ok(store):
                    self.damaged = f"{self.path} is damaged: its vectors are not the database's"
                    self._refused = self._file_mark()
                    log.error("%s; rebuilding it from the database", self.damaged)
                    self.index, self.state = self._empty(), None
            elif rebuild_limit is not None and self._left_stale_at == store.vector_log_seq():
                return False  # nothing new since this index was left as it is: no need to read the log again
            if self.replay_log(store) and self.in_step(store):
                return True
            if rebuild_limit is not None:
                seq = store.vector_log_seq()
                if store.count_embeddings(self.model) > rebuild_limit:
                    self._left_stale_at = seq  # count once per change, not once per search
                    return False
            self.rebuild(store)
            return True

    def problems(self, store: VectorStore) -> list[str]:
        """The index, unless it can catch up from the vector log (as writers do)."""
        if store.count_embeddings(self.model) == 0 or self.catch_up(store, rebuild_limit=0):
            return []
        state = self.state
        held = "no file" if state is None else f"{len(self.index)} vectors through change #{state.seq}"
        if self.damaged:
            held = self.damaged
        return [
            f"the vector index ({held}) cannot catch up with the database's {store.count_embeddings(self.model)} "
            f"vectors through change #{store.vector_log_seq()} (`papertide index` or `papertide check --repair` "
            "rebuilds it; searches meanwhile use it as it is)"
        ]

    def save(self) -> None:
        """Write the index and then its sidecar, each through a temporary file and a rename (a reader
        that loads the new file with the old sidecar replays entries it holds: harmless)."""
        assert self.state is not None, "nothing to save before a build or a load"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        mine = f".{os.getpid()}-{threading.get_ident()}"  # two web workers may save at once
        tmp = self.path.with_suffix(f"{mine}.tmp")
        self.index.save(str(tmp))
        written = {**asdict(self.state), "size": tmp.stat().st_size, "sha256": _digest(tmp)}
        os.replace(tmp, self.path)
        tmp_sidecar = self.sidecar.with_suffix(f"{mine}.json.tmp")
        tmp_sidecar.write_text(json.dumps(written))
        os.replace(tmp_sidecar, self.sidecar)
        self.damaged, self._refused = None, None

    def search(self, vector: npt.NDArray[np.float32], k: int) -> tuple[list[int], list[float]]:
        """Keys and cosine similarities of the `k` nearest papers."""
        with self._in_use.shared():
            index = self.index
            if len(index) == 0 or k <= 0:
                return [], []
            matches = index.search(vector, min(k, len(index)))
        return [int(x) for x in matches.keys], [round(1.0 - float(d), 6) for d in matches.distances]

    def search_many(self, vectors: npt.NDArray[np.float32], k: int) -> list[list[int]]:
        """The keys of the `k` nearest papers to each row of `vectors` (one batched call)."""
        with self._in_use.shared():
            index = self.index
            if len(index) == 0 or k <= 0 or len(vectors) == 0:
                return [[] for _ in range(len(vectors))]
            return nearest_keys(index, vectors, k)

    def vectors_of(self, pks: list[int]) -> tuple[list[int], npt.NDArray[np.float32]]:
        """The pks among `pks` that the index holds, and their vectors as rows (one batched call)."""
        with self._in_use.shared():
            if not pks:
                return [], np.zeros((0, self.dim), dtype=np.float32)
            wanted = np.asarray(pks, dtype=np.uint64)
            held = wanted[np.asarray(self.index.contains(wanted), dtype=bool)]
            if len(held) == 0:
                return [], np.zeros((0, self.dim), dtype=np.float32)
            rows = np.asarray(self.index.get(held), dtype=np.float32).reshape(len(held), self.dim)
        return [int(k) for k in held], rows

    def vector_of(self, pk: int) -> npt.NDArray[np.float32] | None:
        """The vector the index holds for paper `pk`, if any."""
        with self._in_use.shared():
            if not self.index.contains(pk):
                return None
            return np.asarray(self.index.get(pk), dtype=np.float32)


def nearest_keys(index: Index, vectors: npt.NDArray[np.float32], k: int) -> list[list[int]]:
    """The keys of the `k` nearest entries of `index` to each row of `vectors` (one batched call)."""
    matches = index.search(np.ascontiguousarray(vectors, dtype=np.float32), min(k, len(index)))
    keys = np.atleast_2d(matches.keys)
    counts = np.atleast_1d(getattr(matches, "counts", [len(matches.keys)]))  # one query: no counts
    return [[int(x) for x in row[:n]] for row, n in zip(keys, counts, strict=True)]


def encode_pending(
    store: VectorStore,
    encoder: Encoder,
    index: VectorIndex,
    batch_size: int = 256,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Encode every paper that has no vector yet, one committed batch at a time (a killed run
    resumes where it stopped: the next one replays the committed batches from the log), keep the
    index in step, save it, prune the log, and return how many papers were encoded."""
    index.catch_up(store)
    done = 0
    while batch := store.pending_embeddings(encoder.name, batch_size):
        pks = np.array([pk for pk, _, _ in batch], dtype=np.int64)
        vectors = encoder.encode([paper_text(title, abstract) for _, title, abstract in batch])
        store.save_embeddings(encoder.name, pks, vectors)
        if not index.replay_log(store):  # the log was pruned past us meanwhile (another long run)
            index.rebuild(store)
        done += len(batch)
        if on_batch:
            on_batch(done)
    index.save()
    store.prune_vector_log()
    return done
