"""The public complaint pages: no account, Bahasa Indonesia first, phone-friendly, no script
needed. The form, the tracking-code status page and the rating of a resolution.

The spam guard: a honeypot field hidden by CSS (filled → refused quietly, nothing stored), a
signed start time (too fast or too old → refused with the reason), the request size, and the
rate limit per sender in services.complaint_submit_public (→ 429). The status page shows only
services.public_status: never a name, contact, description, area or staff member."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from pksai.core.client import client_address
from pksai.grievances import services
from pksai.grievances.forms import (
    PublicComplaintForm,
    RatingForm,
    StatusLookupForm,
    stamp_refusal,
)
from pksai.grievances.services import ComplaintInput, Throttled

MAX_BODY = 64 * 1024  # bytes: 4000 characters of description, URL-encoded, fit well within
RECEIVED_KEY = "pksai_complaint_received"


def _form_page(request, form, *, status: int = 200, refusal: str = "") -> HttpResponse:
    return render(
        request,
        "grievances/public_form.html",
        {"form": form, "refusal": refusal},
        status=status,
    )


def complaint_form(request):
    """The public form; on success the status page of the new tracking code."""
    if request.method != "POST":  # ?area= (or ?regency=, as links made before) fills the area
        area = request.GET.get("area") or request.GET.get("regency", "")
        return _form_page(request, PublicComplaintForm(initial={"area": area[:100]}))
    try:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        size = MAX_BODY + 1
    if size > MAX_BODY:
        return _form_page(
            request,
            PublicComplaintForm(),
            status=400,
            refusal=_("The complaint is too long to send. Shorten the description and try again."),
        )
    form = PublicComplaintForm(request.POST)
    if request.POST.get("website"):  # the honeypot: people never see it, robots fill it
        return render(request, "grievances/public_refused.html", status=400)
    refusal = stamp_refusal(request.POST.get("started", ""))
    if refusal:
        form = PublicComplaintForm(request.POST.copy())
        form.data["started"] = PublicComplaintForm().initial["started"]  # a fresh start time
        form.is_valid()
        return _form_page(request, form, status=400, refusal=refusal)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    data = form.cleaned_data
    try:
        complaint = services.complaint_submit_public(
            ComplaintInput(
                category=data["category"],
                description=data["description"],
                area_code=form.area_code(),
                anonymous=data["anonymous"],
                name=data["name"],
                phone=data["phone"],
                email=data["email"],
                about_staff=data["about_staff"],
            ),
            sender=client_address(request) or "unknown",
        )
    except Throttled:
        return render(request, "grievances/public_throttled.html", status=429)
    except ValidationError as error:
        form.add_service_errors(error)
        return _form_page(request, form, status=400)
    request.session[RECEIVED_KEY] = complaint.code
    return redirect("complaints_public:status", code=complaint.code)


@require_GET
def status_lookup(request):
    form = StatusLookupForm(request.GET or None)
    if form.is_bound and form.is_valid():
        code = form.cleaned_data["code"].strip().upper()
        if services.public_status(code) is not None:
            return redirect("complaints_public:status", code=code)
        form.add_error("code", _("No complaint has this tracking code. Check the code."))
    return render(
        request,
        "grievances/public_lookup.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


def status_page(request, code: str):
    """Status and public resolution of one tracking code; the rating form once resolved."""
    status = services.public_status(code[:20])
    if status is None:
        return render(
            request,
            "grievances/public_lookup.html",
            {"form": StatusLookupForm(), "unknown": True},
            status=404,
        )
    just_received = request.session.get(RECEIVED_KEY) == status.code
    if just_received and request.method == "GET":
        del request.session[RECEIVED_KEY]
    form = RatingForm(request.POST or None) if status.can_rate else None
    http_status = 200
    if request.method == "POST":
        if form is None:
            http_status = 400
        elif form.is_valid():
            try:
                services.complaint_rate(
                    code=status.code,
                    rating=form.cleaned_data["rating"],
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Thank you. Your rating was recorded."))
                return redirect("complaints_public:status", code=status.code)
        http_status = 400
    return render(
        request,
        "grievances/public_status.html",
        {"status": status, "form": form, "just_received": just_received},
        status=http_status,
    )
