from django.urls import path

from pksai.referrals import views_reports

app_name = "referral_reports"
urlpatterns = [
    path("", views_reports.index, name="index"),
    path("export/", views_reports.export, name="export"),
]
