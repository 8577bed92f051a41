from django.urls import path

from pksai.retention import views

app_name = "retention"
urlpatterns = [
    path("", views.retention_index, name="index"),
    path("holds/", views.hold_place, name="hold_place"),
    path("holds/<int:pk>/release/", views.hold_release, name="hold_release"),
]
