"""Checking the consent records' chains: what ``manage.py cookie_consent_verify`` runs.

Records are read chain by chain, ordered by (consent id, id), in batches fetched by key,
so memory stays flat however many records there are. (``QuerySet.iterator()`` would load
the whole result into memory with MySQL/MariaDB.)

A chain starts at its checkpoint's ``last_mac`` when ``cookie_consent_prune`` removed its
oldest records, else at "". Each record must carry the MAC of the record before it
(``previous_mac``) and a MAC of its own content made under one of the signing keys.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Q

from cookie_consent.models import ConsentCheckpoint, ConsentRecord
from cookie_consent.records.chain import checkpoint_mac, mac_is_valid, signing_keys

MODIFIED = "modified"
BROKEN_LINK = "broken link"
CHECKPOINT_MODIFIED = "checkpoint modified"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a chain; ``record_id`` is None for a checkpoint."""

    record_id: int | None
    consent_id: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


@dataclass
class Tally:
    """What a verification went through, for its summary."""

    records: int = 0
    chains: int = 0


def verify(*, batch_size: int = 2000, tally: Tally | None = None) -> Iterator[Problem]:
    """Every problem of every chain, chain by chain; nothing when all records are intact.

    ``tally``, when given, counts the records and chains checked as the walk goes.
    """
    tally = Tally() if tally is None else tally
    keys = signing_keys()
    yield from _verify_records(keys, batch_size, tally)
    yield from _verify_orphan_checkpoints(keys, batch_size, tally)


def _verify_records(keys: list[bytes], batch_size: int, tally: Tally) -> Iterator[Problem]:
    consent_id: str | None = None
    expected = ""
    for batch in _record_batches(batch_size):
        # A chain continued from the previous batch already has its start.
        starts = {r.consent_id for r in batch} - {consent_id}
        checkpoints = ConsentCheckpoint.objects.filter(consent_id__in=starts).in_bulk(
            field_name="consent_id"
        )
        for record in batch:
            if record.consent_id != consent_id:
                consent_id = record.consent_id
                tally.chains += 1
                checkpoint = checkpoints.get(consent_id)
                expected = "" if checkpoint is None else checkpoint.last_mac
                if checkpoint is not None and not _checkpoint_is_valid(checkpoint, keys):
                    yield _checkpoint_problem(checkpoint)
            tally.records += 1
            yield from _check(record, expected, keys)
            expected = record.mac


def _record_batches(batch_size: int) -> Iterator[list[ConsentRecord]]:
    records = ConsentRecord.objects.order_by("consent_id", "id")
    batch = list(records[:batch_size])
    while batch:
        yield batch
        last = batch[-1]
        # (consent_id, id) > (last's): the leading >= lets every database seek the index.
        after = Q(consent_id__gte=last.consent_id) & (
            Q(consent_id__gt=last.consent_id) | Q(id__gt=last.id)
        )
        batch = list(records.filter(after)[:batch_size]) if len(batch) == batch_size else []


def _check(record: ConsentRecord, expected: str, keys: list[bytes]) -> Iterator[Problem]:
    if not mac_is_valid(record, keys):
        yield Problem(
            record.id,
            record.consent_id,
            MODIFIED,
            f"record {record.id} of consent id {record.consent_id} was modified: its MAC "
            "does not match its content under any signing key.",
        )
    if not hmac.compare_digest(record.previous_mac, expected):
        yield Problem(
            record.id,
            record.consent_id,
            BROKEN_LINK,
            f"the chain of consent id {record.consent_id} breaks before record {record.id}: "
            "a record before it was deleted, or one was inserted.",
        )


def _verify_orphan_checkpoints(
    keys: list[bytes], batch_size: int, tally: Tally
) -> Iterator[Problem]:
    """Checkpoints of chains whose every record was pruned (the others were checked)."""
    for batch in _checkpoint_batches(batch_size):
        with_records = set(
            ConsentRecord.objects.filter(consent_id__in=[c.consent_id for c in batch])
            .order_by()
            .values_list("consent_id", flat=True)
            .distinct()
        )
        for checkpoint in _without(batch, with_records):
            tally.chains += 1
            if not _checkpoint_is_valid(checkpoint, keys):
                yield _checkpoint_problem(checkpoint)


def _checkpoint_batches(batch_size: int) -> Iterator[list[ConsentCheckpoint]]:
    checkpoints = ConsentCheckpoint.objects.order_by("consent_id")
    batch = list(checkpoints[:batch_size])
    while batch:
        yield batch
        after = batch[-1].consent_id
        more = len(batch) == batch_size
        batch = list(checkpoints.filter(consent_id__gt=after)[:batch_size]) if more else []


def _without(
    checkpoints: Iterable[ConsentCheckpoint], consent_ids: set[str]
) -> Iterator[ConsentCheckpoint]:
    return (c for c in checkpoints if c.consent_id not in consent_ids)


def _checkpoint_is_valid(checkpoint: ConsentCheckpoint, keys: list[bytes]) -> bool:
    return any(
        hmac.compare_digest(checkpoint.mac, checkpoint_mac(checkpoint, key)) for key in keys
    )


def _checkpoint_problem(checkpoint: ConsentCheckpoint) -> Problem:
    return Problem(
        None,
        checkpoint.consent_id,
        CHECKPOINT_MODIFIED,
        f"the checkpoint of consent id {checkpoint.consent_id} was modified: its MAC does "
        "not match its content under any signing key.",
    )
