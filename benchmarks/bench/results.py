"""One run's figures, and the ratios every table and target is built from."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from bench.serve import WrkResult
from bench.sizes import Bundle
from bench.workers import Timing

Pair = tuple[str, str]  # (worker, scenario), e.g. ("guard", "page:accept")


@dataclass
class Results:
    """Everything run.py measured, keyed by (worker, scenario) where it is per request."""

    command: str
    mode: str
    settings: dict[str, Any]
    machine: dict[str, str]
    workers: dict[str, dict[str, Any]] = field(default_factory=dict)
    checks: dict[Pair, dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    io: dict[Pair, dict[str, Any]] = field(default_factory=dict)
    timings: dict[Pair, Timing] = field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    wrk: list[tuple[str, str, str, WrkResult]] = field(default_factory=list)
    sizes: list[Bundle] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def timing(self, key: str, scenario: str) -> Timing | None:
        return self.timings.get((key, scenario))

    def speed_ratio(self, key: str, scenario: str, base: Pair) -> float | None:
        """Throughput of (key, scenario) over that of ``base``: above 1 is faster."""
        mine, theirs = self.timing(key, scenario), self.timing(*base)
        return None if mine is None or theirs is None else theirs.median / mine.median

    def cpu_ratio(self, key: str, scenario: str, base: Pair) -> float | None:
        mine, theirs = self.timing(key, scenario), self.timing(*base)
        return None if mine is None or theirs is None else theirs.cpu_median / mine.cpu_median

    def round_range(self, key: str, scenario: str, base: Pair) -> str:
        """The middle half (interquartile range) of the same ratio taken round by round."""
        mine, theirs = self.timing(key, scenario), self.timing(*base)
        if mine is None or theirs is None or len(mine.rounds) < 2:
            return "—"
        ratios = [b / m for m, b in zip(mine.rounds, theirs.rounds, strict=True)]
        low, _, high = statistics.quantiles(ratios, n=4)
        return f"{low:.2f}–{high:.2f}"
