"""The example project, run as a user runs it: its own settings, in its own processes.

The suite's settings are already configured in this process, so every step goes through
``example_project/manage.py`` in a subprocess, on a fresh SQLite database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.reference import REFERENCE_ROWS

pytestmark = pytest.mark.slow

MANAGE = Path(__file__).resolve().parents[2] / "example_project" / "manage.py"

# The example's pages: a path, or a URL name that the script reverses.
PAGES = (
    "/",
    "/about/",
    "/analytics/",
    "cookie_consent:policy",
    "cookie_consent:preferences",
    "admin:login",
    "/.well-known/gpc.json",
)

# Prints the catalogue and the status of every page, as one JSON object.
REPORT_SCRIPT = f"""
import json
from django.test import Client
from django.urls import reverse
from cookie_consent.models import Cookie, CookieCategory

categories = CookieCategory.objects.order_by("order").values(
    "slug", "name", "description", "required", "needs_consent"
)
cookies = Cookie.objects.order_by("name").values(
    "name", "category__slug", "provider", "function", "purpose", "domain", "path"
)
# localhost is in the default ALLOWED_HOSTS; the Client's own "testserver" is not.
client = Client(HTTP_HOST="localhost")
print(json.dumps({{
    "categories": list(categories),
    "cookies": list(cookies),
    "statuses": {{
        page: client.get(page if page.startswith("/") else reverse(page)).status_code
        for page in {PAGES!r}
    }},
}}))
"""

# A visitor's visit, one request after another with the same cookies: each response as
# JSON, under the step's name. The test client checks no CSRF token, as documented.
VISIT_SCRIPT = """
import json
from django.test import Client
from django.urls import reverse

client = Client(HTTP_HOST="localhost")
urls = {name: reverse(f"cookie_consent:{name}") for name in ("policy", "preferences", "update")}
steps = {"urls": urls}

def step(name, response):
    steps[name] = {
        "status": response.status_code,
        "location": response.get("Location"),
        "vary": response.get("Vary", ""),
        "cookies": sorted(response.cookies),
        "html": response.content.decode(),
    }

step("home", client.get("/"))
step("analytics", client.get("/analytics/"))
step("policy", client.get(urls["policy"]))
step("preferences", client.get(urls["preferences"]))
step("bad_decision", client.post(urls["update"], {"action": "maybe"}))
step("reject", client.post(urls["update"], {"action": "reject_all", "next": "/analytics/"}))
step("home_after_reject", client.get("/"))
step("analytics_after_reject", client.get("/analytics/"))
step("accept", client.post(urls["update"], {"action": "accept_all", "next": "/analytics/"}))
step("home_after_accept", client.get("/"))
step("analytics_after_accept", client.get("/analytics/"))
print(json.dumps(steps))
"""

ANALYTICS_SCRIPT = "/static/pages/fake-analytics.js"
APP_SCRIPT = "/static/cookie_consent/cookie-consent.js"

# The reference cookie policy's words, verbatim (its “front et back office” included).
NECESSARY_DESCRIPTION = (
    "“Necessary” internal cookies allow information to be saved between two visits to the "
    "same website by the same device. They can save a shopping cart, log-in information, or "
    "interface preferences. They do not require the user’s consent."
)
STATISTICS_DESCRIPTION = (
    "“Statistical” cookies make it possible to track an Internet user's actions on a "
    "website. When statistics are anonymized (meaning they cannot be traced back to a "
    "person), user consent is not required."
)
FIRST_PARTY_DESCRIPTION = (
    "“Internal” or “first-party” cookies are stored by the website visited. They can be "
    "stored in addition to the necessary cookies, and can be used to collect personal data, "
    "track user behavior, and for advertising purposes."
)
THIRD_PARTY_DESCRIPTION = (
    "“Third-party” cookies are cookies stored by (or for) a Website B (often an advertising "
    "agency) on Website A. This allows Website B to see what pages the user visited on "
    "Website A, and collect information about the user."
)


REFERENCE_COOKIES = sorted(
    (
        {
            "name": name,
            "category__slug": "necessary",
            "provider": provider,
            "function": function,
            "purpose": purpose,
            "domain": "",
            "path": "/",
        }
        for provider, function, name, purpose in REFERENCE_ROWS
    ),
    key=lambda cookie: cookie["name"],
)


def manage(database: Path, *args: str) -> str:
    environment = {
        **os.environ,
        # pytest-django exported the suite's settings module; manage.py would keep it.
        "DJANGO_SETTINGS_MODULE": "example_project.settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "CACHE_URL": "locmemcache://",
    }
    result = subprocess.run(
        [sys.executable, str(MANAGE), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def run_script(database: Path, script: str) -> dict[str, Any]:
    """What ``script``, run in the example project's shell, printed as JSON."""
    printed: dict[str, Any] = json.loads(
        manage(database, "shell", "--verbosity", "0", "-c", script)
    )
    return printed


def report(database: Path) -> dict[str, Any]:
    return run_script(database, REPORT_SCRIPT)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("example_project") / "db.sqlite3"
    manage(path, "migrate", "--noinput")
    return path


@pytest.fixture(scope="module")
def first_report(database: Path) -> dict[str, Any]:
    return report(database)


def test_migrate_loads_the_reference_categories(first_report: dict[str, Any]) -> None:
    categories = [
        (c["slug"], c["description"], c["required"], c["needs_consent"])
        for c in first_report["categories"]
    ]
    assert categories == [
        ("necessary", NECESSARY_DESCRIPTION, True, False),
        ("statistics", STATISTICS_DESCRIPTION, False, True),
        ("first_party", FIRST_PARTY_DESCRIPTION, False, True),
        ("third_party", THIRD_PARTY_DESCRIPTION, False, True),
    ]
    assert first_report["categories"][0]["name"] == (
        "Cookies necessary for the platform to function properly/functionality cookies"
    )


def test_migrate_loads_the_reference_cookies(first_report: dict[str, Any]) -> None:
    necessary = [c for c in first_report["cookies"] if c["category__slug"] == "necessary"]
    assert necessary == REFERENCE_COOKIES
    # Besides the reference's cookies, only the demo analytics cookie the example needs.
    others = [
        (c["category__slug"], c["name"], c["provider"])
        for c in first_report["cookies"]
        if c["category__slug"] != "necessary"
    ]
    assert others == [
        ("statistics", "_ga", "Demo analytics (example site only)"),
        ("statistics", "_ga_*", "Demo analytics (example site only)"),
    ]


def test_migrating_again_duplicates_nothing(database: Path, first_report: dict[str, Any]) -> None:
    manage(database, "migrate", "--noinput")

    again = report(database)

    assert again["categories"] == first_report["categories"]
    assert again["cookies"] == first_report["cookies"]


def test_pages_respond(first_report: dict[str, Any]) -> None:
    assert first_report["statuses"] == dict.fromkeys(PAGES, 200)


class Element(NamedTuple):
    tag: str
    attrs: dict[str, str | None]
    # The category of the innermost consent gate around the element, if any.
    gate: str | None


class Page(HTMLParser):
    """A rendered page as the tests look at it: its elements and the text of some of them."""

    TEXT_TAGS = frozenset({"title", "h1", "h2", "h3", "li", "td"})

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[Element] = []
        self.texts: dict[str, list[str]] = {tag: [] for tag in self.TEXT_TAGS}
        self.rows: list[list[str]] = []
        self._gates: list[str | None] = []
        self._open_texts: list[tuple[str, list[str]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        gate = next((g for g in reversed(self._gates) if g is not None), None)
        self.elements.append(Element(tag, attributes, gate))
        if tag == "template":
            classes = (attributes.get("class") or "").split()
            self._gates.append(
                attributes.get("data-cc-category") if "cc-gate" in classes else None
            )
        elif tag == "tr":
            self.rows.append([])
        if tag in self.TEXT_TAGS:
            self._open_texts.append((tag, []))

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self._gates.pop()
        if tag in self.TEXT_TAGS:
            opened, parts = self._open_texts.pop()
            assert opened == tag, f"<{opened}> closed by </{tag}>"
            text = " ".join("".join(parts).split())
            self.texts[tag].append(text)
            if tag == "td":
                self.rows[-1].append(text)

    def handle_data(self, data: str) -> None:
        # Entities arrive decoded (convert_charrefs): the text a visitor reads.
        for _tag, parts in self._open_texts:
            parts.append(data)

    def ids(self) -> set[str]:
        return {e.attrs["id"] or "" for e in self.elements if "id" in e.attrs}

    def with_class(self, name: str) -> list[Element]:
        return [e for e in self.elements if name in (e.attrs.get("class") or "").split()]

    def scripts(self) -> list[tuple[str | None, str | None]]:
        """The ``src`` of every script of the site's own, with the gate around it."""
        return [
            (e.attrs.get("src"), e.gate)
            for e in self.elements
            if e.tag == "script" and e not in self.app_scripts()
        ]

    def app_scripts(self) -> list[Element]:
        """The app's script (in <head> for Consent Mode, deferred after it) and its state."""
        return [
            e
            for e in self.elements
            if e.tag == "script"
            and (e.attrs.get("src") == APP_SCRIPT or e.attrs.get("type") == "application/json")
        ]


@pytest.fixture(scope="module")
def visit(database: Path) -> dict[str, Any]:
    return run_script(database, VISIT_SCRIPT)


def page(visit: dict[str, Any], step: str) -> Page:
    assert visit[step]["status"] == 200, visit[step]["html"]
    return Page(visit[step]["html"])


def assert_in_site_layout(rendered: Page) -> None:
    assert len(rendered.with_class("site-header")) == 1
    assert "content" in rendered.ids()
    # The app's own layout is replaced, not nested.
    assert "cc-main" not in rendered.ids()
    assert [e.tag for e in rendered.elements].count("main") == 1


def settings_links(rendered: Page) -> list[str | None]:
    return [e.attrs.get("href") for e in rendered.with_class("cc-settings-link")]


def test_home_shows_the_banner_and_the_footer_links(visit: dict[str, Any]) -> None:
    home = page(visit, "home")

    assert "cc-banner" in home.ids()
    assert visit["urls"]["preferences"] + "?next=%2F" in settings_links(home)
    policy = visit["urls"]["policy"]
    assert policy == "/cookies/"  # mounted as the README's quickstart says
    assert any(e.tag == "a" and e.attrs.get("href") == policy for e in home.elements)
    assert "Cookie" in visit["home"]["vary"]


def test_banner_comes_between_the_skip_link_and_the_page(visit: dict[str, Any]) -> None:
    home = page(visit, "home")
    landmarks = [
        e.attrs.get("id") or e.attrs.get("class")
        for e in home.elements
        if e.attrs.get("id") == "cc-banner" or e.attrs.get("class") in ("skip-link", "site-header")
    ]

    assert landmarks == ["skip-link", "cc-banner", "site-header"]


def test_every_page_has_the_apps_script_and_state(visit: dict[str, Any]) -> None:
    for step in ("home", "analytics_after_reject", "policy"):
        scripts = page(visit, step).app_scripts()

        assert [(e.attrs.get("src"), "defer" in e.attrs) for e in scripts] == [
            (APP_SCRIPT, False),
            (APP_SCRIPT, True),
            (None, False),
        ]
        assert "data-cc-consent-mode" in scripts[0].attrs


def test_analytics_stays_inert_before_any_decision(visit: dict[str, Any]) -> None:
    analytics = page(visit, "analytics")

    assert analytics.scripts() == [(ANALYTICS_SCRIPT, "statistics")]
    assert [e.gate for e in analytics.with_class("video-placeholder")] == ["third_party"]


def test_rejecting_hides_the_banner_and_keeps_analytics_inert(visit: dict[str, Any]) -> None:
    assert visit["reject"]["status"] == 303
    assert visit["reject"]["location"] == "/analytics/"
    assert "cookies_preferences" in visit["reject"]["cookies"]
    home = page(visit, "home_after_reject")
    analytics = page(visit, "analytics_after_reject")

    assert "cc-banner" not in home.ids()
    assert settings_links(home) == [visit["urls"]["preferences"] + "?next=%2F"]
    assert analytics.scripts() == [(ANALYTICS_SCRIPT, "statistics")]
    assert [e.gate for e in analytics.with_class("video-placeholder")] == ["third_party"]


def test_accepting_loads_analytics_and_the_video(visit: dict[str, Any]) -> None:
    assert visit["accept"]["status"] == 303
    assert "cookies_preferences" in visit["accept"]["cookies"]
    analytics = page(visit, "analytics_after_accept")

    assert "cc-banner" not in page(visit, "home_after_accept").ids()
    assert analytics.scripts() == [(ANALYTICS_SCRIPT, None)]
    assert [e.gate for e in analytics.with_class("video-placeholder")] == [None]
    assert analytics.with_class("cc-gate") == []


def test_a_bad_decision_is_refused_inside_the_site(visit: dict[str, Any]) -> None:
    assert visit["bad_decision"]["status"] == 400
    assert "cookies_preferences" not in visit["bad_decision"]["cookies"]
    assert_in_site_layout(Page(visit["bad_decision"]["html"]))


def test_policy_page_has_the_reference_table_word_for_word(visit: dict[str, Any]) -> None:
    policy = page(visit, "policy")
    rows = [tuple(row[:4]) for row in policy.rows]

    for reference_row in REFERENCE_ROWS:
        assert reference_row in rows


def test_policy_page_has_the_reference_explanations(visit: dict[str, Any]) -> None:
    policy = page(visit, "policy")

    assert "What is a cookie?" in policy.texts["h2"]
    for description in (
        NECESSARY_DESCRIPTION,
        STATISTICS_DESCRIPTION,
        FIRST_PARTY_DESCRIPTION,
        THIRD_PARTY_DESCRIPTION,
    ):
        assert description in policy.texts["li"]


@pytest.mark.parametrize(
    ("step", "title"), [("policy", "Cookies policy"), ("preferences", "Cookie preferences")]
)
def test_consent_pages_render_inside_the_site(
    visit: dict[str, Any], step: str, title: str
) -> None:
    rendered = page(visit, step)

    assert rendered.texts["title"] == [f"{title} · Cookie guard example"]
    assert_in_site_layout(rendered)
    stylesheets = {e.attrs.get("href") for e in rendered.elements if e.tag == "link"}
    assert "/static/cookie_consent/cookie-consent.css" in stylesheets


# The footer's language switcher (Django's set_language) on a new and a decided visitor.
LANGUAGE_SCRIPT = """
import json
from django.test import Client
from django.urls import reverse

def banner_of(client):
    text = client.get("/").content.decode()
    start = text.find('id="cc-banner"')
    return None if start == -1 else text[start:text.index("</section>", start)]

new = Client(HTTP_HOST="localhost")
english = banner_of(new)
new.post("/i18n/setlang/", {"language": "fr", "next": "/"})
french = banner_of(new)

decided = Client(HTTP_HOST="localhost")
decided.post(reverse("cookie_consent:update"), {"action": "reject_all", "next": "/"})
consent = decided.cookies["cookies_preferences"].value
decided.post("/i18n/setlang/", {"language": "fr", "next": "/"})
print(json.dumps({
    "english": english,
    "french": french,
    "decided_banner": banner_of(decided),
    "decided_lang": 'lang="fr"' in decided.get("/").content.decode(),
    "consent_kept": decided.cookies["cookies_preferences"].value == consent,
}))
"""


def test_language_switcher_changes_the_banner_and_keeps_the_decision(database: Path) -> None:
    result = run_script(database, LANGUAGE_SCRIPT)
    assert "Accept all" in result["english"]
    assert "Tout accepter" in result["french"]
    assert "Accept all" not in result["french"]
    assert result["decided_banner"] is None
    assert result["decided_lang"]
    assert result["consent_kept"]
