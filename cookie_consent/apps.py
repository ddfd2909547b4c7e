"""The app's configuration: what it connects and registers once Django has loaded it.

Checks and signal receivers are registered here, explicitly, rather than by importing a
module for its side effects: this is the one list of what the app listens to.
"""

from __future__ import annotations

from django.apps import AppConfig
from django.core.checks import Tags, register
from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_migrate, post_save
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
        from cookie_consent.catalogue import defaults, essential, snapshot
        from cookie_consent.catalogue.edits import rows_written
        from cookie_consent.consent import banner_cache
        from cookie_consent.enforcement import exemption
        from cookie_consent.models import Cookie, CookieCategory

        # A connected function is connected once, however often ready() runs (tests that
        # change INSTALLED_APPS run it again).
        setting_changed.connect(conf.forget_settings)
        setting_changed.connect(essential.forget_essential_names)
        setting_changed.connect(exemption.forget_exempt_paths)
        for model in (CookieCategory, Cookie):
            post_save.connect(snapshot.catalogue_edited, sender=model)
            post_delete.connect(snapshot.catalogue_edited, sender=model)
        rows_written.connect(snapshot.catalogue_edited)
        setting_changed.connect(banner_cache.forget_shared_markup)
        file_changed.connect(banner_cache.forget_shared_markup)
        post_migrate.connect(defaults.declare_default_catalogue, sender=self)
