"""Background work for the registry: imports queued from the upload page or the API run here
(in `pksai serve`'s db_worker; immediately in tests)."""

from __future__ import annotations

import logging
from contextlib import ExitStack, nullcontext
from pathlib import Path

from django.conf import settings
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext

from pksai.core import files
from pksai.registry.importer import ExtractError
from pksai.registry.models import ImportBatch
from pksai.registry.services import registry_import, score_batch

logger = logging.getLogger(__name__)


def _local(name: str):
    if Path(name).is_absolute():
        return nullcontext(Path(name))
    return files.local_copy("imports", name)


@task()
def run_registry_import(
    batch_id: int,
    path: str,
    mapping_path: str | None,
    language: str | None = None,
    layout: str | None = None,
) -> dict[str, object]:
    """Import a stored upload into its queued batch, in the language of whoever uploaded it
    (progress and failure messages). An unreadable file leaves the batch failed with the
    reason (a normal outcome, not a worker error). Scoring follows as its own task."""
    batch = ImportBatch.objects.select_related("created_by").get(pk=batch_id)
    if batch.status in (ImportBatch.Status.DONE, ImportBatch.Status.FAILED):
        return {"batch": batch_id, "status": str(batch.status), "skipped": True}
    with translation.override(language or settings.LANGUAGE_CODE), ExitStack() as stack:
        try:
            # ``path``/``mapping_path`` are names in the shared ``imports`` storage (absolute
            # paths from earlier versions still work): a local copy where the storage has none.
            local = stack.enter_context(_local(path))
            mapping_local = stack.enter_context(_local(mapping_path)) if mapping_path else None
            batch = registry_import(
                path=local,
                source=batch.source,
                edition=batch.edition,
                mapping_path=mapping_local,
                layout=layout,
                by=batch.created_by,
                batch=batch,
            )
        except ExtractError as exc:
            # registry_import has marked the batch failed; show the uploaded name, not ours.
            message = str(exc)
            for shown in (str(local), path, Path(path).name):
                message = message.replace(shown, batch.file_name)
            ImportBatch.objects.filter(pk=batch_id).update(message=message)
            logger.info("Registry import %s failed: %s", batch_id, message)
            return {"batch": batch_id, "status": "failed", "message": message}
        except Exception:
            ImportBatch.objects.filter(pk=batch_id).update(
                status=ImportBatch.Status.FAILED,
                message=gettext("Unexpected error: nothing of this import was written."),
                finished_at=timezone.now(),
            )
            raise
    return {"batch": batch_id, "status": str(batch.status), **batch.summary()}


@task()
def score_import(batch_id: int, identity_ids: list[int]) -> dict[str, object]:
    """Score the people an import created or changed (their identities); the import page
    shows the progress (ImportBatch.scoring)."""
    batch = ImportBatch.objects.select_related("created_by").get(pk=batch_id)
    batch = score_batch(batch=batch, identity_ids=identity_ids)
    return {"batch": batch_id, "scored": batch.scored}
