"""What may cross the server: the cookie verdicts the middleware applies both ways.

A cookie is allowed when it is one Django or this app needs (named by the settings,
whatever the catalogue says, so an edit cannot lock everybody out), when its category is
granted, or, for a name the catalogue does not declare, when ``COOKIE_CONSENT_UNDECLARED``
is not ``"strip"``. A deletion is always allowed out: removing a cookie needs no consent.
"""

from __future__ import annotations

import functools
import time
from http.cookies import CookieError, Morsel, SimpleCookie
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import Resolver404, resolve
from django.utils.http import parse_http_date_safe

from cookie_consent import names, undeclared
from cookie_consent.conf import conf
from cookie_consent.decorators import exempt_views
from cookie_consent.essential import essential_names
from cookie_consent.expiry import expire
from cookie_consent.state import ConsentState, get_consent


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


def strip_request(request: HttpRequest) -> None:
    """Remove refused and (under "strip") undeclared cookies before anything reads them."""
    essentials = essential_names()
    received = [name for name in request.COOKIES if name not in essentials]
    # The names to look at again once the response is known (see enforce_response).
    request._cookie_consent_received = received  # type: ignore[attr-defined]
    if not received or is_exempt(request):
        return
    state = get_consent(request)
    refused = {
        name
        for name in received
        if not allowed(state, name, seen_in=undeclared.REQUEST, path=request.path)
    }
    # The response side reuses these verdicts unless a decision changes the state.
    request._cookie_consent_refused = (state, refused)  # type: ignore[attr-defined]
    if refused:
        request.COOKIES = {k: v for k, v in request.COOKIES.items() if k not in refused}
        request.META["HTTP_COOKIE"] = _without(request.META.get("HTTP_COOKIE", ""), refused)
        # Built from META on first use: drop a copy made before the stripping.
        request.__dict__.pop("headers", None)


def _without(header: str, names: set[str]) -> str:
    """The Cookie header without ``names``, split as django.http.parse_cookie splits it."""
    kept = [part for part in header.split(";") if _cookie_name(part) not in names]
    return ";".join(kept).strip()


def _cookie_name(part: str) -> str:
    # A chunk without "=" is a value with an empty name to Django.
    return part.split("=", 1)[0].strip() if "=" in part else ""


def enforce_response(request: HttpRequest, response: HttpResponseBase) -> None:
    """Drop refused ``Set-Cookie``s; expire refused cookies the browser still sent."""
    essentials = essential_names()
    outgoing = [
        name
        for name, morsel in response.cookies.items()
        if name not in essentials and not is_deletion(morsel)
    ]
    raw = response.headers.get("Set-Cookie")
    received = getattr(request, "_cookie_consent_received", ())
    if not (outgoing or raw or received) or is_exempt(request):
        return
    # The state after the view: a decision made by this request already counts.
    state = get_consent(request)
    for name in outgoing:
        if not allowed(state, name, seen_in=undeclared.RESPONSE, path=request.path):
            del response.cookies[name]
    if raw and not _raw_allowed(state, raw, request.path):
        del response.headers["Set-Cookie"]
    judged_state, judged = getattr(request, "_cookie_consent_refused", (None, set()))
    refused = [
        name
        for name in received
        # A name that is no cookie token cannot be written in a Set-Cookie, nor expired.
        if name not in response.cookies
        and (name in judged if state is judged_state else not allowed(state, name, seen_in=None))
        and names.is_valid_name(name)
    ]
    if refused:
        host, secure = request.get_host(), request.is_secure()
        for name in refused:
            expire(response, name, state.catalogue.deletion_variants(name, host), secure)


def _raw_allowed(state: ConsentState, header: str, path: str) -> bool:
    """A ``Set-Cookie`` header a view wrote by hand, outside ``response.cookies``."""
    parsed: SimpleCookie = SimpleCookie()
    try:
        parsed.load(header)
    except CookieError:
        return False  # nothing we can classify leaves the server
    if not parsed:
        return False
    return all(
        name in essential_names()
        or is_deletion(morsel)
        or allowed(state, name, seen_in=undeclared.RESPONSE, path=path)
        for name, morsel in parsed.items()
    )


def is_deletion(morsel: Morsel[str]) -> bool:
    """``Max-Age`` 0 or less, or an ``Expires`` in the past."""
    max_age = str(morsel["max-age"]).strip()
    if max_age:
        try:
            return int(max_age) <= 0
        except ValueError:
            return False
    expires = parse_http_date_safe(str(morsel["expires"])) if morsel["expires"] else None
    return expires is not None and expires <= time.time()
