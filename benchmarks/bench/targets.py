"""The targets the report judges, each a PASS, a MISS or a SKIP (not measured)."""

from __future__ import annotations

from dataclasses import dataclass

from bench.results import Pair, Results
from bench.tables import IO_ROWS, table

# Targets (see benchmarks/README.md).
DECIDED_VS_BARE = 0.90
NEW_VS_STATIC = 0.95
CATALOGUE_GROWTH = 1.10
SHIPPED_GZIP_LIMIT = 4_000  # bytes: "4 KB", counted in kB of 1,000 bytes like the others


@dataclass(frozen=True)
class Target:
    """A target's verdict: on wall-clock figures, and on CPU time where that applies."""

    text: str
    measured: str
    passed: bool | None  # None: not measured in this run
    cpu_measured: str = ""
    cpu_passed: bool | None = None

    @property
    def verdict(self) -> str:
        return _verdict(self.passed)

    @property
    def cpu_verdict(self) -> str:
        return _verdict(self.cpu_passed) if self.cpu_measured else "—"


def _verdict(passed: bool | None) -> str:
    return {True: "PASS", False: "MISS", None: "SKIP"}[passed]


def targets(r: Results) -> list[Target]:
    return [
        _decided_target(r),
        _new_visitor_target(r),
        _io_target(r),
        _catalogue_target(r),
        _post_target(r),
        _size_target(r),
    ]


def _ratios(
    r: Results, pairs: list[tuple[str, str, Pair]]
) -> tuple[list[float], list[float]] | None:
    """Wall-clock and CPU throughput ratios of every (key, scenario, base), if measured."""
    wall = [r.speed_ratio(key, scenario, base) for key, scenario, base in pairs]
    cpu = [r.cpu_ratio(key, scenario, base) for key, scenario, base in pairs]
    if any(v is None for v in wall + cpu):
        return None
    return [v for v in wall if v is not None], [v for v in cpu if v is not None]


def _throughput_target(
    r: Results, text: str, pairs: list[tuple[str, str, Pair]], minimum: float
) -> Target:
    ratios = _ratios(r, pairs)
    if ratios is None:
        return Target(text, "—", None)
    wall, cpu = ratios
    return Target(
        text,
        _joined(wall, "×"),
        all(v >= minimum for v in wall),
        _joined(cpu, "×"),
        all(v >= minimum for v in cpu),
    )


def _decided_target(r: Results) -> Target:
    base = ("bare", "page:returning")
    return _throughput_target(
        r,
        f"decided visitor ≥ {DECIDED_VS_BARE:.2f}× bare (accepting / refusing)",
        [("guard", "page:accept", base), ("guard", "page:refuse", base)],
        DECIDED_VS_BARE,
    )


def _new_visitor_target(r: Results) -> Target:
    return _throughput_target(
        r,
        f"new visitor ≥ {NEW_VS_STATIC:.2f}× the static hand-written banner",
        [("guard", "page:new", ("static", "page:new"))],
        NEW_VS_STATIC,
    )


def _catalogue_target(r: Results) -> Target:
    text = "1,000-cookie catalogue within 10% of the 4-cookie one (accepting / refusing)"
    ratios = _ratios(r, [("guard-1000", s, ("guard", s)) for s in ("page:accept", "page:refuse")])
    if ratios is None:
        return Target(text, "—", None)
    # Time per request relative to the 4-cookie catalogue: the inverse of throughput.
    wall, cpu = ([1 / v for v in values] for values in ratios)
    return Target(
        text,
        _joined(wall, "× the time"),
        all(v <= CATALOGUE_GROWTH for v in wall),
        _joined(cpu, "× the time"),
        all(v <= CATALOGUE_GROWTH for v in cpu),
    )


def _post_target(r: Results) -> Target:
    # Wall-clock only: CPU time would leave out the database's own work.
    text = "consent POST with its record ≥ django-cookie-consent's accept POST"
    value = r.speed_ratio("guard", "post:accept", ("dcc", "post:accept"))
    if value is None:
        return Target(text, "—", None)
    return Target(text, _joined([value], "×"), value >= 1.0)


def _io_target(r: Results) -> Target:
    text = "0 queries, 0 cache round trips per steady-state page"
    keys = [
        (key, scenario)
        for key, scenario in IO_ROWS
        if key.startswith("guard") and scenario.startswith("page:") and (key, scenario) in r.io
    ]
    if not keys:
        return Target(text, "—", None)
    total = sum(r.io[k]["warm"]["queries"] + r.io[k]["warm"]["cache"] for k in keys)
    requests = sum(r.io[k]["warm"]["requests"] for k in keys)
    return Target(text, f"{total} in {requests} requests ({len(keys)} kinds)", total == 0)


def _size_target(r: Results) -> Target:
    text = "shipped JS+CSS ≤ 4 KB gzipped (4,000 bytes)"
    ours = r.sizes[0] if r.sizes else None
    if ours is None:
        return Target(text, "—", None)
    return Target(text, f"{ours.gzipped:,} bytes", ours.gzipped <= SHIPPED_GZIP_LIMIT)


def target_table(r: Results) -> str:
    headers = ["Target", "Measured (wall-clock)", "Verdict", "CPU time", "CPU verdict"]
    rows = [
        [t.text, t.measured, t.verdict, t.cpu_measured or "—", t.cpu_verdict] for t in targets(r)
    ]
    return table(headers, rows)


def _joined(values: list[float], unit: str) -> str:
    return " / ".join(f"{value:.2f}{unit}" for value in values)
