"""Account mail, digest settings and one-click unsubscribe over real HTTP, with mail through a
real SMTP server: verification, password reset, CSRF, rate limits."""

from __future__ import annotations

import re
from datetime import timedelta

from test_web import csrf_of, signed_up

from conftest import LiveApp

LINK = re.compile(r"http://papertide\.test(/[^\s]+)")


def link_in_last_mail(app: LiveApp, to: str) -> str:
    body = app.mail.to(to)[-1].get_content()
    match = LINK.search(body)
    assert match, body
    return match.group(1)


def test_sign_up_mails_a_confirmation_link_that_works_once(live_app: LiveApp) -> None:
    client = signed_up(live_app, "ada")
    [mail] = live_app.mail.to("ada@example.org")
    assert mail["Subject"] == "papertide: confirm your email address"
    link = link_in_last_mail(live_app, "ada@example.org")
    assert link.startswith("/verify?t=")
    assert "Address confirmed" in client.get(link).text
    member = live_app.store.community.member_by_handle("ada")
    assert member is not None and member.verified_at == live_app.clock.now
    assert client.get(link).status_code == 400  # single use


def test_digest_settings_subscribe_and_unsubscribe(live_app: LiveApp) -> None:
    client = signed_up(live_app, "ada")
    token = csrf_of(client, "/settings/digest")
    form = {
        "csrf": token,
        "frequency": "weekly",
        "send_hour": "7",
        "timezone": "Europe/Paris",
        "sections": ["trending", "picks"],
        "weekdays_only": "1",
        "action": "subscribe",
    }
    saved = client.post("/settings/digest", data=form)
    assert saved.status_code == 303
    member = live_app.store.community.member_by_handle("ada")
    sub = live_app.store.digests.subscription(member.id)  # type: ignore[union-attr]
    assert (sub.active, sub.frequency, sub.send_hour, sub.timezone, sub.sections) == (  # type: ignore[union-attr]
        True,
        "weekly",
        7,
        "Europe/Paris",
        ("trending", "picks"),
    )
    page = client.get("/settings/digest").text
    assert "You are subscribed — confirm your address" in page
    bad = client.post("/settings/digest", data={**form, "timezone": "Mars/Olympus"})
    assert bad.status_code == 400 and "unknown time zone" in bad.text
    client.post("/settings/digest", data={**form, "action": "unsubscribe"})
    assert not live_app.store.digests.subscription(member.id).active  # type: ignore[union-attr]


def test_digest_settings_need_csrf_and_sign_in(live_app: LiveApp) -> None:
    client = signed_up(live_app, "ada")
    assert client.post("/settings/digest", data={"frequency": "daily"}).status_code == 403
    with live_app.client() as anonymous:
        assert anonymous.get("/settings/digest").headers["location"] == "/signin?next=/settings/digest"


def test_subscription_api(live_app: LiveApp) -> None:
    client = signed_up(live_app, "ada")
    token = csrf_of(client, "/")
    assert client.get("/api/digest/subscription").json()["active"] is False
    body = {
        "active": True,
        "frequency": "daily",
        "weekdays_only": False,
        "send_hour": 6,
        "timezone": "Asia/Tokyo",
        "sections": ["picks"],
    }
    put = client.put("/api/digest/subscription", json=body, headers={"X-CSRF-Token": token})
    assert put.status_code == 200 and client.get("/api/digest/subscription").json() == body
    assert client.put("/api/digest/subscription", json=body).status_code == 403
    bad = client.put("/api/digest/subscription", json={**body, "sections": []}, headers={"X-CSRF-Token": token})
    assert bad.status_code == 400 and bad.json() == {"error": "choose at least one section"}


def test_password_reset_link_is_single_use_and_expires(live_app: LiveApp) -> None:
    signed_up(live_app, "ada")
    with live_app.client() as c:
        token = csrf_of(c, "/reset")
        unknown = c.post("/reset", data={"email": "nobody@example.org", "csrf": token})
        known = c.post("/reset", data={"email": "ada@example.org", "csrf": token})
        assert unknown.text.count("If an account uses that address") == known.text.count("If an account uses") == 1
        link = link_in_last_mail(live_app, "ada@example.org")
        assert link.startswith("/reset/confirm?t=")
        reset_token = link.split("t=", 1)[1]
        short = c.post("/reset/confirm", data={"token": reset_token, "password": "short", "csrf": csrf_of(c, link)})
        assert short.status_code == 400  # a short password does not spend the link
        done = c.post(
            "/reset/confirm", data={"token": reset_token, "password": "brand new pw", "csrf": csrf_of(c, link)}
        )
        assert done.status_code == 303 and done.headers["location"] == "/signin?reset=1"
        again = c.post(
            "/reset/confirm", data={"token": reset_token, "password": "another pw!", "csrf": csrf_of(c, link)}
        )
        assert again.status_code == 400 and "expired or was used already" in again.text
        signin = c.post(
            "/signin", data={"email": "ada@example.org", "password": "brand new pw", "csrf": csrf_of(c, "/signin")}
        )
        assert signin.status_code == 303
        # A second link, an hour and a minute later: expired.
        c.post("/reset", data={"email": "ada@example.org", "csrf": csrf_of(c, "/reset")})
        late = link_in_last_mail(live_app, "ada@example.org").split("t=", 1)[1]
        live_app.clock.now += timedelta(hours=1, minutes=1)
        expired = c.post(
            "/reset/confirm", data={"token": late, "password": "too late pw", "csrf": csrf_of(c, "/reset")}
        )
    assert expired.status_code == 400


def test_password_reset_signs_other_sessions_out(live_app: LiveApp) -> None:
    other_device = signed_up(live_app, "ada")
    with live_app.client() as c:
        c.post("/reset", data={"email": "ada@example.org", "csrf": csrf_of(c, "/reset")})
        token = link_in_last_mail(live_app, "ada@example.org").split("t=", 1)[1]
        c.post("/reset/confirm", data={"token": token, "password": "brand new pw", "csrf": csrf_of(c, "/reset")})
    assert "Sign in" in other_device.get("/papers/trending").text


def test_sign_in_burst_is_throttled(live_app: LiveApp) -> None:
    signed_up(live_app, "ada")
    with live_app.client() as c:
        token = csrf_of(c, "/signin")
        codes = [
            c.post("/signin", data={"email": "ada@example.org", "password": f"guess {i}", "csrf": token}).status_code
            for i in range(12)
        ]
        right = c.post("/signin", data={"email": "ada@example.org", "password": "correct horse", "csrf": token})
    assert codes == [400] * 10 + [429] * 2
    assert right.status_code == 429  # even the right password waits out the window


def test_one_click_unsubscribe_needs_a_valid_signature_not_a_session(live_app: LiveApp) -> None:
    from papertide.digest import MailConfig, unsubscribe_url
    from papertide.model import Subscription

    signed_up(live_app, "ada")
    member = live_app.store.community.member_by_handle("ada")
    assert member is not None
    live_app.store.digests.save_subscription(Subscription(member.id), live_app.clock.now)
    url = unsubscribe_url(MailConfig(secret="papertide-dev-secret-do-not-use-in-production", base_url=""), member.id)
    with live_app.client() as c:
        page = c.get(url)
        assert page.status_code == 200 and "Stop the papertide digest for ada@example.org?" in page.text
        assert live_app.store.digests.subscription(member.id).active  # type: ignore[union-attr]  (GET changes nothing)
        forged = c.post(url.replace("sig=", "sig=0"), data={"List-Unsubscribe": "One-Click"})
        assert forged.status_code == 400
        done = c.post(url, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert not live_app.store.digests.subscription(member.id).active  # type: ignore[union-attr]


def test_digest_web_view_is_signed(live_app: LiveApp) -> None:
    from papertide.digest import MailConfig, web_view_url

    signed_up(live_app, "ada")
    member = live_app.store.community.member_by_handle("ada")
    assert member is not None
    url = web_view_url(
        MailConfig(secret="papertide-dev-secret-do-not-use-in-production", base_url=""),
        member.id,
        live_app.clock.now.date(),
    )
    with live_app.client() as c:
        page = c.get(url)
        forged = c.get(url.replace(f"m={member.id}", "m=999"))
    assert page.status_code == 200 and "Sparse Attention for Long Context Language Models" in page.text
    assert forged.status_code == 400


def test_server_refuses_to_start_without_a_secret() -> None:
    import pytest

    from papertide.web.config import DEV_SECRET, ConfigError, WebConfig

    with pytest.raises(ConfigError, match="PAPERTIDE_SECRET is not set"):
        WebConfig.from_env({})
    with pytest.raises(ConfigError, match="development default"):
        WebConfig.from_env({"PAPERTIDE_SECRET": DEV_SECRET})
    with pytest.raises(ConfigError, match="at least 32 characters"):
        WebConfig.from_env({"PAPERTIDE_SECRET": "short"})
    assert WebConfig.from_env({"PAPERTIDE_SECRET": "k" * 40, "PAPERTIDE_SECURE_COOKIES": "1"}).secure_cookies
    assert WebConfig.from_env({}, dev=True).secret == DEV_SECRET
