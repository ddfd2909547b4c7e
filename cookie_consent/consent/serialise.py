"""A visitor's consent as JSON: what the API answers and what the page's script reads."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

from cookie_consent.consent.state import ALWAYS, ConsentState, vary_on_consent


def state_json(state: ConsentState, *, details: bool = True) -> dict[str, Any]:
    """The visitor's consent as the JSON API answers it (documented in docs/views.rst).

    Without ``details``, the categories leave out their description and cookies: what
    the page's script needs, on every page, whatever the size of the catalogue.
    """
    categories = []
    for choice in state.choices:
        category = choice.category
        entry: dict[str, Any] = {
            "slug": category.slug,
            "name": category.display_name,
            "required": category.required,
            "needs_consent": category.needs_consent,
            "granted": choice.granted,
            # "always" for a category nobody is asked about.
            "status": ALWAYS if choice.always_on else choice.status,
            "consent_mode": list(category.consent_mode),
        }
        if details:
            entry["description"] = category.display_description
            entry["cookies"] = [
                {
                    "name": cookie.name,
                    "provider": cookie.display_provider,
                    "function": cookie.display_function,
                    "purpose": cookie.display_purpose,
                    "duration": cookie.display_duration,
                    "domain": cookie.domain,
                    "path": cookie.path,
                }
                for cookie in category.cookies
            ]
        categories.append(entry)
    return {
        "consent_id": state.consent_id,
        "decided": state.decided,
        "needs_decision": state.needs_decision,
        "gpc": state.gpc,
        "categories": categories,
    }


def state_response(state: ConsentState, response: HttpResponse | None = None) -> HttpResponse:
    """The JSON API's answer: ``state``, varying on what it is read from.

    ``response``, when given, was made before a decision to carry the consent cookie the
    decision sets: it becomes the answer.
    """
    if response is None:
        response = HttpResponse(content_type="application/json")
    response.content = json.dumps(state_json(state)).encode()
    vary_on_consent(response)
    return response
