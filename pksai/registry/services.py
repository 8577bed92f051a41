"""Importing registry extracts into the database: validate (Polars), diff against what is
stored (one query per chunk of keys), upsert only new or changed rows (COPY/executemany).

Re-importing the same file writes nothing; a corrected file updates rows in place
(key: source + household id + person id)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path

import polars as pl
import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pksai.areas.models import Area
from pksai.audit.personal_exports import PersonalExport
from pksai.audit.services import audit_record
from pksai.core.bulk import bulk_upsert
from pksai.registry.codes import PERSON_COLUMNS
from pksai.registry.importer import (
    HOUSEHOLD_FIELDS,
    ROW,
    ExtractError,
    Mapping,
    apply_mapping,
    read_extract,
    stable_hash,
    validate,
)
from pksai.registry.models import Household, ImportBatch, Person
from pksai.registry.reasons import read_error_report, write_error_report

Progress = Callable[[int, str], None]
KEY_CHUNK = 5_000
PERSON_FIELDS = [c for c in PERSON_COLUMNS if c != "person_id"]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _existing(
    model, source: str, key_field: str, keys: list[str], fields: list[str]
) -> pl.DataFrame:
    frames = []
    for start in range(0, len(keys), KEY_CHUNK):
        rows = model.objects.filter(
            source=source, **{f"{key_field}__in": keys[start : start + KEY_CHUNK]}
        ).values_list(*fields)
        frames.append(
            pl.DataFrame(list(rows), schema=dict.fromkeys(fields, pl.String), orient="row")
        )
    return pl.concat(frames) if frames else pl.DataFrame(schema=dict.fromkeys(fields, pl.String))


def error_report_path(batch: ImportBatch) -> Path:
    directory = Path(settings.VAR_DIR) / "imports"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"batch-{batch.pk}-errors.csv"


def registry_import(
    *,
    path: str | Path,
    source: str,
    mapping_path: str | Path | None = None,
    by=None,
    batch: ImportBatch | None = None,
    progress: Progress | None = None,
) -> ImportBatch:
    """Import one extract. Bad rows are listed in the batch's error report; good rows are kept.

    Raises ExtractError (and marks the batch failed) only when the file cannot be read at all.
    """
    path = Path(path)
    report = progress or (lambda pct, msg: None)
    if batch is None:
        batch = ImportBatch.objects.create(
            source=source, file_name=path.name, file_sha256=_sha256(path), created_by=by
        )
    batch.status = ImportBatch.Status.RUNNING
    batch.save(update_fields=["status"])

    def step(pct: int, message: str) -> None:
        ImportBatch.objects.filter(pk=batch.pk).update(progress=pct, message=message)
        report(pct, message)

    try:
        mapping = Mapping.load(mapping_path)
        batch.mapping = mapping.as_dict()
        step(5, "reading")
        frame = apply_mapping(read_extract(path), mapping)
        if frame.height == 0:
            raise ExtractError(f"{path.name}: no rows")
    except ExtractError as exc:
        batch.status = ImportBatch.Status.FAILED
        batch.message = str(exc)
        batch.finished_at = timezone.now()
        batch.save()
        raise

    step(20, f"validating {frame.height:,} rows")
    villages = pl.Series(
        list(Area.objects.filter(level=Area.Level.VILLAGE).values_list("code", flat=True)),
        dtype=pl.String,
    )
    checked = validate(
        frame, villages=villages, today=timezone.localdate(), date_format=mapping.date_format
    )
    good = checked.good

    step(50, f"writing {good.height:,} accepted rows")
    now = timezone.now()
    with transaction.atomic():
        counts = _write(batch, source, good, now)
        batch.rows_read = checked.rows_read
        batch.rows_accepted = good.height
        batch.rows_rejected = checked.rejected_rows
        batch.created, batch.updated, batch.unchanged = counts
        if checked.errors.height:
            report_file = error_report_path(batch)
            write_error_report(checked.errors, report_file)
            batch.error_report = str(report_file)
        batch.status = ImportBatch.Status.DONE
        batch.progress = 100
        batch.message = "done"
        batch.finished_at = timezone.now()
        batch.save()
        audit_record(action="create", actor=by, obj=batch, detail=batch.summary())
    report(100, "done")
    return batch


def _upsert_rows(model, frame: pl.DataFrame, key: list[str], batch: ImportBatch, now) -> None:
    """Write new or changed rows, stamped with the batch; unknown text is stored as ''."""
    text_columns = [
        f.column
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField) and f.column in frame.columns
    ]
    frame = frame.with_columns(
        [pl.col(c).fill_null("") for c in text_columns],
        batch_id=pl.lit(batch.pk),
        updated_at=pl.lit(now),
    )
    bulk_upsert(
        table=model._meta.db_table,
        frame=frame,
        key=key,
        update=[c for c in frame.columns if c not in key],
    )


def _write(batch: ImportBatch, source: str, good: pl.DataFrame, now) -> tuple[int, int, int]:
    """Upsert households then people; returns (created, updated, unchanged) people."""
    if good.is_empty():
        return 0, 0, 0
    # Households: the first row of each household carries its attributes.
    households = (
        good.sort(ROW)
        .unique(subset=["household_id"], keep="first", maintain_order=True)
        .select(
            pl.lit(source).alias("source"),
            pl.col("household_id").alias("registry_id"),
            pl.col("village_code").alias("village_id"),
            *[pl.col(c) for c in HOUSEHOLD_FIELDS],
            pl.col(ROW).alias("source_row"),
        )
    )
    households = households.with_columns(
        stable_hash(households, ["registry_id", "village_id", *HOUSEHOLD_FIELDS]).alias("row_hash")
    )
    stored = _existing(
        Household,
        source,
        "registry_id",
        households["registry_id"].to_list(),
        ["registry_id", "row_hash"],
    )
    changed_households = households.join(stored, on=["registry_id", "row_hash"], how="anti")
    _upsert_rows(Household, changed_households, ["source", "registry_id"], batch, now)
    ids = _existing(
        Household, source, "registry_id", households["registry_id"].to_list(), ["registry_id", "id"]
    )
    people = good.select(
        pl.lit(source).alias("source"),
        pl.col("household_id").alias("household_key"),
        pl.col("person_id").alias("person_key"),
        pl.col("village_code").alias("village_id"),
        *[pl.col(c) for c in PERSON_FIELDS],
        pl.col("dq_flags"),
        pl.col(ROW).alias("source_row"),
    )
    people = people.with_columns(
        stable_hash(
            people, ["household_key", "person_key", "village_id", *PERSON_FIELDS, "dq_flags"]
        ).alias("row_hash")
    ).join(
        ids.select(
            pl.col("registry_id").alias("household_key"),
            pl.col("id").alias("household_id"),
        ),
        on="household_key",
    )
    stored_people = _existing(
        Person,
        source,
        "household_key",
        households["registry_id"].to_list(),
        ["household_key", "person_key", "row_hash"],
    )
    known = people.join(
        stored_people.select("household_key", "person_key"),
        on=["household_key", "person_key"],
        how="semi",
    )
    unchanged = people.join(
        stored_people, on=["household_key", "person_key", "row_hash"], how="semi"
    ).height
    created = people.height - known.height
    updated = known.height - unchanged
    to_write = people.join(
        stored_people, on=["household_key", "person_key", "row_hash"], how="anti"
    )
    _upsert_rows(Person, to_write, ["source", "household_key", "person_key"], batch, now)
    return created, updated, unchanged


# --- Background imports: upload → queue → worker (pksai.registry.tasks) ----------------------

EXTRACT_SUFFIXES = (".csv", ".xlsx", ".parquet")
MAPPING_SUFFIXES = (".yaml", ".yml")


def upload_dir() -> Path:
    directory = Path(settings.VAR_DIR) / "imports" / "uploads"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _store_upload(upload, *, field: str, suffixes: tuple[str, ...]) -> tuple[Path, str]:
    """Write an uploaded file under a generated name (keeping its extension); returns the
    stored path and its SHA-256."""
    suffix = Path(upload.name or "").suffix.lower()
    if suffix not in suffixes:
        raise ValidationError(
            {
                field: ValidationError(
                    _("Unsupported file type “%(suffix)s”: upload a %(allowed)s file."),
                    code="file_type",
                    params={"suffix": suffix or "—", "allowed": ", ".join(suffixes)},
                )
            }
        )
    if not upload.size:
        raise ValidationError({field: ValidationError(_("The file is empty."), code="empty")})
    target = upload_dir() / f"{uuid.uuid4().hex}{suffix}"
    digest = hashlib.sha256()
    with target.open("xb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            out.write(chunk)
    return target, digest.hexdigest()


def _check_mapping(path: Path, name: str) -> None:
    try:
        Mapping.load(path)
    except (ExtractError, yaml.YAMLError, UnicodeDecodeError) as exc:
        reason = str(exc).replace(str(path), name)
        raise ValidationError(
            {
                "mapping": ValidationError(
                    _("The mapping file cannot be used: %(reason)s"),
                    code="mapping",
                    params={"reason": reason},
                )
            }
        ) from exc


def registry_import_enqueue(*, upload, source: str, mapping_upload=None, by) -> ImportBatch:
    """Store the uploaded extract (and mapping), create a queued batch and hand it to the
    background worker once the transaction commits. Bad input is a ValidationError."""
    from pksai.registry.tasks import run_registry_import

    source = (source or "").strip()
    if not source:
        raise ValidationError({"source": _("Name the registry source, e.g. DTKS-2026-09.")})
    max_length = ImportBatch._meta.get_field("source").max_length
    if len(source) > max_length:
        raise ValidationError(
            {
                "source": ValidationError(
                    _("The source name is at most %(n)d characters."),
                    code="max_length",
                    params={"n": max_length},
                )
            }
        )
    path, sha256 = _store_upload(upload, field="file", suffixes=EXTRACT_SUFFIXES)
    mapping_path = None
    if mapping_upload is not None:
        try:
            mapping_path, _digest = _store_upload(
                mapping_upload, field="mapping", suffixes=MAPPING_SUFFIXES
            )
            _check_mapping(mapping_path, Path(mapping_upload.name).name)
        except ValidationError:
            path.unlink(missing_ok=True)
            if mapping_path is not None:
                mapping_path.unlink(missing_ok=True)
            raise
    file_name = Path(upload.name).name[: ImportBatch._meta.get_field("file_name").max_length]
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            source=source, file_name=file_name, file_sha256=sha256, created_by=by
        )
        audit_record(
            action="create",
            actor=by,
            obj=batch,
            detail={"file": file_name, "sha256": sha256, "queued": True},
        )
        transaction.on_commit(
            partial(
                run_registry_import.enqueue,
                batch.pk,
                str(path),
                str(mapping_path) if mapping_path else None,
            )
        )
    return batch


def import_batch_error_report(*, batch: ImportBatch, export: PersonalExport) -> pl.DataFrame:
    """The batch's error report (row, column, value, kind, reason — the reasons in the active
    language: pksai.registry.reasons) for download or display. The reported cells
    hold names and NIKs, so the caller states a purpose (``export``), which the audit row
    records. Http404 when the batch has none."""
    report = Path(batch.error_report) if batch.error_report else None
    if report is None or not report.is_file():
        raise Http404("This import has no error report.")
    export.audit(
        obj=batch,
        detail={"file": "errors.csv", "format": "csv", "rows_rejected": batch.rows_rejected},
    )
    return read_error_report(report)
