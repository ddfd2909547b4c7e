"""tests.settings with a user model keyed by UUID; always SQLite in memory and a local cache.

The process runs beside the main test run: it must share no database or cache with it.
"""

from __future__ import annotations

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.uuid_users"]
AUTH_USER_MODEL = "uuid_users.User"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
