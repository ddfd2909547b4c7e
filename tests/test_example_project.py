"""The example project, run as a user runs it: its own settings, in its own processes.

The suite's settings are already configured in this process, so every step goes through
``example_project/manage.py`` in a subprocess, on a fresh SQLite database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

MANAGE = Path(__file__).resolve().parent.parent / "example_project" / "manage.py"

PAGES = ("/", "/about/", "/analytics/", "/admin/login/")

# Prints the catalogue and the status of every page, as one JSON object.
REPORT_SCRIPT = f"""
import json
from django.test import Client
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
    "statuses": {{url: client.get(url).status_code for url in {PAGES!r}}},
}}))
"""

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


def reference_cookie(name: str, function: str, purpose: str) -> dict[str, Any]:
    return {
        "name": name,
        "category__slug": "necessary",
        "provider": "Opendatasoft",
        "function": function,
        "purpose": purpose,
        "domain": "",
        "path": "/",
    }


REFERENCE_COOKIES = [
    reference_cookie(
        "cookies_preferences",
        "Choices related to your cookie preferences",
        "To remember the visitor's cookie preferences",
    ),
    reference_cookie(
        "csrftoken", "API (CSRF) (front et back office)", "To retrieve data via API calls"
    ),
    reference_cookie(
        "django_language",
        "Language selection (front and back office)",
        "To remember the visitor's language",
    ),
    reference_cookie(
        "sessionid",
        "Authentication (front and back office)",
        "To remember the user from one page to another",
    ),
]


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


def report(database: Path) -> dict[str, Any]:
    printed: dict[str, Any] = json.loads(
        manage(database, "shell", "--verbosity", "0", "-c", REPORT_SCRIPT)
    )
    return printed


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
    assert first_report["cookies"] == REFERENCE_COOKIES


def test_migrating_again_duplicates_nothing(database: Path, first_report: dict[str, Any]) -> None:
    manage(database, "migrate", "--noinput")

    again = report(database)

    assert again["categories"] == first_report["categories"]
    assert again["cookies"] == first_report["cookies"]


def test_pages_respond(first_report: dict[str, Any]) -> None:
    assert first_report["statuses"] == dict.fromkeys(PAGES, 200)
