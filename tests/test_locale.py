"""The shipped translations are complete, current and compiled."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

APP = Path(__file__).resolve().parent.parent / "cookie_consent"
LOCALE = APP / "locale"
SHIPPED = ("en", "fr", "de", "es", "it", "nl", "pt")


def po(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


def messages(catalogue: polib.POFile | polib.MOFile) -> dict[tuple[str, str], object]:
    return {
        (entry.msgctxt or "", entry.msgid): entry.msgstr_plural or entry.msgstr
        for entry in catalogue
        if not entry.obsolete
    }


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, str]]:
    """Every translatable string in the code today, as makemessages finds it."""
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext is needed to check the translations: apt-get install gettext")
    copy = tmp_path_factory.mktemp("extract") / "cookie_consent"
    shutil.copytree(APP, copy, ignore=shutil.ignore_patterns("locale", "__pycache__"))
    (copy / "locale").mkdir()
    django_admin = Path(sys.executable).parent / "django-admin"
    # Without the suite's settings: makemessages needs none, and tests.* is not importable
    # from the copy's folder.
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [str(django_admin), "makemessages", "-l", "en", "--ignore", "static/*"],
        cwd=copy,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    fresh = polib.pofile(str(copy / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    return set(messages(fresh))


@pytest.mark.parametrize("language", SHIPPED)
def test_every_string_of_the_code_is_in_the_catalogue(
    language: str, extracted: set[tuple[str, str]]
) -> None:
    shipped = set(messages(po(language)))
    assert extracted - shipped == set(), "run bash scripts/messages.sh, then translate"
    assert shipped - extracted == set(), "run bash scripts/messages.sh to drop old strings"


@pytest.mark.parametrize("language", [code for code in SHIPPED if code != "en"])
def test_nothing_untranslated_or_fuzzy(language: str) -> None:
    catalogue = po(language)
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []


@pytest.mark.parametrize("language", SHIPPED)
def test_compiled_files_match_the_catalogues(language: str) -> None:
    compiled = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))
    # msgfmt leaves out what has no translation (English: everything but the header).
    source = {k: v for k, v in messages(po(language)).items() if _translated(v)}
    assert {k: v for k, v in messages(compiled).items() if k[1]} == source, (
        "run bash scripts/messages.sh compile"
    )


def _translated(value: object) -> bool:
    return any(value.values()) if isinstance(value, dict) else bool(value)
