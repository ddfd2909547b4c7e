"""Sightings of cookies missing from the catalogue, kept in memory and written in batches.

A request never touches the database for this: it adds to a per-process tally, and a
background thread writes the tally every ``COOKIE_CONSENT_UNDECLARED_FLUSH_INTERVAL``
seconds (or :func:`flush` does, when the interval is ``None``). The first write of a name
logs one WARNING that says how to declare it.

Any client can send made-up names, so the tally and the table are bounded, and a flood
of made-up names must not keep a real cookie out of them:

- a name the server sets cannot be made up by a client: it has places of its own in the
  tally, and in a full table it takes the place of a name only received;
- names received compete by how often they are seen: in the tally by the Space-Saving
  algorithm (see :class:`~cookie_consent.enforcement.tally.ReceivedTally`), in a full
  table by replacing the row seen the fewest times, when they were seen more often.
  Those that lose are held back and keep counting for the next write.
"""

from __future__ import annotations

import threading

from django.utils import timezone

from cookie_consent.conf import conf
from cookie_consent.enforcement import flusher, tally
from cookie_consent.enforcement.flusher import stop_flusher
from cookie_consent.enforcement.tally import Key
from cookie_consent.enforcement.writer import flush

__all__ = [
    "flush",
    "flusher_thread",
    "forget_pending",
    "pending_names",
    "seen",
    "stop_flusher",
]

MAX_NAME_LENGTH = 255


def seen(name: str, direction: str, path: str) -> None:
    """Count one sighting; cheap, no I/O."""
    if len(name) > MAX_NAME_LENGTH:
        return
    tally.count(name, direction, timezone.now(), path[:2048])
    if conf.UNDECLARED_FLUSH_INTERVAL is not None:
        flusher.ensure_running()


def pending_names() -> set[Key]:
    """The names, with their direction, counted or held back and not written yet."""
    return tally.names()


def forget_pending() -> None:
    """Drop what is counted or held back, unwritten (between tests)."""
    tally.forget()


def flusher_thread() -> threading.Thread | None:
    """The thread that writes the tally in the background; None while none runs."""
    return flusher.current()
