"""System checks for the ``COOKIE_CONSENT_*`` settings; every id is in docs/checks.rst.

Plain functions: ``CookieConsentConfig.ready`` registers them, each with its tag.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from cookie_consent.conf import SETTINGS, Setting, conf


def _setting_error(row: Setting[Any], value: Any) -> Error:
    return Error(
        f"{row.setting} is {value!r}; it should be {row.expected}.",
        hint=f"Fix or remove {row.setting} in your settings.",
        id=f"cookie_consent.{row.check_id}",
    )


MIDDLEWARE_PATH = "cookie_consent.middleware.CookieConsentMiddleware"


def check_middleware(**kwargs: Any) -> list[CheckMessage]:
    middleware = list(settings.MIDDLEWARE)
    count = middleware.count(MIDDLEWARE_PATH)
    if count == 0:
        problem = "is not in MIDDLEWARE: no cookie is checked against the visitor's consent"
    elif count > 1:
        problem = "is listed more than once in MIDDLEWARE"
    elif middleware[0] != MIDDLEWARE_PATH:
        problem = (
            "is not first in MIDDLEWARE: the middleware before it can read refused cookies, "
            "and the cookies they set are not checked"
        )
    else:
        return []
    return [
        Warning(
            f"{MIDDLEWARE_PATH} {problem}.",
            hint=f'Put "{MIDDLEWARE_PATH}" once, at the top of MIDDLEWARE.',
            id="cookie_consent.W001",
        )
    ]


def check_settings(**kwargs: Any) -> list[CheckMessage]:
    """Every row of the settings table whose value is wrong (conf.SETTINGS)."""
    values = ((row, getattr(conf, row.name)) for row in SETTINGS)
    return [_setting_error(row, value) for row, value in values if not row.is_valid(value)]


def check_time_zone(**kwargs: Any) -> list[CheckMessage]:
    if settings.USE_TZ:
        return []
    return [
        Warning(
            "USE_TZ is False: consent records would be stored in local time while their "
            "MACs, exports and the admin treat them as UTC.",
            hint="Set USE_TZ = True (Django's default since 5.0).",
            id="cookie_consent.W002",
        )
    ]


# Cache backends that talk to a server over a socket, and the OPTIONS key of its timeout.
SOCKET_TIMEOUT_OPTIONS = {
    "django.core.cache.backends.redis.RedisCache": "socket_timeout",
    "django_redis.cache.RedisCache": "SOCKET_TIMEOUT",
    "django.core.cache.backends.memcached.PyMemcacheCache": "timeout",
}


def _locations(cache: dict[str, Any]) -> list[str]:
    location = cache.get("LOCATION", "")
    return location.split(",") if isinstance(location, str) else list(location)


def _has_socket_timeout(cache: dict[str, Any], option: str) -> bool:
    if cache.get("OPTIONS", {}).get(option) is not None:
        return True
    # Redis URLs may carry it too: redis://host:6379/1?socket_timeout=0.25
    return all("socket_timeout" in parse_qs(urlsplit(url).query) for url in _locations(cache))


def check_cache_timeout(**kwargs: Any) -> list[CheckMessage]:
    alias = conf.CACHE_ALIAS
    cache = settings.CACHES.get(alias) if isinstance(alias, str) else None
    option = SOCKET_TIMEOUT_OPTIONS.get(cache.get("BACKEND", "")) if cache else None
    if cache is None or option is None or _has_socket_timeout(cache, option):
        return []
    return [
        Warning(
            f"The cache {alias!r}, which holds the cookie catalogue, sets no socket timeout: "
            "a cache server that accepts connections but never answers holds the request "
            "that asks it for as long as the client library waits, which can be forever.",
            hint=f'Add "OPTIONS": {{"{option}": 0.25}} (seconds) to CACHES[{alias!r}].',
            id="cookie_consent.W003",
        )
    ]
