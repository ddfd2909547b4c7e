from django.urls import path

from cookie_consent import views

app_name = "cookie_consent"

urlpatterns = [
    path("", views.policy, name="policy"),
    path("preferences/", views.preferences, name="preferences"),
    path("update/", views.update, name="update"),
    path("api/", views.api, name="api"),
]
