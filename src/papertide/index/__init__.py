"""The indexes derived from the database — keywords (tantivy BM25, `keywords.py`) and vectors
(usearch HNSW, `vectors.py`) — side by side, and the one policy for keeping them in step.

Both are caches of the database, replayed from its change logs; both answer `in_step`, `catch_up`,
`rebuild` and `problems`. Writers keep them fresh (an import, `papertide index`, a submission, the
web server's background task); a search only reads what is committed, so a read never writes and a
search against a lagging index still answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from papertide.index.keywords import KeywordIndex
from papertide.index.layout import Layout, MapFile
from papertide.index.vectors import VectorIndex
from papertide.store import Store

# A catch-up outside `papertide index` (a submission, the web server's background task) rebuilds
# the HNSW graph itself only when that is quick (seconds); a large one is left to `papertide index`
# (a million vectors take over 25 minutes here) and `papertide check` reports it.
INLINE_REBUILD_LIMIT = 5000


class DerivedIndex(Protocol):
    def in_step(self, store: Store) -> bool: ...

    def problems(self, store: Store) -> list[str]: ...


@dataclass
class Indexes:
    """The keyword index, and the vector index of the catalogue's encoder when it has one."""

    keywords: KeywordIndex
    vectors: VectorIndex | None = None
    layout: MapFile | None = None  # the map, derived from the vectors (`layout.py`)

    @classmethod
    def beside(cls, store: Store, data_dir: Path, encoder: tuple[str, int] | None) -> Indexes:
        """The indexes of the database at `store.url`: keywords beside an SQLite file (`<file>-keywords`),
        else in the data directory; vectors of `encoder` (model name, dimensions) in
        `data_dir/vectors.usearch` (read from disk when first used), and their map in `data_dir/map.npz`."""
        if encoder is None:
            return cls(KeywordIndex(keyword_dir(store.url, data_dir)))
        vectors = VectorIndex(data_dir / "vectors.usearch", encoder[1], encoder[0])
        return cls(KeywordIndex(keyword_dir(store.url, data_dir)), vectors, MapFile(data_dir / "map.npz", encoder[0]))

    def catch_up(
        self,
        store: Store,
        *,
        wait: bool = True,
        rebuild_limit: int | None = INLINE_REBUILD_LIMIT,
        on_progress: Callable[[int], None] | None = None,
    ) -> int:
        """Bring both indexes up to the database; how many papers the keyword index (re)indexed."""
        done = self.keywords.catch_up(store, wait=wait, on_progress=on_progress)
        if self.vectors is not None and store.count_embeddings(self.vectors.model):
            self.vectors.catch_up(store, rebuild_limit)
        return done

    def refresh(self) -> None:
        """See what other processes committed (reads only)."""
        self.keywords.refresh()
        if self.vectors is not None:
            self.vectors.refresh()

    def in_step(self, store: Store) -> bool:
        return self.keywords.in_step(store) and (self.vectors is None or self.vectors.in_step(store))

    def problems(self, store: Store) -> list[str]:
        found = self.keywords.problems(store)
        if self.vectors is not None:
            found += self.vectors.problems(store)
        return found


def keyword_dir(database_url: str, data_dir: Path) -> Path | None:
    """Where the keyword index of a database lives: `<database file>-keywords` beside an SQLite file
    (as its -wal is), None (in memory) for an in-memory one, else `data_dir/keywords`."""
    if database_url.startswith("sqlite"):
        database = database_url.split(":///", 1)[-1]
        if not database or database == ":memory:" or database_url == "sqlite://":
            return None
        path = Path(database)
        return path.with_name(path.name + "-keywords")
    return data_dir / "keywords"


__all__ = [
    "INLINE_REBUILD_LIMIT",
    "DerivedIndex",
    "Indexes",
    "KeywordIndex",
    "Layout",
    "MapFile",
    "VectorIndex",
    "keyword_dir",
]
