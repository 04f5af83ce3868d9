"""Members' upvotes and "not interested" marks on papers.

An upvote moves the paper's count in the vote's own transaction (the store's `set_vote`), so the
count a reader sees is exact; "not interested" is the recommender's negative signal. The paper is
named by its id (what a route or a command has); an id the catalogue does not hold is NoSuchPaper.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from papertide.errors import NotFound
from papertide.store import Store


class NoSuchPaper(NotFound):
    """A paper id the catalogue does not hold."""

    def __init__(self, paper_id: str) -> None:
        super().__init__(f"no paper {paper_id}")
        self.paper_id = paper_id


@dataclass(frozen=True)
class Vote:
    """Where a member's vote stands after a change: whether they vote for the paper now, and its count."""

    paper_id: str
    voted: bool
    upvotes: int


class Votes:
    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self._store, self._clock = store, clock

    def _pk(self, paper_id: str) -> int:
        pk = self._store.pks_for_ids([paper_id]).get(paper_id)
        if pk is None:
            raise NoSuchPaper(paper_id)
        return pk

    def vote(self, member_id: int, paper_id: str, want: bool | None = True) -> Vote:
        """Vote for the paper (True), withdraw the vote (False) or toggle it (None); idempotent."""
        voted, _ = self._store.community.set_vote(member_id, self._pk(paper_id), want, self._clock())
        paper = self._store.get(paper_id)
        return Vote(paper_id, voted, paper.votes if paper else 0)

    def not_interested(self, member_id: int, paper_id: str, marked: bool = True) -> bool:
        """Mark the paper "not interested" (or take the mark back); whether anything changed."""
        return self._store.community.set_not_interested(member_id, self._pk(paper_id), marked, self._clock())

    def voted_among(self, member_id: int, paper_ids: Iterable[str]) -> set[str]:
        """Which of `paper_ids` the member votes for (one query: a page's cards)."""
        return self._store.community.voted_among(member_id, paper_ids)

    def not_interested_ids(self, member_id: int, limit: int = 100) -> list[str]:
        """The papers the member marked "not interested", latest first."""
        return self._store.community.not_interested_ids(member_id, limit)

    def submitted_and_upvoted(self, member_id: int, limit: int = 100) -> tuple[list[str], list[str]]:
        """A member page's two lists: the papers they submitted and those they upvoted, newest first."""
        community = self._store.community
        return community.submitted_ids(member_id, limit), community.voted_ids(member_id, limit)


__all__ = ["NoSuchPaper", "Vote", "Votes"]
