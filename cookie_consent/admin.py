from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cookie_consent.models import Cookie, CookieCategory


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
