"""Issue 11: whatever a client sends and whatever a view writes, no refused or undeclared
cookie crosses the server, and no request gets a server error.

Each example is one request through the whole stack, WSGI (``Client``) or ASGI
(``AsyncClient``), to one URL: the app's own, a view that reports what it was sent, or a
view that writes the ``Set-Cookie`` headers the example chose. It carries arbitrary bytes
as its Cookie header(s), ``Sec-GPC``, ``Accept-Language``, ``Referer`` and body, and a
consent cookie made with the app's encoder (none, accept all, reject all, partial,
tampered, stale, expired, dated in the future, granted under GPC).

The oracles are this module's own reading of the standards, not the app's code:

- a ``Set-Cookie`` is read as a browser reads it (RFC 6265bis §5.6, RFC 6265's
  cookie-date): only a cookie the browser would keep is one that left the server;
  a header it ignores, or one that expires the cookie, is harmless;
- a Cookie header is read as Django reads it (``parse_cookie``); where an ASGI request
  joined several Cookie fields with commas, at those commas as well;
- what is granted follows from the consent the example holds, the catalogue declared
  below and the Sec-GPC field ("1", or "1" sent more than once).
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import pytest
from asgiref.sync import async_to_sync
from django.http.cookie import parse_cookie
from django.test import AsyncClient, Client
from django.urls import resolve, reverse
from django.utils import translation
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pytest_django.fixtures import Settings

from cookie_consent.models import CookieCategory
from cookie_consent.views import gpc_json
from tests.factories import make_consent_cookie, make_cookie
from tests.flows.test_untrusted_input import (
    CONSENT_SLUGS,
    actions,
    api_bodies,
    category_lists,
    methods,
    nexts,
)

if TYPE_CHECKING:
    from django.http.response import HttpResponseBase

pytestmark = pytest.mark.django_db

WSGI, ASGI = "wsgi", "asgi"
COOKIE_NAME = "cookies_preferences"
# What Django and the app need, whatever the visitor chose (DESIGN §2, default names).
ESSENTIAL = frozenset({"sessionid", "csrftoken", "django_language", "messages", COOKIE_NAME})
# The catalogue of this module: the test database's default one, plus these.
DECLARED = {
    "_ga": "statistics",
    "_ga_*": "statistics",
    "_pk_id.*": "statistics",
    "fp_pref": "first_party",
    "ab_*": "first_party",
    "_tp": "third_party",
    "IDE": "third_party",
    # More literal characters than "_ga_*": this pattern wins where both match.
    "_ga_ads_*": "third_party",
}
MAX_AGE = 182 * 24 * 60 * 60  # COOKIE_CONSENT_MAX_AGE's documented default
Allowed = Callable[[str], bool]


@pytest.fixture(autouse=True)
def declared_cookies() -> None:
    for name, slug in DECLARED.items():
        make_cookie(category=CookieCategory.objects.get(slug=slug), name=name)
    # A second variant of one name, so that refused ones are expired on two domains.
    make_cookie(
        category=CookieCategory.objects.get(slug="statistics"), name="_ga", domain=".example.com"
    )


@pytest.fixture(autouse=True)
def site_reading_accept_language(settings: Settings) -> Iterator[None]:
    """The test stack, with LocaleMiddleware where the example project has it, so that
    Accept-Language chooses the language pages and messages are rendered in."""
    middleware = list(settings.MIDDLEWARE)
    after = middleware.index("django.contrib.sessions.middleware.SessionMiddleware")
    middleware.insert(after + 1, "django.middleware.locale.LocaleMiddleware")
    settings.MIDDLEWARE = middleware
    # LocaleMiddleware leaves the last request's language active in the thread: the
    # tests that run next must start in the language they started in.
    with translation.override(translation.get_language()):
        yield


def app_urls() -> dict[str, str]:
    """Every URL of the app, and this module's two views."""
    urls = {
        name: reverse(f"cookie_consent:{name}")
        for name in ("policy", "preferences", "update", "api")
    }
    urls["gpc_json"] = "/.well-known/gpc.json"
    assert resolve(urls["gpc_json"]).func is gpc_json
    urls["cookie_routes"] = "/properties/cookie-routes/"
    urls["set_cookies"] = "/properties/set-cookies/"
    return urls


# The oracle: what the catalogue and the visitor's consent allow


def declared_category(name: str) -> str | None:
    """The catalogue's rule: an exact name first, then the pattern with the most literal
    characters (every pattern here is a prefix followed by ``*``)."""
    exact = {n: slug for n, slug in DECLARED.items() if "*" not in n}
    if name in exact:
        return exact[name]
    prefixes = sorted((n[:-1] for n in DECLARED if n not in exact), key=len, reverse=True)
    return next((DECLARED[p + "*"] for p in prefixes if name.startswith(p)), None)


@dataclass(frozen=True)
class Consent:
    """A consent cookie, made at run time by the factory (the app's encoder) for the test
    catalogue."""

    kind: str = "none"  # none, accept_all, reject_all, partial, tampered
    partial: frozenset[str] = frozenset()  # the grants of "partial"
    # How long ago the decision was made; None: just now; negative: in the future.
    age: int | None = None
    under_gpc: bool = False  # granted while sending Sec-GPC: 1, so it stands under it
    stale: frozenset[str] = frozenset()  # decided for an older revision of these
    tamper_at: float = 0.5  # "tampered": where in the value one character is changed

    def grants(self) -> frozenset[str]:
        if self.kind in ("accept_all", "tampered"):
            return CONSENT_SLUGS
        return self.partial if self.kind == "partial" else frozenset()

    def decided_at(self, now: int) -> int:
        # The format holds 1 to 12 digits.
        return min(max(now - (self.age or 0), 0), 10**12 - 1)

    def value(self, now: int) -> str | None:
        if self.kind == "none":
            return None
        value = make_consent_cookie(
            granted=self.grants(),
            stale=self.stale,
            decided_at=self.decided_at(now),
            under_gpc=self.under_gpc,
        )
        if self.kind == "tampered":
            at = int(self.tamper_at * (len(value) - 1))
            value = value[:at] + ("A" if value[at] != "A" else "B") + value[at + 1 :]
        return value

    def granted(self, read: bool, gpc: bool, now: int) -> frozenset[str]:
        """What the visitor granted, if the app ``read`` the consent cookie that was sent.

        A grant dated in the future is counted (the broad reading: the app may refuse it).
        """
        if self.kind in ("none", "tampered") or not read:
            return frozenset()
        if now - self.decided_at(now) >= MAX_AGE or (gpc and not self.under_gpc):
            return frozenset()
        return self.grants() - self.stale

    def is_certain(self) -> bool:
        """Whether the app must grant exactly what :meth:`granted` says: no decision dated
        in the future, none near the end of its lifetime."""
        return self.age is None or (self.age >= 0 and abs(self.age - MAX_AGE) > 60)


def sends_gpc(fields: Sequence[bytes]) -> bool:
    """``Sec-GPC: 1``; the field sent several times, or combined as "1, 1", is the signal."""
    if not fields:
        return False
    combined = b",".join(fields).decode("latin-1")
    return all(item.strip(" \t") == "1" for item in combined.split(","))


# The oracle: a Set-Cookie as a browser reads it (RFC 6265bis §5.6)

_CTL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_WSP = " \t"
_DIGITS = "0123456789"


def browser_reads(header: str, now: float) -> tuple[str, bool] | None:
    """(name, kept) of the cookie ``header`` makes: kept False when it expires the cookie;
    None when the browser ignores the header."""
    if _CTL.search(header):
        return None
    pair, _, attributes = header.partition(";")
    name, equals, value = pair.partition("=")
    if not equals:
        name, value = "", pair
    name, value = name.strip(_WSP), value.strip(_WSP)
    if not (name or value) or len((name + value).encode("utf-8", "surrogatepass")) > 4096:
        return None
    max_age: int | None = None
    expires: float | None = None
    for av in attributes.split(";") if attributes else ():
        key, _, raw = av.partition("=")
        key, raw = key.strip(_WSP).lower(), raw.strip(_WSP)
        if len(raw.encode("utf-8", "surrogatepass")) > 1024:
            continue
        if key == "max-age" and _is_delta_seconds(raw):
            max_age = int(raw)
        elif key == "expires":
            date = cookie_date(raw)
            expires = date if date is not None else expires
    if max_age is not None:
        return name, max_age > 0
    return name, expires is None or expires > now


def _is_delta_seconds(text: str) -> bool:
    """RFC 6265 §5.2.2: a DIGIT or "-" first, DIGITs after (ASCII digits only)."""
    body = text[1:] if text.startswith("-") else text
    return bool(body) and all(c in _DIGITS for c in body)


_DELIMITERS = re.compile(r"[\x09\x20-\x2f\x3b-\x40\x5b-\x60\x7b-\x7e]+")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[^0-9].*)?", re.DOTALL)
_DAY = re.compile(r"([0-9]{1,2})(?:[^0-9].*)?", re.DOTALL)
_MONTH = re.compile(r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec).*", re.I | re.A | re.S)
_YEAR = re.compile(r"([0-9]{2,4})(?:[^0-9].*)?", re.DOTALL)
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def cookie_date(text: str) -> float | None:
    """RFC 6265 §5.1.1, the date format browsers read in ``Expires``; None if invalid."""
    found: dict[str, re.Match[str]] = {}
    for token in _DELIMITERS.split(text):
        for part, production in (
            ("time", _TIME),
            ("day", _DAY),
            ("month", _MONTH),
            ("year", _YEAR),
        ):
            match = production.fullmatch(token) if part not in found else None
            if match is not None:
                found[part] = match
                break
    if len(found) < 4:
        return None
    hour, minute, second = (int(found["time"][i]) for i in (1, 2, 3))
    day, year = int(found["day"][1]), int(found["year"][1])
    year += 1900 if 70 <= year <= 99 else 2000 if year <= 69 else 0
    if not 1 <= day <= 31 or year < 1601 or hour > 23 or minute > 59 or second > 59:
        return None
    month = _MONTHS.index(found["month"][1].lower()) + 1
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc).timestamp()
    except ValueError:  # 31 February
        return None


def set_cookie_fields(response: HttpResponseBase, transport: str) -> list[str]:
    """The Set-Cookie field values the handler sends, as a client reads them: the one
    written by hand, then one per morsel (WSGIHandler.__call__, ASGIHandler.send_response).
    """
    by_hand = [value for name, value in response.items() if name.lower() == "set-cookie"]
    # ASGIHandler strips every ASCII space from a morsel's line; a client, SP and HTAB.
    strip = " \t\n\r\x0b\x0c" if transport == ASGI else _WSP
    morsels = [morsel.OutputString().strip(strip) for morsel in response.cookies.values()]
    return [value.strip(_WSP) for value in by_hand] + morsels


# What a request carries

# A Cookie field is made of pieces, each after its separator; None is the consent cookie.
Piece = tuple[bytes, bytes | None]


@dataclass(frozen=True)
class Visit:
    """One request: its headers and body, and what the view that writes cookies does."""

    consent: Consent = Consent()
    # Cookie header fields: ASGI sends each (as HTTP/2 does); WSGI gets them joined by
    # "; ", as a gateway joins them (RFC 9113 §8.2.3).
    cookies: tuple[tuple[Piece, ...], ...] = (((b"", None),),)
    gpc: tuple[bytes, ...] = ()  # Sec-GPC fields; WSGI gets them joined by ", "
    accept_language: bytes | None = None
    accept: bytes | None = None
    referer: bytes | None = None
    host: str = "testserver"
    secure: bool = False
    method: str = "GET"
    query: str = ""
    body: bytes = b""
    content_type: str = "application/octet-stream"
    # For the view that writes cookies: its steps (see tests.views.set_cookies_as_told).
    plan: tuple[dict[str, Any], ...] = ()

    def cookie_fields(self, consent_value: str | None) -> list[bytes]:
        """The Cookie fields, with the consent cookie's value where its pieces say."""
        pair = b"" if consent_value is None else f"{COOKIE_NAME}={consent_value}".encode()
        return [
            b"".join(separator + (pair if piece is None else piece) for separator, piece in pieces)
            for pieces in self.cookies
        ]


def is_cookie_pair(name: str, value: str) -> bool:
    """A cookie as a browser sends it (RFC 6265 §4.2.1): a token, and cookie-octets."""
    return all(c in TCHARS for c in name) and all(c in COOKIE_OCTETS for c in value)


def delivered(value: bytes) -> bytes:
    """A field value as a server hands it on: without surrounding spaces (RFC 9110 §5.5)."""
    return value.strip(b" \t")


# Strategies. Header bytes exclude CR and LF, which end a field: no server delivers them.

TCHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
COOKIE_OCTETS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '",;\\')
header_bytes = st.binary(max_size=40).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
header_text = st.text(max_size=40).filter(lambda t: "\r" not in t and "\n" not in t)
tokens = st.text(TCHARS, min_size=1, max_size=10)
declared_names = sorted(
    {n for n in DECLARED if "*" not in n}
    | {"_ga_ABC123", "_ga_", "_ga_ads_1", "_pk_id.1.a", "ab_test", "_ga_*"}
)
odd_names = [
    # Near misses of declared and essential names.
    "_GA",
    "ga",
    "_gat",
    "_ga ",
    " _ga",
    "\t_ga",
    "_ga\x0b",
    "_ga:1",
    "csrftoken2",
    "Csrftoken",
    "\xa0csrftoken",
    "é",
    "",
    # Names http.cookies reads as something else.
    "$_ga",
    "$Version",
    "path",
    "Expires",
    "MAX-AGE",
]
cookie_names = st.one_of(
    st.sampled_from(declared_names),
    st.sampled_from(sorted(ESSENTIAL)),
    st.sampled_from(odd_names),
    st.builds(str.__add__, st.sampled_from([n[:-1] for n in DECLARED if n.endswith("*")]), tokens),
    tokens,
    header_text.map(lambda text: text[:8]),
)
# Names http.cookies lets a view set: others make Django raise before any response.
_MORSEL_KEY = re.compile(r"[A-Za-z0-9!#$%&'*+\-.^_`|~:]+")
_RESERVED = {
    "expires",
    "path",
    "comment",
    "domain",
    "max-age",
    "secure",
    "httponly",
    "version",
    "samesite",
    "partitioned",
}
settable_names = cookie_names.filter(
    lambda n: _MORSEL_KEY.fullmatch(n) is not None and n.lower() not in _RESERVED
)
cookie_values = st.text(COOKIE_OCTETS, max_size=8)
cookie_pairs = st.builds(
    lambda name, value: name.encode("utf-8") + b"=" + value,
    cookie_names,
    st.one_of(cookie_values.map(str.encode), st.binary(max_size=8)),
)
pieces = st.tuples(
    st.sampled_from([b"; ", b";", b"", b" ", b",", b", ", b";;"]),
    st.one_of(cookie_pairs, header_bytes, st.none()),
)
cookie_field_lists = st.one_of(
    # As a browser sends them: one field, "; " between cookies, the consent cookie among them.
    st.builds(
        lambda pairs, at: (tuple((b"; ", p) for p in [*pairs[:at], None, *pairs[at:]]),),
        st.lists(cookie_pairs, max_size=4),
        st.integers(0, 4),
    ),
    st.lists(st.lists(pieces, max_size=5).map(tuple), min_size=1, max_size=3).map(tuple),
)
gpc_fields = st.one_of(
    st.just(()),
    st.sampled_from([(b"1",), (b"1", b"1"), (b"1, 1",), (b"1,1",), (b"0",), (b"1", b"0")]),
    st.lists(
        st.sampled_from([b"1", b"0", b"1, 1", b"1, 0", b"true", b"", b"1,"]) | header_bytes,
        max_size=3,
    ).map(tuple),
)
accept_languages = st.one_of(
    st.none(),
    st.sampled_from([b"fr", b"de-DE,de;q=0.9", b"pt-BR", b"nl;q=0.5, *", b"es-419", b"it"]),
    header_bytes,
)
accepts = st.one_of(
    st.none(),
    st.sampled_from([b"application/json", b"text/html", b"*/*", b"application/json;q=0.5"]),
    header_bytes,
)

consents = st.builds(
    Consent,
    kind=st.sampled_from(["none", "accept_all", "reject_all", "partial", "tampered"])
    | st.sampled_from(["accept_all", "partial"]),
    partial=st.frozensets(st.sampled_from(sorted(CONSENT_SLUGS))),
    age=st.one_of(
        st.none(),
        st.sampled_from([3600, MAX_AGE - 30, MAX_AGE + 30, -3600, -2 * 86400]),
        # Dated past the year 9999 (decided_at is clamped to 12 digits, and to 1970).
        st.sampled_from([-(10**12), -(5 * 10**11), -(3 * 10**11), 10**12]),
        st.integers(-(10**12), 10**12),
    ),
    under_gpc=st.booleans(),
    stale=st.one_of(st.just(frozenset()), st.frozensets(st.sampled_from(sorted(CONSENT_SLUGS)))),
    tamper_at=st.floats(0, 1),
)

form_bodies = st.builds(
    lambda action, categories, next_, method: urlencode(
        {
            "action": action,
            "categories": categories,
            **({} if next_ is None else {"next": next_}),
            **({} if method is None else {"method": method}),
        },
        doseq=True,
    ).encode(),
    actions,
    category_lists,
    nexts,
    methods,
)
json_bodies = api_bodies.map(lambda body: json.dumps(body).encode())
# Deep nesting, which a recursive parser cannot follow.
deep_json_bodies = st.builds(
    lambda opener, depth: opener * depth,
    st.sampled_from([b"[", b'{"a":', b'[{"action":']),
    st.sampled_from([10, 100, 1000, 3000, 5000]) | st.integers(1, 5000),
)
bodies = st.one_of(
    st.just(b""),
    form_bodies,
    json_bodies,
    deep_json_bodies,
    st.binary(max_size=60),
    # Around the limit of what a decision may weigh (16 KiB).
    st.integers(16 * 1024 - 8, 16 * 1024 + 8).map(lambda n: b"a" * n),
)
content_types = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "application/json",
        "multipart/form-data; boundary=xyz",
        "text/plain",
        "application/json; charset=utf-16",
        "application/x-www-form-urlencoded; charset=latin-1",
        "application/x-www-form-urlencoded; charset=nonsense",
    ]
)

# Attribute values: near misses of a deletion, dates browsers read differently, text.
attribute_texts = st.one_of(
    st.sampled_from(
        [
            "0",
            "-0",
            "-1",
            "1",
            "",
            "00",
            " 0",
            "0 ",
            "+0",
            "0_0",
            "-0_1",
            "\xa00",
            "\u0660",
            "0.0",
            "1e3",
            "-",
            "Thu, 01 Jan 1970 00:00:00 GMT",
            "Thu, 01 Jan 1000 00:00:00 GMT",
            "Thursday, 01-Jan-75 00:00:00 GMT",
            "Thu Jan  1 00:00:00 1970",
            "Wed, 21 Oct 2099 07:28:00 GMT",
            "/; Max-Age=9999",
            "Lax; Max-Age=9999",
            "/; Max-Age=0",
        ]
    ),
    st.builds(
        "{}, {:02d} {} {:04d} {:02d}:{:02d}:{:02d} GMT".format,
        st.sampled_from(["Thu", "Xyz", "123", "Thursday"]),
        st.integers(0, 99),
        st.sampled_from(["Jan", "Feb", "jan", "Foo"]),
        st.integers(0, 9999),
        st.integers(0, 99),
        st.integers(0, 99),
        st.integers(0, 99),
    ),
    header_text,
)
max_ages = st.one_of(st.none(), st.integers(-(10**6), 10**8))
set_cookie_steps = st.fixed_dictionaries(
    {
        "call": st.sampled_from(["set_cookie", "set_signed_cookie"]),
        "key": settable_names,
        "value": st.one_of(cookie_values, header_text),
        "max_age": max_ages,
        "expires": st.one_of(st.none(), attribute_texts),
        "path": st.one_of(st.just("/"), attribute_texts),
        "domain": st.one_of(st.none(), st.just(".example.com"), attribute_texts),
        "secure": st.booleans(),
        "httponly": st.booleans(),
        "samesite": st.sampled_from([None, "Lax", "Strict", "None"]),
    }
)
delete_cookie_steps = st.fixed_dictionaries(
    {
        "call": st.just("delete_cookie"),
        "key": settable_names,
        "path": st.one_of(st.just("/"), attribute_texts),
        "domain": st.one_of(st.none(), attribute_texts),
    }
)
morsel_steps = st.fixed_dictionaries(
    {
        "call": st.just("morsel"),
        "name": settable_names,
        "value": st.one_of(cookie_values, header_text),
        "attributes": st.dictionaries(
            st.sampled_from(["max-age", "expires", "path", "domain", "samesite", "version"]),
            st.one_of(attribute_texts, st.integers(-(10**6), 10**6)),
            max_size=3,
        ),
    }
)
alias_steps = st.fixed_dictionaries(
    {
        "call": st.just("alias"),
        "key": settable_names,
        "name": settable_names,
        "value": cookie_values,
    }
)
raw_attribute = st.tuples(
    st.one_of(
        st.sampled_from(["Max-Age", "max-age", "Expires", "Path", "Domain", "SameSite"]),
        cookie_names,
    ),
    st.one_of(st.none(), attribute_texts),
)
raw_set_cookies = st.one_of(
    st.builds(
        lambda name, value, attributes: (
            f"{name}={value}"
            + "".join(f"; {k}" if v is None else f"; {k}={v}" for k, v in attributes)
        ),
        cookie_names,
        st.one_of(cookie_values, header_text),
        st.lists(raw_attribute, max_size=4),
    ),
    header_text,
)
header_steps = st.fixed_dictionaries({"call": st.just("header"), "value": raw_set_cookies})
plans = st.lists(
    st.one_of(set_cookie_steps, delete_cookie_steps, morsel_steps, alias_steps, header_steps),
    max_size=4,
).map(tuple)


@st.composite
def visits(draw: st.DrawFn, *, with_plan: bool) -> Visit:
    method = draw(st.sampled_from(["GET", "POST"]) | st.sampled_from(["HEAD", "PUT", "OPTIONS"]))
    query = draw(
        st.sampled_from(["", "?kind=middleware"] if method in ("GET", "HEAD") else [""])
        | st.builds(lambda text: "?next=" + quote(text), header_text)
    )
    return Visit(
        consent=draw(consents),
        cookies=draw(cookie_field_lists),
        gpc=draw(gpc_fields),
        accept_language=draw(accept_languages),
        accept=draw(accepts),
        referer=draw(st.none() | header_text.map(lambda t: t.encode("utf-8"))),
        host=draw(st.sampled_from(["testserver", "www.example.com", "shop.example.com"])),
        secure=draw(st.booleans()),
        method=method,
        query=query,
        body=draw(bodies) if method not in ("GET", "HEAD") else b"",
        content_type=draw(content_types),
        plan=draw(plans) if with_plan else (),
    )


# Sending a visit through the stack


@dataclass(frozen=True)
class Sent:
    """The Cookie fields one request carried, and how Django reads them."""

    fields: list[bytes]
    transport: str

    @property
    def wsgi_header(self) -> bytes:
        """The one Cookie header a WSGI server gets, from a gateway that joined the fields."""
        return delivered(b"; ".join(self.fields))

    @property
    def text(self) -> str:
        """The Cookie header as Django parses it into ``request.COOKIES``."""
        if self.transport == WSGI:
            # META holds the bytes as Latin-1; Django reads them as the UTF-8 they carry.
            return self.wsgi_header.decode("utf-8", "replace")
        return ",".join(f.decode("latin-1") for f in self.fields)  # as ASGIRequest joins them

    @property
    def glued(self) -> frozenset[str]:
        """Names of the cookies that open the ASGI fields after the first: joined with
        commas, each is glued to the value of the previous field's last cookie. (A nameless
        chunk there is left out: it cannot be told from a comma in a value.)"""
        if self.transport == WSGI:
            return frozenset()
        firsts = (f.decode("latin-1").split(";", 1)[0] for f in self.fields[1:])
        return frozenset().union(*(parse_cookie(first) for first in firsts)) - {""}


class FieldsAsyncClient(AsyncClient):
    """An AsyncClient that sends header fields exactly as given, a name repeated as
    HTTP/2 repeats ``cookie``, in place of its own Host and its cookie jar's field."""

    def __init__(self, fields: list[tuple[bytes, bytes]]) -> None:
        super().__init__()
        self.fields = fields

    def _base_scope(self, **request: Any) -> dict[str, Any]:
        scope: dict[str, Any] = super()._base_scope(**request)  # type: ignore[misc]
        replaced = {name for name, _ in self.fields} | {b"cookie"}
        kept = [(name, value) for name, value in scope["headers"] if name not in replaced]
        scope["headers"] = kept + self.fields
        return scope


def send(transport: str, url: str, visit: Visit, sent: Sent) -> tuple[Any, Any]:
    """The response, and the request object the views were given."""
    optional = {
        b"accept-language": visit.accept_language,
        b"accept": visit.accept,
        b"referer": visit.referer,
        b"x-cookie-plan": json.dumps(list(visit.plan)).encode() if visit.plan else None,
    }
    fields = [(name, delivered(value)) for name, value in optional.items() if value is not None]
    path = url + visit.query
    if transport == WSGI:
        environ: dict[str, Any] = {
            "HTTP_" + name.decode().upper().replace("-", "_"): value.decode("latin-1")
            for name, value in fields
        }
        if visit.gpc:
            # Several fields of one name reach a WSGI application combined (RFC 9110 §5.3).
            gpc = b", ".join(delivered(value) for value in visit.gpc)
            environ["HTTP_SEC_GPC"] = gpc.decode("latin-1")
        environ["HTTP_COOKIE"] = sent.wsgi_header.decode("latin-1")
        environ["HTTP_HOST"] = visit.host
        response = Client().generic(
            visit.method, path, visit.body, visit.content_type, secure=visit.secure, **environ
        )
        return response, response.wsgi_request
    fields.append((b"host", visit.host.encode()))
    fields += [(b"cookie", value) for value in sent.fields]
    fields += [(b"sec-gpc", delivered(value)) for value in visit.gpc]
    client = FieldsAsyncClient(fields)

    async def request() -> Any:
        return await client.generic(
            visit.method, path, visit.body, visit.content_type, secure=visit.secure
        )

    response = async_to_sync(request)()
    return response, response.asgi_request


# What reached the view and the browser


@dataclass(frozen=True)
class Seen:
    """The cookies as a view can read them."""

    cookies: dict[str, str]
    meta: str | None
    header: str | None


def seen_by_views(request: Any, response: Any, url: str) -> list[Seen]:
    """What the request object held for the views; and, from the view that reports it,
    what that view read itself."""
    held = Seen(
        dict(request.COOKIES), request.META.get("HTTP_COOKIE"), request.headers.get("Cookie")
    )
    if not url.endswith("/cookie-routes/") or request.method == "HEAD":
        return [held]
    assert response.status_code == 200
    report = json.loads(response.content)
    return [held, Seen(report["COOKIES"], report["META"], report["headers"])]


def names_in(seen: Seen, sent: Sent) -> set[str]:
    """Every cookie name a view finds, by any route, read as Django reads them."""
    names = set(seen.cookies)
    for text in (seen.meta, seen.header):
        if text is None:
            continue
        if sent.transport == WSGI:
            with contextlib.suppress(UnicodeEncodeError):  # the app may write any text
                text = text.encode("latin-1").decode("utf-8", "replace")
        names |= set(parse_cookie(text))
        # Nor behind another cookie's value, where ASGIRequest glued two fields.
        names |= set(parse_cookie(text.replace(",", ";"))) & sent.glued
    return names


_PLAIN = re.compile(r"[A-Za-z0-9/._-]*")


def promised_by_plan(plan: Iterable[dict[str, Any]], allowed: Allowed) -> dict[str, bool]:
    """name → kept, for the view's last write of each name that must reach the browser:
    a deletion always, a cookie of a granted category when nothing in it is odd."""
    last: dict[str, dict[str, Any]] = {}
    for step in plan:
        if step["call"] != "header":
            last[step.get("key") or step["name"]] = step
    promised = {}
    for name, step in last.items():
        plain = all(_PLAIN.fullmatch(str(step.get(k) or "")) for k in ("path", "domain"))
        if name in ESSENTIAL or not plain:
            continue  # Django's own middleware may write these after the view
        if step["call"] == "delete_cookie":
            promised[name] = False
        elif (
            step["call"] in ("set_cookie", "set_signed_cookie")
            and allowed(name)
            and step["expires"] is None
            and (step["max_age"] is None or step["max_age"] > 0)
        ):
            promised[name] = True
    return promised


def check(transport: str, url: str, visit: Visit) -> None:
    """One visit: no server error, nothing refused or undeclared in what the views saw or
    in what reached the browser; and, where the answer is certain, nothing taken away."""
    now = int(time.time())
    consent_value = visit.consent.value(now)
    sent = Sent([delivered(f) for f in visit.cookie_fields(consent_value)], transport)
    received = parse_cookie(sent.text)
    # A comma is no cookie-octet: the app may read it as a separator (see Sent.glued).
    read = consent_value is not None and consent_value in (
        received.get(COOKIE_NAME),
        parse_cookie(sent.text.replace(",", ";")).get(COOKIE_NAME),
    )
    granted = visit.consent.granted(read, sends_gpc([delivered(v) for v in visit.gpc]), now)

    def allowed(name: str) -> bool:
        return name in ESSENTIAL or declared_category(name) in granted

    response, request = send(transport, url, visit, sent)
    assert response.status_code < 500

    # Commas make a header ambiguous: what must be kept is only said of one without.
    certain = visit.consent.is_certain() and "," not in sent.text
    for seen in seen_by_views(request, response, url):
        leaked = sorted(name for name in names_in(seen, sent) if not allowed(name))
        assert not leaked, f"the view saw refused or undeclared cookies {leaked}: {seen}"
        if certain:
            keeps = {n: v for n, v in received.items() if allowed(n) and is_cookie_pair(n, v)}
            assert {name: seen.cookies.get(name) for name in keeps} == keeps, "taken away"

    reaching_browser = []
    for header in set_cookie_fields(response, transport):
        cookie = browser_reads(header, time.time())
        if cookie is not None:
            reaching_browser.append(cookie)
            name, kept = cookie
            assert not kept or allowed(name), f"refused or undeclared, it left: {header!r}"
    if certain:
        for name, kept in promised_by_plan(visit.plan, allowed).items():
            assert (name, kept) in reaching_browser, f"the view's {name!r} did not leave"


# The properties: 10 × 120 + 2 × 200 + 2 × 200 = 2000 examples per run

fuzz = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
transports = pytest.mark.parametrize("transport", [WSGI, ASGI])
accepted_all = Consent("accept_all")
# Sec-GPC sent twice: WSGI gets "1, 1", ASGI "1,1".
gpc_twice = (b"1", b"1")


def as_fields(*values: bytes | None) -> tuple[tuple[Piece, ...], ...]:
    """Cookie fields of one piece each (None: the consent cookie)."""
    return tuple(((b"", value),) for value in values)


def morsel(**attributes: str) -> dict[str, Any]:
    return {"call": "morsel", "name": "_ga", "value": "1", "attributes": attributes}


@transports
@pytest.mark.parametrize("target", ["policy", "preferences", "update", "api", "gpc_json"])
@fuzz
@given(visit=visits(with_plan=False))
# The examples are the defects found so far (see the report of issue 11).
@example(visit=Visit(method="POST", body=b"[" * 3000, content_type="application/json"))
@example(visit=Visit(consent=Consent("accept_all", age=-(10**12))))
@example(visit=Visit(consent=accepted_all, gpc=gpc_twice, query="?kind=middleware"))
@example(visit=Visit(cookies=as_fields(b"path=1")))
def test_app_urls(transport: str, target: str, visit: Visit) -> None:
    check(transport, app_urls()[target], visit)


@transports
@settings(fuzz, max_examples=200)
@given(visit=visits(with_plan=False))
@example(visit=Visit(cookies=as_fields("é=1".encode())))
@example(visit=Visit(cookies=as_fields(b"csrftoken=x", b"_ga=1")))
@example(visit=Visit(cookies=as_fields(b"csrftoken=x", b")=1")))
@example(
    visit=Visit(consent=accepted_all, cookies=(((b"", None), (b"; ", b"_ga=1")),), gpc=gpc_twice)
)
def test_what_views_see(transport: str, visit: Visit) -> None:
    check(transport, app_urls()["cookie_routes"], visit)


@transports
@settings(fuzz, max_examples=200)
@given(visit=visits(with_plan=True))
@example(visit=Visit(plan=(morsel(**{"max-age": "0_0"}),)))
@example(visit=Visit(plan=(morsel(**{"max-age": "-0_1"}),)))
@example(visit=Visit(plan=(morsel(**{"max-age": "\xa00"}),)))
@example(visit=Visit(plan=(morsel(**{"max-age": "+0"}),)))
@example(visit=Visit(plan=(morsel(**{"max-age": "0" * 1025}),)))  # over 1024 octets: ignored
@example(visit=Visit(plan=(morsel(**{"max-age": "0", "samesite": "Lax; Max-Age=99"}),)))
@example(visit=Visit(plan=({"call": "header", "value": "_ga=1; Max-Age=0_0"},)))
@example(visit=Visit(plan=(morsel(expires="Thu, 01 Jan 1000 00:00:00 GMT"),)))
@example(visit=Visit(plan=(morsel(expires="123, 01 Jan 1970 00:00:00 GMT"),)))
@example(visit=Visit(plan=({"call": "delete_cookie", "key": "_ga", "path": "/; Max-Age=9"},)))
@example(visit=Visit(plan=({"call": "header", "value": "$_ga=1; csrftoken=x"},)))
@example(visit=Visit(plan=({"call": "alias", "key": "csrftoken", "name": "_ga", "value": "1"},)))
def test_what_views_write(transport: str, visit: Visit) -> None:
    check(transport, app_urls()["set_cookies"], visit)
