"""Factories of the catalogue's rows and of consent cookies, for tests.

The model factories write rows; :func:`make_consent` builds the consent a visitor's cookie
holds, as the app writes it after a decision, and :func:`make_consent_cookie` signs it
into the cookie's value. A test of a malformed or tampered value crafts it by hand.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Any, cast

import factory
from factory.django import DjangoModelFactory

from cookie_consent.catalogue.snapshot import get_catalogue
from cookie_consent.catalogue.values import Category
from cookie_consent.consent.cookie import Decision, StoredConsent, encode, new_consent_id
from cookie_consent.models import Cookie, CookieCategory

# The revision of a decision made before the category last changed: it asks again.
STALE_REVISION = "0"


class CookieCategoryFactory(DjangoModelFactory[CookieCategory]):
    class Meta:
        model = CookieCategory
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"category_{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("_", " ").title())
    description = "Cookies for tests."
    required = False
    needs_consent = True
    order = factory.Sequence(lambda n: 100 + n)


class CookieFactory(DjangoModelFactory[Cookie]):
    class Meta:
        model = Cookie

    category = factory.SubFactory(CookieCategoryFactory)
    name = factory.Sequence(lambda n: f"cookie_{n}")
    provider = "Example Analytics"
    function = "Audience measurement"
    purpose = "To count visits"
    duration = "13 months"
    domain = ""
    path = "/"


def _asked() -> list[Category]:
    """The categories a visitor is asked about, in the current catalogue."""
    return [c for c in get_catalogue().categories if c.needs_consent and not c.required]


def consent_slugs() -> frozenset[str]:
    """The slugs of the categories a visitor is asked about: those that need consent."""
    return frozenset(c.slug for c in _asked())


def _decisions(consent: Any) -> dict[str, Decision]:
    """A decision for each category the visitor is asked about, at its current revision."""
    decisions = {}
    for category in _asked():
        grant = category.slug in consent.granted
        revision = STALE_REVISION if category.slug in consent.stale else category.revision
        decisions[category.slug] = Decision(
            grant, revision, consent.decided_at, gpc=grant and consent.under_gpc
        )
    return decisions


class StoredConsentFactory(factory.Factory[StoredConsent]):
    """The consent the app stores after a decision on the current catalogue.

    ``granted``: the slugs granted, the other categories that need consent are refused
    (``accept_all=True`` grants them all); ``decided_at``: the Unix time of the decision
    (now by default); ``under_gpc``: the grants were made while sending ``Sec-GPC: 1``;
    ``stale``: slugs decided for an older revision. ``decisions=`` replaces them all.
    """

    class Meta:
        model = StoredConsent

    class Params:
        granted: Collection[str] = ()
        decided_at = factory.LazyFunction(lambda: int(time.time()))
        under_gpc = False
        stale: Collection[str] = ()
        accept_all = factory.Trait(granted=factory.LazyFunction(consent_slugs))

    consent_id = factory.LazyFunction(new_consent_id)
    decisions = factory.LazyAttribute(_decisions)


# factory-boy has no type hints: these wrappers give the tests typed objects.
def make_category(**fields: Any) -> CookieCategory:
    return cast(CookieCategory, CookieCategoryFactory(**fields))


def make_cookie(**fields: Any) -> Cookie:
    return cast(Cookie, CookieFactory(**fields))


def make_consent(**fields: Any) -> StoredConsent:
    return cast(StoredConsent, StoredConsentFactory(**fields))


def make_consent_cookie(**fields: Any) -> str:
    """The signed value of the consent cookie holding ``make_consent(**fields)``."""
    return encode(make_consent(**fields))
