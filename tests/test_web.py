"""The web app over real HTTP (uvicorn on 127.0.0.1): every page and route, upvotes under
concurrency, submissions against the arXiv stand-in, CSRF, and hostile text shown inert."""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx
import numpy as np
import pytest
from lxml import etree

from papertide import Papertide

from conftest import LiveApp

CSRF = re.compile(r'<meta name="csrf-token" content="([0-9a-f]+)">')


def csrf_of(client: httpx.Client, path: str = "/signup") -> str:
    match = CSRF.search(client.get(path).text)
    assert match
    return match.group(1)


def mailed_link(app: LiveApp, to: str, path: str, since: int = 0, within: float = 10.0) -> str:
    """The first link to `path` in a mail to `to` (after the first `since` of them): account mail
    goes out from a background task, after the answer, so it is waited for."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for mail in app.mail.to(to)[since:]:
            found = re.search(r"http://papertide\.test(" + re.escape(path) + r"[^\s]*)", mail.get_content())
            if found:
                return found.group(1)
        time.sleep(0.02)
    raise AssertionError(f"no mail to {to} with a link to {path}")


def signed_up(app: LiveApp, handle: str) -> httpx.Client:
    """A new member, signed in the way a new member is: sign up, then follow the mailed link."""
    client = app.client()
    token = csrf_of(client)
    email = f"{handle}@example.org"
    before = len(app.mail.to(email))
    r = client.post("/signup", data={"handle": handle, "email": email, "password": "correct horse", "csrf": token})
    assert r.status_code == 200 and "Check your inbox" in r.text, r.text
    assert client.get(mailed_link(app, email, "/verify", since=before)).status_code == 303
    assert "pt_session" in client.cookies
    return client


def titles(html: str) -> list[str]:
    return re.findall(r'<a class="title" href="/papers/([^"]+)">', html)


def test_home_opens_on_the_latest_period_with_a_screenful_most_upvoted_first(live_app: LiveApp) -> None:
    # Today (Nov 5) has one paper, its week and month four: fewer than five, so the home opens on
    # the fullest of November and the two months before (listings.opening).
    with live_app.client() as c:
        page = c.get("/").text
        papers = c.get("/papers").text
        day = c.get("/papers", params={"date": "2025-11-05"}).text
    assert "November 2025" in page and titles(papers) == titles(page)
    assert titles(page) == ["2511.00004", "2511.00001", "2511.00003", "2511.00002"]
    assert 'rel="prev" href="/papers?month=2025-10"' in page
    assert 'rel="next"' not in page  # nothing featured after today
    assert "Wednesday, Nov 5, 2025" in day and titles(day) == ["2511.00003"]
    assert 'rel="prev" href="/papers?date=2025-11-04"' in day


def test_day_week_and_month_views(live_app: LiveApp) -> None:
    with live_app.client() as c:
        day = c.get("/papers", params={"date": "2025-11-04"}).text
        week = c.get("/papers", params={"week": "2025-W45"}).text
        month = c.get("/papers", params={"month": "2025-10"}).text
        newest = c.get("/papers", params={"week": "2025-W45", "sort": "publishedAt"}).text
    assert titles(day) == ["2511.00001", "2511.00002"]
    assert "Week 45: Nov 3 – Nov 9, 2025" in week
    assert titles(week) == ["2511.00004", "2511.00001", "2511.00003", "2511.00002"]
    assert titles(month) == ["2510.00005"]
    # previous and next skip empty periods and stop at the catalogue's ends (nothing before Oct 20)
    assert "← Previous" not in month and 'href="/papers?month=2025-11">Next' in month
    assert 'href="/papers?week=2025-W43">← Previous' in week and "Next →" not in week
    assert 'href="/papers?date=2025-10-20"' in month  # "Day" opens the month's latest day with papers
    assert titles(newest) == ["2511.00003", "2511.00002", "2511.00001", "2511.00004"]


def test_cards_show_byline_date_and_upvotes_like_the_seeds(live_app: LiveApp) -> None:
    with live_app.client() as c:
        page = c.get("/papers", params={"date": "2025-11-04"}).text
    first = page[page.index('id="card-1"') : page.index('id="card-2"')]
    assert '<span class="byline">Sony</span>' in first
    assert "· Nov 4, 2025" in first
    assert '<span class="count">12</span>' in first


def test_hostile_title_and_latex_are_inert_and_readable(live_app: LiveApp) -> None:
    with live_app.client() as c:
        page = c.get("/papers/2511.00002").text
        feed = c.get("/feeds/daily").content
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Friends" in page
    assert "We bound the α-divergence by O(n^2) &amp; show &lt;b&gt;bold&lt;/b&gt; claims are 20% better" in page
    etree.fromstring(feed)  # still well-formed XML


def test_paper_page_has_links_bibtex_and_related(live_app: LiveApp) -> None:
    with live_app.client() as c:
        page = c.get("/papers/2511.00003").text
    assert 'href="https://arxiv.org/abs/2511.00003"' in page and 'href="https://arxiv.org/pdf/2511.00003"' in page
    assert 'href="https://github.com/example/dit-scale"' in page
    assert "@misc{tee2025diffusion," in page and "eprint = {2511.00003}" in page
    related = page[page.index("Related papers") :]
    assert titles(related)[:3] == ["c05", "c12", "c01"]  # title words: transformers, diffusion (no vectors here)


def test_trending_ranks_by_votes_over_age(live_app: LiveApp) -> None:
    with live_app.client() as c:
        page = c.get("/papers/trending").text
        api = c.get("/api/trending").json()
    assert titles(page) == ["2511.00003", "2511.00001", "2511.00004", "2511.00002"]
    assert [e["paper"]["id"] for e in api] == titles(page)


def test_search_page_filters_sort_and_errors(live_app: LiveApp) -> None:
    with live_app.client() as c:
        plain = c.get("/search", params={"q": "diffusion"})
        coded = c.get("/search", params={"q": "diffusion", "has_code": "true"})
        voted = c.get("/search", params={"q": "diffusion", "sort": "upvotes"})
        empty = c.get("/search", params={"q": "the of and"})
        huge = c.get("/search", params={"q": "x" * 10_001})
    assert plain.status_code == 200
    assert titles(plain.text)[0] == "2511.00003"
    assert set(titles(plain.text)) == {"2511.00003", "c01", "c12"}
    assert titles(coded.text) == ["2511.00003"]
    assert titles(voted.text)[0] == "2511.00003"
    assert empty.status_code == 400 and "only common words" in empty.text
    assert huge.status_code == 400


def test_unknown_paper_member_and_bad_period_are_clear_errors(live_app: LiveApp) -> None:
    with live_app.client() as c:
        assert c.get("/papers/2599.99999").status_code == 404
        assert c.get("/u/nobody").status_code == 404
        bad = c.get("/papers", params={"week": "2025-45"})
        api = c.get("/api/daily_papers", params={"date": "2025-13-40"})
    assert bad.status_code == 400 and "week: &#39;2025-45&#39; is not a week like 2025-W44" in bad.text
    assert api.status_code == 400 and api.json()["error"] == "date: '2025-13-40' is not a day of the calendar"


def test_sign_up_sign_out_sign_in(live_app: LiveApp) -> None:
    client = signed_up(live_app, "ada")
    assert "pt_session" in client.cookies
    assert '<a href="/u/ada" class="handle">ada</a>' in client.get("/").text
    token = csrf_of(client, "/")
    assert client.post("/signout", data={"csrf": token}).status_code == 303
    assert "Sign in" in client.get("/").text
    token = csrf_of(client, "/signin")
    wrong = client.post("/signin", data={"email": "ada@example.org", "password": "wrong password", "csrf": token})
    assert wrong.status_code == 400 and "wrong email or password" in wrong.text
    right = client.post("/signin", data={"email": "ADA@example.org", "password": "correct horse", "csrf": token})
    assert right.status_code == 303 and "ada" in client.get("/u/ada").text


def test_sign_up_refuses_duplicates_and_bad_fields(live_app: LiveApp) -> None:
    signed_up(live_app, "ada")
    with live_app.client() as c:
        token = csrf_of(c)
        again = c.post(
            "/signup", data={"handle": "Ada", "email": "x@example.org", "password": "long enough", "csrf": token}
        )
        short = c.post("/signup", data={"handle": "bob", "email": "b@example.org", "password": "short", "csrf": token})
    assert again.status_code == 400 and "user name is taken" in again.text
    assert short.status_code == 400 and "at least 8 characters" in short.text


def test_forms_without_the_right_csrf_token_are_refused(live_app: LiveApp) -> None:
    client = signed_up(live_app, "ada")
    missing = client.post("/upvote", data={"paper_id": "2511.00003"})
    wrong = client.post("/upvote", data={"paper_id": "2511.00003", "csrf": "0" * 64})
    api = client.post("/api/papers/2511.00003/upvote")
    assert (missing.status_code, wrong.status_code, api.status_code) == (403, 403, 403)
    assert live_app.store.get("2511.00003").votes == 5  # type: ignore[union-attr]


def test_upvote_toggles_and_shows_on_the_member_page(live_app: LiveApp) -> None:
    client = signed_up(live_app, "ada")
    token = csrf_of(client, "/")
    r = client.post("/upvote", data={"paper_id": "2511.00003", "csrf": token, "next": "/papers?date=2025-11-05"})
    assert r.status_code == 303 and r.headers["location"] == "/papers?date=2025-11-05"
    page = client.get("/papers?date=2025-11-05").text
    assert 'class="vote-button voted" aria-pressed="true"' in page and '<span class="count">6</span>' in page
    assert titles(client.get("/u/ada").text) == ["2511.00003"]
    client.post("/upvote", data={"paper_id": "2511.00003", "csrf": token})
    assert live_app.store.get("2511.00003").votes == 5  # type: ignore[union-attr]


def test_anonymous_upvote_goes_to_sign_in(live_app: LiveApp) -> None:
    with live_app.client() as c:
        page = c.get("/papers/c01")
        api = c.post("/api/papers/c01/upvote")
        forged = c.post("/upvote", data={"paper_id": "c01"})
    assert '<a class="vote vote-button" href="/signin?next=/papers/c01"' in page.text
    assert "set-cookie" not in page.headers  # nothing personal: one cached page serves every reader
    assert api.status_code == 401 and api.json() == {"error": "sign in (or send a personal API token) to vote"}
    assert forged.status_code == 403


def test_anonymous_pages_are_shared_until_the_catalogue_changes(live_app: LiveApp) -> None:
    voter = signed_up(live_app, "ada")
    token = csrf_of(voter, "/")
    with live_app.client() as reader:
        before = reader.get("/papers?date=2025-11-05").text
        assert reader.get("/papers?date=2025-11-05").text == before
        voter.post("/api/papers/2511.00003/upvote", headers={"X-CSRF-Token": token})
        after = reader.get("/papers?date=2025-11-05").text
    assert '<span class="count">5</span>' in before and '<span class="count">6</span>' in after


def test_votes_are_counted_exactly_under_concurrency(live_app: LiveApp) -> None:
    """12 members vote at once, and one member toggles 9 times at once: 12 + 1 votes."""
    clients = [signed_up(live_app, f"m{i}") for i in range(12)]
    tokens = [csrf_of(c, "/") for c in clients]
    errors: list[int] = []

    def vote(client: httpx.Client, token: str, path: str) -> None:
        r = client.post(path, headers={"X-CSRF-Token": token})
        if r.status_code != 200:
            errors.append(r.status_code)

    jobs = [(c, t, "/api/papers/c05/upvote") for c, t in zip(clients, tokens, strict=True)]
    jobs += [(clients[0], tokens[0], "/api/papers/c06/upvote/toggle")] * 9
    threads = [threading.Thread(target=vote, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert live_app.store.get("c05").votes == 12  # type: ignore[union-attr]
    assert live_app.store.get("c06").votes == 1  # type: ignore[union-attr]  (odd number of toggles)
    again = clients[1].post("/api/papers/c05/upvote", headers={"X-CSRF-Token": tokens[1]}).json()
    assert again == {"id": "c05", "voted": True, "upvotes": 12}  # voting twice is one vote
    gone = clients[1].delete("/api/papers/c05/upvote", headers={"X-CSRF-Token": tokens[1]}).json()
    assert gone == {"id": "c05", "voted": False, "upvotes": 11}


def test_submit_features_a_recent_paper_today(live_app: LiveApp) -> None:
    client = signed_up(live_app, "ada")
    token = csrf_of(client, "/submit")
    r = client.post("/submit", data={"arxiv_id": "https://arxiv.org/abs/2510.25021v3", "csrf": token})
    assert r.status_code == 303 and r.headers["location"] == "/papers/2510.25021"
    assert "2510.25021" in titles(client.get("/papers?date=2025-11-05").text)
    assert titles(client.get("/u/ada").text) == ["2510.25021"]
    paper = live_app.store.get("2510.25021")
    assert paper is not None and (paper.featured_date.isoformat(), paper.submitted_by) == ("2025-11-05", "ada")  # type: ignore[union-attr]
    dup = client.post("/submit", data={"arxiv_id": "2510.25021", "csrf": token})
    assert dup.status_code == 409 and 'href="/papers/2510.25021"' in dup.text


@pytest.mark.parametrize("live_app", ["vectors"], indirect=True)
def test_with_vectors_search_is_hybrid_and_a_submission_is_encoded_at_once(live_app: LiveApp) -> None:
    client = signed_up(live_app, "ada")
    by_meaning = client.get(
        "/api/papers/search", params={"q": "a machine hand that picks things up", "mode": "semantic"}
    ).json()
    assert [h["paper"]["id"] for h in by_meaning][:1] == ["c06"]
    token = csrf_of(client, "/submit")
    assert client.post("/submit", data={"arxiv_id": "2510.25021", "csrf": token}).status_code == 303
    assert live_app.store.count_embeddings("all-MiniLM-L6-v2-int8") == 18  # 17 papers before, then this one
    query = {"q": "one-step image generation distilled from an autoregressive model", "mode": "semantic"}
    assert client.get("/api/papers/search", params=query).json()[0]["paper"]["id"] == "2510.25021"


class BrokenEncoder:
    name, dim = "all-MiniLM-L6-v2-int8", 384

    def encode(self, texts: list[str]) -> object:
        raise RuntimeError("the encoder broke")


def test_a_submission_stands_when_encoding_it_fails(
    live_app: LiveApp, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Search has vectors (one stored), but the encoder breaks.
    pk = live_app.store.pks_for_ids(["c01"])["c01"]
    live_app.store.save_embeddings(BrokenEncoder.name, [pk], np.zeros((1, 384), dtype=np.float32))
    live_app.app.state.services.pt = Papertide(
        live_app.store, tmp_path, encoder=BrokenEncoder(), clock=live_app.clock, accounts=live_app.pt.accounts
    )
    client = signed_up(live_app, "ada")
    token = csrf_of(client, "/submit")
    assert client.post("/submit", data={"arxiv_id": "2510.25021", "csrf": token}).status_code == 303
    assert live_app.store.get("2510.25021") is not None  # the submission stands
    assert live_app.store.pending_embeddings("all-MiniLM-L6-v2-int8", 100)[-1][1].startswith("Distilled Decoding 2")
    assert "could not index submitted paper 2510.25021 now; `papertide index` will encode it" in caplog.text


def test_submission_rules(live_app: LiveApp) -> None:
    client = signed_up(live_app, "ada")
    token = csrf_of(client, "/submit")
    unknown = client.post("/submit", data={"arxiv_id": "2510.99999", "csrf": token})
    nonsense = client.post("/submit", data={"arxiv_id": "not an id", "csrf": token})
    assert unknown.status_code == 400 and "arXiv has no paper 2510.99999" in unknown.text
    assert nonsense.status_code == 400 and "is not an arXiv id" in nonsense.text
    live_app.clock.now = datetime(2025, 11, 20, 9, 0)  # 23 days after its publication
    old = client.post("/submit", data={"arxiv_id": "2510.25021", "csrf": token})
    assert old.status_code == 400 and "only papers from the last 14 days" in old.text


def test_submit_needs_sign_in(live_app: LiveApp) -> None:
    with live_app.client() as c:
        assert c.get("/submit").headers["location"] == "/signin?next=/submit"
        api = c.post("/api/submit", json={"id": "2510.25021"})
    assert api.status_code == 401


def test_api_daily_papers_is_shaped_like_hugging_face(live_app: LiveApp) -> None:
    with live_app.client() as c:
        entries = c.get("/api/daily_papers", params={"date": "2025-11-04"}).json()
        paged = c.get("/api/daily_papers", params={"week": "2025-W45", "limit": 2, "p": 1}).json()
        one = c.get("/api/papers/2511.00001").json()
    assert [e["paper"]["id"] for e in entries] == ["2511.00001", "2511.00002"]
    first = entries[0]
    assert (first["publishedAt"], first["title"], first["organization"]) == (
        "2025-11-04T00:00:00.000Z",  # HF's date format, which its client parses
        "Sparse Attention for Long Context Language Models",
        {"name": "Sony", "fullname": "Sony", "avatarUrl": ""},
    )
    assert [a["name"] for a in first["paper"]["authors"]] == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    assert first["paper"]["upvotes"] == 12 and first["paper"]["publishedAt"] == "2025-11-02T18:00:00.000Z"
    assert first["numComments"] == 0 and first["paper"]["numComments"] == 0
    assert [e["paper"]["id"] for e in paged] == ["2511.00003", "2511.00002"]
    assert one["id"] == "2511.00001"
    assert one["submittedOnDailyBy"] == {
        "user": "ak",
        "fullname": "ak",
        "avatarUrl": "",
        "type": "user",
        "isPro": False,
    }


def test_our_api_output_reads_back_through_our_hf_daily_importer(live_app: LiveApp) -> None:
    from papertide.sources.hf_daily import parse_hf_daily

    with live_app.client() as c:
        raw = c.get("/api/daily_papers", params={"date": "2025-11-04"}).content
    papers = parse_hf_daily(raw)
    assert [(p.id, p.featured_date.isoformat(), p.upvotes, p.organization) for p in papers] == [  # type: ignore[union-attr]
        ("2511.00001", "2025-11-04", 12, "Sony"),
        ("2511.00002", "2025-11-04", 3, None),
    ]


def test_api_search_and_errors(live_app: LiveApp) -> None:
    with live_app.client() as c:
        hits = c.get("/api/papers/search", params={"q": '"score matching"', "limit": 5}).json()
        bad = c.get("/api/papers/search", params={"q": "   "})
        limit = c.get("/api/papers/search", params={"q": "x", "limit": 1000})
        missing = c.get("/api/papers/2599.00001")
    assert [h["paper"]["id"] for h in hits] == ["c01"]
    assert bad.status_code == 400 and "error" in bad.json()
    assert limit.status_code == 400 and limit.json()["error"] == "limit must be at most 120"
    assert missing.status_code == 404 and missing.json() == {"error": "no paper 2599.00001"}


def test_api_submit_and_duplicate(live_app: LiveApp) -> None:
    client = signed_up(live_app, "ada")
    token = csrf_of(client, "/")
    created = client.post("/api/submit", json={"id": "2510.25021"}, headers={"X-CSRF-Token": token})
    dup = client.post("/api/submit", json={"id": "2510.25021"}, headers={"X-CSRF-Token": token})
    assert created.status_code == 201 and created.json()["submittedOnDailyAt"] == "2025-11-05T00:00:00.000Z"
    assert dup.status_code == 409 and dup.json()["existing_id"] == "2510.25021"


def test_atom_feeds(live_app: LiveApp) -> None:
    ns = {"a": "http://www.w3.org/2005/Atom"}
    with live_app.client() as c:
        daily = etree.fromstring(c.get("/feeds/daily").content)
        trending = etree.fromstring(c.get("/feeds/trending").content)
        search = c.get("/feeds/search", params={"q": "diffusion"})
        bad = c.get("/feeds/search", params={"q": ""})
    assert daily.findtext("a:title", namespaces=ns) == "papertide: daily papers"
    assert [e.findtext("a:id", namespaces=ns) for e in daily.findall("a:entry", ns)] == [
        "http://papertide.test/papers/2511.00003"
    ]
    assert len(trending.findall("a:entry", ns)) == 4
    assert search.headers["content-type"] == "application/atom+xml; charset=utf-8"
    search_ids = [e.findtext("a:id", namespaces=ns) for e in etree.fromstring(search.content).findall("a:entry", ns)]
    assert search_ids[0] == "http://papertide.test/papers/2511.00003"  # newest first
    assert bad.status_code == 400


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"])
def test_open_redirects_are_refused(live_app: LiveApp, target: str) -> None:
    signed_up(live_app, "eve")
    client = live_app.client()
    r = client.post(
        "/signin",
        data={
            "email": "eve@example.org",
            "password": "correct horse",
            "csrf": csrf_of(client, "/signin"),
            "next": target,
        },
    )
    assert r.headers["location"] == "/"


def test_session_cookie_flags(live_app: LiveApp) -> None:
    client = live_app.client()
    token = csrf_of(client)
    client.post(
        "/signup", data={"handle": "ada", "email": "ada@example.org", "password": "correct horse", "csrf": token}
    )
    r = client.get(mailed_link(live_app, "ada@example.org", "/verify"))
    cookies = [v for k, v in r.headers.multi_items() if k == "set-cookie"]
    for name in ("pt_session=", "pt_device="):
        cookie = next(v for v in cookies if v.startswith(name))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie  # dev mode over plain HTTP; PAPERTIDE_SECURE_COOKIES=1 behind TLS


@pytest.mark.parametrize(
    "path", ["/", "/papers/trending", "/search?q=graph", "/signin", "/signup", "/reset", "/papers/c01", "/api/docs"]
)
def test_pages_answer_html(live_app: LiveApp, path: str) -> None:
    with live_app.client() as c:
        r = c.get(path)
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"


@pytest.mark.slow
@pytest.mark.parametrize(("trusted", "codes"), [("", [200] * 5 + [429]), ("127.0.0.1", [200] * 6)])
def test_serve_trusts_forwarded_addresses_only_from_named_proxies(tmp_path, trusted: str, codes: list[int]) -> None:  # type: ignore[no-untyped-def]
    """`papertide serve` as operators run it: behind a trusted proxy, six sign-ups from six
    forwarded addresses are six clients; without one, they are one client over the hourly limit."""
    import os
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PAPERTIDE_TRUSTED_PROXIES": trusted}
    server = subprocess.Popen(
        [
            Path(sys.executable).with_name("papertide"),
            "serve",
            "--dev",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.1)
        got = []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            for i in range(6):
                token = csrf_of(client)
                form = {"handle": f"u{i}", "email": f"u{i}@example.org", "password": "correct horse", "csrf": token}
                r = client.post("/signup", data=form, headers={"X-Forwarded-For": f"203.0.113.{i}"})
                got.append(r.status_code)
                client.cookies.clear()
    finally:
        server.terminate()
        server.wait(10)
    assert got == codes


def test_shared_view_data_never_shows_one_members_votes_to_another(live_app: LiveApp) -> None:
    ada, bob = signed_up(live_app, "ada"), signed_up(live_app, "bob")
    bob.get("/papers?date=2025-11-05")  # cached before ada votes
    ada.post("/api/papers/2511.00003/upvote", headers={"X-CSRF-Token": csrf_of(ada, "/")})
    mine, theirs = ada.get("/papers?date=2025-11-05").text, bob.get("/papers?date=2025-11-05").text
    assert 'class="vote-button voted" aria-pressed="true"' in mine
    assert 'aria-pressed="true"' not in theirs and '<span class="count">6</span>' in theirs
    paper = ada.get("/papers/2511.00003").text
    assert paper.count('aria-pressed="true"') == 1  # the paper's own button (it is not among its related)


def test_static_assets_are_served(live_app: LiveApp) -> None:
    with live_app.client() as c:
        css, js = c.get("/static/style.css"), c.get("/static/app.js")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert js.status_code == 200 and "keydown" in js.text


@pytest.mark.parametrize("live_app", ["vectors"], indirect=True)
def test_search_pages_say_how_many_matched_and_mark_the_words(live_app: LiveApp) -> None:
    with live_app.client() as c:
        found = c.get("/search", params={"q": "surface codes"}).text
        nothing = c.get("/search", params={"q": "xyzzyqwerty"}).text
        misspelt = c.get("/search", params={"q": "quantom surfase codez"}).text
        api = c.get("/api/papers/search", params={"q": "surface codes", "highlight": "true"})
        api_plain = c.get("/api/papers/search", params={"q": "surface codes"}).json()
        api_misspelt = c.get("/api/papers/search", params={"q": "quantom surfase codez"})
    assert "1 paper holds your words" in found
    assert "Quantum Error Correction with <mark>Surface</mark> <mark>Codes</mark></a>" in found
    assert "<mark>Surface</mark> <mark>codes</mark> protect" in found
    assert "No paper matches." in nothing and titles(nothing) == []
    assert "Nothing in the catalogue matches “xyzzyqwerty”" in nothing
    assert 'Did you mean <a href="/search?q=quantum%20surface%20codes">quantum surface codes</a>?' in misspelt
    hit = api.json()[0]
    assert hit["paper"]["id"] == "c04" and api.headers["X-Matched-Count"] == "1"
    title = hit["title"]
    assert [title[a:b] for a, b in hit["highlight"]["title"]] == ["Surface", "Codes"]
    assert api_plain[0]["highlight"] is None
    assert api_misspelt.json() == [] and api_misspelt.headers["X-Suggestion"] == "quantum%20surface%20codes"
