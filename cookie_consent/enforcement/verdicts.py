"""What may cross the server: the cookie verdicts the middleware applies both ways.

A cookie is allowed when it is one Django or this app needs (named by the settings,
whatever the catalogue says, so an edit cannot lock everybody out), when its category is
granted, or, for a name the catalogue does not declare, when ``COOKIE_CONSENT_UNDECLARED``
is not ``"strip"``. A deletion is always allowed out: removing a cookie needs no consent.

The verdicts are functions of the consent and the name; those whose name says
``recording_undeclared`` also count a sighting of an undeclared name in the tally.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from cookie_consent.catalogue import names
from cookie_consent.catalogue.essential import essential_names
from cookie_consent.conf import conf
from cookie_consent.consent.state import ConsentState
from cookie_consent.enforcement import undeclared
from cookie_consent.enforcement.directions import Direction
from cookie_consent.enforcement.expiry import deletes, is_deletion


def allowed(state: ConsentState, name: str) -> bool:
    """The verdict for one name."""
    category = state.catalogue.category_of(name)
    if category is not None:
        return category.slug in state.granted_slugs
    return conf.UNDECLARED != "strip"


def allowed_recording_undeclared(
    state: ConsentState, name: str, direction: Direction, path: str
) -> bool:
    """:func:`allowed`; an undeclared name is also counted, as seen in ``direction``."""
    category = state.catalogue.category_of(name)
    if category is not None:
        return category.slug in state.granted_slugs
    policy = conf.UNDECLARED
    if policy != "allow" and names.is_valid_name(name):
        undeclared.seen(name, direction, path)
    return policy != "strip"


def raw_allowed_recording_undeclared(state: ConsentState, header: str, path: str) -> bool:
    """A ``Set-Cookie`` header a view wrote by hand, outside ``response.cookies``.

    It leaves when every cookie in it is essential, allowed or deleted, read both as a
    browser reads it (one cookie, RFC 6265) and as Python's ``http.cookies`` does (which
    may find several, or other attributes). Its undeclared names are counted.
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
        name in essentials or allowed_recording_undeclared(state, name, Direction.RESPONSE, path)
        for name in judged
    )
