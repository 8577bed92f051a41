from django.core.management.base import BaseCommand, CommandError

from pksai.registry.importer import ExtractError
from pksai.registry.services import registry_import


class Command(BaseCommand):
    help = (
        "Import a social-registry extract (CSV, XLSX or Parquet; docs/registry-format.md). "
        "Bad rows go to an error report; good rows are kept; re-running changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--source", required=True, help="Registry name, e.g. DTKS-2026-09.")
        parser.add_argument("--mapping", help="YAML file mapping the office's headers and codes.")

    def handle(self, *args, file: str, source: str, mapping: str | None, **options):
        def progress(pct: int, message: str) -> None:
            self.stderr.write(f"[{pct:3d}%] {message}")

        try:
            batch = registry_import(
                path=file, source=source, mapping_path=mapping, progress=progress
            )
        except (ExtractError, FileNotFoundError) as exc:
            raise CommandError(f"Nothing imported: {exc}") from exc
        summary = ", ".join(f"{k} {v:,}" for k, v in batch.summary().items())
        self.stdout.write(self.style.SUCCESS(f"Batch {batch.pk}: {summary}."))
        if batch.error_report:
            self.stdout.write(f"Rejected rows (row, column, value, reason): {batch.error_report}")
