from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pksai.ops.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database (PostgreSQL: pg_dump custom format; SQLite: online backup) and "
        "every stored file (attachments, imports, media) into a new directory, with a manifest "
        "of versions, migrations, row counts and file checksums."
    )
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument(
            "target",
            nargs="?",
            help="new or empty directory (default: var/backups/pksai-<UTC time>)",
        )

    def handle(self, *args, target=None, **options):
        from django.conf import settings

        if not target:
            stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
            target = Path(settings.VAR_DIR) / "backups" / f"pksai-{stamp}"
        try:
            manifest = backup_create(target=Path(target))
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(manifest["tables"].values())
        size = sum(entry["size"] for entry in manifest["files"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {target}: {len(manifest['tables'])} tables, {rows:,} rows, "
                f"{len(manifest['files'])} files ({size:,} bytes)."
            )
        )
