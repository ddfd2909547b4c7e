"""Parsing a catalogue file: every problem of its shape, with its line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from cookie_consent.catalogue.parsing import CatalogueFileError, parse_catalogue
from tests.catalogue.conftest import load_error


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    message = load_error(tmp_path, '{\n  "categories": [\n    {"slug": }\n  ]\n}')
    assert "catalogue.json cannot be loaded:" in message
    assert "line 3, column 14: invalid JSON: Expecting value" in message


def test_every_problem_is_reported_with_its_line_and_field(tmp_path: Path) -> None:
    content = """{
  "categories": [
    {
      "slug": "statistics",
      "name": "Statistics",
      "required": "yes",
      "colour": "blue",
      "cookies": [
        {"name": "_ga"},
        {"provider": "Google"},
        {"name": "bad name", "path": 3}
      ]
    },
    {"name": "No slug"},
    "not an object",
    {"slug": "x", "name": "X", "order": true}
  ]
}"""
    message = load_error(tmp_path, content)
    problems = message.splitlines()[1:]
    assert [p.strip() for p in problems] == [
        "line 3, categories[0].colour: unknown field; expected one of "
        "['consent_mode', 'cookies', 'description', 'honors_gpc', 'name', 'needs_consent', "
        "'order', 'required', 'slug', 'translations']",
        "line 3, categories[0].required: expected true or false",
        "line 10, categories[0].cookies[1].name: this field is required",
        "line 11, categories[0].cookies[2].path: expected a string",
        "line 14, categories[1].slug: this field is required",
        "categories[2]: expected an object {…}",
        "line 16, categories[3].order: expected a whole number",
    ]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("[]", "$: expected an object {…}"),
        ("{}", "line 1, $.categories: this field is required"),
        ('{"categories": {}}', "line 1, $.categories: expected a list"),
    ],
)
def test_top_level_shape(tmp_path: Path, content: str, problem: str) -> None:
    assert problem in load_error(tmp_path, content)


def test_parse_error_lists_problems() -> None:
    with pytest.raises(CatalogueFileError) as error:
        parse_catalogue("{}", "inline")
    assert error.value.problems == ["line 1, $.categories: this field is required"]
