"""The cookies Django and this app cannot work without, under their configured names.

They pass the middleware whatever the catalogue says, and the catalogue keeps them in a
category that needs no consent, so that no edit can lock visitors out of a login. This is
the one table of them: the default catalogue declares, from it, those the project sets.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_noop

from cookie_consent.catalogue.translation import describe_duration
from cookie_consent.conf import conf


def _always() -> bool:
    return True


@dataclass(frozen=True)
class EssentialCookie:
    """One cookie of the table, with the texts the default catalogue declares it with."""

    name: str
    function: str
    purpose: str
    duration: str
    domain: str
    path: str
    # Whether the project sets it (its app is installed, its setting asks for a cookie):
    # the default catalogue declares only those. Asked only then, as it may import the
    # project's message storage; the middleware lets every name of the table through.
    set_by_project: Callable[[], bool] = field(default=_always, compare=False, repr=False)


def essential_cookies() -> tuple[EssentialCookie, ...]:
    """Every cookie of the table, named and placed as the current settings say."""
    return (
        EssentialCookie(
            settings.SESSION_COOKIE_NAME,
            gettext_noop("Authentication (front and back office)"),
            gettext_noop("To remember the user from one page to another"),
            describe_duration(
                None if settings.SESSION_EXPIRE_AT_BROWSER_CLOSE else settings.SESSION_COOKIE_AGE
            ),
            settings.SESSION_COOKIE_DOMAIN or "",
            settings.SESSION_COOKIE_PATH,
            set_by_project=lambda: "django.contrib.sessions" in settings.INSTALLED_APPS,
        ),
        EssentialCookie(
            settings.LANGUAGE_COOKIE_NAME,
            gettext_noop("Language selection (front and back office)"),
            gettext_noop("To remember the visitor's language"),
            describe_duration(settings.LANGUAGE_COOKIE_AGE),
            settings.LANGUAGE_COOKIE_DOMAIN or "",
            settings.LANGUAGE_COOKIE_PATH,
            set_by_project=lambda: bool(settings.USE_I18N),
        ),
        EssentialCookie(
            settings.CSRF_COOKIE_NAME,
            gettext_noop("API (CSRF) (front and back office)"),
            gettext_noop("To retrieve data via API calls"),
            describe_duration(settings.CSRF_COOKIE_AGE),
            settings.CSRF_COOKIE_DOMAIN or "",
            settings.CSRF_COOKIE_PATH,
            set_by_project=lambda: not settings.CSRF_USE_SESSIONS,
        ),
        EssentialCookie(
            conf.COOKIE_NAME,
            gettext_noop("Choices related to your cookie preferences"),
            gettext_noop("To remember the visitor's cookie preferences"),
            describe_duration(conf.MAX_AGE),
            conf.COOKIE_DOMAIN or "",
            conf.COOKIE_PATH,
        ),
        EssentialCookie(
            # django.contrib.messages fixes this name; no setting changes it.
            "messages",
            gettext_noop("Messages shown after an action"),
            gettext_noop("To show a confirmation or an error on the next page"),
            describe_duration(None),
            settings.SESSION_COOKIE_DOMAIN or "",
            "/",
            set_by_project=_messages_use_cookies,
        ),
    )


def _messages_use_cookies() -> bool:
    if "django.contrib.messages" not in settings.INSTALLED_APPS:
        return False
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.contrib.messages.storage.fallback import FallbackStorage

    storage = import_string(settings.MESSAGE_STORAGE)
    return issubclass(storage, CookieStorage | FallbackStorage)


@functools.cache
def essential_names() -> frozenset[str]:
    return frozenset(cookie.name for cookie in essential_cookies())


def forget_essential_names(**kwargs: Any) -> None:
    """On ``setting_changed`` (connected in apps.py): the names follow the settings."""
    essential_names.cache_clear()
