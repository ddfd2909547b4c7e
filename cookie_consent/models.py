"""The cookie catalogue: categories of cookies and the cookies declared in them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from cookie_consent.catalogue import names
from cookie_consent.catalogue import snapshot as catalogue
from cookie_consent.catalogue.validation import (
    BLANK_NAME_MESSAGE,
    TranslationsValidator,
    validate_against_catalogue,
    validate_category_flags,
    validate_consent_mode_types,
    validate_cookie_name,
    validate_essential_placement,
)


class CatalogueQuerySet(models.QuerySet[Any]):
    """Bulk operations send no model signals, so they drop the snapshot themselves.

    (``bulk_update`` goes through ``update``.)

    After the write, not before: outside a transaction the new generation is announced at
    once, and a process that rebuilt between the announcement and the write would
    publish the old rows under the new generation.
    """

    def update(self, **kwargs: Any) -> int:
        count = super().update(**kwargs)
        catalogue.invalidate(self.db)
        return count

    def bulk_create(self, *args: Any, **kwargs: Any) -> list[Any]:
        created = super().bulk_create(*args, **kwargs)
        catalogue.invalidate(self.db)
        return created


class CategoryManager(models.Manager["CookieCategory"]):
    def get_by_natural_key(self, slug: str) -> CookieCategory:
        return self.get(slug=slug)


class CookieManager(models.Manager["Cookie"]):
    def get_by_natural_key(self, name: str, domain: str, path: str) -> Cookie:
        return self.get(name=name, domain=domain, path=path)


class CookieCategory(models.Model):
    slug = models.SlugField(
        _("slug"),
        max_length=64,
        unique=True,
        help_text=_("The name templates and scripts use, e.g. “statistics”."),
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    required = models.BooleanField(
        _("required"),
        default=False,
        help_text=_("The site cannot work without these cookies; visitors cannot refuse them."),
    )
    needs_consent = models.BooleanField(
        _("needs consent"),
        default=True,
        help_text=_("Untick only for cookies the law lets you set without consent."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    honors_gpc = models.BooleanField(
        _("refused under Global Privacy Control"),
        default=True,
        help_text=_(
            "A browser sending the GPC signal refuses this category, unless the visitor "
            "granted it while sending the signal."
        ),
    )
    consent_mode = models.CharField(
        _("Google Consent Mode types"),
        max_length=255,
        blank=True,
        validators=[validate_consent_mode_types],
        help_text=_(
            "Space-separated types this category grants, e.g. “analytics_storage” or "
            "“ad_storage ad_user_data ad_personalization”."
        ),
    )

    translations = models.JSONField(
        _("translations"),
        default=dict,
        blank=True,
        validators=[TranslationsValidator(("name", "description"))],
        help_text=_(
            'Your own texts per language, e.g. {"fr": {"name": "Statistiques"}}. Texts of '
            "the default catalogue that you have not changed are translated already."
        ),
    )

    objects = CategoryManager.from_queryset(CatalogueQuerySet)()

    class Meta:
        ordering = ("order", "slug")
        verbose_name = _("cookie category")
        verbose_name_plural = _("cookie categories")

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def clean(self) -> None:
        validate_category_flags(required=self.required, needs_consent=self.needs_consent)
        if self.pk is not None:
            for cookie in self.cookies.all():
                cookie.category = self
                cookie.clean()


class Cookie(models.Model):
    category = models.ForeignKey(
        CookieCategory,
        on_delete=models.CASCADE,
        related_name="cookies",
        verbose_name=_("category"),
    )
    name = models.CharField(
        _("name"),
        max_length=255,
        validators=[validate_cookie_name],
        error_messages={"blank": BLANK_NAME_MESSAGE},
        help_text=_("The exact name, or a pattern where * stands for anything, e.g. _ga_*."),
    )
    provider = models.CharField(_("service provider's name"), max_length=255, blank=True)
    function = models.CharField(_("function and location"), max_length=255, blank=True)
    purpose = models.TextField(_("purposes"), blank=True)
    duration = models.CharField(
        _("duration"), max_length=100, blank=True, help_text=_("E.g. “2 weeks”, “Session”.")
    )
    domain = models.CharField(
        _("domain"),
        max_length=255,
        blank=True,
        help_text=_("Empty for the site's own host; “.example.com” for every subdomain."),
    )
    path = models.CharField(_("path"), max_length=255, default="/")
    translations = models.JSONField(
        _("translations"),
        default=dict,
        blank=True,
        validators=[TranslationsValidator(("provider", "function", "purpose", "duration"))],
        help_text=_('Your own texts per language, e.g. {"fr": {"purpose": "…"}}.'),
    )

    objects = CookieManager.from_queryset(CatalogueQuerySet)()

    class Meta:
        ordering = ("category__order", "category__slug", "name")
        verbose_name = _("cookie")
        verbose_name_plural = _("cookies")
        constraints = (
            models.UniqueConstraint(
                fields=("name", "domain", "path"),
                name="cookie_consent_cookie_unique_name_domain_path",
                violation_error_message=_(
                    "A cookie with this name, domain and path is already declared."
                ),
            ),
        )

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str, str, str]:
        return (self.name, self.domain, self.path)

    natural_key.dependencies = ["cookie_consent.cookiecategory"]  # type: ignore[attr-defined]

    @property
    def is_pattern(self) -> bool:
        return names.is_pattern(self.name)

    def clean(self) -> None:
        if self.category_id is None or not self.name or not names.is_valid_name(self.name):
            return  # the field errors already say what is missing
        others = (
            Cookie.objects.exclude(pk=self.pk)
            .order_by()
            .values_list("name", "category__slug", "category__required")
        )
        try:
            validate_essential_placement(
                self.name, free=self.category.required or not self.category.needs_consent
            )
            validate_against_catalogue(
                self.name,
                category=self.category.slug,
                required=self.category.required,
                others=others,
            )
        except ValidationError as error:
            raise ValidationError({"name": error}) from error


class UndeclaredCookie(models.Model):
    """A cookie name seen on the site but missing from the catalogue, for review."""

    class Direction(models.TextChoices):
        REQUEST = "request", _("sent by the browser")
        RESPONSE = "response", _("set by the server")

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
