from __future__ import annotations

import logging
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db.migrations import Migration
from django.test import override_settings

from cookie_consent.catalogue import defaults
from cookie_consent.catalogue.defaults import declare_default_catalogue, settings_cookies
from cookie_consent.catalogue.essential import essential_cookies, essential_names
from cookie_consent.catalogue.loading import load_catalogue
from cookie_consent.models import Cookie, CookieCategory
from tests.factories import make_cookie

pytestmark = pytest.mark.django_db

INITIAL = [(Migration("0001_initial", "cookie_consent"), False)]
LATER = [(Migration("0002_later", "cookie_consent"), False)]


def migrate(plan: list[tuple[Migration, bool]] | None = LATER) -> None:
    declare_default_catalogue(apps.get_app_config("cookie_consent"), using="default", plan=plan)


def catalogue_rows() -> list[tuple[str, str]]:
    return sorted(Cookie.objects.values_list("category__slug", "name"))


def test_new_database_holds_the_reference_categories_and_django_cookies() -> None:
    assert list(
        CookieCategory.objects.values_list("slug", "required", "needs_consent", "order")
    ) == [
        ("necessary", True, False, 0),
        ("statistics", False, True, 10),
        ("first_party", False, True, 20),
        ("third_party", False, True, 30),
    ]
    assert catalogue_rows() == [
        ("necessary", "cookies_preferences"),
        ("necessary", "csrftoken"),
        ("necessary", "django_language"),
        ("necessary", "messages"),
        ("necessary", "sessionid"),
    ]
    session = Cookie.objects.get(name="sessionid")
    assert session.function == "Authentication (front and back office)"
    assert session.purpose == "To remember the user from one page to another"
    assert session.duration == "2 weeks"
    assert session.provider == "This website"
    assert Cookie.objects.get(name="cookies_preferences").duration == "26 weeks"
    statistics = CookieCategory.objects.get(slug="statistics")
    assert statistics.description.startswith("“Statistical” cookies make it possible")


def test_migrate_again_duplicates_nothing() -> None:
    before = catalogue_rows()
    migrate(INITIAL)
    migrate(LATER)
    call_command("migrate", verbosity=0)
    assert catalogue_rows() == before
    assert CookieCategory.objects.count() == 4


@override_settings(SESSION_COOKIE_NAME="my_session", CSRF_COOKIE_NAME="my_csrf")
def test_renamed_cookies_are_declared_at_the_next_migrate() -> None:
    migrate()
    assert ("necessary", "my_session") in catalogue_rows()
    assert ("necessary", "my_csrf") in catalogue_rows()
    # The old names stay until an admin removes them: they may still be in browsers.
    assert ("necessary", "sessionid") in catalogue_rows()


def test_admin_edits_and_deletions_survive() -> None:
    CookieCategory.objects.filter(slug="statistics").delete()
    CookieCategory.objects.filter(slug="first_party").update(name="Our own cookies")
    Cookie.objects.filter(name="sessionid").update(purpose="Keeps you logged in")
    migrate()
    assert not CookieCategory.objects.filter(slug="statistics").exists()
    assert CookieCategory.objects.get(slug="first_party").name == "Our own cookies"
    assert Cookie.objects.get(name="sessionid").purpose == "Keeps you logged in"


def test_moved_settings_cookie_is_left_where_the_admin_put_it() -> None:
    Cookie.objects.filter(name="django_language").update(
        category=CookieCategory.objects.get(slug="first_party")
    )
    migrate()
    assert Cookie.objects.filter(name="django_language").count() == 1


def test_deleted_necessary_category_comes_back_with_its_cookies() -> None:
    CookieCategory.objects.filter(slug="necessary").delete()
    migrate()
    necessary = CookieCategory.objects.get(slug="necessary")
    assert necessary.required
    assert necessary.cookies.count() == 5


def test_rows_are_written_by_the_catalogue_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[list[str]] = []

    def spy(categories: list[dict[str, Any]], **kwargs: Any) -> Any:
        loaded.append([c["slug"] for c in categories])
        return load_catalogue(categories, **kwargs)

    monkeypatch.setattr(defaults, "load_catalogue", spy)
    CookieCategory.objects.all().delete()
    migrate(INITIAL)
    assert (
        loaded == [["necessary", "statistics", "first_party", "third_party"]] + [["necessary"]] * 5
    )
    assert len(catalogue_rows()) == 5


@override_settings(SESSION_COOKIE_NAME="my_session")
def test_a_cookie_the_rules_refuse_is_logged_and_migrate_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # An admin declared a pattern under statistics that the renamed session cookie,
    # required, would match: the rules refuse it; the other cookies are still declared.
    make_cookie(category=CookieCategory.objects.get(slug="statistics"), name="my_*")
    Cookie.objects.filter(name="messages").delete()
    with caplog.at_level(logging.WARNING, logger="cookie_consent.catalogue"):
        migrate()
    assert ("necessary", "my_session") not in catalogue_rows()
    assert ("necessary", "messages") in catalogue_rows()
    assert [r.getMessage() for r in caplog.records] == [
        "Cookie catalogue: 'my_session', a cookie the settings name, is not declared in "
        "'necessary': The pattern “my_*” matches “my_session”, a cookie of a required "
        "category; narrow the pattern or move the cookie."
    ]


def test_flush_of_an_empty_database_seeds_it() -> None:
    CookieCategory.objects.all().delete()
    migrate(plan=None)
    assert CookieCategory.objects.count() == 4


def test_flush_signal_on_a_kept_database_recreates_nothing() -> None:
    CookieCategory.objects.filter(slug="third_party").delete()
    migrate(plan=None)
    assert not CookieCategory.objects.filter(slug="third_party").exists()


def test_migrating_back_to_zero_is_ignored() -> None:
    class NoModels:
        def get_model(self, *args: Any) -> None:
            raise LookupError

    declare_default_catalogue(
        apps.get_app_config("cookie_consent"), using="default", apps=NoModels(), plan=[]
    )


class NoMigrations:
    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return False


@override_settings(DATABASE_ROUTERS=[NoMigrations()])
def test_database_the_router_excludes_is_left_alone() -> None:
    CookieCategory.objects.all().delete()
    migrate(INITIAL)
    assert not CookieCategory.objects.exists()


def names() -> list[str]:
    return [cookie.name for cookie in settings_cookies()]


@override_settings(CSRF_USE_SESSIONS=True, USE_I18N=False)
def test_cookies_django_does_not_set_are_not_declared() -> None:
    assert names() == ["sessionid", "cookies_preferences", "messages"]


@override_settings(CSRF_USE_SESSIONS=True, USE_I18N=False)
def test_one_table_of_essential_cookies() -> None:
    # The middleware lets every name of the table through; the default catalogue
    # declares, from the same table, those the project sets.
    assert essential_names() == {
        "sessionid",
        "django_language",
        "csrftoken",
        "cookies_preferences",
        "messages",
    }
    assert [cookie.name for cookie in essential_cookies() if cookie.name not in names()] == [
        "django_language",
        "csrftoken",
    ]


@override_settings(MESSAGE_STORAGE="django.contrib.messages.storage.session.SessionStorage")
def test_messages_cookie_only_with_cookie_storage() -> None:
    assert "messages" not in names()


@override_settings(MESSAGE_STORAGE="django.contrib.messages.storage.cookie.CookieStorage")
def test_messages_cookie_with_cookie_storage() -> None:
    assert "messages" in names()


def test_without_sessions_and_messages_apps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "INSTALLED_APPS", ["cookie_consent"])
    assert names() == ["django_language", "csrftoken", "cookies_preferences"]


@override_settings(
    SESSION_EXPIRE_AT_BROWSER_CLOSE=True,
    SESSION_COOKIE_DOMAIN=".example.com",
    SESSION_COOKIE_PATH="/app",
    COOKIE_CONSENT_COOKIE_NAME="consent",
    COOKIE_CONSENT_MAX_AGE=86400,
)
def test_declared_cookies_follow_the_settings() -> None:
    by_name = {cookie.name: cookie for cookie in settings_cookies()}
    session = by_name["sessionid"]
    assert (session.duration, session.domain, session.path) == ("Session", ".example.com", "/app")
    assert by_name["consent"].duration == "1 day"
