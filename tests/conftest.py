from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import caches

from cookie_consent import catalogue


@pytest.fixture(autouse=True)
def _fresh_catalogue() -> Iterator[None]:
    """Each test starts without a snapshot: a rolled-back test sends no model signals."""
    caches["default"].clear()
    catalogue.forget_local()
    yield
    catalogue.forget_local()
