from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class SetCookieMiddleware:
    """Another middleware that sets a cookie, as analytics or A/B-testing ones do."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.GET.get("kind") == "middleware":
            response.set_cookie("_ga", "GA1.1")
        return response
