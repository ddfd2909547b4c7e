from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cookie_consent.catalogue import Catalogue
from cookie_consent.decisions import ACCEPT_ALL, BANNER, PREFERENCES, REJECT_ALL, SAVE


class DecisionForm(forms.Form):
    """The fields of ``cookie_consent:update``, checked against the current catalogue."""

    action = forms.ChoiceField(
        label=_("action"),
        choices=[
            (ACCEPT_ALL, _("Accept all")),
            (REJECT_ALL, _("Reject all")),
            (SAVE, _("Save choices")),
        ],
    )
    categories = forms.MultipleChoiceField(label=_("categories"), required=False)
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
