"""The For-you page (issue 17, item 3 first step): recommendations from a member's upvotes, each
card saying which upvote it is there for, never a paper they upvoted; trending until they have
upvoted something; members only."""

from __future__ import annotations

import re

import pytest

from test_web import csrf_of, signed_up, titles

from conftest import LiveApp

BECAUSE = re.compile(r'Because you upvoted <a href="/papers/([^"]+)">')


def upvote(client, paper_id: str) -> None:  # type: ignore[no-untyped-def]
    token = csrf_of(client, "/for-you")
    voted = client.post("/upvote", data={"paper_id": paper_id, "csrf": token, "next": "/for-you"})
    assert voted.status_code == 303


@pytest.mark.parametrize("live_app", ["vectors"], indirect=True)
def test_upvotes_turn_trending_into_recommendations(live_app: LiveApp) -> None:
    member = signed_up(live_app, "ada")
    cold = member.get("/for-you")
    assert cold.status_code == 200 and 'id="cold-start"' in cold.text
    trending = live_app.client().get("/papers/trending").text
    assert titles(cold.text) == titles(trending)
    upvote(member, "c01")
    page = member.get("/for-you").text
    assert 'id="cold-start"' not in page and "your latest 1 signal)" in page
    shown = titles(page)
    assert shown[:3] == ["2511.00003", "c12", "c11"] and "c01" not in shown  # both diffusion papers first
    assert BECAUSE.findall(page)[:3] == ["c01", "c01", "c01"]
    assert 'Because you upvoted <a href="/papers/c01">Denoising Score Matching for Diffusion Models</a>' in page
    upvote(member, "c12")
    shown = titles(member.get("/for-you").text)
    assert shown[:3] == ["2511.00003", "c05", "c08"] and not {"c01", "c12"} & set(shown)


def test_without_vectors_it_recommends_by_the_upvoted_titles_words(live_app: LiveApp) -> None:
    member = signed_up(live_app, "ada")
    upvote(member, "c01")
    assert titles(member.get("/for-you").text)[:2] == ["2511.00003", "c12"]


def test_anonymous_readers_are_asked_to_sign_in_and_only_members_see_the_link(live_app: LiveApp) -> None:
    with live_app.client() as anonymous:
        page = anonymous.get("/for-you")
        assert page.status_code == 303 and page.headers["location"] == "/signin?next=/for-you"
        assert 'href="/for-you"' not in anonymous.get("/").text
        assert 'href="/settings/tokens"' not in anonymous.get("/").text
    home = signed_up(live_app, "ada").get("/").text
    assert 'href="/for-you"' in home and 'href="/settings/tokens"' in home


def dismiss(client, paper_id: str, undo: bool = False) -> None:  # type: ignore[no-untyped-def]
    data = {"paper_id": paper_id, "csrf": csrf_of(client, "/for-you"), "next": "/for-you"}
    if undo:
        data["undo"] = "true"
    assert client.post("/not-interested", data=data).status_code == 303


@pytest.mark.parametrize("live_app", ["vectors"], indirect=True)
def test_not_interested_removes_a_paper_moves_its_neighbours_down_and_can_be_taken_back(live_app: LiveApp) -> None:
    member = signed_up(live_app, "ada")
    upvote(member, "c01")
    dismiss(member, "2511.00003")
    page = member.get("/for-you").text
    shown = titles(page)
    assert "2511.00003" not in shown and shown[:2] == ["c09", "c12"]  # c12, close to it, moved down
    assert 'id="dismissed"' in page and '<a href="/papers/2511.00003">Diffusion Transformers at Scale</a>' in page
    dismiss(member, "2511.00003", undo=True)
    assert titles(member.get("/for-you").text)[:1] == ["2511.00003"]


def test_a_dismissed_paper_leaves_the_cold_start_list_too_and_forms_need_a_member(live_app: LiveApp) -> None:
    member = signed_up(live_app, "ada")
    first = titles(member.get("/for-you").text)[0]
    dismiss(member, first)
    assert first not in titles(member.get("/for-you").text)
    with live_app.client() as anonymous:
        refused = anonymous.post("/not-interested", data={"paper_id": first, "csrf": csrf_of(anonymous)})
        assert refused.status_code in (303, 403)
    assert live_app.store.community.not_interested_ids(1) == [first]
    stranger = member.post("/not-interested", data={"paper_id": "nope", "csrf": csrf_of(member, "/for-you")})
    assert stranger.status_code == 404


def test_this_week_keeps_only_recent_papers_and_a_bad_window_is_refused(live_app: LiveApp) -> None:
    member = signed_up(live_app, "ada")
    upvote(member, "c01")
    everything = titles(member.get("/for-you").text)
    week = member.get("/for-you?window=week")
    assert week.status_code == 200 and 'href="/for-you?window=week" aria-current="page"' in week.text
    recent = titles(week.text)
    assert recent and set(recent) <= set(everything) | {"2511.00003"}
    assert all(i.startswith("25") for i in recent)  # the featured papers of Nov 3-5, none of the 2024 corpus
    refused = member.get("/for-you?window=year")
    assert refused.status_code == 400 and "window must be one of all, week" in refused.text
