"""A preferences link in visitor content: the script loads the server's preferences page only.

A site shows what visitors write (comments, forum posts); a link there may carry
``data-cc-open-preferences`` and point anywhere. The script must never insert markup from
elsewhere into its dialog, where the markup's handlers would run with the site's origin.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.conftest import Visitor
from tests.browser.views import FORGED_PREFERENCES
from tests.toolkit import url

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.browser.urls")]


@dataclass
class AttackerSite:
    """Another origin (another port of 127.0.0.1) that lets every origin read its pages."""

    url: str
    paths: list[str]  # of every request it answered


@pytest.fixture
def attacker() -> Iterator[AttackerSite]:
    paths: list[str] = []

    class ForgedPreferences(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            paths.append(self.path)
            body = FORGED_PREFERENCES.encode()
            self.send_response(200)
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the tests read the paths instead

    server = ThreadingHTTPServer(("127.0.0.1", 0), ForgedPreferences)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield AttackerSite(f"http://127.0.0.1:{server.server_port}", paths)
    server.shutdown()
    server.server_close()
    thread.join()


def open_comment(visitor: Visitor, link: str) -> Page:
    """The page with a visitor's comment whose link goes to ``link``."""
    return visitor.open("/visitor-content/?link=" + quote(link, safe=""))


def record_fetches(page: Page) -> list[str]:
    """The URLs the page's scripts fetch from now on."""
    urls: list[str] = []

    def record(request: Request) -> None:
        if request.resource_type == "fetch":
            urls.append(request.url)

    page.on("request", record)
    return urls


def server_preferences_url(visitor: Visitor, page: Page) -> str:
    """The preferences page the server named for this page."""
    return visitor.base_url + str(page.get_attribute("[data-cc-root]", "data-cc-preferences-url"))


def genuine_dialog_opens(page: Page) -> None:
    """The server's preferences form shows in the dialog; nothing of a forged page ran."""
    dialog = page.get_by_role("dialog", name="Cookie preferences")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Allow Statistical cookies")).to_be_visible()
    assert page.evaluate("window.__pwned") is None
    assert page.title() == "Browser test site"


def close_dialog(page: Page) -> None:
    page.get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_be_hidden()


# Another origin: its root, and the path of the real preferences page on it.
@pytest.mark.parametrize("path", ["/", "{preferences}?next=%2F"])
def test_a_link_to_another_origin_loads_nothing_from_it(
    visitor: Visitor, attacker: AttackerSite, path: str
) -> None:
    page = open_comment(visitor, attacker.url + path.format(preferences=url("preferences")))
    fetches = record_fetches(page)

    page.locator("#visitor-link").click()

    expect(page.locator("dialog[open]")).to_be_visible()
    assert attacker.paths == []
    # The server's own preferences instead, as the attribute asks.
    genuine_dialog_opens(page)
    assert fetches == [server_preferences_url(visitor, page)]
    close_dialog(page)
    page.get_by_role("link", name="Cookie settings").click()
    genuine_dialog_opens(page)
    # The attacker's site was there to be read, had the script asked for it.
    answer = page.evaluate("url => fetch(url).then((response) => response.text())", attacker.url)
    assert "data-cc-preferences" in answer
    assert attacker.paths == ["/"]


# A page of the site at another path, and the preferences page with a query of its own:
# the dialog loads the URL the server named, not the link's (its form asks for JSON,
# where ``next`` plays no part).
@pytest.mark.parametrize(
    "link",
    ["/uploads/preferences.html", "{preferences}?next=/other/"],
    ids=["another path", "the preferences page"],
)
def test_a_link_on_the_site_opens_the_servers_preferences_url(visitor: Visitor, link: str) -> None:
    page = open_comment(visitor, link.format(preferences=url("preferences")))
    fetches = record_fetches(page)

    page.locator("#visitor-link").click()

    genuine_dialog_opens(page)
    assert fetches == [server_preferences_url(visitor, page)]
