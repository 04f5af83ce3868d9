"""Hugging Face's own client against papertide (issue 18, item 0): a script written for
huggingface.co/papers runs here by changing only the endpoint. The real `HfApi` methods and the real
`hf papers` commands are driven against the real server, and the parsed `PaperInfo` values checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from test_web import csrf_of, signed_up

from conftest import LiveApp


@pytest.fixture
def api(live_app: LiveApp) -> HfApi:
    return HfApi(endpoint=live_app.url, token=False)


def test_list_daily_papers_by_date_week_month_sort_and_page(api: HfApi) -> None:
    day = list(api.list_daily_papers(date="2025-11-04"))
    assert [p.id for p in day] == ["2511.00001", "2511.00002"]
    first = day[0]
    assert first.title == "Sparse Attention for Long Context Language Models"
    assert first.upvotes == 12 and first.comments == 0
    assert first.published_at == datetime(2025, 11, 2, 18, 0, tzinfo=UTC)  # on arXiv
    assert first.submitted_at == datetime(2025, 11, 4, 0, 0, tzinfo=UTC)  # in the daily feed
    assert [a.name for a in first.authors or []] == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    assert first.organization is not None and first.organization.name == "Sony"
    assert first.submitted_by is not None and first.submitted_by.username == "ak"
    week = [p.id for p in api.list_daily_papers(week="2025-W45")]
    assert week == ["2511.00004", "2511.00001", "2511.00003", "2511.00002"]
    assert [p.id for p in api.list_daily_papers(month="2025-10")] == ["2510.00005"]
    assert [p.id for p in api.list_daily_papers(week="2025-W45", limit=2, p=1)] == ["2511.00003", "2511.00002"]
    newest = [p.id for p in api.list_daily_papers(week="2025-W45", sort="publishedAt")]
    assert newest == ["2511.00003", "2511.00002", "2511.00001", "2511.00004"]
    trending = [p.id for p in api.list_daily_papers(week="2025-W45", sort="trending")]
    assert sorted(trending) == sorted(week)
    assert [p.id for p in api.list_daily_papers(week="2025-W45", submitter="ak")] == ["2511.00001"]
    assert list(api.list_daily_papers(week="2025-W45", submitter="nobody")) == []


def test_list_papers_searches(api: HfApi) -> None:
    found = list(api.list_papers(query="sparse attention", limit=5))
    assert found[0].id == "2511.00001" and found[0].title == "Sparse Attention for Long Context Language Models"
    assert found[0].published_at == datetime(2025, 11, 2, 18, 0, tzinfo=UTC)
    assert len(list(api.list_papers(query="learning", limit=120))) <= 120


def test_paper_info_and_read_paper(api: HfApi) -> None:
    info = api.paper_info("2511.00001")
    assert (info.id, info.title, info.upvotes) == (
        "2511.00001",
        "Sparse Attention for Long Context Language Models",
        12,
    )
    assert info.submitted_at == datetime(2025, 11, 4, 0, 0, tzinfo=UTC)
    assert info.ai_keywords is None or isinstance(info.ai_keywords, list)
    text = api.read_paper("2511.00001")
    assert text.startswith("# Sparse Attention for Long Context Language Models\n")
    assert "## Abstract" in text and "Ada Lovelace" in text


def test_a_vote_shows_in_the_client(live_app: LiveApp, api: HfApi) -> None:
    client = signed_up(live_app, "ada")
    token = csrf_of(client, "/")
    assert client.post("/api/papers/2511.00001/upvote", headers={"X-CSRF-Token": token}).status_code == 200
    assert api.paper_info("2511.00001").upvotes == 13


def hf(live_app: LiveApp, *args: str) -> str:
    env = {
        **os.environ,
        "HF_ENDPOINT": live_app.url,
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_UPDATE_CHECK": "1",
        "HF_TOKEN": "",
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    command = [str(Path(sys.executable).with_name("hf")), "papers", *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_hf_papers_commands(live_app: LiveApp) -> None:
    listed = hf(live_app, "ls", "--week", "2025-W45", "--format", "json")
    assert [p["id"] for p in json.loads(listed)] == ["2511.00004", "2511.00001", "2511.00003", "2511.00002"]
    searched = json.loads(hf(live_app, "search", "sparse attention", "--format", "json"))
    assert searched[0]["id"] == "2511.00001"
    info = hf(live_app, "info", "2511.00001")
    assert "Sparse Attention for Long Context Language Models" in info
    assert hf(live_app, "read", "2511.00001").startswith("# Sparse Attention for Long Context Language Models")


def test_our_hf_shaped_json_reads_back_through_our_own_importer(live_app: LiveApp, tmp_path: Path) -> None:
    from papertide import Papertide
    from papertide.store.sql import SqlStore

    with live_app.client() as c:
        daily = c.get("/api/daily_papers", params={"week": "2025-W45"}).content
        one = c.get("/api/papers/2511.00001").content
    (tmp_path / "daily.json").write_bytes(daily)
    (tmp_path / "one.json").write_bytes(one)
    store = SqlStore(f"sqlite:///{tmp_path / 'copy.sqlite3'}")
    store.migrate()
    copy = Papertide(store, tmp_path, encoder=None)
    report = copy.import_files([tmp_path / "daily.json", tmp_path / "one.json"])
    assert report.ok and report.total.new == 4
    for paper_id in ("2511.00001", "2511.00004"):
        original, again = live_app.store.get(paper_id), store.get(paper_id)
        assert original is not None and again is not None
        assert (again.title, again.abstract, again.upvotes, again.featured_date, again.submitted_by) == (
            original.title,
            original.abstract,
            original.votes,
            original.featured_date,
            original.submitted_by,
        )
        assert [a.name for a in again.authors] == [a.name for a in original.authors]
        assert again.organization == original.organization and again.published == original.published
    store.close()


def test_markdown_pages_by_suffix_and_by_accept_and_hostile_text_stays_text(live_app: LiveApp) -> None:
    with live_app.client() as c:
        by_suffix = c.get("/papers/2511.00002.md")
        by_accept = c.get("/papers/2511.00002", headers={"Accept": "text/markdown"})
        html = c.get("/papers/2511.00002")
        missing = c.get("/papers/2599.99999.md")
    assert by_suffix.status_code == by_accept.status_code == 200 and missing.status_code == 404
    assert by_suffix.headers["content-type"] == "text/markdown; charset=utf-8"
    assert by_suffix.text == by_accept.text and html.headers["content-type"].startswith("text/html")
    title = by_suffix.text.splitlines()[0]
    # "<script>alert('x')</script> & Friends: Escaping Titles": every Markdown/HTML character escaped.
    assert title == "# \\<script\\>alert\\('x'\\)\\</script\\> & Friends: Escaping Titles"


def test_the_catalogue_pages_with_a_cursor_without_gaps_or_repeats_while_papers_arrive(live_app: LiveApp) -> None:
    from papertide.model import Paper

    seen: list[str] = []
    cursor = None
    added = 0
    with live_app.client() as c:
        while True:
            params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
            page = c.get("/api/papers", params=params).json()
            seen += [p["id"] for p in page["papers"]]
            if added < 3:  # papers arrive while a client pages through
                live_app.pt.import_records([Paper(id=f"2512.0000{added}", title=f"Arrived {added}")])
                added += 1
            cursor = page["nextCursor"]
            if cursor is None:
                break
        bad = c.get("/api/papers", params={"cursor": "not-ours"})
    assert len(seen) == len(set(seen)) == live_app.store.count()
    assert seen[-3:] == ["2512.00000", "2512.00001", "2512.00002"]
    assert bad.status_code == 400 and bad.json()["error"] == "cursor: not a cursor this API gave"


def test_search_takes_up_to_120_results_like_hf(live_app: LiveApp) -> None:
    with live_app.client() as c:
        assert c.get("/api/papers/search", params={"q": "learning", "limit": 120}).status_code == 200
        assert c.get("/api/papers/search", params={"q": "learning", "limit": 121}).status_code == 400
