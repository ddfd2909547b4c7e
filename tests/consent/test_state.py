from __future__ import annotations

from datetime import datetime, timezone

import pytest
from django.test import Client, RequestFactory, override_settings

from cookie_consent.catalogue.snapshot import get_catalogue
from cookie_consent.consent import state as state_module
from cookie_consent.consent.cookie import Decision, encode
from cookie_consent.consent.state import ConsentState, Status, read_consent
from tests.factories import make_consent, make_consent_cookie
from tests.toolkit import url

pytestmark = pytest.mark.django_db

NOW = 1_800_000_000


def state(**decisions: Decision) -> ConsentState:
    return ConsentState("a" * 32 if decisions else None, decisions, get_catalogue(), NOW)


def revision(slug: str) -> str:
    category = get_catalogue().category(slug)
    assert category is not None
    return category.revision


def test_no_decision() -> None:
    consent = state()
    assert not consent.decided
    assert consent.needs_decision
    assert [c.slug for c in consent.pending] == ["statistics", "first_party", "third_party"]
    assert consent.changed == ()
    assert consent.granted("necessary")
    assert not consent.granted("statistics")
    assert not consent.granted("unknown")
    assert consent.last_decided_at() is None


def test_statuses() -> None:
    consent = state(
        statistics=Decision(True, revision("statistics"), NOW - 10),
        first_party=Decision(True, "old", NOW - 10),
        third_party=Decision(True, revision("third_party"), NOW - 182 * 86400),
    )
    catalogue = get_catalogue()
    by_slug = {c.slug: consent.status(c) for c in catalogue.categories}
    assert by_slug == {
        "necessary": Status.MISSING,
        "statistics": Status.CURRENT,
        "first_party": Status.STALE,
        "third_party": Status.EXPIRED,
    }
    assert consent.granted("statistics")
    assert not consent.granted("first_party")
    assert not consent.granted("third_party")
    assert [c.slug for c in consent.pending] == ["first_party", "third_party"]
    # Changed means the catalogue changed; an expired decision is simply asked again.
    assert [c.slug for c in consent.changed] == ["first_party"]
    assert consent.last_decided_at() == NOW - 10
    assert consent.granted_slugs == frozenset({"necessary", "statistics"})


def test_denied_decision_is_not_a_grant() -> None:
    consent = state(statistics=Decision(False, revision("statistics"), NOW))
    assert not consent.granted("statistics")


def test_choices_for_templates() -> None:
    consent = state(statistics=Decision(True, revision("statistics"), NOW))
    choices = {c.category.slug: c for c in consent.choices}
    assert choices["necessary"].always_on
    assert choices["necessary"].granted
    assert choices["necessary"].decided_at is None
    assert choices["statistics"].granted
    assert choices["statistics"].decided_at == datetime.fromtimestamp(NOW, timezone.utc)
    assert not choices["third_party"].granted
    assert choices["statistics"].status is Status.CURRENT


def test_the_statuses_keep_their_values() -> None:
    # The JSON API, the templates and the scripts read them.
    assert {status.name: status.value for status in Status} == {
        "MISSING": "missing",
        "STALE": "stale",
        "EXPIRED": "expired",
        "CURRENT": "current",
        "ALWAYS": "always",
    }
    assert all(getattr(state_module, status.name) is status for status in Status)


@override_settings(COOKIE_CONSENT_MAX_AGE=60)
def test_lifetime_is_a_setting() -> None:
    consent = state(statistics=Decision(True, revision("statistics"), NOW - 61))
    assert not consent.granted("statistics")


def test_read_consent_from_a_request(rf: RequestFactory) -> None:
    stored = make_consent(consent_id="b" * 32, granted={"statistics"})
    request = rf.get("/", headers={"Sec-GPC": "1"})
    request.COOKIES["cookies_preferences"] = encode(stored)
    consent = read_consent(request)
    assert consent.consent_id == "b" * 32
    assert consent.gpc
    assert consent.decisions == stored.decisions


@pytest.mark.parametrize("value", ["0", "true", " 1", "1 "])
def test_gpc_is_exactly_one(rf: RequestFactory, value: str) -> None:
    assert not read_consent(rf.get("/", headers={"Sec-GPC": value})).gpc


@pytest.mark.parametrize("view", ["page", "policy", "preferences", "api"])
def test_signed_cookie_from_the_far_future_is_no_decision_on_every_page(
    client: Client, view: str
) -> None:
    # Only a holder of the secret key can sign it; every page still answers, as if the
    # visitor had not decided (before, datetime.fromtimestamp overflowed: a 500).
    client.cookies["cookies_preferences"] = make_consent_cookie(
        granted={"statistics"}, decided_at=999_999_999_999
    )
    response = client.get("/page/" if view == "page" else url(view))
    assert response.status_code == 200
    if view == "api":
        assert response.json()["consent_id"] is None
    else:
        assert "cc-banner" in response.text or view != "page"
