from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from pksai.accounts.commands import command_user
from pksai.monitoring.finance import spending_import
from pksai.registry.importer import ExtractError
from pksai.registry.tabular import write_import_report


class Command(BaseCommand):
    help = (
        "Import budget lines (final revised budget, realised, realised by month, beneficiaries "
        "and civil servants per program-year) from a CSV or XLSX file "
        "(docs/finance-format.md). Rejected cells are reported with their reasons; the good "
        "rows are kept, and re-running the same file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", required=True, help="Import as this user (the audit actor).")
        parser.add_argument(
            "--errors", help="Write the rejected cells (row, column, value, reason) to this CSV."
        )

    def handle(self, *args, file, user, errors=None, **options):
        by = command_user(user)
        if not Path(file).is_file():
            raise CommandError(f"Nothing imported: {file} does not exist.")
        try:
            result = spending_import(by=by, path=file)
        except ExtractError as exc:
            raise CommandError(f"Nothing imported: {exc}") from exc
        except PermissionDenied as exc:
            raise CommandError(f"Nothing imported: {user} may not import spending.") from exc
        write_import_report(self, file, result, errors)
