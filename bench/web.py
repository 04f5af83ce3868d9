"""Web throughput: requests/s and latency of the daily page, search and the API, served by
`papertide serve --workers 2` on the embedded SQLite store, loaded from 127.0.0.1.

    python bench/web.py [--seconds 4] [--rounds 5] [--connections 16] [--out bench/results/web.json]

The corpus is the bundled demo (538 papers), every paper with a first-page thumbnail (as after
`papertide ingest pdf`); the daily pages shown are October 2025's month view (6 cards) and the
plain `/` (where the home opens: October 2025's featured papers), and the map. The load generator is
a small asyncio HTTP/1.1 client with keep-alive connections, in this process, so it shares the
machine's cores with the two server workers: figures are for the whole machine, client included.
The baseline, measured in the same run against the same server, is a static file
(`/static/style.css`): the ceiling of the server stack itself. Targets are measured in --rounds
interleaved rounds of --seconds each; the table gives each target's median round. Every loop stops
by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx
import orjson
from rich.console import Console
from rich.table import Table

# (name, path, as a signed-in member?) Pages for readers who are not signed in hold nothing
# personal and come from the shared page cache while the catalogue stays the same; a member's
# pages (their votes marked) are built for every request: both are measured.
TARGETS = [
    ("static file (baseline)", "/static/style.css", False),
    ("daily page, home (opens on Oct 2025, 6 cards)", "/", False),
    ("daily page, month (6 cards)", "/papers?month=2025-10", False),
    ("trending page", "/papers/trending", False),
    ("search page", "/search?q=diffusion+models", False),
    ("API daily_papers", "/api/daily_papers?month=2025-10", False),
    ("API search", "/api/papers/search?q=score+matching&limit=10", False),
    ("API paper", "/api/papers/local-fa12f08e99cd", False),
    ("paper page, 200 comments", "/papers/local-fa12f08e99cd", False),
    ("map page", "/map", False),
    ("map layout JSON (538 papers)", "/map/layout.json", False),
    ("member: daily page, home", "/", True),
    ("member: daily page, month", "/papers?month=2025-10", True),
    ("member: search page", "/search?q=diffusion+models", True),
    ("member: API search", "/api/papers/search?q=score+matching&limit=10", True),
    ("member: paper page, 200 comments", "/papers/local-fa12f08e99cd", True),
]
DISCUSSED = "local-fa12f08e99cd"


def add_comments(data_dir: Path) -> None:
    """200 comments (some replies, some Markdown) on one paper and 3 on each paper of the month view,
    written to the database the server reads (its pages move on with the catalogue version)."""
    from papertide import Papertide
    from papertide.feeds.listings import Period

    with Papertide.open(data_dir, encoder=None) as pt:
        member = pt.accounts.member_by_handle("bench")
        assert member is not None
        previous = None
        for i in range(200):
            body = f"Comment {i}: **does** this beat $\\alpha$-smoothing? See [the code](https://example.org/{i})."
            previous = pt.discussions.post(member, DISCUSSED, body, previous.id if previous and i % 3 else None)
        for paper in pt.daily(Period("month", *month_bounds())).papers[:24]:
            for i in range(3):
                pt.discussions.post(member, paper.id, f"Thoughts {i} on this one.")


def add_thumbnails(data_dir: Path) -> int:
    """A first-page thumbnail for every paper (the test PDF's, rendered once): cards lead with
    them, as on a site that runs `papertide ingest pdf`."""
    from papertide import Papertide
    from papertide.catalogue.thumbnails import file_name, render_first_page

    image = render_first_page((Path(__file__).resolve().parents[1] / "tests/fixtures/pdf/2011.13456.pdf").read_bytes())
    with Papertide.open(data_dir, encoder=None) as pt:
        folder = pt.thumbnails_dir
        folder.mkdir(parents=True, exist_ok=True)
        count = 0
        for paper in pt.iter_papers():
            (folder / file_name(paper.id)).write_bytes(image)
            count += 1
    return count


def month_bounds() -> tuple[date, date]:
    return date(2025, 10, 1), date(2025, 11, 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def member_cookie(port: int) -> str:
    """Sign a member up through the real form; return the session cookie's header value."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        token = re.search(r'name="csrf-token" content="([0-9a-f]+)"', client.get("/signup").text)
        assert token, "no CSRF token on /signup"
        form = {"handle": "bench", "email": "bench@example.org", "password": "benchmark!", "csrf": token.group(1)}
        response = client.post("/signup", data=form)  # then signs in: the mailed link is not needed
        assert response.status_code == 200, response.text
        form = {"email": "bench@example.org", "password": "benchmark!", "csrf": token.group(1)}
        client.get("/signin")
        token = re.search(r'name="csrf-token" content="([0-9a-f]+)"', client.get("/signin").text)
        assert token, "no CSRF token on /signin"
        response = client.post("/signin", data={**form, "csrf": token.group(1)})
        assert response.status_code == 303, response.text
        return f"pt_session={client.cookies['pt_session']}"


async def one_connection(
    port: int, path: str, cookie: str, deadline: float, latencies: list[float], errors: list[str]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    extra = f"Cookie: {cookie}\r\n" if cookie else ""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}Connection: keep-alive\r\n\r\n".encode()
    try:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            writer.write(request)
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                # The server closed this connection (seen once, warming up): count it and reconnect.
                errors.append(type(exc).__name__)
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            status = head[9:12]
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            if status != b"200":
                errors.append(status.decode())
    finally:
        writer.close()


async def load(port: int, path: str, cookie: str, seconds: float, connections: int) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    await asyncio.gather(*(one_connection(port, path, cookie, deadline, latencies, errors) for _ in range(connections)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
    }


def start_server(data_dir: Path, port: int, workers: int, index: bool = True) -> subprocess.Popen[bytes]:
    """`papertide serve --dev` over the demo loaded into `data_dir` (encoded unless `index` is off)."""
    exe = Path(sys.executable).with_name("papertide")
    demo = [exe, "demo", "--no-serve", "--data-dir", data_dir, *([] if index else ["--no-index"])]
    subprocess.run(demo, check=True, capture_output=True)
    server = subprocess.Popen(
        [exe, "serve", "--dev", "--data-dir", data_dir, "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                time.sleep(1.0)  # let every worker finish starting
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="per target and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results") / "web.json")
    args = parser.parse_args()
    console = Console()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), port, args.workers)
        try:
            cookie = member_cookie(port)
            add_comments(Path(tmp))
            console.print(f"thumbnails for {add_thumbnails(Path(tmp))} papers")
            rounds: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in TARGETS}
            for _, path, as_member in TARGETS:  # warm up caches and connections
                asyncio.run(load(port, path, cookie if as_member else "", 0.5, args.connections))
            # Rounds interleave the targets, so that a slow spell of the machine (seen here: 2–3x
            # swings within a minute) hits all of them alike; the median round is reported.
            for r in range(args.rounds):
                for name, path, as_member in TARGETS:
                    result = asyncio.run(load(port, path, cookie if as_member else "", args.seconds, args.connections))
                    rounds[name].append(result)
                console.print(f"round {r + 1}/{args.rounds} done")
            rows = []
            for name, path, as_member in TARGETS:
                runs = rounds[name]
                rows.append(
                    {
                        "name": name,
                        "path": path,
                        "member": as_member,
                        "rps": statistics.median(x["rps"] for x in runs),
                        "p50_ms": statistics.median(x["p50_ms"] for x in runs),
                        "p99_ms": statistics.median(x["p99_ms"] for x in runs),
                        "errors": sum(int(x["errors"]) for x in runs),
                        "rounds": runs,
                    }
                )
        finally:
            server.terminate()
            server.wait(10)
    baseline = rows[0]["rps"]
    table = Table(
        title=f"papertide serve --workers {args.workers}, {args.connections} connections, "
        f"median of {args.rounds} rounds of {args.seconds:.0f} s"
    )
    for col in ("target", "req/s", "× baseline", "p50 ms", "p99 ms", "errors"):
        table.add_column(col, justify="left" if col == "target" else "right")
    for r in rows:
        table.add_row(
            r["name"],
            f"{r['rps']:.0f}",
            f"{r['rps'] / baseline:.2f}",
            f"{r['p50_ms']:.1f}",
            f"{r['p99_ms']:.1f}",
            str(r["errors"]),
        )
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "workers": args.workers,
        "connections": args.connections,
        "seconds": args.seconds,
    }
    args.out.write_bytes(orjson.dumps({"meta": meta, "results": rows}, option=orjson.OPT_INDENT_2) + b"\n")
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
