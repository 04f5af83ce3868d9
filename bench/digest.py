"""Digest sending: messages/s and peak memory when rendering and sending N digests in one run,
against a local SMTP sink (aiosmtpd's Sink handler, its own process, on 127.0.0.1).

    python bench/digest.py [--sizes 1000,10000] [--out bench/results/digest.json]

For each size a fresh process builds a database with N verified subscribers (rows written
directly: hashing 10,000 argon2 passwords is not what is measured) and the bundled demo corpus
with 12 papers featured the day before, then runs `digest.send_all` for that day: compose (the
shared sections once, each member's choices), render HTML + text from the templates, claim and
finish each delivery in the database, hand the message to the SMTP server. Its peak RSS is read
at the end; memory is flat when it does not grow with N. The baseline, in the same run against
the same sink, is smtplib sending one pre-built message N times over one connection: the
transport's own ceiling on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path

import orjson
from rich.console import Console
from rich.table import Table

DAY = date(2025, 11, 5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_sink(port: int) -> subprocess.Popen[bytes]:
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return sink
        except OSError:
            time.sleep(0.1)
    sink.kill()
    raise SystemExit("the SMTP sink did not start")


def child(n: int, port: int, connections: int = 4) -> dict[str, float]:
    """Build the database and send N digests; runs in its own process (for its peak RSS)."""
    import sqlalchemy as sa

    from opening import open_catalogue
    from papertide.digest import MailConfig, send_all
    from papertide.mail.mailer import SmtpMailer
    from papertide.store.schema import members, papers, subscriptions

    with tempfile.TemporaryDirectory() as tmp:
        pt, store = open_catalogue(tmp, encoder=None)
        pt.load_demo()
        now = datetime(2025, 11, 5, 9, 0)
        with store.engine.begin() as conn:  # type: ignore[attr-defined]
            ids = [r[0] for r in conn.execute(sa.select(papers.c.pk).order_by(papers.c.pk).limit(12))]
            conn.execute(papers.update().where(papers.c.pk.in_(ids)).values(featured_date=date(2025, 11, 4)))
            for start in range(0, n, 5000):
                batch = range(start, min(n, start + 5000))
                conn.execute(
                    members.insert(),
                    [
                        {
                            "handle": f"m{i}",
                            "email": f"m{i}@example.org",
                            "password_hash": "x",
                            "created_at": now,
                            "verified_at": now,
                        }
                        for i in batch
                    ],
                )
                conn.execute(
                    subscriptions.insert(),
                    [
                        {
                            "member_id": i + 1,
                            "active": True,
                            "frequency": "daily",
                            "weekdays_only": True,
                            "send_hour": 8,
                            "timezone": "UTC",
                            "sections": "trending,picks",
                            "updated_at": now,
                        }
                        for i in batch
                    ],
                )
        mailers = [SmtpMailer(f"smtp://127.0.0.1:{port}") for _ in range(connections)]
        config = MailConfig(secret="b" * 40, base_url="https://papers.example.org")
        start = time.perf_counter()
        report = send_all(store, mailers, config, now, day=DAY)
        elapsed = time.perf_counter() - start
        for mailer in mailers:
            mailer.close()
        store.close()
    return {
        "subscribers": n,
        "sent": report.sent,
        "seconds": round(elapsed, 2),
        "messages_per_s": round(report.sent / elapsed, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def raw_smtplib(n: int, port: int) -> dict[str, float]:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "bench@example.org", "m@example.org", "baseline"
    msg.set_content("x" * 3000)
    msg.add_alternative("<p>" + "x" * 9000 + "</p>", subtype="html")
    smtp = smtplib.SMTP("127.0.0.1", port)
    start = time.perf_counter()
    for _ in range(n):
        smtp.send_message(msg)
    elapsed = time.perf_counter() - start
    smtp.quit()
    return {"subscribers": n, "sent": n, "seconds": round(elapsed, 2), "messages_per_s": round(n / elapsed, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results") / "digest.json")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.port)))
        return
    console = Console()
    port = free_port()
    sink = start_sink(port)
    rows = []
    try:
        for n in (int(s) for s in args.sizes.split(",")):
            baseline = raw_smtplib(n, port)
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(n), "--port", str(port)], capture_output=True, check=True
            )
            ours = json.loads(done.stdout.decode().strip().splitlines()[-1])
            rows.append({"papertide": ours, "smtplib_baseline": baseline})
            console.print(f"{n}: {ours['messages_per_s']} msg/s (baseline {baseline['messages_per_s']})")
    finally:
        sink.terminate()
        sink.wait(10)
    table = Table(title="digest send_all vs smtplib sending a pre-built message, same SMTP sink")
    for col in ("subscribers", "sent", "seconds", "msg/s", "baseline msg/s", "ratio", "peak RSS MB"):
        table.add_column(col, justify="right")
    for r in rows:
        ours, base = r["papertide"], r["smtplib_baseline"]
        table.add_row(
            str(ours["subscribers"]),
            str(ours["sent"]),
            f"{ours['seconds']:.1f}",
            f"{ours['messages_per_s']:.0f}",
            f"{base['messages_per_s']:.0f}",
            f"{ours['messages_per_s'] / base['messages_per_s']:.2f}",
            f"{ours['peak_rss_mb']:.0f}",
        )
    console.print(table)
    meta = {"cpus": os.cpu_count(), "python": platform.python_version()}
    args.out.write_bytes(orjson.dumps({"meta": meta, "results": rows}, option=orjson.OPT_INDENT_2) + b"\n")
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
