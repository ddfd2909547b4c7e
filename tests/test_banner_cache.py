"""The banner tag's shared markup (issue 11, defect 2).

``{% cookie_consent_banner %}`` renders its markup once per kind of visitor and fills in
each request's own values. That is safe only for the app's own templates, which read
nothing from the request: a site's override may print ``{{ request.GET.q }}`` or
``{{ request.user.username }}``, and each visitor must then see only their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.apps import AppConfig
from django.conf import settings
from django.contrib.auth.models import User
from django.template import engines
from django.test import Client, RequestFactory, override_settings
from django.urls import clear_script_prefix, include, path, set_script_prefix, set_urlconf
from django.utils.autoreload import file_changed

from tests.factories import make_category, make_cookie
from tests.toolkit import decide, url

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

SITE_TEMPLATES = Path(__file__).parent / "templates"
OVERRIDES = SITE_TEMPLATES / "override_banner"
BANNER_OVERRIDE = OVERRIDES / "templates"  # also the templates/ of OverridingApp below
PROCESSORS = [
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
]
APP_LOADERS = [
    "django.template.loaders.filesystem.Loader",
    "django.template.loaders.app_directories.Loader",
]

# For a request whose urlconf a middleware chose (one site per host, say).
urlpatterns = [path("elsewhere/", include("cookie_consent.urls"))]


def templates(*dirs: Path, loaders: list[Any] | None = None) -> list[dict[str, Any]]:
    """The test settings' TEMPLATES, with ``dirs`` searched first."""
    options: dict[str, Any] = {"context_processors": PROCESSORS}
    if loaders is not None:
        options["loaders"] = loaders
    return [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [*dirs, SITE_TEMPLATES],
            "APP_DIRS": loaders is None,
            "OPTIONS": options,
        }
    ]


class OverridingApp(AppConfig):
    """A site's app listed before cookie_consent, with its own cookie_consent/banner.html."""

    name = "tests"
    label = "override_banner"
    path = str(OVERRIDES)


def banner_source() -> dict[str, str]:
    return {
        "cookie_consent/banner.html": (BANNER_OVERRIDE / "cookie_consent/banner.html").read_text()
    }


def overridden_by(way: str) -> override_settings:
    if way == "DIRS":
        return override_settings(TEMPLATES=templates(BANNER_OVERRIDE))
    if way == "an app before cookie_consent":
        apps = list(settings.INSTALLED_APPS)
        apps.insert(apps.index("cookie_consent"), f"{__name__}.OverridingApp")
        return override_settings(INSTALLED_APPS=apps)
    locmem = ("django.template.loaders.locmem.Loader", banner_source())
    if way == "the cached loader over locmem":
        cached = ("django.template.loaders.cached.Loader", [locmem, *APP_LOADERS])
        return override_settings(TEMPLATES=templates(loaders=[cached]))
    return override_settings(TEMPLATES=templates(loaders=[locmem, *APP_LOADERS]))


@pytest.fixture(
    params=[
        "DIRS",
        "an app before cookie_consent",
        "the cached loader over locmem",
        "locmem without the cached loader",
    ]
)
def banner_override(request: pytest.FixtureRequest) -> Iterator[None]:
    with overridden_by(request.param):
        yield


def visitor_lines(html: str) -> list[str]:
    """What the overrides print from the request."""
    return re.findall(r"<p [^>]*data-visitor>(.*?)</p>", html)


def rendered(response: Response) -> list[str]:
    """The templates the response rendered (the test client records them)."""
    return [template.name for template in response.templates if template.name]


def decided_visitor() -> Client:
    client = Client()
    decide(client, "reject_all")
    return client


def render_page(source: str) -> str:
    page = engines["django"].from_string("{% load cookie_consent %}" + source)
    return page.render({}, RequestFactory().get("/page/"))


@pytest.mark.usefixtures("banner_override")
def test_an_overridden_banner_shows_each_visitor_only_their_own_search() -> None:
    first = Client().get("/page/?q=tulips").text
    second = Client().get("/page/?q=<b>planted</b>").text
    third = Client().get("/page/").text
    assert visitor_lines(first) == ["guest searched for tulips"]
    assert visitor_lines(second) == ["guest searched for &lt;b&gt;planted&lt;/b&gt;"]
    assert visitor_lines(third) == ["guest searched for "]


@override_settings(TEMPLATES=templates(BANNER_OVERRIDE))
def test_an_overridden_banner_shows_each_user_only_their_own_name() -> None:
    pages = {}
    for name in ("alice", "bob"):
        client = Client()
        client.force_login(User.objects.create_user(name))
        pages[name] = client.get("/page/").text
    assert visitor_lines(pages["alice"]) == ["alice searched for "]
    assert visitor_lines(pages["bob"]) == ["bob searched for "]


@override_settings(TEMPLATES=templates(OVERRIDES / "root"))
def test_an_overridden_root_shows_each_decided_visitor_only_their_own_search() -> None:
    pages = [decided_visitor().get(f"/page/?q={q}").text for q in ("tulips", "roses")]
    assert [visitor_lines(page) for page in pages] == [
        ["guest searched for tulips"],
        ["guest searched for roses"],
    ]


@pytest.mark.parametrize(
    "headers", [{}, {"Sec-GPC": "1"}], ids=["inside the banner", "instead of the banner"]
)
@override_settings(TEMPLATES=templates(OVERRIDES / "gpc_notice"))
def test_an_overridden_gpc_notice_shows_each_visitor_only_their_own_search(
    headers: dict[str, str],
) -> None:
    pages = [Client(headers=headers).get(f"/page/?q={q}").text for q in ("tulips", "roses")]
    assert [visitor_lines(page) for page in pages] == [
        ["guest searched for tulips"],
        ["guest searched for roses"],
    ]


def test_the_shipped_templates_are_rendered_once_per_kind_of_visitor() -> None:
    first, second = Client().get("/page/"), Client().get("/page/?q=roses")
    update = url("update")
    set_script_prefix("/shop/")  # as Django's WSGI handler does for SCRIPT_NAME=/shop
    try:
        mounted = Client().get("/page/", SCRIPT_NAME="/shop")
    finally:
        clear_script_prefix()
    assert {"cookie_consent/root.html", "cookie_consent/banner.html"} <= set(rendered(first))
    assert not [name for name in rendered(second) if name.startswith("cookie_consent/")]
    assert '<input type="hidden" name="next" value="/page/?q=roses">' in second.text
    # A site mounted under another prefix is another kind of visitor: its own form action.
    assert f'action="/shop{update}"' in mounted.text
    assert f'action="{update}"' not in mounted.text


@override_settings(TEMPLATES=templates(BANNER_OVERRIDE))
def test_an_overridden_banner_leaves_the_cache_to_decided_visitors() -> None:
    new = [Client().get(f"/page/?q={q}") for q in ("tulips", "roses")]
    decided = [decided_visitor().get("/page/") for _ in range(2)]
    assert ["cookie_consent/banner.html" in rendered(page) for page in new] == [True, True]
    # Their markup includes no banner: the override cannot show there, the cache serves it.
    assert "cookie_consent/root.html" in rendered(decided[0])
    assert "cookie_consent/root.html" not in rendered(decided[1])
    assert decided[0].text.count("data-cc-root") == decided[1].text.count("data-cc-root") == 1


def test_a_settings_change_reaches_the_shared_markup() -> None:
    Client().get("/page/")
    with override_settings(STATIC_URL="https://cdn.example.com/assets/"):
        text = Client().get("/page/").text
    assert 'href="https://cdn.example.com/assets/cookie_consent/cookie-consent.css"' in text


def test_a_page_that_turns_autoescape_off_leaves_other_pages_escaped() -> None:
    make_cookie(category=make_category(slug="stats", name="Stats & <i>more</i>"), name="_st")
    render_page("{% autoescape off %}{% cookie_consent_banner %}{% endautoescape %}")
    html = render_page("{% cookie_consent_banner %}")
    assert "Stats &amp; &lt;i&gt;more&lt;/i&gt;" in html
    assert "<i>more</i>" not in html


def test_a_request_with_its_own_urlconf_gets_its_own_urls() -> None:
    render_page("{% cookie_consent_banner %}")
    set_urlconf(__name__)
    try:
        html = render_page("{% cookie_consent_banner %}")
    finally:
        set_urlconf(None)
    assert 'action="/elsewhere/update/"' in html
    assert 'href="/elsewhere/preferences/?next=' in html


def test_an_override_added_while_runserver_runs_shows_once_templates_reload(
    tmp_path: Path,
) -> None:
    with override_settings(TEMPLATES=templates(tmp_path)):
        assert 'id="cc-banner"' in Client().get("/page/").text  # the app's own banner
        override = tmp_path / "cookie_consent" / "banner.html"
        override.parent.mkdir()
        override.write_text(banner_source()["cookie_consent/banner.html"])
        file_changed.send(sender=None, file_path=override)  # what runserver's reloader sends
        text = Client().get("/page/?q=tulips").text
    assert visitor_lines(text) == ["guest searched for tulips"]
