"""`papertide digest send`, `papertide alerts send` and `papertide worker`: thin shells over
`papertide.digest` and `papertide.digest.alerts`."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import click
import orjson

from papertide import digest
from papertide.cli.console import err, out, with_catalogue
from papertide.core import Papertide
from papertide.digest.alerts import AlertReport
from papertide.mail.mailer import SmtpMailer
from papertide.web.config import ConfigError, WebConfig


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def mail_setup(dry_run: bool, dev: bool, connections: int = 1) -> tuple[digest.MailConfig, list[SmtpMailer]]:
    """Configuration from the environment: PAPERTIDE_SMTP_URL, PAPERTIDE_MAIL_FROM, and the web
    server's PAPERTIDE_SECRET / PAPERTIDE_BASE_URL (links in the mail point at the site)."""
    try:
        web = WebConfig.from_env(dev=dev)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    config = digest.MailConfig(
        secret=web.secret,
        base_url=web.base_url,
        sender=os.environ.get("PAPERTIDE_MAIL_FROM", f"{web.site_name} <digest@localhost>"),
        site_name=web.site_name,
    )
    url = os.environ.get("PAPERTIDE_SMTP_URL", "")
    if dry_run:
        return config, []
    if not url:
        raise click.ClickException(
            "PAPERTIDE_SMTP_URL is not set (e.g. smtp://user:pass@mail.example.org:587?starttls=1)"
        )
    try:
        return config, [SmtpMailer(url) for _ in range(connections)]
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


@contextlib.contextmanager
def one_sender(pt: Papertide) -> Iterator[None]:
    """Only one digest run at a time per data directory (cron and the worker may overlap): an
    exclusive lock on a file, released by the kernel even when the holder is killed."""
    with open(pt.data_dir / "digest.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise click.ClickException("another digest run is going on for this data directory") from exc
        yield


def _print_report(report: digest.Report, as_json: bool) -> None:
    if as_json:
        out.print(orjson.dumps(report.to_json()).decode(), soft_wrap=True)
        return
    for line in report.would_send:
        out.print(f"would send: {line}")
    out.print(
        f"sent {report.sent} · empty {report.empty} · failed {report.failed} · deferred {report.deferred} · "
        f"done before {report.done_before} · not due {report.not_due}"
    )


@click.group("digest")
def digest_group() -> None:
    """The digest email."""


@digest_group.command("send")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="Send the digests of this day (any hour).")
@click.option("--dry-run", is_flag=True, help="Say who would get what; send and record nothing.")
@click.option("--dev", is_flag=True, help="Allow the development secret (links signed with it).")
@click.option("--connections", type=click.IntRange(1, 32), default=4, show_default=True, help="SMTP connections.")
@click.option("--json", "as_json", is_flag=True)
@with_catalogue()
def send(pt: Papertide, day: datetime | None, dry_run: bool, dev: bool, connections: int, as_json: bool) -> None:
    """Send every digest that is due now (or every digest of --date). Safe to rerun at any time:
    each (member, day) is sent once."""
    config, mailers = mail_setup(dry_run, dev, connections)
    try:
        with one_sender(pt):
            report = pt.digests.send(
                mailers or [_NoMailer()], config, day=day.date() if day else None, dry_run=dry_run, now=utc_now()
            )
    finally:
        for mailer in mailers:
            mailer.close()
    _print_report(report, as_json)
    if report.deferred:
        sys.exit(1)


@click.group("alerts")
def alerts_group() -> None:
    """Saved-search alerts: new papers matching members' saved searches, mailed once."""


@alerts_group.command("send")
@click.option("--dev", is_flag=True, help="Allow the development secret (links signed with it).")
@click.option("--json", "as_json", is_flag=True)
@with_catalogue()
def send_alerts_command(pt: Papertide, dev: bool, as_json: bool) -> None:
    """Mail each member the papers added since the last run that match their saved searches with
    immediate alerts (run it after each ingest; the worker does it every round). Safe to rerun:
    each paper reaches a member once. The first run only marks where alerts start."""
    config, mailers = mail_setup(False, dev, 1)
    try:
        with one_sender(pt):
            report = pt.digests.send_alerts(mailers[0], config, now=utc_now())
    finally:
        mailers[0].close()
    _print_alerts(report, as_json)
    if report.deferred:
        sys.exit(1)


def _print_alerts(report: AlertReport, as_json: bool) -> None:
    if as_json:
        out.print(orjson.dumps(report.to_json()).decode(), soft_wrap=True)
    elif report.started:
        out.print("alerts start from now: papers added from here on are matched against saved searches")
    else:
        out.print(
            f"{report.new_papers} new papers · {report.searches} saved searches · sent {report.sent} "
            f"({report.papers_sent} papers, {report.resent} resent) · nothing new {report.nothing_new} · "
            f"failed {report.failed} · deferred {report.deferred}"
        )


@click.command()
@click.option("--interval", type=click.FloatRange(1), default=60.0, show_default=True, help="Seconds between rounds.")
@click.option("--iterations", type=click.IntRange(1), help="Stop after this many rounds (default: run until stopped).")
@click.option("--connections", type=click.IntRange(1, 32), default=4, show_default=True, help="SMTP connections.")
@click.option("--dev", is_flag=True)
@with_catalogue()
def worker(pt: Papertide, interval: float, iterations: int | None, connections: int, dev: bool) -> None:
    """Send each subscriber's digest at their hour and saved-search alerts for new papers, every
    --interval seconds, forever (or --iterations rounds)."""
    config, mailers = mail_setup(False, dev, connections)

    def report(r: digest.Report) -> None:
        if r.sent or r.failed or r.deferred:
            err.print(f"{utc_now():%Y-%m-%d %H:%M} sent {r.sent} failed {r.failed} deferred {r.deferred}")

    try:
        with one_sender(pt):
            pt.digests.run_worker(mailers, config, interval, iterations, on_report=report)
    finally:
        for mailer in mailers:
            mailer.close()


class _NoMailer:
    def send(self, message: Any) -> None:  # a dry run never gets here
        raise RuntimeError("dry run")

    def close(self) -> None:
        pass


COMMANDS = [digest_group, alerts_group, worker]
