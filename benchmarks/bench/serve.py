"""The same pages through a real server: gunicorn (2 workers, 127.0.0.1 only) and wrk."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SITE_DIR = Path(__file__).resolve().parent.parent / "site"
HOST = "www.example.com"
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad_responses: int
    socket_errors: int
    # The slowest and the fastest of the runs combined (one run: its own rate).
    rps_min: float = 0.0
    rps_max: float = 0.0


def combine(runs: list[WrkResult]) -> WrkResult:
    """Several short runs of one request: medians of the rates and latencies, summed counts."""
    return WrkResult(
        rps=statistics.median(run.rps for run in runs),
        p50_ms=statistics.median(run.p50_ms for run in runs),
        p99_ms=statistics.median(run.p99_ms for run in runs),
        requests=sum(run.requests for run in runs),
        bad_responses=sum(run.bad_responses for run in runs),
        socket_errors=sum(run.socket_errors for run in runs),
        rps_min=min(run.rps for run in runs),
        rps_max=max(run.rps for run in runs),
    )


def ensure_wrk() -> tuple[str | None, str]:
    """wrk's path, installing Debian's package when missing and allowed; else a reason."""
    path = shutil.which("wrk")
    if path:
        return path, ""
    if not shutil.which("apt-get") or os.geteuid() != 0:
        return None, "wrk is not installed (apt-get install wrk, as root)"
    print("bench: installing wrk with apt-get", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            return None, f"{' '.join(command)} failed: {done.stderr.strip()[-300:]}"
    path = shutil.which("wrk")
    return path, "" if path else "wrk is still missing after apt-get install wrk"


def wrk_version(wrk: str) -> str:
    done = subprocess.run([wrk, "-v"], capture_output=True, text=True)
    return (done.stdout + done.stderr).strip().splitlines()[0] if done.stdout + done.stderr else ""


def ensure_gunicorn(python: Path) -> str:
    """gunicorn's version in ``python``'s virtualenv, installed from PyPI when missing."""
    probe = [str(python), "-c", "import gunicorn; print(gunicorn.__version__)"]
    done = subprocess.run(probe, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"bench: installing gunicorn into {python.parent.parent}", flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "gunicorn"], check=True)
        done = subprocess.run(probe, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/", headers={"Host": HOST})
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


@contextmanager
def gunicorn(python: Path, settings: str, env: dict[str, str]) -> Iterator[str]:
    """A gunicorn serving the benchmark site on 127.0.0.1; yields its base URL."""
    port = _free_port()
    server_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    server_env.update(env, DJANGO_SETTINGS_MODULE=settings)
    # Started in the site's folder: ``python -m`` puts the working directory first on
    # sys.path, and the repository's root would shadow django-cookie-consent with this
    # project's cookie_consent. The app comes from the virtualenv.
    command = [
        str(python),
        "-m",
        "gunicorn",
        "--workers=2",
        f"--bind=127.0.0.1:{port}",
        f"--chdir={SITE_DIR}",
        "--log-level=warning",
        "benchsite.wsgi:application",
    ]
    server = subprocess.Popen(command, env=server_env, cwd=SITE_DIR)
    try:
        deadline = time.monotonic() + 60
        while not _answers(port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn for {settings} did not start")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def run_wrk(
    wrk: str, url: str, headers: list[str], *, seconds: int, threads: int, connections: int
) -> WrkResult:
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    done = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60
    )
    return parse_wrk(done.stdout)


def _duration(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * UNITS[match[2]]


def parse_wrk(output: str) -> WrkResult:
    def find(pattern: str, default: str | None = None) -> str:
        match = re.search(pattern, output)
        if match is None:
            if default is None:
                raise ValueError(f"wrk output without {pattern!r}:\n{output}")
            return default
        return match[1]

    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return WrkResult(
        rps=float(find(r"Requests/sec:\s+([\d.]+)")),
        p50_ms=_duration(find(r"\n\s+50%\s+(\S+)")),
        p99_ms=_duration(find(r"\n\s+99%\s+(\S+)")),
        requests=int(find(r"(\d+) requests in")),
        bad_responses=int(find(r"Non-2xx or 3xx responses: (\d+)", "0")),
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )
