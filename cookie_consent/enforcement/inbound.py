"""The request phase: the cookies the browser sent, stripped of the refused before any
other middleware or view reads them."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.handlers.wsgi import WSGIRequest, get_str_from_wsgi
from django.http import HttpRequest
from django.http.cookie import parse_cookie

from cookie_consent.catalogue import names
from cookie_consent.catalogue.essential import essential_names
from cookie_consent.consent.state import ConsentState, get_consent
from cookie_consent.decorators import exempt_views
from cookie_consent.enforcement import undeclared
from cookie_consent.enforcement.exemption import is_exempt
from cookie_consent.enforcement.verdicts import allowed


@dataclass(slots=True)
class Received:
    """The cookies the browser sent, as the request phase leaves them for what follows."""

    # Every name but the essential ones, those hidden after a comma included.
    names: list[str]
    # The consent they were judged by and the names it refused; None until judged.
    verdict: tuple[ConsentState, frozenset[str]] | None = None
    # ``request.COOKIES`` and the Cookie header as sent, once stripped of the refused.
    sent: tuple[dict[str, str], str] | None = None


def strip_request(request: HttpRequest) -> None:
    """Remove refused and (under "strip") undeclared cookies before anything reads them."""
    received = _received(request)
    if received is None:
        return
    # Looked at again before the view (settle_exemption) and with the response.
    request._cookie_consent_received = received  # type: ignore[attr-defined]
    if not is_exempt(request):
        _strip(request, received)


def settle_exemption(request: HttpRequest) -> None:
    """Before the view: the view Django resolved decides the exemption.

    The request phase could only resolve the path in the URLconf in force then; a
    middleware after this one may have set ``request.urlconf`` since. A view that is not
    exempt gets the request stripped now, an exempt one gets back what the browser sent.
    """
    received: Received | None = getattr(request, "_cookie_consent_received", None)
    if received is None or not exempt_views:
        return
    exempt = is_exempt(request)
    if exempt and received.sent is not None:
        cookies, header = received.sent
        received.verdict = received.sent = None
        _rewrite(request, header, cookies)
    elif not exempt and received.verdict is None:
        _strip(request, received)


def _received(request: HttpRequest) -> Received | None:
    """The names the browser sent that are not essential; None if there are none."""
    essentials = essential_names()
    found = [name for name in request.COOKIES if name not in essentials]
    if "," in request.META.get("HTTP_COOKIE", ""):
        hidden = names.hidden_names(_header(request)[1])
        found = [name for name in dict.fromkeys(found + hidden) if name not in essentials]
    return Received(found) if found else None


def _strip(request: HttpRequest, received: Received) -> None:
    state = get_consent(request)
    refused = frozenset(
        name
        for name in received.names
        if not allowed(state, name, seen_in=undeclared.REQUEST, path=request.path)
    )
    # The response side reuses these verdicts unless a decision changes the state.
    received.verdict = (state, refused)
    if refused:
        sent, read = _header(request)
        received.sent = (request.COOKIES, sent)
        _rewrite(request, names.without(sent, read, refused))


def _header(request: HttpRequest) -> tuple[str, str]:
    """The Cookie header as META holds it, and as Django reads ``request.COOKIES`` from it.

    Under WSGI, META holds the header's bytes decoded as Latin-1 (PEP 3333), and Django
    decodes them again as UTF-8 for the cookies; under ASGI both are META's text.
    """
    sent = request.META.get("HTTP_COOKIE", "")
    if isinstance(request, WSGIRequest):
        return sent, get_str_from_wsgi(request.META, "HTTP_COOKIE", "")
    return sent, sent


def _rewrite(request: HttpRequest, header: str, cookies: dict[str, str] | None = None) -> None:
    """Give the request this Cookie header, and the cookies Django reads from it."""
    request.META["HTTP_COOKIE"] = header
    request.COOKIES = parse_cookie(_header(request)[1]) if cookies is None else cookies
    # Built from META on first use: drop a copy made before.
    request.__dict__.pop("headers", None)
