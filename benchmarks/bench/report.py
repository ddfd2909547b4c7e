"""Tables, targets and the generated docs/performance.md, from one run's results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.serve import WrkResult
from bench.sizes import Bundle
from bench.workers import Timing

# Targets (see benchmarks/README.md).
DECIDED_VS_BARE = 0.90
NEW_VS_STATIC = 0.95
CATALOGUE_GROWTH = 1.10
SHIPPED_GZIP_LIMIT = 4_000  # bytes: "4 KB", counted in kB of 1,000 bytes like the others


@dataclass
class Results:
    command: str
    mode: str
    settings: dict[str, Any]
    machine: dict[str, str]
    workers: dict[str, dict[str, Any]] = field(default_factory=dict)
    checks: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    io: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    timings: dict[tuple[str, str], Timing] = field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    wrk: list[tuple[str, str, str, WrkResult]] = field(default_factory=list)
    sizes: list[Bundle] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


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


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table, padded so that it also reads well in a terminal."""
    columns = zip(headers, *rows, strict=True)
    widths = [max(len(str(cell)) for cell in column) for column in columns]

    def line(cells: Sequence[str]) -> str:
        padded = (str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True))
        return "| " + " | ".join(padded) + " |"

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def us(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


class Report:
    """Reads the results by (worker, scenario); every table is one method."""

    def __init__(self, results: Results) -> None:
        self.r = results

    def timing(self, key: str, scenario: str) -> Timing | None:
        return self.r.timings.get((key, scenario))

    def speed_ratio(self, key: str, scenario: str, base: tuple[str, str]) -> float | None:
        """Throughput of (key, scenario) over that of ``base``: above 1 is faster."""
        mine, theirs = self.timing(key, scenario), self.timing(*base)
        return None if mine is None or theirs is None else theirs.median / mine.median

    def cpu_ratio(self, key: str, scenario: str, base: tuple[str, str]) -> float | None:
        mine, theirs = self.timing(key, scenario), self.timing(*base)
        return None if mine is None or theirs is None else theirs.cpu_median / mine.cpu_median

    def round_range(self, key: str, scenario: str, base: tuple[str, str]) -> str:
        """The same ratio round by round (the rounds interleave every pair)."""
        mine, theirs = self.timing(key, scenario), self.timing(*base)
        if mine is None or theirs is None:
            return "—"
        ratios = [b / m for m, b in zip(mine.rounds, theirs.rounds, strict=True)]
        return f"{min(ratios):.2f}–{max(ratios):.2f}"

    # --- tables -------------------------------------------------------------------------

    PAGE_ROWS = (
        ("(a) bare Django", "new visitor", "bare", "page:new", ("bare", "page:new")),
        (
            "(a) bare Django",
            "returning, same cookies",
            "bare",
            "page:returning",
            ("bare", "page:returning"),
        ),
        (
            "(e) hand-written static banner",
            "new visitor",
            "static",
            "page:new",
            ("bare", "page:new"),
        ),
        (
            "(b) django-cookie-guard",
            "new visitor (banner)",
            "guard",
            "page:new",
            ("bare", "page:new"),
        ),
        (
            "(c) django-cookie-guard",
            "accepting visitor",
            "guard",
            "page:accept",
            ("bare", "page:returning"),
        ),
        (
            "(d) django-cookie-guard",
            "refusing visitor",
            "guard",
            "page:refuse",
            ("bare", "page:returning"),
        ),
        (
            "(f) django-cookie-consent 1.0.0",
            "new visitor (banner)",
            "dcc",
            "page:new",
            ("bare", "page:new"),
        ),
        (
            "(f) django-cookie-consent 1.0.0",
            "accepting visitor",
            "dcc",
            "page:accept",
            ("bare", "page:returning"),
        ),
        (
            "(f) django-cookie-consent 1.0.0",
            "refusing visitor",
            "dcc",
            "page:refuse",
            ("bare", "page:returning"),
        ),
    )

    def pages(self) -> str:
        rows = []
        for variant, visitor, key, scenario, base in self.PAGE_ROWS:
            timing = self.timing(key, scenario)
            if timing is None:
                continue
            check = self.r.checks.get((key, scenario), {})
            rows.append(
                [
                    variant,
                    visitor,
                    ratio(self.speed_ratio(key, scenario, base)),
                    self.round_range(key, scenario, base),
                    us(timing.median),
                    f"{timing.rps:,.0f}",
                    us(timing.cpu_median),
                    ratio(self.cpu_ratio(key, scenario, base)),
                    f"{check.get('bytes', 0):,}",
                    str(len(check.get("set_cookies", []))),
                    "yes" if check.get("banner") else "no",
                ]
            )
        headers = [
            "Variant",
            "Visitor",
            "× bare",
            "per round",
            "µs/request",
            "requests/s",
            "CPU µs",
            "× bare, CPU",
            "page bytes",
            "Set-Cookie",
            "banner",
        ]
        return table(headers, rows)

    IO_ROWS = (
        ("bare", "page:new"),
        ("bare", "page:returning"),
        ("static", "page:new"),
        ("guard", "page:new"),
        ("guard", "page:accept"),
        ("guard", "page:refuse"),
        ("guard-100", "page:accept"),
        ("guard-100", "page:refuse"),
        ("guard-1000", "page:accept"),
        ("guard-1000", "page:refuse"),
        ("guard", "policy:new"),
        ("guard", "policy:accept"),
        ("guard", "api:new"),
        ("guard", "api:accept"),
        ("guard", "post:accept"),
        ("guard-pg", "post:accept"),
        ("dcc", "page:new"),
        ("dcc", "page:accept"),
        ("dcc", "page:refuse"),
        ("dcc", "policy:new"),
        ("dcc", "api:new"),
        ("dcc", "post:accept"),
    )

    def queries(self) -> str:
        rows = []
        for key, scenario in self.IO_ROWS:
            counts = self.r.io.get((key, scenario))
            if counts is None:
                continue
            warm, cold = counts["warm"], counts["cold"]
            n = warm["requests"]
            rows.append(
                [
                    key,
                    scenario,
                    f"{warm['queries'] / n:g}",
                    f"{warm['cache'] / n:g}",
                    str(cold["queries"]),
                    str(cold["cache"]),
                    _operations(cold["cache_operations"]),
                ]
            )
        headers = [
            "Worker",
            "Request",
            "queries (warm)",
            "cache trips (warm)",
            "queries (cold)",
            "cache trips (cold)",
            "cache operations (cold)",
        ]
        return table(headers, rows)

    def catalogue(self) -> str:
        rows = []
        for key, size, patterns in (
            ("guard", 4, 0),
            ("guard-100", 100, 10),
            ("guard-1000", 1000, 100),
        ):
            accept, refuse = self.timing(key, "page:accept"), self.timing(key, "page:refuse")
            if accept is None or refuse is None:
                continue
            rows.append(
                [
                    f"{size:,} ({patterns} patterns)",
                    us(accept.median),
                    ratio(
                        1 / (self.speed_ratio(key, "page:accept", ("guard", "page:accept")) or 1)
                    ),
                    us(refuse.median),
                    ratio(
                        1 / (self.speed_ratio(key, "page:refuse", ("guard", "page:refuse")) or 1)
                    ),
                ]
            )
        headers = [
            "Declared cookies",
            "accepting µs",
            "time vs 4",
            "refusing µs",
            "time vs 4",
        ]
        return table(headers, rows)

    def posts(self) -> str:
        rows = []
        entries = (
            (
                "django-cookie-guard, SQLite",
                "guard",
                "consent record (MAC-chained) + signed cookie",
            ),
            (
                "django-cookie-guard, PostgreSQL",
                "guard-pg",
                "consent record (MAC-chained) + signed cookie",
            ),
            ("django-cookie-consent 1.0.0, SQLite", "dcc", "one LogItem per group + cookie"),
        )
        for label, key, writes in entries:
            timing = self.timing(key, "post:accept")
            if timing is None:
                continue
            io = self.r.io.get((key, "post:accept"), {}).get("warm")
            rows.append(
                [
                    label,
                    us(timing.median),
                    f"{timing.rps:,.0f}",
                    ratio(self.speed_ratio(key, "post:accept", ("dcc", "post:accept"))),
                    f"{io['queries'] / io['requests']:g}" if io else "—",
                    writes,
                ]
            )
        headers = ["Accept-all POST", "µs/request", "requests/s", "× dcc", "queries", "writes"]
        return table(headers, rows)

    def endpoints(self) -> str:
        entries = (
            ("django-cookie-guard policy page `/cookies/`", "guard", "policy"),
            ("django-cookie-guard JSON API `/cookies/api/`", "guard", "api"),
            ("django-cookie-consent list page `/cookies/`", "dcc", "policy"),
            ("django-cookie-consent status `/cookies/status/`", "dcc", "api"),
        )
        rows = []
        for label, key, page in entries:
            for visitor in ("new", "accept"):
                timing = self.timing(key, f"{page}:{visitor}")
                if timing is None:
                    continue
                check = self.r.checks.get((key, f"{page}:{visitor}"), {})
                rows.append(
                    [
                        label,
                        "new visitor" if visitor == "new" else "accepting visitor",
                        us(timing.median),
                        f"{timing.rps:,.0f}",
                        f"{check.get('bytes', 0):,}",
                    ]
                )
        return table(["Endpoint", "Visitor", "µs/request", "requests/s", "bytes"], rows)

    def servers(self) -> str:
        base = {visitor: result for server, visitor, _, result in self.r.wrk if server == "bare"}
        rows = []
        for server, visitor, _, result in self.r.wrk:
            reference = base.get(
                "returning, same cookies" if "new" not in visitor else "new visitor"
            )
            rows.append(
                [
                    server,
                    visitor,
                    f"{result.rps:,.0f}",
                    ratio(result.rps / reference.rps if reference else None),
                    f"{result.p50_ms:.2f}",
                    f"{result.p99_ms:.2f}",
                    f"{result.requests:,}",
                    str(result.bad_responses + result.socket_errors),
                ]
            )
        headers = [
            "Server",
            "Visitor",
            "requests/s",
            "× bare",
            "p50 ms",
            "p99 ms",
            "requests",
            "errors",
        ]
        return table(headers, rows)

    def sizes(self) -> str:
        rows = []
        for bundle in self.r.sizes:
            files = ", ".join(f"{a.name} ({a.gzipped:,} B)" for a in bundle.assets)
            rows.append(
                [
                    bundle.name,
                    files + (f" — {bundle.note}" if bundle.note else ""),
                    f"{bundle.raw:,}" if bundle.raw else "—",
                    f"{bundle.gzipped:,}",
                    f"{bundle.gzipped / 1000:.1f} kB",
                ]
            )
        return table(
            ["Package", "Files counted (gzip -9 each)", "raw bytes", "gzip bytes", "gzip"], rows
        )

    def profile(self, scenario: str) -> str:
        data = self.r.profiles.get(scenario)
        if not data:
            return ""
        rows = [
            [
                row["function"],
                f"{row['calls']:g}",
                f"{row['tottime_us']:.1f}",
                f"{row['cumtime_us']:.1f}",
            ]
            for row in data["rows"]
        ]
        return table(
            ["function (cookie_consent/…)", "calls/request", "own µs", "cumulative µs"], rows
        )

    # --- targets ------------------------------------------------------------------------

    def targets(self) -> list[Target]:
        return [
            self._decided_target(),
            self._new_visitor_target(),
            self._io_target(),
            self._catalogue_target(),
            self._post_target(),
            self._size_target(),
        ]

    def _ratios(
        self, pairs: list[tuple[str, str, tuple[str, str]]]
    ) -> tuple[list[float], list[float]] | None:
        """Wall-clock and CPU throughput ratios of every (key, scenario, base), if measured."""
        wall = [self.speed_ratio(key, scenario, base) for key, scenario, base in pairs]
        cpu = [self.cpu_ratio(key, scenario, base) for key, scenario, base in pairs]
        if any(v is None for v in wall + cpu):
            return None
        return [v for v in wall if v is not None], [v for v in cpu if v is not None]

    def _throughput_target(
        self, text: str, pairs: list[tuple[str, str, tuple[str, str]]], minimum: float
    ) -> Target:
        ratios = self._ratios(pairs)
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

    def _decided_target(self) -> Target:
        base = ("bare", "page:returning")
        return self._throughput_target(
            f"decided visitor ≥ {DECIDED_VS_BARE:.2f}× bare (accepting / refusing)",
            [("guard", "page:accept", base), ("guard", "page:refuse", base)],
            DECIDED_VS_BARE,
        )

    def _new_visitor_target(self) -> Target:
        return self._throughput_target(
            f"new visitor ≥ {NEW_VS_STATIC:.2f}× the static hand-written banner",
            [("guard", "page:new", ("static", "page:new"))],
            NEW_VS_STATIC,
        )

    def _catalogue_target(self) -> Target:
        text = "1,000-cookie catalogue within 10% of the 4-cookie one (accepting / refusing)"
        ratios = self._ratios(
            [("guard-1000", s, ("guard", s)) for s in ("page:accept", "page:refuse")]
        )
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

    def _post_target(self) -> Target:
        # Wall-clock only: CPU time would leave out the database's own work.
        text = "consent POST with its record ≥ django-cookie-consent's accept POST"
        value = self.speed_ratio("guard", "post:accept", ("dcc", "post:accept"))
        if value is None:
            return Target(text, "—", None)
        return Target(text, _joined([value], "×"), value >= 1.0)

    def _io_target(self) -> Target:
        text = "0 queries, 0 cache round trips per steady-state page"
        keys = [
            (key, scenario)
            for key, scenario in self.IO_ROWS
            if key.startswith("guard")
            and scenario.startswith("page:")
            and (key, scenario) in self.r.io
        ]
        if not keys:
            return Target(text, "—", None)
        total = sum(self.r.io[k]["warm"]["queries"] + self.r.io[k]["warm"]["cache"] for k in keys)
        requests = sum(self.r.io[k]["warm"]["requests"] for k in keys)
        return Target(text, f"{total} in {requests} requests ({len(keys)} kinds)", total == 0)

    def _size_target(self) -> Target:
        text = "shipped JS+CSS ≤ 4 KB gzipped (4,000 bytes)"
        ours = self.r.sizes[0] if self.r.sizes else None
        if ours is None:
            return Target(text, "—", None)
        return Target(text, f"{ours.gzipped:,} bytes", ours.gzipped <= SHIPPED_GZIP_LIMIT)

    def target_table(self) -> str:
        headers = ["Target", "Measured (wall-clock)", "Verdict", "CPU time", "CPU verdict"]
        rows = [
            [t.text, t.measured, t.verdict, t.cpu_measured or "—", t.cpu_verdict]
            for t in self.targets()
        ]
        return table(headers, rows)

    # --- output -------------------------------------------------------------------------

    def sections(self) -> list[tuple[str, str, str]]:
        """(title, explanation, body) for every section that has data."""
        r = self.r
        rounds = r.settings["rounds"]
        sections = [
            ("Targets", "", self.target_table()),
            (
                "Page throughput, in process",
                "Django's `WSGIHandler` called directly with a prepared environ; "
                f"{rounds} interleaved rounds of about {r.settings['seconds']} s per row "
                "after a warm-up, median µs per request. `× bare` is throughput relative to "
                "the bare page for the same kind of visitor (new visitors against the bare "
                "page without cookies; decided ones against the bare page receiving the same "
                "Cookie header); `per round` is that ratio's range over the rounds.",
                self.pages(),
            ),
            (
                "Database queries and cache round trips per request",
                "Warm: the mean over "
                f"{r.settings['io_requests']} requests after one request. Cold: one request "
                "after emptying the cache and, for django-cookie-guard, the process's "
                "catalogue snapshot (as after a restart or a catalogue edit). Queries are "
                "counted with `connection.execute_wrapper`; cache round trips by wrapping "
                "every cache backend's operations (`get_or_set` counts as the get and add it "
                "makes).",
                self.queries(),
            ),
            (
                "Catalogue size",
                "The 4 tracking cookies, then made-up ones (one in ten a pattern such as "
                "`_x123_*`), besides the default necessary cookies. `time vs 4` is µs per "
                "request relative to the 4-cookie catalogue.",
                self.catalogue(),
            ),
            (
                "Consent POST",
                'A new visitor\'s "Accept all" from the banner, with its CSRF token; each '
                "request writes what the app stores for a decision.",
                self.posts(),
            ),
            ("Policy page and JSON API", "", self.endpoints()),
            (
                "Under gunicorn and wrk",
                f"gunicorn, {r.settings.get('gunicorn', '?')}, 2 sync workers bound to 127.0.0.1; "
                f"`wrk -t2 -c16 -d{r.settings.get('wrk_seconds', '?')}s --latency` after a "
                "2-second warm-up, on the same machine (client and server share its CPUs).",
                self.servers() if r.wrk else "",
            ),
            ("Size of the shipped JS and CSS", "", self.sizes()),
        ]
        for scenario, title in (("page:accept", "accepting"), ("page:refuse", "refusing")):
            data = r.profiles.get(scenario)
            if data:
                sections.append(
                    (
                        f"Profile: {title} visitor",
                        f"cProfile over {r.settings['profile_requests']} requests of the "
                        f"4-cookie catalogue's page, the top {len(data['rows'])} functions of "
                        "cookie_consent/ by cumulative time, per request (the profiler inflates "
                        f"every figure: {data['us_per_request']:.0f} µs per request under it).",
                        self.profile(scenario),
                    )
                )
        return [s for s in sections if s[2]]

    def text(self) -> str:
        parts = []
        for title, _, body in self.sections():
            parts.append(f"== {title} ==\n{body}\n")
        parts.extend(f"note: {note}" for note in self.r.notes)
        parts.extend(f"CHECK FAILED: {problem}" for problem in self.r.problems)
        return "\n".join(parts)

    def markdown(self) -> str:
        r = self.r
        lines = [
            "# Performance",
            "",
            "<!-- Generated by benchmarks/run.py; do not edit by hand: run it again. -->",
            "",
            f"Generated by `{r.command}` ({r.mode} run). To reproduce, from a clone set up "
            "with `bash scripts/test.sh` (which creates `.venv`):",
            "",
            "```console",
            "$ .venv/bin/python benchmarks/run.py",
            "```",
            "",
            "It creates what else it needs (django-cookie-consent's virtualenv under "
            "`benchmarks/.venvs/`, gunicorn, wrk, a throwaway PostgreSQL database) and takes "
            "about ten minutes; `--quick` gives a rough sanity run in about one. "
            "See `benchmarks/README.md` for what each figure means.",
            "",
            "## Machine",
            "",
            table(["", ""], [[k, v] for k, v in r.machine.items()]),
            "",
        ]
        for title, explanation, body in self.sections():
            lines += [f"## {title}", ""]
            if explanation:
                lines += [explanation, ""]
            lines += [body, ""]
        if r.notes or r.problems:
            lines += ["## Notes", ""]
            lines += [f"- {note}" for note in r.notes]
            lines += [f"- **Check failed:** {problem}" for problem in r.problems]
            lines.append("")
        return "\n".join(lines)


def _operations(operations: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(operations.items())) or "—"


def _joined(values: list[float], unit: str) -> str:
    return " / ".join(f"{value:.2f}{unit}" for value in values)
