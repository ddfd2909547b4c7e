"""What may cross the server: the cookie verdicts the middleware applies both ways.

A cookie is allowed when it is one Django or this app needs (named by the settings,
whatever the catalogue says, so an edit cannot lock everybody out), when its category is
granted, or, for a name the catalogue does not declare, when ``COOKIE_CONSENT_UNDECLARED``
is not ``"strip"``. A deletion is always allowed out: removing a cookie needs no consent.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any

from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest, get_str_from_wsgi
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.http.cookie import parse_cookie
from django.http.response import HttpResponseBase
from django.urls import Resolver404, resolve

from cookie_consent.catalogue import names
from cookie_consent.catalogue.essential import essential_names
from cookie_consent.conf import conf
from cookie_consent.consent.state import ConsentState, get_consent
from cookie_consent.decorators import exempt_views
from cookie_consent.enforcement import undeclared
from cookie_consent.enforcement.expiry import deletes, deletion_variants_for, expire, is_deletion


@receiver(setting_changed)
def _settings_changed(**kwargs: Any) -> None:
    _exempt_path.cache_clear()  # ROOT_URLCONF may have changed


def allowed(state: ConsentState, name: str, *, seen_in: str | None, path: str = "") -> bool:
    """The verdict for one name; ``seen_in`` (request or response) records an undeclared one."""
    category = state.catalogue.category_of(name)
    if category is not None:
        return category.slug in state.granted_slugs
    policy = conf.UNDECLARED
    if seen_in is not None and policy != "allow" and names.is_valid_name(name):
        undeclared.seen(name, seen_in, path)
    return policy != "strip"


def is_exempt(request: HttpRequest) -> bool:
    """Enforcement does not apply: a prefix of COOKIE_CONSENT_EXEMPT_PATHS, or the view says so."""
    prefixes = conf.EXEMPT_PATHS
    if prefixes and request.path_info.startswith(tuple(prefixes)):
        return True
    if not exempt_views:
        return False
    match = getattr(request, "resolver_match", None)
    if match is None:
        return _exempt_path(request.path_info, getattr(request, "urlconf", None))
    return getattr(match.func, "cookie_consent_exempt", False) is True


@functools.lru_cache(maxsize=1024)
def _exempt_path(path: str, urlconf: str | None) -> bool:
    """Whether the view at ``path`` is exempt, before Django has resolved it itself."""
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return False
    return getattr(match.func, "cookie_consent_exempt", False) is True


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


def enforce_response(request: HttpRequest, response: HttpResponseBase) -> None:
    """Drop refused ``Set-Cookie``s; expire refused cookies the browser still sent."""
    essentials = essential_names()
    # By the name each morsel is sent under, whatever key of response.cookies holds it.
    outgoing = [
        (key, morsel.key)
        for key, morsel in response.cookies.items()
        if morsel.key not in essentials and not is_deletion(morsel)
    ]
    raw = response.headers.get("Set-Cookie")
    received: Received | None = getattr(request, "_cookie_consent_received", None)
    if not (outgoing or raw or received) or is_exempt(request):
        return
    # The state after the view: a decision made by this request already counts.
    state = get_consent(request)
    for key, name in outgoing:
        if not allowed(state, name, seen_in=undeclared.RESPONSE, path=request.path):
            del response.cookies[key]
    if raw and not _raw_allowed(state, raw, request.path):
        del response.headers["Set-Cookie"]
    if received is not None:
        _expire_refused(request, response, state, received)


def _expire_refused(
    request: HttpRequest, response: HttpResponseBase, state: ConsentState, received: Received
) -> None:
    """Expire what the browser holds of the refused, unless the response sets it itself."""
    judged_state, judged = received.verdict or (None, frozenset())
    set_here = {morsel.key for morsel in response.cookies.values()}
    refused = [
        name
        for name in received.names
        # A name that is no cookie token cannot be written in a Set-Cookie, nor expired.
        if name not in set_here
        and (name in judged if state is judged_state else not allowed(state, name, seen_in=None))
        and names.is_valid_name(name)
    ]
    if refused:
        host, secure = _host(request), request.is_secure()
        for name in refused:
            expire(response, name, deletion_variants_for(state.catalogue, name, host), secure)


def _host(request: HttpRequest) -> str:
    """The host the deletions' domains derive from; none if Django refuses the Host."""
    try:
        return request.get_host()
    except DisallowedHost:
        # Logged where the page asked for the host; here it only costs the domain
        # variants: the host-only and declared deletions still leave.
        return ""


def _raw_allowed(state: ConsentState, header: str, path: str) -> bool:
    """A ``Set-Cookie`` header a view wrote by hand, outside ``response.cookies``.

    It leaves when every cookie in it is essential, allowed or deleted, read both as a
    browser reads it (one cookie, RFC 6265) and as Python's ``http.cookies`` does (which
    may find several, or other attributes).
    """
    parsed: SimpleCookie = SimpleCookie()
    try:
        parsed.load(header)
    except CookieError:
        return False  # nothing we can classify leaves the server
    if not parsed:
        return False
    judged = {name for name, morsel in parsed.items() if not is_deletion(morsel)}
    if not deletes(header):
        judged.add(names.set_cookie_name(header))
    essentials = essential_names()
    return all(
        name in essentials or allowed(state, name, seen_in=undeclared.RESPONSE, path=path)
        for name in judged
    )
