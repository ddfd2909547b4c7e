from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CookieConsentConfig(AppConfig):
    name = "cookie_consent"
    verbose_name = _("Cookie consent")
    # Pinned so that a project's DEFAULT_AUTO_FIELD never asks for a migration of ours.
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cookie_consent import checks  # noqa: F401  (registers)
        from cookie_consent.catalogue import defaults, snapshot  # noqa: F401  (registers)

        post_migrate.connect(defaults.declare_default_catalogue, sender=self)
