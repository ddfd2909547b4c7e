"""A failing database: the snapshot is kept and the database tried after a back-off."""

from __future__ import annotations

import itertools
import logging
from typing import Any

import pytest
from django.db import DatabaseError, OperationalError

from cookie_consent.catalogue import snapshot as catalogue
from cookie_consent.catalogue.snapshot import get_catalogue
from tests.catalogue.conftest import Clock, began_and_ended, logged

pytestmark = pytest.mark.django_db


load_categories = catalogue.load_categories


class DatabaseOutage:
    """Reading the catalogue fails as with a stopped database; the times of the tries."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.tries: list[float] = []
        self.down = False

    def load(self) -> Any:
        self.tries.append(self.clock.now)
        if self.down:
            raise OperationalError(
                'connection to server at "127.0.0.1", port 5432 failed: Connection refused\n'
                "\tIs the server running on that host and accepting TCP/IP connections?"
            )
        return load_categories()


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, clock: Clock, local_cache: None) -> DatabaseOutage:
    outage = DatabaseOutage(clock)
    monkeypatch.setattr(catalogue, "load_categories", outage.load)
    return outage


REFUSED = (
    'OperationalError: connection to server at "127.0.0.1", port 5432 failed: Connection '
    "refused Is the server running on that host and accepting TCP/IP connections?"
)


def test_database_outage_keeps_the_last_snapshot(
    database: DatabaseOutage, clock: Clock, logs: pytest.LogCaptureFixture
) -> None:
    first = get_catalogue()
    database.down = True
    clock.now += 6
    served = [get_catalogue() for _ in range(20)]
    assert all(snapshot is first for snapshot in served)
    # One try, then none before the back-off is over.
    assert len(database.tries) == 2
    assert not catalogue.needs_refresh()

    database.down = False
    clock.now += 1
    rebuilt = get_catalogue()

    assert rebuilt is not first
    assert rebuilt.categories == first.categories
    assert began_and_ended(logs) == (
        [
            f"Cookie catalogue: the database could not be read ({REFUSED}); this process "
            "keeps serving its last catalogue and tries again in 1 s, then less often."
        ],
        [
            "Cookie catalogue: the database answers again, after 1.0 s; the catalogue is "
            "up to date."
        ],
    )


def test_database_is_tried_again_with_a_bounded_back_off(
    database: DatabaseOutage, clock: Clock, logs: pytest.LogCaptureFixture
) -> None:
    get_catalogue()
    database.down = True
    start = clock.now
    for _ in range(300):
        clock.now += 0.5
        get_catalogue()
    gaps = [later - earlier for earlier, later in itertools.pairwise(database.tries[1:])]
    assert gaps[:6] == [1, 2, 4, 8, 16, 30]
    assert set(gaps[6:]) == {30}
    assert database.tries[1] == start + 5
    # One line for the whole outage, not one per try.
    assert len(logged(logs, logging.WARNING)) == 1


def test_process_without_a_snapshot_raises_catalogue_unavailable(
    database: DatabaseOutage, clock: Clock, logs: pytest.LogCaptureFixture
) -> None:
    database.down = True
    with pytest.raises(catalogue.CatalogueUnavailable) as first:
        get_catalogue()
    clock.now += 0.5
    with pytest.raises(catalogue.CatalogueUnavailable) as second:
        get_catalogue()

    assert isinstance(first.value, DatabaseError)
    assert first.value.retry_after == 1
    assert isinstance(first.value.__cause__, OperationalError)
    # Within the back-off: answered at once, without asking the database.
    assert second.value.__cause__ is None
    assert len(database.tries) == 1
    assert catalogue.needs_refresh()
    assert logged(logs, logging.WARNING) == []
    assert logged(logs, logging.ERROR) == [
        f"Cookie catalogue: the database could not be read ({REFUSED}) and this process has "
        "no catalogue yet: pages answer 503 until it can; next try in 1 s."
    ]
    database.down = False
    clock.now += 1
    assert get_catalogue().category("necessary") is not None
