from __future__ import annotations

import pytest
from asgiref.sync import iscoroutinefunction
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client, RequestFactory

from cookie_consent.catalogue import snapshot as catalogue
from cookie_consent.consent.state import ConsentState, consent_was_read
from cookie_consent.middleware import CookieConsentMiddleware
from tests.toolkit import url

pytestmark = pytest.mark.django_db


def test_sync_and_async_capable() -> None:
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    async def async_view(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    assert not iscoroutinefunction(CookieConsentMiddleware(view))
    assert iscoroutinefunction(CookieConsentMiddleware(async_view))


def test_attaches_the_consent_lazily(rf: RequestFactory) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        assert request.cookie_consent is not None  # type: ignore[attr-defined]
        return HttpResponse("no consent read")

    request = rf.get("/")
    response = CookieConsentMiddleware(view)(request)
    # Never read: the cookie was not even verified, and nothing varies on it.
    assert not consent_was_read(request)
    assert not response.has_header("Vary")


def test_request_attribute_follows_a_decision_made_in_the_request(rf: RequestFactory) -> None:
    from cookie_consent.consent import cookie as consent_cookie
    from cookie_consent.consent.store import store

    def view(request: HttpRequest) -> HttpResponse:
        consent = request.cookie_consent  # type: ignore[attr-defined]
        assert not consent.decided
        response = HttpResponse()
        store(
            request,
            response,
            consent_cookie.StoredConsent("c" * 32, {}),
            action="reject_all",
            method="api",
        )
        assert consent.decided
        assert consent.consent_id == "c" * 32
        return response

    CookieConsentMiddleware(view)(rf.get("/"))


def test_reading_the_consent_adds_vary_cookie(rf: RequestFactory) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        granted = request.cookie_consent.granted("statistics")  # type: ignore[attr-defined]
        return HttpResponse(str(granted))

    response = CookieConsentMiddleware(view)(rf.get("/"))
    assert response.content == b"False"
    assert response["Vary"] == "Cookie, Sec-GPC"


async def test_async_path(rf: RequestFactory) -> None:
    async def view(request: HttpRequest) -> HttpResponse:
        consent = request.cookie_consent  # type: ignore[attr-defined]
        return HttpResponse(str(consent.needs_decision))

    middleware = CookieConsentMiddleware(view)
    response = await middleware(rf.get("/"))
    assert response.content == b"True"
    assert response["Vary"] == "Cookie, Sec-GPC"


def test_pages_with_the_banner_vary_on_cookie(client: Client) -> None:
    response = client.get("/page/")
    assert "Cookie" in response["Vary"]


async def test_async_view_under_the_async_client(async_client: AsyncClient) -> None:
    response = await async_client.get("/async-page/")
    assert b'id="cc-banner"' in response.content
    assert "Cookie" in response["Vary"]


def test_get_consent_without_the_middleware(rf: RequestFactory) -> None:
    from cookie_consent import get_consent

    request = rf.get("/")
    consent = get_consent(request)
    assert isinstance(consent, ConsentState)
    assert get_consent(request) is consent
    assert not consent.decided


async def test_async_path_with_a_fresh_snapshot_reads_nothing(rf: RequestFactory) -> None:
    async def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse(str(request.cookie_consent.decided))  # type: ignore[attr-defined]

    middleware = CookieConsentMiddleware(view)
    await middleware(rf.get("/"))
    # Second request: the snapshot is fresh, nothing is refreshed before the view.
    response = await middleware(rf.get("/"))
    assert response.content == b"False"


@pytest.mark.parametrize(
    ("content_type", "accept", "json"),
    [
        ("application/x-www-form-urlencoded", "*/*", False),
        ("application/x-www-form-urlencoded", "application/json", True),
        # A JSON body with no Accept: the decision views answer it in JSON, so does the 503.
        ("application/json", None, True),
    ],
)
def test_an_outage_answers_in_json_when_the_views_would(
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
    content_type: str,
    accept: str | None,
    json: bool,
) -> None:
    def database_down() -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(catalogue, "load_categories", database_down)
    headers = {"Accept": accept} if accept else {}
    body = "action=reject_all"
    response = client.post(url("api"), body, content_type=content_type, headers=headers)
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json") is json
