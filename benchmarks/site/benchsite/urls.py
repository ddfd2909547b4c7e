from __future__ import annotations

from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path

from benchsite import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.page, name="home"),
    path("news/", views.page, name="news"),
    path("about/", views.page, name="about"),
    path("contact/", views.page, name="contact"),
    path("newsletter/", views.page, name="newsletter"),
]

if settings.BENCH_VARIANT in ("guard", "dcc"):
    # Either app's URLs, where each app's documentation puts them.
    urlpatterns.append(path("cookies/", include("cookie_consent.urls")))
