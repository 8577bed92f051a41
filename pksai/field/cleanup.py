"""Removing stale field-app uploads: what `pksai scheduler` runs every round, kept apart from
``services`` so the scheduler does not import the case records (and their PDF and frame
libraries) to do it."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from pksai.core import files
from pksai.field.models import FieldUpload

ATTACHMENTS = "attachments"  # = cases.records.ATTACHMENTS, the shared storage of attachments
UPLOADS = "field-uploads"  # pieces in the attachments storage: <stored_name>/<offset>


def _pieces(upload: FieldUpload) -> list[str]:
    return files.list_files(ATTACHMENTS, f"{UPLOADS}/{upload.stored_name}")


def _discard(upload: FieldUpload) -> None:
    for piece in _pieces(upload):
        files.delete(ATTACHMENTS, piece)


def uploads_cleanup(*, hours: int | None = None) -> int:
    """Remove incomplete uploads untouched for ``hours`` (PKSAI_FIELD_UPLOAD_HOURS) and their
    pieces; returns how many."""
    hours = settings.PKSAI_FIELD_UPLOAD_HOURS if hours is None else hours
    cutoff = timezone.now() - timedelta(hours=hours)
    stale = list(FieldUpload.objects.filter(attachment__isnull=True, updated_at__lt=cutoff))
    for upload in stale:
        _discard(upload)
    FieldUpload.objects.filter(pk__in=[u.pk for u in stale]).delete()
    return len(stale)
