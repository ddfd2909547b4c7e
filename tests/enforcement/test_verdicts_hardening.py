"""Enforcement where clients, proxies, servers and views are unusual (issue 11).

Fake deletions, cookie names that Django reads from other bytes than the header shows,
headers joined with commas, cookies stored under another name, URLconfs switched by a
later middleware, requests with a bad ``Host``. The module is its own URLconf.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from http.cookies import Morsel
from typing import Any

import pytest
from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.cookie import parse_cookie
from django.http.response import HttpResponseBase
from django.test import AsyncClient, Client, RequestFactory
from django.urls import path
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pytest_django.fixtures import Settings

from cookie_consent.catalogue.essential import essential_names
from cookie_consent.catalogue.names import is_valid_name
from cookie_consent.consent.state import get_consent
from cookie_consent.decorators import cookie_consent_exempt
from cookie_consent.enforcement.verdicts import allowed
from cookie_consent.middleware import CookieConsentMiddleware
from cookie_consent.models import CookieCategory
from tests.factories import make_cookie

pytestmark = pytest.mark.django_db


# The views, and this module as the URLconf


def echo(request: HttpRequest) -> JsonResponse:
    """What a view sees of the request's cookies, in each of the three places."""
    return JsonResponse(
        {
            "cookies": request.COOKIES,
            "meta": request.META.get("HTTP_COOKIE"),
            "headers": request.headers.get("Cookie"),
        }
    )


exempt_echo = cookie_consent_exempt(lambda request: echo(request))


def raw_set_cookie(request: HttpRequest) -> HttpResponse:
    response = HttpResponse()
    response.headers["Set-Cookie"] = request.GET["header"]
    return response


def attribute_set_directly(request: HttpRequest) -> HttpResponse:
    response = HttpResponse()
    response.set_cookie("_ga", "GA1.1")
    response.cookies["_ga"][request.GET["attribute"]] = request.GET["value"]
    return response


def value_with_its_own_attributes(request: HttpRequest) -> HttpResponse:
    """A morsel whose coded value carries a Max-Age, with a past Expires of its own."""
    response = HttpResponse()
    morsel: Morsel[str] = Morsel()
    morsel.set("_ga", "GA1.1", "GA1.1; Max-Age=31536000")
    morsel["expires"] = "Thu, 01 Jan 1970 00:00:00 GMT"
    response.cookies["_ga"] = morsel
    return response


def stored_under_another_key(request: HttpRequest) -> HttpResponse:
    """``response.cookies[key]`` holding the morsel of cookie ``name``."""
    response = HttpResponse()
    morsel: Morsel[str] = Morsel()
    morsel.set(request.GET["name"], "GA1.1", "GA1.1")
    response.cookies[request.GET["key"]] = morsel
    return response


class HostedUrls:
    """The URLconf that a middleware after ours switches to, as django-hosts does."""

    urlpatterns = [
        path("switched/", echo),
        path("switched-exempt/", exempt_echo),
    ]


class SwitchUrlconf:
    sync_capable = async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        request.urlconf = HostedUrls  # type: ignore[assignment]  # Django takes any URLconf
        return self.get_response(request)  # the coroutine, in an async chain


urlpatterns = [
    path("echo/", echo),
    path("raw/", raw_set_cookie),
    path("attribute/", attribute_set_directly),
    path("own-attributes/", value_with_its_own_attributes),
    path("under-key/", stored_under_another_key),
    # Under ROOT_URLCONF these two are the other way round than in HostedUrls.
    path("switched/", exempt_echo),
    path("switched-exempt/", echo),
]


@pytest.fixture(autouse=True)
def analytics_catalogue(settings: Settings) -> None:
    settings.ROOT_URLCONF = __name__
    statistics = CookieCategory.objects.get(slug="statistics")
    make_cookie(category=statistics, name="_ga")
    make_cookie(category=statistics, name="_ga_*")
    make_cookie(category=CookieCategory.objects.get(slug="third_party"), name="_tp")


def as_received(header: str) -> str:
    """``header`` as a WSGI server hands it to Django: its UTF-8 bytes read as Latin-1."""
    return header.encode("utf-8").decode("latin-1")


def sent(response: HttpResponseBase, name: str) -> list[Morsel[str]]:
    """The ``Set-Cookie``s of ``name`` that set a value (deletions left out)."""
    return [m for m in response.cookies.values() if m.key == name and m.value]


def deletions(response: HttpResponseBase, name: str) -> list[Morsel[str]]:
    return [m for m in response.cookies.values() if m.key == name and not m.value]


# Defect 3: a Set-Cookie that only looks like a deletion


@pytest.mark.parametrize(
    "header",
    [
        "_ga=GA1.1; Max-Age=0_0",
        "_ga=GA1.1; Max-Age=-0_1",
        "_ga=GA1.1; Max-Age=+0",  # RFC 6265: the first character is a digit or "-"
        '_ga=GA1.1; Max-Age="0"',  # Python unquotes it, a browser does not
        # No ";": to a browser, "Max-Age=0" is part of the value.
        "_ga=GA1.1 Max-Age=0",
        "_ga=GA1.1 Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        "_ga=GA1.1; Expires=Sat, 01 Jan 1600 00:00:00 GMT",  # before 1601: no date at all
        "_ga=GA1.1; Expires=123, 01 Jan 1970 00:00:00 GMT",  # the year 123 to a browser
    ],
)
def test_hand_written_header_a_browser_stores_is_no_deletion(client: Client, header: str) -> None:
    response = client.get("/raw/", {"header": header})
    assert not response.has_header("Set-Cookie")


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("max-age", "0_0"),
        ("max-age", "-0_1"),
        ("max-age", "\xa00"),
        ("max-age", "+0"),
        ("max-age", "0" * 1025),  # over 1024 octets, a browser ignores it (RFC 6265bis)
        # Django reads 1970, RFC 6265's cookie-date the year 123: no date at all.
        ("expires", "123, 01 Jan 1970 00:00:00 GMT"),
        ("expires", "Sat, 01 Jan 1600 00:00:00 GMT"),
    ],
)
def test_attribute_set_directly_that_a_browser_ignores_is_no_deletion(
    client: Client, attribute: str, value: str
) -> None:
    response = client.get("/attribute/", {"attribute": attribute, "value": value})
    assert sent(response, "_ga") == []


def test_a_deletion_is_judged_by_what_is_sent(client: Client) -> None:
    # The line sent is `_ga=GA1.1; Max-Age=31536000; expires=Thu, 01 Jan 1970 …`: a
    # browser takes the Max-Age and keeps the cookie for a year.
    response = client.get("/own-attributes/")
    assert sent(response, "_ga") == []


# Defect 4: the raw Cookie header, for every byte sequence


@pytest.mark.parametrize("name", ["é", "_ga\u00a0", "\u3000_tp", "_ga_é"])
def test_refused_non_ascii_names_leave_the_raw_header_under_wsgi(
    client: Client, name: str
) -> None:
    # Django reads the names from the header's bytes as UTF-8, META keeps them as Latin-1.
    seen = client.get("/echo/", HTTP_COOKIE=as_received(f"{name}=1; csrftoken=x")).json()
    assert seen == {"cookies": {"csrftoken": "x"}, "meta": "csrftoken=x", "headers": "csrftoken=x"}


def test_refused_cookie_after_a_comma_is_stripped_and_expired(client: Client) -> None:
    # A proxy that joins two Cookie headers with a comma: the browser holds `_ga`.
    response = client.get("/echo/", HTTP_COOKIE="csrftoken=x, _ga=GA1.1")
    seen = response.json()
    assert seen == {"cookies": {"csrftoken": "x"}, "meta": "csrftoken=x", "headers": "csrftoken=x"}
    assert [m["max-age"] for m in deletions(response, "_ga")] == ["0"]


@pytest.mark.parametrize("name", ["path", "Expires", "max-age"])
def test_refused_cookie_named_like_an_attribute_is_expired(client: Client, name: str) -> None:
    # Python's http.cookies refuses such a name; a browser stores it like any other.
    response = client.get("/echo/", HTTP_COOKIE=f"{name}=1; csrftoken=x")
    assert response.json()["cookies"] == {"csrftoken": "x"}
    assert [m.OutputString() for m in deletions(response, name)] == [
        f'{name}=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/'
    ]


@pytest.mark.usefixtures("shared_snapshot")
async def test_cookie_headers_joined_by_asgi_lose_only_the_refused_one(
    async_client: AsyncClient,
) -> None:
    # Two Cookie headers (HTTP/2 sends one per cookie): Django's ASGI handler joins them
    # with a comma, so that `csrftoken` is read as part of the value of `_ga`.
    async_client.cookies["csrftoken"] = "x"
    response = await async_client.get("/echo/", headers={"cookie": "_ga=GA1.1"})
    assert json.loads(response.content)["cookies"] == {"csrftoken": "x"}
    assert json.loads(response.content)["meta"] == "csrftoken=x"
    assert [m["max-age"] for m in deletions(response, "_ga")] == ["0"]


# Hypothesis: arbitrary cookie headers, under WSGI and ASGI

fuzz = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NAMES = [
    "_ga",
    "_ga_X1",
    "_tp",
    "_unknown",
    "csrftoken",
    "sessionid",
    "",
    " _ga",
    "_ga\u00a0",
    "\u3000_tp",
    "\u0085_ga",
    "é",
    "we ird",
]
crumbs = st.tuples(
    st.sampled_from(NAMES).map(str.encode),
    st.sampled_from([b"=", b"", b" = "]),
    st.binary(max_size=6) | st.sampled_from([b"1", b"\xff", b"\xc2", b'"x"']),
).map(b"".join)
separators = st.sampled_from([b";", b"; ", b",", b", ", b";;", b" ", b"\xa0;"])


@st.composite
def cookie_headers(draw: st.DrawFn) -> bytes:
    parts = draw(st.lists(crumbs, max_size=6))
    joined = b""
    for part in parts:
        joined += part + draw(separators)
    return draw(st.one_of(st.just(joined), st.binary(max_size=40)))


def wsgi_request(headers: list[bytes]) -> WSGIRequest:
    # A WSGI server hands several Cookie headers joined with ", " (as gunicorn does).
    return RequestFactory().get("/", HTTP_COOKIE=b", ".join(headers).decode("latin-1"))


def asgi_request(headers: list[bytes]) -> ASGIRequest:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "query_string": b"",
        "server": ("testserver", 80),
        "headers": [(b"cookie", header) for header in headers],
    }
    return ASGIRequest(scope, io.BytesIO())


def as_django_reads(request: HttpRequest, header: str) -> str:
    if isinstance(request, WSGIRequest):
        return header.encode("latin-1").decode(errors="replace")
    return header


def comma_names(header: str) -> set[str]:
    """The cookies hidden after a comma in a value: a joined header's later ones."""
    found = set()
    for chunk in header.split(";"):
        for part in chunk.split(",")[1:]:
            name = part.split("=", 1)[0].strip()
            if "=" in part and name:
                found.add(name)
    return found


@pytest.fixture(params=["strip", "report"])
def policy(request: pytest.FixtureRequest, settings: Settings) -> None:
    # Once per test, not per example: each change of a setting stacks an override.
    settings.COOKIE_CONSENT_UNDECLARED = request.param


@pytest.mark.usefixtures("policy")
@pytest.mark.parametrize("make_request", [wsgi_request, asgi_request])
@fuzz
@given(headers=st.lists(cookie_headers(), min_size=1, max_size=3))
@example(headers=["é=1; csrftoken=x".encode()])
@example(headers=[b"_ga\xc2\xa0=1"])
@example(headers=[b"csrftoken=x", b"_ga=1"])
@example(headers=[b"abc, _ga=1"])
def test_no_refused_name_survives_any_cookie_header(
    make_request: Callable[[list[bytes]], HttpRequest], headers: list[bytes]
) -> None:
    request = make_request(headers)
    before = as_django_reads(request, request.META.get("HTTP_COOKIE", ""))
    seen: dict[str, object] = {}

    def view(request: HttpRequest) -> HttpResponse:
        seen.update(
            cookies=dict(request.COOKIES),
            meta=request.META.get("HTTP_COOKIE", ""),
            headers=request.headers.get("Cookie", ""),
        )
        return HttpResponse()

    response = CookieConsentMiddleware(view)(request)
    state = get_consent(request)

    def refused(name: str) -> bool:
        return name not in essential_names() and not allowed(state, name)

    after = as_django_reads(request, str(seen["meta"]))
    assert seen["headers"] == seen["meta"]
    assert seen["cookies"] == parse_cookie(after)
    assert not [name for name in parse_cookie(after) if refused(name)]
    assert not [name for name in comma_names(after) if refused(name)]
    if "," not in before:
        # Nothing else was taken away.
        kept = {k: v for k, v in parse_cookie(before).items() if not refused(k)}
        assert seen["cookies"] == kept
    # What the browser holds under a refused name is expired.
    expired = {m.key for m in response.cookies.values() if m["max-age"] == "0"}
    held = set(parse_cookie(before)) | comma_names(before)
    assert {name for name in held if refused(name) and is_valid_name(name)} <= expired


# Defect 9: the URLconf a later middleware sets; the name a morsel is sent under


@pytest.fixture
def switched_urlconf(settings: Settings) -> None:
    middleware = list(settings.MIDDLEWARE)
    settings.MIDDLEWARE = [middleware[0], f"{__name__}.SwitchUrlconf", *middleware[1:]]


@pytest.mark.usefixtures("switched_urlconf")
def test_view_that_is_not_exempt_under_the_urlconf_in_force_never_sees_refused_cookies(
    client: Client,
) -> None:
    client.cookies["_ga"] = "GA1.1"
    response = client.get("/switched/")
    assert response.json()["cookies"] == {}
    assert [m["max-age"] for m in deletions(response, "_ga")] == ["0"]


@pytest.mark.usefixtures("switched_urlconf")
def test_view_exempt_under_the_urlconf_in_force_gets_every_cookie(client: Client) -> None:
    client.cookies["_ga"] = "GA1.1"
    response = client.get("/switched-exempt/")
    assert response.json()["cookies"] == {"_ga": "GA1.1"}
    assert deletions(response, "_ga") == []


@pytest.mark.usefixtures("shared_snapshot")
async def test_urlconf_in_force_in_an_async_chain(
    async_client: AsyncClient, settings: Settings
) -> None:
    # Every middleware async-capable: the chain, and the check before the view, stay async.
    settings.MIDDLEWARE = [
        "cookie_consent.middleware.CookieConsentMiddleware",
        f"{__name__}.SwitchUrlconf",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
    ]
    async_client.cookies["_ga"] = "GA1.1"
    response = await async_client.get("/switched/")
    assert json.loads(response.content)["cookies"] == {}
    async_client.cookies["_ga"] = "GA1.1"  # the response expired it
    response = await async_client.get("/switched-exempt/")
    assert json.loads(response.content)["cookies"] == {"_ga": "GA1.1"}


def test_a_cookie_is_judged_by_the_name_it_is_sent_under(client: Client) -> None:
    response = client.get("/under-key/", {"key": "csrftoken", "name": "_ga"})
    assert sent(response, "_ga") == []


def test_an_essential_cookie_stored_under_a_refused_key_still_leaves(client: Client) -> None:
    client.cookies["_ga"] = "GA1.1"
    response = client.get("/under-key/", {"key": "_ga", "name": "csrftoken"})
    assert [m.value for m in sent(response, "csrftoken")] == ["GA1.1"]
    assert [m["max-age"] for m in deletions(response, "_ga")] == ["0"]


# Defect 14: a bad Host


def test_bad_host_with_a_refused_cookie_logs_one_line(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    client.cookies["_ga"] = "GA1.1"
    with caplog.at_level(logging.INFO):
        response = client.get("/echo/", headers={"host": "evil.invalid"})
    assert response.status_code == 400  # CommonMiddleware asked for the host
    disallowed = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert len(disallowed) == 1
    assert [m["domain"] for m in deletions(response, "_ga")] == [""]


def test_bad_host_that_nothing_else_asks_for_serves_the_page(
    client: Client, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "django.middleware.common.CommonMiddleware"
    ]
    client.cookies["_ga"] = "GA1.1"
    with caplog.at_level(logging.INFO):
        response = client.get("/echo/", headers={"host": "evil.invalid"})
    assert response.status_code == 200
    assert response.json()["cookies"] == {}
    assert [m["domain"] for m in deletions(response, "_ga")] == [""]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
