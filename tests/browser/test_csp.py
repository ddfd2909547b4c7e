"""A strict Content-Security-Policy: the app needs no inline script or style to do its work."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SAVED, Visitor
from tests.browser.views import CSP, NONCE_CSP
from tests.toolkit import url

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.browser.urls")]


def complaints(visitor: Visitor) -> list[str]:
    """Console errors and warnings, and the CSP violations the page reported."""
    console = [f"{m.type}: {m.text}" for m in visitor.console if m.type in ("error", "warning")]
    return console + visitor.csp_violations()


def test_a_whole_visit_under_a_strict_policy(visitor: Visitor) -> None:
    response = visitor.page.goto(visitor.base_url + "/consent-mode/")
    assert response is not None
    assert response.headers["content-security-policy"] == CSP
    page = visitor.page

    page.get_by_text("Choose", exact=True).click()
    page.locator("#cc-banner-statistics").check()
    page.get_by_role("button", name="Save choices").click()
    expect(page.locator("[data-cc-live]")).to_have_text(SAVED)
    page.wait_for_function("() => window.__gatedRuns === 1")
    page.get_by_role("link", name="Cookie settings").click()
    page.get_by_role("dialog").get_by_role("button", name="Accept all").click()
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert complaints(visitor) == []

    visitor.open(url("policy"))
    visitor.open(url("preferences"))
    assert complaints(visitor) == []


def test_the_watch_would_see_a_violation(visitor: Visitor) -> None:
    """The test above can fail: an inline script here is blocked and reported."""
    page = visitor.open("/other/")

    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__inline = true";
          document.body.append(script);
        }"""
    )

    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert page.evaluate("window.__inline") is None
    assert complaints(visitor)


def test_a_nonce_only_policy(visitor: Visitor) -> None:
    response = visitor.page.goto(visitor.base_url + "/nonce/")
    assert response is not None
    assert response.headers["content-security-policy"] == NONCE_CSP
    page = visitor.page
    banner = page.locator("#cc-banner")

    # The stylesheet applied and both copies of the script ran: each carried the nonce.
    expect(banner).to_have_css("border-bottom-style", "solid")
    assert page.evaluate("window.dataLayer.length") == 1
    banner.get_by_role("button", name="Accept all").click()
    expect(page.locator("[data-cc-live]")).to_have_text(SAVED)
    assert page.evaluate("window.dataLayer.length") == 2
    # A gated inline script keeps its nonce when the script re-creates it.
    page.wait_for_function("() => window.__inlineGated === 1")
    assert complaints(visitor) == []
