"""The response phase: no refused ``Set-Cookie`` leaves, and refused cookies the browser
still holds are expired, judged by the consent as it stands after the view."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from cookie_consent.catalogue import names
from cookie_consent.catalogue.essential import essential_names
from cookie_consent.consent.state import ConsentState, get_consent
from cookie_consent.enforcement.directions import Direction
from cookie_consent.enforcement.expiry import deletion_variants_for, expire, is_deletion
from cookie_consent.enforcement.passage import Passage
from cookie_consent.enforcement.verdicts import (
    allowed,
    allowed_recording_undeclared,
    raw_allowed_recording_undeclared,
)


def enforce_response(request: HttpRequest, response: HttpResponseBase, passage: Passage) -> None:
    """Drop refused ``Set-Cookie``s; expire refused cookies the browser still sent."""
    outgoing = _outgoing(response)
    raw = response.headers.get("Set-Cookie")
    if not (outgoing or raw or passage.names) or passage.is_exempt(request):
        return
    # The state after the view: a decision made by this request already counts.
    state, path = get_consent(request), request.path
    for key, name in outgoing:
        if not allowed_recording_undeclared(state, name, Direction.RESPONSE, path):
            del response.cookies[key]
    if raw and not raw_allowed_recording_undeclared(state, raw, path):
        del response.headers["Set-Cookie"]
    if passage.names:
        _expire_refused(request, response, state, passage)


def _outgoing(response: HttpResponseBase) -> Sequence[tuple[str, str]]:
    """(key, name) of each cookie the response sets, by the name each morsel is sent
    under, whatever key of ``response.cookies`` holds it: not the essential ones, nor
    deletions."""
    if not response.cookies:
        return ()  # most responses: nothing to build
    essentials = essential_names()
    return [
        (key, morsel.key)
        for key, morsel in response.cookies.items()
        if morsel.key not in essentials and not is_deletion(morsel)
    ]


def _expire_refused(
    request: HttpRequest, response: HttpResponseBase, state: ConsentState, passage: Passage
) -> None:
    """Expire what the browser holds of the refused, unless the response sets it itself."""
    set_here = {morsel.key for morsel in response.cookies.values()}
    refused = [
        name
        for name in passage.names
        # A name that is no cookie token cannot be written in a Set-Cookie, nor expired.
        if name not in set_here
        and (name in passage.refused if state is passage.judged_by else not allowed(state, name))
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
