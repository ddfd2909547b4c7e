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

When the database or the cache fails, the process keeps the snapshot it has and tries
again after a back-off (1 s, doubling up to 30 s), logging one line when the outage
begins and one when it ends. One thread per process asks at a time; the others keep the
snapshot meanwhile, so a server that hangs holds one request, not every one.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import re
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import caches
from django.db import DatabaseError, router, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from cookie_consent.catalogue import names
from cookie_consent.catalogue.translation import Translations, localize, localize_duration
from cookie_consent.conf import conf
from cookie_consent.logs import one_line

# The documented logger name, older than this module.
logger = logging.getLogger("cookie_consent.catalogue")

GENERATION_KEY = "cookie_consent:catalogue:generation"
SNAPSHOT_KEY = "cookie_consent:catalogue:snapshot:{generation}"
# Snapshots of past generations are never read again; let the cache forget them.
SNAPSHOT_TIMEOUT = 24 * 60 * 60
# After a failure, the database or the cache is tried again after FIRST_RETRY seconds,
# then twice as long after each new failure, up to LONGEST_RETRY: the bound on how long
# a process takes to notice that it answers again.
FIRST_RETRY = 1.0
LONGEST_RETRY = 30.0
# A cache that takes longer than this to answer is treated as failing: a refresh makes
# up to four calls, and every one would wait as long.
SLOW_CACHE_CALL = 0.5


class CatalogueUnavailable(DatabaseError):
    """The database cannot be read and this process has no snapshot to fall back on."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(
            "The cookie catalogue cannot be read: the database does not answer and this "
            "process has no catalogue yet."
        )
        # Whole seconds until the process tries the database again, for Retry-After.
        self.retry_after = max(1, math.ceil(retry_after))


@dataclass(frozen=True)
class DeclaredCookie:
    """One row of the catalogue: an exact name or a ``*`` pattern, and where it lives."""

    name: str
    category: str
    provider: str
    function: str
    purpose: str
    duration: str
    domain: str
    path: str
    # {"fr": {"purpose": "…"}}: the admin's own texts per language.
    translations: Translations = field(default_factory=dict, hash=False)

    @property
    def is_pattern(self) -> bool:
        return names.is_pattern(self.name)

    @property
    def display_provider(self) -> str:
        return localize(self.provider, self.translations, "provider")

    @property
    def display_function(self) -> str:
        return localize(self.function, self.translations, "function")

    @property
    def display_purpose(self) -> str:
        return localize(self.purpose, self.translations, "purpose")

    @property
    def display_duration(self) -> str:
        return localize_duration(self.duration, self.translations)


@dataclass(frozen=True)
class Category:
    slug: str
    name: str
    description: str
    required: bool
    needs_consent: bool
    order: int
    # Changes when the category's cookies change, so that only it is asked again.
    revision: str
    cookies: tuple[DeclaredCookie, ...]
    # A Sec-GPC: 1 request refuses this category unless granted under the signal.
    honors_gpc: bool = True
    # Google Consent Mode types this category grants, e.g. ("analytics_storage",).
    consent_mode: tuple[str, ...] = ()
    translations: Translations = field(default_factory=dict, hash=False)

    @property
    def display_name(self) -> str:
        return localize(self.name, self.translations, "name")

    @property
    def display_description(self) -> str:
        return localize(self.description, self.translations, "description")


def category_revision(
    *, required: bool, needs_consent: bool, cookies: Iterable[DeclaredCookie]
) -> str:
    """A short digest of what a visitor consents to when granting a category."""
    content = [
        required,
        needs_consent,
        sorted(
            (c.name, c.domain, c.path, c.provider, c.function, c.purpose, c.duration)
            for c in cookies
        ),
    ]
    digest = hashlib.sha256(json.dumps(content, ensure_ascii=False).encode())
    return digest.hexdigest()[:12]


class Catalogue:
    """An immutable view of the categories and cookies, with name lookup.

    Truly immutable: nothing is remembered on it after it is built. A memo that a reader
    needs (the enforcement's deletion variants) lives with that reader, keyed by the
    snapshot.
    """

    __slots__ = (
        "_by_slug",
        "_compiled",
        "_exact",
        "_pattern_categories",
        "_patterns",
        "categories",
        "generation",
        "provisional",
    )

    def __init__(
        self,
        categories: Sequence[Category],
        generation: str | None = None,
        *,
        provisional: bool = False,
    ) -> None:
        self.categories = tuple(sorted(categories, key=lambda c: (c.order, c.slug)))
        # None with a process-local cache, which has no shared generation.
        self.generation = generation
        # Built from this thread's own uncommitted edit: good only until the transaction
        # ends, whether it commits or rolls back, and for that thread only.
        self.provisional = provisional
        self._by_slug = {c.slug: c for c in self.categories}
        self._exact: dict[str, Category] = {}
        patterns: list[tuple[str, Category]] = []
        for category in self.categories:
            for cookie in category.cookies:
                if cookie.is_pattern:
                    patterns.append((cookie.name, category))
                else:
                    self._exact.setdefault(cookie.name, category)
        # The most specific pattern (most literal characters) wins where several match.
        patterns.sort(key=lambda item: -len(item[0].replace(names.WILDCARD, "")))
        self._pattern_categories = [category for _, category in patterns]
        self._compiled = {p: re.compile(names.pattern_to_regex(p)) for p, _ in patterns}
        self._patterns = (
            re.compile("|".join(f"({names.pattern_to_regex(p)})" for p, _ in patterns))
            if patterns
            else None
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (Catalogue, (self.categories, self.generation))

    def category(self, slug: str) -> Category | None:
        return self._by_slug.get(slug)

    def category_of(self, cookie_name: str) -> Category | None:
        """The category a cookie name belongs to; ``None`` for an undeclared name."""
        category = self._exact.get(cookie_name)
        if category is None and self._patterns is not None:
            match = self._patterns.fullmatch(cookie_name)
            if match is not None:
                category = self._pattern_categories[match.lastindex - 1]  # type: ignore[operator]
        return category

    def declarations(self, cookie_name: str) -> tuple[DeclaredCookie, ...]:
        """Every declared domain/path variant that covers ``cookie_name``."""
        category = self.category_of(cookie_name)
        if category is None:
            return ()
        return tuple(
            c
            for c in category.cookies
            if c.name == cookie_name
            or (c.is_pattern and self._compiled[c.name].fullmatch(cookie_name) is not None)
        )


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


class _Outage:
    """A failing database or cache as this process sees it: since when, next try when."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.since: float | None = None
        self.delay = 0.0
        self.retry_at = 0.0

    def waiting(self, now: float) -> bool:
        """Whether it failed lately: not to be tried again before ``retry_at``."""
        return now < self.retry_at

    def failed(self, now: float) -> bool:
        """Count a failure and back off; whether it begins an outage (the one to log)."""
        began = self.since is None
        if began:
            self.since = now
        self.delay = min(max(self.delay * 2, FIRST_RETRY), LONGEST_RETRY)
        self.retry_at = now + self.delay
        return began

    def ended(self, now: float) -> float | None:
        """The seconds the outage lasted, now that it answers; ``None`` if there was none."""
        if self.since is None:
            return None
        lasted = now - self.since
        self.clear()
        return lasted


_database = _Outage()
_cache = _Outage()
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
    if catalogue is not None and (_in_event_loop() or _database.waiting(now)):
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
        catalogue is not None and _database.waiting(now)
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
    if _database.waiting(now):
        return _keep(current)
    generation = _shared_generation()
    if current is not None and generation is not None and current.generation == generation:
        catalogue = current
    else:
        try:
            catalogue = _shared_snapshot(generation) or _build(generation)
        except DatabaseError as error:
            _database_failed(current is not None, error)
            return _keep(current, error)
    _local.state = (catalogue, now)
    return catalogue


def _keep(current: Catalogue | None, cause: DatabaseError | None = None) -> Catalogue:
    """The snapshot to serve while the database is out, or :class:`CatalogueUnavailable`."""
    if current is None:
        raise CatalogueUnavailable(_database.retry_at - time.monotonic()) from cause
    return current


def _database_failed(has_snapshot: bool, error: DatabaseError) -> None:
    if not _database.failed(time.monotonic()):
        return  # the outage is already logged
    if has_snapshot:
        logger.warning(
            "Cookie catalogue: the database could not be read (%s); this process keeps "
            "serving its last catalogue and tries again in %.0f s, then less often.",
            one_line(error),
            _database.delay,
        )
    else:
        logger.error(
            "Cookie catalogue: the database could not be read (%s) and this process has no "
            "catalogue yet: pages answer 503 until it can; next try in %.0f s.",
            one_line(error),
            _database.delay,
        )


def _cache_call(operation: str, *args: Any, **kwargs: Any) -> Any:
    """Call the cache, or answer ``None`` when it is down: the database still answers.

    After a failed or slow call the cache is left alone for a back-off period, so that a
    hung cache server costs one wait per period, not one per call.
    """
    if _cache.waiting(time.monotonic()):
        return None
    started = time.monotonic()
    try:
        result = getattr(caches[conf.CACHE_ALIAS], operation)(*args, **kwargs)
    except Exception as error:
        _cache_failed(f"failed on {operation} ({one_line(error)})")
        return None
    finished = time.monotonic()
    took = finished - started
    if took > SLOW_CACHE_CALL:
        _cache_failed(f"took {took:.2f} s to answer {operation}")
        return result
    lasted = _cache.ended(finished)
    if lasted is not None:
        logger.info(
            "Cookie catalogue: the cache %r answers again, after %.1f s.",
            conf.CACHE_ALIAS,
            lasted,
        )
    return result


def _cache_failed(what: str) -> None:
    if _cache.failed(time.monotonic()):
        logger.warning(
            "Cookie catalogue: the cache %r %s; reading the database instead, and leaving "
            "the cache alone for %.0f s, then longer while it fails.",
            conf.CACHE_ALIAS,
            what,
            _cache.delay,
        )


def is_process_local_cache(alias: str) -> bool:
    """Whether a cache lives in one process only, so that it cannot tell of others' edits."""
    from django.core.cache.backends.dummy import DummyCache
    from django.core.cache.backends.locmem import LocMemCache

    return isinstance(caches[alias], LocMemCache | DummyCache)


def _shared_generation() -> str | None:
    if is_process_local_cache(conf.CACHE_ALIAS):
        # No other process can announce an edit here: re-read the database each interval.
        return None
    generation = _cache_call("get", GENERATION_KEY)
    if generation is None and _cache_call("add", GENERATION_KEY, _new_token(), None):
        generation = _cache_call("get", GENERATION_KEY)
    return generation  # type: ignore[no-any-return]


def _shared_snapshot(generation: str | None) -> Catalogue | None:
    if generation is None:
        return None
    categories = _cache_call("get", SNAPSHOT_KEY.format(generation=generation))
    return None if categories is None else Catalogue(categories, generation)


def _build(generation: str | None) -> Catalogue:
    categories = load_categories()
    lasted = _database.ended(time.monotonic())
    if lasted is not None:
        logger.info(
            "Cookie catalogue: the database answers again, after %.1f s; the catalogue is "
            "up to date.",
            lasted,
        )
    if generation is not None:
        _cache_call(
            "set", SNAPSHOT_KEY.format(generation=generation), categories, SNAPSHOT_TIMEOUT
        )
    return Catalogue(categories, generation)


def load_categories() -> tuple[Category, ...]:
    """Read the whole catalogue from the database: two queries."""
    from cookie_consent.models import Cookie, CookieCategory

    cookies: defaultdict[str, list[DeclaredCookie]] = defaultdict(list)
    for row in Cookie.objects.order_by("name", "domain", "path").values_list(
        "name",
        "category__slug",
        "provider",
        "function",
        "purpose",
        "duration",
        "domain",
        "path",
        "translations",
    ):
        cookies[row[1]].append(DeclaredCookie(*row))
    categories = []
    for row in CookieCategory.objects.order_by("order", "slug").values(
        "slug",
        "name",
        "description",
        "required",
        "needs_consent",
        "order",
        "honors_gpc",
        "consent_mode",
        "translations",
    ):
        declared = tuple(cookies[row["slug"]])
        revision = category_revision(
            required=row["required"], needs_consent=row["needs_consent"], cookies=declared
        )
        categories.append(
            Category(
                row["slug"],
                row["name"],
                row["description"],
                row["required"],
                row["needs_consent"],
                row["order"],
                revision,
                declared,
                honors_gpc=row["honors_gpc"],
                consent_mode=tuple(row["consent_mode"].split()),
                translations=row["translations"],
            )
        )
    return tuple(categories)


def _new_token() -> str:
    return secrets.token_hex(8)


def forget_local() -> None:
    """Drop this process's snapshot; the next read asks the cache or the database."""
    _local.state = (None, 0.0)
    # Whatever failed before is asked again at once, and a new failure logged again.
    _database.clear()
    _cache.clear()


def _catalogue_connection(using: str | None = None) -> Any:
    from cookie_consent.models import CookieCategory

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
    _cache_call("set", GENERATION_KEY, _new_token(), None)


@receiver(post_save, sender="cookie_consent.CookieCategory")
@receiver(post_save, sender="cookie_consent.Cookie")
@receiver(post_delete, sender="cookie_consent.CookieCategory")
@receiver(post_delete, sender="cookie_consent.Cookie")
def _catalogue_edited(sender: Any, using: str, **kwargs: Any) -> None:
    invalidate(using)
