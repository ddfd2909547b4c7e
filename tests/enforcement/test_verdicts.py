"""No refused or undeclared cookie crosses the server, in either direction."""

from __future__ import annotations

import json
from http.cookies import Morsel

import pytest
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.test import AsyncClient, Client, RequestFactory, override_settings
from django.urls import reverse

from cookie_consent.enforcement import undeclared
from cookie_consent.middleware import CookieConsentMiddleware
from cookie_consent.models import Cookie, CookieCategory, UndeclaredCookie
from tests.factories import make_consent_cookie, make_cookie
from tests.toolkit import decide

pytestmark = pytest.mark.django_db

SENT = {
    "csrftoken": "t" * 32,
    "_ga": "GA1.1.1.1",
    "_ga_ABC123": "GS1.1",
    "_tp": "1",
    "_unknown": "1",
}
CATEGORY_OF = {"_ga": "statistics", "_ga_ABC123": "statistics", "_tp": "third_party"}

# What each consent state grants.
STATES = {
    "none": set(),
    "accept_all": {"statistics", "first_party", "third_party"},
    "reject_all": set(),
    "statistics_only": {"statistics"},
}
# How a visitor reaches each decided state through the update form: action, categories.
DECISIONS = {
    "accept_all": ("accept_all", ()),
    "reject_all": ("reject_all", ()),
    "statistics_only": ("save", ("statistics",)),
}
# kind of Set-Cookie -> (cookie name, its category; None: undeclared)
KINDS = {
    "view": ("_ga", "statistics"),
    "middleware": ("_ga", "statistics"),
    "signed": ("_ga", "statistics"),
    "httponly": ("_ga", "statistics"),
    "domain": ("_ga", "statistics"),
    "pattern": ("_ga_ABC123", "statistics"),
    "third_party": ("_tp", "third_party"),
    "undeclared": ("_unknown", None),
}


@pytest.fixture(autouse=True)
def analytics_catalogue() -> None:
    statistics = CookieCategory.objects.get(slug="statistics")
    make_cookie(category=statistics, name="_ga", domain="")
    make_cookie(category=statistics, name="_ga", domain=".example.com")
    make_cookie(category=statistics, name="_ga_*")
    make_cookie(category=CookieCategory.objects.get(slug="third_party"), name="_tp")


def with_raw_header(header: str) -> HttpResponseBase:
    """The response of a view that writes ``header`` as its ``Set-Cookie`` by hand."""

    def view(request: HttpRequest) -> HttpResponse:
        response = HttpResponse()
        response.headers["Set-Cookie"] = header
        return response

    return CookieConsentMiddleware(view)(RequestFactory().get("/"))  # type: ignore[no-any-return]


def send(client: Client | AsyncClient) -> None:
    for name, value in SENT.items():
        client.cookies[name] = value


def set_cookies(response_cookies: object) -> dict[str, list[Morsel[str]]]:
    by_name: dict[str, list[Morsel[str]]] = {}
    for morsel in response_cookies.values():  # type: ignore[attr-defined]
        by_name.setdefault(morsel.key, []).append(morsel)
    return by_name


def expected_seen(granted: set[str]) -> list[str]:
    allowed = {name for name, category in CATEGORY_OF.items() if category in granted}
    return sorted({"csrftoken", "cookies_preferences"} | allowed)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("kind", KINDS)
def test_matrix_sync(client: Client, state: str, kind: str) -> None:
    if state in DECISIONS:
        decide(client, *DECISIONS[state])
    send(client)
    response = client.get(f"/echo/?kind={kind}")
    check(state, kind, json.loads(response.content), set_cookies(response.cookies))


@pytest.mark.usefixtures("shared_snapshot")
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("kind", KINDS)
async def test_matrix_async(
    async_client: AsyncClient, state: str, kind: str, decided_cookie: str | None
) -> None:
    if decided_cookie is not None:
        async_client.cookies["cookies_preferences"] = decided_cookie
    send(async_client)
    response = await async_client.get(f"/async-echo/?kind={kind}")
    check(state, kind, json.loads(response.content), set_cookies(response.cookies))


@pytest.fixture
def decided_cookie(request: pytest.FixtureRequest) -> str | None:
    """The consent cookie of the test's ``state``, from the factory.

    A sync fixture: it reads the catalogue in the test's thread, where the test's rows are.
    """
    state = request.node.callspec.params["state"]
    return make_consent_cookie(granted=STATES[state]) if state in DECISIONS else None


def check(state: str, kind: str, seen: list[str], headers: dict[str, list[Morsel[str]]]) -> None:
    granted = STATES[state]
    if state == "none":
        assert seen == [n for n in expected_seen(granted) if n != "cookies_preferences"]
    else:
        assert seen == expected_seen(granted)
    name, category = KINDS[kind]
    setting = [m for m in headers.get(name, []) if m.value]
    deletions = [m for m in headers.get(name, []) if not m.value]
    if category is not None and category in granted:
        assert len(setting) == 1, f"{name} should be set"
        assert not deletions
    else:
        assert not setting, f"{name} must not leave the server"
    # Every refused cookie the browser sent is expired, whatever the view did.
    for sent, sent_category in [*CATEGORY_OF.items(), ("_unknown", None)]:
        morsels = headers.get(sent, [])
        if sent_category in granted:
            assert not [m for m in morsels if not m.value]
        else:
            assert morsels, f"{sent} should be expired"
            assert all(m["max-age"] == "0" and not m.value for m in morsels)


def test_refused_cookies_are_expired_on_every_variant(client: Client) -> None:
    decide(client, "reject_all")
    client.cookies["_ga"] = "GA1.1.1.1"
    client.cookies["_ga_ABC123"] = "GS1.1"
    response = client.get("/echo/", headers={"host": "www.shop.example.com"})
    assert json.loads(response.content) == ["cookies_preferences"]
    variants = {
        name: sorted((m["domain"], m["path"]) for m in morsels)
        for name, morsels in set_cookies(response.cookies).items()
    }
    assert variants == {
        "_ga": [
            ("", "/"),
            (".example.com", "/"),
            (".shop.example.com", "/"),
            (".www.shop.example.com", "/"),
        ],
        "_ga_ABC123": [
            ("", "/"),
            (".shop.example.com", "/"),
            (".www.shop.example.com", "/"),
        ],
    }
    assert response["Vary"] == "Cookie, Sec-GPC"


def test_set_cookie_headers_as_the_handler_writes_them(client: Client) -> None:
    decide(client, "reject_all")
    client.cookies["_ga"] = "1"
    response = client.get("/echo/", secure=True)
    headers = [m.OutputString() for m in response.cookies.values() if m.key == "_ga"]
    assert headers == [
        '_ga=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; Secure',
        '_ga=""; Domain=.example.com; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; '
        "Path=/; Secure",
    ]


def test_withdrawal_expires_what_was_granted(client: Client) -> None:
    decide(client, "accept_all")
    client.cookies["_ga"] = "GA1.1.1.1"
    response = decide(client, "reject_all")
    assert [m["max-age"] for m in set_cookies(response.cookies)["_ga"]] == ["0", "0"]


def test_view_never_sees_refused_cookies_nor_in_the_raw_header(client: Client) -> None:
    decide(client, "reject_all")
    send(client)
    header = client.get("/raw-cookie-header/").text
    names = sorted(part.split("=")[0].strip() for part in header.split(";"))
    assert names == ["cookies_preferences", "csrftoken"]


def test_deletion_always_passes(client: Client) -> None:
    response = client.get("/echo/?kind=delete")
    assert set_cookies(response.cookies)["_ga"][0]["max-age"] == 0


def test_raw_set_cookie_header(client: Client) -> None:
    response = client.get("/echo/?kind=raw")
    assert not response.has_header("Set-Cookie")
    decide(client, "accept_all")
    response = client.get("/echo/?kind=raw")
    assert response["Set-Cookie"] == "_ga=GA1.1; Path=/"


@pytest.mark.parametrize(
    "header",
    ["_ga=; Max-Age=0", "_ga=1; expires=Thu, 01 Jan 1970 00:00:00 GMT", "csrftoken=x"],
)
def test_raw_deletions_and_essentials_pass(header: str) -> None:
    response = with_raw_header(header)
    assert response["Set-Cookie"] == header


@pytest.mark.parametrize("header", ["not a cookie", '=x"; Path=/', "a b=1"])
def test_unreadable_raw_header_is_dropped(header: str) -> None:
    response = with_raw_header(header)
    assert not response.has_header("Set-Cookie")


def test_necessary_cookies_always_pass(client: Client) -> None:
    decide(client, "reject_all")
    client.cookies["sessionid"] = "s"
    client.cookies["messages"] = "m"
    client.cookies["django_language"] = "fr"
    seen = json.loads(client.get("/echo/").content)
    assert seen == ["cookies_preferences", "django_language", "messages", "sessionid"]


def test_essential_cookies_survive_a_catalogue_that_forgot_them(client: Client) -> None:
    Cookie.objects.filter(category__slug="necessary").delete()
    client.cookies["sessionid"] = "s"
    assert json.loads(client.get("/echo/").content) == ["sessionid"]


def test_login_works_for_a_visitor_who_rejected_everything(client: Client) -> None:
    from django.contrib.auth.models import User

    User.objects.create_superuser("admin", "a@example.com", "pw")
    decide(client, "reject_all")
    login = f"{reverse('admin:login')}?next={reverse('admin:index')}"
    response = client.post(login, {"username": "admin", "password": "pw"})
    assert response.status_code == 302
    assert "sessionid" in response.cookies
    assert client.get(reverse("admin:index")).status_code == 200


@override_settings(COOKIE_CONSENT_UNDECLARED="report")
def test_report_lets_undeclared_through_and_records_them(client: Client) -> None:
    client.cookies["_unknown"] = "1"
    response = client.get("/echo/?kind=undeclared")
    assert json.loads(response.content) == ["_unknown"]
    assert response.cookies["_unknown"].value == "1"
    assert ("_unknown", "request") in undeclared.pending_names()
    assert ("_unknown", "response") in undeclared.pending_names()


@override_settings(COOKIE_CONSENT_UNDECLARED="allow")
def test_allow_lets_undeclared_through_unrecorded(client: Client) -> None:
    client.cookies["_unknown"] = "1"
    assert json.loads(client.get("/echo/?kind=undeclared").content) == ["_unknown"]
    assert ("_unknown", "request") not in undeclared.pending_names()


@override_settings(COOKIE_CONSENT_EXEMPT_PATHS=["/api/"])
def test_exempt_path_prefix(client: Client) -> None:
    send(client)
    response = client.get("/api/echo/?kind=undeclared")
    assert json.loads(response.content) == sorted(SENT)
    assert response.cookies["_unknown"].value == "1"
    assert "_ga" not in response.cookies


def test_exempt_view(client: Client) -> None:
    send(client)
    response = client.get("/exempt/?kind=view")
    assert json.loads(response.content) == sorted(SENT)
    assert [m.value for m in set_cookies(response.cookies)["_ga"]] == ["GA1.1"]


@pytest.mark.usefixtures("shared_snapshot")
async def test_exempt_async_view(async_client: AsyncClient) -> None:
    send(async_client)
    response = await async_client.get("/async-exempt/?kind=pattern")
    assert json.loads(response.content) == sorted(SENT)
    assert response.cookies["_ga_ABC123"].value == "GS1.1"


def test_not_found_is_enforced(client: Client) -> None:
    client.cookies["_ga"] = "1"
    response = client.get("/nowhere/")
    assert response.status_code == 404
    assert response.cookies["_ga"]["max-age"] == "0"


def test_name_that_is_no_cookie_token_is_stripped_not_expired(client: Client) -> None:
    seen = {}

    def view(request: object) -> object:
        from django.http import HttpResponse

        seen.update(request.COOKIES)  # type: ignore[attr-defined]
        return HttpResponse()

    request = RequestFactory().get("/", HTTP_COOKIE="we ird=1; _ga=2")
    response = CookieConsentMiddleware(view)(request)
    assert seen == {}
    assert set(response.cookies) == {"_ga"}


def test_undeclared_sightings_are_written_and_logged_once(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    client.cookies["_unknown"] = "1"
    for _ in range(3):
        client.get("/echo/?kind=undeclared", headers={"host": "testserver"})
    assert undeclared.flush() == 2
    row = UndeclaredCookie.objects.get(name="_unknown", direction="request")
    assert (row.count, row.example_path) == (3, "/echo/")
    client.get("/echo/")
    undeclared.flush()
    row.refresh_from_db()
    assert row.count == 4
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 2
    assert "Undeclared cookie '_unknown' sent by the browser (e.g. /echo/)" in warnings[0].message
    assert "Declare it in a category" in warnings[0].message


def test_steady_state_makes_no_query(client: Client, django_assert_num_queries: object) -> None:
    decide(client, "reject_all")
    send(client)
    client.get("/echo/?kind=view")
    for name in ("_x1", "_x2", "_x3"):
        client.cookies[name] = "1"
    with django_assert_num_queries(0):  # type: ignore[operator]
        for _ in range(5):
            client.get("/echo/?kind=undeclared")


@pytest.mark.parametrize(
    ("header", "leaves"),
    [
        ("a{=1", False),  # http.cookies refuses the name
        ("_ga=1; Max-Age=abc", False),  # an unreadable Max-Age is no deletion
        ("_ga=1; expires=soon", False),
        ("_ga=1; Max-Age=-5", True),
        ("_ga=1, csrftoken=2", False),  # one refused name is enough to drop the header
    ],
)
def test_raw_header_edge_cases(header: str, leaves: bool) -> None:
    response = with_raw_header(header)
    assert response.has_header("Set-Cookie") is leaves


@pytest.mark.parametrize(
    ("host", "domains"),
    [
        ("localhost", []),
        ("127.0.0.1:8000", []),
        ("[::1]:8000", []),
        ("example.com", [".example.com"]),
        ("example.com:8443", [".example.com"]),
        ("shop.example.com", [".shop.example.com", ".example.com"]),
        # The www-less domain is the parent: listed once.
        ("www.example.com", [".www.example.com", ".example.com"]),
    ],
)
def test_host_domains(host: str, domains: list[str]) -> None:
    from cookie_consent.enforcement.expiry import host_domains

    assert host_domains(host) == domains


def test_variant_cookies_yield_every_morsel_once(client: Client) -> None:
    decide(client, "reject_all")
    client.cookies["_ga"] = "1"
    client.cookies["_tp"] = "1"
    response = client.get("/echo/", headers={"host": "shop.example.com"})
    keys = [m.key for m in response.cookies.values()]
    assert keys.count("_ga") == 3  # host-only, .shop.example.com, .example.com
    assert keys.count("_tp") == 3
    # The test client keeps one morsel per name: the host-only deletion.
    assert client.cookies["_ga"]["max-age"] == "0"


@pytest.mark.parametrize(
    ("url", "body"), [("/streaming/", b"chunk-1;chunk-2"), ("/file/", b"file body")]
)
def test_streaming_and_file_responses_keep_their_body(
    client: Client, url: str, body: bytes
) -> None:
    client.cookies["_ga"] = "GA1.1"
    response = client.get(url)
    assert b"".join(response.streaming_content) == body  # type: ignore[attr-defined]
    assert [m.value for m in set_cookies(response.cookies)["_ga"]] == ["", ""]
    decide(client, "accept_all")
    response = client.get(url)
    assert b"".join(response.streaming_content) == body  # type: ignore[attr-defined]
    assert [m.value for m in set_cookies(response.cookies)["_ga"]] == ["GA1.1"]


def test_request_headers_show_no_refused_cookie(client: Client) -> None:
    seen: dict[str, str] = {}

    def view(request: HttpRequest) -> HttpResponse:
        seen["header"] = request.headers["Cookie"]
        return HttpResponse()

    request = RequestFactory().get("/", HTTP_COOKIE="_ga=1; novalue; csrftoken=x")
    # Something read the headers before the middleware ran: that copy must not survive.
    assert "_ga=1" in request.headers["Cookie"]
    CookieConsentMiddleware(view)(request)
    assert seen["header"] == "csrftoken=x"


@override_settings(COOKIE_CONSENT_EXEMPT_PATHS=["/api/"])
def test_exempt_requests_record_nothing(client: Client) -> None:
    client.cookies["_unknown"] = "1"
    response = client.get("/api/echo/")
    assert undeclared.pending_names() == set()
    assert "Vary" not in response


def test_no_url_resolution_while_no_view_is_exempt(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cookie_consent.enforcement import exemption, inbound

    monkeypatch.setattr(exemption, "exempt_views", set())
    monkeypatch.setattr(inbound, "exempt_views", set())
    monkeypatch.setattr(exemption, "resolve", None)  # would fail if called
    client.cookies["_ga"] = "1"
    assert json.loads(client.get("/exempt/").content) == []


def test_a_second_consent_cookie_hidden_after_a_comma_is_no_decision(client: Client) -> None:
    # Which of the two the browser meant cannot be told: neither grants (fail safe).
    decide(client, "accept_all")
    granted = client.cookies["cookies_preferences"].value
    header = f"cookies_preferences={granted}; _tp=1,cookies_preferences={granted}x"
    response = client.get("/echo/", HTTP_COOKIE=header)
    assert "_tp" not in json.loads(response.content)
    plain = client.get("/echo/", HTTP_COOKIE=f"cookies_preferences={granted}; _tp=1")
    assert "_tp" in json.loads(plain.content)
