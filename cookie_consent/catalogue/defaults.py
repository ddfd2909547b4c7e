"""The default catalogue: the reference policy's four categories and Django's own cookies.

Run after every ``migrate`` (and after ``flush``, which test databases go through). The
categories and their texts are created once, on the first install; after that only the
cookies named by the current settings are added when missing, so a renamed
``SESSION_COOKIE_NAME`` is declared at the next ``migrate`` and nothing an admin edited or
deleted elsewhere comes back.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, router
from django.db.migrations import Migration
from django.utils.translation import gettext_noop

from cookie_consent.catalogue import snapshot as catalogue
from cookie_consent.catalogue.essential import EssentialCookie, essential_cookies
from cookie_consent.catalogue.loading import CatalogueFileError, load_catalogue
from cookie_consent.conf import conf

# The documented logger name of the catalogue.
logger = logging.getLogger("cookie_consent.catalogue")

NECESSARY = "necessary"
INITIAL_MIGRATION = ("cookie_consent", "0001_initial")


# The four cookie types of the reference policy, with its words: categories as the
# catalogue loader reads them from a file (docs/catalogue-files.rst), which only reads them.
CATEGORIES: tuple[dict[str, Any], ...] = (
    {
        "slug": NECESSARY,
        "name": gettext_noop("Necessary cookies"),
        "description": gettext_noop(
            "“Necessary” internal cookies allow information to be saved between two visits "
            "to the same website by the same device. They can save a shopping cart, log-in "
            "information, or interface preferences. They do not require the user’s consent."
        ),
        "required": True,
        "needs_consent": False,
        "order": 0,
        "consent_mode": "security_storage functionality_storage",
    },
    {
        "slug": "statistics",
        "name": gettext_noop("Statistical cookies"),
        "description": gettext_noop(
            "“Statistical” cookies make it possible to track an Internet user's actions on a "
            "website. When statistics are anonymized (meaning they cannot be traced back to "
            "a person), user consent is not required."
        ),
        "required": False,
        "needs_consent": True,
        "order": 10,
        "consent_mode": "analytics_storage",
    },
    {
        "slug": "first_party",
        "name": gettext_noop("Internal or first-party cookies"),
        "description": gettext_noop(
            "“Internal” or “first-party” cookies are stored by the website visited. They can "
            "be stored in addition to the necessary cookies, and can be used to collect "
            "personal data, track user behavior, and for advertising purposes."
        ),
        "required": False,
        "needs_consent": True,
        "order": 20,
        "consent_mode": "personalization_storage",
    },
    {
        "slug": "third_party",
        "name": gettext_noop("Third-party cookies"),
        "description": gettext_noop(
            "“Third-party” cookies are cookies stored by (or for) a Website B (often an "
            "advertising agency) on Website A. This allows Website B to see what pages the "
            "user visited on Website A, and collect information about the user."
        ),
        "required": False,
        "needs_consent": True,
        "order": 30,
        "consent_mode": "ad_storage ad_user_data ad_personalization",
    },
)


# The texts of cookie_consent/data/reference-catalogue.json that the default catalogue does
# not share word for word: marked here so that the reference policy page can be shown in
# every language the app ships.
REFERENCE_TEXTS = (
    gettext_noop("Cookies necessary for the platform to function properly/functionality cookies"),
    gettext_noop("API (CSRF) (front et back office)"),
)


def settings_cookies() -> list[EssentialCookie]:
    """The essential cookies this project sets: those the default catalogue declares."""
    return [cookie for cookie in essential_cookies() if cookie.set_by_project()]


def declare_default_catalogue(
    sender: AppConfig,
    *,
    using: str = DEFAULT_DB_ALIAS,
    apps: Any = global_apps,
    plan: list[tuple[Migration, bool]] | None = None,
    **kwargs: Any,
) -> None:
    """The ``post_migrate`` handler: see the module docstring.

    It decides what is missing and leaves the writing to the catalogue loader, the one
    writer of catalogue rows, which checks every row as ``cookie_consent_load`` does.
    """
    try:
        category_model = apps.get_model("cookie_consent", "CookieCategory")
        cookie_model = apps.get_model("cookie_consent", "Cookie")
    except LookupError:  # migrated back to zero: there is nothing to declare into
        return
    if not router.allow_migrate_model(using, category_model):
        return
    load = functools.partial(
        load_catalogue,
        category_model=category_model,
        cookie_model=cookie_model,
        using=using,
        source="the default catalogue",
    )
    categories = category_model._default_manager.using(using)
    wanted = CATEGORIES if _is_first_install(plan, categories) else CATEGORIES[:1]
    stored = set(categories.values_list("slug", flat=True))
    missing = [category for category in wanted if category["slug"] not in stored]
    if missing:
        load(missing)
    declared = set(cookie_model._default_manager.using(using).values_list("name", flat=True))
    for cookie in settings_cookies():
        if cookie.name not in declared:
            _declare(load, cookie)
    # Historical models send signals our receivers do not recognise.
    catalogue.invalidate(using)


def _is_first_install(plan: list[tuple[Migration, bool]] | None, categories: Any) -> bool:
    if plan is None:  # flush: an empty database is a new one
        return not categories.exists()
    return any(
        (migration.app_label, migration.name) == INITIAL_MIGRATION and not backwards
        for migration, backwards in plan
    )


def _declare(load: Callable[[list[dict[str, Any]]], Any], cookie: EssentialCookie) -> None:
    """Declare one essential cookie in ``necessary``, or log why the rules refuse it.

    One load per cookie, and a refusal never fails ``migrate``: the middleware lets the
    cookie through anyway, and the other cookies are still declared. (A refusal takes a
    catalogue an admin changed, e.g. ``necessary`` made a category that needs consent.)
    """
    data = {
        "name": cookie.name,
        "provider": conf.DEFAULT_PROVIDER,
        "function": cookie.function,
        "purpose": cookie.purpose,
        "duration": cookie.duration,
        "domain": cookie.domain,
        "path": cookie.path,
    }
    try:
        load([{"slug": NECESSARY, "cookies": [data]}])
    except CatalogueFileError as error:
        logger.warning(
            "Cookie catalogue: %r, a cookie the settings name, is not declared in %r: %s",
            cookie.name,
            NECESSARY,
            "; ".join(problem.split(": ", 1)[-1] for problem in error.problems),
        )
