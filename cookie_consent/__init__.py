"""django-cookie-guard: cookie consent enforced on the server."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.http import HttpRequest

    from cookie_consent.consent.state import ConsentState

__version__ = "0.1.0.dev0"


def get_consent(request: HttpRequest) -> ConsentState:
    """The visitor's consent for ``request``; works with or without the middleware."""
    # Imported here: this package is imported before Django's app registry is ready.
    from cookie_consent.consent.state import get_consent as read

    return read(request)
