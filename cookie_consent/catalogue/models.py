"""The catalogue's tables: categories of cookies and the cookies declared in them.

Code reads them through the snapshot (``catalogue.snapshot.get_catalogue``), never row
by row; these models are what the admin and the loader write.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from cookie_consent.catalogue import names
from cookie_consent.catalogue.edits import rows_written
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
    """Bulk operations send no model signals, so they send ``edits.rows_written``: the
    snapshot drops itself on it as on ``post_save`` (these models never import it).

    (``bulk_update`` goes through ``update``.)

    After the write, not before: outside a transaction the new generation is announced at
    once, and a process that rebuilt between the announcement and the write would
    publish the old rows under the new generation.
    """

    def update(self, **kwargs: Any) -> int:
        count = super().update(**kwargs)
        rows_written.send(sender=self.model, using=self.db)
        return count

    def bulk_create(self, *args: Any, **kwargs: Any) -> list[Any]:
        created = super().bulk_create(*args, **kwargs)
        rows_written.send(sender=self.model, using=self.db)
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
