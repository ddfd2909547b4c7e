"""A long-lived Django process that tests/flows/test_multiprocess.py drives over stdin/stdout.

Run as ``python tests/multiprocess_worker.py '<json config>'`` with the repository root on
``PYTHONPATH``. The config names the database (a ``DATABASE_URL``), the Redis location,
the cache key prefix and ``COOKIE_CONSENT_CATALOGUE_REFRESH``. Each stdin line is one JSON
command (``{"op": ..., ...}``); each answer is one JSON line on stdout with ``ok``,
``result`` (or ``error``) and the warnings ``cookie_consent`` logged meanwhile.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, TextIO

import django
import environ
from django.conf import settings

Command = dict[str, Any]


def configure(config: Command) -> None:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="multiprocess-test-only",
        USE_TZ=True,
        DATABASES={"default": environ.Env.db_url_config(config["database_url"])},
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": config["redis_url"],
                # A prefix per test run, so that runs sharing the Redis database never
                # read each other's generation.
                "KEY_PREFIX": config["key_prefix"],
            }
        },
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
            "django.contrib.messages",
            "cookie_consent",
        ],
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        COOKIE_CONSENT_CATALOGUE_REFRESH=config["refresh"],
    )
    django.setup()


class WarningCollector(logging.Handler):
    """Keeps the catalogue's warnings, so that the test can see the degraded path logged."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def describe_catalogue() -> Command:
    from cookie_consent.catalogue.snapshot import get_catalogue

    catalogue = get_catalogue()
    return {
        "categories": [c.slug for c in catalogue.categories],
        "cookies": {c.name: c.category for cat in catalogue.categories for c in cat.cookies},
    }


def category_of(command: Command) -> str | None:
    from cookie_consent.catalogue.snapshot import get_catalogue

    category = get_catalogue().category_of(command["name"])
    return None if category is None else category.slug


def migrate(command: Command) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def create_cookie(command: Command) -> str | None:
    from cookie_consent.models import Cookie, CookieCategory

    Cookie.objects.create(
        category=CookieCategory.objects.get(slug=command["category"]),
        name=command["name"],
        provider="Google Analytics",
        purpose="Multiprocess test",
    )
    # Read back at once: the saving process must not wait for its own edit.
    return category_of(command)


def move_cookie(command: Command) -> Command:
    from cookie_consent.models import Cookie, CookieCategory

    # A queryset update sends no model signal: the queryset must drop the snapshot itself.
    updated = Cookie.objects.filter(name=command["name"]).update(
        category=CookieCategory.objects.get(slug=command["category"])
    )
    return {"updated": updated, "category": category_of(command)}


def delete_category(command: Command) -> Command:
    from cookie_consent.catalogue.snapshot import get_catalogue
    from cookie_consent.models import CookieCategory

    deleted, _ = CookieCategory.objects.filter(slug=command["slug"]).delete()
    return {"deleted": deleted, "present": get_catalogue().category(command["slug"]) is not None}


def has_category(command: Command) -> bool:
    from cookie_consent.catalogue.snapshot import get_catalogue

    return get_catalogue().category(command["slug"]) is not None


def count_queries(command: Command) -> Command:
    """Database queries of one refresh through the cache, then of ``calls`` plain reads."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cookie_consent.catalogue.snapshot import forget_local, get_catalogue

    # Start a refresh window now, so that every counted call falls inside it.
    with CaptureQueriesContext(connection) as refresh:
        forget_local()
        get_catalogue()
    started = time.monotonic()
    with CaptureQueriesContext(connection) as steady:
        for _ in range(command["calls"]):
            get_catalogue()
    return {
        "refresh_queries": len(refresh.captured_queries),
        "queries": len(steady.captured_queries),
        "elapsed": time.monotonic() - started,
    }


def catalogue(command: Command) -> Command:
    return describe_catalogue()


def fresh_catalogue(command: Command) -> Command:
    from cookie_consent.catalogue.snapshot import forget_local

    forget_local()
    return describe_catalogue()


OPERATIONS: dict[str, Callable[[Command], Any]] = {
    "migrate": migrate,
    "category_of": category_of,
    "create_cookie": create_cookie,
    "move_cookie": move_cookie,
    "delete_category": delete_category,
    "has_category": has_category,
    "count_queries": count_queries,
    "catalogue": catalogue,
    "fresh_catalogue": fresh_catalogue,
}


def serve(requests: TextIO, answers: TextIO, collector: WarningCollector) -> None:
    for line in requests:
        command = json.loads(line)
        collector.messages.clear()
        try:
            answer = {"ok": True, "result": OPERATIONS[command["op"]](command)}
        except Exception:
            answer = {"ok": False, "error": traceback.format_exc()}
        answer["warnings"] = list(collector.messages)
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


def main() -> None:
    # Anything Django or a library prints must not be taken for an answer.
    answers, sys.stdout = sys.stdout, sys.stderr
    configure(json.loads(sys.argv[1]))
    collector = WarningCollector()
    logging.getLogger("cookie_consent").addHandler(collector)
    serve(sys.stdin, answers, collector)


if __name__ == "__main__":
    main()
