from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _

from pksai.accounts import selectors, services
from pksai.accounts.forms import LoginForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from pksai.accounts.models import Organisation
from pksai.core import ratelimit
from pksai.core.client import client_address


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        from pksai.accounts import oidc

        context = super().get_context_data(**kwargs)
        context["oidc_provider"] = oidc.provider_name()  # "Sign in with …" when configured
        context["oidc_ended"] = self.request.session.pop(oidc.ENDED_KEY, "")
        return context


class LogoutView(auth_views.LogoutView):
    """Signs out and lands on the sign-in page with ``?signed_out=1``: that page erases what
    the field app kept on this device (pksai/static/pksai/js/offline-wipe.js, decision 0032)."""

    def get_default_redirect_url(self):
        return f"{reverse('accounts:login')}?signed_out=1"


class PasswordChangeView(auth_views.PasswordChangeView):
    """The signed-in user changes their own password (the current one first); audited."""

    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("core:home")

    def form_valid(self, form):
        services.password_change(form=form)
        update_session_auth_hash(self.request, form.user)  # this session stays signed in
        messages.success(
            self.request,
            _("Your password was changed. Sign in with the new one from now on."),
        )
        return HttpResponseRedirect(self.get_success_url())


RESET_WINDOW = timedelta(hours=1)


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a link by e-mail: it sets a new password and lifts a sign-in lock. The same
    answer whether or not an account has the address; a few requests per address and hour."""

    template_name = "accounts/password_reset.html"
    form_class = PasswordResetForm
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        sender = client_address(self.request) or "unknown"
        ratelimit.prune("password_reset", window=RESET_WINDOW)
        count = ratelimit.hit("password_reset", sender, window=RESET_WINDOW)
        if count > settings.PKSAI_PASSWORD_RESETS_PER_HOUR:
            return render(
                self.request, self.template_name, {"form": form, "throttled": True}, status=429
            )
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_sent.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The e-mailed link: a new password, every sign-in lock on the username lifted, and the
    user signed in (audited: the reset, and the unlock when there was a lock)."""

    template_name = "accounts/password_reset_confirm.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("core:home")

    def form_valid(self, form):
        user, _cleared = services.password_reset_complete(form=form)
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        auth_login(self.request, user, "django.contrib.auth.backends.ModelBackend")
        messages.success(
            self.request,
            _("Your new password is set and you are signed in. Any sign-in lock is lifted."),
        )
        return HttpResponseRedirect(self.success_url)


@login_required
def organisation_list(request):
    q = request.GET.get("q", "")
    kind = request.GET.get("kind", "")
    page = Paginator(selectors.organisation_list(user=request.user, q=q, kind=kind), 50).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "q": q, "kind": kind, "kinds": Organisation.Kind.choices}
    template = (
        "accounts/_organisation_rows.html" if request.htmx else "accounts/organisation_list.html"
    )
    return render(request, template, context)


@login_required
def organisation_detail(request, pk: int):
    organisation = selectors.organisation_get(user=request.user, pk=pk)
    return render(request, "accounts/organisation_detail.html", {"organisation": organisation})
