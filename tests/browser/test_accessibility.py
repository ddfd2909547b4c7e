"""WCAG 2.2 AA, as axe-core and the browser can check it: light and dark, wide and 320 px."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import SITE_LAYOUT, Visitor, VisitorFactory
from tests.toolkit import url

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.browser.urls")]

AXE = Axe()
# Every WCAG 2.0 to 2.2 A and AA rule (target-size included) and axe's best practices.
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
WIDTHS = [1280, 320]
SCHEMES = ["light", "dark"]


def settled(page: Page) -> None:
    """No animation running: axe measures contrast on what the visitor finally sees."""
    page.wait_for_function("() => document.getAnimations().every((a) => a.playState != 'running')")


VIEWS = ["banner", "dialog", "policy", "standalone policy"]


def show(visitor: Visitor, view: str) -> Page:
    if view.endswith("policy"):
        return visitor.open(url("policy"))
    page = visitor.open("/")
    # Every control of the banner, the disclosed ones included.
    page.get_by_text("Choose", exact=True).click()
    if view == "dialog":
        page.get_by_role("link", name="Cookie settings").click()
        expect(page.get_by_role("dialog")).to_be_visible()
    settled(page)
    return page


@pytest.fixture(params=VIEWS)
def view(request: pytest.FixtureRequest, settings: Any) -> str:
    """What to check; the standalone policy page is the app's own layout, not the site's."""
    if request.param == "standalone policy":
        engine = settings.TEMPLATES[0]
        dirs = [path for path in engine["DIRS"] if path != SITE_LAYOUT]
        settings.TEMPLATES = [{**engine, "DIRS": dirs}]
    return str(request.param)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_no_violation(
    visitor_factory: VisitorFactory, view: str, width: int, scheme: Any
) -> None:
    visitor = visitor_factory(viewport={"width": width, "height": 800}, color_scheme=scheme)
    page = show(visitor, view)

    results = AXE.run(page, options=AXE_OPTIONS)

    assert results.violations_count == 0, results.generate_report()


def test_reflow_at_320_px(visitor_factory: VisitorFactory, view: str) -> None:
    visitor = visitor_factory(viewport={"width": 320, "height": 640})
    page = show(visitor, view)

    # Nothing wider than the screen: no horizontal scrolling, in the page or the dialog.
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    if view == "dialog":
        assert page.evaluate("document.querySelector('dialog').scrollWidth") <= 320


def too_small(controls: Locator) -> list[str]:
    """The controls smaller than 24 by 24 CSS pixels (WCAG 2.5.8)."""
    small = []
    for index in range(controls.count()):
        control = controls.nth(index)
        box = control.bounding_box()
        assert box is not None
        # Rounded: a centred dialog lays its 24 px boxes out at fractional positions.
        if round(box["width"], 2) < 24 or round(box["height"], 2) < 24:
            small.append(f"{control.evaluate('(e) => e.outerHTML')[:80]}: {box}")
    return small


CONTROLS = "button:visible, summary:visible, input:visible, a:visible"


@pytest.mark.parametrize("width", WIDTHS)
def test_targets_are_at_least_24_px(visitor_factory: VisitorFactory, width: int) -> None:
    page = show(visitor_factory(viewport={"width": width, "height": 800}), "banner")
    assert too_small(page.locator("#cc-banner").locator(CONTROLS)) == []
    assert too_small(page.locator(".cc-settings-link")) == []

    page.get_by_role("link", name="Cookie settings").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    assert too_small(dialog.locator(CONTROLS)) == []


def test_banner_is_a_labelled_region_before_the_page(visitor: Visitor) -> None:
    page = visitor.open("/")

    banner = page.get_by_role("region", name="Cookies on this site")
    expect(banner).to_be_visible()
    assert banner.evaluate(
        "(b) => !!(b.compareDocumentPosition(document.querySelector('main'))"
        " & Node.DOCUMENT_POSITION_FOLLOWING)"
    )
    # In the page's flow, not over it: nothing of the page is hidden behind it.
    assert banner.evaluate("(b) => getComputedStyle(b).position") == "static"


@pytest.mark.parametrize(("motion", "animation"), [("reduce", "none"), ("no-preference", "cc-in")])
def test_the_dialog_moves_only_for_who_welcomes_motion(
    visitor_factory: VisitorFactory, motion: Any, animation: str
) -> None:
    page = visitor_factory(reduced_motion=motion).open("/")

    page.get_by_role("link", name="Cookie settings").click()

    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    assert dialog.evaluate("(d) => getComputedStyle(d).animationName") == animation
