"""Sightings of cookies missing from the catalogue, kept in memory and written in batches.

A request never touches the database for this: it adds to a per-process tally, and a
background thread writes the tally every ``COOKIE_CONSENT_UNDECLARED_FLUSH_INTERVAL``
seconds (or :func:`flush` does, when the interval is ``None``). The first write of a name
logs one WARNING that says how to declare it.
"""

from __future__ import annotations

import atexit
import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from django.db import close_old_connections, connections, transaction
from django.db.models import F
from django.utils import timezone

from cookie_consent.conf import conf

logger = logging.getLogger(__name__)

REQUEST, RESPONSE = "request", "response"
# A client can send any number of made-up names: the tally and the table stay bounded.
MAX_PENDING = 1000
MAX_ROWS = 10_000
MAX_NAME_LENGTH = 255


@dataclass
class Sighting:
    count: int
    first_seen: datetime
    last_seen: datetime
    path: str


_lock = threading.Lock()
_pending: dict[tuple[str, str], Sighting] = {}
_flusher: threading.Thread | None = None
_stop = threading.Event()


def seen(name: str, direction: str, path: str) -> None:
    """Count one sighting; cheap, no I/O."""
    if len(name) > MAX_NAME_LENGTH:
        return
    now = timezone.now()
    key = (name, direction)
    with _lock:
        sighting = _pending.get(key)
        if sighting is None:
            if len(_pending) >= MAX_PENDING:
                return
            _pending[key] = Sighting(1, now, now, path[:2048])
        else:
            sighting.count += 1
            sighting.last_seen = now
        if conf.UNDECLARED_FLUSH_INTERVAL is not None and (
            _flusher is None or not _flusher.is_alive()
        ):
            _start_flusher()


def flush() -> int:
    """Write the tally to the database; returns how many names were written.

    If the database fails, what was not written goes back into the tally for next time.
    """
    from cookie_consent.models import UndeclaredCookie

    global _pending
    with _lock:
        batch, _pending = _pending, {}
    items = list(batch.items())
    if items and UndeclaredCookie.objects.count() >= MAX_ROWS:
        # Known names still count; new ones wait until an admin reviews the list.
        known = set(
            UndeclaredCookie.objects.filter(name__in=[name for (name, _), _ in items]).values_list(
                "name", "direction"
            )
        )
        dropped = len(items)
        items = [item for item in items if item[0] in known]
        logger.warning(
            "Cookie consent: %d undeclared cookies are already listed for review; %d new "
            "names were not recorded. Review the list in the admin.",
            MAX_ROWS,
            dropped - len(items),
        )
    for index, ((name, direction), sighting) in enumerate(items):
        try:
            _write(name, direction, sighting)
        except Exception:
            with _lock:
                for key, unwritten in items[index:]:
                    _merge(key, unwritten)
            raise
    return len(items)


def _merge(key: tuple[str, str], sighting: Sighting) -> None:
    current = _pending.get(key)
    if current is None:
        _pending[key] = sighting
    else:
        current.count += sighting.count
        current.first_seen = min(current.first_seen, sighting.first_seen)


def _write(name: str, direction: str, sighting: Sighting) -> None:
    from cookie_consent.models import UndeclaredCookie

    with transaction.atomic():
        _, created = UndeclaredCookie.objects.get_or_create(
            name=name,
            direction=direction,
            defaults={
                "first_seen": sighting.first_seen,
                "last_seen": sighting.last_seen,
                "count": sighting.count,
                "example_path": sighting.path,
            },
        )
        if not created:
            UndeclaredCookie.objects.filter(name=name, direction=direction).update(
                count=F("count") + sighting.count, last_seen=sighting.last_seen
            )
            return
    logger.warning(
        "Undeclared cookie %r %s (e.g. %s). Declare it in a category of the cookie catalogue "
        "(admin: Cookie consent > Undeclared cookies > “Declare in a category”); until then "
        "it is %s.",
        name,
        "sent by the browser" if direction == REQUEST else "set by the server",
        sighting.path,
        "stripped" if conf.UNDECLARED == "strip" else "let through",
    )


def pending_names() -> set[tuple[str, str]]:
    with _lock:
        return set(_pending)


def _start_flusher() -> None:
    """Start the background writer; called with ``_lock`` held."""
    global _flusher
    _flusher = threading.Thread(
        target=_flush_forever, name="cookie-consent-undeclared", daemon=True
    )
    _flusher.start()


def _flush_forever() -> None:
    while not _stop.is_set():
        interval = conf.UNDECLARED_FLUSH_INTERVAL
        _stop.wait(interval if interval is not None else 60)
        try:
            flush()
        except Exception:
            logger.exception("Cookie consent: writing undeclared cookie sightings failed.")
        finally:
            close_old_connections()
    # This thread's connections would otherwise stay open until garbage collection.
    connections.close_all()


def stop_flusher(timeout: float = 10) -> None:
    """Stop the background writer after a last write (at shutdown, or between tests)."""
    global _flusher
    thread = _flusher
    if thread is None:
        return
    atexit.unregister(stop_flusher)
    _stop.set()
    thread.join(timeout)
    _stop.clear()
    _flusher = None
