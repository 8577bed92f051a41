from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from pksai.registry.importer import ExtractError
from pksai.registry.reasons import render_reason
from pksai.registry.services import recover_stale_batches, registry_import


class Command(BaseCommand):
    help = (
        "Import one edition of a social-registry extract (CSV, XLSX or Parquet; "
        "docs/registry-format.md). Bad rows go to an error report; good rows are kept; people "
        "of the covered regencies missing from a newer edition are marked not in the current "
        "registry; rows are linked into identities and scored; re-running changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--source",
            required=True,
            help="Source, e.g. DTKS (DTKS-2026-09 is read as source DTKS, edition 2026-09).",
        )
        parser.add_argument("--edition", default="", help="Edition, YYYY-MM or YYYY-MM-DD.")
        parser.add_argument("--mapping", help="YAML file mapping the office's headers and codes.")
        parser.add_argument(
            "--layout",
            default="auto",
            help=(
                "A shipped national-registry layout (dtks-2020, regsosek-2022, …; "
                "docs/registry-editions.md), 'none' for the exchange format, or 'auto' "
                "(default): detected from the header row when no --mapping is given."
            ),
        )
        parser.add_argument(
            "--no-score", action="store_true", help="Leave scoring to a later `pksai score`."
        )

    def handle(
        self, *args, file: str, source: str, edition: str, mapping, layout, no_score, **options
    ):
        def progress(pct: int, message: str) -> None:
            self.stderr.write(f"[{pct:3d}%] {message}")

        recover_stale_batches()
        try:
            batch = registry_import(
                path=file,
                source=source,
                edition=edition,
                mapping_path=mapping,
                layout=layout,
                progress=progress,
                score="no" if no_score else "now",
            )
        except (ExtractError, FileNotFoundError) as exc:
            raise CommandError(f"Nothing imported: {exc}") from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        summary = ", ".join(f"{k} {v:,}" for k, v in batch.summary().items())
        edition_text = f" edition {batch.edition}" if batch.edition else ""
        self.stdout.write(
            self.style.SUCCESS(f"Batch {batch.pk} ({batch.source}{edition_text}): {summary}.")
        )
        if batch.scoring:
            self.stdout.write(f"Scored {batch.scored:,} people.")
        for warning in batch.warnings:
            if isinstance(warning, dict):
                warning = render_reason(warning.get("code", ""), warning.get("params") or {})
            self.stdout.write(f"Warning: {warning}")
        if batch.error_report:
            self.stdout.write(f"Rejected rows (row, column, value, reason): {batch.error_report}")
