from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template, TemplateSyntaxError
from django.test import Client, RequestFactory, override_settings

from cookie_consent.models import CookieCategory
from tests.toolkit import decide, url

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
    assert f'<form class="cc-banner__form" method="post" action="{url("update")}">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<input type="hidden" name="next" value="/shop/?item=1">' in html
    assert 'aria-labelledby="cc-banner-title"' in html
    assert '<details class="cc-banner__choose">' in html
    assert f'href="{url("preferences")}?next=/shop/%3Fitem%3D1"' in html


def test_the_banners_form_says_its_actions_and_method_in_the_records_vocabulary() -> None:
    from cookie_consent.consent.decisions import Action, Method

    html = render("{% cookie_consent_banner %}")
    assert f'<input type="hidden" name="method" value="{Method.BANNER.value}">' in html
    actions = re.findall(r'name="action" value="(\w+)"', html)
    assert actions == [Action.ACCEPT_ALL.value, Action.REJECT_ALL.value, Action.SAVE.value]


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
        f'<a class="cc-settings-link" href="{url("preferences")}?next=%2Fa%2F%3Fb%3Dc" '
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
    decide(client, "reject_all")
    assert "cc-banner" not in client.get("/page/").text


def test_consent_granted_needs_the_request() -> None:
    template = Template('{% load cookie_consent %}{% if request|consent_granted:"x" %}{% endif %}')
    with pytest.raises(ImproperlyConfigured, match="applies to the request"):
        template.render(Context())


def test_no_banner_on_the_consent_pages_themselves() -> None:
    from django.urls import resolve

    request = RequestFactory().get(url("preferences"))
    request.resolver_match = resolve(url("preferences"))
    template = Template("{% load cookie_consent %}{% cookie_consent_banner %}")
    html = template.render(Context({"request": request}))
    assert "cc-banner" not in html
    # The assets stay, for the footer's settings link; the dialog would repeat the page.
    assert '<script src="/static/cookie_consent/cookie-consent.js" defer>' in html
    assert "<dialog" not in html


def state_island(html: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" data-cc-state[^>]*>(.*?)</script>', html)
    assert match is not None, html
    return json.loads(match[1])  # type: ignore[no-any-return]


def test_banner_tag_brings_the_assets_to_every_page(client: Client) -> None:
    decide(client, "reject_all")
    page = client.get("/page/").text

    assert '<link rel="stylesheet" href="/static/cookie_consent/cookie-consent.css">' in page
    assert '<script src="/static/cookie_consent/cookie-consent.js" defer></script>' in page
    assert "<dialog" in page
    assert state_island(page)["needs_decision"] is False


def test_the_script_gets_the_pages_state_without_the_long_texts() -> None:
    CookieCategory.objects.filter(slug="statistics").update(name="</script><!-- & more")
    html = render("{% cookie_consent_banner %}")

    state = state_island(html)
    assert [c["slug"] for c in state["categories"]] == [
        "necessary",
        "statistics",
        "first_party",
        "third_party",
    ]
    assert set(state["categories"][1]) == {
        "slug",
        "name",
        "required",
        "needs_consent",
        "granted",
        "status",
        "consent_mode",
    }
    # Nothing in a name can end the <script> element early.
    assert state["categories"][1]["name"] == "</script><!-- & more"
    assert "\\u003C/script\\u003E\\u003C!-- \\u0026 more" in html


def test_the_scripts_texts_are_translatable_attributes() -> None:
    html = render("{% cookie_consent_banner %}")
    assert 'data-cc-saved="Your cookie choices are saved."' in html
    assert 'data-cc-failed="Your cookie choice could not be saved. Please try again."' in html
    assert "data-cc-withdrawn=" in html
    assert f'data-cc-preferences-url="{url("preferences")}?next=%2Fpage%2F"' in html


def test_every_element_carries_the_nonce() -> None:
    html = render("{% google_consent_mode %}{% cookie_consent_banner %}", csp_nonce="n0nce")
    tags = re.findall(r"<(?:script|link|style)\b[^>]*>", html)
    assert len(tags) == 4
    assert all(' nonce="n0nce"' in tag for tag in tags), tags


def test_what_gpc_would_refuse_is_marked_for_the_script() -> None:
    CookieCategory.objects.filter(slug="first_party").update(honors_gpc=False)
    html = render("{% cookie_consent_banner %}")

    assert " data-cc-honor-gpc>" in html
    marked = re.findall(
        r'<div class="cc-choice"( data-cc-gpc)?>\s*<input [^>]*value="(\w+)"', html
    )
    assert marked == [
        (" data-cc-gpc", "statistics"),
        ("", "first_party"),
        (" data-cc-gpc", "third_party"),
    ]
    template = html[html.index("<template data-cc-gpc-template>") :]
    assert "these cookies: Statistical cookies, Third-party cookies." in template


@override_settings(COOKIE_CONSENT_HONOR_GPC=False)
def test_nothing_is_marked_when_the_site_ignores_gpc() -> None:
    html = render("{% cookie_consent_banner %}")
    assert "data-cc-gpc" not in html
    assert "data-cc-honor-gpc" not in html
    assert 'id="cc-banner"' in html


def test_decided_pages_reuse_markup_but_carry_their_own_url_and_id() -> None:
    from cookie_consent.consent.banner_cache import SHARED

    SHARED.clear()
    first, second = Client(), Client()
    for client in (first, second):
        decide(client, "reject_all")
    pages = [first.get("/page/?a=1").text, second.get("/page/?b=2").text]
    assert len(SHARED) == 1
    for client, text, path in zip(
        (first, second), pages, ("/page/?a=1", "/page/?b=2"), strict=True
    ):
        assert state_island(text)["consent_id"] == client.get(url("api")).json()["consent_id"]
        assert f'data-cc-preferences-url="{url("preferences", next=path)}"' in text
        assert "placeholder" not in text


def test_the_shared_markup_keeps_a_bounded_number_of_kinds() -> None:
    from cookie_consent.consent.banner_cache import SharedMarkup

    made: list[str] = []

    def render(kind: str) -> Callable[[], str]:
        def markup() -> str:
            made.append(kind)
            return f"<{kind}>"

        return markup

    shared = SharedMarkup(limit=3)
    assert [shared.get(kind, render(kind)) for kind in "abca"] == ["<a>", "<b>", "<c>", "<a>"]
    assert made == ["a", "b", "c"]
    assert len(shared) == 3
    # A kind more starts again from nothing, rather than keep the ones seen first.
    assert shared.get("d", lambda: None) is None
    assert len(shared) == 1


def test_a_path_naming_a_placeholder_is_not_filled_in(client: Client) -> None:
    text = client.get("/page/?cc-csrf-placeholder=cc-id-placeholder").text
    assert "next=/page/%3Fcc-csrf-placeholder%3Dcc-id-placeholder" in text
