"""`papertide serve` as an operator runs it (issue 30, item 4): a stop stops, even while a request
is stuck in a worker thread."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from conftest import FIXTURES, gone

pytestmark = pytest.mark.slow  # real Chromium / many generated requests / real server processes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sigterm_ends_serve_within_its_timeout_while_a_request_is_stuck(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("papertide")
    data = tmp_path / "data"
    subprocess.run([exe, "import", FIXTURES / "jsonl/small_corpus.jsonl", "--data-dir", data], check=True)
    port = _free_port()
    env = {**os.environ, "PAPERTIDE_SHUTDOWN_SECONDS": "1"}
    server = subprocess.Popen(
        [exe, "serve", "--dev", "--data-dir", data, "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                page = httpx.get(url + "/signup", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        csrf = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text)
        assert csrf
        # Hold the database's write lock: a sign-up's worker thread waits on it (busy_timeout, 10 s).
        holder = sqlite3.connect(next(data.glob("*.sqlite3")), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        form = {"handle": "ada", "email": "ada@example.org", "password": "correct horse", "csrf": csrf.group(1)}
        stuck = threading.Thread(
            target=lambda: httpx.post(url + "/signup", data=form, cookies=page.cookies, timeout=30), daemon=True
        )
        stuck.start()
        time.sleep(1.0)  # the request is in its thread, waiting on the lock
        sent = time.monotonic()
        server.send_signal(signal.SIGTERM)
        # 1 s for running requests, EXIT_GRACE (2 s) after the app's shutdown, and slack for a busy
        # machine: well before the 10 s the stuck thread would otherwise hold the process.
        assert gone(server.pid, within=8.0)
        assert time.monotonic() - sent < 8.0
        holder.execute("ROLLBACK")
        holder.close()
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(timeout=10)
