"""Deleting a cookie the browser holds: one ``Set-Cookie`` per place it may live in.

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
from collections.abc import Iterable, Iterator, Sequence
from http.cookies import Morsel, SimpleCookie
from typing import TYPE_CHECKING, Any

from django.http.response import HttpResponseBase

if TYPE_CHECKING:
    # catalogue.py imports this module.
    from cookie_consent.catalogue import DeclaredCookie


EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"


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


def deletion_variants(
    declarations: Iterable[DeclaredCookie], host: str
) -> tuple[tuple[str, str], ...]:
    """(domain, path) pairs to expire; ``""`` is host-only. Undeclared: host-only ``/``."""
    variants = [("", "/")]
    declared = list(declarations)
    for cookie in declared:
        variants.append((_dotted(cookie.domain), cookie.path))
    if declared:
        variants += [(domain, "/") for domain in host_domains(host)]
    return tuple(dict.fromkeys(variants))


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
    dict.__setitem__(cookies, name, _deletion(name, domain, path, secure).copy())
    cookies.variants.extend(_deletion(name, d, p, secure) for d, p in variants[1:])


@functools.lru_cache(maxsize=4096)
def _deletion(name: str, domain: str, path: str, secure: bool) -> Morsel[str]:
    """A deletion ``Set-Cookie``; built once per variant, never changed after."""
    morsel: Morsel[str] = Morsel()
    morsel.set(name, "", '""')
    morsel.update({"expires": EPOCH, "max-age": "0", "path": path})
    if domain:
        morsel["domain"] = domain
    if secure:
        # A browser lets only a secure response replace a Secure cookie.
        morsel["secure"] = True
    return morsel
