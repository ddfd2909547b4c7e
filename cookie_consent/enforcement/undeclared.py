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
  algorithm (see :class:`ReceivedTally`), in a full table by replacing the row seen the
  fewest times, when they were seen more often. Those that lose are held back and keep
  counting for the next write.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, close_old_connections, connections, transaction
from django.db.models import F
from django.utils import timezone

from cookie_consent.conf import conf
from cookie_consent.logs import one_line

# The documented logger name, older than this module.
logger = logging.getLogger("cookie_consent.undeclared")

REQUEST, RESPONSE = "request", "response"
# Per process: names received, names set by the server, names held back (each at most).
MAX_PENDING = 1000
MAX_ROWS = 10_000
MAX_NAME_LENGTH = 255

Key = tuple[str, str]  # (name, direction): one row of the table


@dataclass
class Sighting:
    count: int
    first_seen: datetime
    last_seen: datetime
    path: str

    def add(self, other: Sighting) -> None:
        """Count in the sightings of the same name from another tally."""
        self.count += other.count
        self.first_seen, self.path = min(
            (self.first_seen, self.path), (other.first_seen, other.path)
        )
        self.last_seen = max(self.last_seen, other.last_seen)


class ReceivedTally:
    """Names sent by browsers, in at most ``MAX_PENDING`` places (Space-Saving algorithm,
    Metwally, Agrawal and El Abbadi, 2005).

    When every place is taken, a new name takes the place of a lowest-ranked entry and
    ranks one above it. Made-up names then only replace one another: among N sightings, a
    name seen more than N / MAX_PENDING times keeps its place. The rank decides who keeps
    a place; the sighting counts what was really seen. Among equal ranks, names that got
    theirs from a replaced entry make way before names that earned it by being seen.
    """

    def __init__(self) -> None:
        self.sightings: dict[str, Sighting] = {}
        # Ranked only once the places are all taken: until then a rank is the count.
        self._rank: dict[str, int] = {}
        # The names of each rank in the order they make way: O(1) replacement.
        self._by_rank: dict[int, OrderedDict[str, None]] = {}
        self._lowest = 0

    def see(self, name: str, now: datetime, path: str) -> None:
        sighting = self.sightings.get(name)
        if sighting is not None:
            sighting.count += 1
            sighting.last_seen = now
            if self._by_rank:
                self._move(name, self._rank[name] + 1)
            return
        if len(self.sightings) >= MAX_PENDING:
            self._replace_lowest(name)
        self.sightings[name] = Sighting(1, now, now, path)

    def _replace_lowest(self, name: str) -> None:
        if not self._by_rank:
            for known, sighting in self.sightings.items():
                self._place(known, sighting.count)
            self._lowest = min(self._by_rank)
        replaced = next(iter(self._by_rank[self._lowest]))
        self._place(name, self._lowest + 1, inherited=True)
        self._unrank(replaced, self._rank.pop(replaced))
        del self.sightings[replaced]

    def _move(self, name: str, rank: int) -> None:
        old = self._rank[name]
        self._place(name, rank)
        self._unrank(name, old)

    def _place(self, name: str, rank: int, inherited: bool = False) -> None:
        names = self._by_rank.get(rank)
        if names is None:
            names = self._by_rank[rank] = OrderedDict()
        names[name] = None
        if inherited:
            names.move_to_end(name, last=False)
        self._rank[name] = rank

    def _unrank(self, name: str, rank: int) -> None:
        names = self._by_rank[rank]
        del names[name]
        if not names:
            del self._by_rank[rank]
            if rank == self._lowest:
                # Both callers have just placed a name one rank higher.
                self._lowest = rank + 1


class Tally:
    """What a process saw since its last write, what that write held back, and whether it
    found the table full."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self._empty()
        self.held: dict[Key, Sighting] = {}
        self.table_full = False

    def _empty(self) -> None:
        self.received = ReceivedTally()
        self.set_by_server: dict[str, Sighting] = {}

    def see(self, name: str, direction: str, now: datetime, path: str) -> None:
        if direction == REQUEST:
            self.received.see(name, now, path)
            return
        sighting = self.set_by_server.get(name)
        if sighting is not None:
            sighting.count += 1
            sighting.last_seen = now
        elif len(self.set_by_server) < MAX_PENDING:
            self.set_by_server[name] = Sighting(1, now, now, path)

    def take(self) -> dict[Key, Sighting]:
        """Everything to write, the tally emptied."""
        batch = {(name, REQUEST): s for name, s in self.received.sightings.items()}
        batch.update({(name, RESPONSE): s for name, s in self.set_by_server.items()})
        for key, sighting in self.held.items():
            if key in batch:
                batch[key].add(sighting)
            else:
                batch[key] = sighting
        self._empty()
        self.held = {}
        return batch

    def hold(self, sightings: Iterable[tuple[Key, Sighting]]) -> None:
        """Keep for the next write what this one could not write; called after ``take``."""
        ranked = sorted(sightings, key=lambda item: _precedence(item[0], item[1]))
        self.held = dict(ranked[:MAX_PENDING])

    def names(self) -> set[Key]:
        received = {(name, REQUEST) for name in self.received.sightings}
        set_by_server = {(name, RESPONSE) for name in self.set_by_server}
        return received | set_by_server | set(self.held)


def _precedence(key: Key, sighting: Sighting) -> tuple[bool, int]:
    """Sort key: names the server sets first (a client cannot make them up), then the most seen."""
    return (key[1] != RESPONSE, -sighting.count)


_lock = threading.Lock()  # the tally, which requests share
_flush_lock = threading.Lock()  # one write at a time, so that what a write holds back stays
_pending = Tally()
_flusher: threading.Thread | None = None
_stop = threading.Event()


def seen(name: str, direction: str, path: str) -> None:
    """Count one sighting; cheap, no I/O."""
    if len(name) > MAX_NAME_LENGTH:
        return
    now = timezone.now()
    with _lock:
        _pending.see(name, direction, now, path[:2048])
        if conf.UNDECLARED_FLUSH_INTERVAL is not None and (
            _flusher is None or not _flusher.is_alive()
        ):
            _start_flusher()


def flush() -> int:
    """Write the tally to the database; returns how many names were written.

    If the database fails, what was not written is held for next time, and the exception
    is raised.
    """
    with _flush_lock:
        with _lock:
            batch = _pending.take()
        return _write_batch(batch)


def _write_batch(batch: dict[Key, Sighting]) -> int:
    known = _recorded(batch)
    places, turned_away = _make_room([key for key in batch if key not in known], batch, known)
    admitted = [key for key in batch if key in places]  # warned about in the order seen
    held = [(key, batch[key]) for key in turned_away]
    unwritten = deque(key for key in batch if key in known)
    try:
        _create(admitted, batch)
        written, admitted = len(admitted), []  # nothing of them to hold if the rest fails
        while unwritten:
            _write(*unwritten[0], batch[unwritten[0]])
            unwritten.popleft()
            written += 1
    except Exception:
        _hold(held + [(key, batch[key]) for key in (*admitted, *unwritten)])
        raise
    _hold(held)
    return written


def _hold(sightings: list[tuple[Key, Sighting]]) -> None:
    with _lock:
        _pending.hold(sightings)


def _recorded(batch: dict[Key, Sighting]) -> set[Key]:
    """The names of the batch that already have a row."""
    from cookie_consent.models import UndeclaredCookie

    if not batch:
        return set()
    rows = UndeclaredCookie.objects.filter(name__in={name for name, _ in batch})
    return set(rows.values_list("name", "direction")) & set(batch)


def _make_room(
    new: list[Key], batch: dict[Key, Sighting], known: set[Key]
) -> tuple[set[Key], list[Key]]:
    """The new names that get a row, and those turned away; deletes the rows they replace."""
    from cookie_consent.models import UndeclaredCookie

    if not new:
        return set(), []
    free = MAX_ROWS - UndeclaredCookie.objects.count()
    new.sort(key=lambda key: _precedence(key, batch[key]))
    admitted, contenders = new[: max(free, 0)], new[max(free, 0) :]
    _note_fullness(filled=0 < free <= len(new), full=free <= len(new))
    replacing, turned_away = _replace(contenders, batch, known, surplus=max(-free, 0))
    return {*admitted, *replacing}, turned_away


def _replace(
    contenders: list[Key], batch: dict[Key, Sighting], known: set[Key], surplus: int
) -> tuple[list[Key], list[Key]]:
    """In a full table, each contender takes the place of the received name seen least,
    if it was seen more often; a name the server sets takes it whatever the count."""
    from cookie_consent.models import UndeclaredCookie

    if not contenders:
        return [], []
    rows = UndeclaredCookie.objects.filter(direction=REQUEST).order_by("count", "last_seen")
    places = [
        (pk, count)
        for pk, name, count in rows.values_list("pk", "name", "count")[
            : surplus + len(contenders) + len(known)
        ]
        if (name, REQUEST) not in known  # this write adds to them
    ]
    # Rows beyond the cap, written by processes that found room at the same moment, go first.
    deleted = [pk for pk, _ in places[:surplus]]
    free_places = iter(places[surplus:])
    place = next(free_places, None)
    replacing, turned_away = [], []
    for key in contenders:
        if place is not None and (key[1] == RESPONSE or place[1] < batch[key].count):
            deleted.append(place[0])
            replacing.append(key)
            place = next(free_places, None)
        else:
            turned_away.append(key)
    UndeclaredCookie.objects.filter(pk__in=deleted).delete()
    return replacing, turned_away


def _note_fullness(filled: bool, full: bool) -> None:
    """One line when a write fills the table, or this process first finds it full; none at
    each write while it stays full."""
    if filled or (full and not _pending.table_full):
        logger.warning(
            "Cookie consent: the list of undeclared cookies is full (%d rows). A new name now "
            "takes the place of the name sent by browsers that was seen least, if it was seen "
            "more often; names set by the server come first. Review the list in the admin: "
            "declare the cookies the site uses, delete the others.",
            MAX_ROWS,
        )
    _pending.table_full = full


def _create(keys: list[Key], batch: dict[Key, Sighting]) -> None:
    """The rows of new names, in one statement; one by one if another process wrote one
    of them meanwhile. All or none of them, so that a failed write can be tried again."""
    from cookie_consent.models import UndeclaredCookie

    if not keys:
        return
    with transaction.atomic():
        try:
            with transaction.atomic():
                UndeclaredCookie.objects.bulk_create(
                    UndeclaredCookie(
                        name=name,
                        direction=direction,
                        first_seen=batch[name, direction].first_seen,
                        last_seen=batch[name, direction].last_seen,
                        count=batch[name, direction].count,
                        example_path=batch[name, direction].path,
                    )
                    for name, direction in keys
                )
            created = keys
        except IntegrityError:
            created = [key for key in keys if _add(*key, batch[key])]
    for name, direction in created:
        _warn(name, direction, batch[name, direction])


def _write(name: str, direction: str, sighting: Sighting) -> None:
    """Add to the row of a name already recorded (which an admin may have deleted since)."""
    if _add(name, direction, sighting):
        _warn(name, direction, sighting)


def _add(name: str, direction: str, sighting: Sighting) -> bool:
    """Add the sighting to the name's row, or create it; whether it was created."""
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
    return created


def _warn(name: str, direction: str, sighting: Sighting) -> None:
    logger.warning(
        "Undeclared cookie %r %s (e.g. %s). Declare it in a category of the cookie catalogue "
        "(admin: Cookie consent > Undeclared cookies > “Declare in a category”); until then "
        "it is %s.",
        name,
        "sent by the browser" if direction == REQUEST else "set by the server",
        sighting.path,
        "stripped" if conf.UNDECLARED == "strip" else "let through",
    )


def pending_names() -> set[Key]:
    """The names, with their direction, counted or held back and not written yet."""
    with _lock:
        return _pending.names()


def forget_pending() -> None:
    """Drop what is counted or held back, unwritten (between tests)."""
    with _lock:
        _pending.clear()


def _start_flusher() -> None:
    """Start the background writer; called with ``_lock`` held."""
    global _flusher
    _flusher = threading.Thread(
        target=_flush_forever, name="cookie-consent-undeclared", daemon=True
    )
    _flusher.start()


def _flush_forever() -> None:
    # An outage is one event: one line when writing starts to fail, one when it works
    # again, not a traceback every interval.
    failing = False
    while not _stop.is_set():
        interval = conf.UNDECLARED_FLUSH_INTERVAL
        _stop.wait(interval if interval is not None else 60)
        try:
            flush()
        except Exception as error:
            if not failing:
                logger.warning(
                    "Cookie consent: writing undeclared cookie sightings failed (%s); "
                    "they are kept in memory and written when the database answers.",
                    one_line(error),
                )
            failing = True
        else:
            if failing:
                logger.info("Cookie consent: undeclared cookie sightings are written again.")
            failing = False
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
