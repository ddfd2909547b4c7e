"""The in-process benchmark worker: Django's WSGI handler called directly, no server.

run.py starts one worker per site variant, with the Python of the virtualenv that variant
needs (django-cookie-consent lives in its own, since both apps import as
``cookie_consent``). This file imports Django and the benchmark site only, never either
app itself: the variant's settings and ``benchsite.variants.<name>`` bring the app in.

The worker sets up a fresh database, declares the catalogue, obtains the consent cookies
by POSTing the variant's own accept and reject forms, then answers commands, one JSON
object per line on stdin, one JSON answer per line on stdout:

- ``{"op": "check", "scenario": s}``: status, size, cookies set, banner shown, gate live;
- ``{"op": "time", "scenario": s, "n": n}``: wall-clock and CPU seconds of n requests;
- ``{"op": "io", "scenario": s, "n": n, "cold": b}``: queries and cache operations;
- ``{"op": "profile", "scenario": s, "n": n, "top": k}``: cProfile of the app's functions;
- ``{"op": "quit"}``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib
import io
import json
import os
import pstats
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benchsite.scenario import Request

SITE_DIR = Path(__file__).resolve().parent / "site"

# The cache operations that are one round trip to a shared cache. get_or_set is not one
# of them: it is counted as the operations it makes (get, then add and get on a miss).
# A call made inside another counted call (LocMemCache's get_many calling get) is not
# counted again.
CACHE_OPERATIONS = (
    "get",
    "set",
    "add",
    "delete",
    "touch",
    "incr",
    "decr",
    "has_key",
    "clear",
    "get_many",
    "set_many",
    "delete_many",
)

GATE_INERT = '<template class="cc-gate" data-cc-category="statistics"><script src="/static/bench/'
GATE_SCRIPT = '<script src="/static/bench/analytics.js"'
BANNER = 'id="cc-banner"'

Response = tuple[str, list[tuple[str, str]], bytes]


class Client:
    """Prepared WSGI environs for each request, and the handler that answers them."""

    def __init__(self, handler: Callable[..., Any]) -> None:
        self.handler = handler

    @staticmethod
    def environ(request: Request) -> dict[str, Any]:
        from benchsite.scenario import HOST

        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": request.path.split("?", 1)[0],
            "QUERY_STRING": request.path.split("?", 1)[1] if "?" in request.path else "",
            "SERVER_NAME": HOST,
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": HOST,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        for name, value in request.headers.items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        if request.cookies:
            environ["HTTP_COOKIE"] = request.cookie_header
        if request.body:
            environ["CONTENT_TYPE"] = request.content_type
            environ["CONTENT_LENGTH"] = str(len(request.body))
        return environ

    def call(self, environ: dict[str, Any], body: bytes) -> Response:
        # A copy: Django keeps the environ as request.META, which middleware may change.
        environ = dict(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        started: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            started[:] = [status, headers]
            return None

        result = self.handler(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return started[0], started[1], content

    def send(self, request: Request) -> Response:
        return self.call(self.environ(request), request.body)

    def repeat(self, request: Request, n: int) -> tuple[float, float]:
        """Wall-clock and CPU seconds of ``n`` identical requests, the collector left on.

        CPU time leaves out the time this process waited for a CPU that another took: on
        a busy machine it is the steadier measure of what a request costs (it also leaves
        out waiting for the disk and for the database server, so POSTs use wall-clock).
        """
        environ, body, call = self.environ(request), request.body, self.call
        gc.collect()
        cpu_started, started = time.process_time(), time.perf_counter()
        for _ in range(n):
            call(environ, body)
        return time.perf_counter() - started, time.process_time() - cpu_started


def set_cookies(headers: list[tuple[str, str]]) -> list[dict[str, str]]:
    """Every Set-Cookie header as name, value and whether it deletes the cookie."""
    cookies = []
    for name, value in headers:
        if name.lower() != "set-cookie":
            continue
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(value)
        for morsel in parsed.values():
            deletes = morsel["max-age"] == "0" or "1970" in morsel["expires"]
            cookies.append(
                {
                    "name": morsel.key,
                    # As the browser sends it back: quoted where the server quoted it.
                    "value": morsel.coded_value,
                    "delete": deletes,
                    "domain": morsel["domain"],
                }
            )
    return cookies


def check(response: Response) -> dict[str, Any]:
    status, headers, body = response
    text = body.decode("utf-8", "replace")
    if GATE_INERT in text:
        gate = "inert"
    elif GATE_SCRIPT in text:
        gate = "live"
    else:
        gate = "absent"
    header = {name.lower(): value for name, value in headers}
    return {
        "status": int(status.split()[0]),
        "bytes": len(body),
        "banner": BANNER in text,
        "gate": gate,
        "set_cookies": set_cookies(headers),
        "vary": header.get("vary", ""),
        "location": header.get("location", ""),
        "content_type": header.get("content-type", ""),
    }


class CacheCounter:
    """Counts round trips to every configured cache while installed."""

    def __init__(self) -> None:
        self.operations: Counter[str] = Counter()
        self._depth = 0

    @contextmanager
    def installed(self) -> Iterator[CacheCounter]:
        from django.conf import settings
        from django.core.cache import caches

        backends = [caches[alias] for alias in settings.CACHES]
        for backend in backends:
            for name in CACHE_OPERATIONS:
                # On the instance, so isinstance() checks on the backend still hold.
                setattr(backend, name, self._counted(getattr(backend, name), name))
        try:
            yield self
        finally:
            for backend in backends:
                for name in CACHE_OPERATIONS:
                    delattr(backend, name)

    def _counted(self, method: Callable[..., Any], name: str) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            if self._depth == 0:
                self.operations[name] += 1
            self._depth += 1
            try:
                return method(*args, **kwargs)
            finally:
                self._depth -= 1

        return counted


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        self.statements.append(sql)
        return execute(sql, *args)

    @contextmanager
    def installed(self) -> Iterator[QueryCounter]:
        from contextlib import ExitStack

        from django.db import connections

        with ExitStack() as stack:
            for connection in connections.all():
                stack.enter_context(connection.execute_wrapper(self))
            yield self


class Worker:
    def __init__(self, variant: ModuleType, client: Client, scenarios: dict[str, Request]) -> None:
        self.variant = variant
        self.client = client
        self.scenarios = scenarios

    def handle(self, command: dict[str, Any]) -> dict[str, Any]:
        request = self.scenarios[command["scenario"]]
        op = command["op"]
        if op == "check":
            return check(self.client.send(request))
        if op == "time":
            seconds, cpu_seconds = self.client.repeat(request, command["n"])
            return {"seconds": seconds, "cpu_seconds": cpu_seconds}
        if op == "io":
            return self.io(request, command["n"], cold=command["cold"])
        if op == "profile":
            return self.profile(request, command["n"], command["top"])
        raise ValueError(f"unknown op {op!r}")

    def io(self, request: Request, n: int, *, cold: bool) -> dict[str, Any]:
        if cold:
            self.variant.make_cold()
        else:
            self.client.send(request)  # whatever a first request fills is filled
        with QueryCounter().installed() as queries, CacheCounter().installed() as cache:
            for _ in range(n):
                self.client.send(request)
        return {
            "requests": n,
            "queries": len(queries.statements),
            "cache": sum(cache.operations.values()),
            "cache_operations": dict(cache.operations),
            "statements": sorted(set(queries.statements))[:5],
        }

    def profile(self, request: Request, n: int, top: int) -> dict[str, Any]:
        """The app's own functions by cumulative time, per request."""
        app_dir = str(Path(self.variant.describe()["module"]).parent) + os.sep
        environ, body = self.client.environ(request), request.body
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(n):
            self.client.call(environ, body)
        profiler.disable()
        elapsed = time.perf_counter() - started
        stats = pstats.Stats(profiler)
        rows = []
        for (filename, line, function), entry in stats.stats.items():  # type: ignore[attr-defined]
            if not filename.startswith(app_dir):
                continue
            _, ncalls, tottime, cumtime, _ = entry
            rows.append(
                {
                    "function": f"{filename[len(app_dir) :]}:{line}({function})",
                    "calls": ncalls / n,
                    "tottime_us": tottime / n * 1e6,
                    "cumtime_us": cumtime / n * 1e6,
                }
            )
        rows.sort(key=lambda row: row["cumtime_us"], reverse=True)
        return {
            "us_per_request": elapsed / n * 1e6,
            # Time in the app's own lines, without what they call (Django, templates).
            "own_us_per_request": sum(row["tottime_us"] for row in rows),
            "rows": rows[:top],
        }


def consent_cookie(client: Client, request: Request, name: str) -> str:
    """The consent cookie the variant's own form sets, as a browser would keep it."""
    status, headers, _ = client.send(request)
    for cookie in set_cookies(headers):
        if cookie["name"] == name and not cookie["delete"]:
            return cookie["value"]
    raise RuntimeError(
        f"{request.method} {request.path} answered {status} without a {name} cookie"
    )


def start(variant_name: str, catalogue_size: int) -> Worker:
    sys.path.insert(0, str(SITE_DIR))
    os.environ["DJANGO_SETTINGS_MODULE"] = f"benchsite.settings.{variant_name}"
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "sqlite":
        # A fresh database every run: the catalogue and the records start empty.
        Path(connection.settings_dict["NAME"]).unlink(missing_ok=True)
    call_command("migrate", verbosity=0, interactive=False)
    variant = importlib.import_module(f"benchsite.variants.{variant_name}")
    variant.prepare(catalogue_size)
    client = Client(WSGIHandler())
    consent = {
        action: consent_cookie(client, request, variant.CONSENT_COOKIE)
        for action, request in variant.consent_posts().items()
    }
    return Worker(variant, client, variant.scenarios(consent))


def describe(worker: Worker) -> dict[str, Any]:
    import django

    return {
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "django": django.get_version(),
        "app": worker.variant.describe(),
        "scenarios": {
            name: {
                "method": request.method,
                "path": request.path,
                "headers": request.header_lines(),
            }
            for name, request in worker.scenarios.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variant", help="a module of benchsite/variants, e.g. guard")
    parser.add_argument("--catalogue", type=int, default=4, help="declared cookies")
    args = parser.parse_args()
    # Answers go to the real stdout; anything else printed (Django, warnings) to stderr.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    worker = start(args.variant, args.catalogue)
    answers.write(json.dumps({"ready": describe(worker)}) + "\n")
    for line in sys.stdin:
        command = json.loads(line)
        if command["op"] == "quit":
            break
        answers.write(json.dumps(worker.handle(command)) + "\n")


if __name__ == "__main__":
    main()
