"""The public complaint pages (no account), under /pengaduan/."""

from django.urls import path

from pksai.grievances import views_public

app_name = "complaints_public"
urlpatterns = [
    path("", views_public.complaint_form, name="form"),
    path("status/", views_public.status_lookup, name="lookup"),
    path("status/<str:code>/", views_public.status_page, name="status"),
]
