from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cookie_consent.conf import conf
from cookie_consent.records.chain import as_utc
from cookie_consent.records.prune import prune


class Command(BaseCommand):
    help = (
        "Delete consent records older than a number of days, oldest first, in batches. "
        "Each chain keeps a checkpoint, so cookie_consent_verify still checks what remains."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            metavar="DAYS",
            help="Age in days of the records to delete (at least 1); default: the "
            "COOKIE_CONSENT_RECORD_RETENTION_DAYS setting.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            help="Records deleted per transaction (default 1000).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the records to delete, delete nothing."
        )

    def handle(
        self,
        *args: Any,
        older_than: int | None,
        batch_size: int,
        dry_run: bool,
        **options: Any,
    ) -> None:
        days = conf.RECORD_RETENTION_DAYS if older_than is None else older_than
        if days < 1:
            source = (
                "COOKIE_CONSENT_RECORD_RETENTION_DAYS" if older_than is None else "--older-than"
            )
            raise CommandError(f"{source} must be at least 1 day; got {days}.")
        if batch_size < 1:
            raise CommandError(f"--batch-size must be at least 1; got {batch_size}.")
        before = timezone.now() - timedelta(days=days)
        count = prune(before=before, batch_size=batch_size, dry_run=dry_run)
        records = f"{count} consent record{'' if count == 1 else 's'}"
        when = f"made before {as_utc(before):%Y-%m-%d %H:%M:%S} UTC ({days} days ago)"
        if dry_run:
            self.stdout.write(f"Dry run, nothing deleted: would have pruned {records} {when}.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Pruned {records} {when}."))
