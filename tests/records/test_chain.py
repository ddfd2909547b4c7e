"""Every stored decision leaves exactly one record; a failed write stores nothing."""

from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import sys
import uuid
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError
from django.test import Client, override_settings

from cookie_consent.consent import cookie as consent_cookie
from cookie_consent.models import ConsentRecord, CookieCategory
from cookie_consent.records import chain as records
from tests.factories import make_cookie
from tests.toolkit import admin_url, decide, decide_by_api, url

pytestmark = pytest.mark.django_db

REPO_ROOT = Path(__file__).resolve().parents[2]


def latest() -> ConsentRecord:
    return ConsentRecord.objects.order_by("-id").first()  # type: ignore[return-value]


def assert_cookie_agrees(client: Client) -> None:
    """The visitor's consent cookie and the latest record of its consent id agree."""
    stored = consent_cookie.decode(client.cookies["cookies_preferences"].value)
    assert stored is not None
    record = ConsentRecord.objects.filter(consent_id=stored.consent_id).order_by("-id").first()
    assert record is not None
    granted = {slug for slug, d in stored.decisions.items() if d.granted}
    denied = {slug for slug, d in stored.decisions.items() if not d.granted}
    assert set(record.granted_slugs) == granted
    assert set(record.denied_slugs) == denied
    assert record.revisions == {slug: d.revision for slug, d in stored.decisions.items()}


@pytest.mark.parametrize(
    ("action", "categories", "event", "granted"),
    [
        ("accept_all", (), "given", "statistics first_party third_party"),
        ("reject_all", (), "refused", ""),
        ("save", ("third_party",), "given", "third_party"),
    ],
)
def test_each_action_leaves_one_record(
    client: Client, action: str, categories: tuple[str, ...], event: str, granted: str
) -> None:
    response = decide(
        client, action, categories, method="banner", headers={"user-agent": "Firefox/140"}
    )
    assert response.status_code == 303
    assert ConsentRecord.objects.count() == 1
    record = latest()
    assert (record.action, record.event, record.method, record.granted) == (
        action,
        event,
        "banner",
        granted,
    )
    assert record.language == "en-us"
    assert record.policy_url == "http://testserver" + url("policy")
    assert record.user_agent == "Firefox/140"
    assert record.ip_hash == ""
    assert record.user_id is None
    assert record.previous_mac == ""
    assert len(record.mac) == 64
    assert not record.gpc
    assert_cookie_agrees(client)


def test_withdrawal_and_reconsent_are_recorded(client: Client) -> None:
    decide(client, "accept_all", method="banner")
    decide(client, "save", ["statistics"], method="preferences")
    withdrawal = latest()
    assert (withdrawal.event, withdrawal.method) == ("withdrawn", "preferences")
    assert withdrawal.previous_mac == ConsentRecord.objects.order_by("id")[0].mac
    make_cookie(category=CookieCategory.objects.get(slug="statistics"), name="_ga")
    decide(client, "accept_all", method="banner")
    reconsent = latest()
    assert reconsent.reconsent
    assert reconsent.event == "given"
    assert ConsentRecord.objects.count() == 3
    assert len({r.consent_id for r in ConsentRecord.objects.all()}) == 1
    assert_cookie_agrees(client)


def test_api_decision_is_recorded(client: Client) -> None:
    decide_by_api(client, "reject_all")
    assert latest().method == "api"
    assert_cookie_agrees(client)


def test_gpc_flag_and_user(client: Client) -> None:
    user = User.objects.create_user("visitor", password="pw")
    client.force_login(user)
    decide(client, "reject_all", method="banner", headers={"Sec-GPC": "1"})
    record = latest()
    assert record.gpc
    assert record.user_id == user.pk
    user.delete()
    # The proof stays, unchanged, when its user is deleted.
    record = ConsentRecord.objects.get(pk=record.pk)
    assert record.user_id is not None
    assert records.mac_is_valid(record, records.signing_keys())


@pytest.mark.slow
def test_a_user_keyed_by_uuid_can_decide() -> None:
    """AUTH_USER_MODEL cannot be swapped in this process: tests/uuid_users runs in its own,
    on SQLite in memory whatever DATABASE_URL says."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CACHE_URL"}}
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "tests/uuid_users/decisions.py"),
            *("--ds=tests.uuid_users.settings", "-p", "no:cacheprovider", "-q"),
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


@pytest.mark.parametrize(
    ("key", "signed_as"),
    [
        (42, 42),
        ("ada", "ada"),
        (None, None),
        (
            uuid.UUID("6f1c2a4e-9b3d-4c5e-8f70-1a2b3c4d5e6f"),
            "6f1c2a4e-9b3d-4c5e-8f70-1a2b3c4d5e6f",
        ),
    ],
)
def test_user_keys_of_every_type_are_signed_as_json(key: object, signed_as: object) -> None:
    """Integer and string keys as they always were (old records verify); others as text."""
    assert records.user_key(key) == signed_as


@override_settings(COOKIE_CONSENT_RECORD_IP=True, COOKIE_CONSENT_RECORD_USER_AGENT=False)
@pytest.mark.parametrize(
    ("address", "same_as"),
    [
        ("203.0.113.7", "203.0.113.200"),
        ("2001:db8:1:2::7", "2001:db8:1:ffff::1"),
        # An IPv4 client of a dual-stack socket is an IPv4 address, not an IPv6 network.
        ("::ffff:203.0.113.7", "203.0.113.200"),
    ],
)
def test_ip_is_kept_only_as_a_keyed_hash_of_its_network(address: str, same_as: str) -> None:
    decide(
        Client(REMOTE_ADDR=address),
        "reject_all",
        method="banner",
        headers={"user-agent": "Firefox/140"},
    )
    decide(Client(REMOTE_ADDR=same_as), "reject_all", method="banner")
    first, second = ConsentRecord.objects.order_by("id")
    assert len(first.ip_hash) == 64
    assert address not in first.ip_hash
    assert first.ip_hash == second.ip_hash
    assert first.user_agent == ""


@override_settings(COOKIE_CONSENT_RECORD_IP=True)
def test_ipv4_mapped_addresses_of_different_networks_hash_apart() -> None:
    decide(Client(REMOTE_ADDR="::ffff:203.0.113.7"), "reject_all", method="banner")
    decide(Client(REMOTE_ADDR="::ffff:198.51.100.7"), "reject_all", method="banner")
    first, second = ConsentRecord.objects.order_by("id")
    assert first.ip_hash != second.ip_hash


@override_settings(COOKIE_CONSENT_RECORD_IP=True)
def test_unreadable_address_leaves_the_hash_empty() -> None:
    decide(Client(REMOTE_ADDR="unix:socket"), "reject_all", method="banner")
    assert latest().ip_hash == ""


class FailingDatabase:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def fail(*args: Any, **kwargs: Any) -> None:
            raise DatabaseError("the database is down")

        monkeypatch.setattr(ConsentRecord, "save", fail)


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_failed_record_stores_nothing(
    client: Client, monkeypatch: pytest.MonkeyPatch, accept: str, caplog: pytest.LogCaptureFixture
) -> None:
    decide(client, "accept_all", method="banner")
    before = client.cookies["cookies_preferences"].value
    FailingDatabase(monkeypatch)
    response = decide(
        client, "reject_all", method="banner", status=503, headers={"Accept": accept}
    )
    assert "could not be saved just now. Nothing was changed" in response.content.decode()
    assert "cookies_preferences" not in response.cookies
    assert client.cookies["cookies_preferences"].value == before
    assert ConsentRecord.objects.count() == 1
    assert "the consent record could not be written" in caplog.text


def test_failed_api_record_stores_nothing(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    FailingDatabase(monkeypatch)
    response = decide_by_api(client, "accept_all", status=503)
    assert "error" in response.json()
    assert "cookies_preferences" not in response.cookies
    assert not ConsentRecord.objects.exists()


def test_records_are_append_only(client: Client) -> None:
    decide(client, "reject_all", method="banner")
    record = latest()
    record.granted = "statistics"
    with pytest.raises(TypeError, match="append-only"):
        record.save()
    with pytest.raises(TypeError, match="append-only"):
        ConsentRecord.objects.update(granted="statistics")
    assert str(record).startswith(record.consent_id + " reject_all ")


def documented_key(secret: bytes) -> bytes:
    """The key docs/records.rst gives: SHA-256 of ``cookie_consent.records:``, then the
    secret."""
    return hashlib.sha256(b"cookie_consent.records:" + secret).digest()


@override_settings(
    COOKIE_CONSENT_RECORD_KEY="a dedicated key",
    COOKIE_CONSENT_RECORD_KEY_FALLBACKS=["the key before"],
)
def test_dedicated_key_and_its_fallbacks() -> None:
    assert records.signing_keys() == [
        documented_key(b"a dedicated key"),
        documented_key(b"the key before"),
    ]


def test_a_failing_signal_receiver_does_not_undo_the_decision(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    from cookie_consent.signals import consent_changed

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("receiver bug")

    consent_changed.connect(broken)
    try:
        response = decide(client, "accept_all", method="banner")
    finally:
        consent_changed.disconnect(broken)
    assert response.status_code == 303
    assert "cookies_preferences" in response.cookies
    assert_cookie_agrees(client)
    assert "a consent_changed receiver failed" in caplog.text


@override_settings(SECRET_KEY="new", SECRET_KEY_FALLBACKS=["old"])
def test_keys_follow_secret_key_rotation() -> None:
    assert records.signing_keys() == [documented_key(b"new"), documented_key(b"old")]


def test_naive_times_are_utc() -> None:
    from datetime import datetime, timezone

    naive = datetime(2026, 1, 1, 12, 0)
    assert records.as_utc(naive) == datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def test_policy_page_shows_the_last_decisions(client: Client) -> None:
    decide(client, "accept_all", method="banner")
    decide(client, "reject_all", method="preferences")
    text = client.get(url("policy")).text
    assert "Your last decisions" in text
    assert text.index("withdrawn (reject all, preferences page)") < text.index(
        "given (accept all, banner)"
    )


def test_policy_page_survives_a_database_error(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    decide(client, "accept_all", method="banner")

    def fail(*args: Any, **kwargs: Any) -> None:
        raise DatabaseError("down")

    monkeypatch.setattr("cookie_consent.records.recent.ConsentRecord.objects.filter", fail)
    response = client.get(url("policy"))
    assert response.status_code == 200
    assert "Your past decisions cannot be shown just now." in response.text


def test_admin_is_read_only_even_for_superusers(admin_client: Client) -> None:
    decide(Client(), "accept_all", method="banner")
    record = latest()
    assert admin_client.get(admin_url("consentrecord", "changelist")).status_code == 200
    assert admin_client.get(admin_url("consentrecord", "add")).status_code == 403
    change = admin_client.get(admin_url("consentrecord", "change", record.pk))
    assert change.status_code == 200
    assert 'name="_save"' not in change.text
    assert admin_client.post(admin_url("consentrecord", "delete", record.pk)).status_code == 403


def test_admin_filters_and_search(admin_client: Client) -> None:
    decide(Client(), "accept_all", method="banner")
    decide(Client(), "save", ["third_party"], method="banner")
    decide(Client(), "reject_all", method="banner")
    base = admin_url("consentrecord", "changelist")
    statistics = admin_client.get(f"{base}?granted=statistics")
    assert statistics.text.count('class="field-consent_id"') == 1
    third = admin_client.get(f"{base}?granted=third_party")
    assert third.text.count('class="field-consent_id"') == 2
    refused = admin_client.get(f"{base}?event__exact=refused")
    assert refused.text.count('class="field-consent_id"') == 1
    consent_id = latest().consent_id
    found = admin_client.get(f"{base}?q={consent_id}")
    assert found.text.count('class="field-consent_id"') == 1
    assert admin_client.get(f"{base}?method__exact=banner&action__exact=save").status_code == 200


def test_admin_csv_export_action(admin_client: Client) -> None:
    decide(Client(), "accept_all", method="banner")
    decide(Client(), "reject_all", method="banner")
    ids = list(ConsentRecord.objects.order_by("id").values_list("id", flat=True))
    response = admin_client.post(
        admin_url("consentrecord", "changelist"),
        {"action": "export_csv", "_selected_action": ids[:1]},
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    rows = list(csv.reader(StringIO(text)))
    assert rows[0][:5] == ["record_id", "consent_id", "time_utc", "action", "event"]
    assert len(rows) == 2
    assert rows[1][0] == str(ids[0])


def test_cookie_and_record_agree_under_gpc(client: Client) -> None:
    decide(client, "accept_all", method="banner")
    CookieCategory.objects.filter(slug="first_party").update(honors_gpc=False)
    make_cookie(category=CookieCategory.objects.get(slug="first_party"), name="_pref")
    # Under GPC the banner asks only first_party; the other grants stay in the cookie.
    decide(client, "reject_all", method="banner", headers={"Sec-GPC": "1"})
    record = latest()
    assert record.gpc
    assert record.denied == "first_party"
    assert record.granted == "statistics third_party"
    assert_cookie_agrees(client)


def test_the_writer_takes_plain_values_not_a_request() -> None:
    import dataclasses

    from django.test import RequestFactory

    from cookie_consent.consent.decisions import Answer, decide
    from cookie_consent.consent.state import read_consent

    old = read_consent(RequestFactory().get("/"))
    stored = decide(old, Answer("accept_all", frozenset(), "api"))
    new = dataclasses.replace(old, consent_id=stored.consent_id, decisions=stored.decisions)
    where = records.Circumstances(
        language="fr",
        policy_url="https://example.com/cookies/",
        user_agent="a" * 600,
        ip_hash="b" * 64,
    )
    record = records.write_record(old, new, action="accept_all", method="api", circumstances=where)
    assert (record.language, record.policy_url, record.ip_hash) == (
        "fr",
        "https://example.com/cookies/",
        "b" * 64,
    )
    # As much as the field holds.
    assert record.user_agent == "a" * 512
    assert record.user_id is None
    assert records.mac_is_valid(record, records.signing_keys())
