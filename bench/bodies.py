"""The server under hostile request bodies: an ordinary reader's latency while anonymous clients
send 150 MB JSON bodies to an API write, against the same reader with no flood, in one run.

    python bench/bodies.py [--seconds 4] [--rounds 3] [--flooders 4] [--out bench/results/bodies.json]

`papertide serve --dev --workers 2` on the demo (no vectors), loaded from 127.0.0.1. The reader:
4 keep-alive connections asking for the trending page's API. A flooder opens a connection, sends
the head of `POST /api/collections` announcing 150 MB and then streams the body in 1 MB pieces
until the server answers (or closes), and starts again: what the outside probe did (before the
body limit, FastAPI read and parsed all 150 MB: 2.3 s each, the server grew from 1.2 to 1.8 GB).
Rounds interleave "no flood" and "flood"; the table gives each one's median round, and the peak
resident memory of the server's processes. Every loop stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import platform
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import orjson
from rich.console import Console
from rich.table import Table

from web import free_port, load, start_server

READER_PATH = "/api/trending?limit=20"
ANNOUNCED = 150 * 1024 * 1024
PIECE = b"x" * (1024 * 1024)


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` and its children (the uvicorn workers), in MB."""
    total = 0
    pids = [pid, *(int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def flood(port: int, deadline: float, answers: list[float], statuses: list[int]) -> None:
    head = (
        f"POST /api/collections HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {ANNOUNCED}\r\n\r\n"
    ).encode()
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(head + b'{"name": "')
            sent = 0
            sock.setblocking(False)
            answer = b""
            while sent < ANNOUNCED and time.perf_counter() < deadline + 30:
                try:
                    answer += sock.recv(4096)
                    if answer:
                        break
                except BlockingIOError:
                    pass
                except OSError:
                    break
                try:
                    sent += sock.send(PIECE)
                except BlockingIOError:
                    time.sleep(0.001)
                except OSError:
                    break
            sock.setblocking(True)
            with contextlib.suppress(OSError):
                answer += sock.recv(4096)
        answers.append(time.perf_counter() - start)
        statuses.append(int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--flooders", type=int, default=4)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results") / "bodies.json")
    args = parser.parse_args()
    console = Console()
    port = free_port()
    rows: dict[str, list[dict[str, float]]] = {"no flood (baseline)": [], "flood": []}
    answers: list[float] = []
    statuses: list[int] = []
    peak = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), port, workers=2, index=False)
        try:
            asyncio.run(load(port, READER_PATH, "", 0.5, 4))
            before = rss_mb(server.pid)
            for _ in range(args.rounds):
                rows["no flood (baseline)"].append(asyncio.run(load(port, READER_PATH, "", args.seconds, 4)))
                deadline = time.perf_counter() + args.seconds
                threads = [
                    threading.Thread(target=flood, args=(port, deadline, answers, statuses))
                    for _ in range(args.flooders)
                ]
                for t in threads:
                    t.start()
                rows["flood"].append(asyncio.run(load(port, READER_PATH, "", args.seconds, 4)))
                peak = max(peak, rss_mb(server.pid))
                for t in threads:
                    t.join(timeout=60)
            after = rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    table = Table(title=f"reader {READER_PATH}, 4 connections; {args.flooders} anonymous flooders of 150 MB bodies")
    for column in ("", "req/s", "p50 ms", "p99 ms", "errors"):
        table.add_column(column, justify="right" if column else "left")
    out: dict[str, object] = {}
    for name, runs in rows.items():
        median = sorted(runs, key=lambda r: r["p50_ms"])[len(runs) // 2]
        out[name] = median
        cells = (f"{median['rps']:.0f}", f"{median['p50_ms']:.2f}", f"{median['p99_ms']:.2f}", str(median["errors"]))
        table.add_row(name, *cells)
    console.print(table)
    flood_summary = {
        "bodies": len(answers),
        "answered_p50_ms": round(statistics.median(answers) * 1000, 2) if answers else None,
        "statuses": sorted(set(statuses)),
        "server_rss_mb": {"before": round(before, 1), "peak": round(peak, 1), "after": round(after, 1)},
        "ratio_p50_flood_vs_baseline": round(out["flood"]["p50_ms"] / out["no flood (baseline)"]["p50_ms"], 2),  # type: ignore[index]
    }
    console.print(flood_summary)
    meta = {"python": platform.python_version(), "machine": platform.machine(), "rounds": args.rounds}
    args.out.write_bytes(
        orjson.dumps({"meta": meta, "results": out, "flood": flood_summary}, option=orjson.OPT_INDENT_2) + b"\n"
    )


if __name__ == "__main__":
    main()
