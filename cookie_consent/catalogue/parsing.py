"""Parsing a catalogue file (the schema is in docs/catalogue-files.rst) and checking its shape.

Parsing keeps the line of every JSON object, so an error names the file, the line and the
field at fault. The checker collects every problem before any is reported.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Mapping
from json import decoder, scanner
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model

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


class Checker:
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
    checker = Checker()
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
