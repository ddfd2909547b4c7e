"""A ``next`` (or Referer) never takes the visitor off the site."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from tests.toolkit import decide, url

pytestmark = pytest.mark.django_db

SAFE_REFERER = "http://testserver/from/"

# Each of these, followed as a browser reads it, would leave testserver.
OFF_SITE = [
    "https://evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "http:evil.example",
    "https:/evil.example",
    "\t//evil.example",
    " //evil.example",
    "http://testserver@evil.example",
    "https://evil.example%2F@testserver",
]
# Escaped look-alikes: as paths they stay on testserver, so they may be followed.
LOOK_ALIKES = [
    "%2F%2Fevil.example",
    "/%2F%2Fevil.example",
    "/%5Cevil.example",
]
# What browsers ignore or rewrite in a URL (WHATWG URL standard).
_LEADING_IGNORED = "".join(chr(c) for c in range(0x21))
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")


def assert_stays_on_site(location: str, base: str | None = None) -> None:
    """``location`` is a path on this site, or an absolute URL of ``testserver``, read as
    the answer to a request for ``base`` (the update view's URL by default)."""
    base = base or "http://testserver" + url("update")
    parts = urlsplit(location)
    if parts.scheme or parts.netloc or location.startswith(("//", "\\", "/\\")):
        assert parts.scheme in ("http", "https"), location
        # The whole authority: no user information, no other port.
        assert parts.netloc == "testserver", location
    # And as a browser resolves it: "\" is "/", tabs and newlines vanish.
    as_browser = _TAB_OR_NEWLINE.sub("", location.lstrip(_LEADING_IGNORED)).replace("\\", "/")
    resolved = urlsplit(urljoin(base, as_browser))
    assert resolved.scheme in ("http", "https"), location
    assert resolved.netloc == "testserver", location


def location_after(next_: str, *, referer: str | None = None, secure: bool = False) -> str:
    """The Location of a decision posted with ``next_``."""
    headers = {} if referer is None else {"Referer": referer}
    response = decide(Client(), "reject_all", next=next_, secure=secure, headers=headers)
    location: str = response["Location"]
    return location


@pytest.mark.parametrize("next_", OFF_SITE + LOOK_ALIKES)
def test_next_never_leaves_the_site(next_: str) -> None:
    assert_stays_on_site(location_after(next_))


@pytest.mark.parametrize("next_", OFF_SITE)
def test_off_site_next_is_not_followed(next_: str) -> None:
    assert location_after(next_) == "/"


def test_escaped_double_slash_in_a_path_is_followed() -> None:
    assert location_after("/%2F%2Fevil.example") == "/%2F%2Fevil.example"


@pytest.mark.parametrize("next_", OFF_SITE)
def test_off_site_next_falls_back_to_a_safe_referer(next_: str) -> None:
    assert location_after(next_, referer=SAFE_REFERER) == SAFE_REFERER


@pytest.mark.parametrize("referer", OFF_SITE)
def test_off_site_next_and_referer_go_home(referer: str) -> None:
    assert location_after("https://evil.example/", referer=referer) == "/"


def test_off_site_referer_without_next_goes_home() -> None:
    response = decide(Client(), "reject_all", headers={"Referer": "https://evil.example/page/"})
    assert response["Location"] == "/"


def test_safe_next_is_followed_exactly() -> None:
    assert location_after("/page/?a=1") == "/page/?a=1"


def test_safe_next_wins_over_referer() -> None:
    assert location_after("/page/?a=1", referer=SAFE_REFERER) == "/page/?a=1"


def test_absolute_next_on_this_site_is_followed() -> None:
    assert location_after("http://testserver/x") == "http://testserver/x"


def test_over_https_an_http_next_is_refused() -> None:
    assert location_after("http://testserver/x", secure=True) == "/"


def test_over_https_an_https_next_is_followed() -> None:
    assert location_after("https://testserver/x", secure=True) == "https://testserver/x"


def test_over_https_an_http_referer_is_refused() -> None:
    assert location_after("https://evil.example", referer=SAFE_REFERER, secure=True) == "/"


def _hidden_next(content: str) -> str:
    match = re.search(r'<input type="hidden" name="next" value="([^"]*)"', content)
    assert match is not None
    return html.unescape(match[1])


@pytest.mark.parametrize("next_", OFF_SITE)
def test_preferences_form_does_not_carry_an_off_site_next(next_: str) -> None:
    response = Client().get(url("preferences"), {"next": next_})
    assert response.status_code == 200
    hidden = _hidden_next(response.content.decode())
    assert "evil.example" not in hidden
    assert_stays_on_site(hidden, base="http://testserver" + url("preferences"))


def test_preferences_form_falls_back_to_a_safe_referer() -> None:
    response = Client().get(
        url("preferences"), {"next": "https://evil.example"}, headers={"Referer": SAFE_REFERER}
    )
    assert _hidden_next(response.content.decode()) == SAFE_REFERER


def test_preferences_form_carries_a_safe_next_escaped() -> None:
    next_ = '/page/?a=1&b="><script>alert(1)</script>'
    response = Client().get(url("preferences"), {"next": next_})
    content = response.content.decode()
    assert "<script>alert(1)" not in content
    assert _hidden_next(content) == next_
