"""``CookieConsentMiddleware``: the visitor's consent on every request, enforced both ways.

Listed first in ``MIDDLEWARE``, it strips refused cookies from the request before any
other middleware or view reads them, and sees the response after every other middleware
has added its cookies. One request, top to bottom:

1. the catalogue snapshot is fresh, or the site answers 503 (:func:`unavailable`);
2. the request phase (``enforcement/inbound.py``) strips the refused cookies and returns
   a :class:`~cookie_consent.enforcement.passage.Passage`: what the browser sent,
   the verdicts, the exemption;
3. before the view, the view Django resolved settles the exemption (``process_view``);
4. the response phase (``enforcement/outbound.py``) gets the passage as an argument:
   it drops refused ``Set-Cookie``s and expires what the browser holds of the refused;
5. the response varies on the consent cookie if anything read the consent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from cookie_consent.catalogue import snapshot as catalogue
from cookie_consent.consent.http import wants_json
from cookie_consent.consent.state import consent_was_read, get_consent, vary_on_consent
from cookie_consent.enforcement.inbound import settle_exemption, strip_request
from cookie_consent.enforcement.outbound import enforce_response
from cookie_consent.enforcement.passage import Passage

GetResponse = Callable[[HttpRequest], Any]

# Where process_view finds the request's passage; this module alone reads and writes it.
_PASSAGE = "_cookie_consent_passage"


class ConsentAccessor:
    """``request.cookie_consent``: the request's consent state, read when first used.

    Every attribute is looked up on ``get_consent(request)`` at the time, so a decision
    stored during the request is what the code after it sees.
    """

    __slots__ = ("_request",)

    def __init__(self, request: HttpRequest) -> None:
        self._request = request

    def __getattr__(self, name: str) -> Any:
        return getattr(get_consent(self._request), name)


class CookieConsentMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
        # Django calls it in the handler's mode: in an async chain, without a thread.
        self.process_view: Callable[..., Any] = (
            self._process_view_async if self.is_async else self._process_view
        )

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        try:
            # Fresh now, so that an async view further down never has to read the database.
            catalogue.get_catalogue()
        except catalogue.CatalogueUnavailable as error:
            return unavailable(request, error)
        passage = self._request_phase(request)
        return self._response_phase(request, self.get_response(request), passage)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        if catalogue.needs_refresh():
            # Reading the database must happen off the event loop; the views' own reads
            # then find the snapshot fresh.
            try:
                await sync_to_async(catalogue.get_catalogue)()
            except catalogue.CatalogueUnavailable as error:
                return unavailable(request, error)
        passage = self._request_phase(request)
        get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
        return self._response_phase(request, await get_response(request), passage)

    def _request_phase(self, request: HttpRequest) -> Passage:
        request.cookie_consent = ConsentAccessor(request)  # type: ignore[attr-defined]
        passage = strip_request(request)
        request.__dict__[_PASSAGE] = passage
        return passage

    def _process_view(self, request: HttpRequest, *view: Any) -> None:
        # The view that Django resolved, in the URLconf in force (a middleware after
        # this one may have set request.urlconf), settles the exemption.
        settle_exemption(request, request.__dict__[_PASSAGE])

    async def _process_view_async(self, request: HttpRequest, *view: Any) -> None:
        settle_exemption(request, request.__dict__[_PASSAGE])

    def _response_phase(
        self, request: HttpRequest, response: HttpResponseBase, passage: Passage
    ) -> HttpResponseBase:
        enforce_response(request, response, passage)
        if consent_was_read(request):
            # The page, or the cookies it keeps, depended on the consent cookie (and on
            # the GPC signal, when it is honoured).
            vary_on_consent(response)
        return response


def unavailable(request: HttpRequest, error: catalogue.CatalogueUnavailable) -> HttpResponse:
    """The 503 of a process that has no catalogue yet, while the database is out.

    Without a catalogue no cookie can be checked against the visitor's consent, so no
    view runs. The page is rendered without the request's context processors, which may
    need the database too, in the visitor's language: LocaleMiddleware has not run yet.
    """
    with translation.override(translation.get_language_from_request(request)):
        message = _(
            "The site cannot load its cookie settings just now. Please try again in a minute."
        )
        if wants_json(request):  # as the decision views judge it
            response: HttpResponse = JsonResponse({"error": message}, status=503)
        else:
            page = render_to_string("cookie_consent/unavailable.html", {"message": message})
            response = HttpResponse(page, status=503)
    response["Retry-After"] = str(error.retry_after)
    add_never_cache_headers(response)
    return response
