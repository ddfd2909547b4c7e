"""Consent records as CSV rows or JSON lines, read in constant memory.

The JSON shape follows the fields of an ISO/IEC TS 27560 consent record (docs/records.rst
maps them one by one). The CSV is for spreadsheets, which run a cell that looks like a
formula: its cells are made inert (``spreadsheet_text``); the JSON lines stay exact.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from cookie_consent.conf import conf
from cookie_consent.models import ConsentRecord
from cookie_consent.records.chain import as_utc, user_key

SCHEMA = "django-cookie-guard consent record 1 (ISO/IEC TS 27560 fields)"
CSV_COLUMNS = (
    "record_id",
    "consent_id",
    "time_utc",
    "action",
    "event",
    "method",
    "granted",
    "denied",
    "revisions",
    "reconsent",
    "language",
    "policy_url",
    "gpc",
    "user_id",
    "ip_hash",
    "user_agent",
    "previous_mac",
    "mac",
)
# What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def iter_records(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    consent_id: str | None = None,
    ids: Iterable[int] | QuerySet[Any, int] | None = None,
    batch_size: int = 2000,
) -> Iterator[ConsentRecord]:
    """Records in id order, fetched in batches by key: memory stays flat on every database.

    (``QuerySet.iterator()`` would load the whole result into memory with MySQL/MariaDB.)
    """
    records = ConsentRecord.objects.order_by("id")
    if since is not None:
        records = records.filter(created_at__gte=since)
    if until is not None:
        records = records.filter(created_at__lt=until)
    if consent_id is not None:
        records = records.filter(consent_id=consent_id)
    if ids is not None:
        records = records.filter(id__in=ids)
    last_id = 0
    while True:
        batch = list(records.filter(id__gt=last_id)[:batch_size])
        yield from batch
        if len(batch) < batch_size:
            return
        last_id = batch[-1].id


def csv_row(record: ConsentRecord) -> list[str]:
    values: dict[str, Any] = {
        "record_id": record.id,
        "consent_id": record.consent_id,
        "time_utc": _utc(record.created_at),
        "action": record.action,
        "event": record.event,
        "method": record.method,
        "granted": record.granted,
        "denied": record.denied,
        "revisions": " ".join(f"{slug}:{rev}" for slug, rev in sorted(record.revisions.items())),
        "reconsent": int(record.reconsent),
        "language": record.language,
        "policy_url": record.policy_url,
        "gpc": int(record.gpc),
        "user_id": "" if record.user_id is None else record.user_id,
        "ip_hash": record.ip_hash,
        "user_agent": record.user_agent,
        "previous_mac": record.previous_mac,
        "mac": record.mac,
    }
    return [spreadsheet_text(str(values[column])) for column in CSV_COLUMNS]


def spreadsheet_text(cell: str) -> str:
    """A cell a spreadsheet shows as text: a leading quote before what would start a formula.

    Any visitor writes their own ``User-Agent``, e.g. ``=HYPERLINK(...)``.
    """
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def csv_lines(records: Iterable[ConsentRecord]) -> Iterator[str]:
    """The header, then one line per record: what the admin action and the command write.

    Every cell is quoted: a ``;`` or ``,`` in a user agent must not open a cell of its own,
    whichever separator the spreadsheet splits on.
    """
    writer = csv.writer(_Line(), quoting=csv.QUOTE_ALL)
    yield writer.writerow(CSV_COLUMNS)
    for record in records:
        yield writer.writerow(csv_row(record))


class _Line:
    """csv.writer needs a file; this one hands each line back."""

    def write(self, line: str) -> str:
        return line


def json_record(record: ConsentRecord) -> dict[str, Any]:
    """One record in the documented JSON lines shape."""
    return {
        "schema": SCHEMA,
        "record_id": str(record.id),
        "pii_principal_id": record.consent_id,
        "event_time": _utc(record.created_at),
        "event_type": "consent_" + record.action,
        "event_state": record.event,
        "collection_method": record.method,
        "processing_purposes": record.granted_slugs,
        "purposes_refused": record.denied_slugs,
        "notice": {"url": record.policy_url, "revisions": record.revisions},
        "reconsent": record.reconsent,
        "language": record.language,
        "gpc": record.gpc,
        "jurisdiction": conf.JURISDICTION,
        "data_controller": conf.CONTROLLER,
        "user_id": user_key(record.user_id),
        "ip_hash": record.ip_hash or None,
        "user_agent": record.user_agent or None,
        "previous_mac": record.previous_mac,
        "mac": record.mac,
    }


def _utc(moment: datetime) -> str:
    return as_utc(moment).isoformat().replace("+00:00", "Z")


def by_category(slug: str) -> Q:
    """Records that granted ``slug`` (the slugs are space-separated)."""
    return (
        Q(granted=slug)
        | Q(granted__startswith=f"{slug} ")
        | Q(granted__endswith=f" {slug}")
        | Q(granted__contains=f" {slug} ")
    )
