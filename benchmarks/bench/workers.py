"""The in-process measurements: harness.py workers, driven round by round.

Every worker is a process of its own (a variant is a settings module, and a process has
one). All of them start at once and stay up; the rounds then visit every (worker,
scenario) pair in a shuffled order, so slow drifts of the machine spread over all the
variants instead of landing on whichever ran last.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HARNESS = Path(__file__).resolve().parent.parent / "harness.py"


@dataclass(frozen=True)
class Spec:
    """One worker: a variant of the site, in a virtualenv, on a database."""

    key: str
    variant: str
    python: Path
    scenarios: tuple[str, ...]
    catalogue: int = 4
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Timing:
    """Microseconds per request, one figure per round: wall-clock, and CPU of the worker."""

    rounds: list[float] = field(default_factory=list)
    cpu_rounds: list[float] = field(default_factory=list)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu_rounds)

    @property
    def median(self) -> float:
        return statistics.median(self.rounds)

    @property
    def rps(self) -> float:
        return 1e6 / self.median

    @property
    def spread(self) -> float:
        """(max − min) / median over the rounds, a rough measure of the noise."""
        return (max(self.rounds) - min(self.rounds)) / self.median


class Worker:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")
        }
        env.update(spec.env)
        self.process = subprocess.Popen(
            [str(spec.python), str(HARNESS), spec.variant, "--catalogue", str(spec.catalogue)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
            bufsize=1,
        )
        self.info: dict[str, Any] = {}

    def wait_ready(self) -> None:
        self.info = self._read()["ready"]

    def ask(self, op: str, scenario: str, **arguments: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"op": op, "scenario": scenario, **arguments}) + "\n")
        return self._read()

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait()
            raise RuntimeError(f"worker {self.spec.key} exited with status {code} (see stderr)")
        return json.loads(line)  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.process.stdin.close()
            self.process.wait(timeout=30)


def start(specs: list[Spec]) -> dict[str, Worker]:
    """Start every worker at once (each migrates and declares its catalogue)."""
    workers = {spec.key: Worker(spec) for spec in specs}
    for worker in workers.values():
        worker.wait_ready()
    return workers


def close(workers: dict[str, Worker]) -> None:
    for worker in workers.values():
        worker.close()


def checks(workers: dict[str, Worker]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (key, scenario): worker.ask("check", scenario)
        for key, worker in workers.items()
        for scenario in worker.spec.scenarios
    }


def io_counts(workers: dict[str, Worker], warm_requests: int) -> dict[tuple[str, str], Any]:
    """Queries and cache operations per request: steady state, then right after a reset."""
    counts = {}
    for key, worker in workers.items():
        for scenario in worker.spec.scenarios:
            warm = worker.ask("io", scenario, n=warm_requests, cold=False)
            cold = worker.ask("io", scenario, n=1, cold=True)
            counts[key, scenario] = {"warm": warm, "cold": cold}
    return counts


def timings(
    workers: dict[str, Worker], *, rounds: int, seconds: float, warmup: float, seed: int = 1
) -> dict[tuple[str, str], Timing]:
    """Median µs per request over ``rounds``, each ``seconds`` long per pair."""
    pairs = [(key, scenario) for key, w in workers.items() for scenario in w.spec.scenarios]
    sizes = {}
    for key, scenario in pairs:
        worker = workers[key]
        probe = worker.ask("time", scenario, n=5)["seconds"] / 5
        worker.ask("time", scenario, n=max(5, int(warmup / probe)))
        settled = worker.ask("time", scenario, n=20)["seconds"] / 20
        sizes[key, scenario] = max(5, int(seconds / settled))
    results = {pair: Timing() for pair in pairs}
    shuffler = random.Random(seed)
    for _ in range(rounds):
        order = pairs[:]
        shuffler.shuffle(order)
        for key, scenario in order:
            n = sizes[key, scenario]
            measured = workers[key].ask("time", scenario, n=n)
            results[key, scenario].rounds.append(measured["seconds"] / n * 1e6)
            results[key, scenario].cpu_rounds.append(measured["cpu_seconds"] / n * 1e6)
    return results


def profile(worker: Worker, scenario: str, requests: int, top: int) -> dict[str, Any]:
    return worker.ask("profile", scenario, n=requests, top=top)
