"""Importing registry extracts into the database: validate (Polars), diff against what is
stored (one query per chunk of keys), upsert only new or changed rows (COPY/executemany),
retire the rows a newer edition lacks, link rows into identities, score who changed.

Re-importing the same edition writes nothing; a corrected file updates rows in place
(key: source + household id + person id). A source's editions are YYYY-MM[-DD]; the newest
edition imported for a regency is its current registry (docs/registry-format.md)."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path

import duckdb
import polars as pl
import yaml
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, connections, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from pksai.areas.models import Area
from pksai.audit.personal_exports import PersonalExport
from pksai.audit.services import audit_record
from pksai.core import files
from pksai.core.bulk import bulk_insert, bulk_update, bulk_upsert, query_frame, reserve_ids
from pksai.core.crypto import nik_hash_column, nik_hashes
from pksai.core.fields import seal_frame
from pksai.registry import layouts
from pksai.registry.chunks import CHUNK_ROWS, CheckedExtract, check_extract
from pksai.registry.codes import PERSON_COLUMNS
from pksai.registry.identities import (
    ensure_identities,
    ensure_source,
    link_by_nik,
    link_probabilistic,
    refresh_identities,
)
from pksai.registry.importer import (
    HOUSEHOLD_FIELDS,
    ROW,
    ExtractError,
    Mapping,
    duckdb_config,
    sql_text,
    stable_hash,
)
from pksai.registry.models import Household, Identity, ImportBatch, Person, Source
from pksai.registry.reasons import read_error_report, write_error_report

Progress = Callable[[int, str], None]
KEY_CHUNK = 5_000
LINK_SLICE = 200_000
ANALYZE_AFTER = 100_000  # rows written: refresh the planner's statistics
PERSON_FIELDS = [c for c in PERSON_COLUMNS if c != "person_id"]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _existing(
    model,
    source: str,
    key_field: str,
    keys: list[str],
    fields: list[str],
    types: dict[str, pl.DataType] | None = None,
) -> pl.DataFrame:
    """The stored ``fields`` of ``source``'s rows whose ``key_field`` is one of ``keys``.
    PostgreSQL: one statement for all the keys (``= ANY`` of an array), read back through
    COPY as CSV into Polars (no Python tuple per row). SQLite: KEY_CHUNK keys a query."""
    schema = dict.fromkeys(fields, pl.String) | (types or {})
    if not keys:
        return pl.DataFrame(schema=schema)
    if connection.vendor == "postgresql":
        return _existing_by_copy(model, source, key_field, keys, schema)
    frames = []
    for start in range(0, len(keys), KEY_CHUNK):
        rows = model.objects.filter(
            source=source, **{f"{key_field}__in": keys[start : start + KEY_CHUNK]}
        ).values_list(*fields)
        frames.append(pl.DataFrame(list(rows), schema=schema, orient="row"))
    return pl.concat(frames)


def _existing_by_copy(
    model, source: str, key_field: str, keys: list[str], schema: dict[str, pl.DataType]
) -> pl.DataFrame:
    qn = connection.ops.quote_name
    listed = ", ".join(qn(model._meta.get_field(f).column) for f in schema)
    column = qn(model._meta.get_field(key_field).column)
    return query_frame(
        f"SELECT {listed} FROM {qn(model._meta.db_table)} "  # noqa: S608 (ours)
        f"WHERE source = %s AND {column} = ANY(%s)",
        (source, keys),
        schema,
    )


def error_report_name(batch: ImportBatch) -> str:
    """Where a batch's error report is kept in the ``imports`` storage (shared by every app
    server: a directory or object storage, pksai.core.files)."""
    return f"reports/batch-{batch.pk}-errors.csv"


@contextmanager
def error_report_file(batch: ImportBatch) -> Iterator[Path | None]:
    """A local path holding the batch's error report (None when it has none). Reports of
    earlier versions were kept under an absolute path; those are still found."""
    name = batch.error_report
    if not name:
        yield None
    elif Path(name).is_absolute():
        yield Path(name) if Path(name).is_file() else None
    elif not files.exists("imports", name):
        yield None
    else:
        with files.local_copy("imports", name) as path:
            yield path


EDITION_FORMAT = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
EDITION_IN_NAME = re.compile(r"^(?P<source>.+?)[-_ ](?P<edition>\d{4}-\d{2}(?:-\d{2})?)$")
STALE_AFTER = timedelta(minutes=5)  # no heartbeat for this long: the process is gone
HEARTBEAT_EVERY = 30  # seconds


@contextmanager
def _heartbeat() -> Iterator[None]:
    """While an import runs, a thread stamps this process's running batches every
    HEARTBEAT_EVERY seconds (its own database connection), so a batch whose process died is
    told from a long one that is still writing."""
    stop = threading.Event()
    pid = os.getpid()

    def beat() -> None:
        beaten = False
        try:
            while not stop.wait(HEARTBEAT_EVERY):
                beaten = True
                try:
                    ImportBatch.objects.filter(
                        status=ImportBatch.Status.RUNNING, worker_pid=pid
                    ).update(heartbeat_at=timezone.now())
                except DatabaseError:  # e.g. SQLite busy with the import's own write
                    continue
        finally:
            if beaten:  # this thread's own connection only
                connections.close_all()

    thread = threading.Thread(target=beat, name="pksai-import-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def split_source(source: str, edition: str | None = None) -> tuple[str, str]:
    """The source code and edition of an import. ``DTKS-2026-09`` without an edition is read
    as source ``DTKS``, edition ``2026-09`` (so the next edition of the same data is the same
    source). An edition is YYYY-MM or YYYY-MM-DD, so editions sort in time."""
    source = (source or "").strip()
    edition = (edition or "").strip()
    if not edition:
        match = EDITION_IN_NAME.match(source)
        if match:
            return match["source"], match["edition"]
    if edition and not EDITION_FORMAT.match(edition):
        raise ValidationError(
            {
                "edition": ValidationError(
                    _("Write the edition as YYYY-MM or YYYY-MM-DD (e.g. 2026-09), not “%(e)s”."),
                    code="edition",
                    params={"e": edition},
                )
            }
        )
    return source, edition


def importer_area(user) -> str | None:
    """The area a batch is filed under before its file is read: the importing user's one
    area of work (none for national users, several areas, or an import without a user)."""
    from pksai.accounts.scoping import scope_for

    if user is None:
        return None
    scope = scope_for(user)
    if scope.national or len(scope.area_codes) != 1:
        return None
    return scope.area_codes[0]


def coverage_area(coverage: list[str]) -> str | None:
    """The smallest area holding every regency a file covers: the regency itself, their
    province, or none when they lie in several provinces (then only national users see it)."""
    if not coverage:
        return None
    parts = [code.split(".") for code in coverage]
    common: list[str] = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    code = ".".join(common)
    return code if code and Area.objects.filter(code=code).exists() else None


def _refuse_older_edition(source: str, edition: str, coverage: list[str]) -> None:
    """An edition older than one already imported for the same regencies would bring back
    people who have since left: refused (ExtractError, nothing written)."""
    if not edition or not coverage:
        return
    area = Q()
    for code in coverage:
        area |= Q(village__code__startswith=code + ".")
    newer = (
        Person.objects.filter(area, source=source, edition__gt=edition)
        .values_list("edition", flat=True)
        .order_by("-edition")
        .first()
    )
    if newer:
        raise ExtractError(
            _(
                "Edition %(edition)s of %(source)s is older than edition %(newer)s already "
                "imported for these regencies; nothing was imported."
            )
            % {"edition": edition, "source": source, "newer": newer}
        )


def stopped_message(batch: ImportBatch) -> str:
    """What a batch that did not finish says about what of it was written."""
    if not batch.chunks_done:
        return gettext(
            "The import stopped before it finished; nothing of it was written. "
            "Import the file again."
        )
    if batch.chunks_done < batch.chunks:
        return gettext(
            "The import stopped after %(done)s of %(n)s parts: the %(rows)s rows those parts "
            "created or updated are in the registry (not yet linked); nobody was retired. "
            "Import the same file again to finish: it resumes."
        ) % {"done": batch.chunks_done, "n": batch.chunks, "rows": f"{batch.rows_written:,}"}
    return gettext(
        "The import stopped after writing all %(n)s parts (%(rows)s rows created or updated) "
        "but before retiring the absent and linking; nobody was retired. Import the same file "
        "again to finish: it resumes."
    ) % {"n": batch.chunks, "rows": f"{batch.rows_written:,}"}


def recover_stale_batches() -> int:
    """Batches still "running" whose process is gone (no heartbeat for STALE_AFTER) are
    marked failed, saying what of them was written (``stopped_message``: the parts already
    committed). Called by the import pages and API, and the import command."""
    limit = timezone.now() - STALE_AFTER
    with transaction.atomic():
        # A batch row locked by a running import is alive by definition: skip it, never wait.
        stale = ImportBatch.objects.filter(
            pk__in=list(
                ImportBatch.objects.select_for_update(skip_locked=True)
                .filter(status=ImportBatch.Status.RUNNING)
                .filter(
                    Q(heartbeat_at__lt=limit) | Q(heartbeat_at__isnull=True, created_at__lt=limit)
                )
                .values_list("pk", flat=True)
            )
        )
        count = stale.filter(chunks_done=0).update(
            status=ImportBatch.Status.FAILED,
            finished_at=timezone.now(),
            message=gettext_noop(
                "The import stopped before it finished (its process ended); nothing of it was "
                "written. Import the file again."
            ),
        )
        for batch in stale.filter(chunks_done__gt=0):
            batch.status = ImportBatch.Status.FAILED
            batch.finished_at = timezone.now()
            batch.message = stopped_message(batch)
            batch.save(update_fields=["status", "finished_at", "message"])
            count += 1
        return count


def registry_import(**options) -> ImportBatch:
    """Import one extract (see ``_registry_import``), with a heartbeat while it runs."""
    with _heartbeat():
        return _registry_import(**options)


def _unfinished(batch: ImportBatch) -> list[ImportBatch]:
    """Earlier imports of the same file (source, edition, SHA-256) that stopped after writing
    some of their parts: this one finishes them."""
    return list(
        ImportBatch.objects.filter(
            source=batch.source,
            edition=batch.edition,
            file_sha256=batch.file_sha256,
            status=ImportBatch.Status.FAILED,
            chunks_done__gt=0,
            finished_by__isnull=True,
        )
        .exclude(pk=batch.pk)
        .order_by("pk")
    )


def _registry_import(
    *,
    path: str | Path,
    source: str,
    edition: str = "",
    mapping_path: str | Path | None = None,
    layout: str | None = None,
    by=None,
    batch: ImportBatch | None = None,
    progress: Progress | None = None,
    score: str = "background",
    rows_per_chunk: int = CHUNK_ROWS,
) -> ImportBatch:
    """Import one extract (one edition of one source). Bad rows are listed in the batch's
    error report; good rows are kept. Rows of the source in the regencies the file covers
    that it lacks become "not in the current registry" (kept, never deleted). Rows are linked
    into identities, and the people created or changed are scored: ``score`` "background"
    (a task, after commit), "now" (before returning; the command line) or "no".

    The file is checked in parts of whole households (``chunks.check_extract``: bounded
    memory), then each part is written in its own transaction, the batch counting the parts
    written; retiring the absent and linking follow the last part, in one transaction. An
    import that stops half-way says how far it got (``stopped_message``); importing the same
    file again writes nothing for the parts already written and finishes it.

    ``layout`` names a shipped extract layout (pksai.registry.layouts: ``dtks-2020``, …),
    ``none`` for our own format, or ``auto``/empty: without a mapping file, a layout whose
    headers the file has is used.

    Raises ExtractError (and marks the batch failed) only when the file cannot be used at all.
    """
    path = Path(path)
    source, edition = split_source(source, edition)
    report = progress or (lambda pct, msg: None)
    if batch is None:
        batch = ImportBatch.objects.create(
            source=source,
            edition=edition,
            file_name=path.name,
            file_sha256=_sha256(path),
            created_by=by,
            area_id=importer_area(by),
        )
    batch.source, batch.edition = source, edition
    batch.status = ImportBatch.Status.RUNNING
    batch.worker_pid = os.getpid()
    batch.heartbeat_at = timezone.now()
    batch.save(update_fields=["source", "edition", "status", "worker_pid", "heartbeat_at"])

    def step(pct: int, message: str) -> None:
        ImportBatch.objects.filter(pk=batch.pk).update(
            progress=pct, message=message, heartbeat_at=timezone.now()
        )
        report(pct, message)

    def fail(message: str) -> None:
        batch.status = ImportBatch.Status.FAILED
        batch.message = message
        batch.finished_at = timezone.now()
        batch.save()

    with tempfile.TemporaryDirectory(prefix="pksai-import-") as tmp:
        try:
            mapping = layouts.mapping_for(mapping_path, layout)
            batch.mapping = mapping.as_dict()
            step(5, gettext("Reading the file"))
            villages = pl.Series(
                list(Area.objects.filter(level=Area.Level.VILLAGE).values_list("code", flat=True)),
                dtype=pl.String,
            )
            checked = check_extract(
                path,
                mapping,
                workdir=Path(tmp),
                villages=villages,
                today=timezone.localdate(),
                rows_per_chunk=rows_per_chunk,
                detect_layout=layouts.detects(mapping_path, layout),
                progress=lambda k, n: step(
                    5 + 45 * k // n,
                    gettext("Checking part %(k)s of %(n)s") % {"k": k, "n": n},
                ),
            )
            mapping = checked.mapping or mapping
            batch.mapping = mapping.as_dict()
            if checked.rows_read == 0:
                raise ExtractError(gettext("%(file)s: the file has no rows.") % {"file": path.name})
            _refuse_older_edition(source, edition, checked.coverage)
        except ExtractError as exc:
            fail(str(exc))
            raise
        try:
            touched = _write_checked(batch, source, edition, checked, step=step, by=by, score=score)
        except Exception as exc:
            batch.refresh_from_db()  # what the committed parts counted
            batch.mapping = mapping.as_dict()
            reason = str(exc)[:500]
            if batch.chunks_done:
                fail(stopped_message(batch) + " " + reason)
            else:
                fail(
                    gettext("The import failed and nothing of it was written: %(reason)s")
                    % {"reason": reason}
                )
            raise
    if touched and score == "now":
        score_batch(batch=batch, identity_ids=sorted(touched))
    report(100, gettext("Done"))
    return batch


def _write_checked(
    batch: ImportBatch,
    source: str,
    edition: str,
    checked: CheckedExtract,
    *,
    step: Callable[[int, str], None],
    by,
    score: str,
) -> set[int]:
    """Write the parts, one transaction each, then retire, link and finish the batch in one
    more. Returns the identities touched."""
    n = checked.chunks
    # Identities made by this run are stamped after this moment, by this process's clock.
    started = timezone.now()
    ImportBatch.objects.filter(pk=batch.pk).update(
        chunks=n, chunks_done=0, rows_written=0, created=0, updated=0, unchanged=0
    )
    batch.chunks, batch.chunks_done, batch.rows_written = n, 0, 0
    ensure_source(source)
    if edition:
        Source.objects.filter(code=source, current_edition__lt=edition).update(
            current_edition=edition
        )
    created = updated = unchanged = 0
    for k in range(n):
        step(
            50 + 30 * k // max(n, 1),
            gettext("Writing part %(k)s of %(n)s (%(rows)s rows)")
            % {"k": k + 1, "n": n, "rows": f"{checked.chunk_rows[k]:,}"},
        )
        good = checked.good(k)
        with transaction.atomic():
            c, u, same = _write(batch, source, edition, good, timezone.now())
            created, updated, unchanged = created + c, updated + u, unchanged + same
            batch.chunks_done, batch.rows_written = k + 1, created + updated
            ImportBatch.objects.filter(pk=batch.pk).update(
                chunks_done=k + 1,
                rows_written=created + updated,
                created=created,
                updated=updated,
                unchanged=unchanged,
                heartbeat_at=timezone.now(),
            )
        del good
    step(80, gettext("Linking people across sources"))
    if connection.vendor == "postgresql" and created + updated > ANALYZE_AFTER:
        with connection.cursor() as cursor:  # the planner should know the tables grew
            cursor.execute("ANALYZE registry_person, registry_identity")
    now = timezone.now()
    with transaction.atomic():
        # Earlier imports of this file that stopped half-way: their rows are this import's
        # (they count as created or updated here, not as unchanged).
        earlier = _unfinished(batch)
        for previous in earlier:
            Person.objects.filter(batch=previous).update(batch=batch)
            Household.objects.filter(batch=previous).update(batch=batch)
            created += previous.created
            updated += previous.updated
            unchanged -= previous.created + previous.updated
            previous.finished_by = batch
            previous.message = gettext("Finished by import #%(pk)s.") % {"pk": batch.pk}
            previous.save(update_fields=["finished_by", "message"])
        retired = (
            _retire_absent(source, edition, checked.coverage, checked.goods, now) if edition else []
        )
        since = min([started, *(b.created_at for b in earlier)])
        touched = _link(
            batch,
            retired,
            checked.coverage,
            created=created,
            updated=updated,
            since=since,
            shared_in_file=checked.shared_niks,
        )
        batch.rows_read = checked.rows_read
        batch.rows_accepted = checked.rows_accepted
        batch.rows_rejected = checked.rows_rejected
        batch.created, batch.updated, batch.unchanged = created, updated, max(unchanged, 0)
        batch.rows_written = created + updated
        batch.retired = len(retired)
        batch.coverage = checked.coverage
        if checked.coverage:  # filed under the area of its rows from now on
            batch.area_id = coverage_area(checked.coverage)
        batch.warnings = checked.warnings
        if checked.has_errors:
            report_file = checked.workdir / "errors.csv"
            write_error_report(checked.errors(), report_file)
            batch.error_report = files.save_bytes(
                "imports", error_report_name(batch), report_file.read_bytes()
            )
        batch.status = ImportBatch.Status.DONE
        batch.progress = 100
        batch.message = gettext("Done")
        batch.finished_at = timezone.now()
        batch.scoring = ImportBatch.Scoring.QUEUED if touched else ImportBatch.Scoring.NONE
        batch.save()
        detail = batch.summary()
        if earlier:
            detail["finished"] = [previous.pk for previous in earlier]
        audit_record(action="create", actor=by, obj=batch, detail=detail)
        if touched and score == "background":
            from pksai.registry.tasks import score_import

            ids = sorted(touched)
            transaction.on_commit(partial(score_import.enqueue, batch.pk, ids))
    return touched


def score_batch(*, batch: ImportBatch, identity_ids: list[int]) -> ImportBatch:
    """Score the identities an import touched; the batch shows the progress."""
    from pksai.vulnerability.services import score_identities

    ImportBatch.objects.filter(pk=batch.pk).update(scoring=ImportBatch.Scoring.RUNNING)
    try:
        run = score_identities(identity_ids, by=batch.created_by)
    except Exception:
        ImportBatch.objects.filter(pk=batch.pk).update(scoring=ImportBatch.Scoring.FAILED)
        raise
    batch.scoring = ImportBatch.Scoring.DONE
    batch.scored = run.scored if run else 0
    ImportBatch.objects.filter(pk=batch.pk).update(scoring=batch.scoring, scored=batch.scored)
    return batch


def _created_ids(batch: ImportBatch, since) -> list[int]:
    """The rows this import created: its rows whose identity was made for them by an import
    that began at ``since`` or later (this one, or one it finishes). Rows it only updated
    belong to identities older than that."""
    return list(
        Person.objects.filter(batch=batch, identity__created_at__gte=since)
        .order_by("pk")
        .values_list("pk", flat=True)
        .iterator(chunk_size=LINK_SLICE)
    )


def _needing_survivorship(batch: ImportBatch, since) -> set[int]:
    """Identities of the rows this import updated (identity older than ``since``) whose
    primary row or presence may have changed: those with more than one row, or whose one
    row is not their primary or not as present as they are. An identity with only the row
    the import created is right by construction (its own primary, in the registry)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT p.identity_id FROM registry_person p "
            "JOIN registry_identity i ON i.id = p.identity_id "
            "WHERE p.batch_id = %s AND i.created_at < %s AND (i.primary_id IS NULL "
            "OR i.primary_id <> p.id OR i.in_registry <> p.in_registry OR EXISTS ("
            "SELECT 1 FROM registry_person o WHERE o.identity_id = p.identity_id "
            "AND o.id <> p.id))",
            [batch.pk, since],
        )
        return {row[0] for row in cursor.fetchall()}


def _identities_of(person_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for start in range(0, len(person_ids), KEY_CHUNK):
        chunk = person_ids[start : start + KEY_CHUNK]
        found |= set(Person.objects.filter(pk__in=chunk).values_list("identity_id", flat=True))
    found.discard(None)
    return found


def _sharing_a_nik(batch: ImportBatch, shared_in_file: pl.Series | None = None) -> list[int]:
    """The rows this batch wrote whose NIK another row carries too. On PostgreSQL, given the
    NIKs more than one row of the file carries (``shared_in_file``: this batch's rows all
    come from the file), the NIKs of every row outside the batch are hashed once, instead of
    looking up each row of the batch (a million lookups for a first import)."""
    # NIKs are compared by their keyed hashes (decision 0024).
    if shared_in_file is not None and connection.vendor == "postgresql":
        shared_hashes = [h for h in nik_hashes(shared_in_file.to_list()) if h]
        with connection.cursor() as cursor:
            # Two plain queries, not one with OR: an IN inside an OR is a subplan the planner
            # may run once per row; an EXISTS alone is a join (hashed, or by the NIK index).
            cursor.execute(
                "SELECT p.id FROM registry_person p WHERE p.batch_id = %s "
                "AND p.nik_hash = ANY(%s) UNION SELECT p.id FROM registry_person p "
                "WHERE p.batch_id = %s AND p.nik_hash <> '' AND EXISTS (SELECT 1 FROM "
                "registry_person o WHERE o.nik_hash = p.nik_hash "
                "AND (o.batch_id IS NULL OR o.batch_id <> %s)) ORDER BY 1",
                [batch.pk, shared_hashes, batch.pk, batch.pk],
            )
            return [row[0] for row in cursor.fetchall()]
    others = Person.objects.filter(nik_hash=OuterRef("nik_hash")).exclude(pk=OuterRef("pk"))
    return list(
        Person.objects.filter(batch=batch)
        .exclude(nik_hash="")
        .filter(Exists(others))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _others_in(coverage: list[str], created: int) -> bool:
    """Are there current rows in these regencies besides the ``created`` ones (all current
    and in them)? When not, probabilistic linkage has nothing to compare with."""
    area = Q()
    for code in coverage:
        area |= Q(village__code__startswith=code + ".")
    return Person.objects.filter(area, in_registry=True).count() > created


def _link(
    batch: ImportBatch,
    retired: list[int],
    coverage: list[str],
    *,
    created: int,
    updated: int,
    since,
    shared_in_file: pl.Series | None = None,
) -> set[int]:
    """Deterministic then probabilistic linkage of the rows written (``created`` of them new,
    by imports begun at ``since`` or later), survivorship for the identities whose primary row
    may have changed. Returns the identities touched: every identity of a row written or
    retired or linked, to be scored. Deterministic linkage and survivorship go LINK_SLICE
    rows at a time (bounded memory)."""
    ensure_identities()  # rows written elsewhere without one; this import's rows have theirs
    touched = _identities_of(retired)
    refresh = set(touched)
    touched.update(
        Person.objects.filter(batch=batch)
        .order_by()
        .values_list("identity_id", flat=True)
        .distinct()
        .iterator(chunk_size=LINK_SLICE)
    )
    # Only rows whose NIK another row has can link by NIK (one query, not one per row).
    shared = _sharing_a_nik(batch, shared_in_file)
    for start in range(0, len(shared), LINK_SLICE):
        refresh |= link_by_nik(shared[start : start + LINK_SLICE], batch=batch)
    if created and _others_in(coverage, created):
        linked, _queued = link_probabilistic(
            _created_ids(batch, since), batch=batch, coverage=coverage
        )
        refresh |= linked
    if updated:  # only rows updated can have moved an older identity's primary row
        refresh |= _needing_survivorship(batch, since)
    touched |= refresh
    ordered = sorted(refresh)
    for start in range(0, len(ordered), LINK_SLICE):
        refresh_identities(ordered[start : start + LINK_SLICE])
    return touched


def _retire_absent(source: str, edition: str, coverage: list[str], goods: str, now) -> list[int]:
    """Rows of ``source`` in the covered regencies that this edition lacks (its accepted rows
    are the Parquet files ``goods``): kept, marked not in the current registry since
    ``edition``. Returns their ids. The file's keys are compared in DuckDB (bounded memory),
    one regency at a time."""
    retired: list[int] = []
    schema = {"id": pl.Int64, "household_key": pl.String, "person_key": pl.String}
    with (
        tempfile.TemporaryDirectory(prefix="pksai-") as tmp,
        duckdb.connect(config=duckdb_config(tmp)) as con,
    ):
        con.execute(
            "CREATE TABLE present AS SELECT DISTINCT household_id AS household_key, "  # noqa: S608
            f"person_id AS person_key FROM read_parquet({sql_text(goods)})"
        )
        for regency in coverage:
            stored = query_frame(
                "SELECT id, household_key, person_key FROM registry_person WHERE source = %s "
                "AND in_registry AND village_id LIKE %s",
                (source, regency.replace("%", "") + ".%"),
                schema,
            )
            con.register("stored", stored)
            gone = con.execute(
                "SELECT s.id FROM stored s WHERE NOT EXISTS (SELECT 1 FROM present p "
                "WHERE p.household_key = s.household_key AND p.person_key = s.person_key) "
                "ORDER BY s.id"
            ).fetchnumpy()["id"]
            con.unregister("stored")
            retired += [int(i) for i in gone]
            del stored
    if retired:
        bulk_update(
            table=Person._meta.db_table,
            frame=pl.DataFrame({"id": retired}).with_columns(
                in_registry=pl.lit(False),
                retired_edition=pl.lit(edition),
                updated_at=pl.lit(now),
            ),
            key="id",
        )
    return retired


def _stamped(model, frame: pl.DataFrame, batch: ImportBatch, now) -> pl.DataFrame:
    """The rows stamped with the batch and time; unknown text is stored as ''."""
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
    return seal_frame(model, frame)  # the NIK sealed, its keyed hash beside it (decision 0024)


def _upsert_rows(model, frame: pl.DataFrame, key: list[str], batch: ImportBatch, now) -> None:
    """Write changed rows (their key exists), stamped with the batch."""
    frame = _stamped(model, frame, batch, now)
    bulk_upsert(
        table=model._meta.db_table,
        frame=frame,
        key=key,
        update=[c for c in frame.columns if c not in key],
    )


def _insert_rows(model, frame: pl.DataFrame, batch: ImportBatch, now) -> None:
    """Write new rows (ids already drawn), stamped with the batch: COPY, no conflict check."""
    bulk_insert(table=model._meta.db_table, frame=_stamped(model, frame, batch, now))


def _write(
    batch: ImportBatch, source: str, edition: str, good: pl.DataFrame, now
) -> tuple[int, int, int]:
    """Upsert households then people; returns (created, updated, unchanged) people.

    New rows are written once each (COPY) with their ids drawn beforehand; every new person
    comes with its own identity (also drawn beforehand, the person its primary row), so no
    later pass has to attach identities. Changed rows are upserted."""
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
    keys = households["registry_id"].to_list()
    stored = _existing(
        Household, source, "registry_id", keys, ["registry_id", "id", "row_hash"], {"id": pl.Int64}
    )
    new_households = households.join(stored, on="registry_id", how="anti")
    new_households = new_households.with_columns(
        reserve_ids(table=Household._meta.db_table, count=new_households.height)
    )
    changed_households = households.join(stored, on="registry_id", how="semi").join(
        stored, on=["registry_id", "row_hash"], how="anti"
    )
    _insert_rows(Household, new_households, batch, now)
    _upsert_rows(Household, changed_households, ["source", "registry_id"], batch, now)
    ids = pl.concat(
        [stored.select("registry_id", "id"), new_households.select("registry_id", "id")]
    )
    people = good.select(
        pl.lit(source).alias("source"),
        pl.col("household_id").alias("household_key"),
        pl.col("person_id").alias("person_key"),
        pl.col("village_code").alias("village_id"),
        *[pl.col(c) for c in PERSON_FIELDS],
        pl.col("dq_flags"),
        pl.col(ROW).alias("source_row"),
        edition=pl.lit(edition),
        in_registry=pl.lit(True),
        retired_edition=pl.lit(""),
    )
    # The row hash covers the NIK's keyed hash, not the NIK: an unkeyed hash of a row whose
    # other cells are in clear would give the NIK away to a few thousand guesses.
    people = people.with_columns(nik_hash_column("nik").alias("nik_hash"))
    hashed = [c if c != "nik" else "nik_hash" for c in PERSON_FIELDS]
    people = people.with_columns(
        stable_hash(
            people, ["household_key", "person_key", "village_id", *hashed, "dq_flags"]
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
        keys,
        ["household_key", "person_key", "row_hash", "in_registry"],
        {"in_registry": pl.Boolean},
    )
    # A row back in the registry after an edition without it is written again (reinstated),
    # even when its content did not change.
    stored_people = stored_people.with_columns(
        pl.when(pl.col("in_registry"))
        .then(pl.col("row_hash"))
        .otherwise(pl.lit("-"))
        .alias("row_hash")
    ).drop("in_registry")
    new = people.join(
        stored_people.select("household_key", "person_key"),
        on=["household_key", "person_key"],
        how="anti",
    )
    known = people.height - new.height
    unchanged = people.join(
        stored_people, on=["household_key", "person_key", "row_hash"], how="semi"
    ).height
    changed = people.join(stored_people, on=["household_key", "person_key"], how="semi").join(
        stored_people, on=["household_key", "person_key", "row_hash"], how="anti"
    )
    new = new.with_columns(
        reserve_ids(table=Person._meta.db_table, count=new.height),
        reserve_ids(table=Identity._meta.db_table, count=new.height).alias("identity_id"),
    )
    # Identity first, its primary row next: both foreign keys are checked at commit.
    bulk_insert(
        table=Identity._meta.db_table,
        frame=new.select(
            pl.col("identity_id").alias("id"),
            pl.col("id").alias("primary_id"),
            pl.lit(True).alias("in_registry"),
            pl.lit(now).alias("created_at"),
            pl.lit(now).alias("updated_at"),
        ),
    )
    _insert_rows(Person, new, batch, now)
    _upsert_rows(Person, changed, ["source", "household_key", "person_key"], batch, now)
    return new.height, known - unchanged, unchanged


# --- Background imports: upload → queue → worker (pksai.registry.tasks) ----------------------

EXTRACT_SUFFIXES = (".csv", ".xlsx", ".parquet")
MAPPING_SUFFIXES = (".yaml", ".yml")


def _store_upload(upload, *, field: str, suffixes: tuple[str, ...]) -> tuple[str, str]:
    """Keep an uploaded file in the shared ``imports`` storage under a generated name (keeping
    its extension), so any worker on any machine can read it; returns the stored name and its
    SHA-256."""
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
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    name = files.save_chunks("imports", f"uploads/{uuid.uuid4().hex}{suffix}", upload)
    return name, digest.hexdigest()


def _check_mapping(stored: str, name: str) -> None:
    try:
        with files.local_copy("imports", stored) as path:
            Mapping.load(path)
    except (ExtractError, yaml.YAMLError, UnicodeDecodeError) as exc:
        reason = str(exc).replace(str(files.local_path("imports", stored) or stored), name)
        raise ValidationError(
            {
                "mapping": ValidationError(
                    _("The mapping file cannot be used: %(reason)s"),
                    code="mapping",
                    params={"reason": reason},
                )
            }
        ) from exc


def registry_import_enqueue(
    *, upload, source: str, edition: str = "", mapping_upload=None, layout: str = "", by
) -> ImportBatch:
    """Store the uploaded extract (and mapping), create a queued batch and hand it to the
    background worker once the transaction commits. ``layout``: a shipped extract layout's
    name, ``none``, or empty/``auto`` (detected). Bad input is a ValidationError."""
    from pksai.registry.tasks import run_registry_import

    source, edition = split_source(source, edition)
    if not source:
        raise ValidationError({"source": _("Name the registry source, e.g. DTKS.")})
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
    layout = (layout or layouts.AUTO).strip()
    if layout not in (layouts.AUTO, layouts.NONE, *layouts.layouts()):
        raise ValidationError(
            {
                "layout": ValidationError(
                    _("Unknown registry layout “%(name)s”."),
                    code="layout",
                    params={"name": layout},
                )
            }
        )
    if mapping_upload is not None and layout not in (layouts.AUTO, layouts.NONE):
        raise ValidationError(
            {
                "layout": ValidationError(
                    _("Choose either a layout or a mapping file, not both."),
                    code="layout_and_mapping",
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
            files.delete("imports", path)
            if mapping_path is not None:
                files.delete("imports", mapping_path)
            raise
    file_name = Path(upload.name).name[: ImportBatch._meta.get_field("file_name").max_length]
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            source=source,
            edition=edition,
            file_name=file_name,
            file_sha256=sha256,
            created_by=by,
            area_id=importer_area(by),
        )
        audit_record(
            action="create",
            actor=by,
            obj=batch,
            detail={"file": file_name, "sha256": sha256, "queued": True, "edition": edition},
        )
        transaction.on_commit(
            partial(
                run_registry_import.enqueue,
                batch.pk,
                str(path),
                str(mapping_path) if mapping_path else None,
                translation.get_language(),
                layout,
            )
        )
    return batch


def import_batch_error_report(*, batch: ImportBatch, export: PersonalExport) -> pl.DataFrame:
    """The batch's error report (row, column, value, kind, reason — the reasons in the active
    language: pksai.registry.reasons) for download or display. The reported cells
    hold names and NIKs, so the caller states a purpose (``export``), which the audit row
    records. Http404 when the batch has none."""
    with error_report_file(batch) as report:
        if report is None:
            raise Http404("This import has no error report.")
        export.audit(
            obj=batch,
            detail={"file": "errors.csv", "format": "csv", "rows_rejected": batch.rows_rejected},
        )
        return read_error_report(report)
