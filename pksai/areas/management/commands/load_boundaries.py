import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pksai.areas.boundaries import boundaries_load


class Command(BaseCommand):
    help = (
        "Load area outlines for maps from GeoJSON files or folders (Polygon/MultiPolygon "
        "features carrying a Kemendagri code). Simplified, checked, upserted; idempotent. "
        "Rejected features are listed with the reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, help="GeoJSON files or folders.")
        parser.add_argument(
            "--source", required=True, help="Where the data come from (recorded on every row)."
        )
        parser.add_argument("--licence", required=True, help="The data's licence, e.g. 'ODbL 1.0'.")
        parser.add_argument(
            "--code-property",
            default=None,
            help="The feature property holding the area code (default: code, kode, KDCPUM, …).",
        )
        parser.add_argument(
            "--tolerance",
            type=float,
            default=None,
            help="Simplification tolerance in metres (default by level: 1000/250/60/15).",
        )

    def handle(self, *args, paths, source, licence, code_property, tolerance, **options):
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(f"No such file or folder: {', '.join(missing)}")
        started = time.perf_counter()
        try:
            result = boundaries_load(
                paths=paths,
                source=source,
                licence=licence,
                code_property=code_property,
                tolerance_metres=tolerance,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        for rejection in result.rejected:
            self.stderr.write(
                f"rejected {rejection.where} {rejection.code or '-'}: {rejection.reason}"
            )
        counts = ", ".join(f"{k} {v:,}" for k, v in result.as_dict().items())
        self.stdout.write(self.style.SUCCESS(f"Boundaries from {source} ({licence}): {counts}."))
        if result.points_before:
            self.stdout.write(
                f"Points kept after simplification: {result.points_after:,} of "
                f"{result.points_before:,} ({elapsed:.1f} s)."
            )
