"""Members submit papers to the daily feed by arXiv id.

`check_submission` is the pure rule book; `submit` fetches the record from arXiv (through the
function it is given), applies the rules, features the paper today and records who submitted it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from papertide.catalogue.imports import ingest
from papertide.errors import Conflict, Invalid
from papertide.ids import InvalidId, parse_arxiv_id
from papertide.model import Member, Paper
from papertide.sources import Rejected, SourceError, arxiv_atom
from papertide.sources.http import PoliteClient
from papertide.store import Store

log = logging.getLogger(__name__)

# Looks a paper up at the source by arXiv id; None when the source has no such paper.
Fetch = Callable[[str], Paper | None]


@dataclass(frozen=True)
class Rules:
    max_age: timedelta = timedelta(days=14)  # only papers first published this recently
    per_member_per_day: int = 5


class SubmissionError(Invalid):
    """A submission that is refused; `existing_id` links to the paper when it is a duplicate."""

    def __init__(self, message: str, existing_id: str | None = None) -> None:
        super().__init__(message)
        self.existing_id = existing_id

    def details(self) -> dict[str, str]:
        return {"existing_id": self.existing_id} if self.existing_id else {}


class AlreadySubmitted(SubmissionError, Conflict):
    """The paper is in the feed already; `existing_id` links to it."""

    def __init__(self, message: str, existing_id: str) -> None:
        super().__init__(message, existing_id)


def check_submission(paper: Paper, existing: Paper | None, submitted_today: int, rules: Rules, now: datetime) -> None:
    """Raise SubmissionError when `paper` (as the source describes it) may not be submitted now."""
    if existing is not None and existing.featured_date is not None:
        raise AlreadySubmitted(
            f"{paper.id} is already in the feed (featured {existing.featured_date.isoformat()})", existing.id
        )
    if submitted_today >= rules.per_member_per_day:
        raise SubmissionError(f"you can submit {rules.per_member_per_day} papers a day; come back tomorrow")
    if paper.published is None:
        raise SubmissionError(f"arXiv gives no publication date for {paper.id}")
    if now - paper.published > rules.max_age:
        raise SubmissionError(
            f"{paper.id} was first published on {paper.published.date().isoformat()}; "
            f"only papers from the last {rules.max_age.days} days can be submitted"
        )


def submit(store: Store, member: Member, text: str, fetch: Fetch, now: datetime, rules: Rules = Rules()) -> Paper:
    """Feature the paper named by `text` (an arXiv id or URL) today, submitted by `member`."""
    try:
        arxiv_id, _ = parse_arxiv_id(text)
    except InvalidId as exc:
        raise SubmissionError(f"{text.strip()[:80]!r} is not an arXiv id (like 2510.12345)") from exc
    existing = store.get(arxiv_id)
    if existing is not None and existing.featured_date is not None:  # no need to ask arXiv
        check_submission(existing, existing, 0, rules, now)
    submitted_today = store.community.submissions_since(member.id, now - timedelta(days=1))
    try:
        fetched = fetch(arxiv_id)
    except SourceError as exc:
        log.warning("asking arXiv about %s failed: %s", arxiv_id, exc)  # the details are the operator's
        raise SubmissionError(f"arXiv could not be reached just now; try {arxiv_id} again in a few minutes") from exc
    if fetched is None:
        raise SubmissionError(f"arXiv has no paper {arxiv_id}")
    check_submission(fetched, existing, submitted_today, rules, now)
    today: date = now.date()
    ingest(store, [fetched.replace(featured_date=today, submitted_by=member.handle)])
    pk = store.pks_for_ids([arxiv_id])[arxiv_id]
    if not store.community.add_submission(pk, member.id, now):  # someone else got there first
        raise AlreadySubmitted(f"{arxiv_id} is already in the feed", arxiv_id)
    paper = store.get(arxiv_id)
    assert paper is not None
    return paper


def arxiv_fetcher(base_url: str = arxiv_atom.DEFAULT_URL, delay: float = 3.0, retries: int = 2) -> Fetch:
    """A Fetch that asks the arXiv API (or a stand-in at `base_url`) by `id_list`."""
    client = PoliteClient(delay=delay, retries=retries, timeout=20.0)

    def fetch(arxiv_id: str) -> Paper | None:
        for item in arxiv_atom.fetch(client, id_list=[arxiv_id], base_url=base_url):
            if isinstance(item, Paper) and item.id == arxiv_id:
                return item
            if isinstance(item, Rejected):
                raise SourceError(str(item))
        return None

    return fetch
