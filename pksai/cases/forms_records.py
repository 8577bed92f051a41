"""Forms for the records kept on a case (assessments, plan, conferences, notes, visits,
attachments). Administrator-defined fields are added as ``x_<key>`` fields and handed to the
services as ``extra``, which validate them (custom_fields.clean_extra)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pksai.cases.custom_fields import fields_for
from pksai.cases.models import Assessment, Attachment, CustomField, Domain, PlanAction, Rating

PREFIX = "x_"
DATE = forms.DateInput(attrs={"type": "date"})


class CustomFieldsMixin:
    """Adds the active administrator-defined fields of ``custom_form`` to the form."""

    custom_form: str = ""

    def add_custom_fields(self, initial: dict | None = None) -> None:
        initial = initial or {}
        self.custom_keys: list[str] = []
        for field in fields_for(self.custom_form):
            name = PREFIX + field.key
            kind = field.kind
            if kind == CustomField.Kind.NUMBER:
                f = forms.IntegerField(label=field.label, required=field.required)
            elif kind == CustomField.Kind.DATE:
                f = forms.DateField(label=field.label, required=field.required, widget=DATE)
            elif kind == CustomField.Kind.YES_NO:
                f = forms.BooleanField(label=field.label, required=False)
            elif kind == CustomField.Kind.CHOICE:
                f = forms.ChoiceField(
                    label=field.label,
                    required=field.required,
                    choices=[("", "—"), *((o, o) for o in field.options)],
                )
            else:
                f = forms.CharField(label=field.label, required=field.required, max_length=1000)
            f.custom = True
            self.fields[name] = f
            self.custom_keys.append(field.key)
            if field.key in initial:
                self.initial[name] = initial[field.key]

    def extra_values(self) -> dict:
        """Values for the service, typed as the service expects them (strings for dates)."""
        values = {}
        for key in self.custom_keys:
            value = self.cleaned_data.get(PREFIX + key)
            if hasattr(value, "isoformat"):
                value = value.isoformat()
            values[key] = "" if value is None else value
        return values

    def add_service_errors(self, error: ValidationError) -> None:
        """Put a service's ValidationError on the right fields (custom keys get the prefix)."""
        if hasattr(error, "error_dict"):
            for key, messages in error.message_dict.items():
                name = PREFIX + key if key in getattr(self, "custom_keys", []) else key
                self.add_error(name if name in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AssessmentForm(CustomFieldsMixin, VersionForm):
    custom_form = CustomField.Form.ASSESSMENT
    kind = forms.ChoiceField(label=_("Kind"), choices=Assessment.Kind.choices)
    risk = forms.ChoiceField(label=_("Overall risk"), choices=Rating.choices)
    summary = forms.CharField(
        label=_("Assessment summary"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    complete = forms.BooleanField(
        label=_("Complete the assessment (every domain rated; it can no longer be edited)"),
        required=False,
    )

    def __init__(self, *args, assessment: Assessment | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        ratings = [("", "—"), *Rating.choices]
        self.domain_names = []
        stored = assessment.domains if assessment else {}
        for key, label in Domain.choices:
            self.fields[f"d_{key}_rating"] = forms.ChoiceField(
                label=label, choices=ratings, required=False
            )
            self.fields[f"d_{key}_notes"] = forms.CharField(
                label=_("Notes on %(domain)s") % {"domain": label},
                widget=forms.Textarea(attrs={"rows": 2}),
                required=False,
            )
            self.domain_names.append((key, f"d_{key}_rating", f"d_{key}_notes"))
            if key in stored:
                self.initial[f"d_{key}_rating"] = stored[key].get("rating", "")
                self.initial[f"d_{key}_notes"] = stored[key].get("notes", "")
        if assessment is not None:
            self.initial.update(
                kind=assessment.kind,
                risk=assessment.risk,
                summary=assessment.summary,
                version=assessment.version,
            )
        self.add_custom_fields(assessment.extra if assessment else None)

    def domain_rows(self):
        return [(key, self[rating], self[notes]) for key, rating, notes in self.domain_names]

    def domains(self) -> dict[str, dict]:
        return {
            key: {
                "rating": self.cleaned_data.get(rating, ""),
                "notes": self.cleaned_data.get(notes, ""),
            }
            for key, rating, notes in self.domain_names
        }

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for key, messages in error.message_dict.items():
                if key in Domain.values:
                    self.add_error(f"d_{key}_rating", messages)
                    continue
                name = PREFIX + key if key in self.custom_keys else key
                self.add_error(name if name in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


class PlanForm(VersionForm):
    goals = forms.CharField(
        label=_("Goals"),
        help_text=_("One goal per line."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class PlanActionStatusForm(VersionForm):
    status = forms.ChoiceField(label=_("Status"), choices=PlanAction.Status.choices)


PARTICIPANT_ROWS = 6
ACTION_ROWS = 3


class ConferenceForm(forms.Form):
    held_on = forms.DateField(label=_("Date"), widget=DATE)
    agenda = forms.CharField(label=_("Agenda"), widget=forms.Textarea(attrs={"rows": 3}))
    decisions = forms.CharField(label=_("Decisions"), widget=forms.Textarea(attrs={"rows": 4}))
    users = forms.MultipleChoiceField(
        label=_("PKSAI participants"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["users"].choices = list(user_choices)
        for i in range(PARTICIPANT_ROWS):
            self.fields[f"p{i}_name"] = forms.CharField(
                label=_("Name"), required=False, max_length=200
            )
            self.fields[f"p{i}_organisation"] = forms.CharField(
                label=_("Organisation"), required=False, max_length=200
            )
            self.fields[f"p{i}_role"] = forms.CharField(
                label=_("Role"), required=False, max_length=100
            )
        for i in range(ACTION_ROWS):
            self.fields[f"a{i}_kind"] = forms.ChoiceField(
                label=_("Kind"), choices=PlanAction.Kind.choices, required=False
            )
            self.fields[f"a{i}_description"] = forms.CharField(
                label=_("Action"), required=False, max_length=300
            )
            self.fields[f"a{i}_responsible"] = forms.CharField(
                label=_("Responsible person or provider"), required=False, max_length=200
            )
            self.fields[f"a{i}_due_date"] = forms.DateField(
                label=_("Due"), required=False, widget=DATE
            )

    def participant_rows(self):
        return [
            (self[f"p{i}_name"], self[f"p{i}_organisation"], self[f"p{i}_role"])
            for i in range(PARTICIPANT_ROWS)
        ]

    def action_rows(self):
        return [
            (
                self[f"a{i}_kind"],
                self[f"a{i}_description"],
                self[f"a{i}_responsible"],
                self[f"a{i}_due_date"],
            )
            for i in range(ACTION_ROWS)
        ]

    def clean(self):
        data = super().clean()
        for i in range(ACTION_ROWS):
            if data.get(f"a{i}_description") and not (
                data.get(f"a{i}_responsible") and data.get(f"a{i}_due_date")
            ):
                self.add_error(f"a{i}_description", _("Give who is responsible and the due date."))
        return data


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))


class VisitForm(CustomFieldsMixin, forms.Form):
    custom_form = CustomField.Form.VISIT
    visited_on = forms.DateField(label=_("Date of visit"), widget=DATE)
    place = forms.CharField(label=_("Place"), max_length=200)
    seen = forms.CharField(label=_("Who was seen"), max_length=300)
    observations = forms.CharField(
        label=_("Observations"), widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("visited_on", timezone.localdate())
        self.add_custom_fields()


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Attachment.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    file = forms.FileField(
        label=_("File"), help_text=_("PDF, JPEG or PNG."), allow_empty_file=False
    )


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)
