from django.urls import path

from pksai.dci import views

app_name = "dci"

urlpatterns = [
    path("api/v1/dci/registry/sync/search", views.sync_search, name="sync_search"),
    path("api/v1/dci/registry/search", views.async_search, name="search"),
    path("cases/<int:pk>/birth-registration/check/", views.birth_check, name="birth_check"),
]
