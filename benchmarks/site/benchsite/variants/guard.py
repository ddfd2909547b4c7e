"""(b, c, d) django-cookie-guard, this repository's app."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from benchsite.scenario import Request, get, post_form, returning

CONSENT_COOKIE = "cookies_preferences"
JSON = "application/json"

# The four tracking cookies of benchsite.scenario, as a site would declare them.
DECLARED = (
    ("_ga", "statistics", "Google Analytics", "To tell visitors apart", "13 months"),
    ("_ga_*", "statistics", "Google Analytics", "To keep the state of a session", "13 months"),
    ("_gid", "statistics", "Google Analytics", "To tell visitors apart", "1 day"),
    ("_fbp", "third_party", "Meta", "To measure advertising", "3 months"),
)
EXTRA_CATEGORIES = ("statistics", "first_party", "third_party")


def catalogue_rows(size: int) -> list[tuple[str, str, str, str, str]]:
    """``size`` declared cookies: the four above, then made-up ones, one in ten a pattern."""
    rows = list(DECLARED)
    extra = size - len(rows)
    patterns = size // 10 if extra > 0 else 0
    for number in range(extra):
        name = f"_x{number:03d}_*" if number < patterns else f"ck_{number:04d}"
        rows.append(
            (
                name,
                EXTRA_CATEGORIES[number % len(EXTRA_CATEGORIES)],
                f"Provider {number % 17}",
                "A purpose described in a sentence of ordinary length, as admins write them.",
                "1 year",
            )
        )
    return rows


def prepare(catalogue_size: int) -> None:
    from cookie_consent.models import Cookie, CookieCategory

    categories = {category.slug: category for category in CookieCategory.objects.all()}
    Cookie.objects.bulk_create(
        Cookie(
            category=categories[slug],
            name=name,
            provider=provider,
            function="Audience measurement (all pages)",
            purpose=purpose,
            duration=duration,
        )
        for name, slug, provider, purpose, duration in catalogue_rows(catalogue_size)
    )


def _decision(action: str) -> Request:
    fields = [("action", action), ("method", "banner"), ("next", "/")]
    return post_form("/cookies/update/", fields, {})


def consent_posts() -> dict[str, Request]:
    return {"accept": _decision("accept_all"), "reject": _decision("reject_all")}


def scenarios(consent: dict[str, str]) -> dict[str, Request]:
    accepting = returning(CONSENT_COOKIE, consent["accept"])
    refusing = returning(CONSENT_COOKIE, consent["reject"])
    return {
        "page:new": get("/"),
        "page:accept": get("/", accepting),
        "page:refuse": get("/", refusing),
        "post:accept": _decision("accept_all"),
        "policy:new": get("/cookies/"),
        "policy:accept": get("/cookies/", accepting),
        "api:new": get("/cookies/api/", Accept=JSON),
        "api:accept": get("/cookies/api/", accepting, Accept=JSON),
    }


def make_cold() -> None:
    from django.core.cache import cache

    from cookie_consent.catalogue import snapshot as catalogue

    catalogue.forget_local()
    cache.clear()


def describe() -> dict[str, Any]:
    import cookie_consent

    return {
        "app": "django-cookie-guard",
        "version": version("django-cookie-guard"),
        "module": cookie_consent.__file__,
    }
