from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import Error, run_checks
from django.test import override_settings

from cookie_consent.checks import (
    check_cache_timeout,
    check_middleware,
    check_settings,
    check_time_zone,
)
from cookie_consent.conf import SETTINGS, Settings

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_defaults_pass() -> None:
    assert check_settings() == []


# In docs/settings.rst, a setting's section starts with its name, then says its default
# and its check: ".. setting:: COOKIE_CONSENT_X" … "Default: ``1``" … "Check: ``….E001``".
DOCUMENTED = re.compile(
    r"^\.\. setting:: (\w+)$.*?Default:\s+``(.+?)``.*?Check:\s+``cookie_consent\.(\w+)``",
    re.MULTILINE | re.DOTALL,
)


def test_the_table_is_the_documented_one() -> None:
    """conf's table and docs/settings.rst: the same settings, order, defaults and ids."""
    assert Settings.COOKIE_NAME is SETTINGS[0]  # the class hands out its rows
    page = (DOCS / "settings.rst").read_text(encoding="utf-8")
    documented = [
        (name, ast.literal_eval(default), id) for name, default, id in DOCUMENTED.findall(page)
    ]
    assert [(row.setting, row.default, row.check_id) for row in SETTINGS] == documented
    checks_page = (DOCS / "checks.rst").read_text(encoding="utf-8")
    anchors = re.findall(r"^\.\. _cookie_consent\.(\w+):$", checks_page, re.MULTILINE)
    assert {row.check_id for row in SETTINGS} - set(anchors) == set()


@pytest.mark.parametrize(
    ("setting", "value", "check_id"),
    [
        ("COOKIE_NAME", "has space", "E001"),
        ("COOKIE_NAME", "consent_*", "E001"),
        ("COOKIE_NAME", 42, "E001"),
        ("MAX_AGE", 0, "E002"),
        ("MAX_AGE", "182 days", "E002"),
        ("MAX_AGE", True, "E002"),
        ("UNDECLARED", "delete", "E003"),
        ("HONOR_GPC", "yes", "E004"),
        ("CACHE_ALIAS", "missing", "E005"),
        ("CACHE_ALIAS", None, "E005"),
        ("CATALOGUE_REFRESH", -1, "E006"),
        ("CATALOGUE_REFRESH", "5", "E006"),
        ("CATALOGUE_REFRESH", False, "E006"),
        ("COOKIE_DOMAIN", "", "E007"),
        ("COOKIE_DOMAIN", 1, "E007"),
        ("COOKIE_PATH", "cookies", "E008"),
        ("DEFAULT_PROVIDER", None, "E009"),
        ("EXEMPT_PATHS", "/api/", "E012"),
        ("EXEMPT_PATHS", ["api/"], "E012"),
        ("UNDECLARED_FLUSH_INTERVAL", 0, "E013"),
        ("UNDECLARED_FLUSH_INTERVAL", "10", "E013"),
        ("COOKIE_SAMESITE", "lax", "E010"),
        ("COOKIE_SAMESITE", 0, "E010"),
        ("COOKIE_SECURE", 1, "E011"),
        ("RECORD_KEY", "short", "E014"),
        ("RECORD_IP", "yes", "E015"),
        ("RECORD_USER_AGENT", None, "E016"),
        ("RECORD_RETENTION_DAYS", 0, "E017"),
        ("CONTROLLER", None, "E018"),
        ("JURISDICTION", 1, "E019"),
        ("GPC_LAST_UPDATE", "29/11/2026", "E020"),
        ("GPC_LAST_UPDATE", "20261129", "E020"),
        ("CONSENT_MODE_WAIT_FOR_UPDATE", -1, "E021"),
        ("CONSENT_MODE_REGION", "ES", "E022"),
        ("CONSENT_MODE_ADS_DATA_REDACTION", "yes", "E023"),
        ("CONSENT_MODE_URL_PASSTHROUGH", 1, "E024"),
        ("RECORD_KEY_FALLBACKS", "old key", "E025"),
    ],
)
def test_bad_setting_is_named(setting: str, value: Any, check_id: str) -> None:
    with override_settings(**{f"COOKIE_CONSENT_{setting}": value}):
        messages = check_settings()
    assert [m.id for m in messages] == [f"cookie_consent.{check_id}"]
    assert isinstance(messages[0], Error)
    assert messages[0].msg.startswith(f"COOKIE_CONSENT_{setting} is {value!r}; it should be ")
    assert messages[0].hint == f"Fix or remove COOKIE_CONSENT_{setting} in your settings."


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("COOKIE_NAME", "consent"),
        ("MAX_AGE", 3600),
        ("UNDECLARED", "report"),
        ("UNDECLARED", "allow"),
        ("HONOR_GPC", False),
        ("CATALOGUE_REFRESH", 0),
        ("CATALOGUE_REFRESH", 0.5),
        ("COOKIE_DOMAIN", ".example.com"),
        ("COOKIE_PATH", "/shop/"),
        ("DEFAULT_PROVIDER", "Example Ltd"),
        ("EXEMPT_PATHS", ["/api/", "/healthz"]),
        ("EXEMPT_PATHS", ()),
        ("UNDECLARED_FLUSH_INTERVAL", None),
        ("UNDECLARED_FLUSH_INTERVAL", 0.5),
        ("COOKIE_SAMESITE", None),
        ("COOKIE_SAMESITE", False),
        ("COOKIE_SAMESITE", "None"),
        ("COOKIE_SECURE", True),
        ("RECORD_KEY", "a long dedicated record key"),
        ("RECORD_RETENTION_DAYS", 30),
        ("CONTROLLER", "Example Ltd, privacy@example.com"),
        ("JURISDICTION", "EU"),
        ("GPC_LAST_UPDATE", "2027-01-15"),
        ("CONSENT_MODE_WAIT_FOR_UPDATE", None),
        ("CONSENT_MODE_REGION", ["ES", "US-AK"]),
        ("CONSENT_MODE_ADS_DATA_REDACTION", False),
    ],
)
def test_good_values_pass(setting: str, value: Any) -> None:
    with override_settings(**{f"COOKIE_CONSENT_{setting}": value}):
        assert check_settings() == []


def test_the_message_says_what_the_value_should_be() -> None:
    """As docs/checks.rst shows it."""
    with override_settings(COOKIE_CONSENT_MAX_AGE="182 days"):
        [message] = check_settings()
    assert message.msg == (
        "COOKIE_CONSENT_MAX_AGE is '182 days'; it should be a positive number of seconds."
    )


# Django 6.1 runs its database checks too when no tags are given.
@pytest.mark.django_db
def test_checks_are_registered() -> None:
    with override_settings(COOKIE_CONSENT_MAX_AGE=-1):
        messages = run_checks()
    assert "cookie_consent.E002" in [m.id for m in messages]


MIDDLEWARE = "cookie_consent.middleware.CookieConsentMiddleware"
SESSION = "django.contrib.sessions.middleware.SessionMiddleware"


@pytest.mark.parametrize(
    ("middleware", "problem"),
    [
        ([SESSION], "is not in MIDDLEWARE"),
        ([SESSION, MIDDLEWARE], "is not first in MIDDLEWARE"),
        ([MIDDLEWARE, SESSION, MIDDLEWARE], "is listed more than once"),
    ],
)
def test_middleware_placement(middleware: list[str], problem: str) -> None:
    with override_settings(MIDDLEWARE=middleware):
        messages = check_middleware()
    assert [m.id for m in messages] == ["cookie_consent.W001"]
    assert problem in messages[0].msg
    assert messages[0].hint == f'Put "{MIDDLEWARE}" once, at the top of MIDDLEWARE.'


def test_middleware_first_passes() -> None:
    with override_settings(MIDDLEWARE=[MIDDLEWARE, SESSION]):
        assert check_middleware() == []


def test_use_tz_false_is_warned() -> None:
    assert check_time_zone() == []
    with override_settings(USE_TZ=False):
        assert [m.id for m in check_time_zone()] == ["cookie_consent.W002"]


REDIS = "django.core.cache.backends.redis.RedisCache"


@pytest.mark.parametrize(
    ("cache", "option"),
    [
        ({"BACKEND": REDIS, "LOCATION": "redis://127.0.0.1:6379/1"}, "socket_timeout"),
        (
            {"BACKEND": REDIS, "LOCATION": ["redis://a/1?socket_timeout=1", "redis://b/1"]},
            "socket_timeout",
        ),
        (
            {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1/1"},
            "SOCKET_TIMEOUT",
        ),
        (
            {
                "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
                "LOCATION": "127.0.0.1:11211",
            },
            "timeout",
        ),
    ],
)
def test_cache_without_socket_timeout_is_warned(cache: dict[str, Any], option: str) -> None:
    with override_settings(CACHES={"default": cache}):
        messages = check_cache_timeout()
    assert [m.id for m in messages] == ["cookie_consent.W003"]
    assert messages[0].msg == (
        "The cache 'default', which holds the cookie catalogue, sets no socket timeout: a "
        "cache server that accepts connections but never answers holds the request that "
        "asks it for as long as the client library waits, which can be forever."
    )
    assert messages[0].hint == (
        f'Add "OPTIONS": {{"{option}": 0.25}} (seconds) to CACHES[\'default\'].'
    )


@pytest.mark.parametrize(
    ("caches", "alias"),
    [
        ({"default": {"BACKEND": REDIS, "OPTIONS": {"socket_timeout": 0.25}}}, "default"),
        (
            {
                "default": {
                    "BACKEND": REDIS,
                    "LOCATION": "redis://a/1?socket_timeout=0.25,redis://b/1?socket_timeout=0.25",
                }
            },
            "default",
        ),
        (
            {
                "default": {"BACKEND": REDIS, "LOCATION": "redis://127.0.0.1:6379/1"},
                "catalogue": {"BACKEND": REDIS, "OPTIONS": {"socket_timeout": 0.25}},
            },
            "catalogue",
        ),
        ({"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}, "default"),
        ({"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}, "missing"),
        ({"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}, ["x"]),
    ],
)
def test_cache_with_socket_timeout_or_without_socket_passes(
    caches: dict[str, Any], alias: Any
) -> None:
    with override_settings(CACHES=caches, COOKIE_CONSENT_CACHE_ALIAS=alias):
        assert check_cache_timeout() == []
