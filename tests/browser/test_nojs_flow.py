"""Without JavaScript: plain form posts and redirects do all of it, the same cookies result."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ALL_GRANTED, NECESSARY, ONLY_NECESSARY, Visitor
from tests.toolkit import url

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.browser.urls")]


def press_and_return(visitor: Visitor, button: str, path: str = "/") -> Page:
    """Press a banner button and follow the redirect back to the page."""
    page = visitor.open(path)
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()
    assert page.url == visitor.base_url + path
    expect(page.locator("#cc-banner")).to_have_count(0)
    return page


def test_the_script_only_parts_stay_hidden(no_js: Visitor) -> None:
    page = no_js.open("/")

    expect(page.get_by_role("region", name="Cookies on this site")).to_be_visible()
    expect(page.get_by_role("button", name="Reload the page")).to_be_hidden()
    expect(page.locator("dialog")).to_be_hidden()
    assert page.locator("[data-cc-live]").inner_text() == ""


def test_accept_all(no_js: Visitor) -> None:
    page = press_and_return(no_js, "Accept all")

    assert no_js.granted() == ALL_GRANTED
    assert no_js.decisions() == {"first_party": "1", "statistics": "1", "third_party": "1"}
    expect(page.locator("template.cc-gate")).to_have_count(0)
    expect(page.locator("#statistics-content")).to_be_visible()
    no_js.open("/sets-ga/")
    assert set(no_js.cookies()) == NECESSARY | {"_ga"}


def test_reject_all(no_js: Visitor) -> None:
    # A statistics cookie from an earlier visit: expired by the answer to the refusal.
    no_js.context.add_cookies([{"name": "_ga", "value": "GA1.1.old", "url": no_js.base_url}])

    page = press_and_return(no_js, "Reject all")

    assert set(no_js.cookies()) == NECESSARY
    assert no_js.granted() == ONLY_NECESSARY
    expect(page.locator("template.cc-gate")).to_have_count(2)
    # What a page script would write after the refusal, the next response expires.
    no_js.context.add_cookies([{"name": "_ga", "value": "GA1.1.new", "url": no_js.base_url}])
    no_js.open("/other/")
    assert set(no_js.cookies()) == NECESSARY
    no_js.open("/sets-ga/")
    assert set(no_js.cookies()) == NECESSARY


def test_choose_in_the_banner(no_js: Visitor) -> None:
    page = no_js.open("/")
    page.get_by_text("Choose", exact=True).click()  # <details> opens without a script
    page.locator("#cc-banner-statistics").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save choices").click()

    assert no_js.granted() == {**ONLY_NECESSARY, "statistics": True}
    expect(page.locator("#statistics-content")).to_be_visible()
    expect(page.locator("template.cc-gate[data-cc-category=third_party]")).to_have_count(1)


def test_change_later_and_withdraw(no_js: Visitor) -> None:
    page = press_and_return(no_js, "Accept all", "/other/")

    with page.expect_navigation():
        page.get_by_role("link", name="Cookie settings").click()
    assert page.url == no_js.base_url + url("preferences", next="/other/")
    page.get_by_label("Allow Statistical cookies").uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name="Save choices").click()

    assert page.url == no_js.base_url + "/other/"
    assert no_js.decisions() == {"first_party": "1", "statistics": "0", "third_party": "1"}
    no_js.context.add_cookies([{"name": "_ga", "value": "GA1.1.old", "url": no_js.base_url}])
    page = no_js.open("/")
    assert set(no_js.cookies()) == NECESSARY
    expect(page.locator("template.cc-gate[data-cc-category=statistics]")).to_have_count(1)
    expect(page.locator("#third-party-content")).to_be_visible()
