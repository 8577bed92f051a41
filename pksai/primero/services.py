"""Export a PKSAI case to Primero v2 and import a Primero case into PKSAI (decision 0038).

access → check → do: the case is fetched through the user's scope (``case_get``: 404 outside
it), the role must hold ``primero.export_case`` / ``primero.import_case``, sending needs a
legal basis for a transfer (the consent ledger, privacy.services.sharing_basis_require).
Everything Primero must do happens first; only when it all succeeded are the link, the
transfer, the case timeline entry and the audit row written, in one transaction — a refusal
(401, 422, 500, no answer) leaves nothing half-done here. Primero gets a flag on its case
naming the transfer (POST /api/v2/cases/:id/flags), in both directions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from pksai.accounts.models import User
from pksai.accounts.scoping import require_perm, scope_for
from pksai.audit.services import audit_record
from pksai.cases import services as case_services
from pksai.cases.intake import child_create
from pksai.cases.models import (
    Assessment,
    Case,
    CaseConcern,
    CaseEvent,
    CasePlan,
    Channel,
    Concern,
    Domain,
    PlanAction,
    Rating,
)
from pksai.cases.selectors import case_get
from pksai.cases.workflow import OPEN_STAGES
from pksai.primero.client import PrimeroClient, PrimeroError
from pksai.primero.mapping import (
    NAMESPACE,
    Mapping,
    decode,
    encode,
    item_uid,
    parse_mapping,
    shipped_content,
)
from pksai.primero.models import CaseLink, ItemLink, Transfer
from pksai.primero.models import Mapping as MappingVersion
from pksai.privacy import services as privacy
from pksai.registry.models import Person
from pksai.registry.selectors import nik_q

OPEN_ACTION = frozenset({PlanAction.Status.PLANNED, PlanAction.Status.IN_PROGRESS})
EXPORT = "primero.export_case"
IMPORT = "primero.import_case"

__all__ = ["PrimeroError", "case_export", "case_import", "cases_import_since"]


def active_mapping() -> Mapping:
    """The newest active mapping version an administrator saved, else the shipped file."""
    saved = MappingVersion.objects.filter(active=True).order_by("-pk").first()
    if saved is not None:
        return parse_mapping(saved.content, version=f"v{saved.pk}")
    return parse_mapping(shipped_content())


def case_uid(case: Case) -> str:
    """The Primero id PKSAI gives a case it creates there (the same on every retry)."""
    return str(uuid.uuid5(NAMESPACE, f"pksai-case:{case.pk}:{case.number}"))


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localdate(value).isoformat()
    return value.isoformat()


def case_snapshot(case: Case) -> dict:
    """What the mapping reads of a case: child, case, plan, assessments, plan actions and
    referrals (mapping.py's snapshot shape)."""
    uid = case_uid(case)
    links = {
        (i.kind, i.object_id): i.unique_id
        for i in ItemLink.objects.filter(link__case=case).only("kind", "object_id", "unique_id")
    }

    def item(kind: str, pk: int) -> str:
        return links.get((kind, pk)) or item_uid(uid, kind, pk)

    assessments = list(case.assessments.order_by("created_at", "id"))
    completed = [a for a in assessments if a.completed_at]
    latest = (completed or assessments or [None])[-1]
    plan = CasePlan.objects.filter(case=case).first()
    referrals = case.referrals.select_related("to_organisation", "service").order_by("sent_at")
    child = case.child
    return {
        "child": {
            "name": child.name,
            "sex": child.sex,
            "birth_date": _iso(child.birth_date),
            "nik": child.nik or "",
        },
        "case": {
            "area": case.area_id,
            "concerns": sorted(case.concerns.values_list("category", flat=True)),
            "risk": latest.risk if latest else "",
            "number": case.number,
            "registered_on": _iso(case.created_at),
            "stage": case.stage,
            "summary": case.summary,
        },
        "plan": {"goals": plan.goals if plan else ""},
        "assessments": [
            {
                "uid": item(ItemLink.Kind.ASSESSMENT, a.pk),
                "kind": a.kind,
                "risk": a.risk,
                "summary": a.summary,
                "completed_on": _iso(a.completed_at) or "",
                "domains": {
                    k: {"rating": v.get("rating", ""), "notes": v.get("notes", "")}
                    for k, v in (a.domains or {}).items()
                    if v.get("rating")
                },
            }
            for a in assessments
        ],
        "plan_actions": [
            {
                "uid": item(ItemLink.Kind.PLAN_ACTION, p.pk),
                "description": p.description,
                "responsible": p.responsible,
                "due_date": _iso(p.due_date),
                "status": p.status,
            }
            for p in case.plan_actions.order_by("id")
        ],
        "referrals": [
            {
                "uid": item(ItemLink.Kind.REFERRAL, r.pk),
                "service": r.service.code if r.service else "",
                "provider": r.to_organisation.name,
                "reason": r.reason,
                "due_date": _iso(r.due_date),
                "status": r.status,
                "delivered_on": _iso(r.delivered_on),
            }
            for r in referrals
        ],
    }


def _sent_fields(data: dict) -> list[str]:
    return sorted(k for k in data if k not in {"id", "module_id"})


TIMELINE_CODES = {
    Transfer.Direction.EXPORT: "primero_exported",
    Transfer.Direction.IMPORT: "primero_imported",
}


def _transfer_record(
    case: Case,
    by: User,
    direction: str,
    *,
    primero_id: str,
    short_id: str,
    mapping: Mapping,
    data: dict,
    basis=None,
) -> Transfer:
    """PKSAI's record of one exchange, either way: the transfer row (the mapping version, the
    fields, the sharing basis of an export) and its line on the case timeline."""
    transfer = Transfer.objects.create(
        case=case,
        direction=direction,
        primero_id=primero_id,
        mapping_version=mapping.version,
        consent=basis if isinstance(basis, privacy.Consent) else None,
        legal_ground=basis if isinstance(basis, privacy.LegalGround) else None,
        fields=_sent_fields(data),
        by=by,
    )
    CaseEvent.objects.create(
        case=case,
        actor=by,
        kind="primero",
        code=TIMELINE_CODES[direction],
        params={"short_id": short_id or primero_id, "version": mapping.version},
    )
    return transfer


# --- export -------------------------------------------------------------------------------


@dataclass
class Result:
    transfer: Transfer
    case: Case
    created: bool = False


def case_export(*, by: User, case_pk: int, client: PrimeroClient | None = None) -> Result:
    """Send a case to Primero: POST a new case (with the id PKSAI makes for it) or PATCH the
    linked one, then flag it there; then record link, transfer, timeline and audit here."""
    case = case_get(user=by, pk=case_pk)  # Http404 outside the user's scope
    require_perm(by, EXPORT)
    basis = privacy.sharing_basis_require(
        case=case, purpose=privacy.TRANSFER, organisation=None, share=None
    )
    mapping = active_mapping()
    snapshot = case_snapshot(case)
    link = CaseLink.objects.filter(case=case).first()
    primero_id = link.primero_id if link else case_uid(case)
    data = encode(snapshot, mapping, case_uid=case_uid(case))
    client = client or PrimeroClient()
    if link is None:
        client.case_create({"id": primero_id, **data})
    else:
        client.case_update(primero_id, data)
    short_id = str(client.case_get(primero_id).get("short_id") or "")
    client.case_flag(
        primero_id,
        message=_("Sent from PKSAI case %(number)s (mapping %(version)s).")
        % {"number": case.number, "version": mapping.version},
        date=timezone.localdate().isoformat(),
    )
    with transaction.atomic():
        link, created = CaseLink.objects.update_or_create(
            case=case,
            defaults={
                "primero_id": primero_id,
                "short_id": short_id,
                "exported_at": timezone.now(),
            },
        )
        _link_items(link, snapshot)
        transfer = _transfer_record(
            case,
            by,
            Transfer.Direction.EXPORT,
            primero_id=primero_id,
            short_id=short_id,
            mapping=mapping,
            data=data,
            basis=basis,
        )
        audit_record(
            action="export",
            actor=by,
            obj=case,
            detail={
                "to": "primero",
                "primero_id": primero_id,
                "mapping": mapping.version,
                "fields": transfer.fields,
                "basis": _basis_label(basis),
            },
        )
    return Result(transfer=transfer, case=case, created=created)


def _basis_label(basis) -> str:
    if isinstance(basis, privacy.LegalGround):
        return f"legal_ground:{basis.pk}:{basis.basis}"
    if basis is not None:
        return f"consent:{basis.pk}"
    return ""


def _link_items(link: CaseLink, snapshot: dict) -> None:
    """Remember the unique_id each assessment, plan action and referral has in Primero."""
    wanted = []
    for kind, key in (
        (ItemLink.Kind.ASSESSMENT, "assessments"),
        (ItemLink.Kind.PLAN_ACTION, "plan_actions"),
        (ItemLink.Kind.REFERRAL, "referrals"),
    ):
        wanted += [(kind, row["uid"]) for row in snapshot[key]]
    known = set(ItemLink.objects.filter(link=link).values_list("unique_id", flat=True))
    objects = _objects_by_uid(link.case, snapshot)
    ItemLink.objects.bulk_create(
        ItemLink(link=link, kind=kind, unique_id=uid, object_id=objects[uid])
        for kind, uid in wanted
        if uid not in known
    )


def _objects_by_uid(case: Case, snapshot: dict) -> dict[str, int]:
    uid = case_uid(case)
    found = {}
    for kind, rows in (
        (ItemLink.Kind.ASSESSMENT, case.assessments.values_list("pk", flat=True)),
        (ItemLink.Kind.PLAN_ACTION, case.plan_actions.values_list("pk", flat=True)),
        (ItemLink.Kind.REFERRAL, case.referrals.values_list("pk", flat=True)),
    ):
        for pk in rows:
            found[item_uid(uid, kind, pk)] = pk
    for link in ItemLink.objects.filter(link__case=case):
        found[link.unique_id] = link.object_id
    return found


# --- import -------------------------------------------------------------------------------


def _date(value) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _child_for(by: User, snapshot: dict) -> Person:
    """The registry person a Primero case is about: by NIK among the rows in the user's
    scope (the identity's primary row), else a new child recorded as intake does."""
    child = snapshot["child"]
    nik = str(child.get("nik") or "")
    scope = scope_for(by)
    if len(nik) == 16 and nik.isdigit():
        for person in Person.objects.filter(nik_q(nik)).select_related("identity"):
            if scope.covers(person.village_id):
                primary = person.identity.primary if person.identity_id else person
                return primary if scope.covers(primary.village_id) else person
    village = snapshot["case"].get("area", "")
    birth = _date(child.get("birth_date"))
    try:
        return child_create(
            by=by,
            name=child.get("name", ""),
            sex=child.get("sex", ""),
            birth_date=birth,
            village=village,
            nik=nik if len(nik) == 16 and nik.isdigit() else "",
        )
    except ValidationError as exc:
        raise PrimeroError(
            _(
                "The Primero case lacks what PKSAI needs to record the child (a name, sex, "
                "birth date and a village its location maps to): %(what)s"
            )
            % {"what": "; ".join(exc.messages)}
        ) from exc


def _register(by: User, child: Person, snapshot: dict, short_id: str) -> Case:
    concerns = [c for c in snapshot["case"].get("concerns", []) if c in Concern.values]
    summary = snapshot["case"].get("summary") or _("Imported from Primero case %(id)s.") % {
        "id": short_id
    }
    supervisor = by if by.has_perm("cases.approve_case") else None
    return case_services.case_register(
        by=by,
        child=child,
        channel=Channel.OTHER,
        summary=summary,
        concerns=concerns or [Concern.OTHER],
        owner=by,
        supervisor=supervisor,
        duplicate_reason="",
    )


@dataclass
class Applied:
    assessments: int = 0
    plan_actions: int = 0
    referrals: int = 0
    concerns: list[str] = field(default_factory=list)


def _apply(by: User, case: Case, link: CaseLink, snapshot: dict) -> Applied:
    """Write the snapshot's concerns, plan goals, assessments and plan actions to the case:
    rows known by their Primero unique_id are updated, new ones created (bulk)."""
    applied = Applied()
    known = set(case.concerns.values_list("category", flat=True))
    new = sorted({c for c in snapshot["case"].get("concerns", []) if c in Concern.values} - known)
    CaseConcern.objects.bulk_create(CaseConcern(case=case, category=c) for c in new)
    applied.concerns = new
    goals = (snapshot.get("plan") or {}).get("goals") or ""
    if goals:
        plan = CasePlan.objects.filter(case=case).first()
        if plan is None:
            CasePlan.objects.create(case=case, goals=goals, updated_by=by)
        elif plan.goals != goals:
            CasePlan.objects.filter(pk=plan.pk).update(
                goals=goals, updated_by=by, updated_at=timezone.now(), version=plan.version + 1
            )
    items = {(i.kind, i.unique_id): i.object_id for i in ItemLink.objects.filter(link=link)}
    applied.assessments = _apply_assessments(by, case, link, snapshot["assessments"], items)
    rows = [
        {**p, "kind": PlanAction.Kind.SERVICE, "item": ItemLink.Kind.PLAN_ACTION}
        for p in snapshot["plan_actions"]
    ] + [
        {
            "uid": r["uid"],
            "description": r.get("reason") or r.get("service") or _("Service from Primero"),
            "responsible": r.get("provider") or "",
            "due_date": r.get("due_date"),
            "status": PlanAction.Status.DONE
            if r.get("status") in {"delivered", "closed"}
            else PlanAction.Status.PLANNED,
            "kind": PlanAction.Kind.REFERRAL,
            "item": ItemLink.Kind.REFERRAL,
        }
        for r in snapshot["referrals"]
    ]
    applied.plan_actions, applied.referrals = _apply_actions(case, link, rows, items)
    return applied


def _apply_assessments(by, case, link, rows, items) -> int:
    count = 0
    for row in rows:
        if row.get("kind") not in Assessment.Kind.values or row.get("risk") not in Rating.values:
            continue
        domains = {
            k: {"rating": v["rating"], "notes": v.get("notes", "")}
            for k, v in row.get("domains", {}).items()
            if k in Domain.values and v.get("rating") in Rating.values
        }
        completed = _date(row.get("completed_on"))
        completed_at = (
            timezone.make_aware(datetime.combine(completed, time(12))) if completed else None
        )
        values = {
            "kind": row["kind"],
            "risk": row["risk"],
            "summary": row.get("summary") or "",
            "domains": domains,
            "completed_at": completed_at,
            "updated_by": by,
        }
        pk = items.get((ItemLink.Kind.ASSESSMENT, row["uid"]))
        existing = Assessment.objects.filter(pk=pk, case=case).first() if pk else None
        if existing is not None:
            # Primero keeps the day only: the same day keeps PKSAI's moment
            if existing.completed_at and completed == timezone.localdate(existing.completed_at):
                values["completed_at"] = existing.completed_at
            Assessment.objects.filter(pk=pk).update(
                **values, updated_at=timezone.now(), version=existing.version + 1
            )
        else:
            made = Assessment.objects.create(case=case, created_by=by, **values)
            ItemLink.objects.create(
                link=link, kind=ItemLink.Kind.ASSESSMENT, unique_id=row["uid"], object_id=made.pk
            )
        count += 1
    return count


def _apply_actions(case, link, rows, items) -> tuple[int, int]:
    counts = {ItemLink.Kind.PLAN_ACTION: 0, ItemLink.Kind.REFERRAL: 0}
    for row in rows:
        due = _date(row.get("due_date"))
        description = (row.get("description") or "").strip()[:300]
        if due is None or not description:
            continue
        status = row.get("status") if row.get("status") in PlanAction.Status.values else "planned"
        values = {
            "description": description,
            "responsible": (row.get("responsible") or "").strip()[:200],
            "due_date": due,
            "status": status,
        }
        pk = items.get((ItemLink.Kind.PLAN_ACTION, row["uid"])) or items.get(
            (ItemLink.Kind.REFERRAL, row["uid"])
        )
        existing = PlanAction.objects.filter(pk=pk, case=case).first() if pk else None
        if existing is not None:
            # Primero says only done / not done: "in progress" here is not undone by "planned"
            if status == PlanAction.Status.PLANNED and existing.status in OPEN_ACTION:
                values["status"] = existing.status
            PlanAction.objects.filter(pk=pk).update(**values, version=existing.version + 1)
        elif pk and row["item"] == ItemLink.Kind.REFERRAL:
            pass  # a referral PKSAI sent: it stays a referral here, not a second plan action
        else:
            made = PlanAction.objects.create(case=case, kind=row["kind"], **values)
            ItemLink.objects.create(
                link=link, kind=ItemLink.Kind.PLAN_ACTION, unique_id=row["uid"], object_id=made.pk
            )
        counts[row["item"]] += 1
    return counts[ItemLink.Kind.PLAN_ACTION], counts[ItemLink.Kind.REFERRAL]


def case_import(*, by: User, primero_id: str, client: PrimeroClient | None = None) -> Result:
    """Bring a Primero case into PKSAI: the linked case is updated; else the child is
    matched by NIK (or recorded), their open case in scope is linked and updated, or a new
    case registered. Re-importing updates, never duplicates."""
    require_perm(by, IMPORT)
    require_perm(by, "cases.add_case")
    client = client or PrimeroClient()
    data = client.case_get(primero_id)
    mapping = active_mapping()
    snapshot = decode(data, mapping)
    short_id = str(data.get("short_id") or "")
    link = CaseLink.objects.filter(primero_id=primero_id).first()
    if link is not None:
        case_get(user=by, pk=link.case_id)  # Http404 outside the user's scope
    with transaction.atomic():
        created = False
        if link is not None:
            case = Case.objects.select_for_update(of=("self",)).get(pk=link.case_id)
        else:
            child = _child_for(by, snapshot)
            if not scope_for(by).covers(child.village_id):
                raise PermissionDenied("child outside the user's area scope")
            case = (
                Case.objects.filter(child=child, stage__in=OPEN_STAGES, primero__isnull=True)
                .order_by("-created_at")
                .first()
            )
            if case is None:
                case, created = _register(by, child, snapshot, short_id or primero_id), True
            link = CaseLink.objects.create(case=case, primero_id=primero_id, short_id=short_id)
        applied = _apply(by, case, link, snapshot)
        link.short_id = short_id or link.short_id
        link.imported_at = timezone.now()
        link.save(update_fields=["short_id", "imported_at"])
        transfer = _transfer_record(
            case,
            by,
            Transfer.Direction.IMPORT,
            primero_id=primero_id,
            short_id=short_id,
            mapping=mapping,
            data=data,
        )
        audit_record(
            action="create" if created else "update",
            actor=by,
            obj=case,
            detail={
                "from": "primero",
                "primero_id": primero_id,
                "mapping": mapping.version,
                "assessments": applied.assessments,
                "plan_actions": applied.plan_actions,
                "services": applied.referrals,
                "concerns_added": applied.concerns,
            },
        )
        # Primero's side of the record last: if it refuses, nothing above is kept.
        client.case_flag(
            primero_id,
            message=_("Imported into PKSAI as case %(number)s (mapping %(version)s).")
            % {"number": case.number, "version": mapping.version},
            date=timezone.localdate().isoformat(),
        )
    return Result(transfer=transfer, case=case, created=created)


@dataclass
class Batch:
    imported: list[Result] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def cases_import_since(*, by: User, since: datetime, client: PrimeroClient | None = None) -> Batch:
    """Import every Primero case changed since ``since`` (each in its own transaction; one
    that fails is listed with the reason, the others are kept)."""
    require_perm(by, IMPORT)
    client = client or PrimeroClient()
    until = timezone.now()
    ids = client.case_ids_since(since.isoformat(), until.isoformat())
    batch = Batch()
    for primero_id in ids:
        try:
            batch.imported.append(case_import(by=by, primero_id=primero_id, client=client))
        except (PrimeroError, ValidationError, PermissionDenied, Http404) as exc:
            batch.failed.append((primero_id, str(exc)))
    return batch
