"""The example site's pages: plain templates, so that every cookie comes from Django."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/home.html")


def about(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/about.html")


def analytics(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/analytics.html")
