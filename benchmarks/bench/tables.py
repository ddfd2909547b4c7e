"""The report's tables, one function each, from a run's :class:`Results`."""

from __future__ import annotations

from collections.abc import Sequence

from bench.results import Results


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


def _operations(operations: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(operations.items())) or "—"


# The baselines: new visitors against the bare page without cookies, decided visitors
# against the bare page that receives the same Cookie header.
BARE_NEW = ("bare", "page:new")
BARE_RETURNING = ("bare", "page:returning")
GUARD, DCC = "(b–d) django-cookie-guard", "(f) django-cookie-consent 1.0.0"

# (variant, visitor, worker, scenario, baseline)
PAGE_ROWS = (
    ("(a) bare Django", "new visitor", "bare", "page:new", BARE_NEW),
    ("(a) bare Django", "returning, same cookies", "bare", "page:returning", BARE_RETURNING),
    ("(e) hand-written static banner", "new visitor", "static", "page:new", BARE_NEW),
    (GUARD, "(b) new visitor (banner)", "guard", "page:new", BARE_NEW),
    (GUARD, "(c) accepting visitor", "guard", "page:accept", BARE_RETURNING),
    (GUARD, "(d) refusing visitor", "guard", "page:refuse", BARE_RETURNING),
    (DCC, "new visitor (banner)", "dcc", "page:new", BARE_NEW),
    (DCC, "accepting visitor", "dcc", "page:accept", BARE_RETURNING),
    (DCC, "refusing visitor", "dcc", "page:refuse", BARE_RETURNING),
)


def pages(r: Results) -> str:
    rows = []
    for variant, visitor, key, scenario, base in PAGE_ROWS:
        timing = r.timing(key, scenario)
        if timing is None:
            continue
        check = r.checks.get((key, scenario), {})
        rows.append(
            [
                variant,
                visitor,
                ratio(r.speed_ratio(key, scenario, base)),
                r.round_range(key, scenario, base),
                us(timing.median),
                f"{timing.rps:,.0f}",
                us(timing.cpu_median),
                ratio(r.cpu_ratio(key, scenario, base)),
                f"{check.get('bytes', 0):,}",
                str(len(check.get("set_cookies", []))),
                "yes" if check.get("banner") else "no",
            ]
        )
    headers = [
        "Variant",
        "Visitor",
        "× bare",
        "per round (IQR)",
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
    ("dcc", "policy:accept"),
    ("dcc", "api:new"),
    ("dcc", "api:accept"),
    ("dcc", "post:accept"),
)


def queries(r: Results) -> str:
    rows = []
    for key, scenario in IO_ROWS:
        counts = r.io.get((key, scenario))
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


CATALOGUES = (("guard", 4, 0), ("guard-100", 100, 10), ("guard-1000", 1000, 100))


def catalogue(r: Results) -> str:
    rows = []
    for key, size, patterns in CATALOGUES:
        row = [f"{size:,} ({patterns} patterns)"]
        for scenario in ("page:accept", "page:refuse"):
            timing = r.timing(key, scenario)
            wall = r.speed_ratio(key, scenario, ("guard", scenario))
            cpu = r.cpu_ratio(key, scenario, ("guard", scenario))
            if timing is None or wall is None or cpu is None:
                break
            # Time per request against the 4-cookie catalogue: the inverse of throughput.
            row += [us(timing.median), ratio(1 / wall), ratio(1 / cpu)]
        else:
            rows.append(row)
    headers = ["Declared cookies"] + [
        f"{visitor} {column}"
        for visitor in ("accepting", "refusing")
        for column in ("µs", "time vs 4", "CPU time vs 4")
    ]
    return table(headers, rows)


def posts(r: Results) -> str:
    rows = []
    record = "consent record (MAC-chained) + signed cookie"
    entries = (
        ("django-cookie-guard, SQLite", "guard", record),
        ("django-cookie-guard, PostgreSQL", "guard-pg", record),
        ("django-cookie-consent 1.0.0, SQLite", "dcc", "one LogItem per group + cookie"),
    )
    for label, key, writes in entries:
        timing = r.timing(key, "post:accept")
        if timing is None:
            continue
        io = r.io.get((key, "post:accept"), {}).get("warm")
        rows.append(
            [
                label,
                us(timing.median),
                f"{timing.rps:,.0f}",
                ratio(r.speed_ratio(key, "post:accept", ("dcc", "post:accept"))),
                f"{io['queries'] / io['requests']:g}" if io else "—",
                writes,
            ]
        )
    headers = ["Accept-all POST", "µs/request", "requests/s", "× dcc", "queries", "writes"]
    return table(headers, rows)


def endpoints(r: Results) -> str:
    entries = (
        ("django-cookie-guard policy page `/cookies/`", "guard", "policy"),
        ("django-cookie-guard JSON API `/cookies/api/`", "guard", "api"),
        ("django-cookie-consent list page `/cookies/`", "dcc", "policy"),
        ("django-cookie-consent status `/cookies/status/`", "dcc", "api"),
    )
    rows = []
    for label, key, page in entries:
        for visitor in ("new", "accept"):
            timing = r.timing(key, f"{page}:{visitor}")
            if timing is None:
                continue
            check = r.checks.get((key, f"{page}:{visitor}"), {})
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


def servers(r: Results) -> str:
    base = {visitor: result for server, visitor, _, result in r.wrk if server == "bare"}
    rows = []
    for server, visitor, _, result in r.wrk:
        reference = base.get("returning, same cookies" if "new" not in visitor else "new visitor")
        rows.append(
            [
                server,
                visitor,
                f"{result.rps:,.0f}",
                f"{result.rps_min:,.0f}–{result.rps_max:,.0f}",
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
        "rounds' range",
        "× bare",
        "p50 ms",
        "p99 ms",
        "requests",
        "errors",
    ]
    return table(headers, rows)


def sizes(r: Results) -> str:
    rows = []
    for bundle in r.sizes:
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


def profile(r: Results, scenario: str) -> str:
    data = r.profiles.get(scenario)
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
    return table(["function (cookie_consent/…)", "calls/request", "own µs", "cumulative µs"], rows)
