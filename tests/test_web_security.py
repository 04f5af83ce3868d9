"""Hardening of the web app over real HTTP: nothing from outside becomes markup, a link or a 500;
security headers on every response (issue 16)."""

from __future__ import annotations

import re

import lxml.html

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
