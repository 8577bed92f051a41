"""Pages for the records kept on a case: assessments, plan, conferences, notes, visits,
attachments, and the printable case summary.

Every page opens the case through selectors.case_get (404 outside the user's scope or for a
restricted case they may not open). A write re-reads the case with its row locked, calls the
service, and on a refused save shows the form again with the user's input and the reason
(409 for a conflicting save, 400 for invalid input); nothing typed is lost.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pksai.accounts.models import User
from pksai.accounts.scoping import require_perm
from pksai.audit.personal_exports import PersonalExport, export_purpose
from pksai.cases import records, selectors
from pksai.cases.forms_records import (
    AssessmentForm,
    AttachmentForm,
    ConferenceForm,
    NoteForm,
    PlanActionStatusForm,
    PlanForm,
    VisitForm,
    VoidForm,
)
from pksai.cases.models import CasePlan
from pksai.cases.next_step import next_step
from pksai.cases.services import ConflictError

CHANGE = "cases.change_case"


def _detail(case) -> str:
    from django.urls import reverse

    return reverse("cases:detail", args=[case.pk])


def _page(request, case, template: str, form, *, status: int = 200, **extra):
    return render(
        request, f"cases/records/{template}", {"case": case, "form": form, **extra}, status=status
    )


def _refused(request, case, template, form, error: ValidationError, **extra):
    if isinstance(error, ConflictError):
        form.add_error(None, error.messages)
        return _page(request, case, template, form, status=409, conflict=True, **extra)
    if hasattr(form, "add_service_errors"):
        form.add_service_errors(error)
    elif hasattr(error, "error_dict"):
        for key, msgs in error.message_dict.items():
            form.add_error(key if key in form.fields else None, msgs)
    else:
        form.add_error(None, error.messages)
    return _page(request, case, template, form, status=400, **extra)


# --- Assessments ------------------------------------------------------------------


@login_required
def assessment_edit(request, pk: int, assessment_id: int | None = None):
    case = selectors.case_get(user=request.user, pk=pk)
    require_perm(request.user, CHANGE)
    assessment = None
    if assessment_id is not None:
        assessment = selectors.case_record_get(case=case, related="assessments", pk=assessment_id)
        if assessment.completed_at is not None:
            return redirect(_detail(case) + f"#assessment-{assessment.pk}")
    form = AssessmentForm(request.POST or None, assessment=assessment)
    if not assessment:
        form.initial.setdefault("kind", "initial" if case.stage == "triage" else "comprehensive")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                locked = selectors.case_get_for_update(user=request.user, pk=pk)
                saved = records.assessment_save(
                    case=locked,
                    by=request.user,
                    kind=data["kind"],
                    domains=form.domains(),
                    risk=data["risk"],
                    summary=data["summary"],
                    extra=form.extra_values(),
                    complete=data["complete"],
                    assessment=assessment,
                    expected_version=data.get("version"),
                )
        except ValidationError as error:
            return _refused(request, case, "assessment_form.html", form, error, item=assessment)
        messages.success(
            request,
            (
                _("Assessment completed. Next step: %(next)s")
                if saved.completed_at
                else _("Assessment saved as a draft. Complete it when every domain is rated.")
            )
            % {"next": next_step(case)},
        )
        return redirect(_detail(case) + f"#assessment-{saved.pk}")
    status = 400 if request.method == "POST" else 200
    return _page(request, case, "assessment_form.html", form, item=assessment, status=status)


# --- The plan ---------------------------------------------------------------------


@login_required
def plan_edit(request, pk: int):
    case = selectors.case_get(user=request.user, pk=pk)
    require_perm(request.user, CHANGE)
    plan = CasePlan.objects.filter(case=case).first()
    initial = {"goals": plan.goals, "version": plan.version} if plan else {"version": 0}
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                locked = selectors.case_get_for_update(user=request.user, pk=pk)
                records.plan_save(
                    case=locked,
                    by=request.user,
                    goals=form.cleaned_data["goals"],
                    expected_version=form.cleaned_data.get("version"),
                )
        except ValidationError as error:
            return _refused(request, case, "plan_form.html", form, error, plan=plan)
        messages.success(
            request, _("Case plan saved. Next step: %(next)s") % {"next": next_step(case)}
        )
        return redirect(_detail(case) + "#plan")
    status = 400 if request.method == "POST" else 200
    return _page(request, case, "plan_form.html", form, plan=plan, status=status)


@login_required
@require_POST
def plan_action_status(request, pk: int, action_id: int):
    case = selectors.case_get(user=request.user, pk=pk)
    require_perm(request.user, CHANGE)
    action = selectors.case_record_get(case=case, related="plan_actions", pk=action_id)
    form = PlanActionStatusForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                selectors.case_get_for_update(user=request.user, pk=pk)
                records.plan_action_update(
                    action=action,
                    by=request.user,
                    status=form.cleaned_data["status"],
                    expected_version=form.cleaned_data.get("version") or 0,
                )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Plan action updated. It shows on the case plan."))
    return redirect(_detail(case) + "#plan")


# --- Conferences ------------------------------------------------------------------


def _colleagues(case) -> list[tuple[str, str]]:
    """Choices (id, name) of everyone working in the case's village, for the participants."""
    people = selectors.colleagues(codes=[case.area_id]).order_by("first_name", "username")[:200]
    return [(str(u.pk), u.get_full_name() or u.get_username()) for u in people]


@login_required
def conference_new(request, pk: int):
    case = selectors.case_get(user=request.user, pk=pk)
    require_perm(request.user, CHANGE)
    choices = _colleagues(case)
    form = ConferenceForm(
        request.POST or None, user_choices=choices, initial={"held_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        users = {u.pk: u for u in User.objects.filter(pk__in=data["users"])}
        participants = [records.Participant(user=u) for u in users.values()]
        participants += [
            records.Participant(
                name=data[f"p{i}_name"],
                organisation=data[f"p{i}_organisation"],
                role=data[f"p{i}_role"],
            )
            for i in range(len(form.participant_rows()))
            if data.get(f"p{i}_name")
        ]
        actions = [
            records.ConferenceAction(
                kind=data[f"a{i}_kind"] or "service",
                description=data[f"a{i}_description"],
                responsible=data[f"a{i}_responsible"],
                due_date=data[f"a{i}_due_date"],
            )
            for i in range(len(form.action_rows()))
            if data.get(f"a{i}_description")
        ]
        try:
            with transaction.atomic():
                locked = selectors.case_get_for_update(user=request.user, pk=pk)
                conference = records.conference_record(
                    case=locked,
                    by=request.user,
                    held_on=data["held_on"],
                    agenda=data["agenda"],
                    decisions=data["decisions"],
                    participants=participants,
                    actions=actions,
                )
        except ValidationError as error:
            return _refused(request, case, "conference_form.html", form, error)
        messages.success(
            request,
            _("Case conference recorded. Its decisions are on the case plan."),
        )
        return redirect(_detail(case) + f"#conference-{conference.pk}")
    status = 400 if request.method == "POST" else 200
    return _page(request, case, "conference_form.html", form, status=status)


# --- Notes and visits -------------------------------------------------------------


@login_required
def note_new(request, pk: int):
    case = selectors.case_get(user=request.user, pk=pk)
    require_perm(request.user, CHANGE)
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                locked = selectors.case_get_for_update(user=request.user, pk=pk)
                records.note_add(case=locked, by=request.user, text=form.cleaned_data["text"])
        except ValidationError as error:
            return _refused(request, case, "note_form.html", form, error)
        messages.success(request, _("Note added to case %(number)s.") % {"number": case.number})
        return redirect(_detail(case) + "#notes")
    status = 400 if request.method == "POST" else 200
    return _page(request, case, "note_form.html", form, status=status)


@login_required
def visit_new(request, pk: int):
    case = selectors.case_get(user=request.user, pk=pk)
    require_perm(request.user, CHANGE)
    form = VisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                locked = selectors.case_get_for_update(user=request.user, pk=pk)
                visit = records.visit_record(
                    case=locked,
                    by=request.user,
                    visited_on=data["visited_on"],
                    place=data["place"],
                    seen=data["seen"],
                    observations=data["observations"],
                    extra=form.extra_values(),
                )
        except ValidationError as error:
            return _refused(request, case, "visit_form.html", form, error)
        messages.success(request, _("Visit logged on case %(number)s.") % {"number": case.number})
        return redirect(_detail(case) + f"#visit-{visit.pk}")
    status = 400 if request.method == "POST" else 200
    return _page(request, case, "visit_form.html", form, status=status)


# --- Attachments ------------------------------------------------------------------


@login_required
def attachment_new(request, pk: int):
    case = selectors.case_get(user=request.user, pk=pk)
    require_perm(request.user, CHANGE)
    form = AttachmentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                locked = selectors.case_get_for_update(user=request.user, pk=pk)
                records.attachment_add(
                    case=locked,
                    by=request.user,
                    kind=data["kind"],
                    title=data["title"],
                    upload=data["file"],
                )
        except ValidationError as error:
            return _refused(request, case, "attachment_form.html", form, error)
        messages.success(
            request, _("Attachment stored on case %(number)s.") % {"number": case.number}
        )
        return redirect(_detail(case) + "#attachments")
    status = 400 if request.method == "POST" else 200
    return _page(request, case, "attachment_form.html", form, status=status)


@login_required
def attachment_download(request, pk: int, attachment_id: int):
    """An attachment as uploaded (personal data: a stated purpose, audited; the file is not
    altered, the watermark travels in the header)."""
    case = selectors.case_get(user=request.user, pk=pk)
    attachment = selectors.case_record_get(case=case, related="attachments", pk=attachment_id)
    if attachment.voided_at is not None:
        raise Http404("voided attachment")
    try:
        export = PersonalExport(user=request.user, purpose=export_purpose(request.GET))
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(_detail(case) + "#attachments")
    try:
        stored = records.attachment_download(attachment=attachment, by=request.user, export=export)
    except ValidationError:
        raise Http404("voided attachment") from None
    response = FileResponse(
        stored,
        as_attachment=attachment.content_type == "application/pdf",
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return export.stamp_response(response)


@login_required
def attachment_void(request, pk: int, attachment_id: int):
    case = selectors.case_get(user=request.user, pk=pk)
    require_perm(request.user, CHANGE)
    attachment = selectors.case_record_get(
        case=case, related="attachments", pk=attachment_id, voided_at__isnull=True
    )
    form = VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            selectors.case_get_for_update(user=request.user, pk=pk)
            records.attachment_void(
                attachment=attachment, by=request.user, reason=form.cleaned_data["reason"]
            )
        messages.success(
            request,
            _("Attachment voided: it stays on the record, marked void."),
        )
        return redirect(_detail(case) + "#attachments")
    return _page(request, case, "attachment_void.html", form, attachment=attachment)


# --- Summary PDF ------------------------------------------------------------------


@login_required
def summary_pdf(request, pk: int):
    """The case summary for conferences and transfers. Restricted details (reporter, notes,
    the child's identity numbers) are left out unless the reader may see them."""
    case = selectors.case_get(user=request.user, pk=pk)
    try:  # personal data: a stated purpose, audited and printed on every page
        export = PersonalExport(user=request.user, purpose=export_purpose(request.GET))
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(_detail(case) + "#attachments")
    from pksai.cases.pdf import case_summary_pdf  # fpdf only when a summary is printed

    data = case_summary_pdf(case=case, user=request.user, watermark=export.watermark)
    export.audit(obj=case, detail={"format": "pdf", "summary": True})
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{case.number}.pdf"'
    return export.stamp_response(response)
