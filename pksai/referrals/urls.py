from django.urls import path

from pksai.referrals import views

app_name = "referrals"
urlpatterns = [
    path("referrals/", views.referral_list, name="list"),
    path("referrals/<int:pk>/", views.referral_detail, name="detail"),
    path("referrals/<int:pk>/move/", views.referral_move_view, name="move"),
    path("portal/", views.portal, name="portal"),
    path("cases/<int:case_pk>/refer/", views.referral_new, name="new"),
    path("cases/<int:case_pk>/transfer/", views.transfer_new, name="transfer"),
    path("cases/<int:case_pk>/satisfaction/", views.satisfaction_new, name="satisfaction_new"),
    path(
        "cases/<int:case_pk>/satisfaction/link/",
        views.satisfaction_link_new,
        name="satisfaction_link",
    ),
    path("s/<str:token>/", views.satisfaction_public, name="satisfaction_public"),
]
