from django.urls import path

from pksai.monitoring import views, views_report

app_name = "monitoring"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("indicators/<slug:code>/", views.indicator_detail, name="indicator"),
    path("compare/", views.compare, name="compare"),
    path("finance/", views.finance_page, name="finance"),
    path("export/", views.export, name="export"),
    path("report/", views_report.monthly_report, name="report"),
    path("dhis2/", views.dhis2_page, name="dhis2"),
]
