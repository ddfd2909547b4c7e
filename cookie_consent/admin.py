from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from cookie_consent.catalogue.snapshot import get_catalogue
from cookie_consent.models import ConsentRecord, Cookie, CookieCategory, UndeclaredCookie
from cookie_consent.records.export import by_category, csv_lines, iter_records


# ModelAdmin classes are generic only in django-stubs, not at run time: hence type-arg.
class CookieInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Cookie
    extra = 0
    fields = ("name", "provider", "function", "purpose", "duration", "domain", "path")


@admin.register(CookieCategory)
class CookieCategoryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "slug", "required", "needs_consent", "order", "cookie_count")
    list_editable = ("order",)
    list_filter = ("required", "needs_consent")
    search_fields = ("name", "slug", "description", "cookies__name")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (CookieInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CookieCategory]:
        categories: QuerySet[CookieCategory] = super().get_queryset(request)
        return categories.annotate(cookie_total=Count("cookies"))

    @admin.display(description=_("cookies"), ordering="cookie_total")
    def cookie_count(self, category: CookieCategory) -> int:
        return category.cookie_total  # type: ignore[attr-defined,no-any-return]


@admin.register(Cookie)
class CookieAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "category", "provider", "function", "duration", "domain", "path")
    list_filter = ("category", "provider")
    list_select_related = ("category",)
    search_fields = ("name", "provider", "function", "purpose")
    ordering = ("category__order", "name")


class DeclareForm(forms.Form):
    category = forms.ModelChoiceField(
        queryset=CookieCategory.objects.all(), label=_("Declare in the category")
    )


@admin.register(UndeclaredCookie)
class UndeclaredCookieAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "direction", "count", "first_seen", "last_seen", "example_path")
    # The most seen first: after a flood of made-up names, each seen once, the real ones lead.
    ordering = ("-count", "-last_seen")
    list_filter = ("direction",)
    search_fields = ("name", "example_path")
    actions = ("declare",)
    readonly_fields = ("name", "direction", "count", "first_seen", "last_seen", "example_path")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # sightings come from the middleware, not from people

    def has_declare_permission(self, request: HttpRequest) -> bool:
        """Declaring creates cookies: it takes the right to add them to the catalogue."""
        return request.user.has_perm("cookie_consent.add_cookie") and self.has_change_permission(
            request
        )

    @admin.action(description=_("Declare in a category…"), permissions=["declare"])
    def declare(
        self, request: HttpRequest, queryset: QuerySet[UndeclaredCookie]
    ) -> TemplateResponse | None:
        form = DeclareForm(request.POST if "category" in request.POST else None)
        if form.is_valid():
            self._declare(request, queryset, form.cleaned_data["category"])
            return None
        return TemplateResponse(
            request,
            "admin/cookie_consent/undeclaredcookie/declare.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Declare cookies in a category"),
                "form": form,
                "names": sorted({u.name for u in queryset}),
                "queryset": queryset,
                "opts": self.model._meta,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )

    def _declare(
        self, request: HttpRequest, queryset: QuerySet[UndeclaredCookie], category: CookieCategory
    ) -> None:
        declared = []
        for name in sorted({u.name for u in queryset}):
            cookie = Cookie(category=category, name=name, path="/")
            try:
                cookie.full_clean()
            except ValidationError as error:
                self.message_user(
                    request, f"{name}: {' '.join(error.messages)}", level=messages.ERROR
                )
                continue
            cookie.save()
            declared.append(name)
        UndeclaredCookie.objects.filter(name__in=declared).delete()
        if declared:
            self.message_user(
                request,
                _(
                    "Declared in “%(category)s”: %(names)s. Complete their provider, purpose "
                    "and duration in the list of cookies."
                )
                % {"category": category.name, "names": ", ".join(declared)},
                level=messages.SUCCESS,
            )


class GrantedCategoryFilter(admin.SimpleListFilter):
    title = _("granted category")
    parameter_name = "granted"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(c.slug, c.name) for c in get_catalogue().categories if c.needs_consent]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(by_category(value)) if value else queryset


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only for everybody, superusers included: the proof is never edited by hand."""

    list_display = ("created_at", "consent_id", "action", "event", "method", "granted", "gpc")
    list_filter = ("created_at", "action", "event", "method", GrantedCategoryFilter, "gpc")
    search_fields = ("=consent_id",)
    date_hierarchy = "created_at"
    actions = ("export_csv",)
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Export the selected records as CSV"), permissions=["view"])
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[ConsentRecord]
    ) -> StreamingHttpResponse:
        ids = queryset.values_list("id", flat=True)
        lines = csv_lines(iter_records(ids=ids))
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="consent-records.csv"'
        return response
