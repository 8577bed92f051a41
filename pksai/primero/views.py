"""The case page's "Send to Primero" and the supervisors' "Import from Primero" page. Thin:
services.py does the exchange (synchronously: the user sees Primero's answer at once)."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pksai.accounts.scoping import require_perm
from pksai.cases.selectors import case_get
from pksai.primero import services
from pksai.primero.forms import ImportForm
from pksai.privacy.services import BasisMissing


@login_required
@require_POST
def case_send(request, pk: int):
    case = case_get(user=request.user, pk=pk)  # 404 outside the user's scope (audited)
    back = reverse("cases:detail", args=[case.pk])
    try:
        result = services.case_export(by=request.user, case_pk=case.pk)
    except BasisMissing as missing:
        messages.error(
            request,
            format_html(
                '{} <a href="{}">{}</a>', missing.messages[0], missing.record_url, _("Record it")
            ),
        )
    except (services.PrimeroError, ValidationError) as refused:
        messages.error(
            request,
            _("Nothing was sent to Primero: %(why)s")
            % {"why": "; ".join(getattr(refused, "messages", [str(refused)]))},
        )
    else:
        messages.success(
            request,
            _("Case %(number)s is in Primero as %(short_id)s.")
            % {"number": case.number, "short_id": result.case.primero.short_id},
        )
    return redirect(back + "#primero")


@login_required
def import_page(request):
    require_perm(request.user, services.IMPORT)
    form = ImportForm(request.POST or None)
    results, failed, status = [], [], 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                if form.cleaned_data["primero_id"]:
                    results = [
                        services.case_import(
                            by=request.user, primero_id=form.cleaned_data["primero_id"].strip()
                        )
                    ]
                else:
                    start = timezone.make_aware(
                        datetime.combine(form.cleaned_data["since"], time.min)
                    )
                    batch = services.cases_import_since(by=request.user, since=start)
                    results, failed = batch.imported, batch.failed
                status = 200
            except Http404:
                form.add_error(None, _("The PKSAI case linked to it is outside your area."))
            except (services.PrimeroError, ValidationError, PermissionDenied) as refused:
                form.add_error(
                    None,
                    _("Nothing was imported: %(why)s")
                    % {"why": "; ".join(getattr(refused, "messages", [str(refused)]))},
                )
    return render(
        request,
        "primero/import.html",
        {"form": form, "results": results, "failed": failed},
        status=status,
    )
