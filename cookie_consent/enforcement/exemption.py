"""Which requests enforcement leaves alone: a path prefix of
``COOKIE_CONSENT_EXEMPT_PATHS``, or a view marked with ``cookie_consent_exempt``."""

from __future__ import annotations

import functools
from typing import Any

from django.http import HttpRequest
from django.urls import Resolver404, resolve

from cookie_consent.conf import conf
from cookie_consent.decorators import exempt_views


def forget_exempt_paths(**kwargs: Any) -> None:
    """On ``setting_changed`` (connected in apps.py)."""
    _exempt_path.cache_clear()  # ROOT_URLCONF may have changed


def is_exempt(request: HttpRequest) -> bool:
    """Enforcement does not apply: a prefix of COOKIE_CONSENT_EXEMPT_PATHS, or the view says so."""
    prefixes = conf.EXEMPT_PATHS
    if prefixes and request.path_info.startswith(tuple(prefixes)):
        return True
    if not exempt_views:
        return False
    match = getattr(request, "resolver_match", None)
    if match is None:
        return _exempt_path(request.path_info, getattr(request, "urlconf", None))
    return getattr(match.func, "cookie_consent_exempt", False) is True


@functools.lru_cache(maxsize=1024)
def _exempt_path(path: str, urlconf: str | None) -> bool:
    """Whether the view at ``path`` is exempt, before Django has resolved it itself."""
    try:
        match = resolve(path, urlconf)
    except Resolver404:
        return False
    return getattr(match.func, "cookie_consent_exempt", False) is True
