"""The payment reports, included under /payments/reports/ (names in the payments namespace)."""

from django.urls import path

from pksai.payments import views_reports

urlpatterns = [
    path("", views_reports.index, name="reports"),
    path("export/", views_reports.export, name="report_export"),
    path("delivery/", views_reports.delivery, name="report_delivery"),
]
