"""The site under a database that stops and a cache server that hangs.

The slow tests use real processes: a server process (tests/outage_server.py) serves the
test site over HTTP. Its database is a PostgreSQL server of this module's own, on a free
port, that the tests stop and start under the running site (never the machine's shared
one); the hung cache is a socket that accepts connections and never answers. The others
check the 503 page of a process without a catalogue through Django's test client.
"""

from __future__ import annotations

import glob
import http.client
import inspect
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
import pytest
import redis.connection
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from cookie_consent.catalogue import snapshot as catalogue
from cookie_consent.middleware import CookieConsentMiddleware
from tests.toolkit import url

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVER = Path(__file__).resolve().parents[1] / "outage_server.py"
LOCAL_MEMORY = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
BANNER = b'id="cc-banner"'
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivatePostgres:
    """A PostgreSQL server in a temporary directory, which the tests may stop at will."""

    def __init__(self) -> None:
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        assert binaries, "PostgreSQL's server binaries are not in /usr/lib/postgresql/*/bin"
        self.bin = Path(binaries[-1]).parent
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="cookie-guard-outage-pg-"))
        self.data = self.dir / "data"
        # PostgreSQL refuses to run as root.
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(self.dir, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *arguments: str) -> None:
        subprocess.run(
            [*self.as_owner, str(self.bin / tool), *arguments],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off"
        log = str(self.dir / "log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        """As abruptly as a crash: no client is told."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def execute(self, statement: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as db:
            db.execute(statement)

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.dir)


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes
    started: float
    elapsed: float

    @property
    def cookies(self) -> list[str]:
        return self.headers.get_all("Set-Cookie") or []

    def cookie(self, name: str) -> str:
        for header in self.cookies:
            if header.startswith(f"{name}="):
                return header.split(";")[0].split("=", 1)[1]
        raise AssertionError(f"no {name} cookie in {self.cookies}")


class Server:
    """One process serving the test site; ``request`` answers what a browser would get."""

    def __init__(self, config: dict[str, Any], log_path: Path) -> None:
        self.log_path = log_path
        self.log_path.touch()
        self.stderr_path = self.log_path.with_suffix(".stderr")
        with self.stderr_path.open("w") as stderr:
            self.process = subprocess.Popen(
                server_command({**config, "log": str(self.log_path)}),
                stdout=subprocess.PIPE,
                stderr=stderr,
                cwd=REPO_ROOT,
                env=server_env(),
                text=True,
            )
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], START_TIMEOUT)
        line = self.process.stdout.readline() if ready else ""
        assert line.strip().isdigit(), f"the server did not start:\n{self.stderr()}"
        self.port = int(line)

    def request(
        self,
        path: str,
        *,
        method: str = "GET",
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        started = time.monotonic()
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        return Answer(
            response.status, response.headers, content, started, time.monotonic() - started
        )

    def log(self, level: str, logger: str = "cookie_consent") -> list[str]:
        """The log's records of ``level`` from ``logger`` (traceback lines are not records)."""
        return [
            line
            for line in self.log_path.read_text().splitlines()
            if line.startswith(f"{level} {logger}")
        ]

    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        assert self.process.stdout is not None
        self.process.stdout.close()


def server_env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def server_command(config: dict[str, Any]) -> list[str]:
    return [sys.executable, str(SERVER), json.dumps(config)]


def migrate(database_url: str) -> None:
    config = {"database_url": database_url, "cache": LOCAL_MEMORY, "refresh": 5}
    subprocess.run(
        server_command({**config, "migrate": True, "log": os.devnull}),
        check=True,
        cwd=REPO_ROOT,
        env=server_env(),
        timeout=START_TIMEOUT,
    )


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        server.start()
        migrate(server.url)
        yield server
    finally:
        server.remove()


@pytest.fixture
def running_postgres(postgres: PrivatePostgres) -> PrivatePostgres:
    """The module's PostgreSQL, running at the start of the test whatever the last one did."""
    if not (postgres.data / "postmaster.pid").exists():
        postgres.start()
    return postgres


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(database_url: str, cache: dict[str, Any], *, refresh: float) -> Server:
        config = {"database_url": database_url, "cache": cache, "refresh": refresh}
        server = Server(config, tmp_path / f"server-{len(servers)}.log")
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


REFRESH = 0.5
# The catalogue's longest wait between two tries of a failing database or cache.
LONGEST_RETRY = 30.0


def poll(server: Server, path: str, until: Callable[[Answer], bool], bound: float) -> float:
    """Request ``path`` until ``until`` holds; the seconds it took."""
    started = time.monotonic()
    while True:
        answer = server.request(path)
        elapsed = time.monotonic() - started
        if until(answer):
            return elapsed
        assert elapsed < bound, f"{path} still answers {answer.status} after {elapsed:.1f}s"
        time.sleep(0.1)


def post_decisions(server: Server, csrf: str) -> tuple[Answer, Answer]:
    """A decision as the banner's form posts it, and one through the JSON API, sent to the
    server process over HTTP (toolkit.decide() drives a test client in this process)."""
    cookie = f"csrftoken={csrf}"
    form = server.request(
        url("update"),
        method="POST",
        body=urlencode({"action": "accept_all", "csrfmiddlewaretoken": csrf}).encode(),
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    api = server.request(
        url("api"),
        method="POST",
        body=json.dumps({"action": "reject_all"}).encode(),
        headers={
            "Cookie": cookie,
            "X-CSRFToken": csrf,
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
    )
    return form, api


@pytest.mark.slow
def test_pages_keep_the_last_catalogue_while_the_database_is_down(
    running_postgres: PrivatePostgres, start_server: Callable[..., Server]
) -> None:
    server = start_server(running_postgres.url, LOCAL_MEMORY, refresh=REFRESH)
    first = server.request("/page/")
    assert first.status == 200
    assert BANNER in first.body
    csrf = first.cookie("csrftoken")

    running_postgres.stop()
    pages = []
    outage_ends = time.monotonic() + 8 * REFRESH
    while time.monotonic() < outage_ends:
        pages.append(server.request("/page/"))
        time.sleep(0.05)
    form, api = post_decisions(server, csrf)

    assert [p.status for p in pages] == [200] * len(pages), server.stderr()
    assert all(BANNER in p.body for p in pages)
    assert form.status == 503
    assert api.status == 503
    assert "error" in json.loads(api.body)
    assert form.cookies == api.cookies == []
    warnings = server.log("WARNING")
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("WARNING cookie_consent.catalogue ")

    running_postgres.start()
    # An edit made while the site could not read it: the rebuilt catalogue must have it.
    running_postgres.execute(
        "UPDATE cookie_consent_cookiecategory SET name = 'Statistics, renamed'"
        " WHERE slug = 'statistics'"
    )
    recovered = poll(
        server,
        url("preferences"),
        lambda answer: b"Statistics, renamed" in answer.body,
        bound=LONGEST_RETRY + 2 * REFRESH + 2,
    )
    assert len(server.log("INFO", "cookie_consent.catalogue")) == 1
    assert len(server.log("WARNING")) == 1
    slowest = max(p.elapsed for p in pages)
    print(
        f"\ndatabase outage, refresh={REFRESH}s: {len(pages)} pages in "
        f"{8 * REFRESH:.1f}s, all 200 with the banner, slowest {slowest * 1000:.1f} ms; "
        f"decisions {form.status}/{api.status}; catalogue warnings {len(warnings)}; "
        f"edit seen {recovered:.2f}s after the restart\n"
        + "\n".join(server.log("WARNING") + server.log("INFO") + server.log("ERROR"))
    )


@pytest.mark.slow
def test_process_without_a_catalogue_answers_503_until_the_database_is_back(
    running_postgres: PrivatePostgres, start_server: Callable[..., Server]
) -> None:
    running_postgres.stop()
    server = start_server(running_postgres.url, LOCAL_MEMORY, refresh=REFRESH)

    pages = [server.request("/page/") for _ in range(5)]
    api = server.request(url("api"), headers={"Accept": "application/json"})

    assert [p.status for p in pages] == [503] * 5, server.stderr()
    page = pages[0]
    assert b"Temporarily unavailable" in page.body
    assert b"Please try again in a minute." in page.body
    assert int(page.headers["Retry-After"]) >= 1
    assert "no-store" in page.headers["Cache-Control"]
    assert page.cookies == []
    assert api.status == 503
    assert "try again" in json.loads(api.body)["error"]
    errors = server.log("ERROR", "cookie_consent.catalogue")
    assert len(errors) == 1, errors

    running_postgres.start()
    back = poll(
        server,
        "/page/",
        lambda answer: answer.status == 200 and BANNER in answer.body,
        bound=LONGEST_RETRY + 2,
    )
    assert len(server.log("INFO", "cookie_consent.catalogue")) == 1
    print(
        f"\nno catalogue, database down: {len(pages)} pages answered 503 in "
        f"{max(p.elapsed for p in pages) * 1000:.1f} ms at most; 200 again {back:.2f}s "
        "after the restart\n" + "\n".join(server.log("ERROR") + server.log("INFO"))
    )


@pytest.fixture
def hung_cache() -> Iterator[str]:
    """A cache server that accepts every connection and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    done = threading.Event()

    def hold() -> None:
        while not done.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            held.append(connection)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    done.set()
    holder.join()
    for connection in held:
        connection.close()
    listener.close()


def redis_default_timeout() -> float:
    default = (
        inspect.signature(redis.connection.AbstractConnection).parameters["socket_timeout"].default
    )
    assert default is not None, "redis-py before 8 waits forever without a socket_timeout"
    return float(default)


def most_at_once(answers: list[Answer]) -> int:
    """The most of ``answers`` that were under way at one instant."""
    events = sorted(
        [(a.started, 1) for a in answers] + [(a.started + a.elapsed, -1) for a in answers]
    )
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


@pytest.mark.slow
@pytest.mark.parametrize(
    ("options", "load_seconds"),
    [
        pytest.param({"socket_timeout": 0.25}, 6.0, id="socket_timeout=0.25"),
        pytest.param({}, 12.0, id="no socket_timeout"),
    ],
)
def test_a_hung_cache_costs_one_wait_per_interval_not_one_per_request(
    hung_cache: str,
    start_server: Callable[..., Server],
    tmp_path: Path,
    options: dict[str, float],
    load_seconds: float,
) -> None:
    refresh = 1.0
    wait = options.get("socket_timeout") or redis_default_timeout()
    database_url = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    migrate(database_url)
    cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": hung_cache,
        "OPTIONS": options,
    }
    server = start_server(database_url, cache, refresh=refresh)

    # The first request has no catalogue yet: it waits for the cache once, then reads
    # the database.
    cold = server.request("/page/")
    answers: list[Answer] = []

    def visitor() -> None:
        ends = time.monotonic() + load_seconds
        while time.monotonic() < ends:
            answers.append(server.request("/page/"))

    visitors = [threading.Thread(target=visitor) for _ in range(4)]
    for thread in visitors:
        thread.start()
    for thread in visitors:
        thread.join()

    assert cold.status == 200
    assert {a.status for a in answers} == {200}
    assert all(BANNER in a.body for a in answers)
    # A wait on the cache lasts at least its timeout; the rest is noise of a busy machine.
    stalled = [a for a in answers if a.elapsed >= wait * 0.9]
    stall = sum(a.elapsed for a in stalled)
    intervals = load_seconds / refresh
    # One request at a time waits on the cache; the others keep the last catalogue.
    assert most_at_once(stalled) <= 1
    assert stall <= (intervals + 1) * wait * 1.2
    assert len(server.log("WARNING", "cookie_consent.catalogue")) == 1
    fast = sorted(a.elapsed for a in answers if a.elapsed < wait * 0.9)
    print(
        f"\nhung cache, {options or 'no socket_timeout'} (wait {wait}s), refresh {refresh}s, "
        f"4 visitors for {load_seconds}s: first page {cold.elapsed:.2f}s; {len(answers)} "
        f"pages, {len(stalled)} stalled ({', '.join(f'{a.elapsed:.2f}s' for a in stalled)}), "
        f"total stall {stall:.2f}s = {stall / intervals:.3f}s per interval; "
        f"median of the others {fast[len(fast) // 2] * 1000:.1f} ms, "
        f"slowest {fast[-1] * 1000:.1f} ms"
    )


@pytest.fixture
def database_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading the catalogue fails, in a process that has no snapshot yet."""

    def refuse() -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(catalogue, "load_categories", refuse)


@pytest.mark.django_db
@pytest.mark.usefixtures("database_down")
class TestProcessWithoutCatalogue:
    def test_a_page_answers_503_and_runs_no_view(self, client: Client) -> None:
        response = client.get("/echo/?kind=view", HTTP_ACCEPT_LANGUAGE="fr")

        assert response.status_code == 503
        assert response["Retry-After"] == "1"
        assert "no-store" in response["Cache-Control"]
        assert response.cookies == {}
        html = response.content.decode()
        # In the visitor's language: the page needs no catalogue to be translated.
        assert '<html lang="fr"' in html
        assert "<h1>Temporairement indisponible</h1>" in html
        assert (
            "Le site ne peut pas charger ses réglages de cookies pour le moment. "
            "Veuillez réessayer dans une minute." in html
        )

    def test_json_requests_get_json(self, client: Client) -> None:
        response = client.get(url("api"), HTTP_ACCEPT="application/json")

        assert response.status_code == 503
        assert response.json() == {
            "error": "The site cannot load its cookie settings just now. "
            "Please try again in a minute."
        }

    async def test_async_path(self, rf: RequestFactory) -> None:
        async def view(request: HttpRequest) -> HttpResponse:
            raise AssertionError("no view runs without a catalogue")

        response = await CookieConsentMiddleware(view)(rf.get("/"))

        assert response.status_code == 503
        assert b"Temporarily unavailable" in response.content
