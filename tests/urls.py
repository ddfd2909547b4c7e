from django.contrib import admin
from django.urls import include, path

from cookie_consent.views import gpc_json
from tests import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("cookies/", include("cookie_consent.urls")),
    path("page/", views.page),
    path("async-page/", views.async_page),
    path(".well-known/gpc.json", gpc_json),
    path("head/", views.head_page),
    path("echo/", views.cookies),
    path("async-echo/", views.async_cookies),
    path("raw-cookie-header/", views.raw_cookie_header),
    path("exempt/", views.exempt_cookies),
    path("async-exempt/", views.async_exempt_cookies),
    path("api/echo/", views.cookies),
    path("streaming/", views.streaming),
    path("file/", views.file),
    path("properties/cookie-routes/", views.cookie_routes),
    path("properties/set-cookies/", views.set_cookies_as_told),
]
