from __future__ import annotations

import csv
from io import StringIO

import pytest
from django.test import Client

from cookie_consent.catalogue.snapshot import get_catalogue
from cookie_consent.models import ConsentRecord, Cookie, CookieCategory
from tests.toolkit import admin_url, decide

pytestmark = pytest.mark.django_db


def inline_form(category: CookieCategory, **changes: str) -> dict[str, str]:
    cookies = list(category.cookies.order_by("pk"))
    data = {
        "slug": category.slug,
        "name": category.name,
        "description": category.description,
        "order": str(category.order),
        "cookies-TOTAL_FORMS": str(len(cookies) + 1),
        "cookies-INITIAL_FORMS": str(len(cookies)),
        "cookies-MIN_NUM_FORMS": "0",
        "cookies-MAX_NUM_FORMS": "1000",
    }
    if category.required:
        data["required"] = "on"
    if category.needs_consent:
        data["needs_consent"] = "on"
    for index, cookie in enumerate(cookies):
        prefix = f"cookies-{index}-"
        data.update(
            {
                f"{prefix}id": str(cookie.pk),
                f"{prefix}category": str(category.pk),
                f"{prefix}name": cookie.name,
                f"{prefix}path": cookie.path,
                f"{prefix}domain": cookie.domain,
            }
        )
    new = f"cookies-{len(cookies)}-"
    data.update({f"{new}category": str(category.pk), f"{new}path": "/"})
    data.update({f"{new}{key}": value for key, value in changes.items()})
    return data


def test_changelists_and_search(admin_client: Client) -> None:
    categories = admin_url("cookiecategory", "changelist")
    cookies = admin_url("cookie", "changelist")
    response = admin_client.get(categories)
    assert response.status_code == 200
    assert "Necessary cookies" in response.text
    assert '<td class="field-cookie_count">5</td>' in response.text
    response = admin_client.get(f"{categories}?q=csrftoken")
    assert "Necessary cookies" in response.text
    assert "Third-party cookies" not in response.text
    response = admin_client.get(f"{cookies}?category__id__exact=1")
    assert response.status_code == 200
    response = admin_client.get(f"{cookies}?q=language")
    assert "django_language" in response.text
    assert "sessionid" not in response.text


def test_cookie_added_inline_is_seen_at_once(admin_client: Client) -> None:
    statistics = CookieCategory.objects.get(slug="statistics")
    assert get_catalogue().category_of("_ga_ABC") is None
    response = admin_client.post(
        admin_url("cookiecategory", "change", statistics.pk),
        inline_form(statistics, name="_ga_*", provider="Google"),
    )
    assert response.status_code == 302
    assert Cookie.objects.get(name="_ga_*").category == statistics
    assert get_catalogue().category_of("_ga_ABC") == get_catalogue().category("statistics")


def test_invalid_inline_cookie_shows_the_rule(admin_client: Client) -> None:
    statistics = CookieCategory.objects.get(slug="statistics")
    response = admin_client.post(
        admin_url("cookiecategory", "change", statistics.pk),
        inline_form(statistics, name="csrf*"),
    )
    assert response.status_code == 200
    assert "The pattern “csrf*” matches “csrftoken”" in response.text
    assert not Cookie.objects.filter(name="csrf*").exists()


def test_duplicate_cookie_in_cookie_admin(admin_client: Client) -> None:
    necessary = CookieCategory.objects.get(slug="necessary")
    response = admin_client.post(
        admin_url("cookie", "add"),
        {"category": str(necessary.pk), "name": "sessionid", "path": "/", "domain": ""},
    )
    assert response.status_code == 200
    assert "A cookie with this name, domain and path is already declared." in response.text


def test_required_category_needing_consent_is_refused(admin_client: Client) -> None:
    response = admin_client.post(
        admin_url("cookiecategory", "add"),
        {
            "slug": "x",
            "name": "X",
            "order": "5",
            "required": "on",
            "needs_consent": "on",
            "cookies-TOTAL_FORMS": "0",
            "cookies-INITIAL_FORMS": "0",
            "cookies-MIN_NUM_FORMS": "0",
            "cookies-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200
    assert "A required category cannot need consent" in response.text
    assert not CookieCategory.objects.filter(slug="x").exists()


def test_csv_action_turns_a_user_agent_formula_into_text(admin_client: Client) -> None:
    formula = '=HYPERLINK("http://evil","x")'
    decide(Client(), "accept_all", headers={"user-agent": formula})
    record = ConsentRecord.objects.get()
    response = admin_client.post(
        admin_url("consentrecord", "changelist"),
        {"action": "export_csv", "_selected_action": [record.pk]},
    )
    assert response["Content-Disposition"] == 'attachment; filename="consent-records.csv"'
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert '"\'=HYPERLINK(""http://evil"",""x"")"' in text
    [header, row] = csv.reader(StringIO(text))
    assert dict(zip(header, row, strict=True))["user_agent"] == "'" + formula
    assert record.user_agent == formula
