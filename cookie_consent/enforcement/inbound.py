"""The request phase: the cookies the browser sent, stripped of the refused before any
other middleware or view reads them; what it found goes on in a :class:`Passage`."""

from __future__ import annotations

from django.core.handlers.wsgi import WSGIRequest, get_str_from_wsgi
from django.http import HttpRequest
from django.http.cookie import parse_cookie

from cookie_consent.catalogue import names
from cookie_consent.catalogue.essential import essential_names
from cookie_consent.consent.state import get_consent
from cookie_consent.decorators import exempt_views
from cookie_consent.enforcement.directions import Direction
from cookie_consent.enforcement.exemption import is_exempt
from cookie_consent.enforcement.passage import Passage
from cookie_consent.enforcement.verdicts import allowed_recording_undeclared


def strip_request(request: HttpRequest) -> Passage:
    """Remove refused and (under "strip") undeclared cookies before anything reads them.

    Returns what the browser sent and the verdicts, for ``settle_exemption`` and the
    response phase.
    """
    passage = Passage(_received_names(request))
    if passage.names and not passage.is_exempt(request):
        _strip(request, passage)
    return passage


def settle_exemption(request: HttpRequest, passage: Passage) -> None:
    """Before the view: the view Django resolved decides the exemption.

    The request phase could only resolve the path in the URLconf in force then; a
    middleware after this one may have set ``request.urlconf`` since. A view that is not
    exempt gets the request stripped now, an exempt one gets back what the browser sent.
    """
    if not passage.names or not exempt_views:
        return
    exempt = passage.exempt = is_exempt(request)
    if exempt and passage.sent is not None:
        cookies, header = passage.sent
        passage.judged_by = passage.sent = None
        _rewrite(request, header, cookies)
    elif not exempt and passage.judged_by is None:
        _strip(request, passage)


def _received_names(request: HttpRequest) -> list[str]:
    """The names the browser sent that are not essential."""
    essentials = essential_names()
    found = [name for name in request.COOKIES if name not in essentials]
    if "," in request.META.get("HTTP_COOKIE", ""):
        hidden = names.hidden_names(_header(request)[1])
        found = [name for name in dict.fromkeys(found + hidden) if name not in essentials]
    return found


def _strip(request: HttpRequest, passage: Passage) -> None:
    state, path = get_consent(request), request.path
    refused = passage.refused = frozenset(
        name
        for name in passage.names
        if not allowed_recording_undeclared(state, name, Direction.REQUEST, path)
    )
    # The response phase reuses these verdicts unless a decision changes the state.
    passage.judged_by = state
    if refused:
        sent, read = _header(request)
        passage.sent = (request.COOKIES, sent)
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
