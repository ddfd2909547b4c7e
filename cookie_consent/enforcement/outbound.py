"""The response phase: no refused ``Set-Cookie`` leaves, and refused cookies the browser
still holds are expired."""

from __future__ import annotations

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from cookie_consent.catalogue import names
from cookie_consent.catalogue.essential import essential_names
from cookie_consent.consent.state import ConsentState, get_consent
from cookie_consent.enforcement import undeclared
from cookie_consent.enforcement.exemption import is_exempt
from cookie_consent.enforcement.expiry import deletion_variants_for, expire, is_deletion
from cookie_consent.enforcement.inbound import Received
from cookie_consent.enforcement.verdicts import allowed, raw_allowed


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
    if raw and not raw_allowed(state, raw, request.path):
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
