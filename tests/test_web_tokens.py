"""Personal API tokens (issue 18, item 4): made on a page and shown once, stored hashed, read or
write scope, revocable, last use recorded, their own rate limit; they work on the API without cookie
or CSRF token, and never on the site's forms."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from test_web import csrf_of, signed_up

from conftest import LiveApp

TOKEN = re.compile(r'<code id="new-token">(pt_[A-Za-z0-9_\-]+)</code>')


def make_token(client: httpx.Client, name: str, scope: str) -> str:
    page = client.post(
        "/settings/tokens", data={"name": name, "scope": scope, "csrf": csrf_of(client, "/settings/tokens")}
    )
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    found = TOKEN.search(page.text)
    assert found, page.text
    return found.group(1)


def test_a_write_token_votes_through_the_api_without_cookie_or_csrf(live_app: LiveApp) -> None:
    member = signed_up(live_app, "ada")
    token = make_token(member, "my script", "write")
    assert token not in member.get("/settings/tokens").text  # shown once
    stored = live_app.store.api_tokens.list(live_app.store.community.member_by_handle("ada").id)  # type: ignore[union-attr]
    assert [(t.name, t.scopes, t.last_used_at) for t in stored] == [("my script", ("read", "write"), None)]
    with httpx.Client(base_url=live_app.url) as script:  # no cookies at all
        voted = script.post("/api/papers/2511.00001/upvote", headers={"Authorization": f"Bearer {token}"})
        sub = script.get("/api/digest/subscription", headers={"Authorization": f"Bearer {token}"})
    assert voted.status_code == 200 and voted.json() == {"id": "2511.00001", "voted": True, "upvotes": 13}
    assert sub.status_code == 200 and sub.json()["active"] is False
    used = live_app.store.api_tokens.list(stored[0].member_id)[0]
    assert used.last_used_at == live_app.clock.now


def test_a_read_token_cannot_write_and_a_revoked_or_forged_one_nothing(live_app: LiveApp) -> None:
    member = signed_up(live_app, "ada")
    reader = make_token(member, "reader", "read")
    with httpx.Client(base_url=live_app.url) as script:
        auth = {"Authorization": f"Bearer {reader}"}
        assert script.get("/api/digest/subscription", headers=auth).status_code == 200
        refused = script.post("/api/papers/2511.00001/upvote", headers=auth)
        assert refused.status_code == 403 and "can only read" in refused.json()["error"]
        forged = script.post("/api/papers/2511.00001/upvote", headers={"Authorization": "Bearer pt_" + "x" * 43})
        assert forged.status_code == 401
    token_id = live_app.store.api_tokens.list(1)[0].id
    revoked = member.post(f"/settings/tokens/{token_id}/revoke", data={"csrf": csrf_of(member, "/settings/tokens")})
    assert revoked.status_code == 303
    with httpx.Client(base_url=live_app.url) as script:
        gone = script.get("/api/digest/subscription", headers={"Authorization": f"Bearer {reader}"})
    assert gone.status_code == 401 and "revoked" in gone.json()["error"]
    assert "revoked" in member.get("/settings/tokens").text


def test_a_token_never_works_on_the_site_s_forms(live_app: LiveApp) -> None:
    member = signed_up(live_app, "ada")
    token = make_token(member, "script", "write")
    with httpx.Client(base_url=live_app.url, follow_redirects=False) as script:
        auth = {"Authorization": f"Bearer {token}"}
        form = script.post("/upvote", data={"paper_id": "2511.00001", "csrf": "x"}, headers=auth)
        page = script.get("/settings/tokens", headers=auth)
    assert form.status_code == 403  # a form needs the browser's CSRF token and session
    assert page.status_code == 303 and page.headers["location"].startswith("/signin")
    assert live_app.store.get("2511.00001").votes == 12  # type: ignore[union-attr]


def test_each_token_has_its_own_rate_limit(live_app: LiveApp) -> None:
    live_app.app.state.services.accounts.rate_limits["api-token"] = (5, timedelta(minutes=1))
    member = signed_up(live_app, "ada")
    token = make_token(member, "busy", "read")
    with httpx.Client(base_url=live_app.url) as script:
        codes = [
            script.get("/api/digest/subscription", headers={"Authorization": f"Bearer {token}"}).status_code
            for _ in range(7)
        ]
    assert codes == [200] * 5 + [429] * 2


def test_openapi_documents_the_bearer_scheme(live_app: LiveApp) -> None:
    with httpx.Client(base_url=live_app.url) as c:
        spec = c.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert {"HTTPBearer": []} in spec["paths"]["/api/papers/{paper_id}/upvote"]["post"]["security"]


@pytest.mark.parametrize("live_app", ["vectors"], indirect=True)
def test_a_script_reads_recommendations_and_marks_not_interested_with_a_token(live_app: LiveApp) -> None:
    member = signed_up(live_app, "ada")
    writer = {"Authorization": f"Bearer {make_token(member, 'script', 'write')}"}
    reader = {"Authorization": f"Bearer {make_token(member, 'reader', 'read')}"}
    with httpx.Client(base_url=live_app.url) as script:
        cold = script.get("/api/recommendations", params={"limit": 3}, headers=reader).json()
        assert [r["because"] for r in cold] == [None, None, None]  # trending until the first upvote
        assert script.post("/api/papers/c01/upvote", headers=writer).status_code == 200
        warm = script.get("/api/recommendations", params={"limit": 3}, headers=reader).json()
        assert [(r["paper"]["id"], r["because"]) for r in warm] == [
            ("2511.00003", "c01"),
            ("c12", "c01"),
            ("c11", "c01"),
        ]
        assert script.post("/api/papers/2511.00003/not-interested", headers=reader).status_code == 403
        marked = script.post("/api/papers/2511.00003/not-interested", headers=writer)
        assert marked.json() == {"id": "2511.00003", "notInterested": True}
        after = script.get("/api/recommendations", params={"limit": 2}, headers=reader).json()
        assert [r["paper"]["id"] for r in after] == ["c09", "c12"]
        assert script.delete("/api/papers/2511.00003/not-interested", headers=writer).json()["notInterested"] is False
        assert script.get("/api/recommendations").status_code == 401


def test_a_hostile_token_name_is_shown_as_text(live_app: LiveApp) -> None:
    member = signed_up(live_app, "ada")
    make_token(member, "<script>alert(1)</script>\u202e", "read")
    page = member.get("/settings/tokens").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "\u202e" not in page
    too_long = member.post(
        "/settings/tokens", data={"name": "x" * 5000, "scope": "read", "csrf": csrf_of(member, "/settings/tokens")}
    )
    assert too_long.status_code in (400, 422) and "200 characters" in too_long.text


def test_a_refused_token_name_shows_the_tokens_page_again_with_the_reason(live_app: LiveApp) -> None:
    member = signed_up(live_app, "ada")
    make_token(member, "kept", "read")
    refused = member.post(
        "/settings/tokens", data={"name": "   ", "scope": "write", "csrf": csrf_of(member, "/settings/tokens")}
    )
    assert refused.status_code == 400
    assert "give the token a name of 1 to 100 characters" in refused.text
    assert "kept" in refused.text  # the member's tokens are listed under the form, as on the page
    anonymous = httpx.Client(base_url=live_app.url)
    token = csrf_of(anonymous, "/signin")
    answer = anonymous.post("/settings/tokens", data={"name": "x", "csrf": token})
    assert answer.status_code == 303 and answer.headers["location"] == "/signin?next=/settings/tokens"
