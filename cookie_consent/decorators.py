from __future__ import annotations

from typing import TypeVar

ViewT = TypeVar("ViewT")


def cookie_consent_exempt(view: ViewT) -> ViewT:
    """Let cookies pass this view unchecked, in both directions (sync or async views).

    For a class-based view, decorate what ``as_view()`` returns.
    """
    view.cookie_consent_exempt = True  # type: ignore[attr-defined]
    # Until a view is exempt, the middleware need not resolve URLs to look for one.
    exempt_views.add(getattr(view, "__qualname__", repr(view)))
    return view


exempt_views: set[str] = set()
