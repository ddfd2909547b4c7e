"""A visitor's way through the banner, without JavaScript: what the test client sees."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client

from cookie_consent.conf import DEFAULT_MAX_AGE
from cookie_consent.models import CookieCategory
from tests.factories import make_cookie
from tests.toolkit import decide, url

pytestmark = pytest.mark.django_db

GATED = '<script src="/static/analytics.js"></script>'
INERT = f'<template class="cc-gate" data-cc-category="statistics">{GATED}</template>'


def banner(client: Client, path: str = "/page/") -> str | None:
    """The banner's HTML on ``path``, or None when there is none."""
    text = client.get(path).text
    start = text.find('<section class="cc-banner"')
    return None if start == -1 else text[start : text.index("</section>", start)]


def choose(client: Client, action: str, *categories: str, method: str = "banner") -> None:
    """A choice made in the banner on /page/, which takes the visitor back there."""
    response = decide(client, action, categories, method=method, next="/page/")
    assert response["Location"] == "/page/"


def granted_by_api(client: Client) -> set[str]:
    """The slugs the JSON API says are granted."""
    return {c["slug"] for c in client.get(url("api")).json()["categories"] if c["granted"]}


def test_new_visitor_sees_the_banner_on_every_page_until_a_choice(client: Client) -> None:
    for path in ("/page/", "/async-page/", "/page/?again=1"):
        shown = banner(client, path)
        assert shown is not None
        assert 'value="accept_all"' in shown
        assert 'value="reject_all"' in shown
    page = client.get("/page/").text
    assert INERT in page
    assert 'id="third-party-on"' not in page


def test_accept_and_reject_have_equal_weight(client: Client) -> None:
    shown = banner(client)
    assert shown is not None
    assert '<button class="cc-button" type="submit" name="action" value="accept_all">' in shown
    assert '<button class="cc-button" type="submit" name="action" value="reject_all">' in shown


def test_no_box_is_ticked_before_a_choice(client: Client) -> None:
    shown = banner(client)
    assert shown is not None
    assert "checked" not in shown
    preferences = client.get(url("preferences")).text
    assert "checked" not in preferences


def test_reject_all(client: Client) -> None:
    choose(client, "reject_all")
    assert banner(client) is None
    page = client.get("/page/").text
    assert INERT in page
    assert 'id="third-party-on"' not in page
    policy = client.get(url("policy")).text
    consent_id = client.get(url("api")).json()["consent_id"]
    assert len(consent_id) == 32
    assert f"<code>{consent_id}</code>" in policy
    assert "Statistical cookies: refused" in policy
    assert "Third-party cookies: refused" in policy
    assert "Necessary cookies: always on" in policy


def test_accept_all(client: Client) -> None:
    choose(client, "accept_all")
    assert banner(client) is None
    page = client.get("/page/").text
    assert GATED in page
    assert INERT not in page
    assert 'id="third-party-on"' in page
    assert "Statistical cookies: allowed" in client.get(url("policy")).text


def test_choose_in_the_banner(client: Client) -> None:
    choose(client, "save", "statistics")
    page = client.get("/page/").text
    assert GATED in page
    assert INERT not in page
    assert 'id="third-party-on"' not in page
    assert granted_by_api(client) == {"necessary", "statistics"}


def test_change_of_mind_keeps_the_consent_id(client: Client) -> None:
    choose(client, "accept_all")
    first = client.get(url("api")).json()["consent_id"]
    choose(client, "reject_all", method="preferences")
    assert client.get(url("api")).json()["consent_id"] == first
    assert INERT in client.get("/page/").text


def test_preferences_show_the_current_choice(client: Client) -> None:
    choose(client, "save", "third_party")
    text = client.get(url("preferences")).text
    assert 'value="third_party" id="cc-pref-third_party" checked' in text
    assert 'value="statistics" id="cc-pref-statistics">' in text
    assert "Always on" in text
    assert "<code>sessionid</code>" in text


def test_catalogue_change_asks_only_the_changed_category(client: Client) -> None:
    choose(client, "save", "third_party")
    make_cookie(category=CookieCategory.objects.get(slug="statistics"), name="_ga")
    shown = banner(client)
    assert shown is not None
    assert "Our use of cookies has changed since your last choice." in shown
    assert "this category: Statistical cookies." in shown
    assert 'value="statistics"' in shown
    assert 'value="third_party"' not in shown
    # "Accept all" in that banner applies to what it asked; the rest keeps its decision.
    choose(client, "accept_all")
    assert banner(client) is None
    assert granted_by_api(client) == {"necessary", "statistics", "third_party"}


def test_reject_in_a_reconsent_banner_keeps_other_grants(client: Client) -> None:
    choose(client, "accept_all")
    make_cookie(category=CookieCategory.objects.get(slug="first_party"), name="_prefs")
    choose(client, "reject_all")
    assert granted_by_api(client) == {"necessary", "statistics", "third_party"}


def test_consent_expires_after_its_lifetime(client: Client) -> None:
    with time_machine.travel("2026-01-01 12:00", tick=False) as traveller:
        choose(client, "reject_all")
        traveller.shift(DEFAULT_MAX_AGE - 60)
        assert banner(client) is None
        traveller.shift(120)
        assert banner(client) is not None


def test_refusal_is_remembered_as_long_as_acceptance(client: Client) -> None:
    decide(client, "reject_all")
    refusal = client.cookies["cookies_preferences"]
    decide(client, "accept_all")
    acceptance = client.cookies["cookies_preferences"]
    assert refusal["max-age"] == acceptance["max-age"] == DEFAULT_MAX_AGE


def test_new_category_is_asked_alone(client: Client) -> None:
    choose(client, "reject_all")
    CookieCategory.objects.create(slug="marketing", name="Marketing", order=40)
    shown = banner(client)
    assert shown is not None
    assert 'value="marketing"' in shown
    assert 'value="statistics"' not in shown
