"""Facilitation pages: a facilitator's beneficiaries and visit log, assigning facilitators,
and the monthly facilitator report (from the visit logs; CSV download)."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Max, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from pksai.accounts.models import User
from pksai.accounts.scoping import get_scoped_or_404, require_perm, scoped
from pksai.audit.personal_exports import PersonalExport, export_purpose
from pksai.audit.services import audit_record
from pksai.cases.selectors import colleagues
from pksai.core import exports
from pksai.programs import compliance, facilitation
from pksai.programs.forms import ComplianceReviewForm
from pksai.programs.forms_facilitation import VisitForm
from pksai.programs.models import (
    Beneficiary,
    Conditionality,
    FacilitationVisit,
    Program,
    Sanction,
    Topic,
)


def _beneficiary(user, pk: int) -> Beneficiary:
    """A beneficiary the user may see: the program staff of the area, or its facilitator."""
    own = (
        Beneficiary.objects.filter(pk=pk, facilitator=user)
        .select_related("person", "program", "facilitator")
        .first()
    )
    if own is not None:
        return own
    return get_scoped_or_404(
        Beneficiary.objects.select_related("person", "program", "facilitator"),
        user,
        perm="programs.view_beneficiary",
        pk=pk,
    )


@login_required
def mine(request):
    """The facilitator's active beneficiaries, with the last visit."""
    require_perm(request.user, facilitation.LOG_VISIT)
    qs = (
        Beneficiary.objects.filter(facilitator=request.user, status=Beneficiary.Status.ACTIVE)
        .select_related("person", "program")
        .order_by("person__name")
    )
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    last = dict(
        FacilitationVisit.objects.filter(beneficiary__in=list(page))
        .values_list("beneficiary_id")
        .order_by()
        .annotate(last=Max("visited_on"))
    )
    for b in page:
        b.last_visit = last.get(b.pk)
    if page.object_list:
        audit_record(
            action="view",
            actor=request.user,
            object_type="programs.beneficiary",
            detail={"list": [b.pk for b in page]},
        )
    return render(request, "programs/facilitation/mine.html", {"page": page, "query": ""})


@login_required
def beneficiary(request, pk: int):
    """One beneficiary: visits, the visit form (for the facilitator), the facilitator choice
    (for program staff)."""
    b = _beneficiary(request.user, pk)
    form = VisitForm(request.POST or None, initial={"visited_on": timezone.localdate()})
    status = 200
    if request.method == "POST" and request.POST.get("action") == "visit":
        if form.is_valid():
            try:
                facilitation.visit_log(by=request.user, beneficiary=b, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, " ".join(error.messages))
            else:
                messages.success(
                    request,
                    _("Visit to %(name)s recorded. It counts in this month's facilitation report.")
                    % {"name": b.person.name},
                )
                return redirect("facilitation:beneficiary", pk)
        status = 400
    if request.method == "POST" and request.POST.get("action") == "compliance":
        condition = get_object_or_404(Conditionality, pk=request.POST.get("condition") or 0)
        try:
            compliance.compliance_record(
                by=request.user,
                beneficiary=b,
                condition=condition,
                month=date.fromisoformat((request.POST.get("month") or "") + "-01"),
                met=request.POST.get("met") == "yes",
                notes=request.POST.get("notes", ""),
            )
        except (ValidationError, ValueError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(
                request,
                _(
                    "Compliance of %(name)s recorded. The compliance review proposes any "
                    "consequence."
                )
                % {"name": b.person.name},
            )
        return redirect("facilitation:beneficiary", pk)
    if request.method == "POST" and request.POST.get("action") == "assign":
        chosen = User.objects.filter(username=request.POST.get("facilitator", "")).first()
        try:
            if chosen is None:
                raise ValidationError(_("Choose a facilitator."))
            facilitation.facilitator_assign(by=request.user, beneficiary=b, facilitator=chosen)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("%(facilitator)s now facilitates %(name)s. Next step: a first visit.")
                % {
                    "facilitator": chosen.get_full_name() or chosen.get_username(),
                    "name": b.person.name,
                },
            )
        return redirect("facilitation:beneficiary", pk)
    audit_record(action="view", actor=request.user, obj=b)
    can_assign = request.user.has_perm(facilitation.ASSIGN)
    return render(
        request,
        "programs/facilitation/beneficiary.html",
        {
            "b": b,
            "visits": list(b.visits.select_related("facilitator")[:100]),
            "form": form,
            "can_log": b.facilitator_id == request.user.pk,
            "can_assign": can_assign,
            "facilitators": (
                colleagues(codes=[b.area_id], perm=facilitation.LOG_VISIT).order_by("username")
                if can_assign
                else []
            ),
            "topics": Topic.choices,
            "conditions": Conditionality.objects.filter(
                program_id__in=[b.program_id, b.program.parent_id], is_active=True
            ),
            "compliance": list(b.compliance.select_related("condition")[:24]),
            "can_record": can_assign or b.facilitator_id == request.user.pk,
            "this_month": timezone.localdate().strftime("%Y-%m"),
        },
        status=status,
    )


def _month(value: str) -> tuple[int, int]:
    try:
        year, month = (int(p) for p in value.split("-"))
        date(year, month, 1)
        return year, month
    except (ValueError, TypeError):
        today = timezone.localdate()
        return today.year, today.month


def _query_without(request, *keys: str) -> str:
    query = request.GET.copy()
    for key in keys:
        query.pop(key, None)
    return query.urlencode()


@login_required
def report(request):
    """The monthly facilitator report (?facilitator=username&month=YYYY-MM; ?format=csv)."""
    username = request.GET.get("facilitator") or request.user.get_username()
    facilitator = facilitation.facilitator_get(user=request.user, username=username)
    year, month = _month(request.GET.get("month", ""))
    result = facilitation.month_report(
        user=request.user, facilitator=facilitator, year=year, month=month
    )
    if request.GET.get("format") == "csv":
        try:  # beneficiaries' names and visit notes: a stated purpose, audited
            export = PersonalExport(user=request.user, purpose=export_purpose(request.GET))
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect(f"{request.path}?{_query_without(request, 'format', 'purpose')}")
        content = exports.csv_rows(
            ["date", "beneficiary", "program", *Topic.values, "notes"],
            (
                [
                    v.visited_on.isoformat(),
                    v.beneficiary.person.name,
                    v.beneficiary.program.code,
                    *["x" if t in v.topics else "" for t in Topic.values],
                    v.notes,
                ]
                for v in result.visits
            ),
        )
        export.audit(
            object_type="programs.facilitationvisit",
            detail={"facilitator": username, "month": f"{year}-{month:02d}", "format": "csv"},
        )
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        name = f"facilitator-{username}-{year}-{month:02d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        # CSV is read by machines: the watermark travels in the header only
        return export.stamp_response(response)
    return render(
        request,
        "programs/facilitation/report.html",
        {
            "r": result,
            "topics": [(label, result.by_topic.get(value, 0)) for value, label in Topic.choices],
            "topic_labels": dict(Topic.choices),
            "month_value": f"{year}-{month:02d}",
        },
    )


# --- conditionalities and re-confirmation ---------------------------------------------


def _program(request) -> Program:
    return get_object_or_404(Program, code=request.GET.get("program") or "pksa", parent=None)


@login_required
def reconfirmation(request):
    """The yearly re-confirmation campaign: who must be re-checked; re-confirm or exit."""
    require_perm(request.user, "programs.view_beneficiary")
    program = _program(request)
    if request.method == "POST":
        b = get_scoped_or_404(
            Beneficiary.objects.all(),
            request.user,
            perm="programs.view_beneficiary",
            pk=request.POST.get("beneficiary") or 0,
        )
        try:
            if request.POST.get("action") == "exit":
                exit_on = request.POST.get("exit_date") or ""
                compliance.beneficiary_exit(
                    by=request.user,
                    beneficiary=b,
                    reason=request.POST.get("reason", ""),
                    on=date.fromisoformat(exit_on) if exit_on else timezone.localdate(),
                    notes=request.POST.get("notes", ""),
                )
            else:
                compliance.beneficiary_reconfirm(by=request.user, beneficiary=b)
        except (ValidationError, ValueError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            if request.POST.get("action") == "exit":
                done = _(
                    "%(name)s has left the program. The benefit stops with the next payment cycle."
                )
            else:
                done = _("%(name)s is reconfirmed and stays in the program.")
            messages.success(request, done % {"name": b.person.name})
        return redirect(f"{request.path}?program={program.code}")
    page = Paginator(
        compliance.reconfirmation_due(user=request.user, program=program), 100
    ).get_page(request.GET.get("page"))
    if page.object_list:
        audit_record(
            action="view",
            actor=request.user,
            object_type="programs.beneficiary",
            detail={"reconfirmation": [b.pk for b in page]},
        )
    return render(
        request,
        "programs/facilitation/reconfirmation.html",
        {
            "page": page,
            "program": program,
            "programs": Program.objects.filter(parent=None, is_active=True),
            "reasons": Beneficiary.ExitReason.choices,
            "query": f"program={program.code}",
            "today": timezone.localdate(),
        },
    )


@login_required
def conditionalities(request):
    """The compliance review and the consequences waiting for an officer's decision."""
    require_perm(request.user, "programs.view_beneficiary")
    program = _program(request)
    reviewing = request.method == "POST" and request.POST.get("action") == "review"
    review = ComplianceReviewForm(request.POST if reviewing else None, user=request.user)
    if request.method == "POST" and not (reviewing and not review.is_valid()):
        try:
            if reviewing:
                n = compliance.compliance_review(
                    by=request.user, program=program, area_code=review.cleaned_data["area"]
                )
                messages.success(
                    request,
                    _("%(n)s consequences proposed. Confirm or waive each one below.") % {"n": n},
                )
            else:
                sanction = get_scoped_or_404(
                    Sanction.objects.select_related("step"),
                    request.user,
                    perm="programs.view_beneficiary",
                    pk=request.POST.get("sanction") or 0,
                )
                compliance.sanction_decide(
                    by=request.user,
                    sanction=sanction,
                    confirm=request.POST.get("action") == "confirm",
                    reason=request.POST.get("reason", ""),
                )
                if request.POST.get("action") == "confirm":
                    messages.success(
                        request, _("Consequence confirmed: %(step)s.") % {"step": sanction.step}
                    )
                else:
                    messages.success(
                        request, _("Consequence waived: nothing changes for the beneficiary.")
                    )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(f"{request.path}?program={program.code}")
    proposed = (
        scoped(Sanction.objects.all(), request.user, perm="programs.view_beneficiary")
        .filter(status=Sanction.Status.PROPOSED)
        .filter(Q(beneficiary__program=program) | Q(beneficiary__program__parent=program))
        .select_related("beneficiary__person", "beneficiary__program", "step")
    )
    page = Paginator(proposed, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "programs/facilitation/conditionalities.html",
        {
            "page": page,
            "program": program,
            "programs": Program.objects.filter(parent=None, is_active=True),
            "steps": program.consequences.all(),
            "conditions": program.conditions.filter(is_active=True),
            "query": f"program={program.code}",
            "can_decide": request.user.has_perm(compliance.MANAGE),
            "review_form": review,
        },
        status=400 if review.is_bound else 200,
    )
