"""What the consent part reads from a request: whether it wants JSON, where to go next."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def wants_json(request: HttpRequest) -> bool:
    """A JSON request: its body is JSON, or its ``Accept`` prefers JSON to HTML."""
    return (
        request.content_type == "application/json"
        or request.get_preferred_type(["text/html", "application/json"]) == "application/json"
    )


def safe_next(request: HttpRequest, *candidates: str | None) -> str:
    """The first candidate that stays on this site, else the home page."""
    for candidate in candidates:
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return "/"
