from django.urls import path

from pksai.programs import views_facilitation as views

app_name = "facilitation"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("beneficiaries/<int:pk>/", views.beneficiary, name="beneficiary"),
    path("report/", views.report, name="report"),
    path("reconfirmation/", views.reconfirmation, name="reconfirmation"),
    path("conditionalities/", views.conditionalities, name="conditionalities"),
]
