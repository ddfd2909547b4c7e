"""The one page every variant serves: built in Python, so no variant reads the database."""

from __future__ import annotations

from datetime import date, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

TOPICS = ("Open data", "Transport", "Energy", "Health", "Budget", "Environment")

ARTICLES = [
    {
        "slug": f"article-{number}",
        "title": f"{TOPICS[number % len(TOPICS)]}: what the {2015 + number} figures tell us",
        "topic": TOPICS[number % len(TOPICS)],
        "published": date(2026, 11, 1) - timedelta(days=3 * number),
        "summary": (
            "A short summary of the data set and of what changed since the last release: "
            "new columns, corrected figures and a note on the method used to collect them."
        ),
        "downloads": 1200 + 37 * number,
    }
    for number in range(12)
]


def page(request: HttpRequest) -> HttpResponse:
    return render(request, "bench/page.html", {"articles": ARTICLES, "topics": TOPICS})
