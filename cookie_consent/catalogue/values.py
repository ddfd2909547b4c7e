"""The catalogue's value types: what a snapshot holds, frozen, with name lookup.

A :class:`Catalogue` is built from :class:`Category` values, each with its
:class:`DeclaredCookie` rows; the snapshot protocol (``snapshot``) decides which one a
request reads, and ``rows`` reads them from the database.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from cookie_consent.catalogue import names
from cookie_consent.catalogue.translation import Translations, localize, localize_duration


class _Localized:
    """A row's text ``field`` in the active language: ``localize`` as a read-only property."""

    def __init__(self, field: str) -> None:
        self.field = field

    @overload
    def __get__(self, row: None, owner: type) -> _Localized: ...
    @overload
    def __get__(self, row: object, owner: type | None = None) -> str: ...
    def __get__(self, row: Any, owner: type | None = None) -> _Localized | str:
        if row is None:  # looked up on the class, as introspection does
            return self
        return localize(getattr(row, self.field), row.translations, self.field)


@dataclass(frozen=True)
class DeclaredCookie:
    """One row of the catalogue: an exact name or a ``*`` pattern, and where it lives."""

    name: str
    category: str
    provider: str
    function: str
    purpose: str
    duration: str
    domain: str
    path: str
    # {"fr": {"purpose": "…"}}: the admin's own texts per language.
    translations: Translations = field(default_factory=dict, hash=False)

    @property
    def is_pattern(self) -> bool:
        return names.is_pattern(self.name)

    display_provider = _Localized("provider")
    display_function = _Localized("function")
    display_purpose = _Localized("purpose")

    @property
    def display_duration(self) -> str:
        return localize_duration(self.duration, self.translations)


@dataclass(frozen=True)
class Category:
    slug: str
    name: str
    description: str
    required: bool
    needs_consent: bool
    order: int
    # Changes when the category's cookies change, so that only it is asked again.
    revision: str
    cookies: tuple[DeclaredCookie, ...]
    # A Sec-GPC: 1 request refuses this category unless granted under the signal.
    honors_gpc: bool = True
    # Google Consent Mode types this category grants, e.g. ("analytics_storage",).
    consent_mode: tuple[str, ...] = ()
    translations: Translations = field(default_factory=dict, hash=False)

    display_name = _Localized("name")
    display_description = _Localized("description")


def category_revision(
    *, required: bool, needs_consent: bool, cookies: Iterable[DeclaredCookie]
) -> str:
    """A short digest of what a visitor consents to when granting a category."""
    content = [
        required,
        needs_consent,
        sorted(
            (c.name, c.domain, c.path, c.provider, c.function, c.purpose, c.duration)
            for c in cookies
        ),
    ]
    digest = hashlib.sha256(json.dumps(content, ensure_ascii=False).encode())
    return digest.hexdigest()[:12]


class Catalogue:
    """An immutable view of the categories and cookies, with name lookup.

    Truly immutable: nothing is remembered on it after it is built. A memo that a reader
    needs (the enforcement's deletion variants) lives with that reader, keyed by the
    snapshot.
    """

    __slots__ = (
        "_by_slug",
        "_compiled",
        "_exact",
        "_pattern_categories",
        "_patterns",
        "categories",
        "generation",
        "provisional",
    )

    def __init__(
        self,
        categories: Sequence[Category],
        generation: str | None = None,
        *,
        provisional: bool = False,
    ) -> None:
        self.categories = tuple(sorted(categories, key=lambda c: (c.order, c.slug)))
        # None with a process-local cache, which has no shared generation.
        self.generation = generation
        # Built from this thread's own uncommitted edit: good only until the transaction
        # ends, whether it commits or rolls back, and for that thread only.
        self.provisional = provisional
        self._by_slug = {c.slug: c for c in self.categories}
        self._exact: dict[str, Category] = {}
        patterns: list[tuple[str, Category]] = []
        for category in self.categories:
            for cookie in category.cookies:
                if cookie.is_pattern:
                    patterns.append((cookie.name, category))
                else:
                    self._exact.setdefault(cookie.name, category)
        # The most specific pattern (most literal characters) wins where several match.
        patterns.sort(key=lambda item: -len(item[0].replace(names.WILDCARD, "")))
        self._pattern_categories = [category for _, category in patterns]
        self._compiled = {p: re.compile(names.pattern_to_regex(p)) for p, _ in patterns}
        self._patterns = (
            re.compile("|".join(f"({names.pattern_to_regex(p)})" for p, _ in patterns))
            if patterns
            else None
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (Catalogue, (self.categories, self.generation))

    def category(self, slug: str) -> Category | None:
        return self._by_slug.get(slug)

    def category_of(self, cookie_name: str) -> Category | None:
        """The category a cookie name belongs to; ``None`` for an undeclared name."""
        category = self._exact.get(cookie_name)
        if category is None and self._patterns is not None:
            match = self._patterns.fullmatch(cookie_name)
            if match is not None:
                category = self._pattern_categories[match.lastindex - 1]  # type: ignore[operator]
        return category

    def declarations(self, cookie_name: str) -> tuple[DeclaredCookie, ...]:
        """Every declared domain/path variant that covers ``cookie_name``."""
        category = self.category_of(cookie_name)
        if category is None:
            return ()
        return tuple(
            c
            for c in category.cookies
            if c.name == cookie_name
            or (c.is_pattern and self._compiled[c.name].fullmatch(cookie_name) is not None)
        )
