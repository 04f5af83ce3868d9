"""What the catalogue's writing calls report: an import (per file), a removal, an undone import run."""

from __future__ import annotations

from dataclasses import dataclass, field

from papertide.catalogue.merge import Outcome
from papertide.sources import Rejected
from papertide.store import ImportRun

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
class FileResult:
    """What importing one file did: its records' counts, or why it could not be read (then
    nothing of it was kept: the records it had written were undone)."""

    source: str
    summary: Summary
    run: int | None = None
    error: str | None = None


@dataclass
class ImportReport:
    files: list[FileResult] = field(default_factory=list)
    keywords_indexed: int = 0
    encoded: int = 0

    @property
    def total(self) -> Summary:
        out = Summary()
        for f in self.files:
            if f.error is None:
                out.new, out.updated = out.new + f.summary.new, out.updated + f.summary.updated
                out.unchanged += f.summary.unchanged
            out.rejected += f.summary.rejected
            out.rejections.extend(f.summary.rejections)
        return out

    @property
    def ok(self) -> bool:
        return all(f.error is None and not f.summary.rejected for f in self.files)


@dataclass
class RemoveReport:
    removed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)  # (id, why), without force


@dataclass
class UndoReport:
    run: ImportRun
    removed: int
    restored: int
    kept: list[tuple[str, str]]


def rejected_lines(summary: Summary, limit: int = 20) -> list[str]:
    """How a report names rejected records: "file:line (record id): reason"."""
    return [str(r) for r in summary.rejections[:limit] if isinstance(r, Rejected)]
