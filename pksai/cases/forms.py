"""Forms of the case pages: intake, transitions, emergency and plan actions, follow-ups,
summary edits and reassignment. Intake carries the administrator's intake fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pksai.areas.forms import VILLAGE, AreaField, scope_area_fields
from pksai.cases.forms_records import DATE, CustomFieldsMixin, VersionForm
from pksai.cases.models import Case, Channel, Concern, CustomField, EmergencyAction, PlanAction


# Numbers a worker types about someone else: the phone's number pad, never the worker's autofill.
def _phone_input() -> forms.TextInput:
    return forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"})


def _nik_input() -> forms.TextInput:
    return forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})


class IntakeForm(CustomFieldsMixin, forms.Form):
    custom_form = CustomField.Form.INTAKE
    channel = forms.ChoiceField(label=_("Reported through"), choices=Channel.choices)
    reporter_anonymous = forms.BooleanField(label=_("Anonymous reporter"), required=False)
    reporter_name = forms.CharField(label=_("Reporter"), max_length=200, required=False)
    reporter_phone = forms.CharField(
        label=_("Reporter's phone"), max_length=40, required=False, widget=_phone_input()
    )
    reporter_relation = forms.CharField(
        label=_("Relation to the child"), max_length=100, required=False
    )
    child_nik = forms.CharField(
        label=_("Child's NIK"),
        max_length=16,
        required=False,
        widget=_nik_input(),
        help_text=_("All 16 digits: a part of a NIK finds no one (NIKs are stored encrypted)."),
    )
    child_name = forms.CharField(label=_("Child's name"), max_length=200, required=False)
    child_birth_date = forms.DateField(label=_("Birth date"), required=False, widget=DATE)
    child_sex = forms.ChoiceField(
        label=_("Sex"), choices=[("", "—"), ("F", _("female")), ("M", _("male"))], required=False
    )
    child_village = AreaField(label=_("Village"), levels=VILLAGE, required=False)
    concerns = forms.MultipleChoiceField(
        label=_("Concerns"), choices=Concern.choices, widget=forms.CheckboxSelectMultiple
    )
    summary = forms.CharField(
        label=_("What was reported"), widget=forms.Textarea(attrs={"rows": 4})
    )
    consent_given = forms.BooleanField(label=_("Consent recorded"), required=False)
    consent_notes = forms.CharField(label=_("Consent notes"), max_length=300, required=False)
    sensitive = forms.BooleanField(
        label=_("Sensitive: restrict to the assigned worker, supervisor and coordinator"),
        required=False,
    )
    owner = forms.ChoiceField(label=_("Social worker"), required=False)
    supervisor = forms.ChoiceField(
        label=_("Supervisor"),
        required=False,
        help_text=_(
            "Approves the plan and the closure. Not decided yet? Leave it empty: the "
            "coordinator is told and chooses one."
        ),
    )
    person = forms.IntegerField(widget=forms.HiddenInput, required=False)
    GUARDIAN_ROWS = 2
    create_new = forms.BooleanField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, workers=(), supervisors=(), **kwargs):
        super().__init__(*args, **kwargs)
        scope_area_fields(self, user)  # the child's village: a village in the user's area
        self.fields["owner"].choices = [("", _("— me —")), *workers]
        self.fields["supervisor"].choices = [("", "—"), *supervisors]
        for i in range(self.GUARDIAN_ROWS):
            self.fields[f"g{i}_name"] = forms.CharField(
                label=_("Name"), max_length=200, required=False
            )
            self.fields[f"g{i}_relation"] = forms.CharField(
                label=_("Relation (e.g. mother, uncle)"), max_length=100, required=False
            )
            self.fields[f"g{i}_phone"] = forms.CharField(
                label=_("Phone"), max_length=40, required=False, widget=_phone_input()
            )
            self.fields[f"g{i}_lives_with_child"] = forms.BooleanField(
                label=_("Lives with the child"), required=False
            )
        self.add_custom_fields()

    def guardian_rows(self):
        return [
            (
                self[f"g{i}_name"],
                self[f"g{i}_relation"],
                self[f"g{i}_phone"],
                self[f"g{i}_lives_with_child"],
            )
            for i in range(self.GUARDIAN_ROWS)
        ]

    def guardians(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {
                "name": data[f"g{i}_name"],
                "relation": data[f"g{i}_relation"],
                "phone": data[f"g{i}_phone"],
                "lives_with_child": data[f"g{i}_lives_with_child"],
            }
            for i in range(self.GUARDIAN_ROWS)
            if data.get(f"g{i}_name")
        ]

    def clean(self):
        data = super().clean()
        for i in range(self.GUARDIAN_ROWS):
            if data.get(f"g{i}_name") and not data.get(f"g{i}_relation"):
                self.add_error(f"g{i}_relation", _("Give the relation to the child."))
        if not data.get("person"):
            nik = (data.get("child_nik") or "").strip()
            has_identity = all(data.get(f) for f in ("child_name", "child_birth_date", "child_sex"))
            if not has_identity and not nik:
                raise forms.ValidationError(_("Give the child's NIK, or name, birth date and sex."))
            if not data.get("child_village") and not nik and "child_village" not in self.errors:
                self.add_error("child_village", _("Give the village where the child lives."))
        return data


class TransitionForm(VersionForm):
    name = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False)
    response = forms.ChoiceField(
        label=_("Triage decision"), choices=[("", "—"), *Case.Response.choices], required=False
    )


class SummaryForm(VersionForm):
    summary = forms.CharField(
        label=_("What was reported"), widget=forms.Textarea(attrs={"rows": 4})
    )


class AssignForm(VersionForm):
    prefix = "assign"
    owner = forms.ChoiceField(label=_("New owner"))
    supervisor = forms.ChoiceField(label=_("Supervisor"), required=False)

    def __init__(self, *args, workers=(), supervisors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = list(workers)
        self.fields["supervisor"].choices = [("", _("— unchanged —")), *supervisors]


class EmergencyForm(forms.Form):
    prefix = "emergency"
    kind = forms.ChoiceField(label=_("Emergency action"), choices=EmergencyAction.Kind.choices)
    started = forms.BooleanField(label=_("Already started"), required=False)
    notes = forms.CharField(label=_("Notes"), max_length=300, required=False)


class PlanActionForm(forms.Form):
    prefix = "action"
    kind = forms.ChoiceField(label=_("Kind"), choices=PlanAction.Kind.choices)
    description = forms.CharField(label=_("Action"), max_length=300)
    responsible = forms.CharField(label=_("Responsible person or provider"), max_length=200)
    due_date = forms.DateField(label=_("Due"), widget=DATE)


class FollowUpForm(forms.Form):
    notes = forms.CharField(label=_("Observations"), widget=forms.Textarea(attrs={"rows": 2}))
