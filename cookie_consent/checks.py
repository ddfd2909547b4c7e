"""System checks for the ``COOKIE_CONSENT_*`` settings; every id is in docs/checks.rst."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from cookie_consent.catalogue import names
from cookie_consent.conf import UNDECLARED_POLICIES, conf


def _setting_error(id: str, setting: str, value: Any, expected: str) -> Error:
    return Error(
        f"COOKIE_CONSENT_{setting} is {value!r}; it should be {expected}.",
        hint=f"Fix or remove COOKIE_CONSENT_{setting} in your settings.",
        id=f"cookie_consent.{id}",
    )


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# (check id, setting, is the value right?, what it should be)
SETTING_RULES: tuple[tuple[str, str, Callable[[Any], bool], str], ...] = (
    (
        "E001",
        "COOKIE_NAME",
        lambda v: isinstance(v, str) and names.is_valid_name(v) and not names.is_pattern(v),
        "a cookie name: letters, digits and !#$%&'+-.^_`|~, no *",
    ),
    ("E002", "MAX_AGE", lambda v: _is_whole(v) and v > 0, "a positive number of seconds"),
    (
        "E003",
        "UNDECLARED",
        lambda v: v in UNDECLARED_POLICIES,
        " or ".join(repr(p) for p in UNDECLARED_POLICIES),
    ),
    ("E004", "HONOR_GPC", lambda v: isinstance(v, bool), "True or False"),
    (
        "E005",
        "CACHE_ALIAS",
        lambda v: isinstance(v, str) and v in settings.CACHES,
        "the name of a cache in CACHES",
    ),
    (
        "E006",
        "CATALOGUE_REFRESH",
        lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v >= 0,
        "a number of seconds, 0 or more",
    ),
    (
        "E007",
        "COOKIE_DOMAIN",
        lambda v: v is None or (isinstance(v, str) and bool(v)),
        "None (the site's own host) or a domain such as '.example.com'",
    ),
    (
        "E008",
        "COOKIE_PATH",
        lambda v: isinstance(v, str) and v.startswith("/"),
        "a path starting with '/'",
    ),
    ("E009", "DEFAULT_PROVIDER", lambda v: isinstance(v, str), "a string"),
    (
        "E010",
        "COOKIE_SAMESITE",
        lambda v: v is None or v is False or v in ("Lax", "Strict", "None"),
        "'Lax', 'Strict', 'None', or None or False to send no SameSite attribute",
    ),
    (
        "E012",
        "EXEMPT_PATHS",
        lambda v: (
            isinstance(v, list | tuple)
            and all(isinstance(p, str) and p.startswith("/") for p in v)
        ),
        "a list of URL path prefixes, each starting with '/'",
    ),
    (
        "E013",
        "UNDECLARED_FLUSH_INTERVAL",
        lambda v: v is None or (isinstance(v, int | float) and not isinstance(v, bool) and v > 0),
        "a number of seconds above 0, or None to write only through undeclared.flush()",
    ),
    (
        "E014",
        "RECORD_KEY",
        lambda v: v is None or (isinstance(v, str | bytes) and len(v) >= 16),
        "None (a key derived from SECRET_KEY) or a secret of at least 16 characters",
    ),
    ("E015", "RECORD_IP", lambda v: isinstance(v, bool), "True or False"),
    ("E016", "RECORD_USER_AGENT", lambda v: isinstance(v, bool), "True or False"),
    (
        "E017",
        "RECORD_RETENTION_DAYS",
        lambda v: _is_whole(v) and v > 0,
        "a positive number of days",
    ),
    ("E018", "CONTROLLER", lambda v: isinstance(v, str), "a string"),
    ("E019", "JURISDICTION", lambda v: isinstance(v, str), "a string"),
    (
        "E020",
        "GPC_LAST_UPDATE",
        lambda v: isinstance(v, str) and _is_date(v),
        "a date as YYYY-MM-DD",
    ),
    (
        "E021",
        "CONSENT_MODE_WAIT_FOR_UPDATE",
        lambda v: v is None or (_is_whole(v) and v >= 0),
        "None or a number of milliseconds",
    ),
    (
        "E022",
        "CONSENT_MODE_REGION",
        lambda v: (
            v is None or (isinstance(v, list | tuple) and all(isinstance(r, str) for r in v))
        ),
        "None or a list of ISO 3166-2 region codes such as ['ES', 'US-AK']",
    ),
    (
        "E023",
        "CONSENT_MODE_ADS_DATA_REDACTION",
        lambda v: v is None or isinstance(v, bool),
        "None (not set), True or False",
    ),
    (
        "E024",
        "CONSENT_MODE_URL_PASSTHROUGH",
        lambda v: v is None or isinstance(v, bool),
        "None (not set), True or False",
    ),
    (
        "E025",
        "RECORD_KEY_FALLBACKS",
        lambda v: isinstance(v, list | tuple) and all(isinstance(k, str | bytes) for k in v),
        "a list of the record keys used before",
    ),
    (
        "E011",
        "COOKIE_SECURE",
        lambda v: v is None or isinstance(v, bool),
        "None (secure on HTTPS requests), True or False",
    ),
)


MIDDLEWARE_PATH = "cookie_consent.middleware.CookieConsentMiddleware"


@register(Tags.compatibility)
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


@register(Tags.compatibility)
def check_settings(**kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for id, setting, is_right, expected in SETTING_RULES:
        value = getattr(conf, setting)
        if not is_right(value):
            errors.append(_setting_error(id, setting, value, expected))
    return errors


@register(Tags.compatibility)
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


@register(Tags.caches)
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
