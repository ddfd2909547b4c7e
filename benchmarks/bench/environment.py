"""What a run needs besides the project's .venv, and what it ran on."""

from __future__ import annotations

import os
import platform
import secrets
import subprocess
import sys
import venv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO = BENCH_DIR.parent
VENVS = BENCH_DIR / ".venvs"
DCC_REQUIREMENT = "django-cookie-consent==1.0.0"


def django_version() -> str:
    import django

    return django.get_version()


def dcc_python() -> Path:
    """django-cookie-consent's own virtualenv, made once and remade when its pins change.

    Same interpreter and Django as the project's .venv, so only the app differs.
    """
    folder = VENVS / "dcc"
    python = folder / "bin" / "python"
    requirements = [f"django=={django_version()}", DCC_REQUIREMENT, "gunicorn"]
    marker = folder / ".bench-requirements"
    wanted = "\n".join(requirements)
    if python.exists() and marker.exists() and marker.read_text() == wanted:
        return python
    print(f"bench: creating {folder.relative_to(REPO)} with {', '.join(requirements)}", flush=True)
    venv.EnvBuilder(clear=True, with_pip=True).create(folder)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *requirements], check=True)
    marker.write_text(wanted)
    return python


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """A throwaway PostgreSQL database on 127.0.0.1 (user postgres); None if unreachable."""
    try:
        import psycopg
    except ImportError:
        yield None
        return
    name = f"cookie_guard_bench_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=postgres",
            autocommit=True,
            connect_timeout=5,
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        print(f"bench: PostgreSQL unavailable ({error}); skipping it", flush=True)
        yield None
        return
    try:
        yield name
    finally:
        with psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True
        ) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return "unknown"


def _git(*arguments: str) -> str:
    done = subprocess.run(["git", *arguments], cwd=REPO, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def revision() -> str:
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    changed = _git("status", "--porcelain", "--", "cookie_consent")
    return f"{commit} (with uncommitted changes in cookie_consent/)" if changed else commit


def load_average() -> str:
    """The 1, 5 and 15-minute load averages: anything else running skews the figures."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def busy_machine_note(one_minute_loads: list[float]) -> list[str]:
    """A warning when other processes kept the CPUs busy during the in-process runs.

    Sampled before the run and right after the in-process part, whose worker keeps about
    one CPU busy itself (gunicorn and wrk, later, load the machine on purpose).
    """
    cpus = os.cpu_count() or 1
    worst = max(one_minute_loads, default=0.0)
    if worst <= cpus:
        return []
    return [
        f"the 1-minute load average reached {worst:.1f} on {cpus} CPUs around the in-process "
        "runs: other processes competed for the CPUs, so wall-clock figures (and every ratio "
        "built on them) are noisy; the CPU-time columns, which leave out time spent waiting "
        "for a CPU, are the steadier guide to what a request costs"
    ]


def one_minute_load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


def machine() -> dict[str, str]:
    return {
        "CPU": f"{_cpu_model()}, {os.cpu_count()} logical CPUs",
        "Memory": _memory(),
        "OS": platform.platform(),
        "Python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "Django": django_version(),
        "Commit": revision(),
        "Load average before the run": load_average(),
    }
