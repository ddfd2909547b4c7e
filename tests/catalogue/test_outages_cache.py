"""A failing, slow or hung cache: the database answers, the cache is left alone a while."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from cookie_consent.catalogue import outages
from cookie_consent.catalogue import snapshot as catalogue
from cookie_consent.catalogue.snapshot import get_catalogue
from cookie_consent.catalogue.values import Catalogue
from tests.catalogue.conftest import Clock, began_and_ended, logged

pytestmark = pytest.mark.django_db


class BrokenCache:
    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise ConnectionError("cache is down")

        return fail


def test_cache_down_reads_the_database(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, shared_cache: None
) -> None:
    monkeypatch.setattr(outages, "caches", {"default": BrokenCache()})
    monkeypatch.setattr(catalogue, "is_process_local_cache", lambda alias: False)
    with caplog.at_level(logging.WARNING, logger="cookie_consent.catalogue"):
        result = get_catalogue()
    assert result.category("necessary") is not None
    assert "the cache 'default' failed on get" in caplog.text


class CountingCache:
    """A shared cache that fails, hangs (the clock runs on) or answers; it counts calls."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.calls: list[str] = []
        self.failing = True
        self.seconds_per_call = 0.0
        self.data: dict[str, Any] = {}

    def _call(self, operation: str) -> None:
        self.calls.append(operation)
        self.clock.now += self.seconds_per_call
        if self.failing:
            raise TimeoutError("Timeout reading from socket")

    def get(self, key: str) -> Any:
        self._call("get")
        return self.data.get(key)

    def add(self, key: str, value: Any, timeout: Any = None) -> bool:
        self._call("add")
        return self.data.setdefault(key, value) is value

    def set(self, key: str, value: Any, timeout: Any = None) -> None:
        self._call("set")
        self.data[key] = value


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> CountingCache:
    fake = CountingCache(clock)
    monkeypatch.setattr(outages, "caches", {"default": fake})
    monkeypatch.setattr(catalogue, "is_process_local_cache", lambda alias: False)
    return fake


def test_failing_cache_is_left_alone_during_the_back_off(
    cache: CountingCache, clock: Clock, logs: pytest.LogCaptureFixture
) -> None:
    get_catalogue()
    # The first call failed: the refresh's other calls (add, get, set) are not made.
    assert cache.calls == ["get"]
    clock.now += 5
    get_catalogue()
    assert cache.calls == ["get", "get"]
    clock.now += 5
    get_catalogue()  # 2 s back-off over: one more try
    assert cache.calls == ["get", "get", "get"]
    cache.failing = False
    clock.now += 5
    get_catalogue()

    assert cache.calls[3:] == ["get", "add", "get", "get", "set"]
    assert began_and_ended(logs) == (
        [
            "Cookie catalogue: the cache 'default' failed on get (TimeoutError: Timeout "
            "reading from socket); reading the database instead, and leaving the cache "
            "alone for 1 s, then longer while it fails."
        ],
        ["Cookie catalogue: the cache 'default' answers again, after 15.0 s."],
    )


def test_slow_cache_is_treated_as_failing(
    cache: CountingCache, clock: Clock, logs: pytest.LogCaptureFixture
) -> None:
    cache.failing = False
    cache.seconds_per_call = 0.6
    result = get_catalogue()
    assert result.generation is None
    # get (nothing there), then add: slow, so the rest of the refresh leaves the cache alone.
    assert cache.calls == ["get"]
    assert logged(logs, logging.WARNING) == [
        "Cookie catalogue: the cache 'default' took 0.60 s to answer get; reading the "
        "database instead, and leaving the cache alone for 1 s, then longer while it fails."
    ]


class BlockingCache:
    """A shared cache whose get waits until the test lets it answer."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.entered = threading.Event()
        self.release = threading.Event()

    def get(self, key: str) -> Any:
        self.entered.set()
        assert self.release.wait(10)
        return self.answer(key)


def test_one_thread_waits_on_a_slow_cache_the_others_keep_the_snapshot(
    monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> None:
    first = get_catalogue()
    generation = {"value": "other"}
    stored = {
        catalogue.GENERATION_KEY: "other",
        catalogue.SNAPSHOT_KEY.format(generation="other"): first.categories,
    }
    blocking = BlockingCache(stored.get)
    monkeypatch.setattr(outages, "caches", {"default": blocking})
    monkeypatch.setattr(catalogue, "is_process_local_cache", lambda alias: False)
    clock.now += 6
    results: list[Catalogue] = []
    waiter = threading.Thread(target=lambda: results.append(get_catalogue()))
    waiter.start()
    assert blocking.entered.wait(10)

    # Meanwhile, in this thread: the snapshot, at once.
    assert get_catalogue() is first
    blocking.release.set()
    waiter.join(10)

    assert results[0].generation == generation["value"]
    assert get_catalogue() is results[0]


def test_process_without_a_snapshot_waits_for_the_thread_that_builds_it(
    monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> None:
    categories = get_catalogue().categories
    catalogue.forget_local()
    stored = {
        catalogue.GENERATION_KEY: "g",
        catalogue.SNAPSHOT_KEY.format(generation="g"): categories,
    }
    blocking = BlockingCache(stored.get)
    monkeypatch.setattr(outages, "caches", {"default": blocking})
    monkeypatch.setattr(catalogue, "is_process_local_cache", lambda alias: False)
    results: list[Catalogue] = []
    builders = [threading.Thread(target=lambda: results.append(get_catalogue())) for _ in range(2)]
    for builder in builders:
        builder.start()
    assert blocking.entered.wait(10)
    blocking.release.set()
    for builder in builders:
        builder.join(10)

    # The second thread found the snapshot the first one built: one object, no second build.
    assert results[0] is results[1]
