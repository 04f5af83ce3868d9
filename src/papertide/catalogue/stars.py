"""GitHub stars for papers' code: refreshing the counts (`papertide ingest github`) and "trending
on GitHub" (the papers whose repositories gained the most stars in the last week; the formula is
`rank.github_gain`, pure)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from papertide.model import Paper
from papertide.search.rank import GITHUB_WINDOW
from papertide.search.rank import github_trending as rank_by_gain
from papertide.sources import SourceError
from papertide.store import Store


class RepoSource(Protocol):
    def repo(self, full_name: str, etag: str | None = None) -> Any: ...


@dataclass
class StarsReport:
    repos: int = 0  # repositories papers link to
    checked: int = 0
    changed: int = 0  # repositories whose papers now show another count
    not_modified: int = 0  # 304s: free under GitHub's rate limit
    gone: int = 0
    errors: int = 0
    rate_limited_until: datetime | None = None  # the run stopped here; the next one goes on

    def to_json(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["rate_limited_until"] = self.rate_limited_until.isoformat() + "Z" if self.rate_limited_until else None
        return out


def refresh_stars(
    store: Store,
    source: RepoSource,
    now: datetime,
    limit: int | None = None,
    on_progress: Callable[[StarsReport], None] | None = None,
) -> StarsReport:
    """Ask GitHub about each repository papers link to (never checked first, then the oldest
    checks), at most `limit` of them; a rate-limit answer ends the run early (nothing is lost)."""
    from papertide.sources.github import RateLimited

    targets = store.github.targets()
    report = StarsReport(repos=len(targets))
    for repo, pks, etag in targets[:limit]:
        try:
            state = source.repo(repo, etag)
        except RateLimited as exc:
            report.rate_limited_until = exc.until
            break
        except SourceError:
            report.errors += 1
            continue
        report.checked += 1
        if state.status == "not_modified":
            store.github.touch(repo, now, now.date())
            report.not_modified += 1
        elif state.status == "gone":
            store.github.record(repo, pks, None, None, True, now.date(), now)
            report.gone += 1
        elif store.github.record(repo, pks, state.stars, state.etag, False, now.date(), now):
            report.changed += 1
        if on_progress and report.checked % 100 == 0:
            on_progress(report)
    return report


def github_trending(store: Store, now: datetime, limit: int = 50) -> list[tuple[Paper, int]]:
    """(paper, stars gained in the last week), most gained first; one paper per repository (the
    most upvoted of those linking to it)."""
    today = now.date()
    repos, gains = rank_by_gain(store.github.histories(today - timedelta(days=GITHUB_WINDOW)), today)
    repos, gains = repos[: limit * 2], gains[: limit * 2]
    pks_by_repo = store.github.papers_of(repos)
    found = store.papers_by_pk(pk for pks in pks_by_repo.values() for pk in pks)
    out: list[tuple[Paper, int]] = []
    for repo, gained in zip(repos, gains, strict=True):
        candidates = [found[pk] for pk in pks_by_repo.get(repo, []) if pk in found]
        if candidates:
            out.append((max(candidates, key=lambda p: (p.votes, p.id)), int(gained)))
    return out[:limit]
