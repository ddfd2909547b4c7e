"""One Chromium for the session, a fresh browser context (cookie jar) for each visitor.

These tests never skip: without Playwright or Chromium they fail and say what to install,
locally as in CI, so that a green run always means the browser side was tested.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from cookie_consent.models import CookieCategory
from tests.factories import make_cookie
from tests.toolkit import url

SITE_LAYOUT = Path(__file__).resolve().parent / "templates"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Django's and this app's own: the only cookies a visitor who refused everything keeps.
NECESSARY = {"csrftoken", "cookies_preferences"}
ALL_GRANTED = dict.fromkeys(("necessary", "statistics", "first_party", "third_party"), True)
ONLY_NECESSARY = {**dict.fromkeys(ALL_GRANTED, False), "necessary": True}
SAVED = "Your cookie choices are saved."
WITHDRAWN = SAVED + " Scripts that already started keep running until you reload the page."

# Before the page's scripts: report every CSP violation where the test can read it.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Package-scoped: Playwright's event loop must be gone before the other tests run."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"The browser tests need Chromium at {CHROMIUM}: install Debian's chromium "
            "package (scripts/setup.sh does, as root) or set CHROMIUM_PATH."
        )
    with pytest.MonkeyPatch.context() as patch:
        # Playwright's sync API keeps its event loop running in this thread while it is
        # open, so Django would take the tests' own ORM calls for calls from async code.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        # Its driver drives this Chromium: Playwright's browser downloads are not used.
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()


@dataclass
class Visitor:
    """A browser context (its own cookie jar) on the live server, and what its pages said."""

    context: BrowserContext
    base_url: str
    page: Page = field(init=False)
    console: list[ConsoleMessage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.context.add_init_script(WATCH_CSP)
        self.page = self.context.new_page()
        self.page.on("console", lambda message: self.console.append(message))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, path: str = "/") -> Page:
        response = self.page.goto(self.base_url + path)
        assert response is not None
        assert response.ok, (path, response.status)
        return self.page

    def cookies(self) -> dict[str, str]:
        """The browser's cookie jar for the site, name to value."""
        return {c["name"]: c["value"] for c in self.context.cookies() if "name" in c}

    def state(self) -> dict[str, Any]:
        """What the server's JSON API says of this visitor's consent."""
        response = self.page.request.get(self.base_url + url("api"))
        assert response.ok
        return response.json()  # type: ignore[no-any-return]

    def granted(self) -> dict[str, bool]:
        return {c["slug"]: c["granted"] for c in self.state()["categories"]}

    def decisions(self) -> dict[str, str]:
        """The consent cookie in the jar, slug to decision code (docs/consent-cookie.rst)."""
        value = self.cookies()["cookies_preferences"]
        items = value.rsplit("~", 1)[0].split("|")[2:]
        return {item.split(":")[0]: item.split(":")[1] for item in items}

    def same_document(self) -> bool:
        """Whether the page is still the one :meth:`mark_document` marked: no reload since."""
        return self.page.evaluate("window.__sameDocument === true")  # type: ignore[no-any-return]

    def mark_document(self) -> None:
        self.page.evaluate("window.__sameDocument = true")

    def csp_violations(self) -> list[str]:
        return self.page.evaluate("window.__cspViolations")  # type: ignore[no-any-return]


VisitorFactory = Callable[..., Visitor]


@pytest.fixture
def site(live_server: Any, transactional_db: None, settings: Any) -> str:
    """The live server's URL, serving the browser test site, with ``_ga`` under statistics.

    The consent pages render inside the site's layout, whose ``{% cookie_consent_banner %}``
    puts the app's own markup on them too, as on a real site.
    """
    make_cookie(category=CookieCategory.objects.get(slug="statistics"), name="_ga")
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [SITE_LAYOUT, *engine["DIRS"]]}]
    return str(live_server.url)


@pytest.fixture
def visitor_factory(browser: Browser, site: str) -> Iterator[VisitorFactory]:
    """``visitor_factory(**context_options)``: a new visitor; closed after the test."""
    visitors: list[Visitor] = []

    def make(**options: Any) -> Visitor:
        visitor = Visitor(browser.new_context(**options), site)
        visitors.append(visitor)
        return visitor

    yield make
    for visitor in visitors:
        visitor.context.close()
    # An exception the script did not catch is a bug, whatever the test looked at.
    assert [error for visitor in visitors for error in visitor.errors] == []


@pytest.fixture
def visitor(visitor_factory: VisitorFactory) -> Visitor:
    return visitor_factory()


@pytest.fixture
def no_js(visitor_factory: VisitorFactory) -> Visitor:
    return visitor_factory(java_script_enabled=False)
