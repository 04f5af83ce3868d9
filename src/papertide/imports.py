"""Ingest: turn a stream of source records into catalogue changes, in atomic batches.

Each batch is looked up, merged (`merge.merge_paper`, pure) and written in one transaction, so a
process killed at any moment leaves every paper either as it was or fully updated, and a rerun
finishes the job (records already written come back as unchanged).

A bulk ingest (a large import into an empty catalogue) leaves the browsing indexes to the end
(`Store.start_bulk_load`); if it is killed before then, the next ingest builds them first. The
keyword index beside the database is not written here: `Store.sync_keyword_index` catches it up
(the CLI after an import, any process before a keyword search).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .ids import is_local_id, title_key
from .merge import Outcome, classify, merge_paper
from .model import Paper
from .sources import Item, Rejected
from .store import Store

MAX_KEPT_REJECTIONS = 100


@dataclass
class Summary:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejections: list[Rejected] = field(default_factory=list)
    indexing: bool = False  # a bulk ingest is building its indexes (the records are all written)

    @property
    def seen(self) -> int:
        return self.new + self.updated + self.unchanged + self.rejected

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)

    def reject(self, item: Rejected) -> None:
        self.rejected += 1
        if len(self.rejections) < MAX_KEPT_REJECTIONS:
            self.rejections.append(item)

    def as_dict(self) -> dict[str, int]:
        return {
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


@dataclass
class _Slot:
    """A paper touched by the current batch: where it is stored, as it was, and as it will be."""

    stored_id: str | None
    original: Paper | None
    current: Paper


class _Batch:
    def __init__(self, store: Store, papers: list[Paper]) -> None:
        self.keys = {p.title: title_key(p.title) for p in papers}
        self.by_id = store.get_many(p.id for p in papers)
        self.by_key = store.find_by_title_keys(self.keys.values())
        for matches in self.by_key.values():
            self.by_id.update((p.id, p) for p in matches)
        self.slots: dict[str, _Slot] = {}
        self.slot_ids_by_key: dict[str, list[str]] = {}
        self.renamed: dict[str, str] = {}  # local id -> arXiv id it took in this batch

    def _key(self, title: str) -> str:
        if title not in self.keys:
            self.keys[title] = title_key(title)
        return self.keys[title]

    def _slot_for(self, paper_id: str) -> _Slot | None:
        paper_id = self.renamed.get(paper_id, paper_id)
        if paper_id in self.slots:
            return self.slots[paper_id]
        stored = self.by_id.get(paper_id)
        return _Slot(stored.id, stored, stored) if stored else None

    def _match_by_title(self, incoming: Paper) -> _Slot | None:
        # A title match merges only a title-only record with another record; two different
        # arXiv ids with the same title ("Erratum", "Introduction") stay two papers.
        key = self._key(incoming.title)
        candidates = self.slot_ids_by_key.get(key, []) + [p.id for p in self.by_key.get(key, [])]
        for paper_id in candidates:
            slot = self._slot_for(paper_id)
            if slot is None or slot.current.id == incoming.id:
                continue
            if self._key(slot.current.title) == key and (is_local_id(incoming.id) or is_local_id(slot.current.id)):
                return slot
        return None

    def observe(self, incoming: Paper) -> Outcome:
        slot = self._slot_for(incoming.id) or self._match_by_title(incoming)
        before = slot.current if slot else None
        merged = merge_paper(before, incoming)
        if slot is None:
            slot = _Slot(None, None, merged)
        elif before is not None and before.id != merged.id:
            self.slots.pop(before.id, None)
            self.renamed[before.id] = merged.id
        slot.current = merged
        self.slots[merged.id] = slot
        self.slot_ids_by_key.setdefault(self._key(merged.title), []).append(merged.id)
        return classify(before, merged)

    def changes(self) -> list[tuple[str | None, Paper]]:
        return [(s.stored_id, s.current) for s in self.slots.values() if s.current != s.original]


def ingest(
    store: Store,
    items: Iterable[Item],
    batch_size: int = 1000,
    on_batch: Callable[[Summary], None] | None = None,
    bulk: bool = False,
) -> Summary:
    """Merge every record of `items` into the store; return how many were new, updated, unchanged
    or rejected. `on_batch` is called after each committed batch (for progress display)."""
    summary = Summary()
    pending: list[Paper] = []
    store.finish_bulk_load()  # what a bulk ingest killed before its end left undone
    if bulk:
        store.start_bulk_load()

    def flush() -> None:
        batch = _Batch(store, pending)
        for paper in pending:
            summary.count(batch.observe(paper))
        store.apply(batch.changes())
        pending.clear()
        if on_batch:
            on_batch(summary)

    try:
        for item in items:
            if isinstance(item, Rejected):
                summary.reject(item)
                continue
            pending.append(item)
            if len(pending) >= batch_size:
                flush()
        if pending:
            flush()
    finally:
        if bulk:  # also when the input fails half-way: what was written becomes searchable
            summary.indexing = True
            if on_batch:
                on_batch(summary)
            store.finish_bulk_load()
    return summary
