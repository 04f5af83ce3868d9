"""Shared test fixtures: a fresh database per test, a real HTTP server on 127.0.0.1, golden files."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest

from papertide.model import Paper
from papertide.sources import Item
from papertide.store.sql import SqlStore

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    s = SqlStore(f"sqlite:///{tmp_path / 'papertide.sqlite3'}")
    s.migrate()
    yield s
    s.close()


# --- a real HTTP server standing in for arXiv and Hugging Face -------------------------------------
Response = tuple[int, dict[str, str], bytes]
Handler = Callable[[dict[str, str]], Response]


@dataclass
class LocalServer:
    url: str
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def route(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    server_state: LocalServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            server_state.requests.append((parts.path, query))
            handler = server_state.routes.get(parts.path)
            status, headers, body = handler(query) if handler else (404, {}, b"not found")
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state = LocalServer(url=f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield server_state
    httpd.shutdown()
    httpd.server_close()


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def serve_file(name: str, content_type: str = "application/atom+xml") -> Handler:
    return lambda _query: (200, {"Content-Type": content_type}, fixture_bytes(name))


# --- golden files ----------------------------------------------------------------------------------
def item_json(item: Item) -> dict[str, object]:
    return item.to_json() if isinstance(item, Paper) else {"rejected": str(item)}


def assert_golden(name: str, items: list[Item]) -> None:
    """Compare parsed records with tests/golden/NAME.json (PAPERTIDE_UPDATE_GOLDEN=1 rewrites it;
    review the diff before committing)."""
    actual = [item_json(i) for i in items]
    path = GOLDEN / f"{name}.json"
    if os.environ.get("PAPERTIDE_UPDATE_GOLDEN"):
        path.write_bytes(orjson.dumps(actual, option=orjson.OPT_INDENT_2) + b"\n")
    assert path.exists(), f"no golden file {path}; run with PAPERTIDE_UPDATE_GOLDEN=1 and review it"
    assert actual == orjson.loads(path.read_bytes())
