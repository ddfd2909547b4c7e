"""The app's configuration: what it connects and registers once Django has loaded it.

Checks and signal receivers are registered here, explicitly, rather than by importing a
module for its side effects. Not yet all receivers: those of catalogue/snapshot.py,
catalogue/essential.py and enforcement/exemption.py still connect by decorator, when
their module is imported.
"""

from __future__ import annotations

from django.apps import AppConfig
from django.core.checks import Tags, register
from django.core.signals import setting_changed
from django.db.models.signals import post_migrate
from django.utils.autoreload import file_changed
from django.utils.translation import gettext_lazy as _


class CookieConsentConfig(AppConfig):
    name = "cookie_consent"
    verbose_name = _("Cookie consent")
    # Pinned so that a project's DEFAULT_AUTO_FIELD never asks for a migration of ours.
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        self._register_checks()
        self._connect_receivers()

    def _register_checks(self) -> None:
        from cookie_consent import checks

        register(checks.check_middleware, Tags.compatibility)
        register(checks.check_settings, Tags.compatibility)
        register(checks.check_time_zone, Tags.compatibility)
        register(checks.check_cache_timeout, Tags.caches)

    def _connect_receivers(self) -> None:
        from cookie_consent import conf
        from cookie_consent.catalogue import defaults, snapshot  # noqa: F401  (its decorators)
        from cookie_consent.consent import banner_cache

        # A connected function is connected once, however often ready() runs (tests that
        # change INSTALLED_APPS run it again).
        setting_changed.connect(conf.forget_settings)
        setting_changed.connect(banner_cache.forget_shared_markup)
        file_changed.connect(banner_cache.forget_shared_markup)
        post_migrate.connect(defaults.declare_default_catalogue, sender=self)
