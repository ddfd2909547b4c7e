"""Time and peak memory of ``cookie_consent_export`` and ``cookie_consent_verify`` as the
number of consent records grows: the peak should stay flat, since both read in batches.

Run from the repository root::

    .venv/bin/python benchmarks/consent_records.py --records 1000000

    createdb -h 127.0.0.1 -U postgres cookie_guard_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cookie_guard_bench \\
        .venv/bin/python benchmarks/consent_records.py --records 1000000

Without ``DATABASE_URL`` the records go to a temporary SQLite file, removed at the end.
The database named by ``DATABASE_URL`` is migrated and must hold no consent record yet.

The script writes chained records straight into the table (``bulk_create``, with the
``previous_mac`` and ``mac`` that ``write_record`` would give them: ten records per
consent id, the chains interleaved), growing the table to each size in turn (10,000,
100,000, then 1,000,000 by default). At each size it runs, each in its own process:

- ``baseline``: ``django.setup()`` and nothing else, what every command costs;
- ``export``: ``cookie_consent_export --format jsonl --output /dev/null``;
- ``verify``: ``cookie_consent_verify``;
- ``load all`` (with ``--load-all``): ``list(ConsentRecord.objects.all())``, what reading
  without batches would cost, for comparison.

Peak RSS is the process's own ``ru_maxrss`` (``os.wait4`` in a small launcher process).
It prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
CHAIN_LENGTH = 10
# Chains written side by side, a round of decisions at a time, as visitors come back.
CHAINS_PER_GROUP = 500
START = datetime(2020, 1, 1, tzinfo=dt_timezone.utc)
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
CHOICES = (
    ("accept_all", "given", "statistics first_party third_party", ""),
    ("reject_all", "refused", "", "statistics first_party third_party"),
    ("save", "given", "statistics", "first_party third_party"),
    ("save", "withdrawn", "", "statistics first_party third_party"),
)
REVISIONS = {"statistics": "4f1c2a9e", "first_party": "0b7d33e1", "third_party": "c92e5f04"}

COMMANDS = {
    "baseline": ["-c", "import django; django.setup()"],
    "export": [
        "-m",
        "django",
        "cookie_consent_export",
        "--format",
        "jsonl",
        "--output",
        os.devnull,
    ],
    "verify": ["-m", "django", "cookie_consent_verify"],
    "load all": [
        "-c",
        "import django; django.setup(); from cookie_consent.models import ConsentRecord; "
        "print(len(list(ConsentRecord.objects.all())))",
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="the largest size")
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(size) for size in text.split(",")],
        help="comma-separated sizes to measure (default: 10000,100000,1000000 up to --records)",
    )
    parser.add_argument("--load-all", action="store_true", help="also measure loading all")
    options = parser.parse_args()
    sizes = options.sizes or [size for size in DEFAULT_SIZES if size < options.records]
    sizes = sorted({*sizes, options.records})

    with tempfile.TemporaryDirectory(prefix="cookie-guard-bench-") as directory:
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{directory}/records.sqlite3")
        os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
        sys.path.insert(0, str(ROOT))
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        rows = run(sizes, env, load_all=options.load_all)
    print_table(rows)


def run(sizes: list[int], env: dict[str, str], *, load_all: bool) -> list[dict[str, Any]]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from cookie_consent.models import ConsentRecord

    call_command("migrate", verbosity=0)
    if ConsentRecord.objects.exists():
        name = connection.settings_dict["NAME"]
        sys.exit(f"{name} already holds consent records: use an empty database.")
    print(f"Database: {connection.vendor} {connection.settings_dict['NAME']}", file=sys.stderr)
    names = ["baseline", "export", "verify"] + (["load all"] if load_all else [])
    rows = []
    written = 0
    for size in sizes:
        began = time.perf_counter()
        written += write_records(size - written, first_number=written)
        print(
            f"{size:>9,} records ({time.perf_counter() - began:.0f} s to write)", file=sys.stderr
        )
        connection.close()  # the measured processes see every row, SQLite included
        row: dict[str, Any] = {"records": size}
        for name in names:
            seconds, peak_kib = measure(COMMANDS[name], env)
            row[name] = (seconds, peak_kib)
            print(f"    {name:<9} {seconds:8.1f} s {peak_kib / 1024:8.1f} MiB", file=sys.stderr)
        rows.append(row)
    return rows


def write_records(count: int, *, first_number: int) -> int:
    from cookie_consent.models import ConsentRecord

    written = 0
    while written < count:
        batch = list(
            group(min(count - written, CHAINS_PER_GROUP * CHAIN_LENGTH), first_number + written)
        )
        ConsentRecord.objects.bulk_create(batch, batch_size=1000)
        written += len(batch)
    return written


def group(count: int, first_number: int) -> Iterator[Any]:
    """``count`` records of new chains, a round of decisions at a time."""
    from cookie_consent.models import ConsentRecord
    from cookie_consent.records.chain import record_mac, signing_keys

    key = signing_keys()[0]
    chains = -(-count // CHAIN_LENGTH)
    consent_ids = [secrets.token_hex(16) for _ in range(chains)]
    previous = [""] * chains
    for number in range(count):
        round_, chain = divmod(number, chains)
        action, event, granted, denied = CHOICES[(round_ + chain) % len(CHOICES)]
        record = ConsentRecord(
            consent_id=consent_ids[chain],
            created_at=START + timedelta(seconds=first_number + number),
            action=action,
            event=event,
            method="banner" if round_ == 0 else "preferences",
            granted=granted,
            denied=denied,
            revisions=REVISIONS,
            reconsent=round_ > 0 and chain % 7 == 0,
            language="en",
            policy_url="https://data.example.org/cookies/",
            gpc=chain % 11 == 0,
            ip_hash=secrets.token_hex(32),
            user_agent=USER_AGENT,
            user_id=None,
            previous_mac=previous[chain],
        )
        record.mac = record_mac(record, key)
        previous[chain] = record.mac
        yield record


# Runs the measured command from a small process: a child forked from this script would
# count this script's own memory in its peak (Linux carries it over fork and exec).
LAUNCHER = """
import os, subprocess, sys, time
began = time.perf_counter()
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(process.pid, 0)
print(time.perf_counter() - began, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def measure(arguments: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of one process; it must succeed."""
    launched = subprocess.run(
        [sys.executable, "-c", LAUNCHER, sys.executable, *arguments],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    seconds, peak_kib, code = launched.stdout.split()
    if code != "0":
        sys.exit(f"{' '.join(arguments)} failed with exit code {code}.")
    return float(seconds), int(peak_kib)


def print_table(rows: list[dict[str, Any]]) -> None:
    names = [name for name in COMMANDS if name in rows[0]]
    print("| records | " + " | ".join(f"{name}: time | {name}: peak RSS" for name in names) + " |")
    print("|---:|" + "---:|---:|" * len(names))
    for row in rows:
        cells = [f"{row[n][0]:.1f} s | {row[n][1] / 1024:.0f} MiB" for n in names]
        print(f"| {row['records']:,} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
