"""Scoped read endpoints for registry people and households. Every read of personal data is
audited (the ids returned are recorded)."""

from datetime import date, datetime

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils import translation
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from pksai.accounts.scoping import require_perm
from pksai.audit.personal_exports import PersonalExport, export_purpose
from pksai.audit.services import audit_record
from pksai.core.paging import ApiPages
from pksai.registry import selectors, services
from pksai.registry.reasons import report_csv

router = Router()


class PersonOut(Schema):
    id: int
    source: str
    household_id: int
    household_key: str
    person_key: str
    village_code: str
    nik: str
    name: str
    sex: str
    birth_date: date
    relationship: str
    school_participation: str
    school_level: str
    disability_type: str
    disability_severity: str
    chronic_illness: bool | None
    work_status: str
    birth_certificate: bool | None
    orphanhood: str
    other_programs: str
    dq_flags: str

    @staticmethod
    def resolve_village_code(obj) -> str:
        return obj.village_id


class HouseholdOut(Schema):
    id: int
    source: str
    registry_id: str
    kk_number: str
    village_code: str
    address: str
    welfare_decile: int | None

    @staticmethod
    def resolve_village_code(obj) -> str:
        return obj.village_id


class PersonFilters(Schema):
    area: str | None = None
    sex: str | None = None
    born_after: date | None = None
    born_before: date | None = None
    nik: str | None = Field(
        None,
        description="Exact NIK, all 16 digits (NIKs are stored encrypted and found through a "
        "keyed hash: a part of a NIK finds no one).",
    )
    flag: str | None = None


class AuditedPagination(ApiPages):
    """Page through a queryset and record which personal records were returned."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        result = super().paginate_queryset(queryset, pagination, request, **params)
        audit_record(
            action="view",
            object_type=queryset.model._meta.label_lower,
            detail={
                "ids": [obj.pk for obj in result["items"]],
                "filters": {k: v for k, v in request.GET.items() if v},
            },
        )
        return result


@router.get("/people/", response=list[PersonOut], summary="People in the registry (scoped)")
@paginate(AuditedPagination)
def list_people(request, filters: Query[PersonFilters]):
    return selectors.person_list(user=request.auth, **filters.dict())


@router.get("/people/{pk}/", response=PersonOut, summary="One person (404 if out of scope)")
def get_person(request, pk: int):
    person = selectors.person_get(user=request.auth, pk=pk)
    audit_record(action="view", obj=person, object_repr=f"person {person.pk}")
    return person


@router.get("/households/", response=list[HouseholdOut], summary="Households (scoped)")
@paginate(AuditedPagination)
def list_households(request, area: str | None = None):
    return selectors.household_list(user=request.auth, area=area)


@router.get(
    "/households/{pk}/", response=HouseholdOut, summary="One household (404 if out of scope)"
)
def get_household(request, pk: int):
    household = selectors.household_get(user=request.auth, pk=pk)
    audit_record(action="view", obj=household)
    return household


class ImportBatchOut(Schema):
    id: int
    source: str
    edition: str
    coverage: list[str]
    file_name: str
    status: str
    progress: int
    message: str
    counts: dict[str, int]
    created_at: datetime
    finished_at: datetime | None
    error_report_url: str | None
    scoring: str = Field(
        description="Scoring of the people the import created or changed: '' (nothing to "
        "score), queued, running, done or failed."
    )
    scored: int
    chunks: int = Field(description="Parts of whole households the file is written in.")
    chunks_done: int = Field(
        description="Parts written so far (each in its own transaction). A failed import with "
        "parts written resumes when the same file is imported again."
    )
    rows_written: int = Field(description="Rows the parts written so far created or updated.")
    finished_by_id: int | None = Field(
        None, description="The import that finished this stopped one, if any."
    )

    @staticmethod
    def resolve_counts(obj) -> dict[str, int]:
        return obj.summary()

    @staticmethod
    def resolve_error_report_url(obj, context) -> str | None:
        if not obj.error_report:
            return None
        url = reverse("api:registry_import_errors", kwargs={"pk": obj.pk})
        request = (context or {}).get("request")
        return request.build_absolute_uri(url) if request is not None else url


@router.post(
    "/imports/",
    response={202: ImportBatchOut},
    summary="Upload an extract; it is imported in the background",
    description=(
        "Multipart form: `file` (.csv, .xlsx or .parquet), `source` (e.g. DTKS), `edition` "
        "(YYYY-MM or YYYY-MM-DD; `source` DTKS-2026-09 without an edition means the same) and "
        "optionally `mapping` (YAML) or `layout` (a shipped national-registry layout: "
        "`dtks-2020`, `regsosek-2022`; `none` for the exchange format; default `auto`, "
        "recognised from the header row). Answers 202 with the queued batch; poll "
        "`GET /registry/imports/{id}/` until `status` is `done` or `failed`, then `scoring` "
        "until `done`."
    ),
)
def create_import(
    request,
    source: Form[str],
    file: File[UploadedFile],
    edition: Form[str] = "",
    mapping: File[UploadedFile | None] = None,
    layout: Form[str] = "auto",
):
    require_perm(request.auth, selectors.ADD_IMPORT)
    batch = services.registry_import_enqueue(
        upload=file,
        source=source,
        edition=edition,
        mapping_upload=mapping,
        layout=layout,
        by=request.auth,
    )
    batch.refresh_from_db()  # the immediate backend may already have run it
    return Status(202, batch)


@router.get("/imports/{pk}/", response=ImportBatchOut, summary="One import: status and counts")
def get_import(request, pk: int):
    services.recover_stale_batches()
    return selectors.import_batch_get(user=request.auth, pk=pk)


@router.get(
    "/imports/{pk}/errors.csv",
    url_name="registry_import_errors",
    summary="The rejected cells of an import as CSV (row, column, value, reason)",
    description=(
        "Personal data: `purpose` (a short free text) is required (400 without it); it is "
        "recorded in the audit row and, with who and when, in the X-PKSAI-Watermark header. "
        "Reasons are in the requester's language (Indonesian unless the language cookie or "
        "`lang=en` says English)."
    ),
)
def get_import_errors(request, pk: int, purpose: str = "", lang: str = ""):
    batch = selectors.import_batch_get(user=request.auth, pk=pk)
    export = PersonalExport(user=request.auth, purpose=export_purpose({"purpose": purpose}))
    lang = lang if lang in dict(settings.LANGUAGES) else translation.get_language()
    with translation.override(lang):
        report = services.import_batch_error_report(batch=batch, export=export)
        response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-errors.csv"'
    return export.stamp_response(response)
