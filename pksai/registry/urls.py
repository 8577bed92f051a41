from django.urls import path

from pksai.registry import views

app_name = "registry"
urlpatterns = [
    path("registry/imports/", views.import_list, name="import_list"),
    path("registry/imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("registry/imports/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("registry/imports/<int:pk>/errors.csv", views.import_errors, name="import_errors"),
]
