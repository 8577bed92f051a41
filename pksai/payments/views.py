"""Payment pages for program officers: cycles per program with their reconciliation, a
cycle's page (reconciliation and discrepancies, the entitlements in the user's areas, payer
batches with their versions and differences, export, download, return files) and a
beneficiary's membership card.

Thin: reads through selectors (an entitlement or card outside the user's areas is a 404),
writes through services. A refused write shows the page again with the reason (400). Pages
showing people are audited; a batch download is audited as an export."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from pksai.accounts.scoping import get_visible_or_404, require_perm
from pksai.audit.personal_exports import PersonalExport, export_purpose
from pksai.audit.services import audit_record
from pksai.messaging import services as messaging
from pksai.messaging.forms import BeneficiaryConsentForm, channel_label
from pksai.messaging.models import ContactConsent
from pksai.messaging.selectors import beneficiary_consents
from pksai.payments import savings, selectors, services
from pksai.payments.forms import CycleForm, DeliveryForm, ExportForm, ItemsRecordForm, ReturnForm
from pksai.payments.models import Channel, Entitlement, InKindItem, PayerBatch, PaymentCycle
from pksai.registry.importer import ExtractError

CYCLES_PAGE_SIZE = 24
PAGE_SIZE = 50
ITEMS_PAGE_SIZE = 50
SHOWN_ERRORS = 200
FILES = {
    "csv": ("text/csv; charset=utf-8", services.batch_csv),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        services.batch_xlsx,
    ),
}


# who records a family's consent to be contacted: staff who may change beneficiaries
CONSENT_MANAGE = "programs.change_beneficiary"


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- cycles ----------------------------------------------------------------------------


def _cycles_page(request, *, form: CycleForm | None = None, status: int = 200):
    program_code = request.GET.get("program", "")
    programs = list(selectors.payment_programs())
    program = next((p for p in programs if p.code == program_code), None)
    page = Paginator(
        selectors.cycle_list(user=request.user, program=program), CYCLES_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    for cycle in page:
        cycle.rec = services.reconcile(cycle)
    if form is None and request.user.has_perm(services.MANAGE):
        form = CycleForm()
    return render(
        request,
        "payments/cycles.html",
        {"page": page, "programs": programs, "program": program, "form": form},
        status=status,
    )


@login_required
def cycles(request):
    return _cycles_page(request)


@login_required
@require_POST
def cycle_generate(request):
    require_perm(request.user, services.MANAGE)
    form = CycleForm(request.POST)
    if form.is_valid():
        try:
            cycle = services.cycle_generate(
                by=request.user,
                program=form.cleaned_data["program"],
                period=form.cleaned_data["period"],
            )
        except ValidationError as error:
            form.add_error(None, _messages(error))
        else:
            messages.success(
                request,
                _("Cycle %(cycle)s generated. Next step: export the payer file.")
                % {"cycle": cycle},
            )
            return redirect("payments:cycle", pk=cycle.pk)
    return _cycles_page(request, form=form, status=400)


# --- one cycle -------------------------------------------------------------------------


def _filters(request) -> dict:
    g = request.GET
    status = g.get("status", "")
    return {
        "status": status if status in Entitlement.Status.values else "",
        "late": g.get("late") == "1",
        "bundled": g.get("bundled") == "1",
    }


def _query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _batches(request, cycle: PaymentCycle) -> list[PayerBatch]:
    batches = list(selectors.batch_list(user=request.user, cycle=cycle))
    for newer, older in zip(batches, batches[1:], strict=False):
        newer.diff = services.batch_diff(older, newer)
        newer.previous = older
    return batches


def _cycle_page(
    request,
    cycle: PaymentCycle,
    *,
    export_form: ExportForm | None = None,
    import_for: PayerBatch | None = None,
    import_form: ReturnForm | None = None,
    result=None,
    import_error: str = "",
    items_form: ItemsRecordForm | None = None,
    extra: dict | None = None,
    status: int = 200,
):
    filters = _filters(request)
    qs = selectors.entitlement_search(user=request.user, cycle=cycle, **filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    if page.object_list:
        audit_record(
            action="view",
            actor=request.user,
            object_type="payments.entitlement",
            detail={"cycle": cycle.pk, "list": [e.pk for e in page], "filters": filters},
        )
    can_manage = request.user.has_perm(services.MANAGE)
    context = {
        "cycle": cycle,
        "rec": services.reconcile(cycle),
        "page": page,
        "filters": filters,
        "statuses": Entitlement.Status.choices,
        "query": _query(request),
        "batches": _batches(request, cycle),
        "can_manage": can_manage,
        "export_form": export_form or (ExportForm() if can_manage else None),
        "import_for": import_for,
        "import_form": import_form,
        "result": result,
        "import_error": import_error,
        **_items_context(request, cycle, items_form),
        "can_deposit": cycle.program.code == savings.PKSA
        and request.user.has_perm(savings.MOVE_MONEY),
        **(extra or {}),
    }
    if result is not None:
        context["errors"] = result.errors.head(SHOWN_ERRORS).to_dicts()
        context["errors_hidden"] = max(result.errors.height - SHOWN_ERRORS, 0)
    return render(request, "payments/cycle.html", context, status=status)


def _items_context(request, cycle: PaymentCycle, form: ItemsRecordForm | None) -> dict:
    """The cycle's in-kind items in the user's areas (filtered by status, paginated with their
    own page parameter), audited like the entitlements; nothing for a role without them."""
    if not request.user.has_perm(selectors.VIEW_ITEMS) or not cycle.items.exists():
        return {"show_items": False}
    status = request.GET.get("item_status", "")
    status = status if status in InKindItem.Status.values else ""
    qs = selectors.in_kind_item_search(user=request.user, cycle=cycle, status=status)
    page = Paginator(qs, ITEMS_PAGE_SIZE).get_page(request.GET.get("items_page"))
    if page.object_list:
        audit_record(
            action="view",
            actor=request.user,
            object_type="payments.inkinditem",
            detail={"cycle": cycle.pk, "list": [i.pk for i in page], "status": status},
        )
    can_record = request.user.has_perm(services.RECORD_ITEMS)
    return {
        "show_items": True,
        "items_page": page,
        "item_status": status,
        "item_statuses": InKindItem.Status.choices,
        "items_form": form or (ItemsRecordForm() if can_record else None),
    }


@login_required
def cycle_detail(request, pk: int):
    cycle = selectors.cycle_get(user=request.user, pk=pk)
    return _cycle_page(request, cycle)


@login_required
@require_POST
def batch_export(request, pk: int):
    cycle = selectors.cycle_get(user=request.user, pk=pk)
    require_perm(request.user, services.MANAGE)
    form = ExportForm(request.POST)
    if form.is_valid():
        try:
            batch = services.batch_export(
                by=request.user, cycle=cycle, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            form.add_error(None, _messages(error))
        else:
            messages.success(
                request,
                _(
                    "Payer file %(ref)s exported: %(rows)s lines. Next step: send it to the "
                    "payer and import their return file here."
                )
                % {"ref": batch.reference, "rows": batch.rows},
            )
            return redirect("payments:cycle", pk=cycle.pk)
    return _cycle_page(request, cycle, export_form=form, status=400)


@login_required
def batch_file(request, pk: int):
    """The batch in the payer format (CSV with its SHA-256 in a header, or XLSX)."""
    batch = selectors.batch_file_get(user=request.user, pk=pk)
    fmt = request.GET.get("format", "csv")
    if fmt not in FILES:
        raise Http404("Unknown format.")
    try:  # names, NIKs, addresses: a stated purpose, audited
        export = PersonalExport(user=request.user, purpose=export_purpose(request.GET))
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("payments:cycle", batch.cycle_id)
    content_type, render_file = FILES[fmt]
    content = render_file(batch)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{batch.reference}.{fmt}"
    )
    if fmt == "csv":
        response["X-Checksum-SHA256"] = batch.checksum
    export.audit(obj=batch, detail={"format": fmt, "rows": batch.rows, "checksum": batch.checksum})
    # the payer's file must stay byte-exact (its checksum): the watermark is in the header only
    return export.stamp_response(response)


@login_required
@require_POST
def batch_return(request, pk: int):
    """Import the payer's return file of a batch: counts and the rejected cells (400 when a
    row was rejected; the good rows are applied)."""
    batch = selectors.batch_get(user=request.user, pk=pk)
    cycle = batch.cycle
    require_perm(request.user, services.MANAGE)
    form = ReturnForm(request.POST, request.FILES)
    if not form.is_valid():
        return _cycle_page(request, cycle, import_for=batch, import_form=form, status=400)
    upload = form.cleaned_data["file"]
    suffix = Path(upload.name or "").suffix.lower()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"return{suffix}"
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            result = services.returns_import(by=request.user, batch=batch, path=path)
    except (ExtractError, ValidationError) as error:
        message = _messages(error) if isinstance(error, ValidationError) else str(error)
        return _cycle_page(
            request, cycle, import_for=batch, import_form=form, import_error=message, status=400
        )
    return _cycle_page(
        request,
        cycle,
        import_for=batch,
        import_form=ReturnForm(),
        result=result,
        status=400 if result.rejected else 200,
    )


@login_required
@require_POST
def items_record(request, pk: int):
    """Record the selected in-kind items of the cycle as delivered (date, by whom) or not
    delivered (why). Only items in the user's areas change (the service scopes them); the
    number changed is shown. A refusal shows the page again with the reason (400)."""
    cycle = selectors.cycle_get(user=request.user, pk=pk)
    require_perm(request.user, services.RECORD_ITEMS)
    form = ItemsRecordForm(request.POST)
    ids = [int(i) for i in request.POST.getlist("item") if i.isdigit()]
    if form.is_valid():
        if not ids:
            form.add_error(None, _("Select the items to record."))
        else:
            data = form.cleaned_data
            try:
                changed = services.in_kind_record(
                    by=request.user,
                    items=cycle.items.filter(pk__in=ids),
                    delivered=data["outcome"] == "delivered",
                    on=data["on"],
                    delivered_by=data["delivered_by"],
                    reason=data["reason"],
                )
            except ValidationError as error:
                form.add_error(None, _messages(error))
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(n)s in-kind item recorded.", "%(n)s in-kind items recorded.", changed
                    )
                    % {"n": changed},
                )
                return redirect("payments:cycle", pk=cycle.pk)
    return _cycle_page(request, cycle, items_form=form, status=400)


# --- the membership card ---------------------------------------------------------------


@login_required
def card(request, pk: int):
    beneficiary = selectors.beneficiary_for_card(user=request.user, pk=pk)
    rows = services.card_ledger(beneficiary)
    audit_record(
        action="view",
        actor=request.user,
        obj=beneficiary,
        detail={"card": True, "payments": len(rows)},
    )
    return _card_page(request, beneficiary, rows)


def _card_page(request, beneficiary, rows, *, form=None, consent_form=None, status: int = 200):
    preference = getattr(beneficiary, "delivery_preference", None)
    if form is None and request.user.has_perm(services.MANAGE):
        form = DeliveryForm(
            initial={"channel": preference.channel if preference else Channel.POST_HOME}
        )
    may_consent = request.user.has_perm(CONSENT_MANAGE)
    if consent_form is None and may_consent:
        consent_form = BeneficiaryConsentForm()
    return render(
        request,
        "payments/card.html",
        {
            "beneficiary": beneficiary,
            "rows": rows,
            "total": sum(r.amount for r in rows),
            "preference": preference,
            "delivery_form": form,
            "consents": [
                (row, channel_label(row.channel)) for row in beneficiary_consents(beneficiary)
            ],
            "consent_form": consent_form,
            "may_consent": may_consent,
        },
        status=status,
    )


@login_required
@require_POST
def delivery_set(request, pk: int):
    """How the post office delivers this beneficiary's cash from the next cycle on."""
    require_perm(request.user, services.MANAGE)
    beneficiary = selectors.beneficiary_for_card(user=request.user, pk=pk)
    form = DeliveryForm(request.POST)
    if form.is_valid():
        try:
            services.delivery_preference_set(
                by=request.user,
                beneficiary=beneficiary,
                channel=form.cleaned_data["channel"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, _messages(error))
        else:
            messages.success(
                request,
                _("Delivery channel recorded. It applies from the next payment cycle."),
            )
            return redirect("payments:card", pk=beneficiary.pk)
    rows = services.card_ledger(beneficiary)
    return _card_page(request, beneficiary, rows, form=form, status=400)


# --- consent to be contacted (issue 20): recorded by staff on the card ----------------------


@login_required
@require_POST
def consents(request, pk: int):
    """Record a family's consent to be contacted, or (``withdraw`` = a consent id of this
    beneficiary) its withdrawal. Staff who may change beneficiaries; the beneficiary in scope."""
    require_perm(request.user, CONSENT_MANAGE)
    beneficiary = selectors.beneficiary_for_card(user=request.user, pk=pk)
    if "withdraw" in request.POST:
        try:
            consent_id = int(request.POST["withdraw"])
        except ValueError:
            raise Http404 from None
        consent = get_visible_or_404(
            ContactConsent.objects.filter(beneficiary=beneficiary),
            base=ContactConsent.objects.all(),
            pk=consent_id,
        )
        messaging.beneficiary_consent_withdraw(by=request.user, consent=consent)
        messages.success(
            request,
            _("Consent withdrawn: no more messages go to that number on that channel."),
        )
        return redirect(f"{reverse('payments:card', args=[beneficiary.pk])}#consents")
    form = BeneficiaryConsentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        messaging.beneficiary_consent_give(
            by=request.user,
            beneficiary=beneficiary,
            phone=data["phone"],
            channel=data["channel"],
            purpose=data["purpose"],
            given_by=data["given_by"],
            language=data["language"],
        )
        messages.success(
            request, _("Consent recorded: messages about it can now go to that number.")
        )
        return redirect(f"{reverse('payments:card', args=[beneficiary.pk])}#consents")
    rows = services.card_ledger(beneficiary)
    return _card_page(request, beneficiary, rows, consent_form=form, status=400)
