from django.urls import path

from pksai.cases import views, views_intake

app_name = "cases"

urlpatterns = [
    path("", views.case_list_view, name="list"),
    path("new/", views.case_new, name="new"),
    path("alerts/", views.alerts_view, name="alerts"),
    path("intake-reports/", views_intake.intake_report_list, name="intake_reports"),
    path(
        "intake-reports/<int:pk>/register/",
        views_intake.intake_report_register_view,
        name="intake_report_register",
    ),
    path(
        "intake-reports/<int:pk>/dismiss/",
        views_intake.intake_report_dismiss_view,
        name="intake_report_dismiss",
    ),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/transition/", views.case_transition_view, name="transition"),
    path("<int:pk>/summary/", views.case_summary_edit, name="summary"),
    path("<int:pk>/assign/", views.case_assign_view, name="assign"),
    path("<int:pk>/emergency/", views.emergency_new, name="emergency_new"),
    path(
        "<int:pk>/emergency/<int:action_id>/start/", views.emergency_start, name="emergency_start"
    ),
    path("<int:pk>/plan-actions/", views.plan_action_new, name="plan_action_new"),
    path("<int:pk>/follow-ups/<int:follow_up_id>/", views.follow_up_done, name="follow_up_done"),
]
