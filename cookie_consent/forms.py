"""The rules a decision must pass, for the form of ``update`` and the JSON of ``api``.

Both are Django forms: the API's body becomes the data of :class:`ApiDecisionForm`, the
same form with the API's stricter rules, so that each rule is written once, here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cookie_consent.catalogue.snapshot import Catalogue
from cookie_consent.consent.decisions import Action, Answer, Method


class DecisionForm(forms.Form):
    """The fields of ``cookie_consent:update``, checked against the current catalogue."""

    action = forms.ChoiceField(label=gettext_lazy("action"), choices=Action.choices)
    # A Field: the API's form takes its categories in another shape.
    categories: forms.Field = forms.MultipleChoiceField(
        label=gettext_lazy("categories"), required=False
    )
    next = forms.CharField(required=False, max_length=2048)
    method = forms.ChoiceField(
        # The forms' own: a decision made through the API goes to the API.
        required=False,
        choices=[(m.value, m.label) for m in (Method.BANNER, Method.PREFERENCES)],
    )
    # Where an answer was given when the data does not say.
    default_method = Method.PREFERENCES

    def __init__(self, *args: Any, catalogue: Catalogue, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.catalogue = catalogue
        self.fields["categories"].choices = [  # type: ignore[attr-defined]
            (c.slug, c.display_name) for c in catalogue.categories
        ]

    def answer(self) -> Answer:
        """The visitor's answer, once the form is valid."""
        return Answer(
            self.cleaned_data["action"],
            frozenset(self.granted()),
            self.cleaned_data.get("method") or self.default_method,
        )

    def granted(self) -> list[str]:
        """The slugs the answer grants (with ``save``)."""
        granted: list[str] = self.cleaned_data["categories"]
        return granted

    def error_text(self) -> str:
        """Every error in one sentence a person can read."""
        return " ".join(
            f"{self.fields[name].label or name}: {message}"
            for name, messages in self.errors.items()
            for message in messages
        )


def _no_such_action() -> ValidationError:
    return ValidationError(
        _("Send an object whose “action” is one of: %(actions)s."),
        code="invalid_choice",
        params={"actions": ", ".join(Action.values)},
    )


class _ApiAction(forms.ChoiceField):
    """The API's ``action``: one message for one missing or unknown, naming the actions."""

    def validate(self, value: Any) -> None:
        if not self.valid_value(value):
            raise _no_such_action()


class _ApiCategories(forms.Field):
    """The API's ``categories``: a list of slugs to grant, or an object of slug: true/false.

    Cleaned to an object, in the order sent: the rules check it in that order.
    """

    def to_python(self, value: Any) -> dict[str, bool]:
        if isinstance(value, list) and all(isinstance(slug, str) for slug in value):
            value = dict.fromkeys(value, True)
        if not isinstance(value, dict) or not all(
            isinstance(slug, str) and isinstance(grant, bool) for slug, grant in value.items()
        ):
            raise ValidationError(
                _(
                    "“categories” must be a list of category slugs, or an object of "
                    "slug: true/false."
                ),
                code="invalid",
            )
        return value


class ApiDecisionForm(DecisionForm):
    """A decision sent to ``cookie_consent:api``: its JSON object's fields as the data.

    The API's ``categories`` can refuse as well as grant, so a required category refused
    is an error; and they go with ``save`` only, since with another action they would
    say nothing. Its data has no ``next`` or ``method``: the API answers in JSON, and the
    method is the API. The answer is one message: the first rule broken, in the fields'
    order.
    """

    action = _ApiAction(choices=Action.choices)
    categories = _ApiCategories(required=False)
    default_method = Method.API

    def clean_categories(self) -> dict[str, bool]:
        grants: dict[str, bool] = self.cleaned_data["categories"]
        for slug, grant in grants.items():
            category = self.catalogue.category(slug)
            if category is None:
                raise ValidationError(
                    _("There is no cookie category “%(slug)s”."), params={"slug": slug}
                )
            if category.required and not grant:
                raise ValidationError(
                    _("“%(slug)s” is required for the site to work and cannot be refused."),
                    params={"slug": slug},
                )
        return grants

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Only once both are valid: an earlier error is the one the API answers.
        if data.get("categories") and data.get("action", Action.SAVE) != Action.SAVE:
            raise ValidationError(_("“categories” goes with the action “save” only."))
        return data

    def granted(self) -> list[str]:
        return [slug for slug, grant in self.cleaned_data["categories"].items() if grant]

    def error_text(self) -> str:
        return str(next(message for messages in self.errors.values() for message in messages))
