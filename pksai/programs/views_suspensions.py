"""Suspensions of a beneficiary's benefit, from the facilitation beneficiary page: start one
(from, optional last day, reason) and end an open one (last day). The suspended days are left
out of the payment cycles generated from then on (pksai.programs.compliance).

Thin: the role is checked first (403 without programs.add_suspension / change_suspension),
then the beneficiary is read in the user's areas (404 outside them); the service checks again
and audits. A refusal shows the box again with the reason (400) and changes nothing."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from pksai.accounts.scoping import get_scoped_or_404, require_perm
from pksai.programs import compliance
from pksai.programs.models import Beneficiary, Suspension

END = "programs.change_suspension"
VIEW = "programs.view_beneficiary"


class SuspensionForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("Suspended from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("Until (last day, optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300)


class SuspensionEndForm(forms.Form):
    last_day = forms.DateField(
        label=gettext_lazy("Last day suspended"), widget=forms.DateInput(attrs={"type": "date"})
    )


def _beneficiary(user, pk: int) -> Beneficiary:
    return get_scoped_or_404(
        Beneficiary.objects.select_related("person", "program"), user, perm=VIEW, pk=pk
    )


def _box(request, b: Beneficiary, *, form=None, end_form=None, end_for=None, error="", status=400):
    """The suspensions box on its own page (after a refusal)."""
    return render(
        request,
        "programs/facilitation/suspensions.html",
        {
            "b": b,
            "suspension_form": form,
            "end_form": end_form,
            "end_for": end_for,
            "suspension_error": error,
        },
        status=status,
    )


@login_required
@require_POST
def suspension_start(request, pk: int):
    require_perm(request.user, compliance.SUSPEND)
    b = _beneficiary(request.user, pk)
    form = SuspensionForm(request.POST)
    if form.is_valid():
        try:
            compliance.suspension_start(by=request.user, beneficiary=b, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            messages.success(
                request,
                _(
                    "Benefit of %(name)s suspended. Payment cycles leave it out until the "
                    "suspension ends."
                )
                % {"name": b.person.name},
            )
            return redirect("facilitation:beneficiary", b.pk)
    return _box(request, b, form=form)


@login_required
@require_POST
def suspension_end(request, pk: int):
    require_perm(request.user, END)
    suspension = get_scoped_or_404(
        Suspension.objects.select_related("beneficiary__person"), request.user, perm=END, pk=pk
    )
    b = suspension.beneficiary
    form = SuspensionEndForm(request.POST)
    if form.is_valid():
        try:
            compliance.suspension_end(
                by=request.user, suspension=suspension, last_day=form.cleaned_data["last_day"]
            )
        except ValidationError as error:
            form.add_error(None, " ".join(error.messages))
        else:
            messages.success(
                request,
                _(
                    "Suspension of %(name)s ended. The benefit is paid again from the next "
                    "payment cycle."
                )
                % {"name": b.person.name},
            )
            return redirect("facilitation:beneficiary", b.pk)
    return _box(request, b, end_form=form, end_for=suspension.pk)
