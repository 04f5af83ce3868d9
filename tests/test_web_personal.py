"""A member's library over real HTTP: saving papers, collections (private and public, notes,
exports, feeds), saved searches (private feed, alert settings), hide-what-I-opened, the signals page
and its export, and the same over the JSON API."""

from __future__ import annotations

import re

import httpx
import orjson
from lxml import etree

from papertide import Papertide
from test_web import csrf_of, signed_up, titles

from conftest import LiveApp

ATOM = "{http://www.w3.org/2005/Atom}"


def post(client: httpx.Client, path: str, data: dict[str, str], page: str = "/library") -> httpx.Response:
    return client.post(path, data={**data, "csrf": csrf_of(client, page)})


def collection_id(response: httpx.Response) -> int:
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/collections/(\d+)", response.headers["location"])
    assert found
    return int(found.group(1))


def test_save_from_a_card_fills_the_reading_list_and_marks_the_card(live_app: LiveApp) -> None:
    ada = signed_up(live_app, "ada")
    assert post(ada, "/save", {"paper_id": "c01", "next": "/search?q=diffusion"}).status_code == 303
    page = ada.get("/search?q=diffusion").text
    assert re.search(r'<a class="saved-link" href="/library"', page)
    library = ada.get("/library").text
    assert 'Reading list</a> <span class="muted">· 1 paper · private' in library
    reading = int(re.findall(r'href="/collections/(\d+)"', library)[0])
    assert titles(ada.get(f"/collections/{reading}").text) == ["c01"]
    with live_app.client() as anonymous:  # private: nobody else can read it, by page, export or API
        for path in (f"/collections/{reading}", f"/collections/{reading}/export.bib", f"/api/collections/{reading}"):
            assert anonymous.get(path).status_code == 404, path
        assert anonymous.get(f"/feeds/collections/{reading}").status_code == 404
    bob = signed_up(live_app, "bob")
    assert bob.get(f"/collections/{reading}").status_code == 404


def test_a_public_collection_with_notes_feeds_and_exports(live_app: LiveApp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ada = signed_up(live_app, "ada")
    made = post(ada, "/library", {"name": "Diffusion <b>models</b>", "description": "Generative", "public": "true"})
    cid = collection_id(made)
    for paper_id in ("c01", "c12"):
        assert post(ada, "/save", {"paper_id": paper_id, "collection_id": str(cid)}).status_code == 303
    note = post(ada, f"/collections/{cid}", {"action": "note", "paper_id": "c12", "note": "<script>x</script> read"})
    assert note.status_code == 303
    with live_app.client() as anonymous:
        page = anonymous.get(f"/collections/{cid}").text
        assert "<h1>Diffusion &lt;b&gt;models&lt;/b&gt;</h1>" in page  # a name is text, never markup
        assert "&lt;script&gt;x&lt;/script&gt; read" in page and "<script>x" not in page
        assert sorted(titles(page)) == ["c01", "c12"]
        feed = etree.fromstring(anonymous.get(f"/feeds/collections/{cid}").content)
        assert [e.findtext(f"{ATOM}id") for e in feed.iter(f"{ATOM}entry")] == [
            "http://papertide.test/papers/c12",
            "http://papertide.test/papers/c01",
        ]
        data = anonymous.get(f"/api/collections/{cid}").json()
        assert (data["name"], data["owner"], data["size"]) == ("Diffusion <b>models</b>", "ada", 2)
        assert [(p["paper"]["id"], p["note"]) for p in data["papers"]] == [
            ("c12", "<script>x</script> read"),
            ("c01", ""),
        ]
        bib = anonymous.get(f"/collections/{cid}/export.bib")
        assert bib.headers["content-type"].startswith("application/x-bibtex") and bib.text.count("@misc{") == 2
        lines = anonymous.get(f"/collections/{cid}/export.jsonl").content
    exported = tmp_path / "export.jsonl"
    exported.write_bytes(lines)
    with Papertide.open(tmp_path / "elsewhere", encoder=None) as other:  # what `papertide import` does
        assert other.import_files([exported]).total.new == 2
        assert other.get("c01") is not None
    # made private again, it is gone for everyone but ada
    post(ada, f"/collections/{cid}", {"action": "update", "name": "Diffusion", "description": ""})
    assert live_app.client().get(f"/collections/{cid}").status_code == 404
    owner_page = ada.get(f"/collections/{cid}").text
    assert f'<form action="/collections/{cid}" method="post">' in owner_page
    assert '<button type="submit" class="danger">Delete this collection</button>' in owner_page
    assert post(ada, f"/collections/{cid}", {"action": "delete"}, "/library").status_code == 303
    assert ada.get(f"/collections/{cid}").status_code == 404


def test_saved_search_page_private_feed_and_revocation(live_app: LiveApp) -> None:
    ada = signed_up(live_app, "ada")
    saved = post(ada, "/saved", {"q": "diffusion", "alert": "immediate", "has_code": ""}, "/search?q=diffusion")
    assert saved.status_code == 303
    here = saved.headers["location"]
    page = ada.get(here).text
    assert 'value="immediate" checked' in page and sorted(titles(page)) == ["2511.00003", "c01", "c12"]
    feed_url = re.search(r'class="feed-url" readonly value="http://papertide\.test([^"]+)"', page)
    assert feed_url
    feed_path = feed_url.group(1).replace("&amp;", "&")
    with live_app.client() as reader:  # a feed reader: no cookie, the key is the authority
        feed = reader.get(feed_path)
        assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
        assert len(etree.fromstring(feed.content).findall(f"{ATOM}entry")) == 3
        assert reader.get(feed_path[:-4] + "0000").status_code == 404
        assert reader.get(here).status_code == 303  # the page itself is members-only
    assert post(ada, here, {"action": "revoke-feed"}, here).status_code == 303
    assert live_app.client().get(feed_path).status_code == 404  # the old URL is dead
    new_page = ada.get(here).text
    assert feed_path not in new_page.replace("&amp;", "&")
    bob = signed_up(live_app, "bob")
    assert bob.get(here).status_code == 404
    assert post(bob, here, {"action": "delete"}, "/library").status_code == 404
    assert post(ada, here, {"action": "update", "name": "Diffusion", "alert": "hourly"}, here).status_code == 400
    assert post(ada, "/saved", {"q": "the and of"}, "/search?q=x").status_code == 400


def test_opened_papers_can_be_hidden_from_lists_and_search(live_app: LiveApp) -> None:
    ada = signed_up(live_app, "ada")
    ada.get("/papers/c01")  # opening a paper is a signal
    page = ada.get("/search?q=diffusion").text
    assert sorted(titles(page)) == ["2511.00003", "c01", "c12"] and 'class="card seen"' in page
    assert post(ada, "/signals", {"action": "hide-seen"}, "/signals").status_code == 303
    hidden = ada.get("/search?q=diffusion").text
    assert sorted(titles(hidden)) == ["2511.00003", "c12"]
    assert "1 paper you opened is hidden" in hidden and 'href="?q=diffusion&amp;seen=show"' in hidden
    assert sorted(titles(ada.get("/search?q=diffusion&seen=show").text)) == ["2511.00003", "c01", "c12"]
    signals = ada.get("/signals").text
    assert 'href="/papers/c01">Denoising Score Matching for Diffusion Models</a>' in signals
    assert post(ada, "/signals", {"action": "forget-opened", "paper_id": "c01"}, "/signals").status_code == 303
    assert sorted(titles(ada.get("/search?q=diffusion").text)) == ["2511.00003", "c01", "c12"]


def test_signals_export_holds_every_signal_collections_and_saved_searches(live_app: LiveApp) -> None:
    ada = signed_up(live_app, "ada")
    post(ada, "/upvote", {"paper_id": "c05"}, "/")
    post(ada, "/not-interested", {"paper_id": "c03"}, "/for-you")
    post(ada, "/save", {"paper_id": "c07"})
    post(ada, "/saved", {"q": "protein"}, "/search?q=x")
    ada.get("/papers/c02")
    export = ada.get("/signals.json")
    assert export.headers["content-disposition"] == 'attachment; filename="papertide-ada-signals.json"'
    data = orjson.loads(export.content)
    signals = (data["member"], data["upvoted"], data["saved"], data["not_interested"])
    assert data["more_like_this"] == []
    assert signals == ("ada", ["c05"], ["c07"], ["c03"])
    assert [o["id"] for o in data["opened"]] == ["c02"]
    assert [(c["name"], [p["id"] for p in c["papers"]]) for c in data["collections"]] == [("Reading list", ["c07"])]
    assert data["saved_searches"] == [{"name": "protein", "query": "protein", "filters": {}, "alert": "off"}]
    assert live_app.client().get("/signals.json").status_code == 303


def test_the_api_saves_and_lists_with_a_token_or_a_session(live_app: LiveApp) -> None:
    ada = signed_up(live_app, "ada")
    page = ada.get("/settings/tokens").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    made = ada.post("/settings/tokens", data={"name": "script", "scope": "write", "csrf": csrf.group(1)})
    token = re.search(r"(pt_[A-Za-z0-9_-]{20,})", made.text)
    assert token
    with httpx.Client(base_url=live_app.url, headers={"Authorization": f"Bearer {token.group(1)}"}) as script:
        saved = script.post("/api/papers/c04/save")
        assert saved.status_code == 200 and saved.json()["added"] is True
        assert saved.json()["collection"]["name"] == "Reading list"
        assert script.post("/api/papers/c04/save").json()["added"] is False
        made = script.post("/api/collections", json={"name": "Quantum", "public": True})
        assert made.status_code == 201
        cid = made.json()["id"]
        assert script.post("/api/papers/c04/save", json={"collection_id": cid}).json()["added"] is True
        assert [c["name"] for c in script.get("/api/collections").json()] == ["Quantum", "Reading list"]
        assert script.post("/api/collections", json={"name": "Quantum"}).json() == {
            "error": "you already have a collection called 'Quantum'"
        }
        assert script.post("/api/papers/nope/save").status_code == 404
        search = script.post("/api/saved-searches", json={"query": "surface codes", "alert": "digest"})
        assert search.status_code == 201 and search.json()["alert"] == "digest"
        assert [s["query"] for s in script.get("/api/saved-searches").json()] == ["surface codes"]
        assert script.delete(f"/api/saved-searches/{search.json()['id']}").status_code == 204
        assert script.get("/api/me/signals").json()["saved"] == ["c04"]
        assert script.delete(f"/api/papers/c04/save?collection_id={cid}").json() == {"id": "c04", "removed": True}
    assert ada.post("/api/papers/c05/save").status_code == 403  # a session needs its CSRF header
    assert live_app.client().post("/api/papers/c05/save").status_code == 401


def test_more_like_this_from_a_card_turns_for_you(live_app: LiveApp) -> None:
    ada = signed_up(live_app, "ada")
    marked = post(ada, "/more-like-this", {"paper_id": "c01", "next": "/for-you"}, "/search?q=diffusion")
    assert marked.status_code == 303 and marked.headers["location"] == "/for-you"
    page = ada.get("/for-you").text
    assert 'id="cold-start"' not in page
    assert 'Because you asked for more like <a href="/papers/c01">' in page
    assert 'href="/papers/c01">Denoising Score Matching' in ada.get("/signals").text
    assert live_app.client().get("/u/ada").text.count("Denoising Score Matching") == 0  # private
    undone = post(ada, "/more-like-this", {"paper_id": "c01", "undo": "true", "next": "/signals"}, "/signals")
    assert undone.status_code == 303 and 'id="cold-start"' in ada.get("/for-you").text
    assert post(ada, "/more-like-this", {"paper_id": "nope"}, "/signals").status_code == 404


def test_a_saved_search_with_dates_outside_the_years_is_refused_in_words(live_app: LiveApp) -> None:
    """Issue 32, item 1: the JSON API took `until: 9999-12-31` (201), then its page was a 500."""
    ada = signed_up(live_app, "ada")
    headers = {"X-CSRF-Token": csrf_of(ada, "/library")}
    for bad in ({"until": "9999-12-31"}, {"since": "0001-01-01"}, {"until": "1899-12-31"}):
        r = ada.post("/api/saved-searches", json={"query": "x", "alert": "immediate", **bad}, headers=headers)
        assert r.status_code == 400 and "the year must be between 1900 and 2199" in r.json()["error"], r.text
    ok = ada.post("/api/saved-searches", json={"query": "diffusion", "until": "2199-12-31"}, headers=headers)
    assert ok.status_code == 201, ok.text
    assert ada.get(f"/saved/{ok.json()['id']}").status_code == 200
