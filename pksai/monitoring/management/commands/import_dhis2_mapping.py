from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from pksai.accounts.commands import command_user
from pksai.monitoring.dhis2 import dhis2_mapping_import


class Command(BaseCommand):
    help = (
        "Import the DHIS2 mapping from a CSV (columns kind, code, part, uid, "
        "category_option_combo, attribute_option_combo; kind indicator or orgunit — "
        "docs/dhis2.md). Rejected rows are listed with row, column and reason; the good rows "
        "replace their indicator figure's or area's mapping."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="Import as this user (the audit actor).")

    def handle(self, *args, file, user, **options):
        by = command_user(user)
        if not Path(file).is_file():
            raise CommandError(f"Nothing imported: {file} does not exist.")
        try:
            result = dhis2_mapping_import(by=by, path=file)
        except PermissionDenied as exc:
            raise CommandError(f"Nothing imported: {user} may not change the mapping.") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{Path(file).name}: indicators {result.indicators}, org units "
                f"{result.org_units}, rejected {len(result.rejected)}."
            )
        )
        if result.rejected:
            self.stdout.write("Rejected (row, column, value, reason):")
            for row, column, value, reason in result.rejected:
                self.stdout.write(f"  {row}\t{column}\t{value}\t{reason}")
