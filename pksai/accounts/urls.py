from django.urls import path

from pksai.accounts import oidc_views, views, views_second_factor

app_name = "accounts"
urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/sso/start/", oidc_views.oidc_login, name="oidc_login"),
    path("accounts/sso/callback/", oidc_views.oidc_callback, name="oidc_callback"),
    path("accounts/password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password/reset/sent/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/second-factor/", views_second_factor.second_factor_home, name="second_factor"),
    path("accounts/second-factor/app/", views_second_factor.totp_enrol, name="totp_enrol"),
    path(
        "accounts/second-factor/verify/",
        views_second_factor.second_factor_verify,
        name="second_factor_verify",
    ),
    path(
        "accounts/second-factor/recovery-codes/",
        views_second_factor.recovery_codes_renew,
        name="recovery_codes_renew",
    ),
    path(
        "accounts/second-factor/keys/register/begin/",
        views_second_factor.security_key_register_begin,
        name="security_key_register_begin",
    ),
    path(
        "accounts/second-factor/keys/register/complete/",
        views_second_factor.security_key_register_complete,
        name="security_key_register_complete",
    ),
    path(
        "accounts/second-factor/keys/verify/begin/",
        views_second_factor.security_key_verify_begin,
        name="security_key_verify_begin",
    ),
    path(
        "accounts/second-factor/keys/verify/complete/",
        views_second_factor.security_key_verify_complete,
        name="security_key_verify_complete",
    ),
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation_detail"),
]
