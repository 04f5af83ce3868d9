"""The pages in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright):
sign up, search, upvote with the keyboard and the button, submit a paper. Screenshots land in
artifacts/screenshots/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from test_web import mailed_link

from conftest import LiveApp

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (.ci/run installs it)"),
    pytest.mark.slow,  # real Chromium
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object, live_app: LiveApp) -> Iterator[object]:
    context = browser.new_context(base_url=live_app.url, viewport={"width": 1100, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.live_app = live_app  # for sign_up, which follows the mailed link
    yield page
    context.close()


def shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def sign_up(page: object, handle: str) -> None:
    page.goto("/signup")  # type: ignore[attr-defined]
    page.fill("#handle", handle)  # type: ignore[attr-defined]
    page.fill("#email", f"{handle}@example.org")  # type: ignore[attr-defined]
    page.fill("#password", "correct horse")  # type: ignore[attr-defined]
    page.click("form.account button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_selector("h1:has-text('Check your inbox')")  # type: ignore[attr-defined]
    page.goto(mailed_link(page.live_app, f"{handle}@example.org", "/verify"))  # type: ignore[attr-defined]
    page.wait_for_selector(f"a.handle:has-text('{handle}')")  # type: ignore[attr-defined]


def test_sign_up_search_and_upvote(page: object, live_app: LiveApp) -> None:
    page.goto("/papers?week=2025-W45")  # type: ignore[attr-defined]
    shot(page, "daily-week")
    sign_up(page, "ada")
    page.fill(".searchbox input", "diffusion")  # type: ignore[attr-defined]
    page.press(".searchbox input", "Enter")  # type: ignore[attr-defined]
    page.wait_for_selector("ol.cards li.card")  # type: ignore[attr-defined]
    assert page.inner_text("#card-1 a.title") == "Diffusion Transformers at Scale"  # type: ignore[attr-defined]
    shot(page, "search")
    # The button votes without a reload (JavaScript), and shows the new count.
    page.click("#card-1 .vote button")  # type: ignore[attr-defined]
    page.wait_for_selector("#card-1 .vote button.voted")  # type: ignore[attr-defined]
    assert page.inner_text("#card-1 .vote .count") == "6"  # type: ignore[attr-defined]
    assert live_app.store.get("2511.00003").votes == 6  # type: ignore[union-attr]
    # Keyboard: j moves to the second card, u votes for it, o opens it.
    page.click("h1")  # type: ignore[attr-defined]
    page.keyboard.press("j")  # type: ignore[attr-defined]
    page.keyboard.press("j")  # type: ignore[attr-defined]
    second = page.get_attribute("#card-2 a.title", "href")  # type: ignore[attr-defined]
    page.keyboard.press("u")  # type: ignore[attr-defined]
    page.wait_for_selector("#card-2 .vote button.voted")  # type: ignore[attr-defined]
    page.keyboard.press("o")  # type: ignore[attr-defined]
    page.wait_for_url(f"**{second}")  # type: ignore[attr-defined]
    shot(page, "paper")
    assert page.inner_text(".paper-head .count") == str(live_app.store.get(second.rsplit("/", 1)[1]).votes)  # type: ignore[attr-defined,union-attr]


def test_submit_a_paper(page: object, live_app: LiveApp) -> None:
    sign_up(page, "grace")
    page.goto("/submit")  # type: ignore[attr-defined]
    page.fill("#arxiv_id", "2510.25021")  # type: ignore[attr-defined]
    page.click("form.account button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url("**/papers/2510.25021")  # type: ignore[attr-defined]
    assert "Distilled Decoding 2" in page.inner_text("h1")  # type: ignore[attr-defined]
    assert "submitted by grace" in page.inner_text(".paper-head .meta")  # type: ignore[attr-defined]
    shot(page, "submitted")
    page.goto("/submit")  # type: ignore[attr-defined]
    page.fill("#arxiv_id", "2510.25021")  # type: ignore[attr-defined]
    page.click("form.account button[type=submit]")  # type: ignore[attr-defined]
    assert "already in the feed" in page.inner_text("p.error")  # type: ignore[attr-defined]


def test_script_in_a_title_does_not_run(page: object) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    page.goto("/papers/2511.00002")  # type: ignore[attr-defined]
    assert page.inner_text("h1") == "<script>alert('x')</script> & Friends: Escaping Titles"  # type: ignore[attr-defined]
    assert dialogs == []


def test_subscribe_from_the_page_and_the_digest_renders(page: object, live_app: LiveApp) -> None:
    from papertide.digest import MailConfig, send_all
    from papertide.mail.mailer import SmtpMailer

    sign_up(page, "lin")
    page.click("footer a:has-text('Subscribe')")  # type: ignore[attr-defined]
    page.wait_for_url("**/settings/digest")  # type: ignore[attr-defined]
    page.check("input[name=frequency][value=daily]")  # type: ignore[attr-defined]
    page.select_option("#send_hour", "8")  # type: ignore[attr-defined]
    page.fill("#timezone", "Europe/Paris")  # type: ignore[attr-defined]
    page.click("button[value=subscribe]")  # type: ignore[attr-defined]
    page.wait_for_selector("p.notice:has-text('Saved.')")  # type: ignore[attr-defined]
    assert page.inner_text("p.status") == "You are subscribed."  # type: ignore[attr-defined]  (confirmed at sign-up)
    shot(page, "digest-settings")
    mailer = SmtpMailer(live_app.mail.url)
    config = MailConfig(secret="s" * 40, base_url="http://papertide.test")
    report = send_all(live_app.store, mailer, config, live_app.clock.now)
    mailer.close()
    assert report.sent == 1
    digest_mail = live_app.mail.to("lin@example.org")[-1]
    page.set_content(digest_mail.get_body(("html",)).get_content())  # type: ignore[attr-defined,union-attr]
    assert page.inner_text("h2 >> nth=0") == "Yesterday's top papers"  # type: ignore[attr-defined]
    shot(page, "digest-email")


def test_query_with_slot_markers_runs_no_script_for_a_member(page: object, live_app: LiveApp) -> None:
    """Issue 16, finding 1: a crafted search link opened by a signed-in member."""
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    sign_up(page, "mallory")
    hostile = "diffusion\x00vote:2511.00003\x00 autofocus onfocus=alert(1) y=\x00vote:2511.00001\x00"
    page.goto("/search?" + urlencode({"q": hostile}))  # type: ignore[attr-defined]
    page.wait_for_selector("ol.cards")  # type: ignore[attr-defined]
    page.focus("header input[name=q]")  # type: ignore[attr-defined]
    page.click("header input[name=q]")  # type: ignore[attr-defined]
    assert dialogs == []
    value = page.input_value("header input[name=q]")  # type: ignore[attr-defined]
    assert "onfocus=alert(1)" in value  # shown as the text it is
    # The votes the member can see are their own: nothing was voted by visiting the link.
    assert live_app.store.community.voted_ids(1) == []


def test_the_content_security_policy_blocks_injected_handlers(page: object, live_app: LiveApp) -> None:
    """Issue 16, finding 4: had markup got into a page, its inline handler would not have run."""
    page.goto("/papers/2511.00002")  # type: ignore[attr-defined]
    page.evaluate(  # type: ignore[attr-defined]
        'document.body.insertAdjacentHTML(\'beforeend\', \'<img src="/nothing.png" onerror="window.pwned = 1">'
        '<a id="js" href="javascript:window.pwned=2">x</a>\')'
    )
    page.wait_for_timeout(300)  # type: ignore[attr-defined]
    page.click("#js")  # type: ignore[attr-defined]
    page.wait_for_timeout(200)  # type: ignore[attr-defined]
    assert page.evaluate("window.pwned") is None  # type: ignore[attr-defined]


def test_the_api_docs_work_without_the_internet(page: object) -> None:
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith("http://127.0.0.1") else None)  # type: ignore[attr-defined]
    page.goto("/api/docs")  # type: ignore[attr-defined]
    page.wait_for_selector(".opblock-summary-path:has-text('/api/daily_papers')")  # type: ignore[attr-defined]
    shot(page, "api-docs")
    assert outside == []


def test_make_a_token_in_the_browser_and_use_it_from_a_script(page: object, live_app: LiveApp) -> None:
    import httpx

    sign_up(page, "tess")
    page.goto("/settings/tokens")  # type: ignore[attr-defined]
    page.fill("#token-name", "notebook")  # type: ignore[attr-defined]
    page.check("input[name=scope][value=write]")  # type: ignore[attr-defined]
    page.click("form.account button[type=submit]")  # type: ignore[attr-defined]
    token = page.inner_text("#new-token")  # type: ignore[attr-defined]
    shot(page, "api-token")
    with httpx.Client(base_url=live_app.url) as script:
        r = script.post("/api/papers/2511.00003/upvote", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json()["voted"] is True
    page.goto("/settings/tokens")  # type: ignore[attr-defined]  (visiting again: the token is not shown)
    assert page.locator("#new-token").count() == 0  # type: ignore[attr-defined]
    assert page.inner_text("table.tokens").count("notebook") == 1  # type: ignore[attr-defined]


def test_an_upvote_changes_the_for_you_page(page: object, live_app: LiveApp) -> None:
    sign_up(page, "mei")
    page.click("nav a:has-text('For you')")  # type: ignore[attr-defined]
    page.wait_for_url("**/for-you")  # type: ignore[attr-defined]
    assert page.is_visible("#cold-start")  # type: ignore[attr-defined]
    page.goto("/papers/c01")  # type: ignore[attr-defined]
    page.click(".paper-head form.vote button")  # type: ignore[attr-defined]
    page.wait_for_selector(".paper-head .vote button.voted")  # type: ignore[attr-defined]
    page.goto("/for-you")  # type: ignore[attr-defined]
    assert not page.is_visible("#cold-start")  # type: ignore[attr-defined]
    assert page.inner_text("#card-1 a.title") == "Diffusion Transformers at Scale"  # type: ignore[attr-defined]
    assert page.inner_text("#card-1 .because") == (  # type: ignore[attr-defined]
        "Because you upvoted Denoising Score Matching for Diffusion Models"
    )
    shot(page, "for-you")
    page.click("#card-1 form.dismiss button")  # type: ignore[attr-defined]
    page.wait_for_selector("#dismissed")  # type: ignore[attr-defined]
    assert page.inner_text("#card-1 a.title") != "Diffusion Transformers at Scale"  # type: ignore[attr-defined]
    assert "Diffusion Transformers at Scale" in page.inner_text("#dismissed")  # type: ignore[attr-defined]
    shot(page, "for-you-dismissed")


def test_save_to_a_collection_and_get_a_saved_search_alert_by_mail(page: object, live_app: LiveApp) -> None:
    from papertide.digest import MailConfig
    from papertide.digest.alerts import send_alerts
    from papertide.mail.mailer import SmtpMailer
    from papertide.sources.jsonl import parse_jsonl

    sign_up(page, "noa")
    page.goto("/papers/c01")  # type: ignore[attr-defined]
    page.click("form.save-to button")  # type: ignore[attr-defined]
    page.wait_for_selector(".in-collections a:has-text('Reading list')")  # type: ignore[attr-defined]
    page.goto("/for-you")  # type: ignore[attr-defined]
    assert page.inner_text("#card-1 .because").startswith("Because you saved Denoising Score")  # type: ignore[attr-defined]
    page.click("nav a:has-text('Library')")  # type: ignore[attr-defined]
    page.fill("input[name=name]", "Diffusion")  # type: ignore[attr-defined]
    page.check("input[name=public]")  # type: ignore[attr-defined]
    page.click("#collections button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_selector("h1:has-text('Diffusion')")  # type: ignore[attr-defined]
    assert "Public collection by noa" in page.inner_text(".heading")  # type: ignore[attr-defined]
    page.goto("/search?q=diffusion")  # type: ignore[attr-defined]
    page.click("#card-2 form.save button")  # type: ignore[attr-defined]
    page.wait_for_selector("#card-2 a.saved-link")  # type: ignore[attr-defined]
    page.check("form.save-search input[name=alert]")  # type: ignore[attr-defined]
    page.click("form.save-search button")  # type: ignore[attr-defined]
    page.wait_for_url("**/saved/*")  # type: ignore[attr-defined]
    assert page.is_checked("input[name=alert][value=immediate]")  # type: ignore[attr-defined]
    shot(page, "saved-search")
    mailer = SmtpMailer(live_app.mail.url)
    config = MailConfig(secret="s" * 40, base_url="http://papertide.test")
    try:
        assert send_alerts(live_app.store, mailer, config, live_app.clock.now).started
        record = b'{"id": "n1", "title": "Diffusion Models for Audio Synthesis", "abstract": "Speech by diffusion."}\n'
        live_app.pt.import_records(parse_jsonl([record], where="new"))
        assert send_alerts(live_app.store, mailer, config, live_app.clock.now).sent == 1
    finally:
        mailer.close()
    alert = live_app.mail.to("noa@example.org")[-1]
    assert str(alert["Subject"]).strip() == "papertide: 1 new paper for “diffusion”"
    page.set_content(alert.get_body(("html",)).get_content())  # type: ignore[attr-defined,union-attr]
    assert page.inner_text("h2 >> nth=0") == "New for “diffusion”"  # type: ignore[attr-defined]
    assert "Diffusion Models for Audio Synthesis" in page.inner_text("body")  # type: ignore[attr-defined]
    shot(page, "alert-email")


def test_dark_mode_follows_the_system_and_the_toggle_is_remembered(page: object) -> None:
    background = "getComputedStyle(document.body).backgroundColor"
    page.emulate_media(color_scheme="dark")  # type: ignore[attr-defined]
    page.goto("/search?q=diffusion")  # type: ignore[attr-defined]
    assert page.evaluate(background) == "rgb(15, 18, 22)"  # type: ignore[attr-defined]
    for width, scheme in ((1280, "dark"), (390, "dark"), (1280, "light"), (390, "light")):
        page.emulate_media(color_scheme=scheme)  # type: ignore[attr-defined]
        page.set_viewport_size({"width": width, "height": 900})  # type: ignore[attr-defined]
        shot(page, f"search-{width}-{scheme}")
    page.emulate_media(color_scheme="light")  # type: ignore[attr-defined]
    assert page.evaluate(background) == "rgb(255, 255, 255)"  # type: ignore[attr-defined]
    page.click("#theme-toggle")  # system -> dark, whatever the system says
    assert page.evaluate(background) == "rgb(15, 18, 22)"  # type: ignore[attr-defined]
    page.reload()  # type: ignore[attr-defined]
    assert page.evaluate(background) == "rgb(15, 18, 22)"  # type: ignore[attr-defined]
    assert page.get_attribute("#theme-toggle", "aria-label") == "Colour theme: dark"  # type: ignore[attr-defined]
    page.click("#theme-toggle")  # dark -> light
    assert page.evaluate(background) == "rgb(255, 255, 255)"  # type: ignore[attr-defined]


def test_discuss_a_paper_in_the_browser(page: object) -> None:
    sign_up(page, "uma")
    page.goto("/papers/c01")  # type: ignore[attr-defined]
    page.on("dialog", lambda d: (_ for _ in ()).throw(AssertionError("a script ran")))  # type: ignore[attr-defined]
    page.fill("#comment-body", "Does **this** beat $\\sigma$-smoothing? <script>alert(1)</script>")  # type: ignore[attr-defined]
    page.click("form.comment-form button")  # type: ignore[attr-defined]
    page.wait_for_selector(".comment .comment-body strong")  # type: ignore[attr-defined]
    body = page.inner_text(".comment .comment-body")  # type: ignore[attr-defined]
    assert body == "Does this beat σ-smoothing? <script>alert(1)</script>"
    page.click(".comment a.reply-link")  # type: ignore[attr-defined]
    page.wait_for_selector("label[for=comment-body]:has-text('Reply to uma')")  # type: ignore[attr-defined]
    page.fill("#comment-body", "Answering myself: yes.")  # type: ignore[attr-defined]
    page.click("form.comment-form button")  # type: ignore[attr-defined]
    page.wait_for_selector(".comment.depth-1")  # type: ignore[attr-defined]
    assert page.inner_text("#discussion h2").startswith("Discussion (2)")  # type: ignore[attr-defined]
    shot(page, "discussion")


def test_the_header_is_one_row_at_390_px_with_a_menu(page: object) -> None:
    sign_up(page, "vic")
    page.set_viewport_size({"width": 390, "height": 800})  # type: ignore[attr-defined]
    page.goto("/papers/trending")  # type: ignore[attr-defined]
    header = page.locator("header.top").bounding_box()  # type: ignore[attr-defined]
    assert header["height"] < 56, header  # one row
    assert not page.is_visible("header nav.primary")  # type: ignore[attr-defined]
    page.click("details.menu summary")  # type: ignore[attr-defined]
    shot(page, "header-390-menu")
    page.click(".menu-panel a:has-text('Library')")  # type: ignore[attr-defined]
    page.wait_for_url("**/library")  # type: ignore[attr-defined]
    page.set_viewport_size({"width": 1280, "height": 800})  # type: ignore[attr-defined]
    assert page.is_visible("header nav.primary") and not page.is_visible("details.menu")  # type: ignore[attr-defined]


def test_error_pages_say_what_to_do_next(page: object) -> None:
    page.goto("/papers/no-such-paper")  # type: ignore[attr-defined]
    assert page.inner_text("h1") == "Not found"  # type: ignore[attr-defined]
    assert page.inner_text("p.error") == "no paper no-such-paper"  # type: ignore[attr-defined]
    page.fill(".error-page input[name=q]", "diffusion")  # type: ignore[attr-defined]
    page.click(".error-page button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url("**/search?q=diffusion")  # type: ignore[attr-defined]
    page.goto("/papers?month=2025-13")  # type: ignore[attr-defined]
    assert page.inner_text("h1") == "That request cannot be used"  # type: ignore[attr-defined]
    shot(page, "error-400")


AUDITED = [
    "/",
    "/papers?week=2025-W45",
    "/papers/trending",
    "/search?q=diffusion",
    "/search?q=xyzzyqwerty",
    "/papers/c01",
    "/for-you",
    "/library",
    "/signals",
    "/settings/digest",
    "/settings/tokens",
    "/submit",
    "/signin",
    "/signup",
    "/moderation",
    "/map",  # its empty state here (no vectors); the drawn map is audited in test_browser_map.py
    "/papers/no-such-paper",
]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_or_critical_accessibility_violation(browser: object, live_app: LiveApp, scheme: str) -> None:
    """axe-core (the copy axe-playwright-python ships) on every kind of page, signed in, with a
    comment and a saved search in place, in light and dark."""
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(base_url=live_app.url, viewport={"width": 1280, "height": 900}, color_scheme=scheme)  # type: ignore[attr-defined]
    page = context.new_page()
    page.live_app = live_app
    sign_up(page, f"axe{scheme}")
    live_app.pt.moderation.set_role(f"axe{scheme}", "moderator")  # the moderation queue is audited too
    page.goto("/papers/c01")
    page.fill("#comment-body", "A *comment* to audit")
    page.click("form.comment-form button")
    page.wait_for_selector(".comment")
    page.click("form.save-to button")
    collection = page.get_attribute(".in-collections a", "href")
    page.goto("/search?q=diffusion")
    page.click("form.save-search button")
    page.wait_for_url("**/saved/*")
    pages = [*AUDITED, page.url.removeprefix(live_app.url), str(collection)]
    axe, found = Axe(), {}
    for path in pages:
        page.goto(path)
        results = axe.run(page)
        bad = [
            f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if bad:
            found[path] = bad
    context.close()
    assert found == {}


def test_cards_lead_with_the_first_page(page: object, live_app: LiveApp) -> None:
    from papertide.catalogue.thumbnails import render_first_page

    from conftest import FIXTURES

    live_app.pt.thumbnails_dir.mkdir(parents=True, exist_ok=True)
    pdf = (FIXTURES / "pdf" / "2011.13456.pdf").read_bytes()
    (live_app.pt.thumbnails_dir / "2511.00003.webp").write_bytes(render_first_page(pdf))
    page.goto("/papers?week=2025-W45")  # type: ignore[attr-defined]
    # Wait for the image to finish (a busy machine can still be fetching it when the page is done).
    width = page.evaluate(  # type: ignore[attr-defined]
        """() => { const img = document.querySelector('.card .thumb img');
        return img.complete ? img.naturalWidth : new Promise(done => {
            img.addEventListener('load', () => done(img.naturalWidth));
            img.addEventListener('error', () => done(0)); }); }"""
    )
    assert width == 360  # the image loaded (a broken image has naturalWidth 0)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)  # type: ignore[attr-defined]
        shot(page, f"week-thumbnails-1280-{scheme}")


def test_report_moderate_and_claim_in_the_browser(browser: object, live_app: LiveApp) -> None:
    """A reader reports a comment and claims authorship; a moderator hides the comment and
    approves the claim, all by clicking."""
    contexts = []

    def person(handle: str) -> object:
        context = browser.new_context(base_url=live_app.url, viewport={"width": 1100, "height": 900})  # type: ignore[attr-defined]
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.live_app = live_app
        sign_up(page, handle)
        return page

    troll, yang, mod = person("troll"), person("yang"), person("modo")
    live_app.pt.moderation.set_role("modo", "moderator")
    troll.goto("/papers/c01")  # type: ignore[attr-defined]
    troll.fill("#comment-body", "Buy cheap watches")  # type: ignore[attr-defined]
    troll.click("form.comment-form button")  # type: ignore[attr-defined]
    troll.wait_for_selector(".comment")  # type: ignore[attr-defined]
    yang.goto("/papers/c01")  # type: ignore[attr-defined]
    yang.click(".comment a.report-link")  # type: ignore[attr-defined]
    yang.fill("input[name=reason]", "spam")  # type: ignore[attr-defined]
    yang.click("form.stacked button")  # type: ignore[attr-defined]
    yang.wait_for_selector("p.notice:has-text('the moderators will look at it')")  # type: ignore[attr-defined]
    yang.goto("/papers/c01")  # type: ignore[attr-defined]
    yang.click("details.claim summary")  # type: ignore[attr-defined]
    yang.select_option("details.claim select", "Yang Song")  # type: ignore[attr-defined]
    yang.click("details.claim button")  # type: ignore[attr-defined]
    yang.wait_for_selector("h1:has-text('Claim sent')")  # type: ignore[attr-defined]
    mod.goto("/")  # type: ignore[attr-defined]  (the role came after the page was drawn)
    mod.click("footer a:has-text('Moderation')")  # type: ignore[attr-defined]
    mod.wait_for_url("**/moderation")  # type: ignore[attr-defined]
    assert "troll: Buy cheap watches" in mod.inner_text(".reports")  # type: ignore[attr-defined]
    shot(mod, "moderation")
    mod.fill(".report input[name=reason]", "spam")  # type: ignore[attr-defined]
    mod.click(".report button:has-text('Hide comment')")  # type: ignore[attr-defined]
    mod.wait_for_selector("p.empty:has-text('No open reports')")  # type: ignore[attr-defined]
    mod.click("#claims button:has-text('Approve')")  # type: ignore[attr-defined]
    mod.wait_for_selector("#claims p.empty")  # type: ignore[attr-defined]
    yang.goto("/papers/c01")  # type: ignore[attr-defined]
    assert yang.inner_text(".comment") == "[hidden by a moderator]"  # type: ignore[attr-defined]
    assert yang.inner_text("a.claimed") == "(@yang)"  # type: ignore[attr-defined]
    for context in contexts:
        context.close()  # type: ignore[attr-defined]


def test_time_zone_is_guessed_from_the_browser_and_searchable_and_dates_have_presets(
    browser: object, live_app: LiveApp
) -> None:
    context = browser.new_context(base_url=live_app.url, timezone_id="Asia/Tokyo")  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.live_app = live_app
    sign_up(page, "kenji")
    page.goto("/settings/digest")
    assert page.input_value("#timezone") == "Asia/Tokyo"  # the browser's zone, not UTC
    assert page.evaluate("document.querySelectorAll('#timezones option').length") > 300
    page.fill("#timezone", "Europe/Pa")  # the datalist offers Europe/Paris as the reader types
    page.fill("#timezone", "Not/AZone")
    page.click("button[value=subscribe]")
    assert "unknown time zone" in page.inner_text("p.error")
    page.goto("/search?q=diffusion")
    page.click(".presets a:has-text('past week')")
    page.wait_for_url("**since=2025-10-29**")  # the app's clock: 2025-11-05
    assert page.get_attribute(".presets a:has-text('past week')", "aria-current") == "true"
    assert [t for t in page.locator("a.title").all_inner_texts()] == ["Diffusion Transformers at Scale"]
    context.close()
