"""The background thread that writes the tally of undeclared cookies every
``COOKIE_CONSENT_UNDECLARED_FLUSH_INTERVAL`` seconds, and logs an outage once."""

from __future__ import annotations

import atexit
import logging
import threading

from django.db import close_old_connections, connections

from cookie_consent.conf import conf
from cookie_consent.enforcement.writer import flush
from cookie_consent.logs import one_line

# The documented logger name, older than this module.
logger = logging.getLogger("cookie_consent.undeclared")

_thread: threading.Thread | None = None
_starting = threading.Lock()  # one thread per process, however many requests see a name
_stop = threading.Event()


def ensure_running() -> None:
    """Start the background writer, unless it runs."""
    global _thread
    with _starting:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(
                target=_flush_forever, name="cookie-consent-undeclared", daemon=True
            )
            _thread.start()


def current() -> threading.Thread | None:
    """The background writer of this process; None when none runs."""
    return _thread


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
    global _thread
    thread = _thread
    if thread is None:
        return
    atexit.unregister(stop_flusher)
    _stop.set()
    thread.join(timeout)
    _stop.clear()
    _thread = None
