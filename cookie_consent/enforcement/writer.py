"""Writing the tally of undeclared cookies to the database, in batches.

Each write adds to the row of a name already recorded, or creates it, with one WARNING
that says how to declare it. The table is bounded: in a full table a name the server
sets takes the place of a name only received, and names received replace the row seen
the fewest times when they were seen more often. Those that lose are held back and keep
counting for the next write.
"""

from __future__ import annotations

import logging
import threading
from collections import deque

from django.db import IntegrityError, transaction
from django.db.models import F

from cookie_consent.conf import conf
from cookie_consent.enforcement import tally
from cookie_consent.enforcement.directions import Direction
from cookie_consent.enforcement.tally import Key, Sighting, precedence

# The documented logger name, older than this module.
logger = logging.getLogger("cookie_consent.undeclared")

MAX_ROWS = 10_000

_flush_lock = threading.Lock()  # one write at a time, so that what a write holds back stays


def flush() -> int:
    """Write the tally to the database; returns how many names were written.

    If the database fails, what was not written is held for next time, and the exception
    is raised.
    """
    with _flush_lock:
        return _write_batch(tally.take())


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
        tally.hold(held + [(key, batch[key]) for key in (*admitted, *unwritten)])
        raise
    tally.hold(held)
    return written


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
    new.sort(key=lambda key: precedence(key, batch[key]))
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
    rows = UndeclaredCookie.objects.filter(direction=Direction.REQUEST).order_by(
        "count", "last_seen"
    )
    places = [
        (pk, count)
        for pk, name, count in rows.values_list("pk", "name", "count")[
            : surplus + len(contenders) + len(known)
        ]
        if (name, Direction.REQUEST) not in known  # this write adds to them
    ]
    # Rows beyond the cap, written by processes that found room at the same moment, go first.
    deleted = [pk for pk, _ in places[:surplus]]
    free_places = iter(places[surplus:])
    place = next(free_places, None)
    replacing, turned_away = [], []
    for key in contenders:
        if place is not None and (key[1] == Direction.RESPONSE or place[1] < batch[key].count):
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
    was_full = tally.note_table_full(full)
    if filled or (full and not was_full):
        logger.warning(
            "Cookie consent: the list of undeclared cookies is full (%d rows). A new name now "
            "takes the place of the name sent by browsers that was seen least, if it was seen "
            "more often; names set by the server come first. Review the list in the admin: "
            "declare the cookies the site uses, delete the others.",
            MAX_ROWS,
        )


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
        "sent by the browser" if direction == Direction.REQUEST else "set by the server",
        sighting.path,
        "stripped" if conf.UNDECLARED == "strip" else "let through",
    )
