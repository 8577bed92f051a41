"""The conflict inbox on the web (issue 19): changes from the field app that met a change
someone else made to the same field. The worker sees her own; a supervisor or coordinator
also her team's (the records of her area). Both values side by side, with the field's name in
the reader's language; choosing applies through the record's versioned service
(services.conflict_resolve)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pksai.audit.services import audit_record
from pksai.cases.models import Rating
from pksai.cases.services import ConflictError
from pksai.field import services
from pksai.field.kinds import KINDS, Kind, _text
from pksai.field.models import FieldConflict

PAGE_SIZE = 25


def _choice_label(kind: Kind, field: str, value: Any) -> str | None:
    try:
        model_field = kind.model._meta.get_field(field)
    except Exception:  # noqa: BLE001 — a pseudo-field (domains.x, complete)
        return None
    choices = dict(model_field.flatchoices) if model_field.choices else {}
    return str(choices[value]) if value in choices else None


def display(kind: Kind, field: str, value: Any) -> str:
    """A stored value as the reader says it: labels for codes, dates as dates, yes/no."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field.startswith("domains.") and isinstance(value, dict):
        rating = value.get("rating") or ""
        label = str(Rating(rating).label) if rating in Rating.values else "—"
        notes = value.get("notes") or ""
        return f"{label}: {notes}" if notes else label
    if isinstance(value, list):
        return ", ".join(display(kind, field, v) for v in value)
    label = _choice_label(kind, field, value)
    if label is not None:
        return label
    if field == "topics":
        from pksai.programs.models import Topic

        return str(Topic(value).label) if value in Topic.values else str(value)
    if isinstance(value, str) and len(value) == 10 and (day := parse_date(value)):
        return date_format(day)
    return str(value)


def _rows(user, conflicts: list[FieldConflict]) -> list[dict]:
    """Each conflict with the record's current value and version (one query per kind; a
    record the user can no longer open is left out)."""
    by_kind: dict[str, list[FieldConflict]] = {}
    for c in conflicts:
        by_kind.setdefault(c.kind, []).append(c)
    rows = []
    for name, group in by_kind.items():
        kind = KINDS[name]
        found = {o.pk: o for o in kind.visible(user).filter(pk__in={c.object_id for c in group})}
        for c in group:
            obj = found.get(c.object_id)
            if obj is None:
                continue
            current = kind.value(obj, c.field)
            rows.append(
                {
                    "conflict": c,
                    "kind_label": kind.label,
                    "field_label": kind.field_label(c.field),
                    "base": display(kind, c.field, c.base),
                    "theirs": display(kind, c.field, current),
                    "mine": display(kind, c.field, c.mine),
                    "version": obj.version,
                    "case": kind.case_of(obj),
                    "editable": kind.fields[c.field] is _text,
                    "edit_value": c.mine if isinstance(c.mine, str) else "",
                }
            )
    rows.sort(key=lambda r: (-r["conflict"].created_at.timestamp(), -r["conflict"].pk))
    return rows


@login_required
def conflict_list(request):
    page = Paginator(services.conflicts_open(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = _rows(request.user, list(page.object_list))
    if rows:
        audit_record(
            action="view",
            actor=request.user,
            object_type="field.fieldconflict",
            detail={"list": [r["conflict"].pk for r in rows]},
        )
    return render(request, "field/conflicts.html", {"page": page, "rows": rows})


@login_required
@require_POST
def conflict_resolve(request, pk: int):
    conflict = services.conflict_get(user=request.user, pk=pk)
    choice = request.POST.get("choice", "")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    try:
        services.conflict_resolve(
            conflict=conflict,
            by=request.user,
            choice=choice,
            version=version,
            value=request.POST.get("value", ""),
        )
    except ConflictError:
        messages.error(
            request,
            _("The record changed again since you opened this page: look at the values again."),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Your choice was saved. %(n)s conflict(s) left.")
            % {"n": services.conflicts_open(user=request.user).count()},
        )
    return redirect("field:conflicts")
