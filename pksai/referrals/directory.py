"""The service-provider directory: saving one provider, importing and exporting the pilot's
"mapping of service providers" as CSV/XLSX (docs/provider-format.md).

A provider is an `accounts.Organisation` (name, area, address, phone, e-mail, active) plus its
`Provider` row (sector, services, catchment areas, contact person, opening hours). The
organisation's (area, name) is unique, so imports are upserts keyed by it: re-importing the
same file changes nothing, changed rows are updated, new rows are created.

Validation is vectorised with Polars (one pass per column, no database call per row); writes
are bulk (bulk_create / bulk_update, and bulk inserts into the many-to-many tables).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from pksai.accounts.models import Organisation, User
from pksai.accounts.scoping import require_perm, scope_for
from pksai.areas.codes import normalise_area_code
from pksai.areas.models import Area
from pksai.audit.services import audit_record
from pksai.cases.services import ConflictError, compare_and_set
from pksai.core import exports
from pksai.referrals.models import Provider, Sector, Service
from pksai.registry.codes import FALSE_WORDS, TRUE_WORDS
from pksai.registry.importer import ERROR_SCHEMA, ROW, ExtractError
from pksai.registry.tabular import SPREADSHEETS, ImportCounts, normalised_headers, read_table

ADD = "referrals.add_provider"
CHANGE = "referrals.change_provider"

# The file's columns, in the order the export writes them.
COLUMNS = [
    "name",
    "sector",
    "area_code",
    "address",
    "phone",
    "email",
    "services",
    "catchment",
    "contact_person",
    "opening_hours",
    "active",
]
REQUIRED = ["name", "sector", "area_code"]
# Text columns and their maximum length (the model's).
TEXT_LIMITS = {
    "name": 200,
    "address": 300,
    "phone": 40,
    "email": 254,
    "contact_person": 200,
    "opening_hours": 200,
}
SUFFIXES = SPREADSHEETS
LIST_SEPARATOR = ";"
EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
BATCH = 1000  # rows per bulk statement
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def organisation_kind(sector: str) -> str:
    return Organisation.Kind.LKSA if sector == Sector.LKSA else Organisation.Kind.SERVICE_PROVIDER


def _synced_kind(current: str | None, sector: str) -> str:
    """Providers and LKSAs follow their sector; a provider that is another kind of office (a
    government office, a secretariat) keeps its kind."""
    if current in (None, Organisation.Kind.SERVICE_PROVIDER, Organisation.Kind.LKSA):
        return organisation_kind(sector)
    return current


# --- one provider (the form) -----------------------------------------------------------


def _conflict(provider: Provider) -> ConflictError:
    return ConflictError(
        _(
            "%(name)s was changed by someone else since you opened it. Reload it: "
            "your input was not saved and nothing was overwritten."
        )
        % {"name": provider.organisation.name}
    )


def _codes(values: Iterable[Any]) -> list[str]:
    return sorted({getattr(v, "pk", v) for v in values if v})


@transaction.atomic
def provider_save(
    *,
    by: User,
    provider: Provider | None,
    expected_version: int | None,
    name: str,
    sector: str,
    area: Area | str,
    address: str = "",
    phone: str = "",
    email: str = "",
    is_active: bool = True,
    services: Iterable[Service | str] = (),
    catchment: Iterable[Area | str] = (),
    contact_person: str = "",
    opening_hours: str = "",
    notes: str = "",
) -> Provider:
    """Create (``provider=None``) or update a provider and its organisation.

    The user needs referrals.add_provider / change_provider, and both the provider's current
    area and the area it is saved in must lie in their scope. An update writes only if the
    provider is still at ``expected_version`` (else ConflictError, nothing written).
    """
    require_perm(by, CHANGE if provider else ADD)
    scope = scope_for(by)
    if provider is not None and not scope.covers(provider.organisation.area_id):
        raise PermissionDenied("provider outside the user's area scope")
    name = " ".join((name or "").split())
    area_code = getattr(area, "pk", area) or ""
    errors: dict[str, list[str]] = {}
    if not name:
        errors.setdefault("name", []).append(_("This field is required."))
    if sector not in Sector.values:
        errors.setdefault("sector", []).append(_("Unknown sector."))
    area_obj = Area.objects.filter(pk=area_code).first()
    if area_obj is None:
        errors.setdefault("area", []).append(_("Unknown area code."))
    elif not scope.covers(area_obj.code):
        errors.setdefault("area", []).append(_("This area is outside your area scope."))
    service_codes = _codes(services)
    found_services = list(Service.objects.filter(code__in=service_codes))
    unknown = sorted(set(service_codes) - {s.code for s in found_services})
    if unknown:
        errors.setdefault("services", []).append(
            _("Unknown service codes: %(codes)s") % {"codes": ", ".join(unknown)}
        )
    catchment_codes = _codes(catchment)
    found_areas = list(Area.objects.filter(code__in=catchment_codes))
    unknown = sorted(set(catchment_codes) - {a.code for a in found_areas})
    if unknown:
        errors.setdefault("catchment", []).append(
            _("Unknown area codes: %(codes)s") % {"codes": ", ".join(unknown)}
        )
    if area_obj is not None and name:
        taken = Organisation.objects.filter(area=area_obj, name=name)
        if provider is not None:
            taken = taken.exclude(pk=provider.organisation_id)
        if taken.exists():
            errors.setdefault("name", []).append(
                _("An organisation of this name already exists in this area.")
            )
    if errors:
        raise ValidationError(errors)

    organisation = provider.organisation if provider else Organisation(area=area_obj, name=name)
    before = _snapshot(provider) if provider else {}
    organisation.name = name
    organisation.area = area_obj
    organisation.kind = _synced_kind(provider and organisation.kind, sector)
    organisation.address = address.strip()
    organisation.phone = phone.strip()
    organisation.email = email.strip()
    organisation.is_active = is_active
    fields = {
        "sector": sector,
        "contact_person": contact_person.strip(),
        "opening_hours": opening_hours.strip(),
        "notes": notes.strip(),
    }
    try:
        with transaction.atomic():
            if provider is None:
                organisation.save()
                provider = Provider.objects.create(organisation=organisation, **fields)
                action = "create"
            else:
                for field, value in fields.items():
                    setattr(provider, field, value)
                provider.updated_at = timezone.now()
                if expected_version is None or not compare_and_set(
                    provider, [*fields, "updated_at"], expected_version
                ):
                    raise _conflict(provider)
                organisation.save()
                action = "update"
    except IntegrityError:  # the same (area, name) saved concurrently
        raise ValidationError(
            {"name": [_("An organisation of this name already exists in this area.")]}
        ) from None
    provider.services.set(found_services)
    provider.catchment.set(found_areas)
    after = _snapshot(provider)
    changed = sorted(k for k in after if before.get(k) != after[k])
    audit_record(
        action=action,
        actor=by,
        obj=provider,
        detail={"organisation": organisation.pk, "fields": changed},
    )
    return provider


def _snapshot(provider: Provider) -> dict[str, Any]:
    org = provider.organisation
    return {
        "name": org.name,
        "area": org.area_id,
        "address": org.address,
        "phone": org.phone,
        "email": org.email,
        "is_active": org.is_active,
        "sector": provider.sector,
        "contact_person": provider.contact_person,
        "opening_hours": provider.opening_hours,
        "notes": provider.notes,
        "services": sorted(provider.services.values_list("code", flat=True)),
        "catchment": sorted(provider.catchment.values_list("code", flat=True)),
    }


# --- export ----------------------------------------------------------------------------


def _joined(rows: list[tuple[int, str]], name: str) -> pl.DataFrame:
    """(provider id, code) pairs → one sorted ';'-joined string per provider."""
    frame = pl.DataFrame(rows, schema={"id": pl.Int64, name: pl.String}, orient="row")
    return frame.group_by("id").agg(pl.col(name).sort().str.join(LIST_SEPARATOR))


def provider_frame(qs: QuerySet[Provider]) -> pl.DataFrame:
    """The providers of ``qs`` in the file format (three queries, whatever the size)."""
    ids = qs.order_by().values("pk")
    base = pl.DataFrame(
        list(
            Provider.objects.filter(pk__in=ids)
            .order_by("organisation__area_id", "organisation__name")
            .values_list(
                "pk",
                "organisation__name",
                "sector",
                "organisation__area_id",
                "organisation__address",
                "organisation__phone",
                "organisation__email",
                "contact_person",
                "opening_hours",
                "organisation__is_active",
            )
        ),
        schema={
            "id": pl.Int64,
            "name": pl.String,
            "sector": pl.String,
            "area_code": pl.String,
            "address": pl.String,
            "phone": pl.String,
            "email": pl.String,
            "contact_person": pl.String,
            "opening_hours": pl.String,
            "is_active": pl.Boolean,
        },
        orient="row",
    )
    services = _joined(
        list(
            Provider.services.through.objects.filter(provider_id__in=ids).values_list(
                "provider_id", "service__code"
            )
        ),
        "services",
    )
    catchment = _joined(
        list(
            Provider.catchment.through.objects.filter(provider_id__in=ids).values_list(
                "provider_id", "area_id"
            )
        ),
        "catchment",
    )
    return (
        base.join(services, on="id", how="left", maintain_order="left")
        .join(catchment, on="id", how="left", maintain_order="left")
        .with_columns(
            pl.col("services", "catchment").fill_null(""),
            pl.when(pl.col("is_active"))
            .then(pl.lit("yes"))
            .otherwise(pl.lit("no"))
            .alias("active"),
        )
        .select(COLUMNS)
    )


def provider_export(qs: QuerySet[Provider], fmt: str, *, watermark: str = "") -> bytes:
    """The providers of ``qs`` as a CSV (UTF-8) or XLSX file that re-imports unchanged.

    Contact persons and phones are personal data (pksai.audit.personal_exports): the XLSX
    carries ``watermark`` in its print header and document comments — not as a first row,
    which would stop the file from re-importing; the CSV has it in the response header only.
    """
    frame = provider_frame(qs)
    if fmt == "csv":
        return exports.csv_bytes(frame)  # formula-leading text quoted; the import unquotes it
    if fmt == "xlsx":
        buffer = io.BytesIO()
        with exports.workbook(buffer) as workbook:  # text as string cells, never formulas
            sheet = workbook.add_worksheet("providers")
            if watermark:
                sheet.set_header("&L&8" + watermark.replace("&", "&&"))
                workbook.set_properties({"comments": watermark})
            frame.write_excel(workbook=workbook, worksheet=sheet.name, autofit=True)
        return buffer.getvalue()
    raise ValueError(f"unknown export format {fmt!r}")


# --- import ----------------------------------------------------------------------------


@dataclass
class ImportResult(ImportCounts):
    rejected_frame: pl.DataFrame  # the rejected rows as read, with their row and reasons

    def rejected_csv(self) -> str:
        """The rejected rows with their row number and reasons: fix them and import again."""
        return exports.csv_text(self.rejected_frame)


def _area_code(expr: pl.Expr) -> pl.Expr:
    """A code written with or without dots → the dotted form; null if it cannot be one."""
    digits = expr.str.replace_all(".", "", literal=True).str.strip_chars()
    well_formed = digits.str.contains(r"^\d+$") & digits.str.len_chars().is_in([2, 4, 6, 10])
    dotted = pl.concat_str(
        digits.str.slice(0, 2),
        digits.str.slice(2, 2),
        digits.str.slice(4, 2),
        digits.str.slice(6, 4),
        separator=".",
    ).str.strip_chars_end(".")
    return pl.when(well_formed).then(dotted).otherwise(None)


def _split(expr: pl.Expr) -> pl.Expr:
    """'a; b;;a' → ['a', 'b', 'a'] (empty parts dropped, order kept)."""
    return (
        expr.fill_null("")
        .str.split(LIST_SEPARATOR)
        .list.eval(pl.element().str.strip_chars().filter(pl.element().str.strip_chars() != ""))
    )


def _in_scope(code: pl.Expr, user: User | None) -> pl.Expr:
    if user is None:
        return pl.lit(True)
    scope = scope_for(user)
    if scope.national:
        return pl.lit(True)
    covered = pl.lit(False)
    for prefix in scope.area_codes:
        covered = covered | (code == prefix) | code.str.starts_with(prefix + ".")
    return covered


def _phrase(template: str, value: pl.Expr, placeholder: str = "%(codes)s") -> pl.Expr:
    """A translated message with one placeholder filled from a column, row by row."""
    before, _sep, after = template.partition(placeholder)
    return pl.concat_str(pl.lit(before), value, pl.lit(after))


def _cell_errors(frame: pl.DataFrame, column: str, reason: pl.Expr) -> pl.DataFrame:
    """Rows where ``reason`` (null = fine) is set, as error rows for ``column``."""
    return frame.select(
        pl.col(ROW).alias("row"),
        pl.lit(column).alias("column"),
        pl.col(column).alias("value"),
        reason.alias("reason"),
    ).filter(pl.col("reason").is_not_null())


def _first_failing(checks: list[tuple[pl.Expr, str | pl.Expr]]) -> pl.Expr:
    expr = pl.lit(None, dtype=pl.String)
    for failed, why in reversed(checks):
        expr = (
            pl.when(failed).then(why if isinstance(why, pl.Expr) else pl.lit(why)).otherwise(expr)
        )
    return expr


def _list_errors(frame: pl.DataFrame, column: str, known: pl.Series, message: str) -> pl.DataFrame:
    """Rows whose ';'-list holds codes not in ``known``: one error naming them all."""
    pairs = frame.select(
        ROW,
        pl.col(column),
        pl.col(f"__raw_{column}").alias("__raw"),
        pl.col(f"__norm_{column}").alias("__norm"),
    ).explode("__raw", "__norm")
    bad = (
        pairs.filter(pl.col("__raw").is_not_null() & ~pl.col("__norm").is_in(known.implode()))
        .group_by(ROW, maintain_order=True)
        .agg(pl.col(column).first(), pl.col("__raw").unique(maintain_order=True).str.join(", "))
    )
    return bad.select(
        pl.col(ROW).alias("row"),
        pl.lit(column).alias("column"),
        pl.col(column).alias("value"),
        _phrase(message, pl.col("__raw")).alias("reason"),
    )


def validate_providers(
    frame: pl.DataFrame, *, user: User | None, areas: pl.Series, services: pl.Series
) -> tuple[pl.DataFrame, pl.DataFrame, list[str], pl.DataFrame, int]:
    """The typed good rows, the errors (row, column, value, reason), the columns the file has,
    the rejected rows as read (with their reasons) and the number of rows read. ``areas`` and
    ``services`` are the known codes; ``user`` limits the areas (None: any).
    """
    frame = normalised_headers(frame)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ExtractError(
            _("required columns missing from the file: %(columns)s")
            % {"columns": ", ".join(missing)}
        )
    present = [c for c in COLUMNS if c in frame.columns]
    frame = frame.select(
        ROW,
        # a CSV exported by PKSAI quotes formula-leading text ('+62…): read it back as it was
        *[exports.restore(pl.col(c).cast(pl.String)).str.strip_chars() for c in present],
        *[pl.lit(None, dtype=pl.String).alias(c) for c in COLUMNS if c not in present],
    ).with_columns(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in COLUMNS)
    # A blank line (every cell empty) is not a provider: skip it silently.
    frame = frame.filter(~pl.all_horizontal(pl.col(c).is_null() for c in COLUMNS))

    name = pl.col("name").str.split(" ").list.eval(pl.element().filter(pl.element() != ""))
    typed = frame.with_columns(
        name.list.join(" ").alias("__name"),
        pl.col("sector").str.to_lowercase().alias("__sector"),
        _area_code(pl.col("area_code")).alias("__area"),
        _split(pl.col("services")).alias("__raw_services"),
        _split(pl.col("catchment")).alias("__raw_catchment"),
        pl.col("active").str.to_lowercase().alias("__active_word"),
    ).with_columns(
        pl.col("__raw_services")
        .list.eval(pl.element().str.to_lowercase())
        .alias("__norm_services"),
        pl.col("__raw_catchment").list.eval(_area_code(pl.element())).alias("__norm_catchment"),
        pl.when(pl.col("__active_word").is_in(TRUE_WORDS))
        .then(True)
        .when(pl.col("__active_word").is_in(FALSE_WORDS))
        .then(False)
        .alias("__active"),
    )

    known_area = pl.col("__area").is_in(areas.implode())
    required = _("required value is empty")
    sectors = ", ".join(Sector.values)
    errors = [
        _cell_errors(
            typed,
            "name",
            _first_failing(
                [
                    (pl.col("name").is_null(), _("missing name")),
                    (
                        pl.col("__name").str.len_chars() > TEXT_LIMITS["name"],
                        _("longer than %(n)d characters") % {"n": TEXT_LIMITS["name"]},
                    ),
                ]
            ),
        ),
        _cell_errors(
            typed,
            "sector",
            _first_failing(
                [
                    (pl.col("sector").is_null(), required),
                    (
                        ~pl.col("__sector").is_in(Sector.values),
                        _("unknown sector code (allowed: %(codes)s)") % {"codes": sectors},
                    ),
                ]
            ),
        ),
        _cell_errors(
            typed,
            "area_code",
            _first_failing(
                [
                    (pl.col("area_code").is_null(), required),
                    (~known_area.fill_null(False), _("unknown area code")),
                    (~_in_scope(pl.col("__area"), user), _("outside your area scope")),
                ]
            ),
        ),
        _cell_errors(
            typed,
            "email",
            _first_failing(
                [
                    (
                        pl.col("email").is_not_null()
                        & ~pl.col("email").str.contains(EMAIL_RE).fill_null(False),
                        _("malformed e-mail address"),
                    )
                ]
            ),
        ),
        _cell_errors(
            typed,
            "active",
            _first_failing(
                [
                    (
                        pl.col("active").is_not_null() & pl.col("__active").is_null(),
                        _("expected yes or no"),
                    )
                ]
            ),
        ),
        *[
            _cell_errors(
                typed,
                column,
                _first_failing(
                    [
                        (
                            pl.col(column).str.len_chars() > limit,
                            _("longer than %(n)d characters") % {"n": limit},
                        )
                    ]
                ),
            )
            for column, limit in TEXT_LIMITS.items()
            if column not in {"name"}
        ],
        _list_errors(typed, "services", services, _("unknown service code: %(codes)s")),
        _list_errors(typed, "catchment", areas, _("unknown catchment area code: %(codes)s")),
    ]
    # The same (area, name) twice: the first row stays, later ones are rejected.
    keyed = typed.filter(pl.col("__area").is_not_null() & pl.col("__name").is_not_null())
    duplicates = (
        keyed.with_columns(pl.col(ROW).min().over("__area", "__name").alias("__first"))
        .filter(pl.col(ROW) != pl.col("__first"))
        .select(
            pl.col(ROW).alias("row"),
            pl.lit("name").alias("column"),
            pl.col("name").alias("value"),
            _phrase(
                _("duplicate of row %(row)s"),
                pl.col("__first").cast(pl.String),
                "%(row)s",
            ).alias("reason"),
        )
    )
    errors_frame = (
        pl.concat([e.cast(ERROR_SCHEMA) for e in [*errors, duplicates]], how="vertical")
        .unique(maintain_order=True)
        .sort("row", "column", maintain_order=True)
    )
    good = typed.join(
        errors_frame.select(pl.col("row").alias(ROW)).unique(), on=ROW, how="anti"
    ).select(
        ROW,
        pl.col("__name").alias("name"),
        pl.col("__sector").alias("sector"),
        pl.col("__area").alias("area"),
        *[pl.col(c).fill_null("") for c in ("address", "phone", "email")],
        *[pl.col(c).fill_null("") for c in ("contact_person", "opening_hours")],
        pl.col("__norm_services")
        .list.unique()
        .list.sort()
        .list.join(LIST_SEPARATOR)
        .alias("services"),
        pl.col("__norm_catchment")
        .list.unique()
        .list.sort()
        .list.join(LIST_SEPARATOR)
        .alias("catchment"),
        pl.col("__active").fill_null(True).alias("is_active"),
    )
    rejected = typed.join(
        errors_frame.group_by("row")
        .agg(
            pl.concat_str(pl.col("column"), pl.lit(": "), pl.col("reason"))
            .str.join(" | ")
            .alias("reasons")
        )
        .rename({"row": ROW}),
        on=ROW,
        how="inner",
    ).select(pl.col(ROW).alias("row"), *COLUMNS, "reasons")
    return good, errors_frame, present, rejected, frame.height


# Columns compared with the stored provider; the file's missing optional columns keep the
# stored value.
COMPARED = [
    "sector",
    "address",
    "phone",
    "email",
    "services",
    "catchment",
    "contact_person",
    "opening_hours",
    "is_active",
]
FILE_COLUMN = {"is_active": "active"}


def _existing(good: pl.DataFrame) -> pl.DataFrame:
    """The stored organisations (and providers) with the (area, name) of the good rows."""
    schema = {
        "org_id": pl.Int64,
        "area": pl.String,
        "name": pl.String,
        "kind": pl.String,
        "old_address": pl.String,
        "old_phone": pl.String,
        "old_email": pl.String,
        "old_is_active": pl.Boolean,
        "provider_id": pl.Int64,
        "old_sector": pl.String,
        "old_contact_person": pl.String,
        "old_opening_hours": pl.String,
        "old_version": pl.Int64,
    }
    if good.is_empty():
        frame = pl.DataFrame(schema=schema)
    else:
        areas = good["area"].unique().to_list()
        names = good["name"].unique().to_list()
        frame = pl.DataFrame(
            list(
                Organisation.objects.filter(area_id__in=areas, name__in=names).values_list(
                    "pk",
                    "area_id",
                    "name",
                    "kind",
                    "address",
                    "phone",
                    "email",
                    "is_active",
                    "provider__pk",
                    "provider__sector",
                    "provider__contact_person",
                    "provider__opening_hours",
                    "provider__version",
                )
            ),
            schema=schema,
            orient="row",
        )
    provider_ids = frame["provider_id"].drop_nulls().to_list()
    services = _joined(
        list(
            Provider.services.through.objects.filter(provider_id__in=provider_ids).values_list(
                "provider_id", "service__code"
            )
        )
        if provider_ids
        else [],
        "old_services",
    )
    catchment = _joined(
        list(
            Provider.catchment.through.objects.filter(provider_id__in=provider_ids).values_list(
                "provider_id", "area_id"
            )
        )
        if provider_ids
        else [],
        "old_catchment",
    )
    return (
        frame.join(services, left_on="provider_id", right_on="id", how="left")
        .join(catchment, left_on="provider_id", right_on="id", how="left")
        .with_columns(pl.col("old_services", "old_catchment").fill_null(""))
    )


def _plan(good: pl.DataFrame, present: list[str]) -> pl.DataFrame:
    """The good rows joined to what is stored, with the values to write and a status:
    created, updated or unchanged."""
    joined = good.join(_existing(good), on=["area", "name"], how="left")
    keep_stored = [c for c in COMPARED if FILE_COLUMN.get(c, c) not in present]
    joined = joined.with_columns(
        pl.coalesce(pl.col(f"old_{c}"), pl.col(c)).alias(c) for c in keep_stored
    )
    new = pl.col("provider_id").is_null()
    differs = pl.any_horizontal(pl.col(c).ne_missing(pl.col(f"old_{c}")) for c in COMPARED)
    return joined.with_columns(
        pl.when(new)
        .then(pl.lit("created"))
        .when(differs)
        .then(pl.lit("updated"))
        .otherwise(pl.lit("unchanged"))
        .alias("status"),
        (new | pl.col("services").ne_missing(pl.col("old_services"))).alias("services_changed"),
        (new | pl.col("catchment").ne_missing(pl.col("old_catchment"))).alias("catchment_changed"),
    )


def provider_import(
    *,
    by: User | None,
    path: str | Path | None = None,
    file: Any = None,
    file_name: str = "",
) -> ImportResult:
    """Import a directory file (CSV or XLSX): reject bad cells with their reason, upsert the
    good rows keyed by (area, name). ``by`` is the importing user, whose scope limits the
    areas (None: the command line without --user, any area). Raises ExtractError if the file
    cannot be read at all (nothing imported)."""
    if by is not None:
        require_perm(by, ADD)
        require_perm(by, CHANGE)
    normalised, file_name = read_table(path, upload=file, file_name=file_name)
    mentioned = set()
    if "area_code" in normalised.columns:
        mentioned.update(
            normalised.select(_area_code(pl.col("area_code").cast(pl.String)))
            .to_series()
            .drop_nulls()
        )
    if "catchment" in normalised.columns:
        mentioned.update(
            normalised.select(
                _split(pl.col("catchment").cast(pl.String)).list.eval(_area_code(pl.element()))
            )
            .to_series()
            .explode()
            .drop_nulls()
        )
    areas = pl.Series(
        "code",
        list(Area.objects.filter(code__in=sorted(mentioned)).values_list("code", flat=True))
        if mentioned
        else [],
        dtype=pl.String,
    )
    service_ids = dict(Service.objects.values_list("code", "pk"))
    good, errors, present, rejected, rows_read = validate_providers(
        normalised, user=by, areas=areas, services=pl.Series(list(service_ids), dtype=pl.String)
    )
    plan = _plan(good, present)
    counts = plan["status"].value_counts()
    count = dict(zip(counts["status"].to_list(), counts["count"].to_list(), strict=True))
    with transaction.atomic():
        _write(plan, service_ids)
        result = ImportResult(
            rows_read=rows_read,
            accepted=good.height,
            created=count.get("created", 0),
            updated=count.get("updated", 0),
            unchanged=count.get("unchanged", 0),
            errors=errors,
            rejected_frame=rejected,
        )
        audit_record(
            action="create",
            actor=by,
            object_type="referrals.provider",
            object_repr=_("Provider import %(file)s") % {"file": file_name},
            detail={"import": file_name, **result.summary()},
            username="" if by else "command line",
        )
    return result


def _write(plan: pl.DataFrame, service_ids: dict[str, int]) -> None:
    """Bulk writes: new organisations and providers, changed ones, and their lists."""
    changed = plan.filter(pl.col("status") != "unchanged")
    if changed.is_empty():
        return
    now = timezone.now()
    rows = changed.to_dicts()
    new_orgs = [
        Organisation(
            name=r["name"],
            area_id=r["area"],
            kind=organisation_kind(r["sector"]),
            address=r["address"],
            phone=r["phone"],
            email=r["email"],
            is_active=r["is_active"],
        )
        for r in rows
        if r["org_id"] is None
    ]
    if new_orgs:
        Organisation.objects.bulk_create(new_orgs)
        if any(o.pk is None for o in new_orgs):  # a backend that returns no keys
            keys = Q(pk__in=[])
            for o in new_orgs:
                keys |= Q(area_id=o.area_id, name=o.name)
            for pk, area, name in Organisation.objects.filter(keys).values_list(
                "pk", "area_id", "name"
            ):
                next(o for o in new_orgs if (o.area_id, o.name) == (area, name)).pk = pk
        org_ids = {(o.area_id, o.name): o.pk for o in new_orgs}
        for r in rows:
            if r["org_id"] is None:
                r["org_id"] = org_ids[(r["area"], r["name"])]
    # Changed rows of stored organisations and providers: INSERT … ON CONFLICT (id) DO UPDATE,
    # one statement per batch (much faster than bulk_update's CASE per row).
    stored_orgs = [
        Organisation(
            pk=r["org_id"],
            name=r["name"],
            area_id=r["area"],
            kind=_synced_kind(r["kind"], r["sector"]),
            address=r["address"],
            phone=r["phone"],
            email=r["email"],
            is_active=r["is_active"],
        )
        for r in rows
        if r["kind"] is not None
    ]
    if stored_orgs:
        Organisation.objects.bulk_create(
            stored_orgs,
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=["kind", "address", "phone", "email", "is_active"],
        )
    new_providers = [
        Provider(
            organisation_id=r["org_id"],
            sector=r["sector"],
            contact_person=r["contact_person"],
            opening_hours=r["opening_hours"],
        )
        for r in rows
        if r["provider_id"] is None
    ]
    if new_providers:
        Provider.objects.bulk_create(new_providers)
        if any(p.pk is None for p in new_providers):
            found = dict(
                Provider.objects.filter(
                    organisation_id__in=[p.organisation_id for p in new_providers]
                ).values_list("organisation_id", "pk")
            )
            for p in new_providers:
                p.pk = found[p.organisation_id]
        provider_ids = {p.organisation_id: p.pk for p in new_providers}
        for r in rows:
            if r["provider_id"] is None:
                r["provider_id"] = provider_ids[r["org_id"]]
    stored_providers = [
        Provider(
            pk=r["provider_id"],
            organisation_id=r["org_id"],
            sector=r["sector"],
            contact_person=r["contact_person"],
            opening_hours=r["opening_hours"],
            version=r["old_version"] + 1,
            updated_at=now,
        )
        for r in rows
        if r["status"] == "updated"
    ]
    if stored_providers:
        Provider.objects.bulk_create(
            stored_providers,
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=["sector", "contact_person", "opening_hours", "version", "updated_at"],
        )
    _replace_links(
        Provider.services.through,
        "service_id",
        [
            (r["provider_id"], service_ids[code])
            for r in rows
            if r["services_changed"]
            for code in _parts(r["services"])
        ],
        [r["provider_id"] for r in rows if r["services_changed"]],
    )
    _replace_links(
        Provider.catchment.through,
        "area_id",
        [
            (r["provider_id"], code)
            for r in rows
            if r["catchment_changed"]
            for code in _parts(r["catchment"])
        ],
        [r["provider_id"] for r in rows if r["catchment_changed"]],
    )


def _parts(joined: str) -> list[str]:
    return [p for p in (joined or "").split(LIST_SEPARATOR) if p]


def _replace_links(through, target: str, pairs: list[tuple[int, Any]], providers: list[int]):
    """Replace the many-to-many rows of ``providers`` by ``pairs``: one delete, one insert."""
    if not providers:
        return
    through.objects.filter(provider_id__in=providers).delete()
    through.objects.bulk_create(through(provider_id=p, **{target: t}) for p, t in pairs)


def catchment_codes(text: str) -> list[str]:
    """A form's catchment field ('73.71.01; 7306') → dotted codes; malformed ones as written."""
    parts = [p.strip() for p in text.replace(",", LIST_SEPARATOR).split(LIST_SEPARATOR)]
    return [normalise_area_code(p) or p for p in parts if p]
