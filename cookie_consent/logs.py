"""How the app writes a fault into its logs: one line per event, no traceback."""

from __future__ import annotations


def one_line(error: BaseException) -> str:
    """The error's class and message on one line: a driver's message may have several."""
    return f"{type(error).__name__}: {' '.join(str(error).split())}"
