"""The catalogue loader and ``manage.py cookie_consent_load``."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from cookie_consent.catalogue.loading import REFERENCE_CATALOGUE
from cookie_consent.models import Cookie, CookieCategory
from tests.catalogue.conftest import load, load_error
from tests.reference import REFERENCE_ROWS

pytestmark = pytest.mark.django_db


def snapshot() -> list[tuple[Any, ...]]:
    return list(Cookie.objects.order_by("pk").values_list()) + list(
        CookieCategory.objects.order_by("pk").values_list()
    )


ANALYTICS = {
    "categories": [
        {
            "slug": "statistics",
            "name": "Statistics",
            "cookies": [
                {"name": "_ga", "provider": "Google", "purpose": "Counts visits"},
                {"name": "_ga_*", "provider": "Google", "domain": ".example.com"},
            ],
        },
        {"slug": "marketing", "name": "Marketing", "description": "Ads."},
    ]
}


def test_reference_catalogue_reproduces_the_reference_policy(tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("cookie_consent_load", str(REFERENCE_CATALOGUE), stdout=out)
    rows = list(
        Cookie.objects.filter(provider="Opendatasoft")
        .order_by("pk")
        .values_list("provider", "function", "name", "purpose")
    )
    # The reference document's table, word for word (its "front et" included).
    assert set(rows) == set(REFERENCE_ROWS)
    assert "0 created, 5 updated, 3 unchanged." in out.getvalue()


def test_load_creates_then_is_idempotent(tmp_path: Path) -> None:
    out = load(tmp_path, ANALYTICS)
    assert "created cookie _ga\n" in out
    assert "created category marketing\n" in out
    assert "3 created, 1 updated, 0 unchanged." in out
    statistics = CookieCategory.objects.get(slug="statistics")
    assert statistics.name == "Statistics"
    # Fields the file leaves out keep what the database had.
    assert statistics.description.startswith("“Statistical”")
    marketing = CookieCategory.objects.get(slug="marketing")
    assert (marketing.required, marketing.needs_consent, marketing.order) == (False, True, 10)
    assert Cookie.objects.get(name="_ga_*").domain == ".example.com"

    before = snapshot()
    assert "0 created, 0 updated, 4 unchanged." in load(tmp_path, ANALYTICS)
    assert snapshot() == before


def test_new_required_category_defaults_to_no_consent(tmp_path: Path) -> None:
    load(tmp_path, {"categories": [{"slug": "security", "name": "Security", "required": True}]})
    security = CookieCategory.objects.get(slug="security")
    assert (security.required, security.needs_consent) == (True, False)


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    before = snapshot()
    out = load(tmp_path, ANALYTICS, "--dry-run")
    assert "Dry run, nothing written: would have 3 created, 1 updated, 0 unchanged." in out
    assert snapshot() == before


def test_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(ANALYTICS)))
    call_command("cookie_consent_load", "-", stdout=io.StringIO())
    assert Cookie.objects.filter(name="_ga").exists()


def test_model_rules_are_reported_and_nothing_is_half_loaded(tmp_path: Path) -> None:
    before = snapshot()
    content = {
        "categories": [
            {"slug": "fine", "name": "Fine", "cookies": [{"name": "_fine"}]},
            {
                "slug": "Bad Slug",
                "name": "",
                "required": True,
                "needs_consent": True,
                "cookies": [
                    {"name": "bad name"},
                    {"name": "_x", "path": "/"},
                    {"name": "_x"},
                ],
            },
            {"slug": "stats", "name": "Stats", "cookies": [{"name": "session*"}]},
        ]
    }
    problems = [p.strip() for p in load_error(tmp_path, content).splitlines()[1:]]
    assert problems == [
        "line 12, categories[1].slug: Enter a valid “slug” consisting of letters, numbers, "
        "underscores or hyphens.",
        "line 12, categories[1].name: This field cannot be blank.",
        "line 12, categories[1]: A required category cannot need consent: its cookies are "
        "always set. Untick “needs consent” or “required”.",
        "line 18, categories[1].cookies[0].name: “bad name” is not a valid cookie name: use "
        "letters, digits and !#$%&'+-.^_`|~ only, and * as a wildcard.",
        "line 25, categories[1].cookies[2]: “_x” with domain “” and path “/” is declared twice",
        "line 34, categories[2].cookies[0].name: The pattern “session*” matches “sessionid”, "
        "a cookie of a required category; narrow the pattern or move the cookie.",
    ]
    assert snapshot() == before


def test_name_already_in_another_category(tmp_path: Path) -> None:
    content = {
        "categories": [
            {"slug": "third_party", "name": "T", "cookies": [{"name": "_pref"}]},
            {
                "slug": "statistics",
                "name": "S",
                "cookies": [{"name": "_pref", "domain": ".x.org"}],
            },
        ]
    }
    assert "“_pref” is already declared in the category “third_party”." in load_error(
        tmp_path, content
    )


def test_a_cookie_the_site_needs_stays_free_of_consent(tmp_path: Path) -> None:
    content = {
        "categories": [
            {
                "slug": "statistics",
                "name": "S",
                "cookies": [{"name": "csrftoken", "domain": ".x.org"}],
            }
        ]
    }
    assert (
        "“csrftoken” is a cookie the site cannot work without (it is named in your "
        "settings): declare it in a category that needs no consent."
    ) in load_error(tmp_path, content)


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"Cannot read .*missing.json: No such file"):
        call_command("cookie_consent_load", str(tmp_path / "missing.json"))


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"categories": [{"slug": "é"}]}'.encode("latin-1"))
    with pytest.raises(CommandError, match="is not UTF-8 text"):
        call_command("cookie_consent_load", str(path))


def test_data_migrations_find_the_loader_at_its_older_path() -> None:
    # A project's data migration says ``from cookie_consent.loading import …``.
    from cookie_consent import loading as older
    from cookie_consent.catalogue import loading

    assert {name: getattr(older, name) for name in older.__all__} == {
        name: getattr(loading, name) for name in older.__all__
    }
