from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Username"),
        # a phone keyboard would capitalise the first letter of "makassar.worker"
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "username",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": _(
            "Wrong username or password. After several failed attempts signing in is paused "
            "for a while."
        ),
        "inactive": _("This account is inactive."),
    }


# What the password validators in settings.AUTH_PASSWORD_VALIDATORS ask, in one sentence.
NEW_PASSWORD_HELP = _(
    "At least 10 characters, not a common password, not only digits and not like your name or "
    "username."
)


def _new_password_fields(form) -> None:
    form.fields["new_password1"].label = _("New password")
    form.fields["new_password1"].help_text = NEW_PASSWORD_HELP
    form.fields["new_password2"].label = _("New password again")
    form.fields["new_password2"].help_text = ""


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """The signed-in user's own password: the current one, then the new one twice."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Current password")
        _new_password_fields(self)


class SetPasswordForm(auth_forms.SetPasswordForm):
    """A new password from the e-mailed link."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _new_password_fields(self)


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Ask for a link by the e-mail address the account has (the answer is the same whether
    or not an account has it)."""

    email = forms.EmailField(
        label=_("E-mail address of your account"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
