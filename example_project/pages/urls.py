from __future__ import annotations

from django.urls import path

from . import views

app_name = "pages"

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("analytics/", views.analytics, name="analytics"),
]
