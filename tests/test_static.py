"""What the app ships to browsers: one script, one stylesheet, small, and nothing inline."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import cookie_consent

APP = Path(cookie_consent.__file__).resolve().parent
STATIC = APP / "static" / "cookie_consent"
TEMPLATES = APP / "templates" / "cookie_consent"
# What writes HTML to pages: the templates, and the markup of the template tags' functions.
MARKUP = [
    *sorted(TEMPLATES.glob("*.html")),
    *(APP / "consent" / f"{name}.py" for name in ("banner", "markup")),
    APP / "templatetags" / "cookie_consent.py",
]
BUDGET = 4096


def test_one_script_and_one_stylesheet() -> None:
    assert sorted(path.name for path in STATIC.iterdir()) == [
        "cookie-consent.css",
        "cookie-consent.js",
    ]


def test_script_and_stylesheet_fit_in_4_kib_gzipped() -> None:
    # Each file compressed on its own, as HTTP sends it: gzip -9, no file name in the header.
    sizes = {path.name: len(gzip.compress(path.read_bytes(), 9)) for path in STATIC.iterdir()}
    assert sum(sizes.values()) <= BUDGET, sizes


INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))"),
    "style element": re.compile(r"<style\b"),
    "style attribute": re.compile(r"\sstyle="),
    "event handler attribute": re.compile(r"\son[a-z]+="),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def test_no_markup_has_anything_inline_for_a_policy_to_block() -> None:
    found = [
        f"{path.name}: {what}"
        for path in MARKUP
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []
    assert len(MARKUP) > 5
    assert all(path.is_file() for path in MARKUP)
