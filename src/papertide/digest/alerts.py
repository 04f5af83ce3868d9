"""Saved-search alerts: after an ingest, each member whose saved searches match new papers gets one
mail listing them, and never the same paper twice.

A paper matches a saved search when every word and phrase of its query occurs in the paper (read
as the keyword index reads words: stemmed, accents folded), its author:/cat:/-word parts hold, and
its filters pass; the paper must be newer than the saved search. "New" is by the catalogue's own
order: the run remembers the highest paper pk it has looked at (a counter in the database).

Exactly once, as for the digest: for each member the papers are claimed in the alert log (one row
per member and paper, its key the guard) and the claim is committed before the message goes to the
SMTP server; the batch is marked sent after. A run killed anywhere leaves either unclaimed papers
(the next run matches them again: the cursor only moves after every member's claim is committed)
or a batch still "sending" (the next run sends it first, with the same papers and Message-ID).
Papers a member opened or marked not interested are left out of their alerts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from papertide.digest import _ENV, MailConfig, Mailer
from papertide.digest.matching import Compiled, compile_search, match_searches
from papertide.feeds.cards import card
from papertide.index.keywords import Matcher
from papertide.mail.links import member_sig
from papertide.mail.mailer import PermanentFailure, TemporaryFailure
from papertide.mail.mime import Outgoing, alternative, header_value
from papertide.model import Member, Paper
from papertide.store import Doc, Store

# New papers are matched this many at a time (memory stays flat after a bulk import).
CHUNK = 5000
# Saved searches are read this many at a time.
SEARCH_PAGE = 2000
MAX_PAPERS_PER_ALERT = 50


@dataclass
class AlertReport:
    new_papers: int = 0  # papers looked at
    searches: int = 0  # saved searches with immediate alerts run against them
    members_matched: int = 0
    sent: int = 0  # messages accepted by the SMTP server (resent ones included)
    resent: int = 0  # unfinished messages of an earlier run, sent again
    papers_sent: int = 0
    nothing_new: int = 0  # members whose matches were all sent before, opened or dismissed
    deferred: int = 0
    failed: int = 0
    errors: int = 0  # saved searches or members skipped after an error (logged), the others went on
    started: bool = False  # the first run only sets the cursor: alerts start from now

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def alerts_off_url(config: MailConfig, member: Member) -> str:
    return f"{config.base_url}/alerts/off?m={member.id}&sig={member_sig(config.secret, 'alerts-off', member)}"


def alert_message(
    member: Member,
    papers: list[Paper],
    reasons: dict[str, list[str]],
    batch_id: int,
    config: MailConfig,
    now: datetime,
) -> Outgoing:
    """The alert mail: the papers grouped under the saved search that found each (its first one)."""
    groups: dict[str, list[Paper]] = {}
    for p in papers:
        groups.setdefault((reasons.get(p.id) or ["your saved searches"])[0], []).append(p)
    names = list(groups)
    subject_for = f"“{names[0]}”" if len(names) == 1 else f"{len(names)} saved searches"
    count = f"{len(papers)} new paper{'s' if len(papers) != 1 else ''}"
    off_url = alerts_off_url(config, member)
    context = {
        "site": config.site_name,
        "base_url": config.base_url,
        "day_label": f"{count} matching {subject_for}",
        "sections": [{"title": f"New for “{name}”", "cards": [card(p) for p in ps]} for name, ps in groups.items()],
        "settings_url": f"{config.base_url}/saved",
        "settings_label": "Manage your saved searches",
        "reason": "You get this because you turned on alerts for a saved search.",
        "unsubscribe_url": off_url,
        "web_view_url": None,
    }
    host = urlsplit(config.base_url).hostname or "localhost"
    name, address = parseaddr(config.sender)
    headers = [
        ("From", formataddr((name, address), charset="utf-8")),
        ("To", member.email),
        ("Subject", header_value(f"{config.site_name}: {count} for {subject_for}")),
        ("Date", format_datetime(now.replace(tzinfo=ZoneInfo("UTC")))),
        ("Message-ID", f"<alert-{batch_id}@{host}>"),  # the same for every attempt at this batch
        ("List-Unsubscribe", f"<{off_url}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ("List-Id", header_value(f"{config.site_name} alerts <alerts.{host}>")),
    ]
    text = _ENV.get_template("digest.txt").render(context)
    html = _ENV.get_template("digest.html").render(context)
    return Outgoing(address, member.email, alternative(headers, text, html))


@dataclass
class _Run:
    store: Store
    mailer: Mailer
    config: MailConfig
    now: datetime
    retries: int
    sleep: Callable[[float], None]
    report: AlertReport
    names: dict[int, str] = field(default_factory=dict)  # saved search id -> name

    def deliver(self, member: Member, batch_id: int, pks: list[int], reasons: dict[int, list[int]]) -> None:
        personal = self.store.personal
        found = self.store.papers_by_pk(pks)
        papers = [found[pk] for pk in pks if pk in found]
        if not papers:  # every one was removed since the claim
            personal.finish_batch(batch_id, "empty", self.now)
            return
        why = {found[pk].id: [self.names.get(s, "") for s in reasons.get(pk, [])] for pk in pks if pk in found}
        message = alert_message(member, papers, why, batch_id, self.config, self.now)
        for attempt in range(self.retries + 1):
            try:
                self.mailer.send(message)
            except TemporaryFailure as exc:
                if attempt < self.retries:
                    self.sleep(min(2.0**attempt, 30.0))
                    continue
                personal.finish_batch(batch_id, "deferred", self.now, str(exc))
                self.report.deferred += 1
                return
            except PermanentFailure as exc:
                self.store.digests.mark_bounced(member.id)
                personal.finish_batch(batch_id, "failed", self.now, str(exc))
                self.report.failed += 1
                return
            personal.finish_batch(batch_id, "sent", self.now)
            self.report.sent += 1
            self.report.papers_sent += len(papers)
            return


log = logging.getLogger("papertide.alerts")


def _immediate_searches(store: Store) -> Iterator[Compiled]:
    after = 0
    while page := store.personal.alerting_searches("immediate", after, SEARCH_PAGE):
        after = page[-1].id
        yield from filter(None, map(compile_search, page))


def send_alerts(
    store: Store,
    mailer: Mailer,
    config: MailConfig,
    now: datetime,
    *,
    retries: int = 3,
    sleep: Callable[[float], None] = time.sleep,
    chunk: int = CHUNK,
) -> AlertReport:
    """Mail every member the new papers matching their saved searches with immediate alerts.
    Safe to run at any time and again after a crash; one run at a time (the CLI holds a lock)."""
    report = AlertReport()
    run = _Run(store, mailer, config, now, retries, sleep, report)
    personal = store.personal
    for batch_id, member_id, _ in personal.unfinished_batches():
        member = store.community.member_by_id(member_id)
        if member is None or member.email_status != "ok":
            personal.finish_batch(batch_id, "failed", now, "no address to send to")
            continue
        personal.finish_batch(batch_id, "sending", now)  # counts the attempt
        run.deliver(member, batch_id, personal.batch_papers(batch_id), {})
        report.resent += 1
    cursor = personal.alert_cursor()
    with store.keyword_snapshot() as snapshot:
        top = snapshot.target.max_pk
        if cursor is None:
            personal.set_alert_cursor(top)
            report.started = True
            return report
        while cursor < top:
            docs: list[Doc] = []
            for doc in snapshot.docs(cursor, top):
                docs.append(doc)
                if len(docs) >= chunk:
                    break
            if not docs:
                break
            _alert_chunk(run, docs)
            cursor = docs[-1].pk
            personal.set_alert_cursor(cursor)  # only after every member's claim for the chunk
    return report


def _alert_chunk(run: _Run, docs: list[Doc]) -> None:
    store, personal, report = run.store, run.store.personal, run.report
    report.new_papers += len(docs)
    matcher = Matcher(docs)
    searches = list(_immediate_searches(store))
    report.searches = max(report.searches, len(searches))
    run.names.update((c.search.id, c.search.name) for c in searches)

    # A search's papers beyond the best few mail-fulls are never sent by this run; their number
    # caps the work per search (what the member opened or was sent before is taken out after).
    def skip(compiled: Compiled, exc: Exception) -> None:
        log.error("saved search %s of member %s failed (%r); the others go on", compiled.search.id,
                  compiled.search.member_id, exc)  # fmt: skip
        report.errors += 1

    for member_id, matched in match_searches(matcher, searches, 4 * MAX_PAPERS_PER_ALERT, skip).items():
        report.members_matched += 1
        hidden = personal.hidden_among(member_id, matched)
        pks = [pk for pk in matched if pk not in hidden][:MAX_PAPERS_PER_ALERT]
        claim = personal.open_batch(member_id, pks, run.now) if pks else None
        member = store.community.member_by_id(member_id) if claim else None
        if claim is None or member is None:
            report.nothing_new += 1
            continue
        try:
            run.deliver(member, claim[0], claim[1], matched)
        except Exception as exc:  # rendering one member's mail, say: theirs waits, the others go on
            log.exception("could not send the alert of member %s; the others go on", member_id)
            personal.finish_batch(claim[0], "deferred", run.now, f"{type(exc).__name__}: {exc}"[:500])
            report.errors += 1
