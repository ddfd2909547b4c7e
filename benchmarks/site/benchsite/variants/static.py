"""(e) A hand-written banner, the same markup as the app's, always shown; no app.

Everything but the page's template (settings/static.py) is the bare site's.
"""

from __future__ import annotations

from benchsite.variants.bare import (
    CONSENT_COOKIE,
    consent_posts,
    describe,
    make_cold,
    prepare,
    scenarios,
)

__all__ = ["CONSENT_COOKIE", "consent_posts", "describe", "make_cold", "prepare", "scenarios"]
