from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template, TemplateSyntaxError
from django.test import Client, RequestFactory

pytestmark = pytest.mark.django_db


def render(source: str, path: str = "/page/", **context: object) -> str:
    request = RequestFactory().get(path)
    template = Template("{% load cookie_consent %}" + source)
    return template.render(Context({"request": request, **context}))


def test_banner_needs_the_request() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"context_processors\.request"):
        Template("{% load cookie_consent %}{% cookie_consent_banner %}").render(Context())


def test_banner_posts_to_update_with_csrf_and_next() -> None:
    html = render("{% cookie_consent_banner %}", path="/shop/?item=1")
    assert '<form class="cc-banner__form" method="post" action="/cookies/update/">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<input type="hidden" name="next" value="/shop/?item=1">' in html
    assert 'aria-labelledby="cc-banner-title"' in html
    assert '<details class="cc-banner__choose">' in html
    assert 'href="/cookies/preferences/?next=/shop/%3Fitem%3D1"' in html


def test_gate_renders_inert_content_in_a_template() -> None:
    html = render('{% consent_gate "statistics" %}<img src="/pixel.gif">{% endconsent_gate %}')
    assert html == (
        '<template class="cc-gate" data-cc-category="statistics"><img src="/pixel.gif"></template>'
    )


def test_gate_of_a_consent_free_category_is_live() -> None:
    html = render("{% consent_gate slug %}<b>on</b>{% endconsent_gate %}", slug="necessary")
    assert html == "<b>on</b>"


def test_gate_of_an_unknown_category_stays_inert() -> None:
    html = render('{% consent_gate "nope" %}x{% endconsent_gate %}')
    assert html == '<template class="cc-gate" data-cc-category="nope">x</template>'


def test_gate_needs_exactly_one_argument() -> None:
    with pytest.raises(TemplateSyntaxError, match="takes one argument, the category's slug"):
        Template("{% load cookie_consent %}{% consent_gate %}{% endconsent_gate %}")


def test_consent_granted_filter() -> None:
    source = '{% if request|consent_granted:"statistics" %}yes{% else %}no{% endif %}'
    assert render(source) == "no"
    source = '{% if request|consent_granted:"necessary" %}yes{% else %}no{% endif %}'
    assert render(source) == "yes"


def test_settings_link() -> None:
    assert render("{% cookie_consent_settings_link %}", path="/a/?b=c") == (
        '<a class="cc-settings-link" href="/cookies/preferences/?next=%2Fa%2F%3Fb%3Dc" '
        "data-cc-open-preferences>Cookie settings</a>"
    )
    assert ">Privacy choices</a>" in render('{% cookie_consent_settings_link "Privacy choices" %}')


def test_declaration_lists_every_category_and_cookie() -> None:
    html = render("{% cookie_declaration %}")
    assert html.count("<table") == 1
    assert '<h3 class="cc-declaration__title" id="cc-declaration-necessary">' in html
    assert "<code>sessionid</code>" in html
    assert html.count("No cookies of this type are used.") == 3


def test_banner_is_gone_after_a_decision(client: Client) -> None:
    client.post("/cookies/update/", {"action": "reject_all"})
    assert "cc-banner" not in client.get("/page/").text


def test_consent_granted_needs_the_request() -> None:
    template = Template('{% load cookie_consent %}{% if request|consent_granted:"x" %}{% endif %}')
    with pytest.raises(ImproperlyConfigured, match="applies to the request"):
        template.render(Context())


def test_no_banner_on_the_consent_pages_themselves() -> None:
    from django.urls import resolve

    request = RequestFactory().get("/cookies/preferences/")
    request.resolver_match = resolve("/cookies/preferences/")
    template = Template("{% load cookie_consent %}{% cookie_consent_banner %}")
    assert template.render(Context({"request": request})) == ""
