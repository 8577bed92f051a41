from django.urls import path

from pksai.privacy import views

app_name = "privacy"
urlpatterns = [
    path("cases/<int:pk>/consents/", views.case_consents, name="case_consents"),
    path("cases/<int:pk>/consents/new/", views.consent_new, name="consent_new"),
    path(
        "cases/<int:pk>/consents/<int:consent_id>/withdraw/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("cases/<int:pk>/legal-grounds/new/", views.legal_ground_new, name="legal_ground_new"),
    path(
        "cases/<int:pk>/legal-grounds/<int:ground_id>/end/",
        views.legal_ground_end,
        name="legal_ground_end",
    ),
    path("privacy/requests/", views.request_queue, name="requests"),
    path("privacy/requests/new/", views.request_new, name="request_new"),
    path("privacy/requests/<int:pk>/", views.request_detail, name="request"),
    path("privacy/requests/<int:pk>/start/", views.request_start, name="request_start"),
    path("privacy/requests/<int:pk>/decide/", views.request_decide, name="request_decide"),
    path("privacy/requests/<int:pk>/export/", views.request_export, name="request_export"),
    path("privacy/breaches/", views.breach_list, name="breaches"),
    path("privacy/breaches/new/", views.breach_new, name="breach_new"),
    path("privacy/breaches/<int:pk>/", views.breach_detail, name="breach"),
    path("privacy/breaches/<int:pk>/update/", views.breach_update, name="breach_update"),
    path("privacy/breaches/<int:pk>/close/", views.breach_close, name="breach_close"),
    path(
        "privacy/breaches/<int:pk>/notices/<int:notice_id>/",
        views.breach_notice,
        name="breach_notice",
    ),
]
