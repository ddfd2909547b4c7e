"""(f) django-cookie-consent 1.0.0, from PyPI, in its own virtualenv.

Its groups mirror this project's default catalogue with the four tracking cookies (it has
no patterns, so ``_ga_ABC123`` is declared by its exact name); its cookies Django sets go
in a required group, as its fixtures do.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from benchsite.scenario import Request, get, post_form, returning

CONSENT_COOKIE = "cookie_consent"

GROUPS = (
    (
        "necessary",
        "Necessary cookies",
        "“Necessary” internal cookies allow information to be saved between two visits to "
        "the same website by the same device. They do not require the user’s consent.",
        True,
        ("sessionid", "csrftoken", "django_language", "cookie_consent", "messages"),
    ),
    (
        "statistics",
        "Statistical cookies",
        "“Statistical” cookies make it possible to track an Internet user's actions on a "
        "website. When statistics are anonymized (meaning they cannot be traced back to a "
        "person), user consent is not required.",
        False,
        ("_ga", "_ga_ABC123", "_gid"),
    ),
    (
        "first_party",
        "Internal or first-party cookies",
        "“Internal” or “first-party” cookies are stored by the website visited. They can be "
        "stored in addition to the necessary cookies, and can be used to collect personal "
        "data, track user behavior, and for advertising purposes.",
        False,
        (),
    ),
    (
        "third_party",
        "Third-party cookies",
        "“Third-party” cookies are cookies stored by (or for) a Website B (often an "
        "advertising agency) on Website A. This allows Website B to see what pages the user "
        "visited on Website A, and collect information about the user.",
        False,
        ("_fbp",),
    ),
)


def prepare(catalogue_size: int) -> None:
    # benchsite.settings.dcc has made sure this is django-cookie-consent's cookie_consent.
    from cookie_consent.models import Cookie, CookieGroup

    if catalogue_size != 4:
        raise ValueError("django-cookie-consent is measured with the four tracking cookies")
    for order, (varname, name, description, required, cookies) in enumerate(GROUPS):
        group = CookieGroup.objects.create(
            varname=varname,
            name=name,
            description=description,
            is_required=required,
            is_deletable=not required,
            ordering=order,
        )
        for cookie in cookies:
            Cookie.objects.create(cookiegroup=group, name=cookie, description=name)


def _decision(path: str) -> Request:
    # What its banner's "Accept all" and "Reject all" buttons send.
    return post_form(path, [("all_groups", "1"), ("next", "/")], {})


def consent_posts() -> dict[str, Request]:
    return {"accept": _decision("/cookies/accept/"), "reject": _decision("/cookies/decline/")}


def scenarios(consent: dict[str, str]) -> dict[str, Request]:
    accepting = returning(CONSENT_COOKIE, consent["accept"])
    refusing = returning(CONSENT_COOKIE, consent["reject"])
    return {
        "page:new": get("/"),
        "page:accept": get("/", accepting),
        "page:refuse": get("/", refusing),
        "post:accept": _decision("/cookies/accept/"),
        # Its cookie list page and its status endpoint: the nearest to a policy and an API.
        "policy:new": get("/cookies/"),
        "policy:accept": get("/cookies/", accepting),
        "api:new": get("/cookies/status/"),
        "api:accept": get("/cookies/status/", accepting),
    }


def make_cold() -> None:
    from django.core.cache import cache

    cache.clear()


def describe() -> dict[str, Any]:
    import cookie_consent

    return {
        "app": "django-cookie-consent",
        "version": version("django-cookie-consent"),
        "module": cookie_consent.__file__,
    }
