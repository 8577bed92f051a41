"""The second-factor pages (decision 0020): overview, authenticator-app enrolment with a QR
code, verification after sign-in, new recovery codes. The logic is in
``accounts.second_factor``; ``accounts.middleware`` sends users here."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_static.models import StaticToken

from pksai.accounts import second_factor as sf
from pksai.accounts import security_keys
from pksai.accounts.models import SecurityKey

SESSION_TOTP_KEY = "pksai_totp_key"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )


class EnrolForm(CodeForm):
    code = forms.CharField(
        label=gettext_lazy("The 6-digit code your app shows"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("core:home")


@login_required
def second_factor_home(request):
    return render(
        request,
        "accounts/second_factor/home.html",
        {
            "status": sf.second_factor_status(request.user),
            "required": sf.second_factor_required(request.user),
            "verified": sf.is_verified(request.user),
        },
    )


@login_required
def totp_enrol(request):
    """Scan the QR code (or type the secret), confirm with a code: the app is the second
    factor from now on; the first time, ten recovery codes are shown once."""
    user = request.user
    if sf.has_second_factor(user) and not sf.is_verified(user):
        # Replacing a factor needs the current one: a stolen password is not enough.
        return redirect(reverse("accounts:second_factor_verify") + "?next=" + request.path)
    key = request.session.get(SESSION_TOTP_KEY)
    if not key or (request.method == "GET" and "new" in request.GET):
        key = request.session[SESSION_TOTP_KEY] = sf.totp_new_key()
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = sf.totp_enrol(request=request, key_hex=key, token=form.cleaned_data["code"])
        if codes is None:
            form.add_error(
                "code",
                _(
                    "That code does not match. Check that the phone's clock is right and type "
                    "the code the app shows now."
                ),
            )
        else:
            del request.session[SESSION_TOTP_KEY]
            messages.success(request, _("Your authenticator app is now your second factor."))
            if codes:
                return render(
                    request,
                    "accounts/second_factor/recovery_codes.html",
                    {"codes": codes, "next": _next_url(request)},
                )
            return redirect(_next_url(request))
    url = sf.totp_config_url(user=user, key_hex=key)
    return render(
        request,
        "accounts/second_factor/totp_enrol.html",
        {
            "form": form,
            "qr_svg": sf.totp_qr_svg(url),
            "secret": sf.totp_secret_text(key),
            "next": request.GET.get("next") or request.POST.get("next", ""),
            "required": sf.second_factor_required(user),
        },
    )


@login_required
def second_factor_verify(request):
    """After the password: a code from the app, a recovery code, or a security key."""
    user = request.user
    if not sf.has_second_factor(user):
        return redirect(reverse("accounts:totp_enrol") + "?next=" + _next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ok = sf.second_factor_verify(request=request, token=form.cleaned_data["code"])
        except sf.Throttled:
            ok = None
            form.add_error(
                "code",
                _("Too many wrong codes. Wait a minute, then type the code the app shows now."),
            )
        if ok:
            request.session.cycle_key()
            return redirect(_next_url(request))
        if ok is False:
            form.add_error("code", _("That code is not right, or a recovery code already used."))
    return render(
        request,
        "accounts/second_factor/verify.html",
        {
            "form": form,
            "next": _next_url(request),
            "has_keys": SecurityKey.objects.filter(user=user, confirmed=True).exists(),
            "has_totp": bool(sf.second_factor_status(user)["totp"]),
        },
    )


@login_required
def recovery_codes_renew(request):
    """POST: ten new codes. GET: the codes just issued with a first security key, once."""
    if request.method == "GET":
        codes = request.session.pop(SESSION_NEW_CODES, None)
        if not codes:
            return redirect("accounts:second_factor")
        return render(
            request,
            "accounts/second_factor/recovery_codes.html",
            {"codes": codes, "next": reverse("accounts:second_factor")},
        )
    if request.method != "POST":
        return HttpResponse(status=405)
    if not sf.is_verified(request.user):
        return redirect(
            reverse("accounts:second_factor_verify") + "?next=" + reverse("accounts:second_factor")
        )
    codes = sf.recovery_codes_issue(user=request.user)
    return render(
        request,
        "accounts/second_factor/recovery_codes.html",
        {"codes": codes, "next": reverse("accounts:second_factor")},
    )


# --- security keys and passkeys (WebAuthn) ------------------------------------------------------

SESSION_NEW_CODES = "pksai_new_recovery_codes"


def _json_refused(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status)


@login_required
@require_POST
def security_key_register_begin(request):
    if sf.has_second_factor(request.user) and not sf.is_verified(request.user):
        return _json_refused(_("Verify your second factor first, then add a key."), 403)
    return HttpResponse(
        security_keys.registration_options(request=request), content_type="application/json"
    )


@login_required
@require_POST
def security_key_register_complete(request):
    if sf.has_second_factor(request.user) and not sf.is_verified(request.user):
        return _json_refused(_("Verify your second factor first, then add a key."), 403)
    try:
        data = security_keys.parse_body(request.body)
        security_keys.security_key_register(
            request=request,
            credential=data.get("credential") or {},
            name=str(data.get("name", ""))[:60],
        )
    except security_keys.KeyRefused:
        return _json_refused(_("The key was not added. Try again, or use the authenticator app."))
    next_url = reverse("accounts:second_factor")
    if not StaticToken.objects.filter(device__user=request.user).exists():
        request.session[SESSION_NEW_CODES] = sf.recovery_codes_issue(user=request.user, first=True)
        next_url = reverse("accounts:recovery_codes_renew")
    messages.success(request, _("Your security key is now a second factor."))
    return JsonResponse({"next": next_url})


@login_required
@require_POST
def security_key_verify_begin(request):
    if not SecurityKey.objects.filter(user=request.user, confirmed=True).exists():
        return _json_refused(_("No security key is set up for this account."), 404)
    return HttpResponse(
        security_keys.authentication_options(request=request), content_type="application/json"
    )


@login_required
@require_POST
def security_key_verify_complete(request):
    try:
        data = security_keys.parse_body(request.body)
        security_keys.security_key_verify(request=request, credential=data.get("credential") or {})
    except security_keys.KeyRefused:
        return _json_refused(_("The key was not accepted. Try again, or type a code."))
    request.session.cycle_key()
    return JsonResponse({"next": _safe(request, str(data.get("next") or ""))})


def _safe(request, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        str(target), allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return str(target)
    return reverse("core:home")
