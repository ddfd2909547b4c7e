from __future__ import annotations

import itertools
import logging
import pickle
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.cache import caches
from django.core.management import call_command
from django.db import DatabaseError, OperationalError, transaction
from django.test import override_settings
from pytest_django import DjangoAssertNumQueries

from cookie_consent.catalogue import snapshot as catalogue
from cookie_consent.catalogue.snapshot import Catalogue, get_catalogue
from cookie_consent.models import Cookie, CookieCategory
from tests.factories import make_category, make_cookie

pytestmark = pytest.mark.django_db


class Clock:
    """Stands in for time.monotonic so tests can step past the refresh interval."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr("cookie_consent.catalogue.snapshot.time", SimpleNamespace(monotonic=fake))
    return fake


@pytest.fixture
def shared_cache(tmp_path: Path) -> Iterator[None]:
    """A cache that several processes could share (unlike the default LocMemCache)."""
    cache = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache"}
    with override_settings(CACHES={"default": {**cache, "LOCATION": str(tmp_path)}}):
        yield


@pytest.fixture
def local_cache() -> Iterator[None]:
    """A cache of this process only, whatever CACHE_URL the suite runs with."""
    cache = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    with override_settings(CACHES={"default": cache}):
        yield


def statistics() -> CookieCategory:
    return CookieCategory.objects.get(slug="statistics")


def test_default_catalogue_is_read() -> None:
    result = get_catalogue()
    assert [c.slug for c in result.categories] == [
        "necessary",
        "statistics",
        "first_party",
        "third_party",
    ]
    necessary = result.category("necessary")
    assert necessary is not None
    assert necessary.required
    assert not necessary.needs_consent
    assert result.category_of("sessionid") is necessary
    assert result.category_of("csrftoken") is necessary
    assert result.category("nope") is None


def test_exact_names_and_patterns_classify() -> None:
    make_cookie(category=statistics(), name="_ga")
    make_cookie(category=statistics(), name="_ga_*")
    third = make_category(slug="third_party")
    make_cookie(category=third, name="_pk_id.*")
    result = get_catalogue()
    assert result.category_of("_ga") == result.category("statistics")
    assert result.category_of("_ga_ABC123") == result.category("statistics")
    assert result.category_of("_pk_id.1.abcd") == result.category("third_party")
    assert result.category_of("_pk_idX1") is None
    assert result.category_of("_gat") is None
    assert result.category_of("unknown") is None


def test_most_specific_pattern_wins() -> None:
    first = make_category(slug="first_party")
    make_cookie(category=statistics(), name="_x*")
    make_cookie(category=first, name="_x_session_*")
    result = get_catalogue()
    assert result.category_of("_x_session_1") == result.category("first_party")
    assert result.category_of("_x_other") == result.category("statistics")


def test_declarations_list_every_variant() -> None:
    make_cookie(category=statistics(), name="_ga", domain=".example.com")
    make_cookie(category=statistics(), name="_ga", domain="", path="/shop")
    make_cookie(category=statistics(), name="_ga_*", domain=".example.com")
    result = get_catalogue()
    assert {(d.name, d.domain, d.path) for d in result.declarations("_ga")} == {
        ("_ga", ".example.com", "/"),
        ("_ga", "", "/shop"),
    }
    assert [(d.name, d.domain) for d in result.declarations("_ga_X")] == [
        ("_ga_*", ".example.com")
    ]
    assert result.declarations("undeclared") == ()


def test_revision_changes_only_for_the_edited_category() -> None:
    before = get_catalogue()
    make_cookie(category=statistics(), name="_ga")
    after = get_catalogue()

    def revision(snapshot: Catalogue, slug: str) -> str:
        category = snapshot.category(slug)
        assert category is not None
        return category.revision

    assert revision(before, "statistics") != revision(after, "statistics")
    assert revision(before, "necessary") == revision(after, "necessary")
    assert revision(before, "third_party") == revision(after, "third_party")


def test_snapshot_is_immutable_and_picklable() -> None:
    result = get_catalogue()
    with pytest.raises(AttributeError):
        result.categories[0].slug = "x"  # type: ignore[misc]
    copy = pickle.loads(pickle.dumps(result))
    assert copy.categories == result.categories
    assert copy.category_of("sessionid") == result.category_of("sessionid")


def test_steady_state_reads_make_no_query(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    get_catalogue()
    with django_assert_num_queries(0):
        for _ in range(100):
            get_catalogue()


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda: make_cookie(category=statistics(), name="_ga"), id="create"),
        pytest.param(lambda: Cookie.objects.filter(name="csrftoken").delete(), id="qs-delete"),
        pytest.param(
            lambda: Cookie.objects.filter(name="csrftoken").update(purpose="changed"), id="update"
        ),
        pytest.param(
            lambda: Cookie.objects.bulk_create(
                [Cookie(category=statistics(), name="_ga", path="/")]
            ),
            id="bulk_create",
        ),
        pytest.param(
            lambda: Cookie.objects.bulk_update(
                [Cookie.objects.get(name="csrftoken")], ["purpose"]
            ),
            id="bulk_update",
        ),
        pytest.param(lambda: statistics().delete(), id="category-delete"),
        pytest.param(
            lambda: CookieCategory.objects.filter(slug="statistics").update(name="Stats"),
            id="category-update",
        ),
    ],
)
def test_every_kind_of_edit_drops_the_snapshot(edit: Any, clock: Clock) -> None:
    before = get_catalogue()
    edit()
    # Same instant: only the invalidation, not the refresh interval, can explain a change.
    assert get_catalogue() is not before


def test_loaddata_drops_the_snapshot(tmp_path: Path) -> None:
    fixture = tmp_path / "extra.json"
    fixture.write_text(
        '[{"model": "cookie_consent.cookie", "fields": {"category": ["statistics"],'
        ' "name": "_ga", "domain": "", "path": "/"}}]'
    )
    assert get_catalogue().category_of("_ga") is None
    call_command("loaddata", str(fixture), verbosity=0)
    assert get_catalogue().category_of("_ga") == get_catalogue().category("statistics")


@pytest.mark.usefixtures("local_cache")
def test_process_local_cache_rereads_database_after_interval(
    clock: Clock, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    first = get_catalogue()
    clock.now += 4.9
    with django_assert_num_queries(0):
        assert get_catalogue() is first
    clock.now += 0.2
    with django_assert_num_queries(2):
        get_catalogue()


@override_settings(COOKIE_CONSENT_CATALOGUE_REFRESH=60)
def test_refresh_interval_is_a_setting(clock: Clock) -> None:
    first = get_catalogue()
    clock.now += 59
    assert get_catalogue() is first


@pytest.mark.usefixtures("shared_cache")
@pytest.mark.django_db(transaction=True)
class TestSharedCache:
    def test_published_snapshot_serves_other_processes(
        self, clock: Clock, django_assert_num_queries: DjangoAssertNumQueries
    ) -> None:
        built = get_catalogue()
        assert built.generation is not None
        catalogue.forget_local()  # as if this were another process
        with django_assert_num_queries(0):
            loaded = get_catalogue()
        assert loaded.generation == built.generation
        assert loaded.categories == built.categories

    def test_unchanged_generation_keeps_the_snapshot(self, clock: Clock) -> None:
        first = get_catalogue()
        clock.now += 10
        assert get_catalogue() is first

    def test_edit_elsewhere_is_seen_after_the_interval(self, clock: Clock) -> None:
        first = get_catalogue()
        # Another process's commit: a new generation in the shared cache only.
        catalogue._publish_new_generation()
        catalogue._local.state = (first, clock.now)
        Cookie.objects.filter(name="csrftoken").delete()
        catalogue._local.state = (first, clock.now)
        clock.now += 4
        assert get_catalogue() is first
        clock.now += 2
        assert get_catalogue().category_of("csrftoken") is None

    def test_edit_is_seen_at_once_and_announced_at_commit(
        self, django_assert_num_queries: DjangoAssertNumQueries
    ) -> None:
        generation = get_catalogue().generation
        with transaction.atomic():
            make_cookie(category=statistics(), name="_ga")
            make_cookie(category=statistics(), name="_gid")
            inside = get_catalogue()
            assert inside.category_of("_ga") is not None
            assert inside.provisional
            with django_assert_num_queries(0):
                assert get_catalogue() is inside
            # Uncommitted: nothing announced or published yet.
            assert caches["default"].get(catalogue.GENERATION_KEY) == generation
        after = get_catalogue()
        assert after.generation not in (None, generation)
        assert not after.provisional
        assert after.category_of("_gid") is not None

    def test_rollback_publishes_nothing_and_is_forgotten_at_once(self, clock: Clock) -> None:
        generation = get_catalogue().generation
        with transaction.atomic():
            make_cookie(category=statistics(), name="_ga")
            assert get_catalogue().category_of("_ga") is not None
            transaction.set_rollback(True)
        # Same instant: the provisional snapshot is not trusted once the transaction ended.
        assert get_catalogue().category_of("_ga") is None
        assert get_catalogue().generation == generation

    def test_other_processes_snapshot_is_not_taken_during_an_edit(self, clock: Clock) -> None:
        committed = get_catalogue().categories
        with transaction.atomic():
            make_cookie(category=statistics(), name="_ga")
            # Meanwhile another process publishes the committed catalogue, without _ga.
            cache = caches["default"]
            cache.set(catalogue.GENERATION_KEY, "elsewhere")
            cache.set(catalogue.SNAPSHOT_KEY.format(generation="elsewhere"), committed)
            clock.now += 10
            assert get_catalogue().category_of("_ga") is not None
        assert get_catalogue().category_of("_ga") is not None

    def test_another_threads_refresh_does_not_hide_the_edit(self, clock: Clock) -> None:
        committed = get_catalogue()
        with transaction.atomic():
            make_cookie(category=statistics(), name="_ga")
            assert get_catalogue().category_of("_ga") is not None
            # What a refresh in another thread of this process leaves behind.
            catalogue._local.state = (committed, clock.now)
            assert get_catalogue().category_of("_ga") is not None
        assert get_catalogue().category_of("_ga") is not None

    def test_evicted_generation_is_recreated(self) -> None:
        get_catalogue()
        caches["default"].clear()
        catalogue.forget_local()
        assert get_catalogue().generation is not None


class BrokenCache:
    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise ConnectionError("cache is down")

        return fail


def test_cache_down_reads_the_database(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, shared_cache: None
) -> None:
    monkeypatch.setattr(catalogue, "caches", {"default": BrokenCache()})
    monkeypatch.setattr(catalogue, "is_process_local_cache", lambda alias: False)
    with caplog.at_level(logging.WARNING, logger="cookie_consent.catalogue"):
        result = get_catalogue()
    assert result.category("necessary") is not None
    assert "the cache 'default' failed on get" in caplog.text


@pytest.mark.usefixtures("local_cache")
@pytest.mark.django_db(transaction=True)
def test_process_local_cache_keeps_no_generation() -> None:
    # LocMemCache cannot announce other processes' edits, so nothing is published to it.
    assert get_catalogue().generation is None
    assert caches["default"].get(catalogue.GENERATION_KEY) is None


def test_queryset_update_invalidates_after_the_write(monkeypatch: pytest.MonkeyPatch) -> None:
    # Announcing before the write would let another process publish the old rows.
    seen: list[str | None] = []
    real_invalidate = catalogue.invalidate

    def spy(using: str | None = None) -> None:
        seen.append(Cookie.objects.filter(name="csrftoken").values_list("purpose", flat=True)[0])
        real_invalidate(using)

    monkeypatch.setattr(catalogue, "invalidate", spy)
    Cookie.objects.filter(name="csrftoken").update(purpose="changed")
    Cookie.objects.bulk_update(
        [Cookie(pk=Cookie.objects.get(name="csrftoken").pk, purpose="bulk")], ["purpose"]
    )
    assert seen == ["changed", "bulk"]


async def test_async_code_keeps_a_stale_snapshot_rather_than_query(clock: Clock) -> None:
    first = await sync_to_async(get_catalogue)()
    assert not catalogue.needs_refresh()
    clock.now += 100
    assert catalogue.needs_refresh()
    # No database access on the event loop: the middleware refreshes it off the loop.
    assert get_catalogue() is first


load_categories = catalogue.load_categories


class DatabaseOutage:
    """Reading the catalogue fails as with a stopped database; the times of the tries."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.tries: list[float] = []
        self.down = False

    def load(self) -> Any:
        self.tries.append(self.clock.now)
        if self.down:
            raise OperationalError(
                'connection to server at "127.0.0.1", port 5432 failed: Connection refused\n'
                "\tIs the server running on that host and accepting TCP/IP connections?"
            )
        return load_categories()


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, clock: Clock, local_cache: None) -> DatabaseOutage:
    outage = DatabaseOutage(clock)
    monkeypatch.setattr(catalogue, "load_categories", outage.load)
    return outage


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="cookie_consent.catalogue")
    return caplog


def logged(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == level and r.name == "cookie_consent.catalogue"
    ]


REFUSED = (
    'OperationalError: connection to server at "127.0.0.1", port 5432 failed: Connection '
    "refused Is the server running on that host and accepting TCP/IP connections?"
)


def test_database_outage_keeps_the_last_snapshot(
    database: DatabaseOutage, clock: Clock, logs: pytest.LogCaptureFixture
) -> None:
    first = get_catalogue()
    database.down = True
    clock.now += 6
    served = [get_catalogue() for _ in range(20)]
    assert all(snapshot is first for snapshot in served)
    # One try, then none before the back-off is over.
    assert len(database.tries) == 2
    assert not catalogue.needs_refresh()

    database.down = False
    clock.now += 1
    rebuilt = get_catalogue()

    assert rebuilt is not first
    assert rebuilt.categories == first.categories
    assert logged(logs, logging.WARNING) == [
        f"Cookie catalogue: the database could not be read ({REFUSED}); this process keeps "
        "serving its last catalogue and tries again in 1 s, then less often."
    ]
    assert logged(logs, logging.INFO) == [
        "Cookie catalogue: the database answers again, after 1.0 s; the catalogue is up to date."
    ]


def test_database_is_tried_again_with_a_bounded_back_off(
    database: DatabaseOutage, clock: Clock, logs: pytest.LogCaptureFixture
) -> None:
    get_catalogue()
    database.down = True
    start = clock.now
    for _ in range(300):
        clock.now += 0.5
        get_catalogue()
    gaps = [later - earlier for earlier, later in itertools.pairwise(database.tries[1:])]
    assert gaps[:6] == [1, 2, 4, 8, 16, 30]
    assert set(gaps[6:]) == {30}
    assert database.tries[1] == start + 5
    # One line for the whole outage, not one per try.
    assert len(logged(logs, logging.WARNING)) == 1


def test_process_without_a_snapshot_raises_catalogue_unavailable(
    database: DatabaseOutage, clock: Clock, logs: pytest.LogCaptureFixture
) -> None:
    database.down = True
    with pytest.raises(catalogue.CatalogueUnavailable) as first:
        get_catalogue()
    clock.now += 0.5
    with pytest.raises(catalogue.CatalogueUnavailable) as second:
        get_catalogue()

    assert isinstance(first.value, DatabaseError)
    assert first.value.retry_after == 1
    assert isinstance(first.value.__cause__, OperationalError)
    # Within the back-off: answered at once, without asking the database.
    assert second.value.__cause__ is None
    assert len(database.tries) == 1
    assert catalogue.needs_refresh()
    assert logged(logs, logging.WARNING) == []
    assert logged(logs, logging.ERROR) == [
        f"Cookie catalogue: the database could not be read ({REFUSED}) and this process has "
        "no catalogue yet: pages answer 503 until it can; next try in 1 s."
    ]
    database.down = False
    clock.now += 1
    assert get_catalogue().category("necessary") is not None


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
    monkeypatch.setattr(catalogue, "caches", {"default": fake})
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
    assert logged(logs, logging.WARNING) == [
        "Cookie catalogue: the cache 'default' failed on get (TimeoutError: Timeout reading "
        "from socket); reading the database instead, and leaving the cache alone for 1 s, "
        "then longer while it fails."
    ]
    assert logged(logs, logging.INFO) == [
        "Cookie catalogue: the cache 'default' answers again, after 15.0 s."
    ]


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
    monkeypatch.setattr(catalogue, "caches", {"default": blocking})
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
    monkeypatch.setattr(catalogue, "caches", {"default": blocking})
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
