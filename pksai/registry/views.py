"""Registry imports in the browser: upload an extract, watch it run, download the rejected
rows. The import itself runs in the background worker (pksai.registry.tasks)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from pksai.accounts.scoping import require_perm
from pksai.audit.personal_exports import PersonalExport, export_purpose
from pksai.registry import layouts, selectors, services
from pksai.registry.models import ImportBatch
from pksai.registry.reasons import render_reason, report_csv

FINISHED = (ImportBatch.Status.DONE, ImportBatch.Status.FAILED)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Extract (CSV, XLSX or Parquet)"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(services.EXTRACT_SUFFIXES)}),
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=50,
        help_text=_("The registry the file comes from, e.g. DTKS, DTSEN or a school's data."),
    )
    edition = forms.CharField(
        label=_("Edition (optional)"),
        max_length=10,
        required=False,
        help_text=_(
            "Month of the extract, e.g. 2026-09. People of the regencies in the file who are "
            "missing from a newer edition are kept, marked as no longer in the registry."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "2026-09"}),
    )
    layout = forms.ChoiceField(
        label=_("Layout"),
        required=False,
        initial="auto",
        choices=lambda: [
            ("auto", _("Recognise from the header row")),
            ("none", _("PKSAI exchange format")),
            *[(name, f"{name} — {title}") for name, title in layouts.choices()],
        ],
        help_text=_(
            "Official national registry extracts (DTKS, Regsosek/DTSEN) are recognised by "
            "their column names: no mapping needed."
        ),
    )
    mapping = forms.FileField(
        label=_("Mapping (YAML, optional)"),
        required=False,
        help_text=_("Only when the file uses the office's own column names or codes."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(services.MAPPING_SUFFIXES)}),
    )


def _reader_language(request) -> str:
    """The requester's language (cookie, else Indonesian); ``?lang=en`` for one download."""
    lang = request.GET.get("lang") or translation.get_language()
    return lang if lang in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _warnings(batch: ImportBatch) -> list[str]:
    """The batch's warnings (stored as reason codes + params) in the reader's language."""
    out = []
    for warning in getattr(batch, "warnings", None) or []:
        if isinstance(warning, dict):
            out.append(render_reason(warning.get("code", ""), warning.get("params") or {}))
        else:
            out.append(str(warning))
    return out


def _progress_context(batch: ImportBatch) -> dict:
    scoring = batch.scoring in (ImportBatch.Scoring.QUEUED, ImportBatch.Scoring.RUNNING)
    return {
        "batch": batch,
        "polling": batch.status not in FINISHED or scoring,
        "warnings": _warnings(batch),
    }


@login_required
@require_http_methods(["GET", "POST"])
def import_list(request):
    services.recover_stale_batches()
    batches = selectors.import_batch_list(user=request.user)
    can_upload = request.user.has_perm(selectors.ADD_IMPORT)
    form = ImportUploadForm() if can_upload else None
    if request.method == "POST":
        require_perm(request.user, selectors.ADD_IMPORT)
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                batch = services.registry_import_enqueue(
                    upload=form.cleaned_data["file"],
                    source=form.cleaned_data["source"],
                    edition=form.cleaned_data["edition"],
                    mapping_upload=form.cleaned_data["mapping"],
                    layout=form.cleaned_data["layout"],
                    by=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect("registry:import_detail", pk=batch.pk)
    page = Paginator(batches, 50).get_page(request.GET.get("page"))
    return render(request, "registry/import_list.html", {"page": page, "form": form})


@login_required
@require_GET
def import_detail(request, pk: int):
    services.recover_stale_batches()
    batch = selectors.import_batch_get(user=request.user, pk=pk)
    return render(request, "registry/import_detail.html", _progress_context(batch))


@login_required
@require_GET
def import_progress(request, pk: int):
    """The progress block alone, polled by htmx until the batch is done or failed."""
    batch = selectors.import_batch_get(user=request.user, pk=pk)
    return render(request, "registry/_import_progress.html", _progress_context(batch))


@login_required
@require_GET
def import_errors(request, pk: int):
    """The rejected cells (names, NIKs): a stated purpose, audited; the CSV is read by
    machines, so the watermark travels in the header."""
    batch = selectors.import_batch_get(user=request.user, pk=pk)
    try:
        export = PersonalExport(user=request.user, purpose=export_purpose(request.GET))
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("registry:import_detail", pk=batch.pk)
    with translation.override(_reader_language(request)):
        report = services.import_batch_error_report(batch=batch, export=export)
        response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-errors.csv"'
    return export.stamp_response(response)
