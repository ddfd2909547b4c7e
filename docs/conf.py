"""Sphinx configuration of the django-cookie-guard documentation."""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.application import Sphinx

ROOT = Path(__file__).resolve().parent.parent


def _read_version() -> str:
    # Parsed, not imported: importing the app would need Django settings.
    text = (ROOT / "cookie_consent" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*["\']([^"\']+)["\']', text, re.MULTILINE)
    if match is None:
        raise RuntimeError("__version__ not found in cookie_consent/__init__.py")
    return match.group(1)


project = "django-cookie-guard"
author = "django-cookie-guard developers"
copyright = "django-cookie-guard developers"
release = _read_version()
version = ".".join(release.split(".")[:2])

# Only for the changelog, which is CHANGELOG.md at the root (one file, no copy).
extensions = ["myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
suppress_warnings: list[str] = []
nitpicky = True

html_theme = "furo"
html_title = f"django-cookie-guard {release}"
html_static_path: list[str] = []


def setup(app: Sphinx) -> None:
    # As in Django's own docs: ".. setting::" marks a setting's section, ":setting:" links.
    app.add_crossref_type("setting", "setting", indextemplate="pair: %s; setting")
