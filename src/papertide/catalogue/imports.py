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
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from papertide.catalogue.merge import Outcome, classify, merge_paper
from papertide.catalogue.reports import FileResult, ImportReport, Summary
from papertide.ids import is_local_id, title_key
from papertide.model import Paper
from papertide.sources import Item, Rejected, SourceError, parsed
from papertide.sources.files import read_path
from papertide.sources.parallel import read_paths_in_process
from papertide.sources.records import clean_paper
from papertide.store import PaperStore, Store


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


# --- import runs: what `Papertide` imports is recorded, and a file that fails is undone -----------------
# Inputs larger than this are parsed in a second process (see sources/parallel.py; below it, starting
# that process, ~0.3 s, costs more than it saves) and, into an empty catalogue, bulk-loaded.
LARGE_IMPORT_BYTES = 16 << 20


class Importer:
    """Imports as runs in the store's import log: a stream of records, files (each its own run: one
    that cannot be read to the end keeps nothing), or what a remote source answers. The indexes are
    the caller's to catch up (`Papertide` does, before it returns)."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self._store, self._clock = store, clock

    def run(
        self,
        items: Iterable[Item],
        source: str,
        fmt: str,
        batch_size: int,
        on_batch: Callable[[Summary], None] | None,
        record_run: bool = True,
    ) -> FileResult:
        """Merge `items` as one run; a source error undoes the run and is reported, not raised."""
        log = self._store.import_log
        run = log.start(source, fmt, self._clock()) if record_run else None
        summary = Summary()
        try:
            merge_records(self._store, parsed(items, source), batch_size, on_batch, run=run, summary=summary)
        except SourceError as exc:
            if run is not None:
                log.finish(run, "failed", summary.as_dict(), self._clock(), str(exc))
                undo_run(self._store, run, self._clock())
            return FileResult(source, summary, run, str(exc))
        except BaseException as exc:  # interrupted: the run stays listed as failed, undoable
            if run is not None:
                log.finish(run, "failed", summary.as_dict(), self._clock(), repr(exc))
            raise
        if run is not None:
            log.finish(run, "done", summary.as_dict(), self._clock())
        return FileResult(source, summary, run)

    def files(
        self,
        files: Sequence[Path],
        fmt: str,
        capture_year: int | None,
        batch_size: int,
        parallel: bool | None,
        bulk: bool | None,
        on_bytes: Callable[[int], None] | None,
        on_batch: Callable[[Summary], None] | None,
    ) -> ImportReport:
        """Each file as its own run; over 16 MB in all, parsed in a second process (`parallel`) and,
        into an empty catalogue, bulk-loaded (`bulk`)."""
        total_bytes = sum(p.stat().st_size for p in files)
        if parallel is None:
            parallel = total_bytes > LARGE_IMPORT_BYTES and (os.cpu_count() or 1) > 1
        if bulk is None:
            bulk = total_bytes > LARGE_IMPORT_BYTES and self._store.count() == 0
        report = ImportReport()

        def records(path: Path) -> Iterator[Item]:
            if parallel:
                return read_paths_in_process([path], fmt, capture_year, on_bytes)
            return read_path(path, fmt, capture_year, on_bytes=on_bytes)

        def indexing() -> None:
            if on_batch and report.files:
                report.files[-1].summary.indexing = True
                on_batch(report.files[-1].summary)

        with bulk_load(self._store, bulk, indexing):
            for path in files:
                report.files.append(self.run(records(path), str(path), fmt, batch_size, on_batch))
        return report

    def fetch(
        self, items: Iterable[Item], source: str, on_batch: Callable[[Summary], None] | None
    ) -> tuple[Summary, SourceError | None]:
        """A remote source's answer as one run; what it sent before failing stays (asking again
        resumes), and the failure is returned for the caller to raise once the indexes caught up."""
        log = self._store.import_log
        run = log.start(source, "fetch", self._clock())
        summary = Summary()
        try:
            merge_records(self._store, parsed(items, source), 200, on_batch, run=run, summary=summary)
        except SourceError as exc:
            log.finish(run, "failed", summary.as_dict(), self._clock(), str(exc))
            return summary, exc
        log.finish(run, "done", summary.as_dict(), self._clock())
        return summary, None
