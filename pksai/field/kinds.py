"""What the field API knows about each kind of record (decision 0031): which rows a user may
read (always through accounts.scoping), how one is created and updated (always through the
owning app's service), which fields a device may change, and how a value is compared.

A kind's fields are what the field-level merge works on: each is read from the record as a
JSON value (``get``), and an update hands the service the record's current values with the
accepted changes (``update``). Assessments expose each SOP domain as its own field
(``domains.safety``), so two workers rating different domains of one assessment both land."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, Q, QuerySet
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from pksai.accounts.models import User
from pksai.accounts.scoping import get_visible_or_404, scope_for, scoped
from pksai.cases import intake, records
from pksai.cases import services as case_services
from pksai.cases.models import (
    Assessment,
    Attachment,
    Case,
    CaseConference,
    Domain,
    IntakeReport,
    Note,
    Visit,
)
from pksai.cases.selectors import VIEW_CASE, case_get_for_update, openable_q
from pksai.programs import compliance, facilitation
from pksai.programs.models import Beneficiary, ComplianceRecord, FacilitationVisit
from pksai.vulnerability import outreach
from pksai.vulnerability.models import OutreachResult

VIEW_BENEFICIARY = "programs.view_beneficiary"


def as_json(value: Any) -> Any:
    """A field's value as the API sends it (and as conflicts keep it)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Model):
        return value.pk
    return value


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    parsed = parse_date(str(value or ""))
    if parsed is None:
        raise ValidationError(_("Give a date as YYYY-MM-DD."))
    return parsed


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError(_("Give a text."))
    return value.strip()


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(_("Give true or false."))
    return value


def _topics(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ValidationError(_("Give a list of topics."))
    return value


def _domain(value: Any) -> dict:
    if not isinstance(value, dict):
        raise ValidationError(_("Give a domain as {rating, notes}."))
    notes = str(value.get("notes") or "").strip()
    return {"rating": str(value.get("rating") or ""), "notes": notes}


def _case_id(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(_("Give a case id."))
    return value


@dataclass(frozen=True)
class Kind:
    name: str  # the URL segment: /api/v1/field/<name>/
    model: type[Model]
    label: Any  # in the reader's language (the conflict inbox)
    fields: dict[str, Callable[[Any], Any]]  # changeable field -> how a device value is read
    visible: Callable[[User], QuerySet]  # rows the user may read (may raise PermissionDenied)
    update: Callable[..., Model]  # (obj, by, values, expected_version) -> obj
    area_of: Callable[[Any], str]
    case_of: Callable[[Any], Case | None] = lambda obj: None
    get: Callable[[Any, str], Any] | None = None  # a field's value (default: the attribute)
    labels: dict[str, Any] = field(default_factory=dict)  # field labels besides verbose names
    changed_field: str = "updated_at"  # for ?since=
    case_field: str | None = "case"  # for ?case=

    def value(self, obj, name: str) -> Any:
        if self.get is not None:
            return as_json(self.get(obj, name))
        return as_json(getattr(obj, name))

    def values(self, obj) -> dict[str, Any]:
        return {name: self.value(obj, name) for name in self.fields}

    def normal(self, name: str, value: Any) -> Any:
        """A device's value as the server would store it, for comparison (ValidationError
        when it cannot be read)."""
        return as_json(self.fields[name](value))

    def field_label(self, name: str) -> str:
        if name in self.labels:
            return str(self.labels[name])
        if name.startswith("domains."):
            key = name.split(".", 1)[1]
            return str(Domain(key).label) if key in Domain.values else key
        try:
            return str(self.model._meta.get_field(name).verbose_name)
        except Exception:  # noqa: BLE001 — a pseudo-field without a column
            return name

    def get_visible(self, user: User, pk: int, *, for_update: bool = False):
        """One record the user may read, else Http404 (audited when it exists)."""

        def rows() -> QuerySet:
            qs = self.visible(user)
            return qs.select_for_update(of=("self",)) if for_update else qs

        return get_visible_or_404(rows, base=self.model.objects.all(), pk=pk)


# --- who sees what -----------------------------------------------------------------------


def case_rows(model: type[Model]) -> Callable[[User], QuerySet]:
    """Records of the cases the user may open (area scope + restricted cases)."""

    def visible(user: User) -> QuerySet:
        rows = scoped(model.objects.all(), user, perm=VIEW_CASE, area_field="case__area")
        return rows.filter(openable_q(user, "case__")).select_related("case")

    return visible


def beneficiaries(user: User) -> QuerySet[Beneficiary]:
    """Beneficiaries the user facilitates, and (program staff) those of their area."""
    mine = Q(facilitator=user)
    if user.has_perm(VIEW_BENEFICIARY):
        return Beneficiary.objects.filter(mine | scope_for(user).q("area"))
    if not user.has_perm(facilitation.LOG_VISIT):
        raise PermissionDenied("missing permission programs.view_beneficiary")
    return Beneficiary.objects.filter(mine, scope_for(user).q("area"))


def _beneficiary_rows(model: type[Model]) -> Callable[[User], QuerySet]:
    def visible(user: User) -> QuerySet:
        return model.objects.filter(beneficiary__in=beneficiaries(user)).select_related(
            "beneficiary"
        )

    return visible


def _intake_rows(user: User) -> QuerySet[IntakeReport]:
    """The reports the worker sent from the field (the intake queue is the registration
    staff's page)."""
    rows = scoped(IntakeReport.objects.all(), user, perm="cases.add_case", area_field="area")
    return rows.filter(source=IntakeReport.Source.FIELD, reported_by=user)


def case_for_update(user: User, pk: int) -> Case:
    return case_get_for_update(user=user, pk=pk)


# --- updates through the owning app's services ----------------------------------------------


def _assessment_get(obj: Assessment, name: str) -> Any:
    if name == "complete":
        return obj.completed_at is not None
    if name.startswith("domains."):
        found = obj.domains.get(name.split(".", 1)[1]) or {}
        return {"rating": found.get("rating", ""), "notes": found.get("notes", "")}
    return getattr(obj, name)


def _assessment_update(obj: Assessment, by: User, values: dict, expected_version: int):
    prefix = "domains."
    domains = {name[len(prefix) :]: v for name, v in values.items() if name.startswith(prefix)}
    return records.assessment_save(
        case=obj.case,
        by=by,
        kind=values["kind"],
        domains=domains,
        risk=values["risk"],
        summary=values["summary"],
        extra=obj.extra,
        complete=values["complete"],
        assessment=obj,
        expected_version=expected_version,
    )


def _outreach_update(obj: OutreachResult, by: User, values: dict, expected_version: int):
    case = None
    if values["case"] is not None:
        from pksai.cases.selectors import case_get

        case = case_get(user=by, pk=values["case"])
    return outreach.outreach_result_update(
        by=by,
        result=obj,
        outcome=values["outcome"],
        note=values["note"],
        case=case,
        expected_version=expected_version,
    )


def _cases(user: User) -> QuerySet[Case]:
    """Cases the user may open (as cases.selectors.case_get)."""
    rows = scoped(Case.objects.all(), user, perm=VIEW_CASE, area_field="area")
    return rows.filter(openable_q(user))


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            name="cases",
            model=Case,
            label=_("case"),
            fields={"summary": _text},
            visible=_cases,
            update=lambda obj, by, values, expected_version: case_services.case_update_summary(
                case=obj, by=by, expected_version=expected_version, **values
            ),
            area_of=lambda obj: obj.area_id,
            case_of=lambda obj: obj,
            case_field=None,
        ),
        Kind(
            name="assessments",
            model=Assessment,
            label=_("assessment"),
            fields={
                "kind": _text,
                "risk": _text,
                "summary": _text,
                "complete": _bool,
                **{f"domains.{d}": _domain for d in Domain.values},
            },
            get=_assessment_get,
            labels={"complete": _("completed")},
            visible=case_rows(Assessment),
            update=_assessment_update,
            area_of=lambda obj: obj.case.area_id,
            case_of=lambda obj: obj.case,
        ),
        Kind(
            name="visits",
            model=Visit,
            label=_("visit"),
            fields={"visited_on": _date, "place": _text, "seen": _text, "observations": _text},
            visible=case_rows(Visit),
            update=lambda obj, by, values, expected_version: records.visit_update(
                visit=obj, by=by, expected_version=expected_version, **values
            ),
            area_of=lambda obj: obj.case.area_id,
            case_of=lambda obj: obj.case,
        ),
        Kind(
            name="conferences",
            model=CaseConference,
            label=_("case conference"),
            fields={"agenda": _text, "decisions": _text},
            visible=case_rows(CaseConference),
            update=lambda obj, by, values, expected_version: records.conference_update(
                conference=obj, by=by, expected_version=expected_version, **values
            ),
            area_of=lambda obj: obj.case.area_id,
            case_of=lambda obj: obj.case,
        ),
        Kind(
            name="notes",
            model=Note,
            label=_("case note"),
            fields={"text": _text},
            visible=case_rows(Note),
            update=lambda obj, by, values, expected_version: records.note_update(
                note=obj, by=by, expected_version=expected_version, **values
            ),
            area_of=lambda obj: obj.case.area_id,
            case_of=lambda obj: obj.case,
        ),
        Kind(
            name="attachments",
            model=Attachment,
            label=_("attachment"),
            fields={"kind": _text, "title": _text},
            visible=case_rows(Attachment),
            update=lambda obj, by, values, expected_version: records.attachment_update(
                attachment=obj, by=by, expected_version=expected_version, **values
            ),
            area_of=lambda obj: obj.case.area_id,
            case_of=lambda obj: obj.case,
        ),
        Kind(
            name="facilitation-visits",
            model=FacilitationVisit,
            label=_("facilitation visit"),
            fields={"visited_on": _date, "topics": _topics, "notes": _text},
            visible=_beneficiary_rows(FacilitationVisit),
            update=lambda obj, by, values, expected_version: facilitation.visit_log_update(
                visit=obj, by=by, expected_version=expected_version, **values
            ),
            area_of=lambda obj: obj.area_id,
            case_field=None,
        ),
        Kind(
            name="compliance-records",
            model=ComplianceRecord,
            label=_("compliance record"),
            fields={"met": _bool, "notes": _text},
            visible=_beneficiary_rows(ComplianceRecord),
            update=lambda obj, by, values, expected_version: compliance.compliance_record_update(
                record=obj, by=by, expected_version=expected_version, **values
            ),
            area_of=lambda obj: obj.area_id,
            changed_field="recorded_at",
            case_field=None,
        ),
        Kind(
            name="intake-reports",
            model=IntakeReport,
            label=_("intake report"),
            fields={"summary": _text},
            visible=_intake_rows,
            update=lambda obj, by, values, expected_version: intake.intake_report_update(
                report=obj, by=by, expected_version=expected_version, **values
            ),
            area_of=lambda obj: obj.area_id,
        ),
        Kind(
            name="outreach-results",
            model=OutreachResult,
            label=_("outreach result"),
            fields={"outcome": _text, "note": _text, "case": _case_id},
            get=lambda obj, name: obj.case_id if name == "case" else getattr(obj, name),
            visible=lambda user: outreach.outreach_results(user=user),
            update=_outreach_update,
            area_of=lambda obj: obj.village_id,
            case_of=lambda obj: obj.case,
        ),
    )
}
