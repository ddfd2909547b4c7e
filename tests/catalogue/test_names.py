from __future__ import annotations

import pytest

from cookie_consent.catalogue import names


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("_ga_*", "_ga_ABC123", True),
        ("_ga_*", "_ga_", True),
        ("_ga_*", "_ga", False),
        ("_pk_id.*", "_pk_id.1.f00d", True),
        ("_pk_id.*", "_pk_idX1", False),
        ("*_session", "shop_session", True),
        ("a*b*c", "aXXbYYc", True),
        ("a*b*c", "aXXbYY", False),
        ("[x]*", "[x]1", True),
    ],
)
def test_matches(pattern: str, name: str, expected: bool) -> None:
    assert names.matches(pattern, name) is expected


def test_valid_names() -> None:
    assert names.is_valid_name("_ga_*")
    assert names.is_valid_name("cookies_preferences")
    assert not names.is_valid_name("a b")
    assert not names.is_valid_name("a=b")
    assert not names.is_valid_name("")
    assert not names.is_valid_name("é")
