"""The browser tests' site; tests use it with ``@pytest.mark.urls("tests.browser.urls")``."""

from __future__ import annotations

from django.urls import URLPattern, include, path

from cookie_consent import urls as consent_urls
from cookie_consent.views import gpc_json
from tests.browser import views


def _under_strict_csp(patterns: list[URLPattern]) -> list[URLPattern]:
    """The app's own views too, so that the dialog's page is held to the same policy."""
    return [path(str(p.pattern), views.strict_csp(p.callback), name=p.name) for p in patterns]


urlpatterns = [
    path("", views.home),
    path("consent-mode/", views.consent_mode),
    path("other/", views.other),
    path("writes-ga/", views.writes_ga),
    path("sets-ga/", views.sets_ga),
    path("nonce/", views.nonce_only),
    path("assets/<slug:name>.js", views.asset),
    path("favicon.ico", views.favicon),
    path("visitor-content/", views.visitor_content),
    path("uploads/preferences.html", views.uploaded),
    path("cookies/", include((_under_strict_csp(consent_urls.urlpatterns), "cookie_consent"))),
    path(".well-known/gpc.json", gpc_json),
]
