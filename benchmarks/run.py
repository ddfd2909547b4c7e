"""Measure django-cookie-guard beside bare Django, a static banner and django-cookie-consent.

    .venv/bin/python benchmarks/run.py           # everything, writes docs/performance.md
    .venv/bin/python benchmarks/run.py --quick   # a rough sanity run, prints only

See benchmarks/README.md for what is measured and how.
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack, nullcontext
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench import environment, expect, report, serve, sizes, workers
from bench.environment import BENCH_DIR, REPO
from bench.results import Results
from bench.workers import Spec

WORK = BENCH_DIR / ".work"
DOCS = REPO / "docs" / "performance.md"
EVERY_REQUEST = (
    "page:new",
    "page:accept",
    "page:refuse",
    "post:accept",
    "policy:new",
    "policy:accept",
    "api:new",
    "api:accept",
)
BARE_REQUESTS = ("page:new", "page:returning")
WRK_ROUND_SECONDS = 2
# (server, visitor as the table says it, worker whose requests it replays, scenario)
SERVED = (
    ("bare", "new visitor", "bare", "page:new"),
    ("bare", "returning, same cookies", "bare", "page:returning"),
    ("static", "new visitor", "static", "page:new"),
    ("guard", "new visitor", "guard", "page:new"),
    ("guard", "accepting visitor", "guard", "page:accept"),
    ("guard", "refusing visitor", "guard", "page:refuse"),
    ("dcc", "new visitor", "dcc", "page:new"),
    ("dcc", "accepting visitor", "dcc", "page:accept"),
)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer and shorter rounds; no gunicorn/wrk, no django-cookie-consent",
    )
    parser.add_argument("--rounds", type=int, help="interleaved rounds per figure")
    parser.add_argument("--seconds", type=float, help="length of one round of one figure")
    parser.add_argument("--wrk-seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--skip-dcc", action="store_true", help="no django-cookie-consent")
    parser.add_argument("--skip-wrk", action="store_true", help="no gunicorn/wrk")
    parser.add_argument("--skip-pg", action="store_true", help="no PostgreSQL")
    parser.add_argument(
        "--output",
        type=Path,
        help=f"where to write the Markdown report (default: {DOCS.relative_to(REPO)} for a "
        "full run, nowhere for --quick)",
    )
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.skip_dcc = arguments.skip_wrk = True
    arguments.rounds = arguments.rounds or (5 if arguments.quick else 40)
    arguments.seconds = arguments.seconds or (0.1 if arguments.quick else 0.15)
    if arguments.output is None and not arguments.quick:
        arguments.output = DOCS
    return arguments


def specs(arguments: argparse.Namespace, pg_name: str | None) -> list[Spec]:
    ours = Path(sys.executable)

    def sqlite(name: str) -> dict[str, str]:
        return {"BENCH_DB": str(WORK / f"{name}.sqlite3")}

    plan = [
        Spec("bare", "bare", ours, BARE_REQUESTS, env=sqlite("bare")),
        Spec("static", "static", ours, BARE_REQUESTS, env=sqlite("static")),
        Spec("guard", "guard", ours, EVERY_REQUEST, env=sqlite("guard")),
        Spec("guard-100", "guard", ours, ("page:accept", "page:refuse"), 100, sqlite("guard-100")),
        Spec(
            "guard-1000", "guard", ours, ("page:accept", "page:refuse"), 1000, sqlite("guard-1000")
        ),
    ]
    if pg_name:
        plan.append(
            Spec("guard-pg", "guard", ours, ("post:accept",), env={"BENCH_PG_NAME": pg_name})
        )
    if not arguments.skip_dcc:
        plan.append(Spec("dcc", "dcc", environment.dcc_python(), EVERY_REQUEST, env=sqlite("dcc")))
    return plan


def in_process(results: Results, plan: list[Spec], arguments: argparse.Namespace) -> None:
    print(f"bench: starting {len(plan)} workers: {', '.join(s.key for s in plan)}", flush=True)
    running = workers.start(plan)
    try:
        results.workers = {key: worker.info for key, worker in running.items()}
        results.checks = workers.checks(running)
        for (key, scenario), check in results.checks.items():
            variant = running[key].spec.variant
            results.problems += expect.problems(key, variant, scenario, check)
        results.notes += expect.static_banner_drift(results.checks)
        print("bench: counting queries and cache round trips", flush=True)
        results.io = workers.io_counts(running, results.settings["io_requests"])
        estimate = len(results.checks) * arguments.rounds * arguments.seconds * 1.1
        print(f"bench: timing, {arguments.rounds} rounds (about {estimate:.0f} s)", flush=True)
        results.timings = workers.timings(
            running,
            rounds=arguments.rounds,
            seconds=arguments.seconds,
            warmup=results.settings["warmup"],
        )
        print("bench: profiling", flush=True)
        for scenario in ("page:accept", "page:refuse"):
            results.profiles[scenario] = workers.profile(
                running["guard"], scenario, results.settings["profile_requests"], 15
            )
    finally:
        workers.close(running)


Served = tuple[str, str, str, str]


def under_servers(results: Results, plan: list[Spec], arguments: argparse.Namespace) -> None:
    wrk, reason = serve.ensure_wrk()
    if wrk is None:
        results.notes.append(f"gunicorn/wrk skipped: {reason}")
        return
    by_key = {spec.key: spec for spec in plan}
    try:
        versions = {str(spec.python): serve.ensure_gunicorn(spec.python) for spec in plan}
    except subprocess.CalledProcessError as error:
        results.notes.append(f"gunicorn/wrk skipped: gunicorn could not be installed ({error})")
        return
    results.settings["gunicorn"] = " and ".join(sorted(set(versions.values())))
    results.machine["wrk"] = serve.wrk_version(wrk)
    served = [entry for entry in SERVED if entry[0] in by_key]
    rounds = max(1, arguments.wrk_seconds // WRK_ROUND_SECONDS)
    results.settings["wrk_rounds"] = rounds
    with ExitStack() as stack:
        # Every server up at once, so that the rounds can interleave them (as in process).
        urls = {}
        for server in dict.fromkeys(entry[0] for entry in served):
            spec = by_key[server]
            settings = f"benchsite.settings.{spec.variant}"
            urls[server] = stack.enter_context(serve.gunicorn(spec.python, settings, spec.env))
        print(f"bench: gunicorn + wrk, {rounds} rounds of {len(served)} runs", flush=True)

        def run(entry: Served, seconds: int) -> serve.WrkResult:
            server, _, key, scenario = entry
            headers = results.workers[key]["scenarios"][scenario]["headers"]
            return serve.run_wrk(
                wrk, urls[server], headers, seconds=seconds, threads=2, connections=16
            )

        runs = wrk_rounds(served, run, rounds)
    results.wrk = [(e[0], e[1], e[3], serve.combine(runs[e])) for e in served]


def wrk_rounds(
    served: list[Served], run: Callable[[Served, int], serve.WrkResult], rounds: int
) -> dict[Served, list[serve.WrkResult]]:
    """A warm-up of each, then ``rounds`` shuffled passes over all of them."""
    for entry in served:
        run(entry, 2)
    runs: dict[Served, list[serve.WrkResult]] = {entry: [] for entry in served}
    shuffler = random.Random(2)
    for _ in range(rounds):
        order = served[:]
        shuffler.shuffle(order)
        for entry in order:
            runs[entry].append(run(entry, WRK_ROUND_SECONDS))
    return runs


def command_line() -> str:
    """How this run was started, from the repository's root."""
    python = Path(sys.executable)
    shown = python.relative_to(REPO) if python.is_relative_to(REPO) else python
    return shlex.join([str(shown), "benchmarks/run.py", *sys.argv[1:]])


def save_json(results: Results) -> Path:
    """Every figure, for comparing two runs (kept out of git with the rest of .work)."""

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {"/".join(k) if isinstance(k, tuple) else k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if hasattr(value, "__dataclass_fields__"):
            return plain(asdict(value))
        return value

    path = WORK / "results.json"
    path.write_text(json.dumps(plain(vars(results)), indent=1, default=str))
    return path


def main() -> int:
    arguments = parse_arguments()
    started = time.monotonic()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    results = Results(
        command=command_line(),
        mode="quick" if arguments.quick else "full",
        settings={
            "rounds": arguments.rounds,
            "seconds": arguments.seconds,
            "warmup": 0.2 if arguments.quick else 0.5,
            "io_requests": 20,
            "profile_requests": 100 if arguments.quick else 400,
            "wrk_seconds": arguments.wrk_seconds,
        },
        machine=environment.machine(),
    )
    database = nullcontext(None) if arguments.skip_pg else environment.postgres_database()
    with database as pg_name:
        if pg_name is None and not arguments.skip_pg:
            results.notes.append("PostgreSQL unreachable on 127.0.0.1:5432: its POST skipped")
        plan = specs(arguments, pg_name)
        loads = [environment.one_minute_load()]
        in_process(results, plan, arguments)
        loads.append(environment.one_minute_load())
        results.machine["Load average after the in-process runs"] = environment.load_average()
        results.notes += environment.busy_machine_note(loads)
    if arguments.skip_dcc:
        results.notes.append("django-cookie-consent not measured (--quick or --skip-dcc)")
    if arguments.skip_wrk:
        results.notes.append("gunicorn/wrk not run (--quick or --skip-wrk)")
    else:
        under_servers(results, plan, arguments)
    print("bench: measuring the shipped static files", flush=True)
    results.sizes = sizes.all_bundles(REPO)
    results.notes += [f"{b.name}: {b.note}" for b in results.sizes if b.note]

    results.settings["minutes"] = (time.monotonic() - started) / 60
    print()
    print(report.text(results))
    print(f"\nraw figures: {save_json(results).relative_to(REPO)}")
    if arguments.output:
        arguments.output.write_text(report.markdown(results))
        print(f"written: {arguments.output}")
    return 1 if results.problems else 0


if __name__ == "__main__":
    sys.exit(main())
