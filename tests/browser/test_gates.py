"""Gated markup comes alive in place after consent: its scripts run once, never before."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SAVED, Visitor

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.browser.urls")]


def saved(page: Page) -> None:
    expect(page.locator("[data-cc-live]")).to_have_text(SAVED)


def test_nothing_gated_runs_before_consent_or_after_a_refusal(visitor: Visitor) -> None:
    page = visitor.open("/")
    assert page.evaluate("window.__gatedRuns") is None
    expect(page.locator("template.cc-gate")).to_have_count(2)

    page.get_by_role("button", name="Reject all").click()
    saved(page)

    assert page.evaluate("window.__gatedRuns") is None
    expect(page.locator("template.cc-gate")).to_have_count(2)
    assert visitor.open("/").evaluate("window.__gatedRuns") is None


def test_gated_scripts_run_once_in_order_after_consent(visitor: Visitor) -> None:
    page = visitor.open("/")

    page.get_by_role("button", name="Accept all").click()
    saved(page)

    page.wait_for_function("() => window.__gatedOrder && window.__gatedOrder.length === 2")
    assert page.evaluate("window.__gatedOrder") == ["first", "second"]
    assert page.evaluate("window.__gatedRuns") == 1
    expect(page.locator("template.cc-gate")).to_have_count(0)
    # In place: where the gate was, between the page's own paragraphs.
    expect(page.locator("main > p").nth(1)).to_have_id("statistics-content")
    expect(page.locator("#third-party-content")).to_be_visible()

    # A later decision that grants nothing new runs nothing again.
    page.get_by_role("link", name="Cookie settings").click()
    page.get_by_role("dialog").get_by_role("button", name="Save choices").click()
    expect(page.get_by_role("dialog")).to_be_hidden()
    saved(page)
    assert page.evaluate("window.__gatedRuns") == 1
    assert visitor.open("/").evaluate("window.__gatedRuns") == 1


def test_only_the_granted_categorys_gates_open(visitor: Visitor) -> None:
    page = visitor.open("/")
    page.get_by_text("Choose", exact=True).click()
    page.locator("#cc-banner-third_party").check()

    page.get_by_role("button", name="Save choices").click()
    saved(page)

    expect(page.locator("#third-party-content")).to_be_visible()
    expect(page.locator("template.cc-gate[data-cc-category=statistics]")).to_have_count(1)
    assert page.evaluate("window.__gatedRuns") is None
