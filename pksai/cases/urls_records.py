"""URLs of the records kept on a case (views_records), beside the case pages (urls)."""

from django.urls import path

from pksai.cases import views_records as views

app_name = "case_records"

urlpatterns = [
    path("<int:pk>/assessments/new/", views.assessment_edit, name="assessment_new"),
    path(
        "<int:pk>/assessments/<int:assessment_id>/",
        views.assessment_edit,
        name="assessment_edit",
    ),
    path("<int:pk>/plan/", views.plan_edit, name="plan"),
    path(
        "<int:pk>/plan/actions/<int:action_id>/status/",
        views.plan_action_status,
        name="plan_action_status",
    ),
    path("<int:pk>/conferences/new/", views.conference_new, name="conference_new"),
    path("<int:pk>/notes/new/", views.note_new, name="note_new"),
    path("<int:pk>/visits/new/", views.visit_new, name="visit_new"),
    path("<int:pk>/attachments/new/", views.attachment_new, name="attachment_new"),
    path(
        "<int:pk>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path(
        "<int:pk>/attachments/<int:attachment_id>/void/",
        views.attachment_void,
        name="attachment_void",
    ),
    path("<int:pk>/summary.pdf", views.summary_pdf, name="summary_pdf"),
]
