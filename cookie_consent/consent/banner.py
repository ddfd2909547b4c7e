"""What ``{% cookie_consent_banner %}`` renders on every page: cookie_consent/root.html.

The app's stylesheet and script, the banner or the GPC notice while one is due, and what
the script needs. The markup is shared by every visitor of the same kind
(``banner_cache``); each page fills in its own values.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple
from urllib.parse import quote

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.context import Context
from django.utils import translation
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from cookie_consent.catalogue.values import Category
from cookie_consent.conf import conf
from cookie_consent.consent import banner_cache
from cookie_consent.consent.decisions import VOCABULARY
from cookie_consent.consent.markup import on_consent_page, preferences_url, render_template
from cookie_consent.consent.serialise import state_json
from cookie_consent.consent.state import ConsentState, get_consent

ROOT = "cookie_consent/root.html"
BANNER = "cookie_consent/banner.html"
GPC_NOTICE = "cookie_consent/gpc_notice.html"
# Inside the script element, "</script>" or "<!--" in a name would end or break it.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def _notice(request: HttpRequest, consent: ConsentState) -> str | None:
    """The template of what the visitor must see first: the banner, the GPC notice, or none."""
    if on_consent_page(request):
        return None
    if consent.needs_decision:
        return BANNER
    if consent.refused_by_gpc:
        # GPC answered everything the banner would ask: say so instead of asking.
        return GPC_NOTICE
    return None


def _gpc_covered(consent: ConsentState) -> list[Category]:
    """Categories the banner asks about that a GPC signal would refuse.

    The server refuses them itself when the request carries ``Sec-GPC: 1``; the script
    does when only ``navigator.globalPrivacyControl`` says so (docs/gpc.rst).
    """
    return [c for c in consent.pending if c.honors_gpc] if conf.HONOR_GPC else []


def _state_island(consent: ConsentState, nonce: str, consent_id: str | None) -> SafeString:
    """The API's state for the script, without the texts it does not need on every page."""
    state = state_json(consent, details=False)
    state["consent_id"] = consent_id
    text = json.dumps(state, separators=(",", ":")).translate(_SCRIPT_ESCAPES)
    return format_html(
        '<script type="application/json" data-cc-state{}>{}</script>', nonce, mark_safe(text)
    )


class RootValues(NamedTuple):
    """What cookie_consent/root.html shows on one page, for one visitor."""

    consent: ConsentState
    notice: str | None  # the template of the banner or the GPC notice, when one is due
    dialog: bool  # the preferences dialog; the consent pages would repeat their own forms
    nonce: str  # the nonce attribute, or ""
    # The values below differ from page to page: the shared markup has placeholders.
    preferences_url: str
    consent_id: str | None
    csrf_token: str  # only the banner has a form; a token asked for sets the CSRF cookie
    next: str
    next_query: str

    @classmethod
    def of(cls, request: HttpRequest, nonce: str) -> RootValues:
        consent = get_consent(request)
        notice = _notice(request, consent)
        next_path = request.get_full_path()
        return cls(
            consent,
            notice,
            dialog=not on_consent_page(request),
            nonce=nonce,
            preferences_url=preferences_url(request),
            consent_id=consent.consent_id,
            csrf_token=get_token(request) if notice == BANNER else "",
            next=next_path,
            next_query=quote(next_path, safe="/"),
        )

    def template_context(self) -> dict[str, Any]:
        consent = self.consent
        return {
            **VOCABULARY,  # the banner's form names its actions and method by them
            "consent": consent,
            "notice": self.notice,
            "gpc_categories": consent.refused_by_gpc,
            "gpc_covered": _gpc_covered(consent) if self.notice == BANNER else [],
            "honor_gpc": conf.HONOR_GPC,
            "dialog": self.dialog,
            "preferences_url": self.preferences_url,
            "state": _state_island(consent, self.nonce, self.consent_id),
            "nonce": self.nonce,
            "csrf_token": self.csrf_token,
            "next": self.next,
            "next_query": self.next_query,
        }

    def kind(self) -> tuple[Any, ...]:
        """What the markup depends on besides the template engine: all but the page's values."""
        consent = self.consent
        return (
            translation.get_language(),
            # The app's URL, without this page's "next": the script prefix and the urlconf
            # that a request may choose show in it, as in every {% url %} and {% static %}.
            self.preferences_url.partition("?")[0],
            consent.catalogue,  # the snapshot itself: a new one after every edit
            self.notice,
            consent.decided,
            consent.gpc,
            self.dialog,
            tuple((c.category.slug, c.granted, c.status) for c in consent.choices),
        )

    def with_placeholders(self) -> RootValues:
        """These values for every page of this kind of visitor: placeholders for its own."""
        return self._replace(
            preferences_url=_URL,
            consent_id=_ID if self.consent_id else None,
            csrf_token=_CSRF if self.csrf_token else "",
            next=_NEXT,
            next_query=_NEXT_QUERY,
        )

    def fill(self, markup: str) -> SafeString:
        """``markup`` with its placeholders replaced by this page's values.

        Each is safe where it goes: escaped for HTML, urlencoded, or hex digits. One pass,
        so that a value (the path comes from the request) is never searched for
        placeholders.
        """
        values = {
            _URL: escape(self.preferences_url),
            _ID: self.consent_id or "",
            _CSRF: self.csrf_token,
            _NEXT_QUERY: self.next_query,
            _NEXT: escape(self.next),
        }
        return mark_safe(_PLACEHOLDER.sub(lambda match: values[match[0]], markup))


_URL, _ID, _CSRF = "cc-url-placeholder", "cc-id-placeholder", "cc-csrf-placeholder"
_NEXT, _NEXT_QUERY = "cc-next-placeholder", "cc-next-query-placeholder"
_PLACEHOLDER = re.compile("|".join(map(re.escape, (_URL, _ID, _CSRF, _NEXT, _NEXT_QUERY))))


def render_banner(context: Context, values: RootValues) -> SafeString:
    """cookie_consent/root.html for ``values``: shared with this kind of visitor when it can be.

    A page with a nonce is rendered for itself alone: its nonce is new.
    """
    markup = None if values.nonce else _shared_root(context, values)
    if markup is None:
        return _render_root(context, values)
    return values.fill(markup)


def _render_root(context: Context, values: RootValues) -> SafeString:
    return render_template(context, ROOT, values.template_context())


def _shared_root(context: Context, values: RootValues) -> str | None:
    """This kind of visitor's markup, with placeholders; None when it cannot be shared."""
    engine = context.template.engine  # type: ignore[union-attr]
    # Its loaders find the templates, its options shape them; autoescape is the page's.
    key = (engine, context.autoescape, *values.kind())
    notice = values.notice
    # The shipped root.html includes the notice, and the GPC notice inside the banner.
    names = (ROOT, notice, GPC_NOTICE) if notice else (ROOT,)
    return banner_cache.SHARED.get(
        key,
        lambda: (
            _render_root(context, values.with_placeholders())
            if banner_cache.shareable(engine, names)
            else None
        ),
    )
