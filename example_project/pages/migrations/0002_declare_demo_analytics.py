"""Declare the cookie the demo analytics script writes, under statistics.

The reference policy declares no statistics cookie; without this one, enforcement would
strip the demo's ``_ga`` as undeclared even after consent, and the page could not show
what consent changes.
"""

from __future__ import annotations

from pathlib import Path

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from cookie_consent.loading import load_catalogue, parse_catalogue

DEMO_CATALOGUE = Path(__file__).resolve().parent.parent / "data" / "demo-analytics.json"


def declare_demo_analytics(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    source = str(DEMO_CATALOGUE)
    load_catalogue(
        parse_catalogue(DEMO_CATALOGUE.read_text(encoding="utf-8"), source),
        category_model=apps.get_model("cookie_consent", "CookieCategory"),
        cookie_model=apps.get_model("cookie_consent", "Cookie"),
        using=schema_editor.connection.alias,
        source=source,
    )


class Migration(migrations.Migration):
    dependencies = [("pages", "0001_load_reference_catalogue")]

    operations = [migrations.RunPython(declare_demo_analytics, migrations.RunPython.noop)]
