"""Administrator-defined form fields: which exist for a form, and checking submitted values.

Values are stored in the ``extra`` JSON of the record (case, assessment, visit) under the
field's key, already typed: text and choice as strings, numbers as integers, dates as ISO
strings, yes/no as booleans. Inactive fields are not asked any more but their values stay.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from pksai.cases.models import CustomField


def fields_for(form: str) -> list[CustomField]:
    return list(CustomField.objects.filter(form=form, active=True))


def clean_extra(form: str, data: dict[str, object]) -> dict[str, object]:
    """Typed values for the active fields of ``form`` from ``data`` (strings from a web form
    or JSON values from the API). Raises ValidationError keyed by field key."""
    cleaned: dict[str, object] = {}
    errors: dict[str, list[str]] = {}
    for field in fields_for(form):
        raw = data.get(field.key)
        if isinstance(raw, str):
            raw = raw.strip()
        if raw in (None, "", []):
            if field.kind == CustomField.Kind.YES_NO and field.key in data:
                cleaned[field.key] = False
            elif field.required:
                errors[field.key] = [_("%(label)s is required.") % {"label": field.label}]
            continue
        try:
            cleaned[field.key] = _typed(field, raw)
        except ValueError as exc:
            errors[field.key] = [str(exc)]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _typed(field: CustomField, raw: object) -> object:
    label = field.label
    if field.kind == CustomField.Kind.NUMBER:
        try:
            return int(str(raw))
        except ValueError:
            raise ValueError(_("%(label)s must be a whole number.") % {"label": label}) from None
    if field.kind == CustomField.Kind.DATE:
        try:
            return date.fromisoformat(str(raw)).isoformat()
        except ValueError:
            raise ValueError(
                _("%(label)s must be a date (YYYY-MM-DD).") % {"label": label}
            ) from None
    if field.kind == CustomField.Kind.YES_NO:
        if isinstance(raw, bool):
            return raw
        text = str(raw).lower()
        if text in {"1", "true", "on", "yes", "ya"}:
            return True
        if text in {"0", "false", "off", "no", "tidak"}:
            return False
        raise ValueError(_("%(label)s must be yes or no.") % {"label": label})
    if field.kind == CustomField.Kind.CHOICE:
        if str(raw) not in field.options:
            raise ValueError(
                _("%(label)s: choose one of %(options)s.")
                % {"label": label, "options": ", ".join(field.options)}
            )
        return str(raw)
    text = str(raw)
    if len(text) > 1000:
        raise ValueError(_("%(label)s is too long (at most 1000 characters).") % {"label": label})
    return text


def display_extra(form: str, extra: dict[str, object]) -> list[tuple[str, str]]:
    """(label, shown value) for every field of ``form`` that has a value, active or not."""
    rows = []
    for field in CustomField.objects.filter(form=form):
        if field.key not in extra:
            continue
        value = extra[field.key]
        if isinstance(value, bool):
            value = _("yes") if value else _("no")
        rows.append((field.label, str(value)))
    return rows
