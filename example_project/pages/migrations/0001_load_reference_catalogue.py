"""Load the catalogue of the reference cookie policy shipped with cookie_consent.

After `migrate` alone the site declares exactly the cookies of that policy, with its
words. The app's post_migrate handler runs later and finds every category and cookie it
would create already there, so it adds nothing.
"""

from __future__ import annotations

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from cookie_consent.loading import REFERENCE_CATALOGUE, load_catalogue, parse_catalogue


def load_reference_catalogue(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    source = str(REFERENCE_CATALOGUE)
    categories = parse_catalogue(REFERENCE_CATALOGUE.read_text(encoding="utf-8"), source)
    # The historical models: the current ones may have fields this database lacks yet.
    load_catalogue(
        categories,
        category_model=apps.get_model("cookie_consent", "CookieCategory"),
        cookie_model=apps.get_model("cookie_consent", "Cookie"),
        using=schema_editor.connection.alias,
        source=source,
    )


class Migration(migrations.Migration):
    dependencies = [("cookie_consent", "0001_initial")]

    operations = [
        # Reversing keeps the catalogue: it belongs to cookie_consent's tables, which
        # an admin may have edited since.
        migrations.RunPython(load_reference_catalogue, migrations.RunPython.noop),
    ]
