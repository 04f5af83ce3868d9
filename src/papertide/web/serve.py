"""Running the web app: `papertide serve` and `papertide demo` start uvicorn through `run`.

uvicorn's worker processes each build their own app with `app_from_env` (a factory named by import
string), reading the data directory and mode from the environment `run` sets for them.
"""

from __future__ import annotations

import os
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from ..library import Papertide
from .app import create_app
from .config import WebConfig

# How often a server process catches its indexes up with what other processes wrote.
CATCH_UP_SECONDS = 5.0


def app_from_env() -> FastAPI:
    config = WebConfig.from_env(dev=os.environ.get("PAPERTIDE_DEV") == "1")
    pt = Papertide.open(os.environ["PAPERTIDE_DATA"])  # and $PAPERTIDE_DATABASE_URL, if set
    pt.catch_up()  # before the first reader
    return create_app(pt, config, catch_up_every=CATCH_UP_SECONDS)


def run(data_dir: Path, host: str, port: int, workers: int, dev: bool) -> None:
    """Serve until interrupted. Checks the configuration first, so a missing secret is an error
    here rather than in every worker."""
    os.environ["PAPERTIDE_DATA"] = str(data_dir)
    os.environ["PAPERTIDE_DEV"] = "1" if dev else "0"
    WebConfig.from_env(dev=dev)  # raises ConfigError with the reason
    os.environ.setdefault("PAPERTIDE_BASE_URL", f"http://{host}:{port}")
    uvicorn.run(
        "papertide.web.serve:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        # Behind a reverse proxy every request comes from the proxy's address, and rate limits per
        # address would throttle everyone together: trust X-Forwarded-For from the proxies named in
        # PAPERTIDE_TRUSTED_PROXIES (comma-separated addresses), and from nobody by default.
        proxy_headers=bool(trusted_proxies()),
        forwarded_allow_ips=trusted_proxies() or None,
    )


def trusted_proxies() -> str:
    return os.environ.get("PAPERTIDE_TRUSTED_PROXIES", "").replace(" ", "")
