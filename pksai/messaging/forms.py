"""The consent forms of the pages: a staff member's own work messages (My messages) and a
family's consent recorded by staff on the beneficiary's card."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pksai.messaging import services
from pksai.messaging.contacts import normalise
from pksai.messaging.models import Purpose

# Channel names are brand names; e-mail is a word.
CHANNEL_LABELS = {"sms": "SMS", "whatsapp": "WhatsApp", "email": _("e-mail")}
LANGUAGES = (("id", "Bahasa Indonesia"), ("en", "English"))


def channel_label(channel: str) -> str:
    return str(CHANNEL_LABELS.get(channel, channel))


class PhoneField(forms.CharField):
    """An Indonesian mobile number as typed (0812…, +62 812…), cleaned to E.164."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        number = normalise(value)
        if not number or "@" in number:
            raise forms.ValidationError(
                _("Enter a mobile number, for example 0812 3456 7890."), code="phone"
            )
        return number


class WorkMessagesForm(forms.Form):
    wanted = forms.TypedChoiceField(
        choices=(("yes", _("Yes")), ("no", _("No"))),
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose yes or no.")},
    )
    phone = PhoneField(
        label=_("Mobile number"),
        required=False,
        help_text=_("The number your WhatsApp is on, for example 0812 3456 7890."),
    )

    def clean(self):
        data = super().clean()
        if data.get("wanted") and not data.get("phone") and "phone" not in self.errors:
            self.add_error("phone", _("Enter the number to send your alerts to."))
        return data

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["wanted"].label = _("Receive work alerts by %(channel)s?") % {
            "channel": channel_label(services.work_channel())
        }


class BeneficiaryConsentForm(forms.Form):
    prefix = "consent"

    phone = PhoneField(label=_("Mobile number"))
    channel = forms.ChoiceField(label=_("Channel"))
    purpose = forms.ChoiceField(
        label=_("Messages about"),
        choices=[(p.value, p.label) for p in Purpose if p in services.BENEFICIARY_PURPOSES],
    )
    language = forms.ChoiceField(label=_("Language of the messages"), choices=LANGUAGES)
    given_by = forms.CharField(
        label=_("Who agreed"),
        max_length=200,
        help_text=_("Name and relationship, for example: Ibu Rina, mother."),
        error_messages={"required": _("Enter who agreed to be contacted.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [(c, channel_label(c)) for c in services.phone_channels()]
