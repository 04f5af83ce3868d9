"""Importing: merging a stream of source records into the catalogue, in atomic batches, and
undoing an import run.

Each batch is looked up, merged (`merge.merge_paper`, pure) and written in one transaction, so a
process killed at any moment leaves every paper either as it was or fully updated, and a rerun
finishes the job (records already written come back as unchanged). With a `run`, the store notes
every paper the batch added or changed (and what it was), so the run can be undone: `plan_undo`
(pure) decides what goes, what is restored and what is left alone, and why.

Whoever imports brings the derived indexes up to date afterwards (`Papertide` does); nothing here
touches them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Set
from dataclasses import dataclass, field
from datetime import datetime

from papertide.catalogue.merge import Outcome, classify, merge_paper
from papertide.ids import is_local_id, title_key
from papertide.model import Paper
from papertide.sources import Item, Rejected
from papertide.sources.records import clean_paper
from papertide.store import PaperStore, Store

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
    def __init__(self, store: PaperStore, papers: list[Paper]) -> None:
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


def merge_records(
    store: PaperStore,
    items: Iterable[Item],
    batch_size: int = 1000,
    on_batch: Callable[[Summary], None] | None = None,
    run: int | None = None,
    summary: Summary | None = None,
) -> Summary:
    """Merge every record of `items` into the store; return how many were new, updated, unchanged
    or rejected (`summary` is filled in as it goes: a caller still has the counts when reading the
    input fails half-way). `on_batch` is called after each committed batch (for progress display);
    `run` records every change under that import run."""
    summary = summary if summary is not None else Summary()
    pending: list[Paper] = []

    def flush() -> None:
        batch = _Batch(store, pending)
        for paper in pending:
            summary.count(batch.observe(paper))
        store.apply(batch.changes(), run)
        pending.clear()
        if on_batch:
            on_batch(summary)

    for item in items:
        if isinstance(item, Rejected):
            summary.reject(item)
            continue
        try:
            pending.append(clean_paper(item))
        except (TypeError, ValueError) as exc:  # a record built by hand, or a parser's mistake
            summary.reject(Rejected(f"record {summary.seen + len(pending) + 1}", str(item.id)[:100], str(exc)))
            continue
        if len(pending) >= batch_size:
            flush()
    if pending:
        flush()
    return summary


@contextlib.contextmanager
def bulk_load(store: PaperStore, enabled: bool, on_indexing: Callable[[], None] | None = None) -> Iterator[None]:
    """Around the imports of one command: first finish what a bulk import killed before its end
    left undone; then, when `enabled` (a large import into an empty catalogue), leave the browsing
    indexes to the end, built once by sorting — also when the input fails half-way, so that what
    was written becomes browsable."""
    store.finish_bulk_load()
    if enabled:
        store.start_bulk_load()
    try:
        yield
    finally:
        if enabled:
            if on_indexing:
                on_indexing()
            store.finish_bulk_load()


def ingest(
    store: PaperStore,
    items: Iterable[Item],
    batch_size: int = 1000,
    on_batch: Callable[[Summary], None] | None = None,
    bulk: bool = False,
) -> Summary:
    """`merge_records` in a `bulk_load` of its own: one stream of records, as tests and scripts
    that hold a store feed it (the `Papertide` facade also keeps the indexes in step)."""
    summary = Summary()

    def indexing() -> None:
        summary.indexing = True
        if on_batch:
            on_batch(summary)

    with bulk_load(store, bulk, indexing):
        return merge_records(store, items, batch_size, on_batch, summary=summary)


# --- undoing an import run -----------------------------------------------------------------------------
@dataclass
class UndoPlan:
    remove: list[int] = field(default_factory=list)  # pks the run added, to delete
    restore: list[tuple[int, Paper]] = field(default_factory=list)  # pks the run changed, as they were
    kept: list[tuple[str, str]] = field(default_factory=list)  # (paper id, why it is left as it is)


def plan_undo(
    changes: Mapping[int, Paper | None],
    current: Mapping[int, Paper],
    touched_later: Set[int],
    changed_since: Set[int],
    engaged: Mapping[int, str],
) -> UndoPlan:
    """What undoing a run does to each paper it added (`changes[pk]` None) or changed (the paper
    before it): a paper another run or a member's action changed since is left alone, and so is an
    added paper that members voted for or submitted; the rest is deleted or restored. Papers gone
    since are skipped."""
    plan = UndoPlan()
    for pk, previous in sorted(changes.items()):
        paper = current.get(pk)
        if paper is None:
            continue
        why = (
            "a later import changed it"
            if pk in touched_later
            else "it changed after the import (a submission or an edit)"
            if pk in changed_since
            else None
        )
        if previous is None:
            why = why or engaged.get(pk)
            if why:
                plan.kept.append((paper.id, why))
            else:
                plan.remove.append(pk)
        elif why:
            plan.kept.append((paper.id, why))
        else:
            plan.restore.append((pk, previous))
    return plan


def undo_run(store: Store, run_id: int, now: datetime) -> UndoPlan:
    """Carry out `plan_undo` for import run `run_id` (which must exist) and mark it undone."""
    log = store.import_log
    run = log.run(run_id)
    assert run is not None
    changes = log.changes(run_id)
    pks = list(changes)
    plan = plan_undo(
        changes,
        store.papers_by_pk(pks),
        log.touched_later(run_id, pks),
        store.changed_after(pks, run.finished_at or now),
        store.community.members_engaged_with(pks),
    )
    store.remove(plan.remove)
    for pk, paper in plan.restore:
        store.restore(pk, paper)
    counts = {"new": run.new, "updated": run.updated, "unchanged": run.unchanged, "rejected": run.rejected}
    log.finish(run_id, "undone", counts, now, run.error)
    return plan
