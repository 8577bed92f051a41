"""Staff complaint pages, under /complaints/ (complaints/reports/ belongs to the reports)."""

from django.urls import path

from pksai.grievances import views

app_name = "complaints"
urlpatterns = [
    path("", views.complaint_queue_view, name="queue"),
    path("new/", views.complaint_new, name="new"),
    path("<int:pk>/", views.complaint_detail, name="detail"),
    path("<int:pk>/assign/", views.complaint_assign_view, name="assign"),
    path("<int:pk>/start/", views.complaint_start_view, name="start"),
    path("<int:pk>/note/", views.complaint_note_view, name="note"),
    path("<int:pk>/escalate/", views.complaint_escalate_view, name="escalate"),
    path("<int:pk>/resolve/", views.complaint_resolve_view, name="resolve"),
]
