"""Catalogue texts in the visitor's language.

A text an admin has not changed is one of the default catalogue's, and those are
messages of this app's translation catalogues: ``gettext`` finds them in every shipped
language. A text an admin wrote is shown as written, unless the admin also gave it for
the active language in the row's ``translations`` (``{"fr": {"purpose": "…"}}``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.utils import translation
from django.utils.translation import gettext, gettext_noop, ngettext

Translations = Mapping[str, Mapping[str, str]]

# How the default catalogue writes a duration (describe_duration), which
# localize_duration reads back to count it in the visitor's language.
DURATION_UNITS = (
    ("week", "weeks", 604800),
    ("day", "days", 86400),
    ("hour", "hours", 3600),
    ("minute", "minutes", 60),
    ("second", "seconds", 1),
)
_DURATION = re.compile(r"(\d+) (week|day|hour|minute|second)s?")


def localize(text: str, translations: Translations, field: str) -> str:
    """``text`` in the active language: the admin's own translation first, then ours."""
    language = translation.get_language()
    if translations and language:
        for code in (language, language.split("-")[0]):
            value = translations.get(code, {}).get(field)
            if value:
                return value
    return gettext(text) if text else text


def describe_duration(seconds: int | None) -> str:
    """The lifetime of a cookie as the policy table shows it, in the largest exact unit."""
    if seconds is None:
        return gettext_noop("Session")
    for singular, plural, size in DURATION_UNITS:
        if seconds % size == 0 and seconds >= size:
            count = seconds // size
            return f"{count} {singular if count == 1 else plural}"
    return gettext_noop("Session")


def localize_duration(text: str, translations: Translations) -> str:
    """Durations the default catalogue wrote ("2 weeks") are counted in the language."""
    match = _DURATION.fullmatch(text)
    if match is None or _has_own(translations, "duration"):
        return localize(text, translations, "duration")
    count = int(match[1])
    formats = {
        "week": ngettext("%(count)d week", "%(count)d weeks", count),
        "day": ngettext("%(count)d day", "%(count)d days", count),
        "hour": ngettext("%(count)d hour", "%(count)d hours", count),
        "minute": ngettext("%(count)d minute", "%(count)d minutes", count),
        "second": ngettext("%(count)d second", "%(count)d seconds", count),
    }
    return formats[match[2]] % {"count": count}


def _has_own(translations: Translations, field: str) -> bool:
    language = translation.get_language() or ""
    return any(
        translations.get(code, {}).get(field) for code in (language, language.split("-")[0])
    )
