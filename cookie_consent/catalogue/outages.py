"""A failing database or cache, as the catalogue snapshot sees it.

When the database or the cache fails, the process keeps the snapshot it has and tries
again after a back-off (1 s, doubling up to 30 s), logging one line when the outage
begins and one when it ends. A cache call that fails or is slow opens the circuit: the
cache is left alone for the back-off, so that a hung cache server costs one wait per
period, not one per call.
"""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING, Any

from django.core.cache import caches
from django.db import DatabaseError

from cookie_consent.conf import conf
from cookie_consent.logs import one_line

if TYPE_CHECKING:
    from cookie_consent.catalogue.values import Catalogue

# The documented logger name, older than this module.
logger = logging.getLogger("cookie_consent.catalogue")

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


class Outage:
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


database = Outage()
cache = Outage()


def clear() -> None:
    """Forget both outages: whatever failed is asked again at once, and logged again."""
    database.clear()
    cache.clear()


def keep(current: Catalogue | None, cause: DatabaseError | None = None) -> Catalogue:
    """The snapshot to serve while the database is out, or :class:`CatalogueUnavailable`."""
    if current is None:
        raise CatalogueUnavailable(database.retry_at - time.monotonic()) from cause
    return current


def database_failed(has_snapshot: bool, error: DatabaseError) -> None:
    if not database.failed(time.monotonic()):
        return  # the outage is already logged
    if has_snapshot:
        logger.warning(
            "Cookie catalogue: the database could not be read (%s); this process keeps "
            "serving its last catalogue and tries again in %.0f s, then less often.",
            one_line(error),
            database.delay,
        )
    else:
        logger.error(
            "Cookie catalogue: the database could not be read (%s) and this process has no "
            "catalogue yet: pages answer 503 until it can; next try in %.0f s.",
            one_line(error),
            database.delay,
        )


def cache_call(operation: str, *args: Any, **kwargs: Any) -> Any:
    """Call the cache, or answer ``None`` when it is down: the database still answers.

    After a failed or slow call the cache is left alone for a back-off period, so that a
    hung cache server costs one wait per period, not one per call.
    """
    if cache.waiting(time.monotonic()):
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
    lasted = cache.ended(finished)
    if lasted is not None:
        logger.info(
            "Cookie catalogue: the cache %r answers again, after %.1f s.",
            conf.CACHE_ALIAS,
            lasted,
        )
    return result


def _cache_failed(what: str) -> None:
    if cache.failed(time.monotonic()):
        logger.warning(
            "Cookie catalogue: the cache %r %s; reading the database instead, and leaving "
            "the cache alone for %.0f s, then longer while it fails.",
            conf.CACHE_ALIAS,
            what,
            cache.delay,
        )


def database_answered() -> None:
    """The database was read: log the end of its outage, if there was one."""
    lasted = database.ended(time.monotonic())
    if lasted is not None:
        logger.info(
            "Cookie catalogue: the database answers again, after %.1f s; the catalogue is "
            "up to date.",
            lasted,
        )
