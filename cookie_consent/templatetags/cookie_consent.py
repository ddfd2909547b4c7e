"""Template tags: ``{% load cookie_consent %}``; each is a thin wrapper over a function.

A tag takes from the template's context what its function needs (the request, the CSP
nonce) and calls the function, in the consent part: ``cookie_consent.consent.banner``
for the banner, ``cookie_consent.consent.markup`` for the rest.
"""

from __future__ import annotations

from django import template
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.template.base import FilterExpression, Parser, Token
from django.template.context import Context
from django.utils.html import format_html

from cookie_consent.consent.banner import RootValues, render_banner
from cookie_consent.consent.markup import consent_mode_script, declaration, gate, settings_link
from cookie_consent.consent.state import get_consent

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


@register.simple_tag(takes_context=True)
def cookie_consent_banner(context: Context) -> str:
    """The app's stylesheet and script, and the banner while a decision is needed."""
    request = _request(context, "cookie_consent_banner")
    return render_banner(context, RootValues.of(request, nonce_attribute(context)))


@register.simple_tag(takes_context=True)
def cookie_declaration(context: Context) -> str:
    """The policy's cookie tables, to embed in a site's own privacy page."""
    return declaration(context, get_consent(_request(context, "cookie_declaration")))


@register.simple_tag(takes_context=True)
def cookie_consent_settings_link(context: Context, text: str = "") -> str:
    """A link that reopens the visitor's choice, for a footer."""
    return settings_link(_request(context, "cookie_consent_settings_link"), text)


@register.simple_tag(takes_context=True)
def google_consent_mode(context: Context) -> str:
    """Consent Mode v2 ``default`` for the visitor, in ``<head>`` before any Google tag."""
    consent = get_consent(_request(context, "google_consent_mode"))
    return consent_mode_script(consent, nonce_attribute(context))


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
