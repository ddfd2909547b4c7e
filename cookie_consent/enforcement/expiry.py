"""Deleting a cookie the browser holds: one ``Set-Cookie`` per place it may live in;
and telling a deletion from a cookie that a browser stores.

A browser keeps a cookie per (name, domain, path), and a deletion only reaches the copy
with the same domain and path. A script may have written ``_ga`` for ``.example.com``
while the catalogue declares it host-only, so every likely variant is expired.

Django's ``response.cookies`` holds one morsel per name; :class:`VariantCookies` keeps the
further variants aside and yields them with the others to Django's handlers, which write
one ``Set-Cookie`` header per morsel they iterate.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from http.cookies import Morsel, SimpleCookie
from typing import TYPE_CHECKING, Any

from django.http.response import HttpResponseBase
from django.utils.http import parse_http_date_safe

if TYPE_CHECKING:
    # For the type checker only: the catalogue part does not depend on enforcement, nor
    # enforcement on the catalogue's loading, at import time.
    from cookie_consent.catalogue.snapshot import Catalogue, DeclaredCookie

Variants = tuple[tuple[str, str], ...]


EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"
# RFC 6265 §5.2.2 reads a Max-Age of ASCII digits, after an optional "-", and ignores
# any other (``0_0``, ``+0``, ``"0"``, ``\xa00``, which Python's int() accepts).
_AT_MOST_ZERO = re.compile(r"-[0-9]+|0+")
# RFC 6265bis §5.6: a browser ignores an attribute value longer than this many octets.
_LONGEST_VALUE = 1024
# The one date format that every browser reads as Django does (RFC 9110's IMF-fixdate,
# which Django and Python write). Django also reads others, in which a browser may find
# another year ("123, 01 Jan 1970 …" is year 123 to RFC 6265's cookie-date).
_IMF_FIXDATE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9:]{8} GMT"
)
# RFC 6265 §5.1.1: a browser fails to parse a date before 1601; Django's parser does not.
_YEAR_1601 = -11644473600
# The names come from the client: the memo of deletion variants is emptied past this.
_MEMO_BOUND = 4096


class VariantCookies(SimpleCookie):
    """A ``SimpleCookie`` that may carry several morsels of one name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.variants: list[Morsel[str]] = []

    def values(self) -> Any:
        return _chain(super().values(), self.variants)


def _chain(first: Iterable[Morsel[str]], then: list[Morsel[str]]) -> Iterator[Morsel[str]]:
    yield from first
    yield from then


def host_domains(host: str) -> list[str]:
    """The ``Domain`` values a cookie of this host may have been set with.

    A browser ignores a leading dot, so ``.example.com`` and ``example.com`` are one
    domain: each is listed once, with the dot that older browsers wanted.
    """
    host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host  # strip a port
    if not host or "." not in host or _is_ip(host):
        return []  # localhost, an IP: only host-only cookies exist there
    domains = [host]
    parent = host.split(".", 1)[1]
    if "." in parent:
        domains.append(parent)  # for www.example.com, also the www-less domain
    return ["." + domain for domain in domains]


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def deletion_variants(declarations: Iterable[DeclaredCookie], host: str) -> Variants:
    """(domain, path) pairs to expire; ``""`` is host-only. Undeclared: host-only ``/``."""
    variants = [("", "/")]
    declared = list(declarations)
    for cookie in declared:
        variants.append((_dotted(cookie.domain), cookie.path))
    if declared:
        variants += [(domain, "/") for domain in host_domains(host)]
    return tuple(dict.fromkeys(variants))


# The latest snapshot, and its variants by (name, host). Swapped as one tuple, so that a
# thread that meets another snapshot starts a memo of its own and never mixes the two.
_memo: tuple[object, dict[tuple[str, str], Variants]] = (None, {})


def deletion_variants_for(catalogue: Catalogue, name: str, host: str) -> Variants:
    """:func:`deletion_variants` of the cookie ``name`` as ``catalogue`` declares it.

    Remembered for the latest snapshot, as the same refused names come back request
    after request; a snapshot itself stays immutable.
    """
    global _memo
    owner, memo = _memo
    if owner is not catalogue:
        memo = {}
        _memo = (catalogue, memo)
    key = (name, host)
    variants = memo.get(key)
    if variants is None:
        if len(memo) >= _MEMO_BOUND:
            memo.clear()
        variants = memo[key] = deletion_variants(catalogue.declarations(name), host)
    return variants


def _dotted(domain: str) -> str:
    return "." + domain.lstrip(".") if domain else ""


def expire(
    response: HttpResponseBase, name: str, variants: Sequence[tuple[str, str]], secure: bool
) -> None:
    """Add a deletion of ``name`` for each (domain, path) variant to ``response``."""
    cookies = response.cookies
    if not isinstance(cookies, VariantCookies):
        cookies = VariantCookies()
        dict.update(cookies, response.cookies)
        response.cookies = cookies
    # The first is a morsel of its own: code after us (a test client's jar, another
    # middleware) may take it and change it. The others are only ever written out, so
    # they are built once and shared.
    domain, path = variants[0]
    stored = dict.get(cookies, name)
    if stored is not None and stored.key != name:
        # A cookie of another name, stored under this one's key: it still leaves.
        cookies.variants.append(stored)
    dict.__setitem__(cookies, name, _deletion(name, domain, path, secure).copy())
    cookies.variants.extend(_deletion(name, d, p, secure) for d, p in variants[1:])


@functools.lru_cache(maxsize=4096)
def _deletion(name: str, domain: str, path: str, secure: bool) -> Morsel[str]:
    """A deletion ``Set-Cookie``; built once per variant, never changed after."""
    morsel: Morsel[str] = Morsel()
    # Not Morsel.set: it refuses a name that is also an attribute's ("path", "Expires"),
    # which a browser stores like any other. The caller passes cookie tokens only.
    # (__setstate__ is the pickling hook of Morsel; typeshed leaves it out.)
    morsel.__setstate__({"key": name, "value": "", "coded_value": '""'})  # type: ignore[attr-defined]
    morsel.update({"expires": EPOCH, "max-age": "0", "path": path})
    if domain:
        morsel["domain"] = domain
    if secure:
        # A browser lets only a secure response replace a Secure cookie.
        morsel["secure"] = True
    return morsel


def is_deletion(morsel: Morsel[str]) -> bool:
    """Whether the ``Set-Cookie`` that ``morsel`` writes deletes its cookie."""
    # Judged on the line sent: its coded value may carry attributes of its own.
    return deletes(morsel.OutputString())


def deletes(line: str) -> bool:
    """Whether a browser that reads this ``Set-Cookie`` line removes the cookie.

    Max-Age decides when the line has one, Expires otherwise (RFC 6265 §5.3); of each,
    the last. A value that a browser may ignore, or read otherwise than Django, makes no
    deletion: the line is then judged as a cookie that is set, so a refused cookie never
    passes for a deletion.
    """
    attributes = {}
    for attribute in line.split(";")[1:]:
        key, _, value = attribute.partition("=")
        # RFC 6265 trims spaces and tabs, no other whitespace.
        attributes[key.strip(" \t").lower()] = value.strip(" \t")
    max_age = attributes.get("max-age")
    if max_age is not None:
        return len(max_age) <= _LONGEST_VALUE and _AT_MOST_ZERO.fullmatch(max_age) is not None
    expires = attributes.get("expires", "")
    when = parse_http_date_safe(expires) if _IMF_FIXDATE.fullmatch(expires) else None
    return when is not None and _YEAR_1601 <= when <= time.time()
