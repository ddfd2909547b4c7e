"""With JavaScript: every decision is a fetch to the update view, and the page stays."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import DatabaseError
from playwright.sync_api import Page, expect

from cookie_consent.models import ConsentRecord
from tests.browser.conftest import (
    ALL_GRANTED,
    NECESSARY,
    ONLY_NECESSARY,
    SAVED,
    WITHDRAWN,
    Visitor,
)
from tests.toolkit import url

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.browser.urls")]


def live(page: Page) -> str:
    return page.locator("[data-cc-live]").inner_text()


def wait_saved(page: Page, text: str = SAVED) -> None:
    expect(page.locator("[data-cc-live]")).to_have_text(text)


def test_accept_all_closes_the_banner_in_place(visitor: Visitor) -> None:
    page = visitor.open("/")
    visitor.mark_document()

    page.get_by_role("button", name="Accept all").click()

    wait_saved(page)
    expect(page.locator("#cc-banner")).to_have_count(0)
    assert visitor.same_document()
    assert visitor.granted() == ALL_GRANTED
    assert visitor.decisions() == {"first_party": "1", "statistics": "1", "third_party": "1"}
    # The banner's button is gone: focus goes to the message, not to the top of the page.
    assert page.evaluate("document.activeElement.hasAttribute('data-cc-live')")


def test_reject_all_leaves_only_necessary_cookies(visitor: Visitor) -> None:
    page = visitor.open("/writes-ga/")
    assert page.evaluate("window.__gaWritten")  # the page's careless script, before any choice

    page.get_by_role("button", name="Reject all").click()

    wait_saved(page)
    assert set(visitor.cookies()) == NECESSARY
    assert visitor.granted() == ONLY_NECESSARY
    # After the refusal the script writes it again; the next response expires it.
    assert visitor.open("/writes-ga/").evaluate("window.__gaWritten")
    visitor.open("/other/")
    assert set(visitor.cookies()) == NECESSARY


def test_choose_in_the_banner(visitor: Visitor) -> None:
    page = visitor.open("/")
    visitor.mark_document()

    page.get_by_text("Choose", exact=True).click()
    page.locator("#cc-banner-statistics").check()
    page.get_by_role("button", name="Save choices").click()

    wait_saved(page)
    assert visitor.same_document()
    assert visitor.granted() == {**ONLY_NECESSARY, "statistics": True}
    expect(page.locator("#statistics-content")).to_be_visible()
    expect(page.locator("#third-party-content")).to_have_count(0)
    visitor.open("/sets-ga/")
    assert set(visitor.cookies()) == NECESSARY | {"_ga"}


def test_change_later_and_withdraw(visitor: Visitor) -> None:
    page = visitor.open("/")
    page.get_by_role("button", name="Accept all").click()
    wait_saved(page)
    page = visitor.open("/")
    expect(page.locator("#cc-banner")).to_have_count(0)
    visitor.mark_document()

    page.get_by_role("link", name="Cookie settings").click()
    dialog = page.get_by_role("dialog", name="Cookie preferences")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Allow Statistical cookies").uncheck()
    dialog.get_by_role("button", name="Save choices").click()

    expect(dialog).to_be_hidden()
    wait_saved(page, WITHDRAWN)
    assert visitor.same_document()
    assert visitor.decisions() == {"first_party": "1", "statistics": "0", "third_party": "1"}
    # Focus is back where the visitor opened the dialog.
    assert page.evaluate("document.activeElement.classList.contains('cc-settings-link')")
    page.get_by_role("button", name="Reload the page").click()
    expect(page.locator("template.cc-gate[data-cc-category=statistics]")).to_have_count(1)
    assert not visitor.same_document()
    assert page.evaluate("window.__gatedRuns") is None


def test_granting_more_later_is_not_a_withdrawal(visitor: Visitor) -> None:
    page = visitor.open("/")
    page.get_by_role("button", name="Reject all").click()
    wait_saved(page)

    page.get_by_role("link", name="Cookie settings").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Accept all").click()

    expect(dialog).to_be_hidden()
    wait_saved(page)
    expect(page.get_by_role("button", name="Reload the page")).to_be_hidden()
    page.wait_for_function("() => window.__gatedRuns === 1")


def test_event_and_api(visitor: Visitor) -> None:
    page = visitor.open("/")
    page.evaluate(
        """() => {
          window.__events = [];
          window.__calls = [];
          document.addEventListener("cookie-consent:change", (e) => __events.push(e.detail));
          window.__stop = cookieConsent.onChange((state) => __calls.push(state));
        }"""
    )
    assert page.evaluate("cookieConsent.granted('necessary')") is True
    assert page.evaluate("cookieConsent.granted('statistics')") is False
    assert page.evaluate("cookieConsent.granted('no-such-category')") is False
    assert page.evaluate("cookieConsent.gpc") is False
    # A page script's own click on document: the script must not trip over it.
    page.evaluate("document.dispatchEvent(new MouseEvent('click', {bubbles: true}))")
    loaded = page.evaluate("cookieConsent.state")
    assert loaded["consent_id"] is None
    assert loaded["needs_decision"] is True

    page.get_by_text("Choose", exact=True).click()
    page.locator("#cc-banner-third_party").check()
    page.get_by_role("button", name="Save choices").click()
    wait_saved(page)

    events = page.evaluate("__events")
    assert len(events) == 1
    assert events == page.evaluate("__calls")
    state = events[0]
    assert state == page.evaluate("cookieConsent.state")
    assert state["consent_id"] == visitor.state()["consent_id"]
    assert {c["slug"]: c["granted"] for c in state["categories"]} == {
        **ONLY_NECESSARY,
        "third_party": True,
    }
    # The same keys on load and after a change: the API's, without the long texts.
    assert set(state["categories"][0]) == set(loaded["categories"][0])
    assert "cookies" not in state["categories"][0]
    assert page.evaluate("cookieConsent.granted('third_party')") is True

    page.evaluate("__stop()")
    page.evaluate("cookieConsent.showPreferences()")
    dialog = page.get_by_role("dialog", name="Cookie preferences")
    dialog.get_by_role("button", name="Reject all").click()
    expect(dialog).to_be_hidden()
    wait_saved(page, WITHDRAWN)
    assert len(page.evaluate("__events")) == 2
    assert len(page.evaluate("__calls")) == 1


SERVER_ERROR = "Your choice could not be saved just now. Nothing was changed; please try again."
GENERIC_ERROR = "Your cookie choice could not be saved. Please try again."


def test_a_server_error_is_shown_and_the_banner_stays_usable(visitor: Visitor) -> None:
    page = visitor.open("/")
    accept = page.get_by_role("button", name="Accept all")
    status = page.locator("#cc-banner [data-cc-status]")

    # The consent record cannot be written: the view answers 503 and stores nothing.
    with mock.patch.object(ConsentRecord, "save", side_effect=DatabaseError("down")):
        accept.click()
        expect(status).to_have_text(SERVER_ERROR)
    assert "cookies_preferences" not in visitor.cookies()
    expect(page.locator("#cc-banner")).to_be_visible()
    assert live(page) == ""

    accept.click()
    wait_saved(page)
    assert visitor.granted() == ALL_GRANTED


def test_a_network_failure_is_shown_and_the_banner_stays_usable(visitor: Visitor) -> None:
    page = visitor.open("/")
    page.route(f"**{url('update')}", lambda route: route.abort())

    page.get_by_role("button", name="Reject all").click()

    expect(page.locator("#cc-banner [data-cc-status]")).to_have_text(GENERIC_ERROR)
    page.unroute(f"**{url('update')}")
    page.get_by_role("button", name="Reject all").click()
    wait_saved(page)
    assert visitor.granted() == ONLY_NECESSARY


def test_a_csrf_failure_is_shown_in_the_dialog(visitor: Visitor) -> None:
    page = visitor.open("/")
    page.get_by_role("link", name="Cookie settings").click()
    dialog = page.get_by_role("dialog", name="Cookie preferences")
    expect(dialog).to_be_visible()
    visitor.context.clear_cookies()  # the form's token no longer matches any cookie: 403

    dialog.get_by_role("button", name="Accept all").click()

    # The view answers its CSRF refusal in JSON, with a message that says what to do.
    expect(dialog.locator("[data-cc-status]")).to_have_text(
        "Your choice was not saved: the page's security token (CSRF) is missing or out of"
        " date. Reload the page and try again."
    )
    expect(dialog).to_be_visible()
    assert "cookies_preferences" not in visitor.cookies()


def test_preferences_that_cannot_be_fetched_open_as_a_page(visitor: Visitor) -> None:
    page = visitor.open("/")
    page.route(
        f"**{url('preferences')}*",
        lambda route: (
            route.abort() if route.request.resource_type == "fetch" else route.continue_()
        ),
    )

    page.get_by_role("link", name="Cookie settings").click()

    page.wait_for_url("**" + url("preferences", next="/"))
    expect(page.get_by_role("heading", name="Cookie preferences")).to_be_visible()


def test_the_preferences_page_keeps_its_plain_form(visitor: Visitor) -> None:
    page = visitor.open(url("preferences", next="/other/"))
    expect(page.locator("dialog")).to_have_count(0)  # it would repeat the page

    with page.expect_navigation():
        page.get_by_role("button", name="Accept all").click()

    assert page.url == visitor.base_url + "/other/"
    assert visitor.granted() == ALL_GRANTED
