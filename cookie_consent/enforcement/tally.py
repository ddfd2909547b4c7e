"""The in-process tally of undeclared cookies: what a process saw since its last write.

A request only adds to it, in memory, under a lock the requests share. It is bounded,
and a flood of names made up by clients must not keep a real cookie out of it: a name
the server sets cannot be made up, so it has places of its own; names received compete
by how often they are seen (Space-Saving, see :class:`ReceivedTally`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from cookie_consent.enforcement.directions import Direction

# Per process: names received, names set by the server, names held back (each at most).
MAX_PENDING = 1000

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
        if direction == Direction.REQUEST:
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
        batch: dict[Key, Sighting] = {
            (name, Direction.REQUEST): s for name, s in self.received.sightings.items()
        }
        batch.update({(name, Direction.RESPONSE): s for name, s in self.set_by_server.items()})
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
        ranked = sorted(sightings, key=lambda item: precedence(item[0], item[1]))
        self.held = dict(ranked[:MAX_PENDING])

    def names(self) -> set[Key]:
        received = {(name, Direction.REQUEST) for name in self.received.sightings}
        set_by_server = {(name, Direction.RESPONSE) for name in self.set_by_server}
        return received | set_by_server | set(self.held)


def precedence(key: Key, sighting: Sighting) -> tuple[bool, int]:
    """Sort key: names the server sets first (a client cannot make them up), then the most seen."""
    return (key[1] != Direction.RESPONSE, -sighting.count)


# The process's tally, which requests share; the functions below are its only users.
_lock = threading.Lock()
_pending = Tally()


def count(name: str, direction: str, now: datetime, path: str) -> None:
    """Count one sighting."""
    with _lock:
        _pending.see(name, direction, now, path)


def take() -> dict[Key, Sighting]:
    """Everything to write, the tally emptied; what is held back comes with it."""
    with _lock:
        return _pending.take()


def hold(sightings: list[tuple[Key, Sighting]]) -> None:
    """Keep for the next write what a write could not write; called after :func:`take`."""
    with _lock:
        _pending.hold(sightings)


def names() -> set[Key]:
    """The names, with their direction, counted or held back and not written yet."""
    with _lock:
        return _pending.names()


def forget() -> None:
    """Drop what is counted or held back, unwritten, and what was known of the table."""
    with _lock:
        _pending.clear()


def note_table_full(full: bool) -> bool:
    """Remember whether the last write found the table full; whether the one before did."""
    was_full, _pending.table_full = _pending.table_full, full
    return was_full
