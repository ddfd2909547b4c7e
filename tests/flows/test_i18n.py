"""The banner, the pages and the API follow the active language, whatever it is."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from cookie_consent.catalogue.loading import REFERENCE_CATALOGUE
from tests.toolkit import decide, url

pytestmark = pytest.mark.django_db

LOCALE = Path(__file__).resolve().parents[2] / "cookie_consent" / "locale"
TRANSLATED = ("fr", "de", "es", "it", "nl", "pt")


def text_of(page: str) -> str:
    """What a reader sees: no tags, entities decoded, white space folded."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def english_leftovers(language: str, text: str) -> list[str]:
    """The app's English messages, translated differently in ``language``, found in ``text``."""
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    found = []
    for entry in catalogue:
        for english, translated in _pairs(entry):
            # Short messages ("Name", "API") are often the same, or part of other words.
            if len(english.split()) >= 3 and translated != english and english in text:
                found.append(english)
    return found


def _pairs(entry: polib.POEntry) -> Iterator[tuple[str, str]]:
    if entry.msgid_plural:
        yield entry.msgid, entry.msgstr_plural[0]
        yield entry.msgid_plural, entry.msgstr_plural[1]
    else:
        yield entry.msgid, entry.msgstr


def page(client: Client, url: str, language: str) -> str:
    with translation.override(language):
        return text_of(client.get(url).content.decode())


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_english_leftovers(client: Client, language: str) -> None:
    pages = {
        "banner": page(client, "/page/", language),
        "preferences": page(client, url("preferences"), language),
        "policy": page(client, url("policy"), language),
    }
    for name, text in pages.items():
        assert english_leftovers(language, text) == [], name
    with translation.override(language):
        api = client.get(url("api")).json()
    assert english_leftovers(language, str(api)) == []


def test_french_policy_reproduces_the_reference_table(client: Client) -> None:
    call_command("cookie_consent_load", str(REFERENCE_CATALOGUE), verbosity=0)
    policy = page(client, url("policy"), "fr")
    for row in (
        "Opendatasoft Authentification (front et back office) sessionid "
        "Mémoriser l'utilisateur d'une page à l'autre",
        "Opendatasoft Sélection de la langue (front et back office) django_language "
        "Mémoriser la langue du visiteur",
        "Opendatasoft API (CSRF) (front et back office) csrftoken "
        "Récupérer des données via des appels API",
        "Opendatasoft Choix liés à vos préférences en matière de cookies cookies_preferences "
        "Mémoriser les préférences du visiteur en matière de cookies",
    ):
        assert row in policy
    assert "Cookies nécessaires au bon fonctionnement de la plateforme" in policy
    assert "Qu'est-ce qu'un cookie ?" in policy


def test_durations_follow_the_language(client: Client) -> None:
    assert "2 Wochen" in page(client, url("policy"), "de")
    assert "2 semaines" in page(client, url("policy"), "fr")


def test_right_to_left_languages(client: Client) -> None:
    with translation.override("ar"):
        response = client.get(url("preferences")).content.decode()
    assert '<html lang="ar" dir="rtl">' in response


def test_api_follows_the_language(client: Client) -> None:
    with translation.override("de"):
        names = [c["name"] for c in client.get(url("api")).json()["categories"]]
    assert names[0] != "Necessary cookies"


def test_the_record_keeps_the_language_of_the_choice(client: Client) -> None:
    from cookie_consent.models import ConsentRecord

    with translation.override("nl"):
        decide(client, "reject_all")
    assert ConsentRecord.objects.get().language == "nl"
