"""The map over real HTTP: the page, its layout JSON (ETag, gzip), a search's hits, a member's own
papers, and the empty state before any paper is encoded."""

from __future__ import annotations

import gzip
import re

import httpx
import orjson
import pytest

from test_web import csrf_of, signed_up

from conftest import LiveApp

vectors = pytest.mark.parametrize("live_app", ["vectors"], indirect=True)


def test_before_anything_is_encoded_the_page_says_what_to_do(live_app: LiveApp) -> None:
    with live_app.client() as c:
        page = c.get("/map")
        data = c.get("/map/layout.json")
    assert page.status_code == 200 and "No map yet" in page.text and "papertide index" in page.text
    assert "<canvas" not in page.text
    assert data.status_code == 404 and "papertide index" in data.json()["error"]


@vectors
def test_the_layout_json_holds_every_paper_on_the_grid(live_app: LiveApp) -> None:
    with live_app.client() as c:
        page = c.get("/map").text
        r = c.get("/map/layout.json")
        again = c.get("/map/layout.json", headers={"If-None-Match": r.headers["etag"]})
        zipped = httpx.get(live_app.url + "/map/layout.json", headers={"Accept-Encoding": "gzip"})
    data = r.json()
    assert data["papers"] == 17 and len(data["ids"]) == len(data["x"]) == len(data["y"]) == len(data["cluster"]) == 17
    assert set(data["ids"]) >= {"c01", "c12", "2511.00003"}
    assert all(0 <= v <= data["grid"] == 10_000 for v in data["x"] + data["y"])
    assert {min(data["x"]), max(data["x"])} == {0, 10_000} or {min(data["y"]), max(data["y"])} == {0, 10_000}
    regions = data["clusters"]
    assert len(regions) == 2 and sum(r["papers"] for r in regions) == 17
    assert all(0 <= c < len(regions) for c in data["cluster"])
    assert again.status_code == 304
    assert zipped.headers["content-encoding"] == "gzip" and orjson.loads(zipped.content) == data
    assert len(gzip.compress(r.content)) >= int(zipped.headers["content-length"]) - 64
    assert '<canvas id="map"' in page and "17 papers laid out by meaning" in page
    assert page.count('data-cluster="') == 2  # the legend: one button per region
    assert "data-mine=" not in page  # nobody signed in


@vectors
def test_a_search_rings_the_papers_that_hold_its_words(live_app: LiveApp) -> None:
    with live_app.client() as c:
        page = c.get("/map", params={"q": "diffusion"}).text
        nothing = c.get("/map", params={"q": "xyzzyqwerty"}).text
        hostile = c.get("/map", params={"q": '"><script>alert(1)</script>'})
    hits = re.search(r'data-hits="([^"]*)"', page).group(1).split()  # type: ignore[union-attr]
    assert {"c01", "c12"} <= set(hits) and "c04" not in hits  # quantum error correction holds no "diffusion"
    assert f"{len(hits)} papers for “diffusion”" in page
    assert 'href="/papers/c01"' in page
    assert 'data-hits=""' in nothing and "Nothing in the catalogue matches" in nothing
    assert "<script>alert" not in hostile.text and "&lt;script&gt;" in hostile.text


@vectors
def test_a_member_sees_their_library_and_upvotes(live_app: LiveApp) -> None:
    with live_app.client() as c:
        assert c.get("/map/mine.json").status_code == 401
    client = signed_up(live_app, "ada")
    token = csrf_of(client, "/")
    client.post("/upvote", data={"paper_id": "c04", "csrf": token})
    client.post("/save", data={"paper_id": "c12", "csrf": token})
    mine = client.get("/map/mine.json")
    assert {k: v for k, v in mine.json().items() if k != "points"} == {"saved": ["c12"], "upvoted": ["c04"]}
    assert sorted(p[0] for p in mine.json()["points"]) == ["c04", "c12"]
    assert mine.headers["cache-control"] == "private, no-store"
    assert 'data-mine="/map/mine.json"' in client.get("/map").text


@vectors
def test_a_large_map_is_sent_as_a_sample_and_ringed_papers_come_on_their_own(
    live_app: LiveApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from papertide.index import maps

    monkeypatch.setattr(maps, "SHOWN", 10)  # as 200,000 is for a catalogue over it
    with live_app.client() as c:
        data = c.get("/map/layout.json").json()
        page = c.get("/map").text
        missing = next(i for i in ["c01", "c12", "c04", "c07", "c02"] if i not in data["ids"])
        points = c.get("/map/points.json", params={"ids": f"{missing},nope"}).json()["points"]
        full = c.get("/map/points.json", params={"ids": ",".join(f"c{i:02d}" for i in range(1, 13))}).json()
    assert (data["papers"], data["shown"], len(data["ids"]), len(data["x"])) == (17, 10, 10, 10)
    assert "a fixed sample of 10" in page
    assert [p[0] for p in points] == [missing]  # an id not on the map is left out
    assert all(0 <= p[1] <= 10_000 and 0 <= p[2] <= 10_000 and 0 <= p[3] < 2 for p in points)
    shown = dict(zip(data["ids"], zip(data["x"], data["y"], strict=True), strict=True))
    for paper_id, x, y, _ in full["points"]:  # the same coordinates as the sample's
        assert paper_id not in shown or shown[paper_id] == (x, y)
    client = signed_up(live_app, "ada")
    client.post("/upvote", data={"paper_id": missing, "csrf": csrf_of(client, "/")})
    mine = client.get("/map/mine.json").json()
    assert mine["upvoted"] == [missing] and [p[0] for p in mine["points"]] == [missing]


def test_an_absurdly_long_query_is_refused_in_a_small_page(live_app: LiveApp) -> None:
    with live_app.client() as c:
        for path in ("/map", "/search"):
            r = c.get(path, params={"q": "a" * 20_000})
            assert r.status_code == 400 and "too long" in r.text
            assert len(r.content) < 20_000  # echoed at most once per form, cut to 1,000 (it was 220 kB)
            assert f'href="/signin?next={path}"' in r.text
