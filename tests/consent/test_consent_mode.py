from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client, override_settings

from cookie_consent.models import CookieCategory
from tests.toolkit import decide, url

pytestmark = pytest.mark.django_db


def defaults(
    client: Client, path: str = "/head/", headers: dict[str, str] | None = None
) -> dict[str, Any]:
    html = client.get(path, headers=headers).text
    match = re.search(
        r'<script src="/static/cookie_consent/cookie-consent.js" data-cc-consent-mode="([^"]*)"',
        html,
    )
    assert match is not None, html
    return json.loads(match[1].replace("&quot;", '"'))  # type: ignore[no-any-return]


def test_everything_but_necessary_is_denied_before_a_decision(client: Client) -> None:
    advertising = ("ad_storage", "ad_user_data", "ad_personalization")
    denied = (*advertising, "analytics_storage", "personalization_storage")
    # The necessary category's types only.
    granted = ("functionality_storage", "security_storage")
    assert defaults(client) == {
        "default": {
            **dict.fromkeys(denied, "denied"),
            **dict.fromkeys(granted, "granted"),
            "wait_for_update": 500,
        },
        "set": {},
    }


def test_defaults_reflect_the_stored_decision(client: Client) -> None:
    decide(client, "save", ["statistics"])
    command = defaults(client)["default"]
    assert command["analytics_storage"] == "granted"
    assert command["ad_storage"] == "denied"
    decide(client, "accept_all")
    command = defaults(client)["default"]
    assert {command[k] for k in ("ad_storage", "ad_user_data", "ad_personalization")} == {
        "granted"
    }
    # Under GPC, the advertising and analytics grants made without it are denied.
    assert defaults(client, headers={"Sec-GPC": "1"})["default"]["ad_storage"] == "denied"


def test_mapping_is_admin_editable(client: Client) -> None:
    CookieCategory.objects.filter(slug="first_party").update(
        consent_mode="analytics_storage personalization_storage"
    )
    decide(client, "save", ["first_party"])
    command = defaults(client)["default"]
    assert command["analytics_storage"] == "granted"
    assert command["personalization_storage"] == "granted"


@override_settings(
    COOKIE_CONSENT_CONSENT_MODE_WAIT_FOR_UPDATE=None,
    COOKIE_CONSENT_CONSENT_MODE_REGION=["ES", "US-AK"],
    COOKIE_CONSENT_CONSENT_MODE_ADS_DATA_REDACTION=True,
    COOKIE_CONSENT_CONSENT_MODE_URL_PASSTHROUGH=False,
)
def test_optional_settings(client: Client) -> None:
    command = defaults(client)
    assert "wait_for_update" not in command["default"]
    assert command["default"]["region"] == ["ES", "US-AK"]
    assert command["set"] == {"ads_data_redaction": True, "url_passthrough": False}


def test_nonce_is_carried(client: Client) -> None:
    html = client.get("/head/?nonce=abc123").text
    assert 'data-cc-consent-mode="' in html
    assert ' nonce="abc123"></script>' in html
    assert "nonce" not in client.get("/head/").text


def test_unknown_consent_type_is_refused() -> None:
    from django.core.exceptions import ValidationError

    category = CookieCategory.objects.get(slug="statistics")
    category.consent_mode = "analytics_storage ad_magic"
    with pytest.raises(ValidationError, match="Unknown Consent Mode type"):
        category.full_clean()


def test_api_lists_each_categorys_consent_types(client: Client) -> None:
    categories = client.get(url("api")).json()["categories"]
    assert {c["slug"]: c["consent_mode"] for c in categories} == {
        "necessary": ["security_storage", "functionality_storage"],
        "statistics": ["analytics_storage"],
        "first_party": ["personalization_storage"],
        "third_party": ["ad_storage", "ad_user_data", "ad_personalization"],
    }
