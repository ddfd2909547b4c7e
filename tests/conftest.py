"""The suite's own fixtures: each test starts afresh through the app's documented test
hooks (docs/development.rst, "Test toolkit"), never through its private state."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.core.cache import caches
from hypothesis import settings as hypothesis_settings

from cookie_consent.catalogue import snapshot
from cookie_consent.enforcement import undeclared

# In CI, the examples are the same on every run, so a red build points to a change, not
# to a draw; search for new examples locally (or with HYPOTHESIS_PROFILE=default).
hypothesis_settings.register_profile("ci", derandomize=True)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default")
)


@pytest.fixture(autouse=True)
def _fresh_catalogue() -> Iterator[None]:
    """Each test starts without a snapshot: a rolled-back test sends no model signals."""
    caches["default"].clear()
    snapshot.forget_local()
    undeclared.forget_pending()
    yield
    undeclared.stop_flusher()
    snapshot.forget_local()


@pytest.fixture
def shared_snapshot() -> None:
    """The async client runs the middleware in another thread, which cannot read this
    test's uncommitted rows: give the process a committed-looking snapshot of them."""
    snapshot.set_local()


@pytest.fixture(scope="session", autouse=True)
def _close_worker_thread_connections(django_db_setup: None) -> Iterator[None]:
    """Close what async tests opened in asgiref's worker thread, before the test database
    is dropped: PostgreSQL refuses to drop a database another session still uses."""
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result()
