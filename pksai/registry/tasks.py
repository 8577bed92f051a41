"""Background work for the registry: imports queued from the upload page or the API run here
(in `pksai serve`'s db_worker; immediately in tests)."""

from __future__ import annotations

import logging
from pathlib import Path

from django.tasks import task
from django.utils import timezone

from pksai.registry.importer import ExtractError
from pksai.registry.models import ImportBatch
from pksai.registry.services import registry_import

logger = logging.getLogger(__name__)


@task()
def run_registry_import(batch_id: int, path: str, mapping_path: str | None) -> dict[str, object]:
    """Import a stored upload into its queued batch. An unreadable file leaves the batch failed
    with the reason (a normal outcome, not a worker error)."""
    batch = ImportBatch.objects.select_related("created_by").get(pk=batch_id)
    if batch.status in (ImportBatch.Status.DONE, ImportBatch.Status.FAILED):
        return {"batch": batch_id, "status": str(batch.status), "skipped": True}
    try:
        batch = registry_import(
            path=path,
            source=batch.source,
            mapping_path=mapping_path,
            by=batch.created_by,
            batch=batch,
        )
    except ExtractError as exc:
        # registry_import has marked the batch failed; show the uploaded name, not ours.
        message = str(exc).replace(path, batch.file_name).replace(Path(path).name, batch.file_name)
        ImportBatch.objects.filter(pk=batch_id).update(message=message)
        logger.info("Registry import %s failed: %s", batch_id, message)
        return {"batch": batch_id, "status": "failed", "message": message}
    except Exception:
        ImportBatch.objects.filter(pk=batch_id).update(
            status=ImportBatch.Status.FAILED,
            message="unexpected error (see the worker log)",
            finished_at=timezone.now(),
        )
        raise
    return {"batch": batch_id, "status": str(batch.status), **batch.summary()}
