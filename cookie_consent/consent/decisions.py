"""Turning an action into the consent to store, the same for the form and the JSON API."""

from __future__ import annotations

from dataclasses import dataclass

from cookie_consent.consent.cookie import Decision, StoredConsent, new_consent_id
from cookie_consent.consent.state import CURRENT, ConsentState
from cookie_consent.models import ConsentRecord

# The one vocabulary of a decision, the consent record's: the forms, this module and,
# through their context, the templates use it.
Action = ConsentRecord.Action
Method = ConsentRecord.Method
# What templates find them as in their context, and name a value by: {{ actions.SAVE }}.
VOCABULARY = {"actions": Action, "methods": Method}


@dataclass(frozen=True)
class Answer:
    """What the visitor answered, as the form or the API received it."""

    action: str
    # The slugs ticked for ``save``.
    granted: frozenset[str]
    # Where the answer was given: the banner, the preferences page, the API.
    method: str


def decide(state: ConsentState, answer: Answer) -> StoredConsent:
    """The consent after ``answer``.

    From the banner, the action applies to the categories the banner asked (after a
    catalogue change, only those that changed); the others keep their decision. From the
    preferences page or the API it applies to every category that needs consent.
    """
    asked = state.pending if answer.method == Method.BANNER and state.pending else state.askable
    decisions = {
        c.slug: state.decisions[c.slug] for c in state.askable if state.status(c) == CURRENT
    }
    for category in asked:
        grant = answer.action == Action.ACCEPT_ALL or (
            answer.action == Action.SAVE and category.slug in answer.granted
        )
        # A grant made under the GPC signal says so: that is what lets it stand under it.
        decisions[category.slug] = Decision(
            grant, category.revision, state.now, gpc=grant and state.gpc
        )
    return StoredConsent(state.consent_id or new_consent_id(), decisions)
