from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from cookie_consent.catalogue.loading import CatalogueFileError, load_catalogue, parse_catalogue
from cookie_consent.models import Cookie, CookieCategory


class Command(BaseCommand):
    help = (
        "Create or update cookie categories and cookies from a JSON catalogue file "
        "(see the documentation for its schema). Loading the same file twice changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Path of the JSON file, or - for standard input.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report, write nothing."
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, file: str, dry_run: bool, database: str, **options: Any) -> None:
        source = "standard input" if file == "-" else file
        try:
            text = sys.stdin.read() if file == "-" else _read(file)
            categories = parse_catalogue(text, source)
            report = load_catalogue(
                categories,
                category_model=CookieCategory,
                cookie_model=Cookie,
                using=database,
                dry_run=dry_run,
                source=source,
            )
        except CatalogueFileError as error:
            raise CommandError(str(error)) from error
        for label in report.created:
            self.stdout.write(f"created {label}")
        for label in report.updated:
            self.stdout.write(f"updated {label}")
        prefix = "Dry run, nothing written: would have " if dry_run else ""
        self.stdout.write(self.style.SUCCESS(f"{prefix}{report.summary()}."))


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
    except UnicodeDecodeError as error:
        raise CommandError(f"{path} is not UTF-8 text: {error.reason}.") from error
