from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pksai.ops.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `pksai backup` into an EMPTY database and empty file storage "
        "(--force replaces what is there), checking every checksum first and the restored row "
        "counts and files against the manifest afterwards."
    )
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("source", help="the backup directory")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database and storage that are not empty (everything in them is lost)",
        )

    def handle(self, *args, source, force=False, **options):
        try:
            result = backup_restore(source=Path(source), force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {source}: {result.tables} tables, {result.rows:,} rows and "
                f"{result.files} files match the manifest."
            )
        )
        for note in result.notes:
            self.stdout.write(note)
