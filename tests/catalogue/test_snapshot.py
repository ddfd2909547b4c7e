from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.cache import caches
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from pytest_django import DjangoAssertNumQueries

from cookie_consent.catalogue import snapshot as catalogue
from cookie_consent.catalogue.snapshot import get_catalogue
from cookie_consent.models import Cookie, CookieCategory
from tests.catalogue.conftest import Clock
from tests.factories import make_cookie

pytestmark = pytest.mark.django_db


def statistics() -> CookieCategory:
    return CookieCategory.objects.get(slug="statistics")


def test_set_local_gives_the_process_this_threads_rows(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    make_cookie(category=statistics(), name="_ga")  # uncommitted: the test's transaction
    snapshot = catalogue.set_local()
    assert snapshot.category_of("_ga") is not None
    with django_assert_num_queries(0):
        assert get_catalogue() is snapshot


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
        # Another process's commit: its rows and a new generation, and not its snapshot.
        Cookie.objects.filter(name="csrftoken").delete()
        catalogue.set_local(first)
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
            catalogue.set_local(committed)
            assert get_catalogue().category_of("_ga") is not None
        assert get_catalogue().category_of("_ga") is not None

    def test_evicted_generation_is_recreated(self) -> None:
        get_catalogue()
        caches["default"].clear()
        catalogue.forget_local()
        assert get_catalogue().generation is not None


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
