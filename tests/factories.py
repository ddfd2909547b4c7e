from __future__ import annotations

from typing import Any, cast

import factory
from factory.django import DjangoModelFactory

from cookie_consent.models import Cookie, CookieCategory


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


# factory-boy has no type hints: these wrappers give the tests typed objects.
def make_category(**fields: Any) -> CookieCategory:
    return cast(CookieCategory, CookieCategoryFactory(**fields))


def make_cookie(**fields: Any) -> Cookie:
    return cast(Cookie, CookieFactory(**fields))
