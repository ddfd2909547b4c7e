"""The banner tag's markup, kept per kind of visitor (issue 11; docs/templatetags.rst).

Only markup that comes from the app's own template files is kept: those read nothing
from the request but the values each page fills in.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable
from typing import Any

from django.template.base import Template
from django.template.engine import Engine
from django.template.loaders import app_directories, cached, filesystem


class SharedMarkup:
    """Markup kept per kind of visitor, for at most ``limit`` kinds.

    Every visitor with the same choices, in the same language, gets the same markup but
    for a few values: it is rendered once per kind of visitor, with placeholders that each
    request fills in. Only the app's own templates are shared so: they read nothing from
    the request but these values, while a site's override may print anything the request
    holds (docs/templatetags.rst). A value None: this kind of visitor's markup is not
    shared.
    """

    def __init__(self, limit: int = 256) -> None:
        self.limit = limit
        self._kinds: dict[Hashable, str | None] = {}

    def __len__(self) -> int:
        return len(self._kinds)

    def get(self, key: Hashable, render: Callable[[], str | None]) -> str | None:
        """The markup kept for ``key``; ``render`` makes it the first time."""
        try:
            return self._kinds[key]
        except KeyError:
            pass
        if len(self._kinds) >= self.limit:
            self._kinds.clear()
        markup = self._kinds[key] = render()
        return markup

    def clear(self) -> None:
        self._kinds.clear()


SHARED = SharedMarkup()


def shareable(engine: Engine, names: tuple[str, ...]) -> bool:
    """Whether the markup comes from the app's own files only, which read nothing from the
    request, through the cached loader, which keeps serving the templates checked here."""
    # Without it, every request reads its templates again, and a file added meanwhile wins.
    if not all(isinstance(loader, cached.Loader) for loader in engine.template_loaders):
        return False
    return all(_shipped(engine.get_template(name)) for name in names)


_FILE_LOADERS = (filesystem.Loader, app_directories.Loader)
# The app's templates/ folder as Django's file loaders name what they find in it; with the
# trailing separator, so that no other folder whose name merely starts the same matches.
_APP_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_SHIPPED_DIR = os.path.join(_APP_DIR, "templates", "")


def _shipped(template_: Template) -> bool:
    """Whether ``template_`` is the app's own file, read as it is, and not a site's override
    (from DIRS, an app listed first, locmem, a database …), which lives elsewhere."""
    origin = template_.origin
    return type(origin.loader) in _FILE_LOADERS and origin.name.startswith(_SHIPPED_DIR)


def forget_shared_markup(**kwargs: Any) -> None:
    """On ``setting_changed`` and ``file_changed`` (connected in ``CookieConsentConfig.ready``).

    Settings shape the markup too (STATIC_URL, the static files storage, the app's own):
    only tests change them while a process runs. And runserver, when a template changes,
    has the loaders read them again: a site's new override must then show.
    """
    SHARED.clear()
