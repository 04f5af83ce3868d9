"""GitHub stars (issue 18, item 6): which links name a repository, the trending formula, and
`papertide ingest github` against a local stand-in for GitHub's REST API that answers as GitHub does
(ETags and 304s, 404 for a deleted repository, 403 with X-RateLimit-* when the limit is reached)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from papertide import Papertide
from papertide.cli import main
from papertide.ids import github_repo
from papertide.search.rank import github_gain, github_trending
from papertide.sources.github import GithubClient

from conftest import Clock, LiveApp

NOW = datetime(2025, 11, 5, 9, 0)


@pytest.mark.parametrize(
    ("url", "repo"),
    [
        ("https://github.com/Yang-Song/Score_SDE", "yang-song/score_sde"),
        ("https://github.com/openai/whisper.git", "openai/whisper"),
        ("http://www.github.com/a/b/tree/main/src", "a/b"),
        ("https://github.com/a/b#readme", "a/b"),
        ("https://github.com/orgs/openai", None),
        ("https://github.com/topics/diffusion", None),
        ("https://github.com/onlyowner", None),
        ("https://gitlab.com/a/b", None),
        ("javascript:alert(1)//github.com/a/b", None),
        (None, None),
    ],
)
def test_which_links_name_a_repository(url: str | None, repo: str | None) -> None:
    assert github_repo(url) == repo


D = date(2025, 11, 10)


@pytest.mark.parametrize(
    ("history", "gain"),
    [
        ([(D - timedelta(days=9), 100), (D - timedelta(days=7), 120), (D, 170)], 50),  # baseline: the window's start
        ([(D - timedelta(days=8), 100), (D - timedelta(days=1), 150), (D, 160)], 60),  # last count before the start
        ([(D - timedelta(days=2), 5000), (D, 5030)], 30),  # first seen inside the window: from its first count
        ([(D, 5000)], 0),  # one count: no gain yet
        ([(D - timedelta(days=10), 90), (D - timedelta(days=3), 80)], 0),  # lost stars: no negative trend
        ([(D + timedelta(days=1), 999), (D - timedelta(days=7), 1), (D, 3)], 2),  # future counts ignored, any order
    ],
)
def test_stars_gained_over_the_week(history: list[tuple[date, int]], gain: int) -> None:
    assert github_gain(history, D) == gain


def test_repositories_rank_by_gain_then_by_stars() -> None:
    histories = {
        "a/small": [(D - timedelta(days=7), 10), (D, 60)],  # +50
        "b/big": [(D - timedelta(days=7), 9000), (D, 9050)],  # +50, more stars
        "c/fast": [(D - timedelta(days=7), 0), (D, 400)],  # +400
        "d/flat": [(D - timedelta(days=7), 70), (D, 70)],
    }
    assert github_trending(histories, D) == (["c/fast", "b/big", "a/small"], [400.0, 50.0, 50.0])


class FakeGithub:
    """GitHub's /repos/OWNER/NAME as far as papertide uses it."""

    def __init__(self) -> None:
        self.stars = {"yang-song/score_sde": 1200, "openai/whisper": 70000}
        self.requests: list[tuple[str, str | None, str | None]] = []  # (path, If-None-Match, Authorization)
        self.limit_after: int | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(
                    (self.path, self.headers.get("If-None-Match"), self.headers.get("Authorization"))
                )
                if server.limit_after is not None and len(server.requests) > server.limit_after:
                    self.send_response(403)
                    self.send_header("X-RateLimit-Remaining", "0")
                    self.send_header("X-RateLimit-Reset", str(int(datetime(2025, 11, 5, 10, 0).timestamp())))
                    self.end_headers()
                    return
                repo = self.path.removeprefix("/repos/").lower()
                if repo not in server.stars:
                    self.send_response(404)
                    self.end_headers()
                    return
                etag = f'W/"{repo}-{server.stars[repo]}"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                body = orjson.dumps({"full_name": repo, "stargazers_count": server.stars[repo]})
                self.send_response(200)
                self.send_header("ETag", etag)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()


@pytest.fixture
def github() -> Iterator[FakeGithub]:
    fake = FakeGithub()
    yield fake
    fake.httpd.shutdown()


def catalogue(tmp_path: Path) -> Papertide:
    pt = Papertide.open(tmp_path, encoder=None, clock=Clock(NOW))
    records = [
        {
            "id": "2011.13456",
            "title": "Score-Based Generative Modeling through SDEs",
            "code_url": "https://github.com/yang-song/score_sde",
        },
        {
            "id": "2212.04356",
            "title": "Robust Speech Recognition via Large-Scale Weak Supervision",
            "code_url": "https://github.com/openai/whisper",
        },
        {"id": "2212.00001", "title": "Whisper, again", "code_url": "https://github.com/OpenAI/whisper/tree/main"},
        {"id": "2301.00002", "title": "A Deleted Repository", "code_url": "https://github.com/gone/away"},
        {"id": "2301.00003", "title": "No Code Here"},
    ]
    path = tmp_path / "papers.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    pt.import_files([path])
    return pt


def test_refresh_with_etags_gone_repositories_and_the_rate_limit(tmp_path: Path, github: FakeGithub) -> None:
    pt = catalogue(tmp_path / "data")
    client = GithubClient(github.url, token="ghp_test", delay=0)
    first = pt.refresh_github(client)
    assert (first.repos, first.checked, first.changed, first.gone, first.not_modified) == (3, 3, 2, 1, 0)
    assert [(p, a) for p, _, a in github.requests] == [
        ("/repos/gone/away", "Bearer ghp_test"),
        ("/repos/openai/whisper", "Bearer ghp_test"),
        ("/repos/yang-song/score_sde", "Bearer ghp_test"),
    ]
    assert [pt.get(i).github_stars for i in ("2011.13456", "2212.04356", "2212.00001", "2301.00002")] == [  # type: ignore[union-attr]
        1200,
        70000,
        70000,  # both spellings of the link name one repository
        None,
    ]
    github.requests.clear()
    again = pt.refresh_github(client)
    assert (again.checked, again.not_modified, again.changed) == (3, 2, 0)
    assert {e for _, e, _ in github.requests} == {None, 'W/"openai/whisper-70000"', 'W/"yang-song/score_sde-1200"'}
    github.stars["openai/whisper"] = 70500
    github.requests.clear()
    github.limit_after = 1
    limited = pt.refresh_github(client)
    assert limited.checked == 1 and limited.rate_limited_until == datetime(2025, 11, 5, 10, 0)
    assert limited.to_json()["rate_limited_until"] == "2025-11-05T10:00:00Z"
    client.close()
    pt.close()


def test_ingest_github_command(tmp_path: Path, github: FakeGithub) -> None:
    catalogue(tmp_path).close()
    result = CliRunner().invoke(
        main, ["ingest", "github", "--base-url", github.url, "--delay", "0", "--json", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.output) == {
        "repos": 3, "checked": 3, "changed": 2, "not_modified": 0, "gone": 1, "errors": 0, "rate_limited_until": None,
    }  # fmt: skip


def test_trending_on_github_page_and_api(live_app: LiveApp) -> None:
    store = live_app.store
    # the featured paper 2511.00003 links to a GitHub repository in the HF fixture
    pk = store.pks_for_ids(["2511.00003"])["2511.00003"]
    code = store.get("2511.00003").code_url  # type: ignore[union-attr]
    repo = github_repo(code)
    assert repo is not None
    for days_ago, stars in ((8, 100), (3, 180), (0, 260)):
        moment = live_app.clock.now - timedelta(days=days_ago)
        store.github.record(repo, [pk], stars, None, False, moment.date(), moment)
    with live_app.client() as c:
        page = c.get("/papers/trending?by=github").text
        assert '<a class="title" href="/papers/2511.00003">' in page and "+160 stars this week" in page
        assert "★ 260" in page
        api = c.get("/api/trending", params={"by": "github"}).json()
        assert [(e["paper"]["id"], e["paper"]["githubStars"]) for e in api] == [("2511.00003", 260)]
        assert c.get("/papers/trending?by=forks").status_code == 400
