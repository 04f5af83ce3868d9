"""The map in a real headless Chromium: it draws, pointing at a dot names the paper, clicking
opens it, keys and buttons zoom, a region can be singled out, a search rings its papers;
screenshots at 1280 and 390 px, light and dark."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from test_browser import ARGS, CHROMIUM, browser, shot  # noqa: F401  (browser: the module's fixture)

from conftest import LiveApp

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
    pytest.mark.slow,  # real Chromium
]


@pytest.fixture
def map_page(browser: object, live_app: LiveApp) -> Iterator[object]:  # noqa: F811
    context = browser.new_context(base_url=live_app.url, viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def drawn_pixels(page: object) -> int:
    return int(
        page.evaluate(  # type: ignore[attr-defined]
            """() => { const c = document.getElementById('map');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"""
        )
    )


@pytest.mark.parametrize("live_app", ["vectors"], indirect=True)
def test_the_map_draws_names_and_opens_papers(map_page: object) -> None:
    page = map_page
    page.goto("/map")  # type: ignore[attr-defined]
    page.wait_for_selector("canvas[data-ready=true]")  # type: ignore[attr-defined]
    assert drawn_pixels(page) > 17 * 4  # every dot, and the labels
    assert page.inner_text("#map-status") == "17 papers"  # type: ignore[attr-defined]
    x, y = page.evaluate("papertideMap.screenOf('c01')")  # type: ignore[attr-defined]
    box = page.locator("#map").bounding_box()  # type: ignore[attr-defined]
    page.mouse.move(box["x"] + x, box["y"] + y)  # type: ignore[attr-defined]
    page.wait_for_selector("#map-tip:has-text('Denoising Score Matching for Diffusion Models')")  # type: ignore[attr-defined]
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)  # type: ignore[attr-defined]
        shot(page, f"map-1280-{scheme}")
    page.mouse.click(box["x"] + x, box["y"] + y)  # type: ignore[attr-defined]
    page.wait_for_url("**/papers/c01")  # type: ignore[attr-defined]


@pytest.mark.parametrize("live_app", ["vectors"], indirect=True)
def test_keys_buttons_regions_and_a_search(map_page: object) -> None:
    page = map_page
    page.goto("/map?q=diffusion")  # type: ignore[attr-defined]
    page.wait_for_selector("canvas[data-ready=true]")  # type: ignore[attr-defined]
    status = page.inner_text("#map-status")  # type: ignore[attr-defined]
    assert status.startswith("17 papers, ") and status.endswith(" found by the search ringed")
    before = page.evaluate("papertideMap.screenOf('c01')")  # type: ignore[attr-defined]
    page.focus("#map")  # type: ignore[attr-defined]
    page.keyboard.press("+")  # type: ignore[attr-defined]
    page.keyboard.press("ArrowLeft")  # type: ignore[attr-defined]
    after = page.evaluate("papertideMap.screenOf('c01')")  # type: ignore[attr-defined]
    assert after != before
    page.keyboard.press("0")  # type: ignore[attr-defined]
    page.wait_for_timeout(100)  # type: ignore[attr-defined]
    assert page.evaluate("papertideMap.screenOf('c01')") == before  # type: ignore[attr-defined]
    page.click("[data-zoom=in]")  # type: ignore[attr-defined]
    assert page.evaluate("papertideMap.screenOf('c01')") != before  # type: ignore[attr-defined]
    first = page.locator("[data-cluster]").first  # type: ignore[attr-defined]
    first.click()
    assert first.get_attribute("aria-pressed") == "true"
    page.click("[data-zoom=reset]")  # type: ignore[attr-defined]
    assert first.get_attribute("aria-pressed") == "false"  # the whole map again: no region singled out
    first.click()
    page.set_viewport_size({"width": 390, "height": 844})  # type: ignore[attr-defined]
    page.click("[data-zoom=reset]")  # type: ignore[attr-defined]
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)  # type: ignore[attr-defined]
        shot(page, f"map-390-{scheme}")
    # Enter opens the paper nearest the centre (keyboard readers cannot point).
    page.focus("#map")  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    page.wait_for_url("**/papers/*")  # type: ignore[attr-defined]


@pytest.mark.parametrize("live_app", ["vectors"], indirect=True)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_drawn_map_has_no_serious_accessibility_violation(map_page: object, scheme: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = map_page
    page.emulate_media(color_scheme=scheme)  # type: ignore[attr-defined]
    page.goto("/map?q=diffusion")  # type: ignore[attr-defined]
    page.wait_for_selector("canvas[data-ready=true]")  # type: ignore[attr-defined]
    violations = Axe().run(page).response["violations"]
    assert [v["id"] for v in violations if v["impact"] in ("serious", "critical")] == []


@pytest.mark.parametrize("live_app", ["vectors"], indirect=True)
def test_a_sampled_map_still_rings_every_paper_of_a_search(map_page: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from papertide.index import maps

    monkeypatch.setattr(maps, "SHOWN", 5)  # the server runs in this process: 5 of the 17 are sent
    page = map_page
    page.goto("/map?q=diffusion")  # type: ignore[attr-defined]
    page.wait_for_selector("canvas[data-ready=true]")  # type: ignore[attr-defined]
    hits = page.get_attribute("#map", "data-hits").split()  # type: ignore[attr-defined]
    status = page.inner_text("#map-status")  # type: ignore[attr-defined]
    assert status == f"5 of 17 papers (a sample), {len(hits)} found by the search ringed"
    for paper_id in hits:  # each one has a place, sent or not
        assert page.evaluate(f"papertideMap.screenOf('{paper_id}')") is not None  # type: ignore[attr-defined]
