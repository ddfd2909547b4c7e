"""The undeclared cookies: names the middleware saw that the catalogue does not declare."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from cookie_consent.enforcement.directions import Direction


class UndeclaredCookie(models.Model):
    """A cookie name seen on the site but missing from the catalogue, for review."""

    # Defined on its own, so that the enforcement imports it without the models.
    Direction = Direction

    name = models.CharField(_("name"), max_length=255)
    direction = models.CharField(_("seen"), max_length=8, choices=Direction.choices)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))
    count = models.PositiveBigIntegerField(_("times seen"), default=0)
    example_path = models.CharField(_("example path"), max_length=2048, blank=True)

    class Meta:
        ordering = ("-last_seen",)
        verbose_name = _("undeclared cookie")
        verbose_name_plural = _("undeclared cookies")
        constraints = (
            models.UniqueConstraint(
                fields=("name", "direction"), name="cookie_consent_undeclared_unique"
            ),
        )

    def __str__(self) -> str:
        return self.name
