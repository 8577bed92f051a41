from django.urls import path

from pksai.programs import views_facilitation as views
from pksai.programs import views_suspensions

app_name = "facilitation"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("beneficiaries/<int:pk>/", views.beneficiary, name="beneficiary"),
    path(
        "beneficiaries/<int:pk>/suspensions/",
        views_suspensions.suspension_start,
        name="suspension_start",
    ),
    path("suspensions/<int:pk>/end/", views_suspensions.suspension_end, name="suspension_end"),
    path("report/", views.report, name="report"),
    path("reconfirmation/", views.reconfirmation, name="reconfirmation"),
    path("conditionalities/", views.conditionalities, name="conditionalities"),
]
