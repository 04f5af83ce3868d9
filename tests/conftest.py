"""Shared test fixtures: a fresh database per test, a real HTTP server on 127.0.0.1, golden files."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
import pytest
import uvicorn
from argon2 import PasswordHasher

import pgserver
from papertide.members.accounts import RATE_LIMITS
from papertide.model import Paper
from papertide.sources import Item
from papertide.store.sql import SqlStore

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A PostgreSQL server for this test run (see tests/postgres.py); skipped where none can be had,
    unless $PAPERTIDE_REQUIRE_POSTGRES is set (CI sets it, so the PostgreSQL tests cannot go missing)."""
    given = os.environ.get("PAPERTIDE_TEST_POSTGRES")
    if given:
        pgserver.create_template(given)
        yield given
        return
    bindir = pgserver.postgres_bindir()
    if bindir is None:
        if os.environ.get("PAPERTIDE_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL is required ($PAPERTIDE_REQUIRE_POSTGRES) but no pg_ctl was found")
        pytest.skip("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    with pgserver.local_cluster(bindir) as url:
        pgserver.create_template(url)
        yield url


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Modules that hold the store contract (`ON_BOTH_BACKENDS = True`) run each test that uses a store
    on SQLite and on PostgreSQL, except tests marked `sqlite_only` (what they check is SQLite's own)."""
    if "store" in metafunc.fixturenames and getattr(metafunc.module, "ON_BOTH_BACKENDS", False):
        backends = ("sqlite",) if metafunc.definition.get_closest_marker("sqlite_only") else pgserver.BACKENDS
        metafunc.parametrize("store", backends, indirect=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite database migrated once per run: each test's store is a copy of the file (replaying
    the 17 migrations for ~370 stores cost ~37 s of a 482 s run; PostgreSQL clones a template too)."""
    path = tmp_path_factory.mktemp("template") / "papertide.sqlite3"
    s = SqlStore(f"sqlite:///{path}")
    s.migrate()
    s.close()
    for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        assert not leftover.exists(), "the template must be one whole file (its write-ahead log checkpointed)"
    return path


@pytest.fixture
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    """A fresh, migrated database: an SQLite file, or a PostgreSQL database of its own (parametrized,
    or for every test with PAPERTIDE_TEST_BACKEND=postgresql)."""
    if getattr(request, "param", os.environ.get("PAPERTIDE_TEST_BACKEND", "sqlite")) == "sqlite":
        path = tmp_path / "papertide.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        s = SqlStore(f"sqlite:///{path}")
        yield s
        s.close()
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    with pgserver.fresh_database(admin_url) as url:
        s = SqlStore(url)
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
    # Polled every 10 ms, not the default 0.5 s: `shutdown` waits for the next poll (165 tests
    # spent ~74 s of a 482 s run waiting for it).
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
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


# --- the web app, served for real by uvicorn on 127.0.0.1 ---------------------------------------------
class Clock:
    """A clock the tests move by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class LiveApp:
    url: str
    store: SqlStore
    clock: Clock
    arxiv: LocalServer
    mail: SmtpSink
    app: Any = None  # the FastAPI app, for tests that change its services
    pt: Any = None  # the Papertide the app serves

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)


def serve_in_thread(app: object) -> tuple[str, Callable[[], None]]:
    """Start uvicorn on a free loopback port; return its URL and a function that stops it."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]

    def stop() -> None:
        server.should_exit = True
        thread.join(10)

    return f"http://127.0.0.1:{port}", stop


class AppSwitch:
    """The ASGI app of the run's one uvicorn server: it hands each request to the current test's app
    (starting and stopping uvicorn per test cost ~0.3 s each in 156 tests)."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        app = self.app
        if app is None:
            await send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": b"no test app is being served"})
            return
        await app(scope, receive, send)


@pytest.fixture(scope="session")
def _shared_uvicorn() -> Iterator[tuple[str, AppSwitch]]:
    switch = AppSwitch()
    url, stop = serve_in_thread(switch)
    yield url, switch
    stop()


@pytest.fixture
def serve_app(_shared_uvicorn: tuple[str, AppSwitch]) -> Iterator[Callable[[Any], str]]:
    """Serve an app over real HTTP on 127.0.0.1 for this test (the run's uvicorn server): its URL."""
    url, switch = _shared_uvicorn

    def serve(app: Any) -> str:
        switch.app = app
        return url

    yield serve
    switch.app = None


def arxiv_stand_in(server: LocalServer) -> None:
    """Answer `id_list` queries like the arXiv API: the fixture record for 2510.25021, else nothing."""

    def answer(query: dict[str, str]) -> Response:
        name = "arxiv/id_2510.25021v3.xml" if query.get("id_list") == "2510.25021" else "arxiv/empty.xml"
        return 200, {"Content-Type": "application/atom+xml"}, fixture_bytes(name)

    server.route("/api/query", answer)


# Tests sign many members up from one address; the sign-in limit stays as shipped (tested).
TEST_RATE_LIMITS = {**RATE_LIMITS, "sign-up": (100, timedelta(hours=1))}
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)  # argon2id, cheap for tests


@pytest.fixture
def live_app(
    request: pytest.FixtureRequest,
    store: SqlStore,
    local_server: LocalServer,
    smtp_sink: SmtpSink,
    tmp_path: Path,
    serve_app: Callable[[Any], str],
) -> Iterator[LiveApp]:
    """The app on a fresh database holding the 12-paper test corpus and five featured papers
    (hf/feed_2025-W45.json: Nov 3–5 2025 and Oct 20), a fixed clock (2025-11-05 09:00 UTC), the
    arXiv stand-in; served over real HTTP on 127.0.0.1. Parametrized with "vectors" (indirect), the
    papers are encoded first and search is hybrid."""
    from papertide import Papertide
    from papertide.members.accounts import Accounts
    from papertide.members.submissions import arxiv_fetcher
    from papertide.sources.hf_daily import parse_hf_daily
    from papertide.sources.jsonl import parse_jsonl
    from papertide.web.app import create_app
    from papertide.web.config import WebConfig

    clock = Clock(datetime(2025, 11, 5, 9, 0))
    vectors = getattr(request, "param", None) == "vectors"
    encoder: object = request.getfixturevalue("minilm") if vectors else None
    # A copy of the limits: a test that tightens a limit on its app must not change the next test's.
    limits = dict(TEST_RATE_LIMITS)
    accounts = Accounts(store.community, clock, store.api_tokens, hasher=FAST_HASHER, rate_limits=limits)
    pt = Papertide(store, tmp_path, encoder=encoder, clock=clock, accounts=accounts)  # type: ignore[arg-type]
    pt.import_records(parse_jsonl(fixture_bytes("jsonl/small_corpus.jsonl").splitlines(keepends=True), where="corpus"))
    pt.import_records(parse_hf_daily(fixture_bytes("hf/feed_2025-W45.json")))
    if vectors:
        pt.index()
    arxiv_stand_in(local_server)
    config = WebConfig.from_env(
        {},
        dev=True,
        base_url="http://papertide.test",
        arxiv_url=local_server.url + "/api/query",
        smtp_url=smtp_sink.url,
        mail_from="papertide <noreply@papertide.test>",
    )
    app = create_app(
        pt,
        config,
        clock=clock,
        fetch=arxiv_fetcher(config.arxiv_url, delay=0.0, retries=0),
    )
    yield LiveApp(serve_app(app), store, clock, local_server, smtp_sink, app, pt)


# --- a real SMTP server (aiosmtpd) on 127.0.0.1 ----------------------------------------------------------
@dataclass
class SmtpSink:
    """What arrived, and how the server should behave: `temporary_failures` answers the next N
    messages with 451; `reject` answers 550 to those recipients; `on_data` runs first on every
    message (the kill test uses it)."""

    url: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    temporary_failures: int = 0
    reject: set[str] = field(default_factory=set)
    on_data: Callable[[int], str | None] | None = None
    attempts: int = 0

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class _SmtpHandler:
    """aiosmtpd's handler for the run's one SMTP server: it answers as the current test's sink says."""

    def __init__(self) -> None:
        self.sink: SmtpSink | None = None

    async def handle_RCPT(
        self, server: object, session: object, envelope: object, address: str, options: object
    ) -> str:
        if self.sink is not None and address in self.sink.reject:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)  # type: ignore[attr-defined]
        return "250 OK"

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        sink = self.sink
        if sink is None:
            return "451 4.3.0 no test is listening"
        sink.attempts += 1
        if sink.on_data is not None:
            answer = sink.on_data(sink.attempts)
            if answer:
                return answer
        if sink.temporary_failures > 0:
            sink.temporary_failures -= 1
            return "451 4.3.0 try again later"
        sink.messages.append(message_from_bytes(envelope.content, policy=default_policy))  # type: ignore[attr-defined, arg-type]
        return "250 Message accepted for delivery"


@pytest.fixture(scope="session")
def _smtp_server() -> Iterator[tuple[int, _SmtpHandler]]:
    """One real SMTP server (aiosmtpd) for the run: starting one is ~1 s (its ready check), and most
    web tests need one; each test gets its own `SmtpSink` on it."""
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = _SmtpHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, handler
    controller.stop()


@pytest.fixture
def smtp_sink(_smtp_server: tuple[int, _SmtpHandler]) -> Iterator[SmtpSink]:
    port, handler = _smtp_server
    sink = SmtpSink(url=f"smtp://127.0.0.1:{port}", port=port)
    handler.sink = sink
    yield sink
    handler.sink = None


def children_of(pid: int) -> list[int]:
    """The ids of the processes that `pid` started (Linux)."""
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def gone(pid: int, within: float = 10.0) -> bool:
    """Whether process `pid` has ended (exited, or a zombie waiting to be reaped) within `within` s."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


class RememberingEncoder:
    """The real MiniLM, each text's vector remembered for the run: the model is deterministic, and
    the same dozen fixture papers are encoded for ~60 tests (loading and encoding them each time
    cost ~30 s of setup). Tests of the encoder itself use their own MiniLM."""

    def __init__(self, encoder: Any) -> None:
        self.encoder, self.name, self.dim = encoder, encoder.name, encoder.dim
        self._known: dict[str, Any] = {}

    def encode(self, texts: Any) -> Any:
        import numpy as np

        missing = list(dict.fromkeys(t for t in texts if t not in self._known))
        if missing:
            self._known.update(zip(missing, self.encoder.encode(missing), strict=True))
        return np.stack([self._known[t] for t in texts]) if texts else self.encoder.encode([])


@pytest.fixture(scope="session")
def minilm() -> Any:
    """The bundled MiniLM encoder, loaded once for the session (one thread: tests run beside
    others), its answers remembered (`RememberingEncoder`)."""
    from papertide.index.embed import MiniLM

    return RememberingEncoder(MiniLM(threads=1))


@pytest.fixture
def encoded_corpus(store: SqlStore, tmp_path: Path, minilm: Any) -> Any:
    """A catalogue holding the 12-paper test corpus, encoded for real and indexed."""
    from papertide import Papertide
    from papertide.sources.files import read_path

    pt = Papertide(store, tmp_path, encoder=minilm)
    pt.import_records(read_path(FIXTURES / "jsonl/small_corpus.jsonl"))
    pt.index()
    return pt


def new_member(pt: Any, handle: str, verified: bool = True, at: datetime = datetime(2025, 11, 5, 9, 0)) -> Any:
    """A member of `pt`'s catalogue signed up through `Accounts` (cheap hashing), confirmed unless
    `verified` is off."""
    from papertide.members.accounts import Accounts

    made = Accounts(pt._store.community, Clock(at), pt._store.api_tokens, hasher=FAST_HASHER).sign_up(
        handle, f"{handle}@example.org", "pw-long-enough"
    )
    assert made.member is not None
    if verified:
        pt._store.community.update_member(made.member.id, verified_at=at)
    return made.member
