"""Deleting old consent records without breaking their chains (``cookie_consent_prune``).

Records go oldest first, a batch per transaction. Before a chain loses records, its
checkpoint takes the MAC of the newest one pruned, so verification starts the rest of
the chain from there.

Only the start of a chain is ever pruned: a record's time is taken before its chain is
locked, so under concurrent decisions a record can be a little older than the one
before it; such a record stays until its predecessor goes too.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.db import router, transaction
from django.db.models import Min
from django.utils import timezone

from cookie_consent.models import ConsentCheckpoint, ConsentRecord
from cookie_consent.records.chain import checkpoint_mac, signing_keys

# (id, consent id, mac) of a record.
Row = tuple[int, str, str]


def prune(*, before: datetime, batch_size: int = 1000, dry_run: bool = False) -> int:
    """Delete the records made before ``before``; the number deleted (or, dry, to delete)."""
    pruned = 0
    after_id = 0
    while True:
        with transaction.atomic(using=router.db_for_write(ConsentRecord)):
            rows = _batch(before, after_id, batch_size, lock=not dry_run)
            if not rows:
                return pruned
            prunable = _chain_starts(rows, before)
            if not dry_run:
                _checkpoint(prunable)
                ConsentRecord.objects.filter(id__in=[id for id, _, _ in prunable]).delete()
        pruned += len(prunable)
        after_id = rows[-1][0]


def _batch(before: datetime, after_id: int, batch_size: int, *, lock: bool) -> list[Row]:
    records = ConsentRecord.objects.filter(created_at__lt=before, id__gt=after_id)
    if lock:
        # Two prunes at once must not both count the same records into a checkpoint.
        records = records.select_for_update()
    return list(records.order_by("id").values_list("id", "consent_id", "mac")[:batch_size])


def _chain_starts(rows: list[Row], before: datetime) -> list[Row]:
    """The rows that come before every record their chain keeps."""
    kept = dict(
        ConsentRecord.objects.filter(
            consent_id__in={consent_id for _, consent_id, _ in rows}, created_at__gte=before
        )
        .order_by()
        .values("consent_id")
        .annotate(first=Min("id"))
        .values_list("consent_id", "first")
    )
    return [row for row in rows if row[1] not in kept or row[0] < kept[row[1]]]


def _checkpoint(rows: list[Row]) -> None:
    """Move each chain's checkpoint to the newest of its ``rows`` (in id order)."""
    counts = Counter(consent_id for _, consent_id, _ in rows)
    last_macs = {consent_id: mac for _, consent_id, mac in rows}
    existing = ConsentCheckpoint.objects.select_for_update().in_bulk(
        list(counts), field_name="consent_id"
    )
    now = timezone.now()
    key = signing_keys()[0]
    created, updated = [], []
    for consent_id, count in counts.items():
        checkpoint = existing.get(consent_id)
        if checkpoint is None:
            checkpoint = ConsentCheckpoint(consent_id=consent_id, pruned=0)
            created.append(checkpoint)
        else:
            updated.append(checkpoint)
        checkpoint.last_mac = last_macs[consent_id]
        checkpoint.pruned += count
        checkpoint.pruned_at = now
        checkpoint.mac = checkpoint_mac(checkpoint, key)
    ConsentCheckpoint.objects.bulk_create(created)
    ConsentCheckpoint.objects.bulk_update(updated, ["last_mac", "pruned", "pruned_at", "mac"])
