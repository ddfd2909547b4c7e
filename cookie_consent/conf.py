"""The app's settings: one table, read from ``django.conf.settings`` when first used.

Each ``COOKIE_CONSENT_*`` setting is declared once, as a :class:`Setting` row in the body
of :class:`Settings`: its default, and what its system check needs (the id, the rule a
value must pass, what the value should be). ``conf`` reads the rows; the settings check
iterates over the same rows, ``SETTINGS``, in this order (docs/settings.rst's).

Reading lazily keeps ``override_settings`` working in tests and lets a project change a
setting without restarting anything that imported this module early. Each value is then
kept until Django announces a settings change (``setting_changed``, which
``override_settings`` sends): a setting left at its default would otherwise cost an
AttributeError inside ``getattr`` on every read, several times per request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, Literal, TypeVar, overload

from django.conf import settings
from django.utils.translation import gettext_noop

from cookie_consent.catalogue import names

UNDECLARED_POLICIES = ("strip", "report", "allow")

# 182 days: the lifetime of a decision, an acceptance and a refusal alike.
DEFAULT_MAX_AGE = 182 * 24 * 60 * 60

T = TypeVar("T")
Rule = Callable[[Any], bool]


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One row of the table: a setting's default, and the check of a value set for it.

    It is named by the attribute of :class:`Settings` it is assigned to. As a descriptor
    without ``__set__``, it is asked only on the first read: it stores the value in the
    instance's ``__dict__``, where every later read finds it as a plain attribute, as
    cheap as reading a constant, until :meth:`Settings.forget`.
    """

    check_id: str
    default: T
    is_valid: Rule
    expected: str  # ends the check's message: "COOKIE_CONSENT_X is …; it should be {expected}."
    name: str = field(default="", init=False)

    def __set_name__(self, owner: type, name: str) -> None:
        object.__setattr__(self, "name", name)

    @property
    def setting(self) -> str:
        return f"COOKIE_CONSENT_{self.name}"

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> Setting[T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...

    def __get__(self, instance: object, owner: type | None = None) -> Setting[T] | T:
        if instance is None:
            return self
        value: T = getattr(settings, self.setting, self.default)
        instance.__dict__[self.name] = value
        return value


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_date(value: Any) -> bool:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return len(value) == 10


def _list_of(rule: Rule) -> Rule:
    return lambda value: isinstance(value, list | tuple) and all(map(rule, value))


def _none_or(rule: Rule) -> Rule:
    return lambda value: value is None or rule(value)


def _is_cookie_name(value: Any) -> bool:
    return _is_str(value) and names.is_valid_name(value) and not names.is_pattern(value)


def _is_path(value: Any) -> bool:
    return _is_str(value) and value.startswith("/")


SameSite = Literal["Lax", "Strict", "None", False] | None
BOOL = "True or False"
UNSET_OR_BOOL = "None (not set), True or False"


class Settings:
    """Typed access to every ``COOKIE_CONSENT_*`` setting, with its default: the table."""

    # The consent cookie.
    COOKIE_NAME = Setting(
        "E001",
        "cookies_preferences",
        _is_cookie_name,
        "a cookie name: letters, digits and !#$%&'+-.^_`|~, no *",
    )
    COOKIE_DOMAIN: Setting[str | None] = Setting(
        "E007",
        None,
        _none_or(lambda value: _is_str(value) and bool(value)),
        "None (the site's own host) or a domain such as '.example.com'",
    )
    COOKIE_PATH = Setting("E008", "/", _is_path, "a path starting with '/'")
    MAX_AGE = Setting(
        "E002", DEFAULT_MAX_AGE, lambda v: _is_whole(v) and v > 0, "a positive number of seconds"
    )
    COOKIE_SAMESITE: Setting[SameSite] = Setting(
        "E010",
        "Lax",
        lambda value: value is None or value is False or value in ("Lax", "Strict", "None"),
        "'Lax', 'Strict', 'None', or None or False to send no SameSite attribute",
    )
    # None: secure exactly when the request that sets it came over HTTPS.
    COOKIE_SECURE: Setting[bool | None] = Setting(
        "E011", None, _none_or(_is_bool), "None (secure on HTTPS requests), True or False"
    )

    # Enforcement.
    UNDECLARED = Setting(
        "E003",
        "strip",
        lambda value: value in UNDECLARED_POLICIES,
        " or ".join(repr(policy) for policy in UNDECLARED_POLICIES),
    )
    # Seconds between writes of undeclared-cookie sightings; None: only on demand.
    UNDECLARED_FLUSH_INTERVAL: Setting[float | None] = Setting(
        "E013",
        10,
        _none_or(lambda value: _is_number(value) and value > 0),
        "a number of seconds above 0, or None to write only through undeclared.flush()",
    )
    # URL path prefixes where cookies pass unchecked in both directions.
    EXEMPT_PATHS: Setting[Sequence[str]] = Setting(
        "E012", (), _list_of(_is_path), "a list of URL path prefixes, each starting with '/'"
    )

    # The catalogue.
    CACHE_ALIAS = Setting(
        "E005",
        "default",
        lambda value: _is_str(value) and value in settings.CACHES,
        "the name of a cache in CACHES",
    )
    # Seconds a process trusts its catalogue snapshot before asking the cache.
    CATALOGUE_REFRESH: Setting[float] = Setting(
        "E006", 5, lambda v: _is_number(v) and v >= 0, "a number of seconds, 0 or more"
    )
    # Marked for translation: shown in the visitor's language while an admin keeps it.
    DEFAULT_PROVIDER = Setting("E009", gettext_noop("This website"), _is_str, "a string")

    # Global Privacy Control.
    HONOR_GPC = Setting("E004", True, _is_bool, BOOL)
    # lastUpdate of /.well-known/gpc.json: when the site's GPC support last changed.
    GPC_LAST_UPDATE = Setting("E020", "2026-11-29", _is_date, "a date as YYYY-MM-DD")

    # Google Consent Mode. Milliseconds Google tags wait for the visitor's update.
    CONSENT_MODE_WAIT_FOR_UPDATE: Setting[int | None] = Setting(
        "E021",
        500,
        _none_or(lambda value: _is_whole(value) and value >= 0),
        "None or a number of milliseconds",
    )
    # ISO 3166-2 regions the consent defaults apply to; None: everywhere.
    CONSENT_MODE_REGION: Setting[Sequence[str] | None] = Setting(
        "E022",
        None,
        _none_or(_list_of(_is_str)),
        "None or a list of ISO 3166-2 region codes such as ['ES', 'US-AK']",
    )
    CONSENT_MODE_ADS_DATA_REDACTION: Setting[bool | None] = Setting(
        "E023", None, _none_or(_is_bool), UNSET_OR_BOOL
    )
    CONSENT_MODE_URL_PASSTHROUGH: Setting[bool | None] = Setting(
        "E024", None, _none_or(_is_bool), UNSET_OR_BOOL
    )

    # The consent records. The key of their MACs; None: derived from SECRET_KEY (and
    # its fallbacks). Earlier keys go in RECORD_KEY_FALLBACKS, so old records still verify.
    RECORD_KEY: Setting[str | None] = Setting(
        "E014",
        None,
        _none_or(lambda value: isinstance(value, str | bytes) and len(value) >= 16),
        "None (a key derived from SECRET_KEY) or a secret of at least 16 characters",
    )
    RECORD_KEY_FALLBACKS: Setting[list[str]] = Setting(
        "E025",
        [],
        _list_of(lambda key: isinstance(key, str | bytes)),
        "a list of the record keys used before",
    )
    # Keep a keyed hash of the visitor's truncated IP address in the consent record.
    RECORD_IP = Setting("E015", False, _is_bool, BOOL)
    RECORD_USER_AGENT = Setting("E016", True, _is_bool, BOOL)
    # What cookie_consent_prune keeps by default: five years.
    RECORD_RETENTION_DAYS = Setting(
        "E017", 5 * 365, lambda v: _is_whole(v) and v > 0, "a positive number of days"
    )
    # The data controller and the jurisdiction (e.g. "EU") named in exported records.
    CONTROLLER = Setting("E018", "", _is_str, "a string")
    JURISDICTION = Setting("E019", "", _is_str, "a string")

    def forget(self) -> None:
        """Drop every value read, so that the next reads see the settings as they are."""
        self.__dict__.clear()


SETTINGS: tuple[Setting[Any], ...] = tuple(
    row for row in vars(Settings).values() if isinstance(row, Setting)
)

conf = Settings()


def forget_settings(**kwargs: Any) -> None:
    """On ``setting_changed`` (connected in ``CookieConsentConfig.ready``)."""
    conf.forget()
