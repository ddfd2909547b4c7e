"""The catalogue snapshot: what every request reads instead of the database.

A process keeps one immutable :class:`Catalogue` in memory and trusts it for
``COOKIE_CONSENT_CATALOGUE_REFRESH`` seconds. After that it asks the shared cache for the
catalogue's *generation*, a short token: one cache round trip per interval, not per
request. A new token means another process saved an edit; the snapshot stored under that
token (or, failing that, the database) gives the new catalogue.

An edit (model signals, not commit) drops this process's snapshot at once; until its
transaction ends, the editing thread reads the catalogue from the database (its own
uncommitted edit included) into a snapshot of its own, and publishes nothing. The commit
gives the shared cache a new generation; a rollback leaves it as it was, and the thread's
next read goes back to the process's snapshot.

When the database or the cache fails, the process keeps its snapshot (``outages``). One
thread per process asks at a time, so a server that hangs holds one request, not all.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from typing import Any

from django.core.cache import caches
from django.db import DatabaseError, router, transaction

from cookie_consent.catalogue import outages

# Re-exported: the snapshot's readers have imported them from here.
from cookie_consent.catalogue.outages import CatalogueUnavailable as CatalogueUnavailable
from cookie_consent.catalogue.rows import load_categories as load_categories
from cookie_consent.catalogue.values import Catalogue as Catalogue
from cookie_consent.catalogue.values import Category as Category
from cookie_consent.catalogue.values import DeclaredCookie as DeclaredCookie
from cookie_consent.conf import conf

GENERATION_KEY = "cookie_consent:catalogue:generation"
SNAPSHOT_KEY = "cookie_consent:catalogue:snapshot:{generation}"
# Snapshots of past generations are never read again; let the cache forget them.
SNAPSHOT_TIMEOUT = 24 * 60 * 60


class _ProcessSnapshot:
    """This process's snapshot and when it was last checked, replaced in one assignment.

    Process-wide rather than per thread, so that the thread that saves an edit drops the
    snapshot for every thread of its process.
    """

    state: tuple[Catalogue | None, float] = (None, 0.0)


_local = _ProcessSnapshot()


class _ThreadEdit(threading.local):
    """The catalogue as this thread's open transaction has edited it; no other thread's."""

    catalogue: Catalogue | None = None


_edit = _ThreadEdit()

# Held by the one thread of the process that asks the cache or the database.
_refreshing = threading.Lock()


def get_catalogue() -> Catalogue:
    """The current catalogue; in steady state no database query and no cache round trip."""
    provisional = _edit.catalogue
    if provisional is not None:
        if _uncommitted_edit():
            return provisional
        _edit.catalogue = None  # committed or rolled back: the shared path knows better
    catalogue, checked_at = _local.state
    now = time.monotonic()
    if _is_fresh(catalogue, checked_at, now):
        return catalogue  # type: ignore[return-value]
    if catalogue is not None and (_in_event_loop() or outages.database.waiting(now)):
        # The database cannot be read from async code: keep the snapshot a little longer;
        # the middleware refreshes it off the event loop at the next request. During an
        # outage, the snapshot is kept until the next try.
        return catalogue
    return _refresh(catalogue, now)


def needs_refresh() -> bool:
    """Whether the next read would ask the cache or the database (for async callers)."""
    catalogue, checked_at = _local.state
    now = time.monotonic()
    return not _is_fresh(catalogue, checked_at, now) and not (
        catalogue is not None and outages.database.waiting(now)
    )


def _is_fresh(catalogue: Catalogue | None, checked_at: float, now: float) -> bool:
    return catalogue is not None and now - checked_at < conf.CATALOGUE_REFRESH


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _refresh(current: Catalogue | None, now: float) -> Catalogue:
    if _uncommitted_edit():
        # The shared cache knows only committed data; this thread must see its own edit.
        provisional = Catalogue(load_categories(), provisional=True)
        _edit.catalogue = provisional
        return provisional
    # A process with a snapshot never queues behind a slow cache or database: it keeps
    # its snapshot while another thread asks. One without waits for that thread.
    if not _refreshing.acquire(blocking=current is None):
        return current  # type: ignore[return-value]
    try:
        return _refresh_shared(now)
    finally:
        _refreshing.release()


def _refresh_shared(now: float) -> Catalogue:
    current, checked_at = _local.state
    if _is_fresh(current, checked_at, now):
        # Another thread refreshed it while this one waited for the lock.
        return current  # type: ignore[return-value]
    if outages.database.waiting(now):
        return outages.keep(current)
    generation = _shared_generation()
    if current is not None and generation is not None and current.generation == generation:
        catalogue = current
    else:
        try:
            catalogue = _shared_snapshot(generation) or _build(generation)
        except DatabaseError as error:
            outages.database_failed(current is not None, error)
            return outages.keep(current, error)
    _local.state = (catalogue, now)
    return catalogue


def is_process_local_cache(alias: str) -> bool:
    """Whether a cache lives in one process only, so that it cannot tell of others' edits."""
    from django.core.cache.backends.dummy import DummyCache
    from django.core.cache.backends.locmem import LocMemCache

    return isinstance(caches[alias], LocMemCache | DummyCache)


def _shared_generation() -> str | None:
    if is_process_local_cache(conf.CACHE_ALIAS):
        # No other process can announce an edit here: re-read the database each interval.
        return None
    generation = outages.cache_call("get", GENERATION_KEY)
    if generation is None and outages.cache_call("add", GENERATION_KEY, _new_token(), None):
        generation = outages.cache_call("get", GENERATION_KEY)
    return generation  # type: ignore[no-any-return]


def _shared_snapshot(generation: str | None) -> Catalogue | None:
    if generation is None:
        return None
    categories = outages.cache_call("get", SNAPSHOT_KEY.format(generation=generation))
    return None if categories is None else Catalogue(categories, generation)


def _build(generation: str | None) -> Catalogue:
    categories = load_categories()
    outages.database_answered()
    if generation is not None:
        outages.cache_call(
            "set", SNAPSHOT_KEY.format(generation=generation), categories, SNAPSHOT_TIMEOUT
        )
    return Catalogue(categories, generation)


def _new_token() -> str:
    return secrets.token_hex(8)


def forget_local() -> None:
    """Drop this process's snapshot; the next read asks the cache or the database.

    Also the hook for a test that starts afresh (docs/catalogue.rst, "Testing").
    """
    _local.state = (None, 0.0)
    outages.clear()


def set_local(catalogue: Catalogue | None = None) -> Catalogue:
    """Make ``catalogue`` this process's snapshot, fresh from now: a hook for tests.

    By default, this thread's rows, uncommitted ones included, for other threads to read
    (docs/catalogue.rst, "Testing"). Nothing is published to the shared cache.
    """
    if catalogue is None:
        catalogue = Catalogue(load_categories())
    _local.state = (catalogue, time.monotonic())
    return catalogue


def _catalogue_connection(using: str | None = None) -> Any:
    from cookie_consent.catalogue.models import CookieCategory

    return transaction.get_connection(using or router.db_for_write(CookieCategory))


def _uncommitted_edit(using: str | None = None) -> bool:
    """Whether this process edited the catalogue in a transaction that is still open."""
    return any(
        entry[1] is _publish_new_generation for entry in _catalogue_connection(using).run_on_commit
    )


def invalidate(using: str | None = None) -> None:
    """Called on every catalogue edit: see the module docstring."""
    forget_local()
    _edit.catalogue = None
    if not _uncommitted_edit(using):
        # Runs at once outside a transaction; dropped by a rollback.
        transaction.on_commit(_publish_new_generation, using=using)


def _publish_new_generation() -> None:
    forget_local()
    outages.cache_call("set", GENERATION_KEY, _new_token(), None)


# Connected here, where the snapshot is imported (AppConfig.ready), by model label: this
# module never imports the models at import time, nor the models this module.
def catalogue_edited(sender: Any, using: str, **kwargs: Any) -> None:
    """On a save, a delete or a bulk write of the catalogue's rows (connected in apps.py)."""
    invalidate(using)
