"""Fixtures of the catalogue's tests: a clock to step past intervals, and caches."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings


class Clock:
    """Stands in for time.monotonic so tests can step past the refresh interval."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    for module in ("snapshot", "outages"):
        monkeypatch.setattr(
            f"cookie_consent.catalogue.{module}.time", SimpleNamespace(monotonic=fake)
        )
    return fake


@pytest.fixture
def shared_cache(tmp_path: Path) -> Iterator[None]:
    """A cache that several processes could share (unlike the default LocMemCache)."""
    cache = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache"}
    with override_settings(CACHES={"default": {**cache, "LOCATION": str(tmp_path)}}):
        yield


@pytest.fixture
def local_cache() -> Iterator[None]:
    """A cache of this process only, whatever CACHE_URL the suite runs with."""
    cache = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    with override_settings(CACHES={"default": cache}):
        yield


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="cookie_consent.catalogue")
    return caplog


def logged(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == level and r.name == "cookie_consent.catalogue"
    ]


def began_and_ended(caplog: pytest.LogCaptureFixture) -> tuple[list[str], list[str]]:
    """The catalogue's warnings (an outage begins) and its infos (it ends)."""
    return logged(caplog, logging.WARNING), logged(caplog, logging.INFO)


def load(tmp_path: Path, content: Any, *args: str) -> str:
    path = tmp_path / "catalogue.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2))
    out = io.StringIO()
    call_command("cookie_consent_load", str(path), *args, stdout=out)
    return out.getvalue()


def load_error(tmp_path: Path, content: Any) -> str:
    with pytest.raises(CommandError) as error:
        load(tmp_path, content)
    return str(error.value)
