"""The digest through a real SMTP server (aiosmtpd on 127.0.0.1): what arrives, exactly once."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from papertide.catalogue.imports import ingest
from papertide.digest import MailConfig, due, run_worker, send_all
from papertide.mail.links import member_sig_ok
from papertide.mail.mailer import SmtpMailer
from papertide.members.accounts import Accounts
from papertide.model import Member, Subscription
from papertide.sources.hf_daily import parse_hf_daily
from papertide.store.sql import SqlStore

from conftest import FAST_HASHER, Clock, SmtpSink, fixture_bytes

NOW = datetime(2025, 11, 5, 9, 0)  # a Wednesday, 09:00 UTC
CONFIG = MailConfig(secret="s" * 40, base_url="http://papertide.test", sender="papertide <digest@papertide.test>")


@pytest.fixture
def catalogue(store: SqlStore) -> SqlStore:
    ingest(store, parse_hf_daily(fixture_bytes("hf/feed_2025-W45.json")))
    return store


def subscribe(store: SqlStore, handle: str, **choices: object) -> Member:
    member = (
        Accounts(store.community, Clock(NOW), store.api_tokens, hasher=FAST_HASHER)
        .sign_up(handle, f"{handle}@example.org", "pw-long-enough")
        .member
    )
    assert member is not None
    store.community.update_member(member.id, verified_at=NOW)
    store.digests.save_subscription(Subscription(member.id, **choices), NOW)  # type: ignore[arg-type]
    return member


def send(store: SqlStore, sink: SmtpSink, now: datetime = NOW, **kwargs: object):  # type: ignore[no-untyped-def]
    mailer = SmtpMailer(sink.url)
    try:
        return send_all(store, mailer, CONFIG, now, sleep=lambda _s: None, **kwargs)  # type: ignore[arg-type]
    finally:
        mailer.close()


@pytest.mark.parametrize(
    ("choices", "now", "expected"),
    [
        ({}, datetime(2025, 11, 5, 7, 59), None),  # before 08:00
        ({}, datetime(2025, 11, 5, 8, 0), date(2025, 11, 5)),
        ({}, datetime(2025, 11, 8, 9, 0), None),  # Saturday, weekdays only
        ({"weekdays_only": False}, datetime(2025, 11, 8, 9, 0), date(2025, 11, 8)),
        ({"frequency": "weekly"}, datetime(2025, 11, 5, 9, 0), None),  # weekly: Mondays
        ({"frequency": "weekly"}, datetime(2025, 11, 10, 9, 0), date(2025, 11, 10)),
        ({"timezone": "Asia/Tokyo", "send_hour": 7}, datetime(2025, 11, 4, 22, 30), date(2025, 11, 5)),  # 07:30 JST
        ({"timezone": "America/Los_Angeles"}, datetime(2025, 11, 5, 9, 0), None),  # 01:00 PST
        ({"timezone": "Not/AZone"}, datetime(2025, 11, 5, 9, 0), date(2025, 11, 5)),  # unknown zone: UTC
    ],
)
def test_due(choices: dict[str, object], now: datetime, expected: date | None) -> None:
    assert due(Subscription(1, **choices), now) == expected  # type: ignore[arg-type]


def test_subscribe_then_the_digest_arrives(catalogue: SqlStore, smtp_sink: SmtpSink) -> None:
    ada = subscribe(catalogue, "ada")
    report = send(catalogue, smtp_sink)
    assert (report.sent, report.empty, report.failed) == (1, 0, 0)
    [msg] = smtp_sink.to("ada@example.org")
    assert msg["Subject"] == "papertide: your daily papers for Wednesday, November 5, 2025"
    assert msg["From"] == "papertide <digest@papertide.test>"
    assert msg["Message-ID"] == f"<digest-{ada.id}-2025-11-05@papertide.test>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = str(msg["List-Unsubscribe"]).strip().strip("<>")
    assert unsubscribe.startswith(f"http://papertide.test/unsubscribe?m={ada.id}&sig=")
    assert member_sig_ok(CONFIG.secret, unsubscribe.rsplit("=", 1)[1], "unsubscribe", ada)
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    # Yesterday's picks (Nov 4), then trending without them (Nov 5's paper, then Nov 3's).
    assert [line.split(". ", 1)[1] for line in text.splitlines() if line[:3] in ("1. ", "2. ")] == [
        "Sparse Attention for Long Context Language Models",
        "<script>alert('x')</script> & Friends: Escaping Titles",
        "Diffusion Transformers at Scale",
        "Graph Rewiring against Oversquashing",
    ]
    assert "Sony · Nov 4, 2025 · ▲ 12" in text and "http://papertide.test/papers/2511.00001" in text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html and "<script>" not in html
    assert f"http://papertide.test/digest?m={ada.id}&amp;d=2025-11-05&amp;sig=" in html


def test_unverified_addresses_get_no_digest(catalogue: SqlStore, smtp_sink: SmtpSink) -> None:
    member = subscribe(catalogue, "ada")
    catalogue.community.update_member(member.id, verified_at=None)
    assert send(catalogue, smtp_sink).sent == 0 and smtp_sink.messages == []


def test_a_rerun_sends_nothing_twice(catalogue: SqlStore, smtp_sink: SmtpSink) -> None:
    for handle in ("ada", "bob", "cy"):
        subscribe(catalogue, handle)
    first, second = send(catalogue, smtp_sink), send(catalogue, smtp_sink)
    assert (first.sent, second.sent, second.done_before) == (3, 0, 3)
    assert len(smtp_sink.messages) == 3


def test_unsubscribed_members_get_nothing_the_next_day(catalogue: SqlStore, smtp_sink: SmtpSink) -> None:
    ada = subscribe(catalogue, "ada")
    subscribe(catalogue, "bob")
    send(catalogue, smtp_sink)
    assert catalogue.digests.unsubscribe(ada.id, NOW)
    report = send(catalogue, smtp_sink, day=date(2025, 11, 6))
    assert report.sent == 1 and [m["To"] for m in smtp_sink.messages] == [
        "ada@example.org",
        "bob@example.org",
        "bob@example.org",
    ]


def test_temporary_failure_is_retried_then_succeeds(catalogue: SqlStore, smtp_sink: SmtpSink) -> None:
    subscribe(catalogue, "ada")
    smtp_sink.temporary_failures = 2
    report = send(catalogue, smtp_sink)
    assert (report.sent, smtp_sink.attempts, len(smtp_sink.messages)) == (1, 3, 1)


def test_temporary_failures_past_the_retries_are_deferred_to_the_next_run(
    catalogue: SqlStore, smtp_sink: SmtpSink
) -> None:
    ada = subscribe(catalogue, "ada")
    smtp_sink.temporary_failures = 10
    report = send(catalogue, smtp_sink, retries=2)
    assert (report.sent, report.deferred) == (0, 1)
    assert catalogue.digests.delivery_status(ada.id, date(2025, 11, 5)) == "deferred"
    smtp_sink.temporary_failures = 0
    assert send(catalogue, smtp_sink).sent == 1 and len(smtp_sink.messages) == 1


def test_permanent_failure_marks_the_address_and_stops_mailing_it(catalogue: SqlStore, smtp_sink: SmtpSink) -> None:
    ada = subscribe(catalogue, "ada")
    subscribe(catalogue, "bob")
    smtp_sink.reject = {"ada@example.org"}
    report = send(catalogue, smtp_sink)
    assert (report.sent, report.failed) == (1, 1)
    assert catalogue.community.member_by_id(ada.id).email_status == "bounced"  # type: ignore[union-attr]
    later = send(catalogue, smtp_sink, day=date(2025, 11, 6))
    assert later.sent == 1 and [m["To"] for m in smtp_sink.messages] == ["bob@example.org", "bob@example.org"]


def test_a_day_with_no_papers_sends_nothing(catalogue: SqlStore, smtp_sink: SmtpSink) -> None:
    ada = subscribe(catalogue, "ada")
    report = send(catalogue, smtp_sink, now=datetime(2025, 12, 3, 9, 0))  # nothing featured for weeks
    assert (report.sent, report.empty, smtp_sink.messages) == (0, 1, [])
    assert catalogue.digests.delivery_status(ada.id, date(2025, 12, 3)) == "empty"


def test_dry_run_sends_and_records_nothing(catalogue: SqlStore, smtp_sink: SmtpSink) -> None:
    ada = subscribe(catalogue, "ada")
    report = send(catalogue, smtp_sink, dry_run=True)
    assert report.would_send == [
        "ada@example.org 2025-11-05 papertide: your daily papers for Wednesday, November 5, 2025"
    ]
    assert smtp_sink.messages == [] and catalogue.digests.delivery_status(ada.id, date(2025, 11, 5)) is None


def test_weekly_digest_and_sections(catalogue: SqlStore, smtp_sink: SmtpSink) -> None:
    subscribe(catalogue, "ada", frequency="weekly", sections=("picks",))
    report = send(catalogue, smtp_sink, now=datetime(2025, 11, 10, 9, 0))  # Monday after W45
    [msg] = smtp_sink.messages
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert report.sent == 1 and "This week's top papers" in text and "Trending" not in text
    assert msg["Subject"] == "papertide: your weekly papers for Monday, November 10, 2025"


def test_worker_sends_at_each_members_hour(catalogue: SqlStore, smtp_sink: SmtpSink) -> None:
    subscribe(catalogue, "early", send_hour=7)
    subscribe(catalogue, "late", send_hour=10)
    clock = Clock(datetime(2025, 11, 5, 6, 30))
    mailer = SmtpMailer(smtp_sink.url)
    seen: list[int] = []

    def tick(seconds: float) -> None:
        clock.now = clock.now.replace(hour=clock.now.hour + 1)  # each pause: an hour later

    run_worker(catalogue, mailer, CONFIG, clock, iterations=5, sleep=tick, on_report=lambda r: seen.append(r.sent))
    mailer.close()
    assert seen == [0, 1, 0, 0, 1]  # 06:30, 07:30, 08:30, 09:30, 10:30
    assert [m["To"] for m in smtp_sink.messages] == ["early@example.org", "late@example.org"]


@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_sends_everyone_exactly_once(
    catalogue: SqlStore, smtp_sink: SmtpSink, tmp_path: object
) -> None:
    """The sender is killed (SIGKILL) while handing the 8th of 20 digests to the SMTP server; the
    rerun sends the other 13 and none of the first 7 again."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    members = [subscribe(catalogue, f"m{i:02d}") for i in range(20)]
    papertide = Path(sys.executable).with_name("papertide")
    env = {
        **os.environ,
        "PAPERTIDE_DATABASE_URL": catalogue.url,  # the test's database, whichever backend it is on
        "PAPERTIDE_SMTP_URL": smtp_sink.url,
        "PAPERTIDE_BASE_URL": "http://papertide.test",
    }
    command = [
        papertide,
        "digest",
        "send",
        "--dev",
        "--date",
        "2025-11-05",
        "--data-dir",
        str(tmp_path),
        "--json",
        "--connections",
        "1",
    ]
    victim: list[subprocess.Popen[bytes]] = []

    def kill_on_eighth(attempt: int) -> str | None:
        if attempt == 8:
            os.kill(victim[0].pid, signal.SIGKILL)
            victim[0].wait(10)
            return "451 4.3.0 sender went away"
        return None

    smtp_sink.on_data = kill_on_eighth
    victim.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    victim[0].wait(60)
    assert victim[0].returncode == -signal.SIGKILL
    assert len(smtp_sink.messages) == 7
    smtp_sink.on_data = None
    rerun = subprocess.run(command, env=env, capture_output=True, check=True)
    assert b'"sent":13' in rerun.stdout and b'"done_before":7' in rerun.stdout
    received = sorted(str(m["To"]) for m in smtp_sink.messages)
    assert received == sorted(m.email for m in members)  # zero duplicates, zero missing
    assert catalogue.digests.delivery_counts(date(2025, 11, 5)) == {"sent": 20}


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made by openssl, as an operator would)."""
    import subprocess

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.mark.parametrize("mode", ["starttls", "smtps"])
def test_tls_to_the_smtp_server(catalogue: SqlStore, tls_files: tuple[Path, Path], mode: str) -> None:
    import socket
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message as MessageHandler

    received: list[str] = []

    class Keep(MessageHandler):  # type: ignore[misc]
        def handle_message(self, message: object) -> None:
            received.append(str(message["To"]))  # type: ignore[index]

    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    options = {"tls_context": context, "require_starttls": True} if mode == "starttls" else {"ssl_context": context}
    controller = Controller(Keep(), hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        subscribe(catalogue, "ada")
        scheme = "smtp" if mode == "starttls" else "smtps"
        url = f"{scheme}://127.0.0.1:{port}?cafile={cert}" + ("&starttls=1" if mode == "starttls" else "")
        mailer = SmtpMailer(url)
        report = send_all(catalogue, mailer, CONFIG, NOW, sleep=lambda _s: None)
        mailer.close()
        untrusted = SmtpMailer(f"{scheme}://127.0.0.1:{port}" + ("?starttls=1" if mode == "starttls" else ""))
        assert send_all(catalogue, untrusted, CONFIG, NOW, day=date(2025, 11, 6), retries=0).deferred == 1
    finally:
        controller.stop()
    assert report.sent == 1 and received == ["ada@example.org"]
