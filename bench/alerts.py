"""Saved-search alerts after an ingest: 10,000 saved searches (2,000 members, 5 each) run against
5,000 new papers, and the alert mails sent to a real SMTP server (aiosmtpd's sink on 127.0.0.1).

    python bench/alerts.py [--searches 10000] [--new 5000] [--out bench/results/alerts.json]

Papers are synthetic (bench/gen_snapshot.py: titles and abstracts from a fixed machine-learning
vocabulary, so most queries match something); each saved query is two or three of those words,
every one of which must occur for a match. Prints a table and writes JSON: the time to match only
(the in-memory index and 10,000 queries), the whole run (match, claim, compose, send), messages and
papers sent, and the peak RSS. The baseline in the same run is the naive way: each saved search as
a query against the whole catalogue's keyword index, then filtered to the new papers.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import orjson
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from digest import free_port, start_sink
from opening import open_catalogue
from papertide.digest import MailConfig
from papertide.digest.alerts import send_alerts
from papertide.digest.matching import compile_search, match_searches
from papertide.index.keywords import Matcher
from papertide.mail.mailer import SmtpMailer
from papertide.query import parse_query
from papertide.sources.snapshot import parse_snapshot
from papertide.store.schema import members, saved_searches

from gen_snapshot import WORDS, records

NOW = datetime(2025, 11, 5, 9, 0)


def snapshot_lines(n: int, seed: int) -> list[bytes]:
    return [orjson.dumps(r) + b"\n" for r in records(n, seed=seed)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--searches", type=int, default=10_000)
    parser.add_argument("--new", type=int, default=5_000)
    parser.add_argument("--old", type=int, default=20_000, help="papers in the catalogue before the ingest")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results") / "alerts.json")
    args = parser.parse_args()
    console = Console(width=140)
    rng = random.Random(5)
    port = free_port()
    sink = start_sink(port)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            pt, store = open_catalogue(tmp, encoder=None, clock=lambda: NOW)
            pt.import_records(parse_snapshot(iter(snapshot_lines(args.old, 1)), where="old"))
            n_members = max(1, args.searches // 5)
            with store.engine.begin() as conn:  # type: ignore[attr-defined]
                conn.execute(
                    members.insert(),
                    [
                        {
                            "handle": f"m{i}",
                            "email": f"m{i}@example.org",
                            "password_hash": "x",
                            "created_at": NOW,
                            "verified_at": NOW,
                        }
                        for i in range(n_members)
                    ],
                )
                since = store.keyword_marks().max_pk
                conn.execute(
                    saved_searches.insert(),
                    [
                        {
                            "member_id": i % n_members + 1,
                            "name": f"s{i}",
                            "query": " ".join(rng.sample(WORDS, rng.choice((2, 3)))),
                            "filters": "{}",
                            "alert": "immediate",
                            "since_pk": since,
                            "created_at": NOW,
                            "updated_at": NOW,
                        }
                        for i in range(args.searches)
                    ],
                )
            mailer = SmtpMailer(f"smtp://127.0.0.1:{port}")
            config = MailConfig(secret="b" * 40, base_url="https://papers.example.org")
            assert send_alerts(store, mailer, config, NOW).started  # alerts start before the ingest
            pt.import_records(parse_snapshot(iter(snapshot_lines(args.new, 2)), where="new"))

            # matching only: the in-memory index of the new papers and every saved search against it
            start = time.perf_counter()
            with store.keyword_snapshot() as snap:
                docs = list(snap.docs(since))
            matcher = Matcher(docs)
            compiled = [
                c for s in store.personal.alerting_searches("immediate", 0, args.searches) if (c := compile_search(s))
            ]
            matched = match_searches(matcher, compiled, 200)
            match_s = time.perf_counter() - start

            # the naive way, for comparison: each saved search against the whole catalogue's index
            start = time.perf_counter()
            naive_sample = compiled[:500]
            for c in naive_sample:
                pt.indexes.keywords.search(parse_query(" ".join(f'"{w}"' for w in c.query.terms)), 100_000)
            naive_s = (time.perf_counter() - start) * len(compiled) / len(naive_sample)

            start = time.perf_counter()
            report = send_alerts(store, mailer, config, NOW, sleep=lambda _s: None)
            total_s = time.perf_counter() - start
            mailer.close()
            with store.engine.connect() as conn:  # type: ignore[attr-defined]
                claimed = conn.execute(sa.text("select count(*) from alert_papers")).scalar_one()
            pt.close()
    finally:
        sink.kill()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row = {
        "saved_searches": len(compiled),
        "members": n_members,
        "old_papers": args.old,
        "new_papers": report.new_papers,
        "match_seconds": round(match_s, 2),
        "naive_match_seconds_estimated": round(naive_s, 1),
        "members_matched": len(matched),
        "total_seconds": round(total_s, 2),
        "messages_sent": report.sent,
        "papers_sent": report.papers_sent,
        "papers_claimed": claimed,
        "peak_rss_mb": round(rss, 1),
    }
    table = Table(title="Saved-search alerts after an ingest")
    for key in row:
        table.add_column(key.replace("_", " "))
    table.add_row(*(str(v) for v in row.values()))
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps({"results": [row]}, option=orjson.OPT_INDENT_2) + b"\n")


if __name__ == "__main__":
    main()
