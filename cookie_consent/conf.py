"""The app's settings, read from ``django.conf.settings`` when first used.

Reading lazily keeps ``override_settings`` working in tests and lets a project change a
setting without restarting anything that imported this module early. Each value is then
kept until Django announces a settings change (``setting_changed``, which
``override_settings`` sends): a setting left at its default would otherwise cost an
AttributeError inside ``getattr`` on every read, several times per request.
"""

from __future__ import annotations

from typing import Any, Literal

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext_noop

UNDECLARED_POLICIES = ("strip", "report", "allow")

# 182 days: the lifetime of a decision, an acceptance and a refusal alike.
DEFAULT_MAX_AGE = 182 * 24 * 60 * 60


class Settings:
    """Typed access to every ``COOKIE_CONSENT_*`` setting, with its default."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def _get(self, name: str, default: Any) -> Any:
        try:
            return self._values[name]
        except KeyError:
            value = self._values[name] = getattr(settings, f"COOKIE_CONSENT_{name}", default)
            return value

    def forget(self) -> None:
        self._values.clear()

    @property
    def COOKIE_NAME(self) -> str:
        return self._get("COOKIE_NAME", "cookies_preferences")  # type: ignore[no-any-return]

    @property
    def COOKIE_DOMAIN(self) -> str | None:
        return self._get("COOKIE_DOMAIN", None)  # type: ignore[no-any-return]

    @property
    def COOKIE_PATH(self) -> str:
        return self._get("COOKIE_PATH", "/")  # type: ignore[no-any-return]

    @property
    def COOKIE_SAMESITE(self) -> Literal["Lax", "Strict", "None", False] | None:
        return self._get("COOKIE_SAMESITE", "Lax")  # type: ignore[no-any-return]

    @property
    def COOKIE_SECURE(self) -> bool | None:
        """``None``: secure exactly when the request that sets it came over HTTPS."""
        return self._get("COOKIE_SECURE", None)  # type: ignore[no-any-return]

    @property
    def MAX_AGE(self) -> int:
        return self._get("MAX_AGE", DEFAULT_MAX_AGE)  # type: ignore[no-any-return]

    @property
    def UNDECLARED(self) -> str:
        return self._get("UNDECLARED", "strip")  # type: ignore[no-any-return]

    @property
    def HONOR_GPC(self) -> bool:
        return self._get("HONOR_GPC", True)  # type: ignore[no-any-return]

    @property
    def GPC_LAST_UPDATE(self) -> str:
        """``lastUpdate`` of /.well-known/gpc.json: when the site's GPC support last changed."""
        return self._get("GPC_LAST_UPDATE", "2026-11-29")  # type: ignore[no-any-return]

    @property
    def CONSENT_MODE_WAIT_FOR_UPDATE(self) -> int | None:
        """Milliseconds Google tags wait for the visitor's update; None leaves it out."""
        return self._get("CONSENT_MODE_WAIT_FOR_UPDATE", 500)  # type: ignore[no-any-return]

    @property
    def CONSENT_MODE_REGION(self) -> list[str] | None:
        """ISO 3166-2 regions the consent defaults apply to; None: everywhere."""
        return self._get("CONSENT_MODE_REGION", None)  # type: ignore[no-any-return]

    @property
    def CONSENT_MODE_ADS_DATA_REDACTION(self) -> bool | None:
        return self._get("CONSENT_MODE_ADS_DATA_REDACTION", None)  # type: ignore[no-any-return]

    @property
    def CONSENT_MODE_URL_PASSTHROUGH(self) -> bool | None:
        return self._get("CONSENT_MODE_URL_PASSTHROUGH", None)  # type: ignore[no-any-return]

    @property
    def CACHE_ALIAS(self) -> str:
        return self._get("CACHE_ALIAS", "default")  # type: ignore[no-any-return]

    @property
    def CATALOGUE_REFRESH(self) -> float:
        """Seconds a process trusts its catalogue snapshot before asking the cache."""
        return self._get("CATALOGUE_REFRESH", 5)  # type: ignore[no-any-return]

    @property
    def EXEMPT_PATHS(self) -> tuple[str, ...] | list[str]:
        """URL path prefixes where cookies pass unchecked in both directions."""
        return self._get("EXEMPT_PATHS", ())  # type: ignore[no-any-return]

    @property
    def UNDECLARED_FLUSH_INTERVAL(self) -> float | None:
        """Seconds between writes of undeclared-cookie sightings; None: only on demand."""
        return self._get("UNDECLARED_FLUSH_INTERVAL", 10)  # type: ignore[no-any-return]

    @property
    def RECORD_KEY(self) -> str | None:
        """Key of the consent records' MACs; None: derived from SECRET_KEY (and fallbacks)."""
        return self._get("RECORD_KEY", None)  # type: ignore[no-any-return]

    @property
    def RECORD_KEY_FALLBACKS(self) -> list[str]:
        """Earlier values of RECORD_KEY, so that records made under them still verify."""
        return self._get("RECORD_KEY_FALLBACKS", [])  # type: ignore[no-any-return]

    @property
    def RECORD_IP(self) -> bool:
        """Keep a keyed hash of the visitor's truncated IP address in the consent record."""
        return self._get("RECORD_IP", False)  # type: ignore[no-any-return]

    @property
    def RECORD_USER_AGENT(self) -> bool:
        return self._get("RECORD_USER_AGENT", True)  # type: ignore[no-any-return]

    @property
    def RECORD_RETENTION_DAYS(self) -> int:
        """What ``cookie_consent_prune`` keeps by default: five years."""
        return self._get("RECORD_RETENTION_DAYS", 5 * 365)  # type: ignore[no-any-return]

    @property
    def CONTROLLER(self) -> str:
        """The data controller named in exported records."""
        return self._get("CONTROLLER", "")  # type: ignore[no-any-return]

    @property
    def JURISDICTION(self) -> str:
        """The jurisdiction named in exported records, e.g. "EU"."""
        return self._get("JURISDICTION", "")  # type: ignore[no-any-return]

    @property
    def DEFAULT_PROVIDER(self) -> str:
        """Provider named for the cookies of the default catalogue."""
        # Marked for translation: shown in the visitor's language while an admin keeps it.
        return self._get("DEFAULT_PROVIDER", gettext_noop("This website"))  # type: ignore[no-any-return]


conf = Settings()


@receiver(setting_changed)
def _setting_changed(**kwargs: Any) -> None:
    conf.forget()
