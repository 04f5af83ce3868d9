"""Hardening of the web app over real HTTP: nothing from outside becomes markup, a link or a 500;
security headers on every response (issue 16)."""

from __future__ import annotations

import html
import re

import lxml.html
import pytest
from lxml import etree

from test_web import CSRF, signed_up

from conftest import LiveApp

# Query strings carrying what once were per-member slot markers, and plain attribute breakouts.
HOSTILE_QUERIES = [
    "x\x00vote:a\x00 autofocus onfocus=alert(1) y=\x00vote:b\x00",
    'x" autofocus onfocus="alert(1)',
    "x\x00csrf\x00 \x00handle\x00",
    "diffusion \x00vote:2511.00003\x00 autofocus onfocus=alert(1) y=\x00vote:2511.00001\x00",
    "x'><img src=x onerror=alert(1)>",
]


def event_handlers(page: str) -> list[str]:
    """Every `on…` attribute of every element, as a browser's parser sees the page."""
    root = lxml.html.fromstring(page)
    elements = [el for el in root.iter() if isinstance(el.tag, str)]
    return [f"{el.tag}.{name}" for el in elements for name in el.attrib if name.startswith("on")]


def test_member_pages_render_hostile_queries_as_text(live_app: LiveApp) -> None:
    client = signed_up(live_app, "ada")
    for q in HOSTILE_QUERIES:
        r = client.get("/search", params={"q": q})
        assert r.status_code in (200, 400)
        assert event_handlers(r.text) == []
        root = lxml.html.fromstring(r.text)
        (box,) = root.xpath("//header//input[@name='q']")
        assert sorted(box.attrib) == ["aria-label", "maxlength", "name", "placeholder", "type", "value"]
        assert box.get("value").replace("\ufffd", "\x00") == q  # the query itself, nothing more
        # Every vote button has exactly the attributes the template gives it.
        for button in root.xpath("//form[@class='vote']//button"):
            assert sorted(button.attrib) == ["aria-pressed", "class", "title", "type"]


def test_stored_text_with_slot_markers_never_shows_the_token(live_app: LiveApp) -> None:
    from papertide.model import Paper

    live_app.store.apply([(None, Paper(id="2511.09999", title="Tok \x00csrf\x00 en \x00handle\x00", abstract="a b"))])
    client = signed_up(live_app, "bob")
    page = client.get("/papers/2511.09999").text
    token = CSRF.search(page)
    assert token is not None
    # The token is in the meta tag and the forms, never in the title text.
    title = re.search(r"<h1>(.*?)</h1>", page, re.S)
    assert title is not None and token.group(1) not in title.group(1) and "bob" not in title.group(1)


PAGES = ["/", "/papers?week=2025-W45", "/papers/trending", "/search?q=diffusion", "/papers/2511.00002", "/signin"]


def test_every_response_carries_the_security_headers(live_app: LiveApp) -> None:
    with live_app.client() as c:
        for path in [*PAGES, "/api/daily_papers", "/feeds/daily", "/static/style.css", "/nothing-here"]:
            headers = c.get(path).headers
            csp = headers["content-security-policy"]
            assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp, path
            assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0], path
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["x-frame-options"] == "DENY"
            assert headers["referrer-policy"] == "same-origin"


def test_pages_hold_no_inline_script_or_handler(live_app: LiveApp) -> None:
    client = signed_up(live_app, "ada")
    for path in PAGES:
        page = client.get(path).text
        root = lxml.html.fromstring(page)
        assert [s for s in root.xpath("//script") if not s.get("src")] == [], path
        assert event_handlers(page) == [], path


def hostile_links(live_app: LiveApp) -> None:
    """A featured paper whose links came in hostile, stored as a careless source would (bypassing
    the import's own cleaning), and one whose title carries control characters."""
    from datetime import date

    from papertide.model import Paper

    live_app.store.apply(
        [
            (
                None,
                Paper(
                    id="2511.07777",
                    title="Links \x01 and \x00 controls\x0b",
                    abstract="Abstract \x1f text.",
                    code_url=" JaVaScRiPt:alert(1)",
                    project_url="data:text/html,<script>alert(1)</script>",
                    featured_date=date(2025, 11, 5),
                    upvotes=99,
                ),
            )
        ]
    )
    live_app.pt.catch_up()


def test_only_http_links_are_rendered_anywhere(live_app: LiveApp) -> None:
    hostile_links(live_app)
    with live_app.client() as c:
        for path in ["/", "/papers/2511.07777", "/search?q=links+controls"]:
            page = c.get(path).text
            hrefs = lxml.html.fromstring(page).xpath("//a/@href")
            assert not [h for h in hrefs if ":" in h.split("/")[0] and not h.startswith(("http:", "https:"))], path
        api = c.get("/api/papers/2511.07777").json()
        feed = c.get("/feeds/daily").content
    assert (api["githubRepo"], api["projectPage"]) == (None, None)
    assert b"javascript" not in feed.lower() and b"data:text" not in feed


def test_feeds_never_fail_on_a_stored_string(live_app: LiveApp) -> None:
    hostile_links(live_app)
    with live_app.client() as c:
        for path in ["/feeds/daily", "/feeds/trending", "/feeds/search?q=links"]:
            r = c.get(path)
            assert r.status_code == 200, path
            root = etree.fromstring(r.content)
            titles = root.xpath("//a:entry/a:title/text()", namespaces={"a": "http://www.w3.org/2005/Atom"})
            assert "Links  and  controls" in titles, path


@pytest.mark.parametrize(
    "path",
    [
        "/papers?date=9999-12-31",
        "/papers?date=0000-01-01",
        "/api/daily_papers?week=9999-W52",
        "/api/daily_papers?week=0001-W01",
        "/api/daily_papers?month=0001-01",
        "/api/daily_papers?month=9999-12",
        "/search?q=diffusion&until=9999-12-31",
        "/search?q=diffusion&since=0001-01-01",
        "/api/papers/search?q=diffusion&until=9999-12-31",
        "/feeds/search?q=diffusion&since=99999-01-01",
        "/papers?week=2025-W99",
        "/papers?month=2025-00",
    ],
)
def test_dates_out_of_range_are_a_400_in_plain_words(live_app: LiveApp, path: str) -> None:
    with live_app.client() as c:
        r = c.get(path)
    assert r.status_code == 400, r.text[:300]
    text = r.json()["error"] if path.startswith("/api/") else r.text
    assert re.search(r"year must be between|is not a|has weeks|month must be", text), text[:300]


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("/search?q=diffusion&p=999", "the page must be between 1 and 50"),
        ("/search?q=diffusion&p=x", "the page must be a whole number between 1 and 50"),
        ("/search?q=diffusion&min_upvotes=-1", "min_upvotes must be between 0 and 1000000"),
        ("/search?q=diffusion&mode=psychic", "mode must be one of hybrid, keyword, semantic"),
        ("/search?q=diffusion&since=2025-02-01&until=2025-01-01", "since is after until"),
        ("/api/papers/search?q=diffusion&p=999", "the page must be between 1 and 50"),
        ("/api/papers/search?q=diffusion&limit=0", "limit must be at least 1"),
        ("/api/daily_papers?limit=5000", "limit must be at most 100"),
        ("/api/daily_papers?sort=sideways", "sort must be one of publishedAt, trending, upvotes"),
        ("/api/daily_papers?p=x", "p must be a whole number"),
    ],
)
def test_bad_parameters_are_answered_in_plain_words(live_app: LiveApp, path: str, said: str) -> None:
    with live_app.client() as c:
        r = c.get(path)
    assert r.status_code == 400
    text = r.json()["error"] if path.startswith("/api/") else html.unescape(r.text)
    assert said in text
    assert "Input should be" not in text


@pytest.mark.parametrize("junk", ["é", "ü" * 43, "\u202e", "😀abc", "x\u00a0"])
def test_non_ascii_signatures_tokens_and_cookies_are_a_plain_no(live_app: LiveApp, junk: str) -> None:
    """hmac.compare_digest raises on non-ASCII text; every place that compares a secret from
    outside (signed mail links, CSRF tokens, the device cookie) must answer "no", never 500."""
    with live_app.client() as client:
        for path in ("/unsubscribe", "/digest", "/verify"):
            answer = client.get(path, params={"m": "1", "d": "2025-11-05", "sig": junk, "token": junk})
            assert answer.status_code < 500, (path, answer.status_code)
        form = client.post("/signin", data={"email": "a@example.org", "password": "x" * 10, "csrf": junk})
        assert form.status_code == 403
    with live_app.client() as client:  # a cookie header's raw bytes may be any UTF-8
        assert client.get("/", headers={"Cookie": f"pt_device=1.{junk}".encode()}).status_code == 200


def _raw(url: str, head: str, body: bytes = b"") -> tuple[int, bytes]:
    """Send a request's head (and at most `body`) over a plain socket; the answer's status and body.
    The server has to answer without the rest of what the head announces: nothing more is sent."""
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(url)
    with socket.create_connection((where.hostname, where.port), timeout=10) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, answer.split(b"\r\n\r\n", 1)[1]


@pytest.mark.parametrize(
    ("head", "status", "said"),
    [
        # 150 MB announced, none of it sent: refused from the header alone.
        (
            "POST /api/collections HTTP/1.1\nHost: t\nContent-Type: application/json\nContent-Length: 157286400\n",
            413,
            b"too large",
        ),
        (
            "POST /signin HTTP/1.1\nHost: t\nContent-Type: application/x-www-form-urlencoded\nContent-Length: 300000\n",
            413,
            b"too large",
        ),
        # A body within the limit, anonymous: 401 before a byte of it is read.
        (
            "POST /api/collections HTTP/1.1\nHost: t\nContent-Type: application/json\nContent-Length: 200000\n",
            401,
            b"sign in",
        ),
        (
            "POST /api/saved-searches HTTP/1.1\nHost: t\nContent-Type: application/json\nAuthorization: Bearer pt_x\n"
            "Content-Length: 90000\n",
            401,
            b"sign in",
        ),
        (
            "POST /api/collections HTTP/1.1\nHost: t\nContent-Type: application/json\nTransfer-Encoding: chunked\n",
            411,
            b"Content-Length",
        ),
    ],
)
def test_bodies_are_bounded_and_api_writes_authenticated_before_they_are_read(
    live_app: LiveApp, head: str, status: int, said: bytes
) -> None:
    first = b"5\r\nhello\r\n" if "chunked" in head else b'{"name": "'  # the start of a body, never its end
    got, body = _raw(live_app.url, head, first)
    assert got == status and said in body
    with live_app.client() as c:  # the server goes on answering
        assert c.get("/").status_code == 200


def test_a_members_oversized_body_is_refused_and_an_ordinary_one_accepted(live_app: LiveApp) -> None:
    ada = signed_up(live_app, "ada")
    csrf = CSRF.search(ada.get("/library").text)
    assert csrf
    headers = {"X-CSRF-Token": csrf.group(1)}
    huge = ada.post("/api/collections", json={"name": "x", "description": "d" * 300_000}, headers=headers)
    assert huge.status_code == 413 and "at most 256 kB" in huge.json()["error"]
    made = ada.post("/api/collections", json={"name": "Reading group"}, headers=headers)
    assert made.status_code == 201, made.text


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example", "/\r/evil.example", "/\n/evil.example", "/ /evil.example", "/\x00", "/\x0b/e", "/\x85/e",
        "/\u3000/e", "//evil.example", "/\\evil.example", "/a\\b", "https://evil.example", "javascript:alert(1)",
        "evil.example", "", "/" + "a" * 2001,
    ],
)  # fmt: skip
def test_return_links_are_same_site_paths_only(live_app: LiveApp, target: str) -> None:
    from papertide.web.context import safe_next

    assert safe_next(target) == "/"
    ada = signed_up(live_app, "ada")
    page = ada.get("/report", params={"kind": "paper", "target": "c01", "next": target})
    if len(target) > 2000:  # past the parameter's own bound: refused in words
        assert page.status_code == 400
        return
    assert page.status_code == 200 and 'name="next" value="/"' in page.text


@pytest.mark.parametrize("target", ["/", "/papers/c01#comment-3", "/search?q=diffusion%20models&p=2", "/%09/x"])
def test_same_site_return_links_are_kept(target: str) -> None:
    from papertide.web.context import safe_next

    assert safe_next(target) == target


@pytest.mark.parametrize("path", ["/", "/papers/c01", "/search?q=diffusion", "/api/daily_papers", "/feeds/daily"])
def test_head_is_answered_like_get_without_a_body(live_app: LiveApp, path: str) -> None:
    with live_app.client() as c:
        got, head = c.get(path), c.head(path)
    assert head.status_code == got.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert "content-security-policy" in head.headers


def test_an_address_needing_smtputf8_is_refused_in_words_and_an_idn_domain_kept_in_ascii(live_app: LiveApp) -> None:
    from test_web import csrf_of, mailed_link

    with live_app.client() as c:
        data = {"handle": "uni", "email": "ünï@example.com", "password": "correct horse"}
        refused = c.post("/signup", data={**data, "csrf": csrf_of(c)})
        assert refused.status_code == 400 and "not an email address we can send to" in html.unescape(refused.text)
        data = {"handle": "idn", "email": "ada@bücher.example", "password": "correct horse"}
        assert c.post("/signup", data={**data, "csrf": csrf_of(c)}).status_code == 200
    member = live_app.store.community.member_by_handle("idn")
    assert member is not None and member.email == "ada@xn--bcher-kva.example"
    assert mailed_link(live_app, "ada@xn--bcher-kva.example", "/verify")  # and it is mailed


def test_an_address_stored_before_is_a_permanent_failure_not_a_crash(live_app: LiveApp) -> None:
    from email.message import EmailMessage

    from papertide.mail.mailer import PermanentFailure, SmtpMailer
    from papertide.mail.mime import Outgoing

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "papertide <noreply@papertide.test>", "x@example.org", "hi"
    msg.set_content("hello")
    outgoing = Outgoing.from_message(msg)
    mailer = SmtpMailer(live_app.mail.url)
    try:
        with pytest.raises(PermanentFailure, match="SMTPUTF8"):
            mailer.send(type(outgoing)(outgoing.sender, "ünï@example.com", outgoing.data))
    finally:
        mailer.close()


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"PAPERTIDE_SUBMIT_PER_DAY": "five"}, "PAPERTIDE_SUBMIT_PER_DAY must be a whole number between 0 and 100000"),
        ({"PAPERTIDE_SUBMIT_MAX_AGE_DAYS": "²"}, "PAPERTIDE_SUBMIT_MAX_AGE_DAYS must be a whole number between 1"),
        ({"PAPERTIDE_SMTP_URL": "notaurl://x"}, "PAPERTIDE_SMTP_URL: SMTP URL must look like smtp://host:port"),
    ],
)
def test_bad_settings_are_said_in_words_at_start_up(env: dict[str, str], said: str) -> None:
    from papertide.web.config import ConfigError, WebConfig

    with pytest.raises(ConfigError) as caught:
        WebConfig.from_env(env, dev=True)
    assert said in str(caught.value)


@pytest.mark.parametrize("value", ["١٠", "１０", " 10", "+10", "1_0", "10.0", "²"])
def test_every_number_in_the_api_is_read_by_the_one_parser(live_app: LiveApp, value: str) -> None:
    with live_app.client() as c:
        for path in ("/api/daily_papers", "/api/trending", "/api/papers/search?q=diffusion"):
            r = c.get(path, params={"limit": value})
            assert r.status_code == 400 and "limit must be a whole number" in r.json()["error"], (path, r.text)
        assert c.get("/api/daily_papers", params={"limit": "10"}).status_code == 200
