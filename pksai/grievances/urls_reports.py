from django.urls import path

from pksai.grievances import views_reports

app_name = "complaint_reports"
urlpatterns = [
    path("", views_reports.index, name="index"),
    path("export/", views_reports.export, name="export"),
]
