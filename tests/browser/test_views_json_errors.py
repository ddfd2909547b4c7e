"""With JavaScript: the update view's JSON refusals are what the visitor reads (issue 11)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Visitor

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.browser.urls")]

CSRF_REFUSED = (
    "Your choice was not saved: the page's security token (CSRF) is missing or out of date. "
    "Reload the page and try again."
)


def test_a_csrf_refusal_tells_the_visitor_to_reload(visitor: Visitor) -> None:
    page = visitor.open("/")
    visitor.context.clear_cookies()  # the banner's token no longer matches any cookie

    page.get_by_role("button", name="Accept all").click()

    expect(page.locator("#cc-banner [data-cc-status]")).to_have_text(CSRF_REFUSED)
    expect(page.locator("#cc-banner")).to_be_visible()
    assert "cookies_preferences" not in visitor.cookies()
