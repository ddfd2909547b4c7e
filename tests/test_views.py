from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from cookie_consent.consent.state import ConsentState
from cookie_consent.signals import consent_changed
from tests.toolkit import decide, decide_by_api, url

pytestmark = pytest.mark.django_db


def test_update_answers_json_when_asked(client: Client) -> None:
    response = decide(
        client, "save", ["statistics"], status=200, headers={"Accept": "application/json"}
    )
    body = response.json()
    assert body["decided"] is True
    assert body["needs_decision"] is False
    granted = {c["slug"]: c["granted"] for c in body["categories"]}
    assert granted["statistics"] is True
    assert granted["third_party"] is False
    assert "cookies_preferences" in response.cookies
    assert "Cookie" in response["Vary"]


def test_api_get_before_any_decision(client: Client) -> None:
    body = client.get(url("api")).json()
    assert body["consent_id"] is None
    assert body["decided"] is False
    assert body["gpc"] is False
    necessary = body["categories"][0]
    assert necessary["slug"] == "necessary"
    assert necessary["required"] is True
    assert necessary["granted"] is True
    assert necessary["status"] == "always"
    assert {"name": "sessionid"}.items() <= necessary["cookies"][-1].items()
    statistics = body["categories"][1]
    assert (statistics["granted"], statistics["status"]) == (False, "missing")


@pytest.mark.parametrize(
    ("body", "granted"),
    [
        ({"action": "accept_all"}, {"statistics", "first_party", "third_party"}),
        ({"action": "reject_all"}, set()),
        ({"action": "save", "categories": ["third_party", "necessary"]}, {"third_party"}),
        (
            {"action": "save", "categories": {"statistics": True, "first_party": False}},
            {"statistics"},
        ),
        ({"action": "save"}, set()),
    ],
)
def test_api_post_stores_a_decision(
    client: Client, body: dict[str, Any], granted: set[str]
) -> None:
    response = client.post(url("api"), body, content_type="application/json")
    assert response.status_code == 200
    state = response.json()
    assert {
        c["slug"] for c in state["categories"] if c["granted"] and not c["required"]
    } == granted
    assert client.get(url("api")).json()["consent_id"] == state["consent_id"]


def test_api_refuses_categories_with_another_action(client: Client) -> None:
    response = decide_by_api(client, "accept_all", ["statistics"], status=400)
    assert response.json() == {"error": "“categories” goes with the action “save” only."}


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"action": "maybe"},
        {"action": "save", "categories": "statistics"},
        {"action": "save", "categories": [1]},
    ],
)
def test_api_shape_errors(client: Client, body: Any) -> None:
    response = client.post(url("api"), body, content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.json()
    assert "cookies_preferences" not in response.cookies


def test_signal_carries_old_and_new_state(client: Client) -> None:
    received: list[dict[str, Any]] = []

    def receiver(sender: type, **kwargs: Any) -> None:
        received.append({"sender": sender, **kwargs})

    consent_changed.connect(receiver)
    try:
        decide(client, "accept_all")
        decide(client, "reject_all")
    finally:
        consent_changed.disconnect(receiver)
    assert len(received) == 2
    first, second = received
    assert first["sender"] is ConsentState
    assert not first["old"].decided
    assert first["new"].granted("statistics")
    assert second["old"].granted("statistics")
    assert not second["new"].granted("statistics")
    assert second["new"].consent_id == first["new"].consent_id
    assert first["request"].path == url("update")


def test_bad_form_shows_a_readable_page(client: Client) -> None:
    response = decide(client, "maybe", status=400)
    assert "Your cookie choice was not saved" in response.text
    assert "action: Select a valid choice. maybe is not one of the available choices." in (
        response.text
    )


def test_policy_page(client: Client) -> None:
    response = client.get(url("policy"))
    assert response.status_code == 200
    assert "What cookies are used on the http://testserver platform" in response.text
    assert "You have not made a choice yet" in response.text
    assert "Cookie" in response["Vary"]
    assert "no-cache" in response["Cache-Control"]
    assert client.head(url("policy")).status_code == 200


def test_preferences_form_posts_the_records_vocabulary(client: Client) -> None:
    from cookie_consent.models import ConsentRecord

    text = client.get(url("preferences")).text
    for action in ConsentRecord.Action:
        assert f'name="action" value="{action.value}"' in text
    assert f'name="method" value="{ConsentRecord.Method.PREFERENCES.value}"' in text


def test_policy_shows_the_date_of_each_decision(client: Client) -> None:
    decide(client, "reject_all")
    assert "Statistical cookies: refused (decided on" in client.get(url("policy")).text


def test_consent_cookie_attributes(client: Client, settings: Any) -> None:
    settings.COOKIE_CONSENT_COOKIE_DOMAIN = ".testserver.local"
    settings.COOKIE_CONSENT_COOKIE_SAMESITE = "Strict"
    response = decide(client, "reject_all")
    morsel = response.cookies["cookies_preferences"]
    assert morsel["domain"] == ".testserver.local"
    assert morsel["samesite"] == "Strict"
    assert morsel["path"] == "/"
    assert not morsel["httponly"]
    assert not morsel["secure"]
    secure = decide(client, "reject_all", secure=True)
    assert secure.cookies["cookies_preferences"]["secure"]
    settings.COOKIE_CONSENT_COOKIE_SECURE = False
    forced = decide(client, "reject_all", secure=True)
    assert not forced.cookies["cookies_preferences"]["secure"]


def test_consent_views_vary_on_gpc_without_the_middleware(settings: Any) -> None:
    from django.test import RequestFactory

    from cookie_consent import views

    response = views.api(RequestFactory().get(url("api")))
    assert response["Vary"] == "Cookie, Sec-GPC"
    settings.COOKIE_CONSENT_HONOR_GPC = False
    assert views.api(RequestFactory().get(url("api")))["Vary"] == "Cookie"
