"""What every variant of the benchmark site shares: a small, ordinary Django site.

``BENCH_DB`` names the SQLite file; ``BENCH_PG_NAME`` switches to a PostgreSQL database of
that name on 127.0.0.1 (user postgres). Both are set by benchmarks/run.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

SITE_DIR = Path(__file__).resolve().parents[2]
WORK_DIR = Path(os.environ.get("BENCH_WORK_DIR", SITE_DIR.parent / ".work"))


def database() -> dict[str, Any]:
    pg_name = os.environ.get("BENCH_PG_NAME")
    if pg_name:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": pg_name,
            "USER": "postgres",
            "HOST": "127.0.0.1",
            "PORT": "5432",
        }
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("BENCH_DB", str(WORK_DIR / "bench.sqlite3")),
    }


def templates(variant: str) -> list[dict[str, Any]]:
    """The variant's own templates (its layout) first, then the page they all share."""
    return [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [SITE_DIR / "templates" / variant, SITE_DIR / "templates" / "common"],
            "APP_DIRS": True,
            "OPTIONS": {
                "context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                    "django.contrib.messages.context_processors.messages",
                ]
            },
        }
    ]


SECRET_KEY = "benchmark-only-secret-key-never-use-it-0123456789-abcdefghijklmnop"
DEBUG = False
ALLOWED_HOSTS = ["www.example.com", "127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "benchsite.urls"
WSGI_APPLICATION = "benchsite.wsgi.application"

DATABASES = {"default": database()}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LANGUAGE_CODE = "en"
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# Quiet: a benchmark prints its own results only.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}
