"""Complaint forms: the public form (no account; honeypot and signed start time), staff entry
and the handling actions. Length and format rules live in services._clean so the public form,
staff entry and the API give the same messages; the forms only collect and map them."""

from __future__ import annotations

import time

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from pksai.areas.forms import REGENCY_OR_DISTRICT, AreaField, scope_area_fields
from pksai.grievances.models import Category, Channel, Priority

FORM_SALT = "pksai.grievances.public-form"
MAX_FORM_AGE = 2 * 60 * 60  # seconds: an older form is refused (fill it again)

# Plain words for the public: what each category covers.
CATEGORY_HELP = {
    Category.EXCLUSION: _("I (or a family) should receive assistance but do not."),
    Category.MISTARGETING: _("Someone receives assistance who should not."),
    Category.PAYMENT_LATE: _("A payment did not arrive, or arrived late."),
    Category.WRONG_AMOUNT: _("The amount received is not what it should be."),
    Category.DEDUCTION: _("Someone cut or kept part of the money (a fee, a 'deduction')."),
    Category.SERVICE_QUALITY: _("A service was poor, refused or too slow."),
    Category.MISCONDUCT: _("An officer or facilitator behaved wrongly."),
    Category.DATA_CORRECTION: _("My data (name, NIK, address, family) is wrong."),
    Category.CHILD_PROTECTION: _("A child is at risk of violence, neglect or exploitation."),
    Category.OTHER: _("Something else."),
}


def min_fill_seconds() -> float:
    """A person needs a few seconds to fill the form; a robot does not."""
    return float(getattr(settings, "PKSAI_COMPLAINT_MIN_FILL_SECONDS", 3))


def form_stamp() -> str:
    return signing.dumps({"t": time.time()}, salt=FORM_SALT)


def stamp_refusal(stamp: str) -> str:
    """The reason to refuse a submission by its signed start time, or "" when it is fine."""
    try:
        started = float(signing.loads(stamp, salt=FORM_SALT, max_age=MAX_FORM_AGE)["t"])
    except signing.SignatureExpired:
        return str(_("The form was open for too long. Please fill it in again."))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return str(_("The form could not be checked. Please fill it in again."))
    if time.time() - started > MAX_FORM_AGE:
        return str(_("The form was open for too long. Please fill it in again."))
    if time.time() - started < min_fill_seconds():
        return str(
            _("The form was sent too quickly. Please check your complaint and send it again.")
        )
    return ""


class CategoryField(forms.ChoiceField):
    widget = forms.RadioSelect

    def __init__(self, **kwargs):
        # a callable: the labels are put together in the language of each request
        super().__init__(choices=_category_choices, **kwargs)


def _category_choices() -> list[tuple[str, str]]:
    return [
        (value, f"{label} — {CATEGORY_HELP.get(value, '')}") for value, label in Category.choices
    ]


class _ComplaintFields(forms.Form):
    """Fields the public form and staff entry share. No max_length here: the service says
    what is too long, in the same words everywhere."""

    category = CategoryField(label=_("What is the complaint about?"))
    description = forms.CharField(
        label=_("What happened?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        strip=False,
        help_text=_("Where, when, who was involved. At most 4000 characters."),
    )
    anonymous = forms.BooleanField(
        label=_("Send anonymously (we will not ask for your name or contact)"), required=False
    )
    name = forms.CharField(
        label=_("Your name"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Phone number (for SMS about your complaint)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    email = forms.CharField(
        label=_("E-mail"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "email", "autocomplete": "email"}),
    )
    about_staff = forms.BooleanField(
        label=_("The complaint concerns the staff of the district office"), required=False
    )

    def add_service_errors(self, error: ValidationError) -> None:
        """The service's messages next to the fields (``area`` → the area field)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, messages in error.message_dict.items():
            field = self.area_field if key == "area" else key
            self.add_error(field if field in self.fields else None, messages)

    area_field = "area"


class PublicComplaintForm(_ComplaintFields):
    # The area picker over the whole country (a name or a code; without script the server
    # reads the name and lists the places it may mean): the district, or the regency/city.
    area = AreaField(
        label=_("Regency, city or district"),
        levels=REGENCY_OR_DISTRICT,
        public=True,
        help_text=_("The district (kecamatan) if you know it, otherwise the regency or city."),
    )
    # the spam guard: a field hidden by CSS (people leave it empty) and the signed start time
    website = forms.CharField(label=_("Leave this field empty"), required=False)
    started = forms.CharField(widget=forms.HiddenInput)

    field_order = [
        "category",
        "area",
        "description",
        "anonymous",
        "name",
        "phone",
        "email",
        "about_staff",
        "website",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        if not self.is_bound:
            self.initial["started"] = form_stamp()

    def area_code(self) -> str:
        return self.cleaned_data.get("area", "")


class StaffComplaintForm(_ComplaintFields):
    channel = forms.ChoiceField(
        label=_("Received through"),
        choices=[(v, label) for v, label in Channel.choices if v != Channel.WEB],
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    area = AreaField(label=_("Area (regency or district)"), levels=REGENCY_OR_DISTRICT)
    case_number = forms.CharField(label=_("Case number, if it concerns a case"), required=False)
    beneficiary_id = forms.IntegerField(
        label=_("Beneficiary number, if it concerns a beneficiary"), required=False, min_value=1
    )
    provider_id = forms.IntegerField(
        label=_("Service provider number, if it concerns a provider"), required=False, min_value=1
    )

    field_order = [
        "channel",
        "category",
        "priority",
        "area",
        "description",
        "anonymous",
        "name",
        "phone",
        "email",
        "about_staff",
        "case_number",
        "beneficiary_id",
        "provider_id",
    ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        scope_area_fields(self, user)  # a regency or district in the user's area
        self.fields["anonymous"].label = _("Anonymous: the complainant left no name or contact")
        self.fields["name"].label = _("Complainant's name")
        self.fields["phone"].label = _("Complainant's phone")
        self.fields["email"].label = _("Complainant's e-mail")
        # the complainant's details, typed by staff: never the staff member's own autofill
        for name in ("name", "phone", "email"):
            self.fields[name].widget.attrs["autocomplete"] = "off"


class _Versioned(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class AssignForm(_Versioned):
    assigned_to = forms.ChoiceField(label=_("Assign to"))

    def __init__(self, *args, handlers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].choices = [("", _("— choose —")), *handlers]


class StartForm(_Versioned):
    pass


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note (internal)"), widget=forms.Textarea(attrs={"rows": 3}))


class EscalateForm(_Versioned):
    reason = forms.CharField(label=_("Why it goes up a level"), max_length=500)


class ResolveForm(_Versioned):
    resolution = forms.CharField(
        label=_("Resolution (shown publicly on the status page: no names or personal data)"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    remedy = forms.CharField(label=_("Remedy (shown publicly)"), max_length=300, required=False)
    internal_notes = forms.CharField(
        label=_("Internal notes (staff only)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


class StatusLookupForm(forms.Form):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"placeholder": "ADU-XXXX-XXXX", "autocapitalize": "characters"}
        ),
    )


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with the resolution?"),
        coerce=int,
        widget=forms.RadioSelect,
        choices=[
            (5, _("5 — very good")),
            (4, _("4 — good")),
            (3, _("3 — acceptable")),
            (2, _("2 — poor")),
            (1, _("1 — very poor")),
        ],
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
