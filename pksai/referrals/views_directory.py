"""The service-provider directory: search and filter, a provider's page, adding and editing a
provider (409 with the input kept when someone saved first), export and import as CSV/XLSX.

Reads go through selectors.provider_list / provider_get (the user's scope); writes through
pksai.referrals.directory.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from pksai.accounts.models import User
from pksai.accounts.scoping import require_perm, scope_for
from pksai.areas.forms import AreaFilterForm
from pksai.audit.personal_exports import PersonalExport, export_purpose
from pksai.audit.services import audit_record
from pksai.cases.services import ConflictError
from pksai.referrals import directory, selectors
from pksai.referrals.forms_directory import ImportForm, ProviderForm
from pksai.referrals.models import Provider, Sector, Service
from pksai.registry.importer import ExtractError

PAGE_SIZE = 50
SHOWN_ERRORS = 1000  # rejected cells listed on the result page; all are in the download
REJECTED_KEY = "providers_import_rejected"
EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": directory.XLSX_TYPE}


def _filters(request, area_filter: AreaFilterForm | None = None) -> dict:
    g = request.GET
    area_filter = area_filter or _area_filter(request)
    return {
        "q": g.get("q", "").strip(),
        "area": area_filter.filter_code,
        "sector": g.get("sector", "") if g.get("sector", "") in Sector.values else "",
        "service": g.get("service", "").strip(),
        "active_only": g.get("inactive") != "1",
    }


def _area_filter(request) -> AreaFilterForm:
    return AreaFilterForm(request.GET, user=request.user, label=_("Area served"))


def _query(request, drop: tuple[str, ...] = ("page",)) -> str:
    query = request.GET.copy()
    for key in drop:
        query.pop(key, None)
    return query.urlencode()


def _can_edit(user, provider: Provider) -> bool:
    return user.has_perm(directory.CHANGE) and scope_for(user).covers(provider.organisation.area_id)


def _can_import(user) -> bool:
    return user.has_perm(directory.ADD) and user.has_perm(directory.CHANGE)


@login_required
@require_GET
def provider_list(request):
    area_filter = _area_filter(request)
    filters = _filters(request, area_filter)
    qs = selectors.provider_list(user=request.user, **filters)  # 403 without view_provider
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    org_ids = [p.organisation_id for p in page]
    focal = dict(
        User.objects.filter(
            organisation_id__in=org_ids, groups__name="focal_person", is_active=True
        )
        .values("organisation_id")
        .annotate(n=Count("pk", distinct=True))
        .values_list("organisation_id", "n")
    )
    for provider in page:
        provider.focal_count = focal.get(provider.organisation_id, 0)
    return render(
        request,
        "referrals/directory/list.html",
        {
            "page": page,
            "filters": filters,
            "area_filter": area_filter,
            "sectors": Sector.choices,
            "services": Service.objects.filter(is_active=True),
            "export_params": [
                (key, value)
                for key, values in request.GET.lists()
                if key not in {"page", "format", "purpose"}
                for value in values
            ],
            "can_add": request.user.has_perm(directory.ADD),
            "can_import": _can_import(request.user),
        },
    )


def _get(request, pk: int) -> Provider:
    """A provider in the user's scope, else 404 (also without view_provider: a focal person
    must not learn which providers exist)."""
    return selectors.provider_get(user=request.user, pk=pk)


@login_required
@require_GET
def provider_detail(request, pk: int):
    provider = _get(request, pk)
    audit_record(action="view", actor=request.user, obj=provider)
    return render(
        request,
        "referrals/directory/detail.html",
        {
            "provider": provider,
            "organisation": provider.organisation,
            "focal_persons": selectors.focal_persons(provider).order_by("username"),
            "can_edit": _can_edit(request.user, provider),
        },
    )


def _save(request, form: ProviderForm, provider: Provider | None):
    """Validate and save; on a refusal, the form again with the input and the reason."""
    template = "referrals/directory/form.html"
    context = {"form": form, "provider": provider}
    if not form.is_valid():
        return render(request, template, context, status=400)
    try:
        saved = directory.provider_save(
            by=request.user,
            provider=provider,
            expected_version=form.cleaned_data.get("version"),
            **form.service_kwargs(),
        )
    except ConflictError as error:
        form.add_error(None, error.messages)
        return render(request, template, {**context, "conflict": True}, status=409)
    except ValidationError as error:
        form.add_service_errors(error)
        return render(request, template, context, status=400)
    messages.success(
        request,
        _("%(name)s saved. Case workers can refer to it when it serves their area.")
        % {"name": saved.organisation.name},
    )
    return redirect("providers:detail", pk=saved.pk)


@login_required
@require_http_methods(["GET", "POST"])
def provider_new(request):
    require_perm(request.user, directory.ADD)
    if request.method == "POST":
        return _save(request, ProviderForm(request.POST, user=request.user), None)
    initial = {"is_active": True}
    codes = scope_for(request.user).area_codes
    if len(codes) == 1:
        initial["area"] = codes[0]
    return render(
        request,
        "referrals/directory/form.html",
        {"form": ProviderForm(initial=initial, user=request.user), "provider": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def provider_edit(request, pk: int):
    require_perm(request.user, directory.CHANGE)
    provider = _get(request, pk)
    if not scope_for(request.user).covers(provider.organisation.area_id):
        # Visible (it serves the user's area) but kept by another district.
        raise PermissionDenied("provider outside the user's area scope")
    if request.method == "POST":
        form = ProviderForm(request.POST, user=request.user).with_inactive_services(provider)
        return _save(request, form, provider)
    form = ProviderForm.for_provider(provider, user=request.user).with_inactive_services(provider)
    return render(request, "referrals/directory/form.html", {"form": form, "provider": provider})


@login_required
@require_GET
def provider_export(request):
    """The filtered directory as CSV or XLSX. Contact persons' names and phones are personal
    data: a stated purpose, audited, the watermark in the XLSX print header and always in the
    response header."""
    fmt = request.GET.get("format", "csv")
    if fmt not in EXPORT_TYPES:
        fmt = "csv"
    filters = _filters(request)
    qs = selectors.provider_list(user=request.user, **filters)  # 403 without view_provider
    try:
        export = PersonalExport(user=request.user, purpose=export_purpose(request.GET))
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(f"{reverse('providers:list')}?{_query(request, ('format', 'purpose'))}")
    content = directory.provider_export(qs, fmt, watermark=export.watermark)
    export.audit(
        object_type="referrals.provider",
        detail={"format": fmt, "filters": filters, "rows": qs.count()},
    )
    response = HttpResponse(content, content_type=EXPORT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="providers.{fmt}"'
    return export.stamp_response(response)


@login_required
@require_http_methods(["GET", "POST"])
def provider_import(request):
    require_perm(request.user, directory.ADD)
    require_perm(request.user, directory.CHANGE)
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"form": form, "columns": directory.COLUMNS, "sectors": Sector.choices}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "referrals/directory/import.html", context, status=400)
        upload = form.cleaned_data["file"]
        try:
            result = directory.provider_import(by=request.user, file=upload, file_name=upload.name)
        except ExtractError as error:
            form.add_error("file", str(error))
            return render(request, "referrals/directory/import.html", context, status=400)
        if result.rejected:
            request.session[REJECTED_KEY] = result.rejected_csv()
        else:
            request.session.pop(REJECTED_KEY, None)
        context.update(
            result=result,
            file_name=upload.name,
            errors=result.errors.head(SHOWN_ERRORS).to_dicts(),
            errors_hidden=max(result.errors.height - SHOWN_ERRORS, 0),
            form=ImportForm(),
        )
    return render(request, "referrals/directory/import.html", context)


@login_required
@require_GET
def provider_import_rejected(request):
    """The rejected rows of the user's last import (row, the columns as read, reasons)."""
    require_perm(request.user, directory.ADD)
    content = request.session.get(REJECTED_KEY)
    if not content:
        raise Http404("No rejected rows.")
    audit_record(
        action="export",
        actor=request.user,
        object_type="referrals.provider",
        object_repr=_("Rejected rows of a provider import"),
        detail={"file": "providers-rejected.csv"},
    )
    response = HttpResponse(content.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="providers-rejected.csv"'
    return response
