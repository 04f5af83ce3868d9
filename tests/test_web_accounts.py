"""Account mail, digest settings and one-click unsubscribe over real HTTP, with mail through a
real SMTP server: verification, password reset, CSRF, rate limits."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest

from test_web import csrf_of, mailed_link, signed_up

from conftest import LiveApp


def test_sign_up_mails_a_link_that_confirms_the_address_and_signs_in_once(live_app: LiveApp) -> None:
    client = live_app.client()
    form = {"handle": "ada", "email": "Ada@Example.org", "password": "correct horse", "csrf": csrf_of(client)}
    answer = client.post("/signup", data=form)
    assert answer.status_code == 200 and "Check your inbox" in answer.text and "pt_session" not in client.cookies
    link = mailed_link(live_app, "ada@example.org", "/verify")
    [mail] = live_app.mail.to("ada@example.org")
    assert mail["Subject"] == "papertide: confirm your email address"
    followed = client.get(link)
    assert followed.status_code == 303 and followed.headers["location"] == "/verified"
    assert "Address confirmed" in client.get("/verified").text
    assert '<a href="/u/ada" class="handle">ada</a>' in client.get("/").text
    member = live_app.store.community.member_by_handle("ada")
    assert member is not None and member.verified_at == live_app.clock.now and member.email == "ada@example.org"
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
    assert "You are subscribed." in page  # the address was confirmed by the sign-up link
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
        link = mailed_link(live_app, "ada@example.org", "/reset/confirm", since=1)
        assert len(live_app.mail.to("ada@example.org")) == 2  # the sign-up link, then one reset link
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
        late = mailed_link(live_app, "ada@example.org", "/reset/confirm", since=2).split("t=", 1)[1]
        live_app.clock.now += timedelta(hours=1, minutes=1)
        expired = c.post(
            "/reset/confirm", data={"token": late, "password": "too late pw", "csrf": csrf_of(c, "/reset")}
        )
    assert expired.status_code == 400


def test_password_reset_signs_other_sessions_out(live_app: LiveApp) -> None:
    other_device = signed_up(live_app, "ada")
    with live_app.client() as c:
        c.post("/reset", data={"email": "ada@example.org", "csrf": csrf_of(c, "/reset")})
        token = mailed_link(live_app, "ada@example.org", "/reset/confirm", since=1).split("t=", 1)[1]
        c.post("/reset/confirm", data={"token": token, "password": "brand new pw", "csrf": csrf_of(c, "/reset")})
    assert "Sign in" in other_device.get("/papers/trending").text


def sign_in(client: object, password: str, email: str = "ada@example.org") -> int:
    token = csrf_of(client, "/signin")  # type: ignore[arg-type]
    return int(client.post("/signin", data={"email": email, "password": password, "csrf": token}).status_code)  # type: ignore[attr-defined]


def test_strangers_guessing_guard_the_account_but_never_lock_the_owner_out(live_app: LiveApp) -> None:
    owner = signed_up(live_app, "ada")  # this browser signed in to the account: it is a known device
    with live_app.client() as stranger:
        guesses = [sign_in(stranger, f"guess {i}") for i in range(12)]
        right_from_stranger = stranger.post(
            "/signin",
            data={"email": "ada@example.org", "password": "correct horse", "csrf": csrf_of(stranger, "/signin")},
        )
    assert guesses == [400] * 12
    # Guarded: a password alone is not enough from a new device, and right or wrong reads the same.
    assert right_from_stranger.status_code == 400 and "too many failed sign-ins" in right_from_stranger.text
    owner.cookies.delete("pt_session")
    assert sign_in(owner, "correct horse") == 303  # the owner's device still gets in
    # Successful sign-ins never count towards any limit.
    assert [sign_in(owner, "correct horse") for _ in range(25)] == [303] * 25


def test_one_address_guessing_many_accounts_is_throttled(live_app: LiveApp) -> None:
    with live_app.client() as c:
        codes = [sign_in(c, "nope", email=f"user{i}@example.org") for i in range(22)]
    assert codes == [400] * 20 + [429] * 2


def test_guarded_answers_read_the_same_for_unknown_addresses(live_app: LiveApp) -> None:
    with live_app.client() as c:
        for i in range(10):
            sign_in(c, f"guess {i}", email="nobody@example.org")
        token = csrf_of(c, "/signin")
        unknown = c.post("/signin", data={"email": "nobody@example.org", "password": "x" * 9, "csrf": token})
    assert unknown.status_code == 400 and "too many failed sign-ins" in unknown.text


def test_one_click_unsubscribe_needs_a_valid_signature_not_a_session(live_app: LiveApp) -> None:
    from papertide.digest import MailConfig, unsubscribe_url
    from papertide.model import Subscription

    signed_up(live_app, "ada")
    member = live_app.store.community.member_by_handle("ada")
    assert member is not None
    live_app.store.digests.save_subscription(Subscription(member.id), live_app.clock.now)
    url = unsubscribe_url(MailConfig(secret="papertide-dev-secret-do-not-use-in-production", base_url=""), member)
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
        member,
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


def message_of(page: str) -> str:
    """The page's message, without what differs per visitor (the CSRF token)."""
    found = re.search(r"<main>(.*)</main>", page, re.S)
    assert found
    return found.group(1)


def test_sign_up_and_reset_answer_the_same_whether_an_account_exists(live_app: LiveApp) -> None:
    signed_up(live_app, "ada")
    with live_app.client() as c:

        def sign_up(handle: str, email: str) -> object:
            return c.post(
                "/signup", data={"handle": handle, "email": email, "password": "correct horse", "csrf": csrf_of(c)}
            )

        taken = sign_up("mallory", "ada@example.org")
        new = sign_up("grace", "grace@example.org")
        assert taken.status_code == new.status_code == 200  # type: ignore[attr-defined]
        assert message_of(taken.text) == message_of(new.text)  # type: ignore[attr-defined]
        known = c.post("/reset", data={"email": "ada@example.org", "csrf": csrf_of(c, "/reset")})
        unknown = c.post("/reset", data={"email": "nobody@example.org", "csrf": csrf_of(c, "/reset")})
        assert known.status_code == unknown.status_code == 200
        assert message_of(known.text) == message_of(unknown.text)
    # What differs goes by mail, to the owner: a notice for the taken address, a link for the new one.
    notice = mailed_link(live_app, "ada@example.org", "/reset", since=1)
    assert notice == "/reset" and "already has an account" in str(live_app.mail.to("ada@example.org")[1]["Subject"])
    assert mailed_link(live_app, "grace@example.org", "/verify").startswith("/verify?t=")
    assert live_app.store.community.member_by_handle("mallory") is None


def test_a_taken_user_name_is_said_plainly(live_app: LiveApp) -> None:
    signed_up(live_app, "ada")
    with live_app.client() as c:
        r = c.post(
            "/signup",
            data={"handle": "ADA", "email": "other@example.org", "password": "correct horse", "csrf": csrf_of(c)},
        )
    assert r.status_code == 400 and "that user name is taken" in r.text  # names are public: /u/ada


@pytest.mark.parametrize(
    "email",
    ["someone,victim@example.net", "x<redirected@example.net>", "ada\x00@example.org", "a@b", "ada @example.org",
     "Ada Lovelace <ada@example.org>", "ada@example.org, eve@example.org", "ada@exam\nple.org"],
)  # fmt: skip
def test_an_address_is_one_plain_address(live_app: LiveApp, email: str) -> None:
    with live_app.client() as c:
        r = c.post("/signup", data={"handle": "eve", "email": email, "password": "correct horse", "csrf": csrf_of(c)})
    assert r.status_code == 400 and "not an email address we can send to" in r.text
    assert live_app.store.community.member_by_handle("eve") is None


def test_mail_goes_to_exactly_the_stored_address(live_app: LiveApp) -> None:
    signed_up(live_app, "ada")
    [mail] = live_app.mail.to("ada@example.org")
    assert mail.get_all("To") == ["ada@example.org"]
    assert all(m["To"] == "ada@example.org" for m in live_app.mail.messages)


def test_a_password_reset_ends_every_other_reset_link(live_app: LiveApp) -> None:
    signed_up(live_app, "ada")
    with live_app.client() as c:
        for _ in range(2):
            c.post("/reset", data={"email": "ada@example.org", "csrf": csrf_of(c, "/reset")})
        first = mailed_link(live_app, "ada@example.org", "/reset/confirm", since=1).split("t=", 1)[1]
        second = mailed_link(live_app, "ada@example.org", "/reset/confirm", since=2).split("t=", 1)[1]
        assert first != second
        done = c.post(
            "/reset/confirm", data={"token": second, "password": "brand new pw", "csrf": csrf_of(c, "/reset")}
        )
        stale = c.post(
            "/reset/confirm", data={"token": first, "password": "hijacked pw!", "csrf": csrf_of(c, "/reset")}
        )
    assert done.status_code == 303 and stale.status_code == 400


@pytest.mark.parametrize("spelling", ["{id}.0", "0{id}", "+{id}", " {id}", "{id}e0", "0x{id}", "{id}\x00"])
def test_signed_links_act_only_in_their_canonical_spelling(live_app: LiveApp, spelling: str) -> None:
    from papertide.digest import MailConfig, unsubscribe_url, web_view_url
    from papertide.mail.links import member_sig
    from papertide.model import Subscription

    signed_up(live_app, "ada")
    member = live_app.store.community.member_by_handle("ada")
    assert member is not None
    live_app.store.digests.save_subscription(Subscription(member.id), live_app.clock.now)
    secret = "papertide-dev-secret-do-not-use-in-production"
    sig = member_sig(secret, "unsubscribe", member)
    variant = spelling.format(id=member.id)
    with live_app.client() as c:
        assert c.post("/unsubscribe", params={"m": variant, "sig": sig}).status_code == 400
        day = live_app.clock.now.date()
        view_sig = member_sig(secret, "digest", member, day.isoformat())
        assert c.get("/digest", params={"m": variant, "d": day.isoformat(), "sig": view_sig}).status_code == 400
        assert (
            c.get("/digest", params={"m": member.id, "d": day.strftime("%Y%m%d"), "sig": view_sig}).status_code == 400
        )
        config = MailConfig(secret=secret, base_url="")
        assert c.get(web_view_url(config, member, day)).status_code == 200
        assert c.post(unsubscribe_url(config, member)).status_code == 200
    assert not live_app.store.digests.subscription(member.id).active  # type: ignore[union-attr]


def test_a_bounced_address_is_said_and_confirming_it_again_clears_the_bounce(live_app: LiveApp) -> None:
    client = signed_up(live_app, "ada")
    member = live_app.store.community.member_by_handle("ada")
    assert member is not None
    live_app.store.digests.mark_bounced(member.id)
    page = client.get("/settings/digest").text
    assert "Mail to ada@example.org bounced" in page and "You are subscribed" not in page
    form = {"csrf": csrf_of(client, "/settings/digest"), "frequency": "daily", "send_hour": "8", "timezone": "UTC",
            "sections": ["trending"], "action": "subscribe"}  # fmt: skip
    assert client.post("/settings/digest", data=form).status_code == 303
    assert "bounced" in client.get("/settings/digest").text  # still the truth until the address is confirmed
    link = mailed_link(live_app, "ada@example.org", "/verify", since=1)
    assert client.get(link).status_code == 303
    assert live_app.store.community.member_by_handle("ada").email_status == "ok"  # type: ignore[union-attr]
    page = client.get("/settings/digest").text
    assert "You are subscribed." in page and "bounced" not in page


def test_dev_mode_without_smtp_prints_the_mailed_link(live_app: LiveApp, capfd: pytest.CaptureFixture[str]) -> None:
    live_app.app.state.services.mailer_factory = None  # dev mode (the fixture's config) and no SMTP
    with live_app.client() as c:
        c.post(
            "/signup",
            data={"handle": "ada", "email": "ada@example.org", "password": "correct horse", "csrf": csrf_of(c)},
        )
        deadline = time.monotonic() + 10
        printed = ""
        while "/verify?t=" not in printed and time.monotonic() < deadline:
            time.sleep(0.05)
            printed += capfd.readouterr().err
    link = re.search(r"http://papertide\.test(/verify\?t=\S+)", printed)
    assert link is not None, printed
    with live_app.client() as c:
        assert c.get(link.group(1)).status_code == 303


def test_no_form_floods_an_address_with_mail(live_app: LiveApp) -> None:
    """Someone signs up with another person's address (never confirmed), signs in, and saves the
    digest settings twelve times: the address gets at most its hourly budget of account mail, and
    the answers come before any mail (sent from a background task)."""
    from papertide.members.accounts import RATE_LIMITS

    budget = RATE_LIMITS["mail-account"][0]
    client = live_app.client()
    data = {"handle": "mallory", "email": "victim@example.org", "password": "correct horse"}
    assert client.post("/signup", data={**data, "csrf": csrf_of(client)}).status_code == 200
    assert sign_in(client, "correct horse", "victim@example.org") == 303
    settings = {"frequency": "daily", "send_hour": "8", "timezone": "UTC", "sections": "trending"}
    for _ in range(12):
        r = client.post("/settings/digest", data={**settings, "csrf": csrf_of(client, "/settings/digest")})
        assert r.status_code == 303
    for _ in range(3):
        resent = client.post("/verify/resend", data={"csrf": csrf_of(client, "/settings/digest")})
        assert resent.status_code in (200, 429)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(live_app.mail.to("victim@example.org")) < budget:
        time.sleep(0.05)
    time.sleep(0.5)  # anything past the budget would have arrived by now
    assert len(live_app.mail.to("victim@example.org")) == budget


def test_a_password_reset_spends_every_mailed_link_and_every_device(live_app: LiveApp) -> None:
    """Issue 32, item 4: a confirmation link still worked after a password reset and signed its
    holder in, with a device cookie that outlived the password."""
    with live_app.client() as c:
        data = {"handle": "ada", "email": "ada@example.org", "password": "correct horse"}
        assert c.post("/signup", data={**data, "csrf": csrf_of(c)}).status_code == 200
        confirm = mailed_link(live_app, "ada@example.org", "/verify")  # never followed: someone else has it
        assert sign_in(c, "correct horse") == 303
        old_device = c.cookies["pt_device"]
        c.post("/reset", data={"email": "ada@example.org", "csrf": csrf_of(c, "/reset")})
        token = mailed_link(live_app, "ada@example.org", "/reset/confirm", since=1).split("t=", 1)[1]
        done = c.post("/reset/confirm", data={"token": token, "password": "brand new pw", "csrf": csrf_of(c, "/reset")})
        assert done.status_code == 303
    with live_app.client() as holder:
        stale = holder.get(confirm)
        assert stale.status_code == 400 and "pt_session" not in holder.cookies
    member = live_app.store.community.member_by_handle("ada")
    assert member is not None and member.verified_at is not None  # the reset link came through the mailbox
    from papertide.members.accounts import device_vouches

    assert not device_vouches("papertide-dev-secret-do-not-use-in-production", old_device, member)
