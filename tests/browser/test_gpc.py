"""Global Privacy Control: the Sec-GPC header on the server, the navigator's flag in the script."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from cookie_consent.models import CookieCategory
from tests.browser.conftest import SAVED, Visitor, VisitorFactory

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.browser.urls")]

# What a browser (or an extension) that signals GPC to scripts only looks like.
NAVIGATOR_GPC = """
Object.defineProperty(Navigator.prototype, "globalPrivacyControl", {
  get: () => true, configurable: true,
});
"""
EVERY_OPTIONAL = "Statistical cookies, Internal or first-party cookies, Third-party cookies."


@pytest.fixture
def gpc_visitor(visitor_factory: VisitorFactory) -> Visitor:
    visitor = visitor_factory()
    visitor.context.add_init_script(NAVIGATOR_GPC)
    return visitor


def test_header_no_consent_cookie_and_a_notice(visitor_factory: VisitorFactory) -> None:
    visitor = visitor_factory(extra_http_headers={"Sec-GPC": "1"})

    page = visitor.open("/")

    expect(page.locator("#cc-gpc-notice")).to_contain_text(EVERY_OPTIONAL)
    expect(page.locator("#cc-banner")).to_have_count(0)
    assert page.evaluate("cookieConsent.gpc") is True
    assert page.evaluate("window.__gatedRuns") is None
    visitor.open("/sets-ga/")
    assert visitor.open("/writes-ga/").evaluate("window.__gaWritten")
    visitor.open("/other/")
    # Not even a consent cookie, nor a CSRF one (the notice has no form): the signal is
    # the answer, nothing is stored.
    assert set(visitor.cookies()) == set()


def test_navigator_flag_shows_the_notice_instead_of_the_banner(gpc_visitor: Visitor) -> None:
    page = gpc_visitor.open("/")

    expect(page.locator("#cc-gpc-notice")).to_contain_text(EVERY_OPTIONAL)
    expect(page.locator("#cc-banner")).to_have_count(0)
    assert page.evaluate("cookieConsent.gpc") is True
    assert page.evaluate("cookieConsent.granted('statistics')") is False
    assert page.evaluate("window.__gatedRuns") is None
    assert "cookies_preferences" not in gpc_visitor.cookies()

    # An explicit choice is still possible, and counts.
    page.locator("#cc-gpc-notice").get_by_role("link", name="Change your choices").click()
    dialog = page.get_by_role("dialog", name="Cookie preferences")
    dialog.get_by_label("Allow Statistical cookies").check()
    dialog.get_by_role("button", name="Save choices").click()
    expect(page.locator("[data-cc-live]")).to_have_text(SAVED)
    expect(page.locator("#cc-gpc-notice")).to_have_count(0)
    page.wait_for_function("() => window.__gatedRuns === 1")


def test_navigator_flag_leaves_the_banner_what_it_does_not_cover(gpc_visitor: Visitor) -> None:
    CookieCategory.objects.filter(slug="first_party").update(honors_gpc=False)
    page = gpc_visitor.open("/")

    banner = page.locator("#cc-banner")
    expect(page.locator("#cc-gpc-notice")).to_contain_text(
        "Statistical cookies, Third-party cookies."
    )
    page.get_by_text("Choose", exact=True).click()
    expect(banner.get_by_role("checkbox")).to_have_count(1)
    expect(banner.get_by_role("checkbox")).to_have_accessible_name(
        "Internal or first-party cookies"
    )

    banner.get_by_role("button", name="Accept all").click()
    expect(page.locator("[data-cc-live]")).to_have_text(SAVED)

    # "Accept all" accepted what the banner asked; the signal answered the rest.
    assert gpc_visitor.decisions() == {"first_party": "1", "statistics": "0", "third_party": "0"}
    assert page.evaluate("window.__gatedRuns") is None


def test_without_the_signal_the_banner_asks_everything(visitor: Visitor) -> None:
    page = visitor.open("/")

    page.get_by_text("Choose", exact=True).click()
    expect(page.locator("#cc-banner").get_by_role("checkbox")).to_have_count(3)
    expect(page.locator("#cc-gpc-notice")).to_have_count(0)
    assert page.evaluate("cookieConsent.gpc") is False


def test_navigator_flag_ignored_when_the_site_does_not_honour_gpc(
    gpc_visitor: Visitor, settings: Any
) -> None:
    settings.COOKIE_CONSENT_HONOR_GPC = False

    page = gpc_visitor.open("/")

    expect(page.locator("#cc-banner")).to_be_visible()
    expect(page.locator("#cc-gpc-notice")).to_have_count(0)
    assert page.evaluate("cookieConsent.gpc") is False
