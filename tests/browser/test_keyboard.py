"""Keyboard only: every control reached with Tab and Shift+Tab, operated with Enter and Space."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ALL_GRANTED, ONLY_NECESSARY, SAVED, WITHDRAWN, Visitor

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.browser.urls")]

# What the focused element is, as the tests name it, and whether its focus is visible: the
# app's own 3 px outline in its banner and dialog, the page's style (here the browser's
# default ring) elsewhere, the settings link included.
FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const ours = element.closest(".cc-root");
  return {
    name: element.id || element.textContent.trim(),
    visible: ours ? style.outlineStyle === "solid" && style.outlineWidth === "3px"
                  : style.outlineStyle !== "none",
  };
}"""


def press(page: Page, key: str) -> str:
    """Press ``key``; the newly focused element's name, once its focus is seen to show."""
    page.keyboard.press(key)
    focused = page.evaluate(FOCUSED)
    assert focused["visible"], f"no visible focus on {focused['name']!r}"
    return str(focused["name"])


def tab_to(page: Page, name: str, limit: int = 30) -> None:
    for _ in range(limit):
        if press(page, "Tab") == name:
            return
    raise AssertionError(f"{name!r} is not reachable with Tab")


def test_the_banner_with_the_keyboard(visitor: Visitor) -> None:
    page = visitor.open("/")

    assert press(page, "Tab") == "Accept all"  # the banner comes first
    assert press(page, "Tab") == "Reject all"
    assert press(page, "Tab") == "Choose"
    # Not a trap: the page comes next while "Choose" is closed.
    assert press(page, "Tab") == "Another page"
    assert press(page, "Shift+Tab") == "Choose"
    page.keyboard.press("Enter")
    assert press(page, "Tab") == "cc-banner-statistics"
    page.keyboard.press("Space")
    assert press(page, "Tab") == "cc-banner-first_party"
    assert press(page, "Tab") == "cc-banner-third_party"
    assert press(page, "Tab") == "Save choices"
    assert press(page, "Tab") == "Details of every cookie"
    assert press(page, "Shift+Tab") == "Save choices"
    page.keyboard.press("Enter")

    expect(page.locator("[data-cc-live]")).to_have_text(SAVED)
    expect(page.locator("[data-cc-live]")).to_be_focused()
    assert visitor.granted() == {**ONLY_NECESSARY, "statistics": True}


def test_space_presses_a_button(visitor: Visitor) -> None:
    page = visitor.open("/")
    tab_to(page, "Reject all")

    page.keyboard.press("Space")

    expect(page.locator("[data-cc-live]")).to_have_text(SAVED)
    assert visitor.granted() == ONLY_NECESSARY


def test_the_dialog_with_the_keyboard(visitor: Visitor) -> None:
    page = visitor.open("/")
    tab_to(page, "Accept all")
    page.keyboard.press("Enter")
    expect(page.locator("[data-cc-live]")).to_have_text(SAVED)
    dialog = page.get_by_role("dialog", name="Cookie preferences")
    link = page.get_by_role("link", name="Cookie settings")

    tab_to(page, "Cookie settings")
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("heading", name="Cookie preferences")).to_be_focused()
    tab_to(page, "cc-pref-statistics")
    page.keyboard.press("Space")
    expect(dialog.get_by_label("Allow Statistical cookies")).not_to_be_checked()
    # Escape: closed, nothing saved, focus back on the link that opened it.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(link).to_be_focused()
    assert visitor.granted() == ALL_GRANTED

    page.keyboard.press("Enter")
    expect(dialog.get_by_role("heading", name="Cookie preferences")).to_be_focused()
    assert press(page, "Shift+Tab") == "Close"
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(link).to_be_focused()

    page.keyboard.press("Enter")
    expect(dialog.get_by_role("heading", name="Cookie preferences")).to_be_focused()
    tab_to(page, "cc-pref-third_party")
    page.keyboard.press("Space")
    tab_to(page, "Save choices")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(link).to_be_focused()
    expect(page.locator("[data-cc-live]")).to_have_text(WITHDRAWN)
    assert visitor.granted() == {**ALL_GRANTED, "third_party": False}


def test_tab_stays_in_the_open_dialog(visitor: Visitor) -> None:
    page = visitor.open("/")
    page.get_by_role("link", name="Cookie settings").click()
    dialog = page.locator("dialog")
    expect(dialog).to_be_visible()

    for _ in range(25):
        page.keyboard.press("Tab")
        # The page behind a modal dialog is inert: focus is in the dialog, or out of the
        # document (the browser's own interface), never on the page.
        assert page.evaluate(
            "() => document.querySelector('dialog').contains(document.activeElement)"
            " || document.activeElement === document.body"
        )
