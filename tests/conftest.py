from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import caches

from cookie_consent import catalogue, undeclared


@pytest.fixture(autouse=True)
def _fresh_catalogue() -> Iterator[None]:
    """Each test starts without a snapshot: a rolled-back test sends no model signals."""
    caches["default"].clear()
    catalogue.forget_local()
    undeclared._pending.clear()
    yield
    undeclared.stop_flusher()
    catalogue.forget_local()
