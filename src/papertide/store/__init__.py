"""The catalogue's storage, behind one narrow interface.

`Store` is what the rest of papertide may ask of a database; `open_store` picks the backend from a
URL (SQLite file by default). The contract tests in `tests/test_store.py` hold every backend to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from ..model import Paper
from ..query import Filters, Query

if TYPE_CHECKING:
    from .community import SqlCommunity
    from .digests import SqlDigests

__all__ = ["Change", "Store", "open_store"]

# (id the paper is stored under now, or None for a new paper; the paper as it should be stored)
Change = tuple[str | None, Paper]


class Store(Protocol):
    url: str
    # Members, sessions, votes, submissions: SQL on every backend (see store/community.py).
    community: SqlCommunity
    digests: SqlDigests

    def get_many(self, ids: Iterable[str]) -> dict[str, Paper]:
        """The stored papers among `ids`, by id."""
        ...

    def papers_by_pk(self, pks: Iterable[int]) -> dict[int, Paper]:
        """The stored papers among `pks` (the row keys search indexes hold), by pk."""
        ...

    def find_by_title_keys(self, keys: Iterable[str]) -> dict[str, list[Paper]]:
        """The stored papers whose normalised title is among `keys`, by key, oldest first."""
        ...

    def apply(self, changes: Sequence[Change]) -> None:
        """Insert or rewrite papers, all of them or none (one transaction). The keyword index beside
        the database catches up later (`sync_keyword_index`, or the next keyword search)."""
        ...

    def start_bulk_load(self) -> None:
        """Before a large import into an empty catalogue: set aside what is cheaper built once at the
        end (see SqlStore.start_bulk_load)."""
        ...

    def finish_bulk_load(self) -> None:
        """Build whatever a bulk load left for the end; nothing when it is all built."""
        ...

    def bulk_load_unfinished(self) -> bool: ...

    def keyword_search(
        self, query: Query, limit: int, offset: int = 0, filters: Filters | None = None, sort: str = "relevance"
    ) -> tuple[list[str], list[float]]:
        """Ids and scores (higher is better) of the papers matching `query` and `filters`, in `sort`
        order (relevance: best first)."""
        ...

    def keyword_pks(
        self, query: Query, limit: int, offset: int = 0, filters: Filters | None = None, sort: str = "relevance"
    ) -> tuple[list[int], list[float]]:
        """`keyword_search` by pk: what search fuses and pages before it fetches any paper."""
        ...

    def sync_keyword_index(
        self, *, wait: bool = True, rebuild: bool = False, on_progress: Callable[[int], None] | None = None
    ) -> int:
        """Bring the keyword index up to date with the papers (or rebuild it); how many were indexed."""
        ...

    def get(self, paper_id: str) -> Paper | None: ...

    def featured_between(self, start: date, end: date, limit: int = 1000) -> list[Paper]:
        """Papers featured on days in [start, end), most upvoted first."""
        ...

    def featured_days_around(self, day: date) -> tuple[date | None, date | None, date | None]:
        """(the latest featured day before `day`, the earliest after it, the latest of all)."""
        ...

    def count(self) -> int: ...

    def catalogue_version(self) -> int:
        """A number that moves whenever papers or votes change (cached pages check it)."""
        ...

    def schema_revision(self) -> str | None:
        """The migration the database is at."""
        ...

    def stats(self) -> dict[str, object]: ...

    def iter_papers(self, batch_size: int = 1000) -> Iterable[Paper]:
        """Every paper, in insertion order."""
        ...

    # --- vectors for semantic search (see papertide.vectors) ---
    def pending_embeddings(self, model: str, limit: int) -> list[tuple[int, str, str]]:
        """(pk, title, abstract) of papers with no vector from `model` yet, oldest first."""
        ...

    def save_embeddings(
        self, model: str, pks: Sequence[int] | npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]
    ) -> None:
        """Store vectors in one transaction (each pk is logged for the ANN index to replay)."""
        ...

    def vector_generation(self) -> int: ...

    def vector_log_seq(self) -> int:
        """The last logged vector change; an ANN index holding it is in step."""
        ...

    def vector_log(self, after: int) -> tuple[int, int, list[int]]:
        """(last seq, seq pruned through, pks whose vector changed after `after`), one snapshot."""
        ...

    def embeddings_of(
        self, model: str, pks: Iterable[int]
    ) -> Iterable[tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]]: ...

    def prune_vector_log(self, keep: int = ...) -> None: ...

    def count_embeddings(self, model: str) -> int: ...

    def iter_embeddings(
        self, model: str, batch_size: int = 10000
    ) -> Iterable[tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]]: ...

    def ids_for_pks(self, pks: Iterable[int]) -> dict[int, str]: ...

    def pks_for_ids(self, ids: Iterable[str]) -> dict[str, int]: ...

    def check(self) -> list[str]:
        """Problems found in the database (empty when consistent)."""
        ...

    def close(self) -> None: ...


def open_store(url: str, *, migrate: bool = True, keyword_dir: Path | None = None) -> Store:
    """The store at `url`; its keyword index in `keyword_dir` (default: beside an SQLite file)."""
    from .sql import SqlStore

    store = SqlStore(url, keyword_dir)
    if migrate:
        store.migrate()
    return store
