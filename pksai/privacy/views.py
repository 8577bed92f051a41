"""Data-protection pages: a case's consents and legal grounds (case staff), the queue of
requests from data subjects and the breach register (the data protection officer).

Thin: reads through selectors (out of scope is a 404, audited), writes through services.
Forms that edit carry the version they were loaded at; a stale one answers 409 with the
user's input kept. Opening a page with personal data writes a ``view`` audit row."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pksai.accounts.scoping import require_perm
from pksai.audit.personal_exports import PersonalExport, export_purpose
from pksai.audit.services import audit_record
from pksai.cases import selectors as case_selectors
from pksai.cases.services import ConflictError
from pksai.privacy import selectors, services
from pksai.privacy.exports import access_export
from pksai.privacy.forms import (
    BreachForm,
    BreachUpdateForm,
    ConsentForm,
    DecideForm,
    ExportForm,
    LegalGroundForm,
    NoticeForm,
    RequestForm,
    VersionForm,
    WithdrawForm,
)
from pksai.privacy.models import BreachNotice, RequestKind, SubjectRequest

PAGE_SIZE = 50
QUEUE_LABELS = {
    "open": gettext_lazy("Open"),
    "overdue": gettext_lazy("Overdue"),
    "done": gettext_lazy("Answered"),
    "all": gettext_lazy("All"),
}


def _status(request, form) -> int:
    return 400 if request.method == "POST" and form.errors else 200


# --- a case's consents and legal grounds --------------------------------------------------


@login_required
def case_consents(request, pk: int):
    """The consent ledger of a case's child and the case's legal grounds."""
    case = case_selectors.case_get(user=request.user, pk=pk)
    consents = list(selectors.case_consents(user=request.user, case=case))
    grounds = (
        list(selectors.case_legal_grounds(user=request.user, case=case))
        if request.user.has_perm(selectors.VIEW_GROUND)
        else []
    )
    audit_record(
        action="view",
        actor=request.user,
        obj=case,
        detail={"consents": [c.pk for c in consents], "legal_grounds": [g.pk for g in grounds]},
    )
    today = timezone.localdate()
    for consent in consents:
        consent.active = consent.is_active(today)
    return render(
        request,
        "privacy/case_consents.html",
        {
            "case": case,
            "consents": consents,
            "grounds": grounds,
            "purpose": request.GET.get("purpose", ""),
        },
    )


@login_required
def consent_new(request, pk: int):
    require_perm(request.user, services.ADD_CONSENT)
    case = case_selectors.case_get(user=request.user, pk=pk)
    initial = {"purpose": request.GET.get("purpose", services.REFERRAL)}
    form = ConsentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.consent_record(
                by=request.user,
                case=case,
                data=services.ConsentInput(
                    purpose=data["purpose"],
                    given_by_name=data["given_by_name"],
                    relationship=data["relationship"],
                    given_at=data["given_at"],
                    how=data["how"],
                    expires_on=data["expires_on"],
                ),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("Consent recorded. You can now send the referral or the transfer."),
            )
            return redirect("privacy:case_consents", case.pk)
    return render(
        request,
        "privacy/consent_new.html",
        {"case": case, "form": form},
        status=_status(request, form),
    )


@login_required
def consent_withdraw(request, pk: int, consent_id: int):
    require_perm(request.user, services.CHANGE_CONSENT)
    case = case_selectors.case_get(user=request.user, pk=pk)
    consent = selectors.consent_get(user=request.user, case=case, pk=consent_id)
    form = WithdrawForm(request.POST or None, initial={"version": consent.version})
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.consent_withdraw(
                by=request.user,
                consent=consent,
                expected_version=data["version"],
                withdrawn_by_name=data["withdrawn_by_name"],
                reason=data["reason"],
            )
        except ConflictError as conflict:
            form.add_error(None, conflict.messages)
            status = 409
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request, _("Consent withdrawn. Nothing more is shared on this consent.")
            )
            return redirect("privacy:case_consents", case.pk)
    return render(
        request,
        "privacy/consent_withdraw.html",
        {"case": case, "consent": consent, "form": form},
        status=status if status != 200 else _status(request, form),
    )


@login_required
def legal_ground_new(request, pk: int):
    require_perm(request.user, services.ADD_GROUND)
    case = case_selectors.case_get(user=request.user, pk=pk)
    form = LegalGroundForm(
        request.POST or None, initial={"purpose": request.GET.get("purpose", services.REFERRAL)}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.legal_ground_record(
                by=request.user,
                case=case,
                purpose=data["purpose"],
                basis=data["basis"],
                explanation=data["explanation"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("Legal ground recorded. The receiver will see it on what you send."),
            )
            return redirect("privacy:case_consents", case.pk)
    return render(
        request,
        "privacy/legal_ground_new.html",
        {"case": case, "form": form},
        status=_status(request, form),
    )


@login_required
@require_POST
def legal_ground_end(request, pk: int, ground_id: int):
    require_perm(request.user, services.CHANGE_GROUND)
    case = case_selectors.case_get(user=request.user, pk=pk)
    ground = selectors.legal_ground_get(user=request.user, case=case, pk=ground_id)
    form = VersionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Reload the page and try again."))
        services.legal_ground_end(
            by=request.user, ground=ground, expected_version=form.cleaned_data["version"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Legal ground ended."))
    return redirect("privacy:case_consents", case.pk)


# --- requests from data subjects ----------------------------------------------------------


@login_required
def request_queue(request):
    require_perm(request.user, selectors.VIEW_REQUEST)
    queue = request.GET.get("queue", "open")
    if queue not in selectors.REQUEST_QUEUES:
        queue = "open"
    page = Paginator(selectors.request_queue(user=request.user, queue=queue), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    if page.object_list:
        audit_record(
            action="view",
            actor=request.user,
            object_type="privacy.subjectrequest",
            detail={"list": [r.pk for r in page], "queue": queue},
        )
    return render(
        request,
        "privacy/request_queue.html",
        {
            "page": page,
            "queue": queue,
            "tabs": [(q, QUEUE_LABELS[q]) for q in selectors.REQUEST_QUEUES],
        },
    )


@login_required
def request_new(request):
    require_perm(request.user, services.ADD_REQUEST)
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = selectors.person_in_scope(
            user=request.user, nik=data["nik"], case_number=data["case_number"]
        )
        if person is None:
            form.add_error("nik", _("Nobody with this NIK or case number in your area."))
        else:
            try:
                made = services.subject_request_create(
                    by=request.user,
                    data=services.RequestInput(
                        kind=data["kind"],
                        person=person,
                        requester_name=data["requester_name"],
                        requester_relationship=data["requester_relationship"],
                        requester_contact=data["requester_contact"],
                        channel=data["channel"],
                        details=data["details"],
                        received_at=data["received_at"],
                    ),
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    _("Request %(n)s recorded. Answer it by %(due)s.")
                    % {
                        "n": made.number,
                        "due": timezone.localtime(made.due_at).strftime("%Y-%m-%d %H:%M"),
                    },
                )
                return redirect("privacy:request", made.pk)
    return render(
        request, "privacy/request_new.html", {"form": form}, status=_status(request, form)
    )


def _request_page(request, subject_request: SubjectRequest, status: int = 200, **forms):
    audit_record(
        action="view",
        actor=request.user,
        obj=subject_request,
        detail={"person": subject_request.person_id},
    )
    context = {
        "req": subject_request,
        "decide_form": forms.get("decide_form")
        or DecideForm(initial={"version": subject_request.version}),
        "start_form": VersionForm(initial={"version": subject_request.version}),
        "open_cases": services.open_cases_of(subject_request.person),
        "is_access": subject_request.kind == RequestKind.ACCESS,
        "error": forms.get("error", ""),
    }
    return render(request, "privacy/request_detail.html", context, status=status)


@login_required
def request_detail(request, pk: int):
    return _request_page(request, selectors.request_get(user=request.user, pk=pk))


@login_required
@require_POST
def request_start(request, pk: int):
    require_perm(request.user, services.CHANGE_REQUEST)
    subject_request = selectors.request_get(user=request.user, pk=pk)
    form = VersionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Reload the page and try again."))
        services.subject_request_start(
            by=request.user,
            request=subject_request,
            expected_version=form.cleaned_data["version"],
        )
    except ConflictError as conflict:
        return _request_page(
            request,
            selectors.request_get(user=request.user, pk=pk),
            status=409,
            error=" ".join(conflict.messages),
        )
    except ValidationError as error:
        return _request_page(request, subject_request, 400, error=" ".join(error.messages))
    messages.success(request, _("You are handling this request."))
    return redirect("privacy:request", pk)


@login_required
@require_POST
def request_decide(request, pk: int):
    require_perm(request.user, services.CHANGE_REQUEST)
    subject_request = selectors.request_get(user=request.user, pk=pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        return _request_page(request, subject_request, 400, decide_form=form)
    data = form.cleaned_data
    try:
        services.subject_request_decide(
            by=request.user,
            request=subject_request,
            expected_version=data["version"],
            outcome=data["outcome"],
            decision=data["decision"],
            refusal_ground=data["refusal_ground"],
        )
    except ConflictError as conflict:
        current = selectors.request_get(user=request.user, pk=pk)
        form.data = form.data.copy()
        form.data["version"] = current.version
        return _request_page(
            request, current, 409, decide_form=form, error=" ".join(conflict.messages)
        )
    except ValidationError as error:
        form.add_service_errors(error)
        return _request_page(request, subject_request, 400, decide_form=form)
    messages.success(request, _("Answer recorded."))
    return redirect("privacy:request", pk)


@login_required
def request_export(request, pk: int):
    """An access request's answer: the PDF of what PKSAI holds, for a stated purpose."""
    require_perm(request.user, services.EXPORT_REQUEST)
    subject_request = selectors.request_get(user=request.user, pk=pk)
    form = ExportForm(request.POST or None)
    if subject_request.kind != RequestKind.ACCESS:
        form.add_error(None, _("Only an access request is answered with an export."))
        return render(
            request,
            "privacy/request_export.html",
            {"req": subject_request, "form": form},
            status=400,
        )
    if request.method == "POST":
        try:
            purpose = export_purpose(request.POST)
        except ValidationError as error:
            form.add_error("purpose", error.messages)
        else:
            export = PersonalExport(user=request.user, purpose=purpose)
            body = access_export(request=subject_request, export=export)
            response = HttpResponse(body, content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{subject_request.number}.pdf"'
            return export.stamp_response(response)
    return render(
        request,
        "privacy/request_export.html",
        {"req": subject_request, "form": form},
        status=_status(request, form),
    )


# --- breaches -----------------------------------------------------------------------------


@login_required
def breach_list(request):
    require_perm(request.user, selectors.VIEW_BREACH)
    status = request.GET.get("status", "open")
    if status not in {"open", "closed", ""}:
        status = "open"
    page = Paginator(selectors.breach_list(user=request.user, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "privacy/breach_list.html", {"page": page, "status": status})


@login_required
def breach_new(request):
    require_perm(request.user, services.ADD_BREACH)
    form = BreachForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            breach = services.breach_record(
                by=request.user,
                data=services.BreachInput(
                    area_code=data["area"],
                    discovered_at=data["discovered_at"],
                    discovered_by=data["discovered_by"],
                    what_happened=data["what_happened"],
                    data_kinds=data["data_kinds"],
                    people_affected=data["people_affected"],
                    containment=data["containment"],
                ),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _(
                    "Breach %(n)s registered. Next: notify the people affected and the agency "
                    "by %(due)s (3 × 24 hours from discovery)."
                )
                % {
                    "n": breach.number,
                    "due": timezone.localtime(breach.notices.first().due_at).strftime(
                        "%Y-%m-%d %H:%M"
                    ),
                },
            )
            return redirect("privacy:breach", breach.pk)
    return render(request, "privacy/breach_new.html", {"form": form}, status=_status(request, form))


def _breach_page(request, breach, status: int = 200, **extra):
    notices = list(breach.notices.all())
    audit_record(action="view", actor=request.user, obj=breach)
    context = {
        "breach": breach,
        "notices": notices,
        "update_form": extra.get("update_form")
        or BreachUpdateForm(
            initial={
                "version": breach.version,
                "containment": breach.containment,
                "people_affected": breach.people_affected,
            }
        ),
        "close_form": VersionForm(initial={"version": breach.version}),
        "can_close": breach.status == breach.Status.OPEN
        and all(n.status != BreachNotice.Status.PENDING for n in notices),
        "error": extra.get("error", ""),
    }
    return render(request, "privacy/breach_detail.html", context, status=status)


@login_required
def breach_detail(request, pk: int):
    return _breach_page(request, selectors.breach_get(user=request.user, pk=pk))


@login_required
@require_POST
def breach_update(request, pk: int):
    require_perm(request.user, services.CHANGE_BREACH)
    breach = selectors.breach_get(user=request.user, pk=pk)
    form = BreachUpdateForm(request.POST)
    if not form.is_valid():
        return _breach_page(request, breach, 400, update_form=form)
    data = form.cleaned_data
    try:
        services.breach_update(
            by=request.user,
            breach=breach,
            expected_version=data["version"],
            containment=data["containment"],
            people_affected=data["people_affected"],
        )
    except ConflictError as conflict:
        current = selectors.breach_get(user=request.user, pk=pk)
        form.data = form.data.copy()
        form.data["version"] = current.version
        return _breach_page(
            request, current, 409, update_form=form, error=" ".join(conflict.messages)
        )
    except ValidationError as error:
        form.add_service_errors(error)
        return _breach_page(request, breach, 400, update_form=form)
    messages.success(request, _("Breach updated."))
    return redirect("privacy:breach", pk)


@login_required
@require_POST
def breach_close(request, pk: int):
    require_perm(request.user, services.CHANGE_BREACH)
    breach = selectors.breach_get(user=request.user, pk=pk)
    form = VersionForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Reload the page and try again."))
        services.breach_close(
            by=request.user, breach=breach, expected_version=form.cleaned_data["version"]
        )
    except ConflictError as conflict:
        current = selectors.breach_get(user=request.user, pk=pk)
        return _breach_page(request, current, 409, error=" ".join(conflict.messages))
    except ValidationError as error:
        return _breach_page(request, breach, 400, error=" ".join(error.messages))
    messages.success(request, _("Breach closed."))
    return redirect("privacy:breach", pk)


@login_required
def breach_notice(request, pk: int, notice_id: int):
    """Mark one notification step done (or the public notice not required)."""
    require_perm(request.user, services.CHANGE_BREACH)
    breach = selectors.breach_get(user=request.user, pk=pk)
    notice = selectors.notice_get(user=request.user, breach=breach, pk=notice_id)
    form = NoticeForm(request.POST or None, initial={"version": notice.version})
    if notice.kind != BreachNotice.Kind.PUBLIC:
        form.fields["status"].choices = form.fields["status"].choices[:1]
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.breach_notice_mark(
                by=request.user,
                notice=notice,
                expected_version=data["version"],
                status=data["status"],
                note=data["note"],
                done_at=data["done_at"],
            )
        except ConflictError as conflict:
            form.add_error(None, conflict.messages)
            status = 409
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Step marked."))
            return redirect(reverse("privacy:breach", args=[pk]) + "#notices")
    return render(
        request,
        "privacy/breach_notice.html",
        {"breach": breach, "notice": notice, "form": form},
        status=status if status != 200 else _status(request, form),
    )
