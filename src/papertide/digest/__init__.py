"""The digest email: who is due, what their digest holds, and sending it exactly once.

`due` and `sections_for` are pure; `compose` reads the store; `send_all` walks the subscribers
(in batches: memory stays flat), claims each (member, day) in the delivery log before the message
goes to the SMTP server and marks it sent after, so a crash or a rerun never sends twice and never
skips anyone. One window is left that no SMTP client can close (RFC 1047): a crash after the server
accepted a message but before "sent" is committed resends it, with the same Message-ID, which
mail systems use to drop the copy.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any, Protocol, cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, PackageLoader, select_autoescape

from papertide.digest.matching import compile_search, match_searches
from papertide.feeds import listings
from papertide.feeds.cards import Card, card
from papertide.ids import paper_path
from papertide.index.keywords import Matcher
from papertide.mail.links import member_sig
from papertide.mail.mailer import PermanentFailure, TemporaryFailure
from papertide.mail.mime import Outgoing, alternative, header_value
from papertide.model import Member, Paper, Subscription
from papertide.store import FINAL_DELIVERIES, Store

FREQUENCIES = ("daily", "weekly")
SECTIONS = ("trending", "picks", "foryou", "saved")
log = logging.getLogger("papertide.digest")

# Papers recommended to a member among those new in [start, end) (the library passes one in).
Recommender = Callable[[Member, date, date], list[Paper]]
PER_SECTION = 10


class Mailer(Protocol):
    def send(self, message: Outgoing) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class MailConfig:
    secret: str
    base_url: str
    sender: str = "papertide <digest@localhost>"
    site_name: str = "papertide"


# --- signed links ------------------------------------------------------------------------------------
# (`links`: each signature covers the member's id and own random key, so it acts for that member only)
def unsubscribe_url(config: MailConfig, member: Member) -> str:
    return f"{config.base_url}/unsubscribe?m={member.id}&sig={member_sig(config.secret, 'unsubscribe', member)}"


def web_view_url(config: MailConfig, member: Member, day: date) -> str:
    sig = member_sig(config.secret, "digest", member, day.isoformat())
    return f"{config.base_url}/digest?m={member.id}&d={day.isoformat()}&sig={sig}"


# --- who is due --------------------------------------------------------------------------------------
def local_now(sub: Subscription, now_utc: datetime) -> datetime:
    try:
        zone = ZoneInfo(sub.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return now_utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None)


def scheduled_on(sub: Subscription, day: date) -> bool:
    """Whether the subscription has a digest on `day` (weekly: Mondays; weekdays only: Mon–Fri)."""
    if sub.frequency == "weekly":
        return day.weekday() == 0
    return not (sub.weekdays_only and day.weekday() >= 5)


def due(sub: Subscription, now_utc: datetime) -> date | None:
    """The member-local day whose digest is due at `now_utc`, or None before the send hour or on
    a day without a digest."""
    local = local_now(sub, now_utc)
    if local.hour < sub.send_hour or not scheduled_on(sub, local.date()):
        return None
    return local.date()


def picks_window(sub: Subscription, day: date) -> tuple[date, date]:
    """The featured days a digest for `day` covers: the previous day (or week), [start, end)."""
    return (day - timedelta(days=7 if sub.frequency == "weekly" else 1)), day


# --- what a digest holds -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Section:
    key: str
    title: str
    papers: list[Paper]


@dataclass(frozen=True)
class Digest:
    member: Member
    day: date
    frequency: str
    sections: list[Section]

    @property
    def empty(self) -> bool:
        return not any(s.papers for s in self.sections)


@dataclass
class Composer:
    """Builds digests; the parts every subscriber shares (trending, picks) are computed once per
    (day, frequency) and reused for the whole run."""

    store: Store
    now: datetime
    recommend: Recommender | None = None
    dry_run: bool = False  # compose without claiming saved-search papers in the alert log
    _shared: dict[tuple[str, date, str], list[Paper]] = field(default_factory=dict)
    _matchers: dict[tuple[date, date], Matcher] = field(default_factory=dict)

    def _cached(self, key: tuple[str, date, str], build: Callable[[], list[Paper]]) -> list[Paper]:
        if key not in self._shared:
            self._shared[key] = build()
        return self._shared[key]

    def compose(self, member: Member, sub: Subscription, day: date) -> Digest:
        start, end = picks_window(sub, day)
        picks = self._cached(
            ("picks", day, sub.frequency), lambda: self.store.featured_between(start, end, PER_SECTION)
        )
        trending = self._cached(("trending", day, sub.frequency), lambda: self._trending(day))
        chosen: list[Section] = []
        if "picks" in sub.sections:
            label = "This week's top papers" if sub.frequency == "weekly" else "Yesterday's top papers"
            chosen.append(Section("picks", label, picks))
        if "trending" in sub.sections:
            shown = {p.id for p in picks} if "picks" in sub.sections else set()
            chosen.append(Section("trending", "Trending", [p for p in trending if p.id not in shown][:PER_SECTION]))
        if "foryou" in sub.sections and self.recommend is not None:
            shown = {p.id for section in chosen for p in section.papers}
            mine = [p for p in self.recommend(member, start, end) if p.id not in shown][:PER_SECTION]
            chosen.append(Section("foryou", "Recommended for you", mine))
        if "saved" in sub.sections:
            chosen.append(Section("saved", "Matching your saved searches", self._saved(member, day, start, end)))
        return Digest(member, day, sub.frequency, chosen)

    def _saved(self, member: Member, day: date, start: date, end: date) -> list[Paper]:
        """Papers that arrived in the digest's window and match the member's saved searches with
        digest alerts, never one sent to them before (the alert log, as for immediate alerts) nor
        one they opened or dismissed. Claimed for this (member, day): a rerun carries the same."""
        searches = [c for s in self.store.personal.member_searches(member.id, "digest") if (c := compile_search(s))]
        if not searches:
            return []
        if (start, end) not in self._matchers:
            window = (datetime.combine(start, datetime.min.time()), datetime.combine(end, datetime.min.time()))
            self._matchers[(start, end)] = Matcher(self.store.docs_ingested_between(*window))
        matched = list(match_searches(self._matchers[(start, end)], searches).get(member.id, {}))
        personal = self.store.personal
        hidden = personal.hidden_among(member.id, matched)
        sent = personal.sent_among(member.id, matched) if self.dry_run else set()
        pks = [pk for pk in matched if pk not in hidden and pk not in sent][: 2 * PER_SECTION]
        if not self.dry_run:
            pks = personal.claim_for_digest(member.id, day, pks, self.now)
        found = self.store.papers_by_pk(pks)
        return [found[pk] for pk in pks if pk in found]

    def _trending(self, day: date) -> list[Paper]:
        # Strictly the week before the digest: a catalogue that stopped growing sends nothing
        # rather than the same old list again (the web page anchors at the latest day instead).
        at = min(self.now, datetime.combine(day + timedelta(days=1), datetime.min.time()))
        return [p for p, _ in listings.trending(self.store, at, 2 * PER_SECTION, anchor_to_latest=False)]


# --- rendering ----------------------------------------------------------------------------------------
_ENV = Environment(
    loader=PackageLoader("papertide.digest", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["paper_path"] = paper_path


def render(digest: Digest, config: MailConfig, shared: dict[Any, Any] | None = None) -> dict[str, Any]:
    """The digest's subject, text and HTML bodies and links, rendered for its member (their own
    signed links are template values like any other: escaped in place, never spliced into the
    rendered text). `shared` (one dict per run) keeps each paper's card, built once for everyone."""
    cache = shared if shared is not None else {}

    def card_of(paper: Paper) -> Card:
        if ("card", paper.id) not in cache:
            cache[("card", paper.id)] = card(paper)
        return cast(Card, cache[("card", paper.id)])

    links = {
        "unsubscribe_url": unsubscribe_url(config, digest.member),
        "web_view_url": web_view_url(config, digest.member, digest.day),
    }
    day_label = f"{digest.day:%A, %B} {digest.day.day}, {digest.day.year}"
    context = {
        "site": config.site_name,
        "base_url": config.base_url,
        "day_label": day_label,
        "sections": [{"title": s.title, "cards": [card_of(p) for p in s.papers]} for s in digest.sections if s.papers],
        "settings_url": f"{config.base_url}/settings/digest",
        **links,
    }
    text = _ENV.get_template("digest.txt").render(context)
    html = _ENV.get_template("digest.html").render(context)
    kind = "weekly" if digest.frequency == "weekly" else "daily"
    return {"subject": f"{config.site_name}: your {kind} papers for {day_label}", "text": text, "html": html, **links}


def message_id(config: MailConfig, member_id: int, day: date) -> str:
    """The same for every attempt at one digest, so a resent copy is recognisably the same mail."""
    host = urlsplit(config.base_url).hostname or "localhost"
    return f"<digest-{member_id}-{day.isoformat()}@{host}>"


def build_message(digest: Digest, config: MailConfig, now: datetime, shared: dict[Any, Any] | None = None) -> Outgoing:
    rendered = render(digest, config, shared)
    name, address = parseaddr(config.sender)
    host = urlsplit(config.base_url).hostname or "localhost"
    headers = [
        ("From", formataddr((name, address), charset="utf-8")),
        ("To", digest.member.email),
        ("Subject", header_value(rendered["subject"])),
        ("Date", format_datetime(now.replace(tzinfo=ZoneInfo("UTC")))),
        ("Message-ID", message_id(config, digest.member.id, digest.day)),
        # RFC 2369 + RFC 8058: mail clients show an "Unsubscribe" button that POSTs to this URL.
        ("List-Unsubscribe", f"<{rendered['unsubscribe_url']}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ("List-Id", header_value(f"{config.site_name} digest <digest.{host}>")),
    ]
    return Outgoing(address, digest.member.email, alternative(headers, rendered["text"], rendered["html"]))


# --- sending -------------------------------------------------------------------------------------------
@dataclass
class Report:
    sent: int = 0
    empty: int = 0
    failed: int = 0  # permanent failures: the address is marked and no longer mailed
    deferred: int = 0  # temporary failures left after the retries: the next run tries again
    done_before: int = 0  # finished by an earlier run
    not_due: int = 0
    errors: int = 0  # members whose digest could not be made (logged; deferred to the next run)
    would_send: list[str] = field(default_factory=list)  # dry run: "email day subject"

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "would_send"} | {"would_send": len(self.would_send)}


def send_all(
    store: Store,
    mailer: Mailer | Sequence[Mailer],
    config: MailConfig,
    now: datetime,
    day: date | None = None,
    dry_run: bool = False,
    retries: int = 3,
    sleep: Callable[[float], None] = time.sleep,
    on_progress: Callable[[Report], None] | None = None,
    recommend: Recommender | None = None,
) -> Report:
    """Send every due digest (or, with `day`, every digest scheduled on that day, whatever the
    hour). Returns what happened; safe to run again at any time, but one run at a time (the CLI
    holds a lock). Several mailers send in parallel, one thread and SMTP connection each, while
    this thread claims, composes and renders (a bounded queue keeps memory flat)."""
    report, composer, digests = Report(), Composer(store, now, recommend, dry_run), store.digests
    shared: dict[Any, Any] = {}
    senders = _Senders(
        store, [mailer] if not isinstance(mailer, Sequence) else list(mailer), now, retries, sleep, report
    )
    for member, sub in digests.iter_subscribers():
        target = day if day is not None else due(sub, now)
        if target is None or (day is not None and not scheduled_on(sub, day)):
            report.not_due += 1
            continue
        if dry_run:
            digest = composer.compose(member, sub, target)
            if digests.delivery_status(member.id, target) in FINAL_DELIVERIES:
                report.done_before += 1
            elif not digest.empty:
                report.would_send.append(f"{member.email} {target} {render(digest, config, shared)['subject']}")
            continue
        # The claim is committed before anything goes out; a finished (member, day) is never claimed.
        if not digests.claim(member.id, target, message_id(config, member.id, target), now):
            report.done_before += 1
            continue
        try:
            digest = composer.compose(member, sub, target)
            message = None if digest.empty else build_message(digest, config, now, shared)
        except Exception as exc:  # one member's data must never stop everyone's digest
            log.exception("could not make the digest of member %s for %s; the others go on", member.id, target)
            digests.finish(member.id, target, "deferred", now, f"{type(exc).__name__}: {exc}"[:500])
            report.errors += 1
            continue
        if message is None:
            digests.finish(member.id, target, "empty", now)
            report.empty += 1
            continue
        senders.submit(message, member, target)
        if on_progress:
            on_progress(report)
    senders.join()
    return report


class _Senders:
    """Delivers messages: inline with one mailer, else from one thread per mailer."""

    def __init__(
        self,
        store: Store,
        mailers: list[Mailer],
        now: datetime,
        retries: int,
        sleep: Callable[[float], None],
        report: Report,
    ) -> None:
        self.args = (store, now, retries, sleep, report)
        self.mailers = mailers
        self.lock = threading.Lock()
        self.queue: queue.Queue[tuple[Outgoing, Member, date] | None] = queue.Queue(maxsize=4 * len(mailers))
        self.threads = [threading.Thread(target=self._run, args=(m,), daemon=True) for m in mailers]
        if len(self.threads) == 1:
            self.threads = []  # one mailer: deliver inline, in order
        self.error: BaseException | None = None
        for t in self.threads:
            t.start()

    def submit(self, message: Outgoing, member: Member, day: date) -> None:
        if not self.threads:
            _deliver(self.args[0], self.mailers[0], message, member, day, *self.args[1:], lock=self.lock)
        else:
            self.queue.put((message, member, day))

    def _run(self, mailer: Mailer) -> None:
        while (job := self.queue.get()) is not None:
            if self.error is not None:
                continue  # keep draining so the producer never blocks; the claim stays for a rerun
            try:
                _deliver(self.args[0], mailer, job[0], job[1], job[2], *self.args[1:], lock=self.lock)
            except BaseException as exc:  # e.g. the database went away: stop, report after join
                self.error = exc

    def join(self) -> None:
        for _ in self.threads:
            self.queue.put(None)
        for t in self.threads:
            t.join()
        if self.error is not None:
            raise self.error


def _deliver(
    store: Store,
    mailer: Mailer,
    message: Outgoing,
    member: Member,
    day: date,
    now: datetime,
    retries: int,
    sleep: Callable[[float], None],
    report: Report,
    lock: threading.Lock,
) -> None:
    for attempt in range(retries + 1):
        try:
            mailer.send(message)
        except TemporaryFailure as exc:
            if attempt < retries:
                sleep(min(2.0**attempt, 30.0))  # 1, 2, 4 … seconds
                continue
            store.digests.finish(member.id, day, "deferred", now, str(exc))
            with lock:
                report.deferred += 1
            return
        except PermanentFailure as exc:
            store.digests.mark_bounced(member.id)
            store.digests.finish(member.id, day, "failed", now, str(exc))
            with lock:
                report.failed += 1
            return
        store.digests.finish(member.id, day, "sent", now)
        with lock:
            report.sent += 1
        return


def run_worker(
    store: Store,
    mailer: Mailer | Sequence[Mailer],
    config: MailConfig,
    clock: Callable[[], datetime],
    interval: float = 60.0,
    iterations: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_report: Callable[[Report], None] | None = None,
    recommend: Recommender | None = None,
    after_round: Callable[[datetime], object] | None = None,
) -> None:
    """Send what is due, run `after_round(now)` (the CLI sends saved-search alerts there), wait
    `interval` seconds, again; `iterations` bounds the loop (tests)."""
    done = 0
    while iterations is None or done < iterations:
        # A round that fails (the database away, a bug) is logged and the worker goes on: the next
        # round retries what this one left (claims and cursors make both parts rerun-safe).
        try:
            report = send_all(store, mailer, config, clock(), sleep=sleep, recommend=recommend)
            if on_report:
                on_report(report)
        except Exception:
            log.exception("the digest round failed; trying again in %.0f s", interval)
        if after_round is not None:
            try:
                after_round(clock())
            except Exception:
                log.exception("the alerts round failed; trying again in %.0f s", interval)
        done += 1
        if iterations is None or done < iterations:
            sleep(interval)
