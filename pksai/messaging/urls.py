from django.urls import path

from pksai.messaging import views

app_name = "messaging"

urlpatterns = [
    path("callback/<slug:channel>/", views.callback, name="callback"),
    path("me/", views.me, name="me"),
    path("reports/", views.report, name="report"),
    path("reports/export/", views.report_export, name="report_export"),
]
