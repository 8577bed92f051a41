"""Program pages for program officers: programs with benefits and quotas, nominations (with
the bulk nomination from the vulnerability database), a nomination's profile, sub-program
choice and enrolment, selection rounds (run, verify, exclude, approve, decree, enrol) and
beneficiaries; and the case staff's "nominate the case's child" button.

Thin: reads through selectors (scope; a record out of scope is a 404), writes through services.
A refused write shows the page again with the reason (400). Every page showing people is
audited."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from pksai.accounts.four_eyes import SelfApprovalRefused
from pksai.accounts.scoping import require_perm
from pksai.areas.forms import AreaFilterForm
from pksai.audit.personal_exports import PersonalExport, export_purpose
from pksai.audit.services import audit_record
from pksai.cases import selectors as case_selectors
from pksai.cases.services import ConflictError
from pksai.core import files
from pksai.programs import exports, selectors, services
from pksai.programs.forms import (
    ApproveForm,
    ChooseForm,
    ExcludeForm,
    FromVulnerabilityForm,
    NominateCaseForm,
    ProfileForm,
    RoundForm,
    StartDateForm,
    VerifyForm,
)
from pksai.programs.models import Beneficiary, Nomination, SelectionRound

PAGE_SIZE = 50
ROUND_PAGE_SIZE = 100
EXPORTS = {
    "pdf": ("application/pdf", exports.decree_pdf),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        exports.decree_xlsx,
    ),
}


def _year(value) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _query(request, *drop: str) -> str:
    query = request.GET.copy()
    for key in ("page", *drop):
        query.pop(key, None)
    return query.urlencode()


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- programs ------------------------------------------------------------------------


@login_required
def index(request):
    """Programs and sub-programs with the benefit valid today, and the quotas of the year in
    the user's areas."""
    year = _year(request.GET.get("year"))
    programs = selectors.program_tree(user=request.user)
    benefits = selectors.current_benefits(timezone.localdate())
    quotas: dict[int, list] = {}
    for quota in selectors.quota_list(user=request.user, year=year):
        quotas.setdefault(quota.program_id, []).append(quota)
    for program in programs:
        program.benefit = benefits.get(program.pk)
        program.year_quotas = quotas.get(program.pk, [])
        for sub in program.subs:
            sub.benefit = benefits.get(sub.pk)
    return render(
        request, "programs/index.html", {"programs": programs, "year": year, "years": _years(year)}
    )


def _years(year: int) -> list[int]:
    this = timezone.localdate().year
    return sorted({this + 1, this, this - 1, this - 2, year}, reverse=True)


# --- nominations ---------------------------------------------------------------------


def _nominations_page(request, program, year: int, *, form=None, status: int = 200):
    g = request.GET
    area_filter = AreaFilterForm(g, user=request.user)
    filters = {
        "area": area_filter.filter_code,
        "flag": g.get("flag", ""),
        "source": g.get("source", ""),
    }
    qs = selectors.nomination_search(user=request.user, program=program, year=year, **filters)
    page = Paginator(qs, PAGE_SIZE).get_page(g.get("page"))
    names = selectors.program_names()
    for nomination in page:
        nomination.match_names = [names.get(code, code) for code in nomination.matches]
    if page.object_list:
        audit_record(
            action="view",
            actor=request.user,
            object_type="programs.nomination",
            detail={
                "list": [n.pk for n in page],
                "program": program.code,
                "year": year,
                "filters": filters,
            },
        )
    if form is None and request.user.has_perm(services.NOMINATE):
        form = FromVulnerabilityForm(user=request.user, initial={"year": year})
    return render(
        request,
        "programs/nominations.html",
        {
            "program": program,
            "year": year,
            "years": _years(year),
            "page": page,
            "filters": filters,
            "area_filter": area_filter,
            "flags": [
                ("duplicate", _("possible duplicate")),
                ("other_assistance", _("receives other assistance")),
                ("several", _("several sub-programs")),
            ],
            "sources": Nomination.Source.choices,
            "query": _query(request),
            "form": form,
        },
        status=status,
    )


@login_required
def nominations(request, code: str):
    program = selectors.program_get(user=request.user, code=code, top_level=True)
    return _nominations_page(request, program, _year(request.GET.get("year")))


@login_required
@require_POST
def nominate_from_vulnerability(request, code: str):
    """Nominate every child of an area at the chosen risk levels (people already nominated
    stay as they are)."""
    program = selectors.program_get(user=request.user, code=code, top_level=True)
    require_perm(request.user, services.NOMINATE)
    form = FromVulnerabilityForm(request.POST, user=request.user)
    year = _year(request.POST.get("year"))
    if form.is_valid():
        data = form.cleaned_data
        try:
            added = services.nominate_from_vulnerability(
                by=request.user,
                program=program,
                year=data["year"],
                area_code=data["area"],
                risk_levels=tuple(data["risk_levels"]),
            )
        except ValidationError as error:
            form.add_error(None, _messages(error))
        else:
            messages.success(
                request,
                ngettext(
                    "%(n)s child nominated from the vulnerability database. Next step: a "
                    "selection round.",
                    "%(n)s children nominated from the vulnerability database. Next step: a "
                    "selection round.",
                    added,
                )
                % {"n": added},
            )
            target = reverse("programs:nominations", args=[program.code])
            return redirect(f"{target}?year={data['year']}&area={data['area']}")
    return _nominations_page(request, program, year, form=form, status=400)


def _nomination_context(request, nomination: Nomination, **extra) -> dict:
    names = selectors.program_names()
    subs = selectors.subprograms(nomination.program)
    matches = list(nomination.matches or [])
    several = len(matches) > 1
    options = [(code, names.get(code, code)) for code in matches] if matches else []
    options = options or [(p.code, p.name) for p in subs]
    context = {
        "nomination": nomination,
        "person": nomination.person,
        "match_names": [names.get(code, code) for code in matches],
        "several": several,
        "profile_form": extra.get("profile_form") or ProfileForm.for_nomination(nomination),
        "enrol_form": extra.get("enrol_form")
        or StartDateForm(initial={"start_date": timezone.localdate()}),
        "entries": list(selectors.nomination_rounds(nomination)),
        "beneficiary": selectors.nomination_beneficiary(nomination),
        "error": extra.get("error"),
        "choose_form": None,
    }
    context["can_enrol"] = request.user.has_perm(services.ENROL) and (
        context["beneficiary"] is None or context["beneficiary"].status != Beneficiary.Status.ACTIVE
    )
    if subs and (several or not matches):
        context["choose_form"] = extra.get("choose_form") or ChooseForm(
            options=options,
            reason_required=several,
            initial={"subprogram": nomination.chosen.code if nomination.chosen_id else ""},
        )
    return context


@login_required
def nomination_detail(request, pk: int):
    nomination = selectors.nomination_get(user=request.user, pk=pk)
    audit_record(action="view", actor=request.user, obj=nomination)
    return render(request, "programs/nomination.html", _nomination_context(request, nomination))


def _nomination_refused(request, pk: int, error: ValidationError, **forms):
    """The nomination page again with the reason and the user's input (400); audited."""
    nomination = selectors.nomination_get(user=request.user, pk=pk)
    audit_record(action="view", actor=request.user, obj=nomination)
    context = _nomination_context(request, nomination, error=_messages(error), **forms)
    return render(request, "programs/nomination.html", context, status=400)


@login_required
@require_POST
def nomination_profile(request, pk: int):
    """Edit the enumerator's profile: nominating the same person again updates it."""
    nomination = selectors.nomination_get(user=request.user, pk=pk)
    form = ProfileForm(request.POST)
    if not form.is_valid():
        return _nomination_refused(
            request, pk, ValidationError(_("Check the profile.")), profile_form=form
        )
    profile = {k: v for k, v in form.cleaned_data.items() if k != "version"}
    try:
        services.nomination_profile_update(
            by=request.user,
            nomination=nomination,
            expected_version=form.cleaned_data["version"],
            profile=profile,
        )
    except ValidationError as error:  # a ConflictError is one: 409 below
        status = 409 if isinstance(error, ConflictError) else 400
        response = _nomination_refused(request, pk, error, profile_form=form)
        response.status_code = status
        return response
    messages.success(
        request,
        _("Profile of %(name)s saved. Next step: the selection round scores it.")
        % {"name": nomination.person.name},
    )
    return redirect("programs:nomination", pk)


@login_required
@require_POST
def nomination_choose(request, pk: int):
    nomination = selectors.nomination_get(user=request.user, pk=pk)
    context = _nomination_context(request, nomination)
    if context["choose_form"] is None:
        return _nomination_refused(request, pk, ValidationError(_("There is nothing to choose.")))
    form = ChooseForm(
        request.POST,
        options=context["choose_form"].fields["subprogram"].choices[1:],
        reason_required=context["several"],
    )
    if not form.is_valid():
        return _nomination_refused(
            request,
            pk,
            ValidationError(_("Choose the sub-program and give the reason.")),
            choose_form=form,
        )
    code = form.cleaned_data["subprogram"]
    subprogram = next(p for p in selectors.subprograms(nomination.program) if p.code == code)
    try:
        services.nomination_choose(
            by=request.user,
            nomination=nomination,
            subprogram=subprogram,
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        return _nomination_refused(request, pk, error, choose_form=form)
    messages.success(
        request,
        _("Sub-program chosen: %(p)s. Next step: enrol %(name)s.")
        % {"p": subprogram.name, "name": nomination.person.name},
    )
    return redirect("programs:nomination", pk)


@login_required
@require_POST
def nomination_enrol(request, pk: int):
    """Enrol one nominee; refusals (emergency action first, sub-program to choose, already a
    beneficiary) are shown on the page with status 400."""
    nomination = selectors.nomination_get(user=request.user, pk=pk)
    require_perm(request.user, services.ENROL)
    form = StartDateForm(request.POST)
    if not form.is_valid():
        return _nomination_refused(
            request, pk, ValidationError(_("Give the start date.")), enrol_form=form
        )
    try:
        beneficiary = services.enrol(
            by=request.user, nomination=nomination, start_date=form.cleaned_data["start_date"]
        )
    except ValidationError as error:
        return _nomination_refused(request, pk, error, enrol_form=form)
    messages.success(
        request,
        _("%(name)s is enrolled in %(p)s from %(d)s. The next payment cycle includes the benefit.")
        % {
            "name": nomination.person.name,
            "p": beneficiary.program.name,
            "d": date_format(beneficiary.start_date, "DATE_FORMAT"),
        },
    )
    return redirect("programs:nomination", pk)


# --- selection rounds ----------------------------------------------------------------


@login_required
def rounds(request, code: str):
    require_perm(request.user, selectors.VIEW_ROUND)
    program = selectors.program_get(user=request.user, code=code, top_level=True)
    year = request.GET.get("year", "")
    qs = selectors.round_list_for(
        user=request.user, program=program, year=_year(year) if year else None
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "programs/rounds.html",
        {"program": program, "page": page, "year": year, "query": _query(request)},
    )


@login_required
def round_new(request):
    """Score, rank and select the nominees of a program, year and area."""
    require_perm(request.user, services.RUN_ROUND)
    programs = selectors.program_tree(user=request.user)
    g = request.GET
    initial = {"program": g.get("program", ""), "area": g.get("area", "")}
    if g.get("year"):
        initial["year"] = _year(g["year"])
    form = RoundForm(request.POST or None, user=request.user, programs=programs, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        program = next(p for p in programs if p.code == data["program"])
        try:
            result = services.round_run(
                by=request.user,
                program=program,
                year=data["year"],
                area_code=data["area"],
                places=data["places"],
                seed=data["seed"],
                sample_share=data["sample_share"],
            )
        except ValidationError as error:
            form.add_error(None, _messages(error))
        except PermissionDenied:  # the permission was checked above: the area
            form.add_error("area", _("This area is outside your area of work."))
        else:
            messages.success(
                request,
                _(
                    "Round done: %(n)s nominees, %(e)s eligible, %(s)s selected. Next step: "
                    "verify %(v)s of them in the field."
                )
                % {
                    "n": result.nominees,
                    "e": result.eligible,
                    "s": result.selected,
                    "v": result.sample,
                },
            )
            return redirect("programs:round", result.round.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "programs/round_new.html", {"form": form}, status=status)


def _round_get(request, pk: int) -> SelectionRound:
    """A round the user may see: lacking the permission is a 403, out of scope a 404."""
    require_perm(request.user, selectors.VIEW_ROUND)
    return selectors.round_get(user=request.user, pk=pk)


def _round_context(request, selection: SelectionRound, **extra) -> dict:
    user = request.user
    labels = selectors.round_labels(selection)
    names = selectors.program_names()
    page = Paginator(selectors.round_ranked(selection), ROUND_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    ineligible = Paginator(selectors.round_ineligible(selection), ROUND_PAGE_SIZE).get_page(
        request.GET.get("ipage")
    )
    for entry in page:
        entry.match_names = [names.get(c, c) for c in entry.nomination.matches or []]
    for entry in ineligible:
        entry.failed_labels = [labels.get(i, i) for i in entry.failed.split(";") if i]
    ranked = selection.status == SelectionRound.Status.RANKED
    may_approve = ranked and user.has_perm(services.APPROVE)
    # four eyes: who ran the round or changed its list is told so instead of offered the button
    refusal = services.round_approval_refusal(selection=selection, user=user) if may_approve else ""
    audit_record(
        action="view",
        actor=user,
        obj=selection,
        detail={"entries": [e.pk for e in page] + [e.pk for e in ineligible]},
    )
    return {
        "round": selection,
        "rules": selection.ruleset,
        "tiers": selectors.tier_labels(selection),
        "page": page,
        "ineligible": ineligible,
        "query": _query(request),
        "iquery": _query(request, "ipage"),
        "pending": selectors.round_pending_verification(selection),
        "can_change": ranked and user.has_perm(services.RUN_ROUND),
        "can_approve": may_approve and not refusal,
        "approval_refused": refusal,
        "can_enrol": not ranked and user.has_perm(services.ENROL),
        "verifications": VerifyForm.base_fields["result"].choices,
        "approve_form": extra.get("approve_form") or ApproveForm(),
        "enrol_form": extra.get("enrol_form")
        or StartDateForm(initial={"start_date": timezone.localdate()}),
        "enrol_result": extra.get("enrol_result"),
        "error": extra.get("error"),
    }


@login_required
def round_detail(request, pk: int):
    selection = _round_get(request, pk)
    extra = {}
    done = request.session.pop(f"round-enrol-{pk}", None)  # the result of an enrolment
    if done is not None:
        named = selectors.nominations_named(user=request.user, ids=[n for n, _r in done["waiting"]])
        waiting = [(named.get(n), n, reason) for n, reason in done["waiting"]]
        extra["enrol_result"] = {"enrolled": done["enrolled"], "waiting": waiting}
    return render(request, "programs/round.html", _round_context(request, selection, **extra))


def _round_refused(request, pk: int, error: ValidationError, *, status: int = 400, **extra):
    selection = _round_get(request, pk)
    context = _round_context(request, selection, error=_messages(error), **extra)
    return render(request, "programs/round.html", context, status=status)


@login_required
@require_POST
def entry_verify(request, pk: int, entry_pk: int):
    selection = _round_get(request, pk)
    entry = selectors.round_entry_get(selection, entry_pk)
    form = VerifyForm(request.POST)
    if not form.is_valid():
        return _round_refused(request, pk, ValidationError(_("Choose confirmed or not confirmed.")))
    try:
        services.entry_verify(
            by=request.user,
            entry=entry,
            result=form.cleaned_data["result"],
            notes=form.cleaned_data["notes"],
        )
    except ValidationError as error:
        return _round_refused(request, pk, error)
    messages.success(
        request,
        _(
            "Verification of %(name)s recorded. The list can be approved once every sampled "
            "nominee is verified."
        )
        % {"name": entry.nomination.person.name},
    )
    return redirect(reverse("programs:round", args=[pk]) + f"#entry-{entry.pk}")


@login_required
@require_POST
def entry_exclude(request, pk: int, entry_pk: int):
    """Take a selected nominee off the list with a reason; the next eligible takes the place."""
    selection = _round_get(request, pk)
    entry = selectors.round_entry_get(selection, entry_pk)
    form = ExcludeForm(request.POST)
    if not form.is_valid():
        return _round_refused(request, pk, ValidationError(_("Give a reason.")))
    try:
        successor = services.entry_exclude(
            by=request.user, entry=entry, reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        return _round_refused(request, pk, error)
    name = entry.nomination.person.name
    if successor is not None:
        successor = selectors.round_entry_get(selection, successor.pk)
        text = _("%(name)s was taken off the list; %(next)s (rank %(rank)s) takes the place.") % {
            "name": name,
            "next": successor.nomination.person.name,
            "rank": successor.rank,
        }
    else:
        text = _("%(name)s was taken off the list; nobody eligible is left to take the place.") % {
            "name": name
        }
    messages.success(request, text)
    return redirect("programs:round", pk)


@login_required
@require_POST
def round_approve(request, pk: int):
    selection = _round_get(request, pk)
    require_perm(request.user, services.APPROVE)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        return _round_refused(
            request,
            pk,
            ValidationError(_("Give the decree number and date.")),
            approve_form=form,
        )
    try:
        services.round_approve(
            by=request.user,
            selection=selection,
            decree_number=form.cleaned_data["decree_number"],
            decree_date=form.cleaned_data["decree_date"],
        )
    except SelfApprovalRefused as refused:  # four eyes: audited by the service
        return _round_refused(request, pk, ValidationError(refused.message), status=403)
    except ValidationError as error:
        return _round_refused(request, pk, error, approve_form=form)
    messages.success(
        request,
        _("The list is approved. Next step: enrol the selected nominees."),
    )
    return redirect("programs:round", pk)


@login_required
@require_POST
def round_enrol(request, pk: int):
    """Enrol the approved list; who cannot be enrolled yet is listed with the reason."""
    selection = _round_get(request, pk)
    require_perm(request.user, services.ENROL)
    form = StartDateForm(request.POST)
    if not form.is_valid():
        return _round_refused(
            request, pk, ValidationError(_("Give the start date.")), enrol_form=form
        )
    try:
        result = services.round_enrol(
            by=request.user, selection=selection, start_date=form.cleaned_data["start_date"]
        )
    except ValidationError as error:
        return _round_refused(request, pk, error, enrol_form=form)
    # post/redirect/get: the result is shown once on the round page
    request.session[f"round-enrol-{pk}"] = {
        "enrolled": result["enrolled"],
        "waiting": [(n, str(reason)) for n, reason in result["waiting"]],
    }
    return redirect("programs:round", pk)


@login_required
def round_decree(request, pk: int):
    """The approval list (decree annex) as PDF or XLSX; audited as an export."""
    selection = _round_get(request, pk)
    fmt = request.GET.get("format", "pdf")
    if fmt not in EXPORTS:
        raise Http404("Unknown format.")
    content_type, make = EXPORTS[fmt]
    try:  # names and NIKs: a stated purpose, audited and printed on the file
        export = PersonalExport(user=request.user, purpose=export_purpose(request.GET))
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("programs:round", pk)
    data = make(selection, export.watermark)
    export.audit(
        obj=selection,
        detail={"format": fmt, "decree": selection.decree_number, "selected": selection.selected},
    )
    name = f"decree-{selection.program.code}-{selection.year}-{selection.area_id}.{fmt}"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return export.stamp_response(response)


# --- beneficiaries -------------------------------------------------------------------


@login_required
def beneficiaries(request, code: str):
    program = selectors.program_get(user=request.user, code=code)
    status = request.GET.get("status", "")
    if status not in Beneficiary.Status.values:
        status = ""
    qs = selectors.beneficiary_search(user=request.user, program=program, status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    if page.object_list:
        audit_record(
            action="view",
            actor=request.user,
            object_type="programs.beneficiary",
            detail={"list": [b.pk for b in page], "program": program.code, "status": status},
        )
    return render(
        request,
        "programs/beneficiaries.html",
        {
            "program": program,
            "page": page,
            "status": status,
            "statuses": Beneficiary.Status.choices,
            "query": _query(request),
        },
    )


# --- from a case ---------------------------------------------------------------------


@login_required
@require_POST
def nominate_case(request, case_pk: int):
    """Case staff nominate the case's child for a program (refused while an immediate-response
    case waits for its emergency action); back to the case page with the outcome."""
    require_perm(request.user, services.NOMINATE)
    case = case_selectors.case_get(user=request.user, pk=case_pk)
    target = reverse("cases:detail", args=[case.pk])
    form = NominateCaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the program."))
        return redirect(target)
    try:
        program = selectors.program_get(
            user=request.user, code=form.cleaned_data["program"], top_level=True
        )
    except Http404:
        messages.error(request, _("Choose the program."))
        return redirect(target)
    year = form.cleaned_data["year"] or timezone.localdate().year
    try:
        services.nominate(
            by=request.user,
            program=program,
            year=year,
            person=case.child,
            source=Nomination.Source.CASE,
            case=case,
        )
    except ValidationError as error:
        messages.error(request, _messages(error))
    except PermissionDenied:  # the permission was checked above: the child's village
        messages.error(request, _("The child's village is outside your area of work."))
    else:
        messages.success(
            request,
            _(
                "%(child)s is nominated for %(program)s %(year)s. Next step: complete the "
                "nomination profile."
            )
            % {"child": case.child.name, "program": program.name, "year": year},
        )
    return redirect(target)


@login_required
def nomination_photo(request, pk: int):
    """GET: the nominee's photo (scoped, audited, never cached) — ``?inline=1`` for the
    nomination page's own <img> (audited as a view), otherwise a download of personal data
    that needs a stated purpose (audited with it; the image itself stays as uploaded, the
    watermark is in the header). POST: upload a new one."""
    nomination = selectors.nomination_get(user=request.user, pk=pk)
    if request.method == "POST":
        upload = request.FILES.get("photo")
        try:
            if upload is None:
                raise ValidationError(_("Choose the photo file."))
            services.nomination_photo_save(by=request.user, nomination=nomination, upload=upload)
        except ValidationError as error:
            return _nomination_refused(request, pk, error)
        messages.success(
            request,
            _("Photo of %(name)s saved.") % {"name": nomination.person.name},
        )
        return redirect("programs:nomination", pk)
    if not nomination.photo:
        raise Http404("no photo")
    stored = services.photo_name(nomination)
    if not files.exists(services.PHOTOS, stored):
        raise Http404("photo file missing")
    content_type = "image/png" if nomination.photo.endswith(".png") else "image/jpeg"
    if request.GET.get("inline") == "1":  # shown on the nomination page
        audit_record(action="view", actor=request.user, obj=nomination, detail={"photo": True})
        response = FileResponse(files.open_file(services.PHOTOS, stored), content_type=content_type)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
    try:  # a photo of a person leaving the system: a stated purpose, audited
        export = PersonalExport(user=request.user, purpose=export_purpose(request.GET))
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("programs:nomination", pk)
    export.audit(obj=nomination, detail={"photo": True, "format": content_type})
    response = FileResponse(
        files.open_file(services.PHOTOS, stored),
        as_attachment=True,
        filename=f"nomination-{nomination.pk}{Path(stored).suffix}",
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return export.stamp_response(response)
