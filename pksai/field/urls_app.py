from django.urls import path

from pksai.field import views_app as views

app_name = "lapangan"

urlpatterns = [
    path("", views.shell, name="shell"),
    path("sw.js", views.service_worker, name="sw"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
]
