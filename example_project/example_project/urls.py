from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from cookie_consent.views import gpc_json

urlpatterns = [
    path("", include("pages.urls")),
    # The cookie policy, the preferences form and the endpoints that store a decision.
    path("cookies/", include("cookie_consent.urls")),
    # Django's set_language view: the footer's language form posts here.
    path("i18n/", include("django.conf.urls.i18n")),
    # Global Privacy Control support resource: at the site's root, where GPC looks for it.
    path(".well-known/gpc.json", gpc_json),
    path("admin/", admin.site.urls),
]
