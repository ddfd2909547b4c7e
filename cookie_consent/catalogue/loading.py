"""Load a catalogue from a JSON file (the schema is in docs/catalogue-files.rst).

Parsing keeps the line of every JSON object, so an error names the file, the line and the
field at fault. Everything is checked before anything is written, and the writes happen
in one transaction: a bad file leaves the catalogue as it was.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from json import decoder, scanner
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Model

from cookie_consent.catalogue.validation import (
    validate_against_catalogue,
    validate_category_flags,
    validate_essential_placement,
)

REFERENCE_CATALOGUE = Path(__file__).parent.parent / "data" / "reference-catalogue.json"

CATEGORY_FIELDS = {
    "slug": str,
    "name": str,
    "description": str,
    "required": bool,
    "needs_consent": bool,
    "order": int,
    "honors_gpc": bool,
    "consent_mode": str,
    "translations": dict,
    "cookies": list,
}
COOKIE_FIELDS = {
    "name": str,
    "provider": str,
    "function": str,
    "purpose": str,
    "duration": str,
    "domain": str,
    "path": str,
    "translations": dict,
}
REQUIRED_CATEGORY_FIELDS = ("slug", "name")
REQUIRED_COOKIE_FIELDS = ("name",)


class CatalogueFileError(Exception):
    """A file that cannot be loaded; ``problems`` lists every fault with its place."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{source} cannot be loaded:\n" + "\n".join(f"  {p}" for p in problems))


class _LocatedDict(dict[str, Any]):
    line: int = 0


def _parse_with_lines(text: str) -> Any:
    """``json.loads``, but every object remembers the line of its opening brace."""
    newlines = [i for i, char in enumerate(text) if char == "\n"]

    def parse_object(s_and_end: tuple[str, int], *args: Any) -> tuple[_LocatedDict, int]:
        pairs, end = decoder.JSONObject(s_and_end, *args)  # type: ignore[attr-defined]
        located = _LocatedDict(pairs)
        located.line = bisect.bisect_left(newlines, s_and_end[1]) + 1
        return located, end

    json_decoder = json.JSONDecoder()
    json_decoder.parse_object = parse_object  # type: ignore[attr-defined]
    # The C scanner ignores parse_object; the pure-Python one calls it.
    json_decoder.scan_once = scanner.py_make_scanner(json_decoder)  # type: ignore[attr-defined]
    return json_decoder.decode(text)


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


class _Checker:
    """Collects every problem of a parsed file before anything is written."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, obj: Any, where: str, message: str) -> None:
        line = getattr(obj, "line", None)
        place = f"line {line}, {where}" if line else where
        self.problems.append(f"{place}: {message}")

    def check_fields(
        self, obj: Any, where: str, types: Mapping[str, type], required: tuple[str, ...]
    ) -> bool:
        if not isinstance(obj, dict):
            self.problem(obj, where, "expected an object {…}")
            return False
        ok = True
        for key in obj.keys() - types.keys():
            self.problem(obj, f"{where}.{key}", f"unknown field; expected one of {sorted(types)}")
            ok = False
        for key in required:
            if key not in obj:
                self.problem(obj, f"{where}.{key}", "this field is required")
                ok = False
        for key, expected in types.items():
            # bool is an int in Python, but true is not an order.
            value = obj.get(key)
            if key in obj and (
                not isinstance(value, expected) or (expected is int and isinstance(value, bool))
            ):
                self.problem(obj, f"{where}.{key}", f"expected {_json_type(expected)}")
                ok = False
        return ok

    def check_model(self, obj: Any, where: str, instance: Model, exclude: list[str]) -> None:
        try:
            # Field rules only: the loader checks the catalogue rules itself, against the
            # catalogue as the file will leave it rather than as the database holds it.
            instance.clean_fields(exclude=exclude)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                for message in messages:
                    self.problem(obj, f"{where}.{name}", message)


def _json_type(python_type: type) -> str:
    return {
        str: "a string",
        bool: "true or false",
        int: "a whole number",
        list: "a list",
        dict: "an object",
    }[python_type]


def parse_catalogue(text: str, source: str = "<catalogue>") -> list[dict[str, Any]]:
    """Parse and check the shape of a catalogue file; raise :class:`CatalogueFileError`."""
    try:
        data = _parse_with_lines(text)
    except json.JSONDecodeError as error:
        raise CatalogueFileError(
            source, [f"line {error.lineno}, column {error.colno}: invalid JSON: {error.msg}"]
        ) from error
    checker = _Checker()
    if not checker.check_fields(data, "$", {"categories": list}, ("categories",)):
        raise CatalogueFileError(source, checker.problems)
    for index, category in enumerate(data["categories"]):
        where = f"categories[{index}]"
        checker.check_fields(category, where, CATEGORY_FIELDS, REQUIRED_CATEGORY_FIELDS)
        cookies = category.get("cookies") if isinstance(category, dict) else None
        if isinstance(cookies, list):
            for cookie_index, cookie in enumerate(cookies):
                checker.check_fields(
                    cookie,
                    f"{where}.cookies[{cookie_index}]",
                    COOKIE_FIELDS,
                    REQUIRED_COOKIE_FIELDS,
                )
    if checker.problems:
        raise CatalogueFileError(source, checker.problems)
    return data["categories"]  # type: ignore[no-any-return]


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
    checker = _Checker()
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
    checker: _Checker,
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
