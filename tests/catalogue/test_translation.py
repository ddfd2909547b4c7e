"""Catalogue texts follow the visitor's language; an admin's own texts are never lost."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation

from cookie_consent.catalogue.snapshot import get_catalogue
from cookie_consent.catalogue.translation import describe_duration, localize, localize_duration
from cookie_consent.models import Cookie, CookieCategory

pytestmark = pytest.mark.django_db


def test_admin_translation_for_the_active_language_wins() -> None:
    texts = {"fr": {"purpose": "Pour compter les visites"}}
    with translation.override("fr"):
        assert localize("To count visits", texts, "purpose") == "Pour compter les visites"
    with translation.override("fr-ca"):
        assert localize("To count visits", texts, "purpose") == "Pour compter les visites"
    with translation.override("de"):
        assert localize("To count visits", texts, "purpose") == "To count visits"
    assert localize("", texts, "purpose") == ""


def test_admin_duration_wins_over_the_counted_one() -> None:
    with translation.override("fr"):
        assert localize_duration("2 weeks", {"fr": {"duration": "quinze jours"}}) == "quinze jours"
        assert localize_duration("13 months", {}) == "13 months"
    assert localize_duration("1 day", {}) == "1 day"
    assert localize_duration("3 hours", {}) == "3 hours"


def test_snapshot_carries_the_translations() -> None:
    category = CookieCategory.objects.get(slug="statistics")
    category.translations = {"de": {"name": "Statistik"}}
    category.save()
    Cookie.objects.filter(name="sessionid").update(
        translations={"de": {"purpose": "Um Sie zu erkennen"}}
    )
    snapshot = get_catalogue()
    statistics = snapshot.category("statistics")
    assert statistics is not None
    session = snapshot.declarations("sessionid")[0]
    with translation.override("de"):
        assert statistics.display_name == "Statistik"
        assert session.display_purpose == "Um Sie zu erkennen"
    with translation.override("en"):
        assert statistics.display_name == "Statistical cookies"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["fr"], "Give an object of languages"),
        ({"xx": {"name": "x"}}, "“xx” is not one of the site's LANGUAGES."),
        ({"fr": {"colour": "x"}}, "must be an object with the keys name, description"),
        ({"fr": "Statistiques"}, "must be an object with the keys"),
        ({"fr": {"name": 1}}, "must be an object with the keys"),
    ],
)
def test_bad_translations_are_refused(value: object, message: str) -> None:
    category = CookieCategory.objects.get(slug="statistics")
    category.translations = value
    with pytest.raises(ValidationError, match=message):
        category.full_clean()


@override_settings(LANGUAGES=[("en", "English"), ("fr", "French")])
def test_good_translations_pass() -> None:
    cookie = Cookie.objects.get(name="sessionid")
    cookie.translations = {"fr": {"purpose": "Pour vous reconnaître", "duration": "2 semaines"}}
    cookie.full_clean()


def test_validators_compare_by_their_fields() -> None:
    from cookie_consent.catalogue.validation import TranslationsValidator

    assert TranslationsValidator(("name",)) == TranslationsValidator(("name",))
    assert TranslationsValidator(("name",)) != TranslationsValidator(("purpose",))
    assert hash(TranslationsValidator(("name",))) == hash(("name",))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "Session"),
        (1209600, "2 weeks"),
        (86400 * 3, "3 days"),
        (7200, "2 hours"),
        (120, "2 minutes"),
        (90, "90 seconds"),
        (1, "1 second"),
        (0, "Session"),
        (31449600, "52 weeks"),
    ],
)
def test_describe_duration(seconds: int | None, text: str) -> None:
    assert describe_duration(seconds) == text
