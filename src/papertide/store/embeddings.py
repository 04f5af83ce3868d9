"""Paper vectors in SQL, and the log of their changes that the ANN index beside the database replays.

Every write to `paper_vectors` (new, replaced, dropped because the paper's text changed, gone with
its paper) is logged by a trigger in `vector_changes` (migration 0010). The index records the last
seq it holds; catching up reads the pks logged since and, for each, the stored vector or its absence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from papertide.store.changelog import prune, pruned_through, take_order_lock
from papertide.store.schema import counters, paper_vectors, papers, vector_changes

# Entries kept in `vector_changes` when it is pruned: an index further behind than this rebuilds.
VECTOR_LOG_KEEP = 100_000
_CHUNK = 500

_VECTOR_LOG_SEQ = sa.select(sa.func.coalesce(sa.func.max(vector_changes.c.seq), 0))
_VECTOR_LOG_PRUNED = pruned_through("vector_log_pruned")
_VECTORS_OF = sa.select(paper_vectors.c.pk, paper_vectors.c.vector).where(
    paper_vectors.c.model == sa.bindparam("model"), paper_vectors.c.pk.in_(sa.bindparam("keys", expanding=True))
)

Vectors = npt.NDArray[np.float32]


def _unpack(rows: Sequence[Any]) -> tuple[npt.NDArray[np.int64], Vectors]:
    pks = np.array([r[0] for r in rows], dtype=np.int64)
    return pks, np.frombuffer(b"".join(r[1] for r in rows), dtype="<f4").reshape(len(rows), -1)


class SqlEmbeddings:
    """The vector half of `SqlStore` (a mixin: it shares the store's engine)."""

    engine: sa.Engine
    dialect: str

    def _snapshot(self) -> sa.Connection:
        """A connection whose reads all see one snapshot: SQLite's read transaction does; PostgreSQL's
        default level takes a new snapshot per statement, so ask for REPEATABLE READ."""
        conn = self.engine.connect()
        return conn.execution_options(isolation_level="REPEATABLE READ") if self.dialect == "postgresql" else conn

    def pending_embeddings(self, model: str, limit: int) -> list[tuple[int, str, str]]:
        """(pk, title, abstract) of papers that have no vector from `model` yet, oldest first."""
        v = paper_vectors.c
        stmt = (
            sa.select(papers.c.pk, papers.c.title, papers.c.abstract)
            .outerjoin(paper_vectors, sa.and_(v.pk == papers.c.pk, v.model == model))
            .where(v.pk.is_(None))
            .order_by(papers.c.pk)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [(r[0], r[1], r[2]) for r in conn.execute(stmt)]

    def save_embeddings(self, model: str, pks: Sequence[int] | npt.NDArray[np.int64], vectors: Vectors) -> None:
        """Store vectors, replacing older ones (the triggers log each pk)."""
        rows = [
            {"pk": int(pk), "model": model, "vector": vec.astype("<f4").tobytes()}
            for pk, vec in zip(pks, vectors, strict=True)
        ]
        with self.engine.begin() as conn:
            take_order_lock(conn, self.dialect)  # before any row lock, as in SqlStore.apply
            conn.execute(paper_vectors.delete().where(paper_vectors.c.pk.in_([r["pk"] for r in rows])))
            conn.execute(paper_vectors.insert(), rows)
            conn.execute(counters.update().where(counters.c.name == "vectors").values(value=counters.c.value + 1))

    def vector_generation(self) -> int:
        """A counter every vector write moves (part of the catalogue's version: cached pages)."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(counters.c.value).where(counters.c.name == "vectors")).scalar_one())

    def vector_log_seq(self) -> int:
        """The last logged vector change (0: none): the ANN index is in step when it holds this one."""
        with self.engine.connect() as conn:
            return int(conn.execute(_VECTOR_LOG_SEQ).scalar_one())

    def vector_log(self, after: int) -> tuple[int, int, list[int]]:
        """(last seq, seq the log is pruned through, pks changed after `after` up to the last seq),
        read in one snapshot."""
        with self._snapshot() as conn:
            seq = int(conn.execute(_VECTOR_LOG_SEQ).scalar_one())
            pruned = int(conn.execute(_VECTOR_LOG_PRUNED).scalar_one())
            changed = conn.execute(
                sa.select(vector_changes.c.pk)
                .where(vector_changes.c.seq > after, vector_changes.c.seq <= seq)
                .distinct()
            )
            return seq, pruned, sorted(r[0] for r in changed)

    def embeddings_of(self, model: str, pks: Iterable[int]) -> Iterator[tuple[npt.NDArray[np.int64], Vectors]]:
        """(pks, vectors) of those among `pks` that have a vector from `model` now, in chunks."""
        wanted = list(pks)
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), _CHUNK):
                rows = conn.execute(_VECTORS_OF, {"model": model, "keys": wanted[i : i + _CHUNK]}).all()
                if rows:
                    yield _unpack(rows)

    def prune_vector_log(self, keep: int = VECTOR_LOG_KEEP) -> None:
        """Drop all but the last `keep` log entries (see changelog.prune)."""
        prune(self.engine, vector_changes, "vector_log_pruned", self.vector_log_seq() - keep)

    def iter_embeddings(self, model: str, batch_size: int = 10000) -> Iterator[tuple[npt.NDArray[np.int64], Vectors]]:
        """(pks, vectors) in batches, for rebuilding the ANN index."""
        last = 0
        while True:
            stmt = (
                sa.select(paper_vectors.c.pk, paper_vectors.c.vector)
                .where(paper_vectors.c.model == model, paper_vectors.c.pk > last)
                .order_by(paper_vectors.c.pk)
                .limit(batch_size)
            )
            with self.engine.connect() as conn:
                rows = conn.execute(stmt).all()
            if not rows:
                return
            last = rows[-1][0]
            yield _unpack(rows)

    def count_embeddings(self, model: str) -> int:
        stmt = sa.select(sa.func.count()).select_from(paper_vectors).where(paper_vectors.c.model == model)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())
