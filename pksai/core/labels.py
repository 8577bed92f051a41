"""Codes shown to people as words: the kind of record a dotted model label names.

The audit log, exports and any page that shows "what kind of record" use ``record_kind`` so a
user reads "Kasus" (or "Case"), never ``cases.case``."""

from __future__ import annotations

from django.apps import apps
from django.utils.text import capfirst


def record_kind(object_type: str) -> str:
    """The model's verbose name in the active language for ``app_label.model_name``; the text
    as it is when it names no model (an API route, a report)."""
    if not object_type or "." not in object_type:
        return object_type
    app_label, _dot, model_name = object_type.partition(".")
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
