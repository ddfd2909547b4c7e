"""Load a catalogue into the database: every row checked first, then written at once.

Everything is checked before anything is written, and the writes happen in one
transaction: a bad file leaves the catalogue as it was. The file's text is parsed and its
shape checked by ``parsing``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction

from cookie_consent.catalogue.parsing import CATEGORY_FIELDS, COOKIE_FIELDS, Checker
from cookie_consent.catalogue.parsing import CatalogueFileError as CatalogueFileError
from cookie_consent.catalogue.parsing import parse_catalogue as parse_catalogue
from cookie_consent.catalogue.validation import (
    validate_against_catalogue,
    validate_category_flags,
    validate_essential_placement,
)

REFERENCE_CATALOGUE = Path(__file__).parent.parent / "data" / "reference-catalogue.json"


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged"
        )


@dataclass
class _Planned:
    """One row to write, with what the database holds now (``None``: a new row)."""

    instance: Any
    label: str
    stored: tuple[Any, ...] | None
    category: Any = None  # for a cookie: its category, saved before it

    def save(self, report: LoadReport, using: str) -> None:
        if self.category is not None:
            self.instance.category = self.category
        if self.stored is None:
            self.instance.save(using=using)
            report.created.append(self.label)
        elif self.stored != _values(self.instance):
            self.instance.save(using=using)
            report.updated.append(self.label)
        else:
            report.unchanged.append(self.label)


def _values(instance: Any) -> tuple[Any, ...]:
    return tuple(getattr(instance, f.attname) for f in instance._meta.concrete_fields)


def load_catalogue(
    categories: list[dict[str, Any]],
    *,
    category_model: Any,
    cookie_model: Any,
    using: str = DEFAULT_DB_ALIAS,
    dry_run: bool = False,
    source: str = "<catalogue>",
) -> LoadReport:
    """Create or update what ``categories`` declares; idempotent, all or nothing.

    The models are parameters so that a data migration can pass its historical ones.
    """
    plan = _plan(categories, category_model, cookie_model, using, source)
    report = LoadReport()
    with transaction.atomic(using=using):
        for planned in plan:
            planned.save(report, using)
        if dry_run:
            transaction.set_rollback(True, using=using)
    return report


def _plan(
    categories: list[dict[str, Any]],
    category_model: Any,
    cookie_model: Any,
    using: str,
    source: str,
) -> list[_Planned]:
    checker = Checker()
    stored_categories = {c.slug: c for c in category_model._default_manager.using(using)}
    stored_cookies = {
        (c.name, c.domain, c.path): c
        for c in cookie_model._default_manager.using(using).select_related("category")
    }
    required_of = {slug: c.required for slug, c in stored_categories.items()}
    # Categories whose cookies are set without asking: where the essential cookies go.
    free_of = {slug: c.required or not c.needs_consent for slug, c in stored_categories.items()}
    plan: list[_Planned] = []
    # (name, domain, path) -> (the file's object, where it is, its category's slug)
    declared: dict[tuple[str, str, str], tuple[Any, str, str]] = {}

    for index, data in enumerate(categories):
        where = f"categories[{index}]"
        category = stored_categories.get(data["slug"])
        stored = None if category is None else _values(category)
        if category is None:
            required = data.get("required", False)
            category = category_model(
                slug=data["slug"], needs_consent=not required, order=index * 10
            )
        for name in CATEGORY_FIELDS.keys() - {"slug", "cookies"}:
            if name in data:
                setattr(category, name, data[name])
        checker.check_model(data, where, category, exclude=[])
        try:
            validate_category_flags(
                required=category.required, needs_consent=category.needs_consent
            )
        except ValidationError as error:
            checker.problem(data, where, error.messages[0])
        required_of[category.slug] = category.required
        free_of[category.slug] = category.required or not category.needs_consent
        plan.append(_Planned(category, f"category {category.slug}", stored))

        for cookie_index, cookie_data in enumerate(data.get("cookies", [])):
            cookie_where = f"{where}.cookies[{cookie_index}]"
            key = (
                cookie_data["name"],
                cookie_data.get("domain", ""),
                cookie_data.get("path", "/"),
            )
            if key in declared:
                checker.problem(
                    cookie_data,
                    cookie_where,
                    f"“{key[0]}” with domain “{key[1]}” and path “{key[2]}” is declared twice",
                )
                continue
            cookie = stored_cookies.get(key)
            stored = None if cookie is None else _values(cookie)
            if cookie is None:
                cookie = cookie_model(name=key[0], domain=key[1], path=key[2])
            for name in COOKIE_FIELDS.keys() - {"name", "domain", "path"}:
                if name in cookie_data:
                    setattr(cookie, name, cookie_data[name])
            checker.check_model(cookie_data, cookie_where, cookie, exclude=["category"])
            declared[key] = (cookie_data, cookie_where, category.slug)
            plan.append(_Planned(cookie, f"cookie {key[0]}", stored, category))

    _check_catalogue_rules(checker, declared, stored_cookies, required_of, free_of)
    if checker.problems:
        raise CatalogueFileError(source, checker.problems)
    return plan


def _check_catalogue_rules(
    checker: Checker,
    declared: dict[tuple[str, str, str], tuple[Any, str, str]],
    stored_cookies: dict[tuple[str, str, str], Any],
    required_of: dict[str, bool],
    free_of: dict[str, bool],
) -> None:
    """The rules that span several cookies, over the catalogue as it will be."""
    everything = [
        (key, cookie.category.slug)
        for key, cookie in stored_cookies.items()
        if key not in declared
    ] + [(key, slug) for key, (_, _, slug) in declared.items()]
    for key, (cookie_data, where, slug) in declared.items():
        others = [
            (other[0], other_slug, required_of[other_slug])
            for other, other_slug in everything
            if other != key
        ]
        try:
            validate_essential_placement(key[0], free=free_of[slug])
            validate_against_catalogue(
                key[0], category=slug, required=required_of[slug], others=others
            )
        except ValidationError as error:
            checker.problem(cookie_data, f"{where}.name", error.messages[0])
