from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pksai.accounts.commands import command_user
from pksai.referrals.directory import provider_import
from pksai.registry.importer import ExtractError
from pksai.registry.tabular import write_import_report


class Command(BaseCommand):
    help = (
        "Import the service-provider directory from a CSV or XLSX file (docs/provider-format.md). "
        "Rejected rows are reported with their reasons; the good rows are created or updated "
        "(keyed by area and name), so re-running changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--user",
            help="Import as this user: their area scope limits the rows, and they are the audit "
            "actor. Without it every area is accepted.",
        )
        parser.add_argument(
            "--errors",
            help="Write the rejected rows (row, the columns as read, reasons) to this CSV file "
            "instead of printing them.",
        )

    def handle(self, *args, file: str, user: str | None, errors: str | None, **options):
        by = None
        if user:
            by = command_user(user)
        if not Path(file).is_file():
            raise CommandError(f"Nothing imported: {file} does not exist.")
        try:
            result = provider_import(by=by, path=file)
        except ExtractError as exc:
            raise CommandError(f"Nothing imported: {exc}") from exc
        write_import_report(self, file, result, errors, rejected_csv=result.rejected_csv)
