from django.urls import path

from pksai.referrals import views_directory as views

app_name = "providers"
urlpatterns = [
    path("", views.provider_list, name="list"),
    path("new/", views.provider_new, name="new"),
    path("export/", views.provider_export, name="export"),
    path("import/", views.provider_import, name="import"),
    path("import/rejected.csv", views.provider_import_rejected, name="import_rejected"),
    path("<int:pk>/", views.provider_detail, name="detail"),
    path("<int:pk>/edit/", views.provider_edit, name="edit"),
]
