"""Codes shown to people as words: the kind of record a dotted model label names.

The audit log, exports and any page that shows "what kind of record" use ``record_kind`` so a
user reads "Kasus" (or "Case"), never ``cases.case``."""

from __future__ import annotations

from django.apps import apps
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Audited kinds of record that are not models (downloads of aggregates), by their label.
OTHER_KINDS = {
    "vulnerability.estimates": gettext_lazy("Vulnerable children by area, risk and sex"),
    "vulnerability.outreach": gettext_lazy("Outreach list"),
}


def record_kind(object_type: str) -> str:
    """The model's verbose name in the active language for ``app_label.model_name``; a
    report's download (``app_label.report.name``) as "Report: <the app's name>"; the text as it
    is when it names nothing known."""
    if not object_type or "." not in object_type:
        return object_type
    if object_type in OTHER_KINDS:
        return str(OTHER_KINDS[object_type])
    app_label, _dot, model_name = object_type.partition(".")
    if model_name.startswith("report."):
        try:
            app = apps.get_app_config(app_label)
        except LookupError:
            return object_type
        return _("Report: %(area)s") % {"area": app.verbose_name}
    try:
        model = apps.get_model(app_label, model_name)
    except (LookupError, ValueError):
        return object_type
    return str(capfirst(model._meta.verbose_name))


def record_kind_choices() -> list[tuple[str, str]]:
    """The kinds of record people look up on the audit log, as (label, name in the active
    language), sorted by name: every PKSAI model with a (translated) verbose name — internal
    rows without one (counters, timeline events, batch lines) are left out."""
    choices = [
        (model._meta.label_lower, str(capfirst(model._meta.verbose_name)))
        for model in apps.get_models()
        if model.__module__.startswith("pksai.") and "verbose_name" in model._meta.original_attrs
    ]
    return sorted(choices, key=lambda choice: choice[1].lower())
