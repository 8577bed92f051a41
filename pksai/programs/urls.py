from django.urls import path

from pksai.programs import views

app_name = "programs"

urlpatterns = [
    path("", views.index, name="index"),
    path("nominate-case/<int:case_pk>/", views.nominate_case, name="nominate_case"),
    path("nominations/<int:pk>/", views.nomination_detail, name="nomination"),
    path("nominations/<int:pk>/profile/", views.nomination_profile, name="nomination_profile"),
    path("nominations/<int:pk>/choose/", views.nomination_choose, name="nomination_choose"),
    path("nominations/<int:pk>/enrol/", views.nomination_enrol, name="nomination_enrol"),
    path("nominations/<int:pk>/photo/", views.nomination_photo, name="nomination_photo"),
    path("rounds/new/", views.round_new, name="round_new"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/approve/", views.round_approve, name="round_approve"),
    path("rounds/<int:pk>/enrol/", views.round_enrol, name="round_enrol"),
    path("rounds/<int:pk>/decree/", views.round_decree, name="decree"),
    path("rounds/<int:pk>/entries/<int:entry_pk>/verify/", views.entry_verify, name="verify"),
    path("rounds/<int:pk>/entries/<int:entry_pk>/exclude/", views.entry_exclude, name="exclude"),
    path("<slug:code>/nominations/", views.nominations, name="nominations"),
    path(
        "<slug:code>/nominations/from-vulnerability/",
        views.nominate_from_vulnerability,
        name="nominate_bulk",
    ),
    path("<slug:code>/rounds/", views.rounds, name="rounds"),
    path("<slug:code>/beneficiaries/", views.beneficiaries, name="beneficiaries"),
]
