"""Reading the catalogue's rows from the database into the snapshot's value types."""

from __future__ import annotations

from collections import defaultdict

from cookie_consent.catalogue.values import Category, DeclaredCookie, category_revision


def load_categories() -> tuple[Category, ...]:
    """Read the whole catalogue from the database: two queries."""
    from cookie_consent.catalogue.models import Cookie, CookieCategory

    cookies: defaultdict[str, list[DeclaredCookie]] = defaultdict(list)
    for row in Cookie.objects.order_by("name", "domain", "path").values_list(
        "name",
        "category__slug",
        "provider",
        "function",
        "purpose",
        "duration",
        "domain",
        "path",
        "translations",
    ):
        cookies[row[1]].append(DeclaredCookie(*row))
    categories = []
    for row in CookieCategory.objects.order_by("order", "slug").values(
        "slug",
        "name",
        "description",
        "required",
        "needs_consent",
        "order",
        "honors_gpc",
        "consent_mode",
        "translations",
    ):
        declared = tuple(cookies[row["slug"]])
        revision = category_revision(
            required=row["required"], needs_consent=row["needs_consent"], cookies=declared
        )
        categories.append(
            Category(
                row["slug"],
                row["name"],
                row["description"],
                row["required"],
                row["needs_consent"],
                row["order"],
                revision,
                declared,
                honors_gpc=row["honors_gpc"],
                consent_mode=tuple(row["consent_mode"].split()),
                translations=row["translations"],
            )
        )
    return tuple(categories)
