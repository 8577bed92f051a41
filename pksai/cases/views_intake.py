"""The case intake queue: reports about a child at risk that came from outside case work
(child-protection complaints). Registration staff open a case for each from the intake form,
then mark the report registered with that case's number — or dismiss it with the reason.

Reads through selectors.intake_reports (scope: ``cases.add_case`` in the report's area); the
page shows reporters' contacts, so it is audited."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pksai.accounts.scoping import require_perm, scoped
from pksai.audit.services import audit_record
from pksai.cases import intake, selectors
from pksai.cases.models import Case, IntakeReport
from pksai.cases.next_step import next_step

PAGE_SIZE = 50


class RegisterForm(forms.Form):
    case_number = forms.CharField(label=gettext_lazy("Case number"), max_length=20)


class DuplicateForm(forms.Form):
    """The choice on the intake page when the child already has an open case: add this
    report to that case, or register a new case anyway with the reason."""

    add_to_case = forms.IntegerField(required=False, widget=forms.HiddenInput)
    register_anyway = forms.BooleanField(required=False, widget=forms.HiddenInput)
    duplicate_reason = forms.CharField(
        label=gettext_lazy("Why this child needs a second case"),
        help_text=gettext_lazy(
            "For example: a different matter handled by another team. The reason is kept on "
            "the new case's timeline."
        ),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DismissForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why dismissed"), max_length=300)


def _report(request, pk: int) -> IntakeReport:
    """A pending report in the user's areas, else 404 (missing, handled, or out of area)."""
    return selectors.intake_report_get(user=request.user, pk=pk)


def _page(request, *, status: int = 200, errors: dict | None = None):
    require_perm(request.user, "cases.add_case")
    page = Paginator(selectors.intake_reports(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    if page.object_list:
        audit_record(
            action="view",
            actor=request.user,
            object_type="cases.intakereport",
            detail={"list": [r.pk for r in page]},
        )
    errors = errors or {}
    for report in page:
        report.register_form = errors.get(("register", report.pk)) or RegisterForm(
            auto_id=f"id_r{report.pk}_%s"
        )
        report.dismiss_form = errors.get(("dismiss", report.pk)) or DismissForm(
            auto_id=f"id_d{report.pk}_%s"
        )
    return render(request, "cases/intake_reports.html", {"page": page}, status=status)


@login_required
def intake_report_list(request):
    return _page(request)


@login_required
@require_POST
def intake_report_register_view(request, pk: int):
    report = _report(request, pk)
    form = RegisterForm(request.POST, auto_id=f"id_r{pk}_%s")
    if form.is_valid():
        case = (
            scoped(Case.objects.all(), request.user, perm="cases.view_case", area_field="area")
            .filter(number=form.cleaned_data["case_number"].strip())
            .first()
        )
        if case is None:
            form.add_error("case_number", _("No case with this number in your area."))
        else:
            try:
                intake.intake_report_register(by=request.user, report=report, case=case)
            except (ValidationError, PermissionDenied) as refused:
                form.add_error(None, " ".join(getattr(refused, "messages", [str(refused)])))
            else:
                messages.success(
                    request,
                    _("Report %(ref)s registered as case %(n)s. Next step: %(next)s")
                    % {"ref": report.reference, "n": case.number, "next": next_step(case)},
                )
                return redirect("cases:intake_reports")
    return _page(request, status=400, errors={("register", pk): form})


@login_required
@require_POST
def intake_report_dismiss_view(request, pk: int):
    report = _report(request, pk)
    form = DismissForm(request.POST, auto_id=f"id_d{pk}_%s")
    if form.is_valid():
        try:
            intake.intake_report_dismiss(
                by=request.user, report=report, reason=form.cleaned_data["reason"]
            )
        except ValidationError as refused:
            form.add_error(None, " ".join(refused.messages))
        else:
            messages.success(
                request,
                _("Report %(ref)s dismissed. It stays in the intake history with the reason.")
                % {"ref": report.reference},
            )
            return redirect("cases:intake_reports")
    return _page(request, status=400, errors={("dismiss", pk): form})
