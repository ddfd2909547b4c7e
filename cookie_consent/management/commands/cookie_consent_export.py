from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time
from datetime import timezone as dt_timezone
from typing import Any, Protocol

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_date, parse_datetime

from cookie_consent.models import ConsentRecord
from cookie_consent.records import export

FORMATS = ("jsonl", "csv")


class Stream(Protocol):
    def write(self, text: str, /) -> object: ...


class Command(BaseCommand):
    help = (
        "Write consent records as JSON lines (one record per line, the documented shape) "
        "or CSV, oldest first. Reads in batches: memory stays flat however many records "
        "there are."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=FORMATS, default="jsonl")
        parser.add_argument(
            "--since",
            help="Records made at or after this time: an ISO 8601 date or date and time "
            "(UTC unless it says otherwise), e.g. 2025-01-31 or 2025-01-31T12:00:00+01:00.",
        )
        parser.add_argument(
            "--until",
            help="Records made before this time (excluded), in the same form as --since; "
            "a date stands for its midnight UTC.",
        )
        parser.add_argument("--consent-id", help="Only the records of this consent id.")
        parser.add_argument(
            "--output", help="File to write (replaced if it exists); default: standard output."
        )

    def handle(
        self,
        *args: Any,
        format: str,
        since: str | None,
        until: str | None,
        consent_id: str | None,
        output: str | None,
        **options: Any,
    ) -> None:
        start = _moment(since, "--since")
        end = _moment(until, "--until")
        if start is not None and end is not None and start >= end:
            raise CommandError(f"--since ({since}) must come before --until ({until}).")
        records = export.iter_records(since=start, until=end, consent_id=consent_id)
        with self._open(output) as stream:
            count = _write(records, format, stream)
        target = "standard output" if output is None else output
        self.stderr.write(
            f"{count} consent record{'' if count == 1 else 's'} written to {target}."
        )

    @contextmanager
    def _open(self, path: str | None) -> Iterator[Stream]:
        if path is None:
            yield self.stdout
            return
        try:
            handle = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}.") from error
        with handle:
            yield handle


def _write(records: Iterator[ConsentRecord], format: str, stream: Stream) -> int:
    count = 0
    if format == "csv":
        lines = export.csv_lines(records)
        stream.write(next(lines))  # the header
        for line in lines:
            stream.write(line)
            count += 1
    else:
        for record in records:
            stream.write(json.dumps(export.json_record(record), sort_keys=True) + "\n")
            count += 1
    return count


def _moment(value: str | None, option: str) -> datetime | None:
    """An ISO date or date and time; a naive one is UTC, a date its midnight UTC."""
    if value is None:
        return None
    try:
        day = parse_date(value)
        moment = parse_datetime(value) if day is None else datetime.combine(day, time())
    except ValueError:
        moment = None
    if moment is None:
        raise CommandError(
            f"{option}: “{value}” is not a date or a date and time. Use ISO 8601, "
            "e.g. 2025-01-31 or 2025-01-31T12:00:00Z."
        )
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt_timezone.utc)
