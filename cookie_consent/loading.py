"""The catalogue loader at the path data migrations import it from.

It lives in ``cookie_consent.catalogue.loading``; a migration that a project wrote with
``from cookie_consent.loading import load_catalogue`` keeps working.
"""

from cookie_consent.catalogue.loading import (
    REFERENCE_CATALOGUE,
    CatalogueFileError,
    LoadReport,
    load_catalogue,
    parse_catalogue,
)

__all__ = [
    "REFERENCE_CATALOGUE",
    "CatalogueFileError",
    "LoadReport",
    "load_catalogue",
    "parse_catalogue",
]
