"""``CookieConsentMiddleware``: attaches the visitor's consent to every request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject

from cookie_consent import catalogue
from cookie_consent.state import get_consent

GetResponse = Callable[[HttpRequest], Any]


class CookieConsentMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        self.process_request(request)
        return self.process_response(request, self.get_response(request))

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        if catalogue.needs_refresh():
            # Reading the database must happen off the event loop; the views' own reads
            # then find the snapshot fresh.
            await sync_to_async(catalogue.get_catalogue)()
        self.process_request(request)
        get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
        return self.process_response(request, await get_response(request))

    def process_request(self, request: HttpRequest) -> None:
        # Lazy: a page that never asks about consent never verifies the cookie.
        request.cookie_consent = SimpleLazyObject(lambda: get_consent(request))  # type: ignore[attr-defined]

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if "_cookie_consent_state" in request.__dict__:
            # What was rendered depended on the consent cookie.
            patch_vary_headers(response, ("Cookie",))
        return response
