"""The small pieces of HTML the template tags put in pages, as plain functions.

``cookie_consent.templatetags.cookie_consent`` adapts a template's context to them; the
banner, the largest piece, is in ``banner``.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.template.context import Context
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from cookie_consent.consent.consent_mode import default_command
from cookie_consent.consent.http import safe_next
from cookie_consent.consent.state import ConsentState


def on_consent_page(request: HttpRequest) -> bool:
    """The policy and preferences pages carry the choice themselves: no banner there."""
    match = getattr(request, "resolver_match", None)
    return match is not None and match.namespace == "cookie_consent"


def render_template(context: Context, name: str, values: dict[str, Any]) -> SafeString:
    """``name``, as the page's own engine finds it (the site's override when it has one),
    rendered with the page's context and ``values``."""
    template_ = context.template.engine.get_template(name)  # type: ignore[union-attr]
    with context.push(values):
        return mark_safe(template_.render(context))


def preferences_url(request: HttpRequest) -> str:
    """The preferences page, returning to this page (or, on the consent pages, the origin)."""
    back = request.GET.get("next") if on_consent_page(request) else None
    query = urlencode({"next": safe_next(request, back, request.get_full_path())})
    return f"{reverse('cookie_consent:preferences')}?{query}"


def declaration(context: Context, consent: ConsentState) -> SafeString:
    return render_template(context, "cookie_consent/declaration.html", {"consent": consent})


def settings_link(request: HttpRequest, text: str = "") -> SafeString:
    return format_html(
        '<a class="cc-settings-link" href="{}" data-cc-open-preferences>{}</a>',
        preferences_url(request),
        text or _("Cookie settings"),
    )


def consent_mode_script(consent: ConsentState, nonce: str) -> SafeString:
    return format_html(
        # The app's one script: this copy, not deferred, sets the defaults at once.
        '<script src="{}" data-cc-consent-mode="{}"{}></script>',
        static("cookie_consent/cookie-consent.js"),
        json.dumps(default_command(consent), separators=(",", ":")),
        nonce,
    )


def gate(consent: ConsentState, slug: str, content: str) -> str:
    """``content`` as it is once ``slug`` is granted; inert until then: nothing in a
    ``<template>`` loads or runs."""
    if consent.granted(slug):
        return content
    return format_html(
        '<template class="cc-gate" data-cc-category="{}">{}</template>', slug, mark_safe(content)
    )
