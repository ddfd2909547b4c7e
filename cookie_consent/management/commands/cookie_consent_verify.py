from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cookie_consent.records.verify import Tally, verify


class Command(BaseCommand):
    help = (
        "Check every chain of consent records: report each record that was modified, "
        "inserted or deleted, and each altered checkpoint. Exits with status 1 when "
        "anything is wrong."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=2000,
            help="Records read per query (default 2000); memory grows with it, not with "
            "the number of records.",
        )

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError(f"--batch-size must be at least 1; got {batch_size}.")
        tally = Tally()
        problems = 0
        for problem in verify(batch_size=batch_size, tally=tally):
            problems += 1
            self.stdout.write(str(problem))
        checked = f"{_count(tally.records, 'record')} in {_count(tally.chains, 'chain')}"
        if problems:
            raise CommandError(f"{_count(problems, 'problem')} found in {checked}.", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"{checked} verified: no problem found."))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
