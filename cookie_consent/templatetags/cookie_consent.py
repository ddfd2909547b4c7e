"""Template tags: ``{% load cookie_consent %}``; each is a thin wrapper over a function."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Hashable
from typing import Any, NamedTuple
from urllib.parse import quote

from django import template
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.base import FilterExpression, Parser, Template, Token
from django.template.context import Context
from django.template.engine import Engine
from django.template.loaders import app_directories, cached, filesystem
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.autoreload import file_changed
from django.utils.html import escape, format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from cookie_consent.catalogue.snapshot import Category
from cookie_consent.conf import conf
from cookie_consent.consent.consent_mode import default_command
from cookie_consent.consent.http import safe_next
from cookie_consent.consent.serialise import state_json
from cookie_consent.consent.state import ConsentState, get_consent

register = template.Library()


def _request(context: Context, tag: str) -> HttpRequest:
    request = context.get("request")
    if request is None:
        raise ImproperlyConfigured(
            f"{{% {tag} %}} needs the request in the template context: add "
            "'django.template.context_processors.request' to the context_processors of "
            "your TEMPLATES setting, and render the template with the request."
        )
    return request  # type: ignore[no-any-return]


def _on_consent_page(request: HttpRequest) -> bool:
    """The policy and preferences pages carry the choice themselves: no banner there."""
    match = getattr(request, "resolver_match", None)
    return match is not None and match.namespace == "cookie_consent"


def render_template(context: Context, name: str, values: dict[str, Any]) -> SafeString:
    """``name``, as the page's own engine finds it (the site's override when it has one),
    rendered with the page's context and ``values``."""
    template_ = context.template.engine.get_template(name)  # type: ignore[union-attr]
    with context.push(values):
        return mark_safe(template_.render(context))


ROOT = "cookie_consent/root.html"
BANNER = "cookie_consent/banner.html"
GPC_NOTICE = "cookie_consent/gpc_notice.html"
# Inside the script element, "</script>" or "<!--" in a name would end or break it.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def _notice(request: HttpRequest, consent: ConsentState) -> str | None:
    """The template of what the visitor must see first: the banner, the GPC notice, or none."""
    if _on_consent_page(request):
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
            dialog=not _on_consent_page(request),
            nonce=nonce,
            preferences_url=_preferences_url(request),
            consent_id=consent.consent_id,
            csrf_token=get_token(request) if notice == BANNER else "",
            next=next_path,
            next_query=quote(next_path, safe="/"),
        )

    def template_context(self) -> dict[str, Any]:
        consent = self.consent
        return {
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


@register.simple_tag(takes_context=True)
def cookie_consent_banner(context: Context) -> str:
    """The app's stylesheet and script, and the banner while a decision is needed."""
    request = _request(context, "cookie_consent_banner")
    return render_banner(context, RootValues.of(request, nonce_attribute(context)))


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
    return SHARED.get(
        key,
        lambda: (
            _render_root(context, values.with_placeholders())
            if _shareable(engine, names)
            else None
        ),
    )


class SharedMarkup:
    """Markup kept per kind of visitor, for at most ``limit`` kinds.

    Every visitor with the same choices, in the same language, gets the same markup but
    for a few values: it is rendered once per kind of visitor, with placeholders that each
    request fills in. Only the app's own templates are shared so: they read nothing from
    the request but these values, while a site's override may print anything the request
    holds (docs/templatetags.rst). A value None: this kind of visitor's markup is not
    shared.
    """

    def __init__(self, limit: int = 256) -> None:
        self.limit = limit
        self._kinds: dict[Hashable, str | None] = {}

    def __len__(self) -> int:
        return len(self._kinds)

    def get(self, key: Hashable, render: Callable[[], str | None]) -> str | None:
        """The markup kept for ``key``; ``render`` makes it the first time."""
        try:
            return self._kinds[key]
        except KeyError:
            pass
        if len(self._kinds) >= self.limit:
            self._kinds.clear()
        markup = self._kinds[key] = render()
        return markup

    def clear(self) -> None:
        self._kinds.clear()


SHARED = SharedMarkup()


def _shareable(engine: Engine, names: tuple[str, ...]) -> bool:
    """Whether the markup comes from the app's own files only, which read nothing from the
    request, through the cached loader, which keeps serving the templates checked here."""
    # Without it, every request reads its templates again, and a file added meanwhile wins.
    if not all(isinstance(loader, cached.Loader) for loader in engine.template_loaders):
        return False
    return all(_shipped(engine.get_template(name)) for name in names)


_FILE_LOADERS = (filesystem.Loader, app_directories.Loader)
# The app's templates/ folder as Django's file loaders name what they find in it; with the
# trailing separator, so that no other folder whose name merely starts the same matches.
_APP_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_SHIPPED_DIR = os.path.join(_APP_DIR, "templates", "")


def _shipped(template_: Template) -> bool:
    """Whether ``template_`` is the app's own file, read as it is, and not a site's override
    (from DIRS, an app listed first, locmem, a database …), which lives elsewhere."""
    origin = template_.origin
    return type(origin.loader) in _FILE_LOADERS and origin.name.startswith(_SHIPPED_DIR)


@receiver(setting_changed)
@receiver(file_changed)
def _forget_shared_markup(**kwargs: Any) -> None:
    # Settings shape the markup too (STATIC_URL, the static files storage, the app's own):
    # only tests change them while a process runs. And runserver, when a template changes,
    # has the loaders read them again: a site's new override must then show.
    SHARED.clear()


@register.simple_tag(takes_context=True)
def cookie_declaration(context: Context) -> str:
    """The policy's cookie tables, to embed in a site's own privacy page."""
    return declaration(context, get_consent(_request(context, "cookie_declaration")))


def declaration(context: Context, consent: ConsentState) -> SafeString:
    return render_template(context, "cookie_consent/declaration.html", {"consent": consent})


@register.simple_tag(takes_context=True)
def cookie_consent_settings_link(context: Context, text: str = "") -> str:
    """A link that reopens the visitor's choice, for a footer."""
    return settings_link(_request(context, "cookie_consent_settings_link"), text)


def settings_link(request: HttpRequest, text: str = "") -> SafeString:
    return format_html(
        '<a class="cc-settings-link" href="{}" data-cc-open-preferences>{}</a>',
        _preferences_url(request),
        text or _("Cookie settings"),
    )


def _preferences_url(request: HttpRequest) -> str:
    """The preferences page, returning to this page (or, on the consent pages, the origin)."""
    back = request.GET.get("next") if _on_consent_page(request) else None
    query = urlencode({"next": safe_next(request, back, request.get_full_path())})
    return f"{reverse('cookie_consent:preferences')}?{query}"


@register.simple_tag(takes_context=True)
def google_consent_mode(context: Context) -> str:
    """Consent Mode v2 ``default`` for the visitor, in ``<head>`` before any Google tag."""
    consent = get_consent(_request(context, "google_consent_mode"))
    return consent_mode_script(consent, nonce_attribute(context))


def consent_mode_script(consent: ConsentState, nonce: str) -> SafeString:
    return format_html(
        # The app's one script: this copy, not deferred, sets the defaults at once.
        '<script src="{}" data-cc-consent-mode="{}"{}></script>',
        static("cookie_consent/cookie-consent.js"),
        json.dumps(default_command(consent), separators=(",", ":")),
        nonce,
    )


def nonce_attribute(context: Context) -> str:
    """`` nonce="…"`` when the page has a CSP nonce (Django 6's context or django-csp's)."""
    nonce = context.get("csp_nonce") or getattr(context.get("request"), "csp_nonce", None)
    return format_html(' nonce="{}"', nonce) if nonce else ""


@register.filter
def consent_granted(request: HttpRequest | None, slug: str) -> bool:
    """``{% if request|consent_granted:"statistics" %}``."""
    if not isinstance(request, HttpRequest):
        raise ImproperlyConfigured(
            "The consent_granted filter applies to the request: "
            '{% if request|consent_granted:"statistics" %}, with '
            "'django.template.context_processors.request' in your TEMPLATES setting."
        )
    return get_consent(request).granted(slug)


class ConsentGateNode(template.Node):
    def __init__(self, slug: FilterExpression, nodelist: template.NodeList) -> None:
        self.slug = slug
        self.nodelist = nodelist

    def render(self, context: Context) -> str:
        slug = str(self.slug.resolve(context))
        content = self.nodelist.render(context)
        return gate(get_consent(_request(context, "consent_gate")), slug, content)


def gate(consent: ConsentState, slug: str, content: str) -> str:
    """``content`` as it is once ``slug`` is granted; inert until then: nothing in a
    ``<template>`` loads or runs."""
    if consent.granted(slug):
        return content
    return format_html(
        '<template class="cc-gate" data-cc-category="{}">{}</template>', slug, mark_safe(content)
    )


@register.tag
def consent_gate(parser: Parser, token: Token) -> ConsentGateNode:
    """``{% consent_gate "statistics" %}…{% endconsent_gate %}``."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(
            f'{bits[0]} takes one argument, the category\'s slug: {{% {bits[0]} "statistics" %}}'
        )
    nodelist = parser.parse(("endconsent_gate",))
    parser.delete_first_token()
    return ConsentGateNode(parser.compile_filter(bits[1]), nodelist)
