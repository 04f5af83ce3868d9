"""Saved-search alerts through a real SMTP server (aiosmtpd on 127.0.0.1): what matches, what
arrives, and that each new paper reaches a member exactly once, across a SIGKILL of the sender."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from papertide import Papertide
from papertide.digest import MailConfig, send_all
from papertide.digest.alerts import send_alerts
from papertide.mail.mailer import SmtpMailer
from papertide.model import Member, Subscription
from papertide.query import Filters
from papertide.sources.files import read_path
from papertide.store.sql import SqlStore

from conftest import FIXTURES, Clock, SmtpSink, new_member

ON_BOTH_BACKENDS = True
NOW = datetime(2025, 11, 5, 9, 0)
CONFIG = MailConfig(secret="s" * 40, base_url="http://papertide.test", sender="papertide <alerts@papertide.test>")


@pytest.fixture
def pt(store: SqlStore, tmp_path: Path) -> Papertide:
    pt = Papertide(store, tmp_path, encoder=None, clock=Clock(NOW))
    pt.import_records(read_path(FIXTURES / "jsonl/small_corpus.jsonl"))
    return pt


def member(pt: Papertide, handle: str, verified: bool = True) -> Member:
    return new_member(pt, handle, verified, NOW)


def add_papers(pt: Papertide, tmp_path: Path, *papers: tuple[str, str, str]) -> None:
    """New papers (id, title, abstract) arriving by an import."""
    lines = [
        orjson.dumps({"id": i, "title": t, "abstract": a, "categories": "cs.LG", "date": "2025-11-04"})
        for i, t, a in papers
    ]
    path = tmp_path / f"new-{papers[0][0]}.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    pt.import_records(read_path(path))


def send(pt: Papertide, sink: SmtpSink):  # type: ignore[no-untyped-def]
    mailer = SmtpMailer(sink.url)
    try:
        return send_alerts(pt._store, mailer, CONFIG, NOW, sleep=lambda _s: None)
    finally:
        mailer.close()


NEW = (
    ("n1", "Diffusion Models for Audio Synthesis", "We generate speech waveforms with a diffusion process."),
    ("n2", "Graph Neural Networks for Traffic", "Message passing over road networks forecasts congestion."),
    ("n3", "Latent Diffusion for Image Editing", "Editing photographs in the latent space of a diffusion model."),
    ("n4", "Score Matching without Diffusion", "Estimating score functions of energy-based models by matching."),
)


def titles(message: object) -> list[str]:
    body = message.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    return [line.split(". ", 1)[1] for line in body.splitlines() if line[:1].isdigit() and ". " in line]


def test_new_papers_matching_a_saved_search_arrive_once(pt: Papertide, smtp_sink: SmtpSink, tmp_path: Path) -> None:
    reader = member(pt, "reader")
    pt.personal.save_search(reader.id, "diffusion", name="Diffusion", alert="immediate")
    assert send(pt, smtp_sink).started  # the first run marks where alerts start: nothing old is sent
    add_papers(pt, tmp_path, *NEW)
    report = send(pt, smtp_sink)
    assert (report.new_papers, report.sent, report.papers_sent) == (4, 1, 3)
    [mail] = smtp_sink.messages
    assert mail["To"] == "reader@example.org"
    assert mail["Subject"] == "papertide: 3 new papers for “Diffusion”"
    assert titles(mail) == [
        "Diffusion Models for Audio Synthesis",
        "Latent Diffusion for Image Editing",
        "Score Matching without Diffusion",
    ]
    assert str(mail["List-Unsubscribe"]).strip().startswith("<http://papertide.test/alerts/off?m=")
    again = send(pt, smtp_sink)
    assert (again.new_papers, again.sent) == (0, 0) and len(smtp_sink.messages) == 1


def test_every_word_must_match_and_filters_apply(pt: Papertide, smtp_sink: SmtpSink, tmp_path: Path) -> None:
    reader = member(pt, "reader")
    pt.personal.save_search(reader.id, "score matching", alert="immediate")
    pt.personal.save_search(reader.id, "diffusion -audio", alert="immediate", filters=Filters(has_code=True))
    send(pt, smtp_sink)
    add_papers(pt, tmp_path, *NEW)
    send(pt, smtp_sink)
    [mail] = smtp_sink.messages
    assert titles(mail) == ["Score Matching without Diffusion"]  # no paper has code: the second finds none
    assert str(mail["Subject"]).strip() == "papertide: 1 new paper for “score matching”"


def test_a_paper_the_member_opened_or_dismissed_is_never_alerted(
    pt: Papertide, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    reader = member(pt, "reader")
    pt.personal.save_search(reader.id, "diffusion", alert="immediate")
    send(pt, smtp_sink)
    add_papers(pt, tmp_path, *NEW)
    n1, n3 = pt.get("n1"), pt._store.pks_for_ids(["n3"])["n3"]
    assert n1 is not None
    pt.personal.opened(reader.id, n1)
    pt._store.community.set_not_interested(reader.id, n3, True, NOW)
    send(pt, smtp_sink)
    [mail] = smtp_sink.messages
    assert titles(mail) == ["Score Matching without Diffusion"]


def test_searches_saved_later_only_see_papers_added_after_them(
    pt: Papertide, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    early, late = member(pt, "early"), member(pt, "late")
    pt.personal.save_search(early.id, "diffusion", alert="immediate")
    send(pt, smtp_sink)
    add_papers(pt, tmp_path, NEW[0])
    pt.personal.save_search(late.id, "diffusion", alert="immediate")
    add_papers(pt, tmp_path, NEW[2])
    send(pt, smtp_sink)
    got = {m["To"]: titles(m) for m in smtp_sink.messages}
    assert got == {
        "early@example.org": ["Diffusion Models for Audio Synthesis", "Latent Diffusion for Image Editing"],
        "late@example.org": ["Latent Diffusion for Image Editing"],
    }


def test_alerts_off_unverified_and_bounced_members_get_nothing(
    pt: Papertide, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    quiet, unverified, bouncing = member(pt, "quiet"), member(pt, "unverified", verified=False), member(pt, "bouncy")
    pt.personal.save_search(quiet.id, "diffusion", alert="off")
    pt.personal.save_search(unverified.id, "diffusion", alert="immediate")
    pt.personal.save_search(bouncing.id, "diffusion", alert="immediate")
    pt._store.digests.mark_bounced(bouncing.id)
    send(pt, smtp_sink)
    add_papers(pt, tmp_path, *NEW)
    assert send(pt, smtp_sink).sent == 0 and smtp_sink.messages == []


def test_a_temporary_failure_is_sent_by_the_next_run_with_the_same_papers(
    pt: Papertide, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    reader = member(pt, "reader")
    pt.personal.save_search(reader.id, "diffusion", alert="immediate")
    send(pt, smtp_sink)
    add_papers(pt, tmp_path, *NEW)
    smtp_sink.temporary_failures = 10
    assert send(pt, smtp_sink).deferred == 1
    smtp_sink.temporary_failures = 0
    add_papers(pt, tmp_path, ("n5", "Diffusion Policies for Robots", "A robot arm acts by denoising diffusion."))
    report = send(pt, smtp_sink)
    assert (report.resent, report.sent) == (1, 2)
    first, second = smtp_sink.messages
    assert len(titles(first)) == 3 and titles(second) == ["Diffusion Policies for Robots"]
    assert pt._store.personal.batch_counts() == {"sent": 2}


def test_the_digest_section_carries_saved_search_matches_once(
    pt: Papertide, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    reader = member(pt, "reader")
    pt._store.digests.save_subscription(Subscription(reader.id, weekdays_only=False, sections=("saved",)), NOW)
    pt.personal.save_search(reader.id, "diffusion", name="Diffusion", alert="digest")
    add_papers(pt, tmp_path, *NEW)  # ingested now (the store stamps arrivals with the wall clock)
    tomorrow = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
    mailer = SmtpMailer(smtp_sink.url)
    try:
        report = send_all(pt._store, mailer, CONFIG, tomorrow, tomorrow.date(), sleep=lambda _s: None)
        again = send_all(pt._store, mailer, CONFIG, tomorrow, tomorrow.date(), sleep=lambda _s: None)
    finally:
        mailer.close()
    assert again.done_before == 1
    assert report.sent == 1
    [mail] = smtp_sink.messages
    body = mail.get_body(("plain",)).get_content()
    assert "Matching your saved searches" in body
    assert titles(mail) == [
        "Diffusion Models for Audio Synthesis",
        "Latent Diffusion for Image Editing",
        "Score Matching without Diffusion",
    ]
    # an immediate alert turned on later never repeats them
    pt.personal.update_search(reader.id, pt.personal.searches(reader.id)[0].id, alert="immediate")
    assert send(pt, smtp_sink).started
    assert pt._store.personal.sent_among(reader.id, pt._store.pks_for_ids(["n1", "n3", "n4"]).values()) == set(
        pt._store.pks_for_ids(["n1", "n3", "n4"]).values()
    )


@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_sends_each_paper_exactly_once(
    pt: Papertide, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    """The sender is killed (SIGKILL) while handing the 5th of 12 alerts to the SMTP server; the
    rerun sends the 5th again (same papers, same Message-ID: the server never accepted it) and
    the other 7, and none of the first 4."""
    readers = [member(pt, f"m{i:02d}") for i in range(12)]
    for r in readers:
        pt.personal.save_search(r.id, "diffusion", alert="immediate")
    env = {
        **os.environ,
        "PAPERTIDE_DATABASE_URL": pt._store.url,  # type: ignore[attr-defined]
        "PAPERTIDE_SMTP_URL": smtp_sink.url,
        "PAPERTIDE_BASE_URL": "http://papertide.test",
    }
    command = [str(Path(sys.executable).with_name("papertide")), "alerts", "send", "--dev", "--json"]
    command += ["--data-dir", str(tmp_path)]
    subprocess.run(command, env=env, capture_output=True, check=True)  # alerts start here
    add_papers(pt, tmp_path, *NEW)
    victim: list[subprocess.Popen[bytes]] = []

    def kill_on_fifth(attempt: int) -> str | None:
        if attempt == 5:
            os.kill(victim[0].pid, signal.SIGKILL)
            victim[0].wait(10)
            return "451 4.3.0 sender went away"
        return None

    smtp_sink.on_data = kill_on_fifth
    victim.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    victim[0].wait(60)
    assert victim[0].returncode == -signal.SIGKILL
    assert len(smtp_sink.messages) == 4
    smtp_sink.on_data = None
    rerun = orjson.loads(subprocess.run(command, env=env, capture_output=True, check=True).stdout)
    assert (rerun["resent"], rerun["sent"], rerun["papers_sent"]) == (1, 8, 24)
    received = sorted(str(m["To"]) for m in smtp_sink.messages)
    assert received == sorted(r.email for r in readers)  # zero duplicates, zero missing
    assert all(len(titles(m)) == 3 for m in smtp_sink.messages)
    assert len({m["Message-ID"] for m in smtp_sink.messages}) == 12


def test_a_poisoned_saved_search_stops_nobody_and_the_worker_goes_on(
    pt: Papertide, smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    """Issue 32, item 1: a saved search stored with `until=9999-12-31` (the JSON API took it before
    the one date rule held for every Filters) made `/saved/ID` a 500, `alerts send` crash before any
    mail and the worker exit. Its date is now left out when read; every other member's alerts and
    digests go out; and a Filters outside the years is refused where it is made."""
    from papertide.digest import run_worker
    from papertide.query import QueryError
    from papertide.store.schema import saved_searches

    mallory, reader = member(pt, "mallory"), member(pt, "reader")
    poisoned = pt.personal.save_search(mallory.id, "diffusion", name="x", alert="immediate")
    with pt._store.engine.begin() as conn:  # as the old code stored it
        conn.execute(
            saved_searches.update()
            .where(saved_searches.c.id == poisoned.id)
            .values(filters='{"until": "9999-12-31", "since": "0001-01-01"}')
        )
    pt.personal.save_search(reader.id, "diffusion", name="Diffusion", alert="immediate")
    pt._store.digests.save_subscription(Subscription(reader.id, sections=("trending", "saved")), NOW)
    with pytest.raises(QueryError, match="the year must be between 1900 and 2199"):
        Filters(until=datetime(9999, 12, 31).date())
    read_back = Filters.from_dict({"until": "9999-12-31", "since": "2025-01-01"})
    assert read_back == Filters(since=datetime(2025, 1, 1).date())
    send(pt, smtp_sink)  # the first run marks where alerts start
    add_papers(pt, tmp_path, *NEW)
    mailer = SmtpMailer(smtp_sink.url)
    reports: list[object] = []
    try:
        run_worker(
            pt._store, mailer, CONFIG, lambda: NOW, interval=0, iterations=2, sleep=lambda _s: None,
            on_report=reports.append,
            after_round=lambda now: reports.append(send_alerts(pt._store, mailer, CONFIG, now, sleep=lambda _s: None)),
        )  # fmt: skip
    finally:
        mailer.close()
    recipients = sorted(str(m["To"]) for m in smtp_sink.messages)
    assert recipients.count("reader@example.org") >= 1 and recipients.count("mallory@example.org") == 1
    assert len(reports) == 4  # two rounds of digests and alerts, none of them lost to an error


def test_one_failing_search_is_reported_and_the_others_match() -> None:
    """The isolation itself: a search whose matching raises is handed to on_error, the rest match."""
    from papertide.digest.matching import compile_search, match_searches
    from papertide.index.keywords import Matcher
    from papertide.model import SavedSearch
    from papertide.store import Doc

    class Exploding(Matcher):
        def matches(self, query, filters, limit=None):  # type: ignore[no-untyped-def]
            if query.text == "boom":
                raise OverflowError("date value out of range")
            return super().matches(query, filters, limit)

    docs = [Doc(pk=1, title="Diffusion", abstract="", author_names="", categories=(), published=None, has_code=False)]
    searches = [
        compile_search(SavedSearch(i, i, "s", q, {}, "immediate", 0, 0, NOW, NOW, link_key="k" * 32))
        for i, q in ((1, "boom"), (2, "diffusion"))
    ]
    failed: list[int] = []
    found = match_searches(Exploding(docs), [c for c in searches if c], None, lambda c, _e: failed.append(c.search.id))
    assert found == {2: {1: [2]}} and failed == [1]
