"""The consent records: the proof of every decision, append-only, chained by a MAC."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError(
            "Consent records are append-only: they are written once and never changed."
        )


class ConsentRecord(models.Model):
    """The proof of one decision. Written once; chained to the previous one by a MAC."""

    class Action(models.TextChoices):
        ACCEPT_ALL = "accept_all", _("accept all")
        REJECT_ALL = "reject_all", _("reject all")
        SAVE = "save", _("save choices")

    class Method(models.TextChoices):
        BANNER = "banner", _("banner")
        PREFERENCES = "preferences", _("preferences page")
        API = "api", _("API")

    class Event(models.TextChoices):
        GIVEN = "given", _("given")
        WITHDRAWN = "withdrawn", _("withdrawn")
        REFUSED = "refused", _("refused")

    consent_id = models.CharField(_("consent ID"), max_length=32)
    created_at = models.DateTimeField(_("time (UTC)"))
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    event = models.CharField(_("consent state"), max_length=16, choices=Event.choices)
    method = models.CharField(_("where"), max_length=16, choices=Method.choices)
    # Space-separated slugs: searchable the same way on every database.
    granted = models.CharField(_("granted categories"), max_length=1000, blank=True)
    denied = models.CharField(_("denied categories"), max_length=1000, blank=True)
    revisions = models.JSONField(_("category revisions"), default=dict)
    reconsent = models.BooleanField(_("asked again after a catalogue change"), default=False)
    language = models.CharField(_("language"), max_length=35, blank=True)
    policy_url = models.CharField(_("policy shown"), max_length=2048, blank=True)
    gpc = models.BooleanField(_("Global Privacy Control"), default=False)
    ip_hash = models.CharField(_("keyed hash of the truncated IP"), max_length=64, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=512, blank=True)
    # No constraint: deleting the user must neither delete nor change the proof.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("user"),
    )
    previous_mac = models.CharField(_("MAC of the previous record"), max_length=64, blank=True)
    mac = models.CharField(_("MAC"), max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        constraints = (
            models.UniqueConstraint(
                fields=("consent_id", "previous_mac"), name="cc_record_one_successor"
            ),
        )
        indexes = (
            models.Index(fields=("consent_id", "id"), name="cc_record_chain"),
            models.Index(fields=("created_at", "id"), name="cc_record_time"),
            models.Index(fields=("action",), name="cc_record_action"),
            models.Index(fields=("method",), name="cc_record_method"),
        )

    def __str__(self) -> str:
        return f"{self.consent_id} {self.action} {self.created_at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError(
                "Consent records are append-only: they are written once and never changed."
            )
        super().save(*args, **kwargs)

    @property
    def granted_slugs(self) -> list[str]:
        return self.granted.split()

    @property
    def denied_slugs(self) -> list[str]:
        return self.denied.split()


class ConsentCheckpoint(models.Model):
    """Where a chain starts after ``cookie_consent_prune`` removed its oldest records."""

    consent_id = models.CharField(_("consent ID"), max_length=32, unique=True)
    last_mac = models.CharField(_("MAC of the last pruned record"), max_length=64)
    pruned = models.PositiveBigIntegerField(_("records pruned"))
    pruned_at = models.DateTimeField(_("pruned at"))
    mac = models.CharField(_("MAC"), max_length=64)

    class Meta:
        verbose_name = _("consent chain checkpoint")
        verbose_name_plural = _("consent chain checkpoints")

    def __str__(self) -> str:
        return self.consent_id
