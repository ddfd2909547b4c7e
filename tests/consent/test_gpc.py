"""Global Privacy Control: Sec-GPC: 1 refuses the categories it covers, before any HTML."""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings

from cookie_consent.models import CookieCategory
from tests.factories import make_cookie
from tests.toolkit import decide, url

pytestmark = pytest.mark.django_db

GPC = {"Sec-GPC": "1"}


@pytest.fixture(autouse=True)
def analytics() -> None:
    make_cookie(category=CookieCategory.objects.get(slug="statistics"), name="_ga")


def granted(client: Client, headers: dict[str, str] | None = None) -> dict[str, bool]:
    body = client.get(url("api"), headers=headers).json()
    return {c["slug"]: c["granted"] for c in body["categories"]}


def test_signal_refuses_without_a_cookie_and_shows_a_notice(client: Client) -> None:
    client.cookies["_ga"] = "1"
    response = client.get("/echo/?kind=view", headers=GPC)
    assert json.loads(response.content) == []
    assert [m.value for m in response.cookies.values() if m.key == "_ga"] == [""]
    assert "cookies_preferences" not in response.cookies
    page = client.get("/page/", headers=GPC).text
    assert 'id="cc-banner"' not in page
    assert 'id="cc-gpc-notice"' in page
    assert "Your browser sends the Global Privacy Control signal" in page
    assert "Statistical cookies, Internal or first-party cookies, Third-party cookies." in page
    assert client.get(url("api"), headers=GPC).json()["gpc"] is True


@pytest.mark.parametrize("value", ["0", "true", "1 ", ""])
def test_only_exactly_one_is_a_signal(client: Client, value: str) -> None:
    page = client.get("/page/", headers={"Sec-GPC": value}).text
    assert 'id="cc-banner"' in page
    assert client.get(url("api"), headers={"Sec-GPC": value}).json()["gpc"] is False


@pytest.mark.parametrize("value", ["1, 1", "1,1", "1 ,1, 1"])
def test_a_signal_sent_twice_is_the_signal(client: Client, value: str) -> None:
    # Proxies and servers join repeated headers with commas.
    page = client.get("/page/", headers={"Sec-GPC": value}).text
    assert 'id="cc-banner"' not in page
    assert 'id="cc-gpc-notice"' in page
    assert client.get(url("api"), headers={"Sec-GPC": value}).json()["gpc"] is True


@pytest.mark.parametrize("value", ["1, 0", "0, 1", "1,", ",1", "1, true"])
def test_a_joined_header_with_another_value_is_no_signal(client: Client, value: str) -> None:
    assert client.get(url("api"), headers={"Sec-GPC": value}).json()["gpc"] is False


def test_an_earlier_grant_yields_to_the_signal(client: Client) -> None:
    decide(client, "accept_all")
    assert granted(client)["statistics"]
    assert not granted(client, headers=GPC)["statistics"]
    client.cookies["_ga"] = "1"
    assert json.loads(client.get("/echo/", headers=GPC).content) == ["cookies_preferences"]


def test_a_grant_made_under_the_signal_stands(client: Client) -> None:
    decide(client, "save", ["statistics"], method="preferences", headers=GPC)
    assert granted(client, headers=GPC) == {
        "necessary": True,
        "statistics": True,
        "first_party": False,
        "third_party": False,
    }
    page = client.get("/page/", headers=GPC).text
    assert "cc-gpc-notice" not in page
    assert "cc-banner" not in page
    assert '<script src="/static/analytics.js"></script>' in page
    from cookie_consent.models import ConsentRecord

    assert ConsentRecord.objects.get().gpc


def test_banner_asks_only_what_the_signal_does_not_cover(client: Client) -> None:
    CookieCategory.objects.filter(slug="first_party").update(honors_gpc=False)
    page = client.get("/page/", headers=GPC).text
    assert 'id="cc-banner"' in page
    assert 'value="first_party"' in page
    assert 'value="statistics"' not in page
    # Accept all in that banner accepts what it asked; the signal keeps the rest refused.
    decide(client, "accept_all", method="banner", headers=GPC)
    assert granted(client, headers=GPC) == {
        "necessary": True,
        "statistics": False,
        "first_party": True,
        "third_party": False,
    }


@override_settings(COOKIE_CONSENT_HONOR_GPC=False)
def test_signal_ignored_when_the_site_says_so(client: Client) -> None:
    page = client.get("/page/", headers=GPC).text
    assert 'id="cc-banner"' in page
    assert client.get(url("api"), headers=GPC).json()["gpc"] is False
    assert client.get("/.well-known/gpc.json").json()["gpc"] is False
    assert client.get("/page/")["Vary"] == "Cookie"


def test_responses_vary_on_the_signal(client: Client) -> None:
    assert client.get("/page/")["Vary"] == "Cookie, Sec-GPC"


def test_gpc_support_resource(client: Client, settings: object) -> None:
    response = client.get("/.well-known/gpc.json")
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"gpc": True, "lastUpdate": "2026-11-29"}
    with override_settings(COOKIE_CONSENT_GPC_LAST_UPDATE="2027-01-15"):
        assert client.get("/.well-known/gpc.json").json()["lastUpdate"] == "2027-01-15"
