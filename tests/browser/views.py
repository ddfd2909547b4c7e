"""The browser tests' site: a few pages, every one under a strict Content-Security-Policy."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render

# No 'unsafe-inline' anywhere: what the app emits must work under this policy.
CSP = "default-src 'self'; script-src 'self'; style-src 'self'"
# Stricter still: only elements that carry the page's nonce.
NONCE = "browser-test-nonce"
NONCE_CSP = f"default-src 'self'; script-src 'nonce-{NONCE}'; style-src 'nonce-{NONCE}'"
ASSETS = Path(__file__).resolve().parent / "assets"

View = Callable[..., HttpResponse]


def strict_csp(view: View) -> View:
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = CSP
        return response

    return wrapped


@strict_csp
def home(request: HttpRequest) -> HttpResponse:
    """Gated scripts and content, the banner, the footer's settings link."""
    return render(request, "browser/home.html")


@strict_csp
def consent_mode(request: HttpRequest) -> HttpResponse:
    """The home page with ``{% google_consent_mode %}`` in its head."""
    return render(request, "browser/home.html", {"consent_mode": True})


@strict_csp
def other(request: HttpRequest) -> HttpResponse:
    """A page with no script of its own, to see what the next response does."""
    return render(request, "browser/other.html")


@strict_csp
def writes_ga(request: HttpRequest) -> HttpResponse:
    """A page whose own script writes ``_ga``, consent or not, as a careless tag would."""
    return render(request, "browser/writes_ga.html")


@strict_csp
def sets_ga(request: HttpRequest) -> HttpResponse:
    """A page whose response sets ``_ga``: the middleware must keep it from the browser."""
    response = render(request, "browser/other.html")
    response.set_cookie("_ga", "GA1.1.server")
    return response


def nonce_only(request: HttpRequest) -> HttpResponse:
    """A page whose policy trusts nothing but its nonce, given as Django 6's ``csp`` does."""
    response = render(request, "browser/nonce.html", {"csp_nonce": NONCE, "consent_mode": True})
    response["Content-Security-Policy"] = NONCE_CSP
    return response


def asset(request: HttpRequest, name: str) -> FileResponse:
    """The pages' own scripts, from this origin (script-src 'self')."""
    return FileResponse((ASSETS / f"{name}.js").open("rb"), content_type="text/javascript")


def favicon(request: HttpRequest) -> HttpResponse:
    """Chromium asks for one on every visit; a 404 would be a console error."""
    return HttpResponse(status=204)


# What an attacker's page answers where the script looks for the preferences form: its
# handler would run with the origin of the page it is inserted into.
FORGED_PREFERENCES = (
    "<!DOCTYPE html><title>Forged</title><div data-cc-preferences><h1>Forged preferences</h1>"
    '<img src="x" onerror="window.__pwned = document.title = \'pwned\'"></div>'
)


def visitor_content(request: HttpRequest) -> HttpResponse:
    """A page showing what a visitor wrote: ``?link=`` is a link in their comment.

    No Content-Security-Policy, as on many sites: under the strict one, ``connect-src``
    would block a fetch to another origin before the script's own check is tested.
    """
    return render(request, "browser/visitor_content.html", {"link": request.GET["link"]})


def uploaded(request: HttpRequest) -> HttpResponse:
    """A file a visitor uploaded, served by the site itself: same origin, another path."""
    return HttpResponse(FORGED_PREFERENCES)
