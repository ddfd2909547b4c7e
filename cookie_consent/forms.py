"""What a decision request says: its body, read within a bound, as form fields or JSON."""

from __future__ import annotations

import json
from io import BytesIO
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cookie_consent.catalogue.snapshot import Catalogue
from cookie_consent.consent.decisions import (
    ACCEPT_ALL,
    ACTIONS,
    BANNER,
    PREFERENCES,
    REJECT_ALL,
    SAVE,
)

# A decision is a few hundred bytes; anything much larger is not one.
MAX_BODY = 16 * 1024


class BadDecision(Exception):
    """A decision that cannot be stored, with the message the visitor is shown."""


def _too_large() -> BadDecision:
    return BadDecision(_("The request is too large to be a cookie choice."))


def read_body(request: HttpRequest) -> bytes:
    """The body, read no further than the limit (the site's upload limit, if smaller).

    ``Content-Length`` is only a first check: under ASGI a chunked body has none, so the
    read itself stops one byte past the limit, whatever the body's real size.
    """
    limit = MAX_BODY
    if settings.DATA_UPLOAD_MAX_MEMORY_SIZE is not None:
        limit = min(limit, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = limit + 1
    if declared > limit:
        raise _too_large()
    body = request.read(limit + 1)
    if len(body) > limit:
        raise _too_large()
    return body


def read_form(request: HttpRequest, body: bytes) -> QueryDict:
    """The form fields of ``body``, parsed as Django parses ``request.POST``."""
    try:
        if request.content_type == "multipart/form-data":
            # The length read, not the one declared: a chunked body declares none.
            meta = {**request.META, "CONTENT_LENGTH": str(len(body))}
            fields, _files = request.parse_file_upload(meta, BytesIO(body))
            return fields
        if request.content_type == "application/x-www-form-urlencoded":
            return QueryDict(body, encoding="utf-8")
    except MultiPartParserError as error:
        raise BadDecision(
            _(
                "The form could not be read: send it as application/x-www-form-urlencoded "
                "or multipart/form-data."
            )
        ) from error
    except SuspiciousOperation as error:
        # Too many fields or files for Django's limits.
        raise _too_large() from error
    return QueryDict()


def read_api_decision(body: bytes, catalogue: Catalogue) -> tuple[str, list[str]]:
    """The action and granted slugs of a JSON body, or :class:`BadDecision`."""
    try:
        value = json.loads(body or b"null")
    except RecursionError as error:
        raise BadDecision(
            _(
                "The body is nested too deeply to be a cookie choice: send an object with "
                "“action” and, with “save”, “categories”."
            )
        ) from error
    except ValueError as error:
        raise BadDecision(_("The body is not valid JSON.")) from error
    if not isinstance(value, dict) or value.get("action") not in ACTIONS:
        raise BadDecision(
            _("Send an object whose “action” is one of: %(actions)s.")
            % {"actions": ", ".join(ACTIONS)}
        )
    categories = _api_categories(value.get("categories", []))
    for slug, grant in categories.items():
        category = catalogue.category(slug)
        if category is None:
            raise BadDecision(_("There is no cookie category “%(slug)s”.") % {"slug": slug})
        if category.required and not grant:
            raise BadDecision(
                _("“%(slug)s” is required for the site to work and cannot be refused.")
                % {"slug": slug}
            )
    if categories and value["action"] != SAVE:
        raise BadDecision(_("“categories” goes with the action “save” only."))
    return value["action"], [slug for slug, grant in categories.items() if grant]


def _api_categories(categories: Any) -> dict[str, bool]:
    """``categories`` as slug: grant, from a list of slugs or an object of booleans."""
    if isinstance(categories, list) and all(isinstance(slug, str) for slug in categories):
        categories = dict.fromkeys(categories, True)
    if not isinstance(categories, dict) or not all(
        isinstance(slug, str) and isinstance(grant, bool) for slug, grant in categories.items()
    ):
        raise BadDecision(
            _("“categories” must be a list of category slugs, or an object of slug: true/false.")
        )
    return categories


class DecisionForm(forms.Form):
    """The fields of ``cookie_consent:update``, checked against the current catalogue."""

    action = forms.ChoiceField(
        label=gettext_lazy("action"),
        choices=[
            (ACCEPT_ALL, gettext_lazy("Accept all")),
            (REJECT_ALL, gettext_lazy("Reject all")),
            (SAVE, gettext_lazy("Save choices")),
        ],
    )
    categories = forms.MultipleChoiceField(label=gettext_lazy("categories"), required=False)
    next = forms.CharField(required=False, max_length=2048)
    method = forms.ChoiceField(
        required=False, choices=[(BANNER, BANNER), (PREFERENCES, PREFERENCES)]
    )

    def __init__(self, *args: Any, catalogue: Catalogue, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = [  # type: ignore[attr-defined]
            (c.slug, c.display_name) for c in catalogue.categories
        ]

    def error_text(self) -> str:
        """Every error in one sentence a person can read."""
        return " ".join(
            f"{self.fields[name].label or name}: {message}"
            for name, messages in self.errors.items()
            for message in messages
        )
