"""(a) No consent handling."""

from __future__ import annotations

from typing import Any

from benchsite.scenario import PLACEHOLDER_CONSENT, Request, get, returning

CONSENT_COOKIE = "cookies_preferences"


def prepare(catalogue_size: int) -> None:
    """Nothing to declare."""


def consent_posts() -> dict[str, Request]:
    return {}


def scenarios(consent: dict[str, str]) -> dict[str, Request]:
    return {
        "page:new": get("/"),
        # The same Cookie header, give or take a few bytes, as a decided visitor sends.
        "page:returning": get("/", returning(CONSENT_COOKIE, PLACEHOLDER_CONSENT)),
    }


def make_cold() -> None:
    from django.core.cache import cache

    cache.clear()


def describe() -> dict[str, Any]:
    return {"app": None, "version": None, "module": __file__}
