"""The test site served over HTTP by a real process, for tests/flows/test_outages.py.

Run as ``python tests/outage_server.py '<json config>'`` with the repository root on
``PYTHONPATH``. The config names the database (a ``DATABASE_URL``), the cache (a
``CACHES`` entry), ``COOKIE_CONSENT_CATALOGUE_REFRESH`` and the file the
``cookie_consent`` log goes to, one record a line: ``LEVEL logger message``. With
``"migrate": true`` the process migrates the database and exits; otherwise it serves the
test site (tests/urls.py) on a free port of 127.0.0.1, one thread per request as
production servers do, and prints the port on its first line of output.
"""

from __future__ import annotations

import json
import sys
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import django
import environ
from django.conf import settings

from tests import settings as test_settings


def configure(config: dict[str, Any]) -> None:
    site = {name: getattr(test_settings, name) for name in dir(test_settings) if name.isupper()}
    database = environ.Env.db_url_config(config["database_url"])
    if database["ENGINE"] == "django.db.backends.postgresql":
        # A stopped server refuses at once; a vanished host must not hold a thread long.
        database["OPTIONS"] = {"connect_timeout": 2}
    site.update(
        DATABASES={"default": database},
        CACHES={"default": config["cache"]},
        COOKIE_CONSENT_CATALOGUE_REFRESH=config["refresh"],
        LOGGING={
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"line": {"format": "%(levelname)s %(name)s %(message)s"}},
            "handlers": {
                "file": {
                    "class": "logging.FileHandler",
                    "filename": config["log"],
                    "formatter": "line",
                }
            },
            "loggers": {"cookie_consent": {"handlers": ["file"], "level": "INFO"}},
        },
    )
    settings.configure(**site)
    django.setup()


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """The test measures the answers; a line per request would only fill stderr."""


def main() -> None:
    config = json.loads(sys.argv[1])
    configure(config)
    if config.get("migrate"):
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        return
    from django.core.wsgi import get_wsgi_application

    server = make_server(
        "127.0.0.1", 0, get_wsgi_application(), ThreadingServer, handler_class=QuietHandler
    )
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
