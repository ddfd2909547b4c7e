"""Rules a catalogue obeys, shared by the models, the admin and the catalogue loader.

They take plain values so that migrations, which only have historical models without
our methods, can apply them too.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from cookie_consent.catalogue import names
from cookie_consent.catalogue.essential import essential_names

BLANK_NAME_MESSAGE = _("Enter the cookie's name, or a pattern such as _ga_*.")


def validate_cookie_name(name: str) -> None:
    if not name.strip():
        raise ValidationError(BLANK_NAME_MESSAGE, code="blank")
    if not names.is_valid_name(name):
        raise ValidationError(
            _(
                "“%(name)s” is not a valid cookie name: use letters, digits and "
                "!#$%%&'+-.^_`|~ only, and * as a wildcard."
            ),
            code="invalid",
            params={"name": name},
        )
    if names.is_pattern(name) and not name.replace(names.WILDCARD, ""):
        raise ValidationError(
            _("The pattern “%(name)s” would match every cookie; name at least one character."),
            code="match_all",
            params={"name": name},
        )


def validate_category_flags(*, required: bool, needs_consent: bool) -> None:
    if required and needs_consent:
        raise ValidationError(
            _(
                "A required category cannot need consent: its cookies are always set. "
                "Untick “needs consent” or “required”."
            ),
            code="required_needs_consent",
        )


def validate_essential_placement(name: str, *, free: bool) -> None:
    """A cookie Django or this app needs stays where no consent is asked (``free``)."""
    if not free and name in essential_names():
        raise ValidationError(
            _(
                "“%(name)s” is a cookie the site cannot work without (it is named in your "
                "settings): declare it in a category that needs no consent."
            ),
            code="essential_needs_consent",
            params={"name": name},
        )


def validate_against_catalogue(
    name: str, *, category: str, required: bool, others: Iterable[tuple[str, str, bool]]
) -> None:
    """Check one cookie against the rest of the catalogue.

    ``others`` are ``(name, category slug, category required)`` of the other cookies. An
    exact name belongs to one category only (the browser sends names, nothing else, so a
    name in two categories could not be classified). A pattern outside the required
    categories must not claim a required cookie: a ``*sessionid*`` under statistics would
    make logging in depend on consent.
    """
    for other, other_category, other_required in others:
        if other == name and other_category != category:
            raise ValidationError(
                _("“%(name)s” is already declared in the category “%(category)s”."),
                code="name_in_two_categories",
                params={"name": name, "category": other_category},
            )
        if other_category == category or required == other_required:
            continue
        pattern, exact = (other, name) if required else (name, other)
        if (
            names.is_pattern(pattern)
            and not names.is_pattern(exact)
            and names.matches(pattern, exact)
        ):
            raise ValidationError(
                _(
                    "The pattern “%(pattern)s” matches “%(exact)s”, a cookie of a "
                    "required category; narrow the pattern or move the cookie."
                ),
                code="pattern_matches_required",
                params={"pattern": pattern, "exact": exact},
            )


CONSENT_MODE_TYPES = (
    "ad_storage",
    "ad_user_data",
    "ad_personalization",
    "analytics_storage",
    "functionality_storage",
    "personalization_storage",
    "security_storage",
)


def validate_consent_mode_types(value: str) -> None:
    unknown = [t for t in value.split() if t not in CONSENT_MODE_TYPES]
    if unknown:
        raise ValidationError(
            _("Unknown Consent Mode type(s): %(unknown)s. Use: %(known)s."),
            code="consent_mode",
            params={"unknown": ", ".join(unknown), "known": ", ".join(CONSENT_MODE_TYPES)},
        )


# Migrations name it by its older path, which cookie_consent/validation.py keeps.
@deconstructible(path="cookie_consent.validation.TranslationsValidator")
class TranslationsValidator:
    """``{"fr": {"purpose": "…"}}``: languages of LANGUAGES, the given fields, texts."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        self.fields = fields

    def __call__(self, value: object) -> None:
        languages = {code for code, _name in settings.LANGUAGES}
        if not isinstance(value, dict):
            raise ValidationError(
                _('Give an object of languages, e.g. {"fr": {"%(field)s": "…"}}.'),
                code="translations",
                params={"field": self.fields[0]},
            )
        for language, texts in value.items():
            if language not in languages:
                raise ValidationError(
                    _("“%(language)s” is not one of the site's LANGUAGES."),
                    code="translations_language",
                    params={"language": language},
                )
            if not isinstance(texts, dict) or not all(
                key in self.fields and isinstance(text, str) for key, text in texts.items()
            ):
                raise ValidationError(
                    _("The texts of “%(language)s” must be an object with the keys %(fields)s."),
                    code="translations_fields",
                    params={"language": language, "fields": ", ".join(self.fields)},
                )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TranslationsValidator) and other.fields == self.fields

    def __hash__(self) -> int:
        return hash(self.fields)
