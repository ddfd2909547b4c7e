"""What a decision request says: the fields of the form, or the JSON of the API."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cookie_consent.catalogue.snapshot import Catalogue
from cookie_consent.consent.body import BadDecision
from cookie_consent.consent.decisions import (
    ACCEPT_ALL,
    ACTIONS,
    BANNER,
    PREFERENCES,
    REJECT_ALL,
    SAVE,
)


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
