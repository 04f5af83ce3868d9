"""Running the web app: `papertide serve` and `papertide demo` start uvicorn through `run`.

uvicorn's worker processes each build their own app with `app_from_env` (a factory named by import
string), reading the data directory and mode from the environment `run` sets for them.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from papertide.core import Papertide
from papertide.numbers import whole_or_none
from papertide.web.app import create_app
from papertide.web.config import WebConfig

# How often a server process catches its indexes up with what other processes wrote.
CATCH_UP_SECONDS = 5.0
# A stop (SIGTERM, Ctrl+C) waits this long for running requests (PAPERTIDE_SHUTDOWN_SECONDS), then
# uvicorn cancels them; a request stuck in a worker thread (a database lock, a long computation) can
# still hold the process open, since Python waits for its threads at exit: EXIT_GRACE seconds after
# the app has shut down, the process ends regardless. The probe saw a server still up 38 s after
# SIGTERM, waiting on such threads.
SHUTDOWN_SECONDS = 10
EXIT_GRACE = 2.0


def _shutdown_seconds() -> int:
    value = os.environ.get("PAPERTIDE_SHUTDOWN_SECONDS", str(SHUTDOWN_SECONDS))
    seconds = whole_or_none(value, 1, 3600)
    if seconds is None:
        raise SystemExit(f"PAPERTIDE_SHUTDOWN_SECONDS must be a whole number of seconds from 1 to 3600, not {value!r}")
    return seconds


def _exits_after_shutdown(app: FastAPI) -> FastAPI:
    """`app` whose process ends EXIT_GRACE seconds after its shutdown, stuck threads or not."""
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        async with inner(a):
            yield
        timer = threading.Timer(EXIT_GRACE, os._exit, args=(0,))
        timer.daemon = True  # a process that ends on its own does not wait for it
        timer.start()

    app.router.lifespan_context = lifespan
    return app


def app_from_env() -> FastAPI:
    config = WebConfig.from_env(dev=os.environ.get("PAPERTIDE_DEV") == "1")
    pt = Papertide.open(os.environ["PAPERTIDE_DATA"])  # and $PAPERTIDE_DATABASE_URL, if set
    pt.catch_up()  # before the first reader
    return _exits_after_shutdown(create_app(pt, config, catch_up_every=CATCH_UP_SECONDS))


def run(data_dir: Path, host: str, port: int, workers: int, dev: bool) -> None:
    """Serve until interrupted. Checks the configuration first, so a missing secret is an error
    here rather than in every worker."""
    os.environ["PAPERTIDE_DATA"] = str(data_dir)
    os.environ["PAPERTIDE_DEV"] = "1" if dev else "0"
    WebConfig.from_env(dev=dev)  # raises ConfigError with the reason
    shutdown_seconds = _shutdown_seconds()
    os.environ.setdefault("PAPERTIDE_BASE_URL", f"http://{host}:{port}")
    uvicorn.run(
        "papertide.web.serve:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=shutdown_seconds,
        # Behind a reverse proxy every request comes from the proxy's address, and rate limits per
        # address would throttle everyone together: trust X-Forwarded-For from the proxies named in
        # PAPERTIDE_TRUSTED_PROXIES (comma-separated addresses), and from nobody by default.
        proxy_headers=bool(trusted_proxies()),
        forwarded_allow_ips=trusted_proxies() or None,
    )


def trusted_proxies() -> str:
    return os.environ.get("PAPERTIDE_TRUSTED_PROXIES", "").replace(" ", "")
