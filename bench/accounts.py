"""Account enumeration by timing: how long sign-up and password reset take to answer for an address
that has an account and for one that has not, against `papertide serve --dev` on 127.0.0.1 with the
shipped argon2 parameters.

    python bench/accounts.py [--rounds 40] [--out bench/results/accounts.json]

Each round sends the four requests interleaved in a shuffled order (a new address, a taken one, a reset for a known
address, a reset for an unknown one), each from its own forwarded client address (the server trusts
127.0.0.1 as a proxy, so per-address limits do not throttle the bench) and for its own account (per
account limits neither). The table gives medians and the known/unknown ratio, all from one run.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson
from rich.console import Console
from rich.table import Table

CSRF = re.compile(r'name="csrf-token" content="([0-9a-f]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timed_post(client: httpx.Client, path: str, form: dict[str, str], client_address: str) -> tuple[float, int]:
    token = CSRF.search(client.get(path, headers={"X-Forwarded-For": client_address}).text)
    assert token, f"no CSRF token on {path}"
    start = time.perf_counter()
    response = client.post(path, data={**form, "csrf": token.group(1)}, headers={"X-Forwarded-For": client_address})
    elapsed = (time.perf_counter() - start) * 1000
    return elapsed, response.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--out", type=Path, default=Path("bench/results/accounts.json"))
    args = parser.parse_args()
    port = free_port()
    exe = Path(sys.executable).with_name("papertide")
    with tempfile.TemporaryDirectory() as data_dir:
        subprocess.run([exe, "init", "--data-dir", data_dir], check=True, capture_output=True)
        env = {**os.environ, "PAPERTIDE_TRUSTED_PROXIES": "127.0.0.1"}
        server = subprocess.Popen(
            [exe, "serve", "--dev", "--port", str(port), "--data-dir", data_dir],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            timings: dict[str, list[float]] = {"sign-up, new address": [], "sign-up, taken address": [],
                                               "reset, known address": [], "reset, unknown address": []}  # fmt: skip
            shuffler = random.Random(0)
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                deadline = time.monotonic() + 30
                while True:
                    try:
                        client.get("/signin")
                        break
                    except httpx.TransportError:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.1)
                password = "a long enough password"
                for i in range(args.rounds):  # the accounts whose addresses will be taken or reset
                    form = {"handle": f"owner{i}", "email": f"owner{i}@example.org", "password": password}
                    timed_post(client, "/signup", form, f"10.1.{i // 250}.{i % 250}")
                for i in range(args.rounds):
                    cases = [
                        ("sign-up, new address", "/signup",
                         {"handle": f"new{i}", "email": f"new{i}@example.org", "password": password}),
                        ("sign-up, taken address", "/signup",
                         {"handle": f"again{i}", "email": f"owner{i}@example.org", "password": password}),
                        ("reset, known address", "/reset", {"email": f"owner{i}@example.org"}),
                        ("reset, unknown address", "/reset", {"email": f"nobody{i}@example.org"}),
                    ]  # fmt: skip
                    order = list(enumerate(cases))
                    shuffler.shuffle(order)  # no case always follows another one's background work
                    for n, (name, path, form) in order:
                        elapsed, status = timed_post(client, path, form, f"10.{2 + n}.{i // 250}.{i % 250}")
                        assert status == 200, (name, status)
                        timings[name].append(elapsed)
        finally:
            server.terminate()
            server.wait(10)
    medians = {name: statistics.median(values) for name, values in timings.items()}
    pairs = [("sign-up", "sign-up, taken address", "sign-up, new address"),
             ("reset", "reset, known address", "reset, unknown address")]  # fmt: skip
    table = Table(title=f"time to answer, median of {args.rounds} interleaved rounds (ms)")
    for column in ("request", "median ms", "p90 ms"):
        table.add_column(column, justify="right")
    for name, values in timings.items():
        table.add_row(name, f"{medians[name]:.1f}", f"{sorted(values)[int(len(values) * 0.9)]:.1f}")
    Console(width=120).print(table)
    ratios = {what: round(medians[a] / medians[b], 3) for what, a, b in pairs}
    for what, ratio in ratios.items():
        print(f"{what}: account exists / does not: {ratio:.3f}x")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {"rounds": args.rounds, "median_ms": {k: round(v, 2) for k, v in medians.items()}, "ratio": ratios}
    args.out.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
