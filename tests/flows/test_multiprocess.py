"""Two real processes sharing one Redis cache and one PostgreSQL database.

The requirement: an edit made through one process is seen by the other within
``COOKIE_CONSENT_CATALOGUE_REFRESH``. Threads or a mocked cache would share memory and
prove nothing, hence subprocesses (tests/multiprocess_worker.py) driven over pipes, a
database of their own and a Redis key prefix of their own. The pytest-django test
database is not used: the workers must see each other's commits.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import psycopg
import pytest
import redis
from psycopg import sql

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).resolve().parents[1] / "multiprocess_worker.py"

POSTGRES_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"
DATABASE_URL = "postgres://postgres@127.0.0.1:5432/{name}"
REDIS_URL = "redis://127.0.0.1:6379/15"
# Nothing listens here: the degraded path, with the cache down.
UNREACHABLE_REDIS_URL = "redis://127.0.0.1:6390/15"

REFRESH = 1.0
POLL_INTERVAL = 0.05
# The bound the requirement sets: the refresh delay, plus slack for polling and pipes.
PROPAGATION_BOUND = REFRESH + 1.0
ANSWER_TIMEOUT = 60.0


class Worker:
    """One Django process; ``call`` sends a command and waits for its answer."""

    def __init__(self, name: str, config: dict[str, Any], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"worker-{name}.log"
        self._log = self.log_path.open("w")
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            cwd=REPO_ROOT,
            env=env,
            text=True,
        )
        self.last_warnings: list[str] = []

    def call(self, op: str, **arguments: Any) -> Any:
        stdin, stdout = self._pipes()
        try:
            stdin.write(json.dumps({"op": op, **arguments}) + "\n")
            stdin.flush()
        except BrokenPipeError:
            pytest.fail(f"worker {self.name} exited before {op!r}:\n{self.stderr()}")
        # One answer per command, so nothing is ever buffered beyond the line we wait for.
        ready, _, _ = select.select([stdout], [], [], ANSWER_TIMEOUT)
        line = stdout.readline() if ready else ""
        assert line, f"worker {self.name} gave no answer to {op!r}:\n{self.stderr()}"
        answer = json.loads(line)
        self.last_warnings = answer["warnings"]
        assert answer["ok"], f"worker {self.name} failed on {op!r}:\n{answer['error']}"
        return answer["result"]

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        return self.process.stdin, self.process.stdout

    def stderr(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def stop(self) -> None:
        stdin, _ = self._pipes()
        stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    name = f"cookie_guard_multiprocess_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN, autocommit=True)
    except psycopg.OperationalError as error:
        pytest.fail(
            f"PostgreSQL is not reachable at 127.0.0.1:5432 as user postgres ({error}). "
            "Start PostgreSQL to run the multiprocess test."
        )
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield DATABASE_URL.format(name=name)
        finally:
            # FORCE: a worker killed on failure may still hold a connection.
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="module")
def key_prefix() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(
            f"Redis is not reachable at {REDIS_URL} ({error}). "
            "Start Redis to run the multiprocess test."
        )
    # A prefix of our own instead of FLUSHDB: another run may share database 15.
    prefix = f"cookie-guard-multiprocess-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)
        client.close()


@pytest.fixture(scope="module")
def start_worker(
    database_url: str, key_prefix: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str, str], Worker]]:
    log_dir = tmp_path_factory.mktemp("workers")
    workers: list[Worker] = []

    def start(name: str, redis_url: str) -> Worker:
        config = {
            "database_url": database_url,
            "redis_url": redis_url,
            "key_prefix": key_prefix,
            "refresh": REFRESH,
        }
        worker = Worker(name, config, log_dir)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture(scope="module")
def workers(start_worker: Callable[[str, str], Worker]) -> tuple[Worker, Worker]:
    saver = start_worker("A", REDIS_URL)
    reader = start_worker("B", REDIS_URL)
    saver.call("migrate")
    # Warm both snapshots, so that B holds the catalogue from before every edit.
    for worker in (saver, reader):
        assert "necessary" in worker.call("catalogue")["categories"]
    return saver, reader


def wait_until(worker: Worker, op: str, expected: Any, **arguments: Any) -> float:
    """Poll ``worker`` until ``op`` answers ``expected``; the seconds it took."""
    started = time.monotonic()
    while True:
        answer = worker.call(op, **arguments)
        elapsed = time.monotonic() - started
        if answer == expected:
            return elapsed
        assert elapsed <= PROPAGATION_BOUND, (
            f"worker {worker.name} still answers {answer!r} to {op} {arguments} "
            f"{elapsed:.2f}s after the edit (refresh is {REFRESH}s)"
        )
        time.sleep(POLL_INTERVAL)


def test_edits_reach_the_other_process_within_the_refresh_delay(
    workers: tuple[Worker, Worker],
) -> None:
    saver, reader = workers
    assert reader.call("category_of", name="_ga") is None

    assert saver.call("create_cookie", name="_ga", category="statistics") == "statistics"
    created = wait_until(reader, "category_of", "statistics", name="_ga")

    moved = saver.call("move_cookie", name="_ga", category="third_party")
    assert moved == {"updated": 1, "category": "third_party"}
    updated = wait_until(reader, "category_of", "third_party", name="_ga")

    deleted = saver.call("delete_category", slug="first_party")
    assert deleted["present"] is False
    removed = wait_until(reader, "has_category", False, slug="first_party")
    assert reader.call("category_of", name="_ga") == "third_party"

    print(
        f"\npropagation delays with refresh={REFRESH}s: create {created:.3f}s, "
        f"queryset update {updated:.3f}s, queryset delete {removed:.3f}s"
    )


def test_steady_state_reads_make_no_database_query(workers: tuple[Worker, Worker]) -> None:
    _, reader = workers
    counts = reader.call("count_queries", calls=100)
    print(f"\nsteady state: {counts}")
    # The window must not have run out mid-loop, or a refresh could be counted.
    assert counts["elapsed"] < REFRESH
    assert counts["queries"] == 0
    # Refreshing with a warm cache takes the snapshot from Redis, not the database.
    assert counts["refresh_queries"] == 0


def test_catalogue_answers_from_the_database_when_redis_is_down(
    workers: tuple[Worker, Worker], start_worker: Callable[[str, str], Worker]
) -> None:
    _, reader = workers
    degraded = start_worker("C", UNREACHABLE_REDIS_URL)

    answer = degraded.call("catalogue")

    assert answer == reader.call("fresh_catalogue")
    assert degraded.last_warnings
    assert all("reading the database instead" in w for w in degraded.last_warnings)
