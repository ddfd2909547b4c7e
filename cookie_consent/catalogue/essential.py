"""The cookies Django and this app cannot work without, under their configured names.

They pass the middleware whatever the catalogue says, and the catalogue keeps them in a
category that needs no consent, so that no edit can lock visitors out of a login.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from cookie_consent.conf import conf


@functools.cache
def essential_names() -> frozenset[str]:
    return frozenset(
        {
            settings.SESSION_COOKIE_NAME,
            settings.CSRF_COOKIE_NAME,
            settings.LANGUAGE_COOKIE_NAME,
            # django.contrib.messages fixes this name.
            "messages",
            conf.COOKIE_NAME,
        }
    )


@receiver(setting_changed)
def _settings_changed(**kwargs: Any) -> None:
    essential_names.cache_clear()
