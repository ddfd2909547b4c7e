"""What the decision views share over HTTP: whether a request wants JSON, where to go
next, and the answers that say why nothing was stored (a page, or JSON)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.log import log_response
from django.utils.translation import gettext as _

View = Callable[[HttpRequest], HttpResponseBase]


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


def error_response(
    request: HttpRequest, message: str, *, status: int, as_json: bool
) -> HttpResponse:
    """The page that says why nothing was stored, or its JSON ``{"error": message}``."""
    if as_json or wants_json(request):
        return JsonResponse({"error": message}, status=status)
    return render(request, "cookie_consent/error.html", {"message": message}, status=status)


def say_in_json(response: HttpResponse, message: str) -> None:
    """Turn Django's own error page into ``{"error": message}``, status and headers kept.

    It is the same response object, so Django's log line for it stays the only one.
    """
    response.content = json.dumps({"error": message}).encode()
    response["Content-Type"] = "application/json"


def allow(*methods: str, always_json: bool = False) -> Callable[[View], View]:
    """``require_http_methods``, whose 405 a JSON request gets in JSON."""

    def decorator(view: View) -> View:
        @wraps(view)
        def allowed(request: HttpRequest) -> HttpResponseBase:
            if request.method in methods:
                return view(request)
            refusal = HttpResponseNotAllowed(methods)
            if always_json or wants_json(request):
                say_in_json(refusal, _("Send a cookie choice with POST."))
            log_response(
                "Method Not Allowed (%s): %s",
                request.method,
                request.path,
                response=refusal,
                request=request,
            )
            return refusal

        return allowed

    return decorator
