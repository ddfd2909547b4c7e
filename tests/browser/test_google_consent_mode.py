"""Consent Mode v2 in the page: the defaults at once, one update after each choice."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cookie_consent.models import ConsentRecord
from tests.browser.conftest import SAVED, Visitor
from tests.toolkit import url

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.browser.urls")]

DENIED = {
    "ad_storage": "denied",
    "ad_user_data": "denied",
    "ad_personalization": "denied",
    "analytics_storage": "denied",
    "functionality_storage": "granted",
    "personalization_storage": "denied",
    "security_storage": "granted",
}
GRANTED = dict.fromkeys(DENIED, "granted")


def data_layer(page: Page) -> list[list[Any]]:
    return page.evaluate("window.dataLayer.map((command) => Array.from(command))")  # type: ignore[no-any-return]


def choose(page: Page, button: str) -> None:
    page.get_by_role("button", name=button).click()
    expect(page.locator("[data-cc-live]")).to_have_text(SAVED)


def test_defaults_then_one_update_after_accepting(visitor: Visitor) -> None:
    page = visitor.open("/consent-mode/")
    assert data_layer(page) == [["consent", "default", {**DENIED, "wait_for_update": 500}]]

    choose(page, "Accept all")

    assert data_layer(page)[1:] == [["consent", "update", GRANTED]]
    # The script is on the page twice (head and banner): one enhancement, one request.
    assert ConsentRecord.objects.count() == 1
    next_page = visitor.open("/consent-mode/")
    assert data_layer(next_page) == [["consent", "default", {**GRANTED, "wait_for_update": 500}]]


def test_a_type_is_granted_by_the_granted_categories_that_list_it(visitor: Visitor) -> None:
    page = visitor.open("/consent-mode/")
    page.get_by_text("Choose", exact=True).click()
    page.locator("#cc-banner-statistics").check()

    choose(page, "Save choices")

    assert data_layer(page)[1:] == [
        ["consent", "update", {**DENIED, "analytics_storage": "granted"}]
    ]


def test_refusing_updates_to_the_defaults(visitor: Visitor) -> None:
    page = visitor.open("/consent-mode/")

    choose(page, "Reject all")

    assert data_layer(page)[1:] == [["consent", "update", DENIED]]


def test_no_consent_mode_without_its_tag(visitor: Visitor) -> None:
    page = visitor.open("/")

    choose(page, "Accept all")

    assert page.evaluate("typeof window.dataLayer") == "undefined"
    assert page.evaluate("typeof window.gtag") == "undefined"


def test_the_page_is_enhanced_once(visitor: Visitor) -> None:
    page = visitor.open("/consent-mode/")
    visitor.mark_document()
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))

    page.get_by_role("link", name="Cookie settings").click()

    expect(page.get_by_role("dialog")).to_be_visible()
    assert [address for address in fetched if url("preferences") in address] == [
        visitor.base_url + url("preferences", next="/consent-mode/")
    ]
    assert visitor.same_document()
