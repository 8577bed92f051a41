from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pksai.accounts.commands import command_user
from pksai.accounts.models import Organisation
from pksai.programs.models import Program
from pksai.programs.proposals import proposals_import
from pksai.registry.importer import ExtractError
from pksai.registry.tabular import write_import_report


class Command(BaseCommand):
    help = (
        "Import a partner institution's (LKSA) proposal list from a CSV or XLSX file "
        "(docs/proposal-format.md). Rejected rows are reported with their reasons; the good "
        "rows are nominated (or their profile updated), so re-running changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--program", required=True, help="Program code, e.g. pksa.")
        parser.add_argument(
            "--year", type=int, default=timezone.localdate().year, help="Default: this year."
        )
        parser.add_argument(
            "--partner", required=True, type=int, help="Id of the LKSA organisation proposing."
        )
        parser.add_argument(
            "--user",
            required=True,
            help="Import as this user: their area scope limits the rows, and they are the "
            "audit actor.",
        )
        parser.add_argument(
            "--errors",
            help="Write the rejected cells (row, column, value, reason) to this CSV file "
            "instead of printing them.",
        )

    def handle(self, *args, file, program, year, partner, user, errors=None, **options):
        by = command_user(user)
        chosen = Program.objects.filter(code=program).first()
        if chosen is None:
            raise CommandError(f"No program {program!r}.")
        organisation = Organisation.objects.filter(pk=partner).first()
        if organisation is None:
            raise CommandError(f"No organisation {partner}.")
        if not Path(file).is_file():
            raise CommandError(f"Nothing imported: {file} does not exist.")
        try:
            result = proposals_import(
                by=by, program=chosen, year=year, partner=organisation, path=file
            )
        except ExtractError as exc:
            raise CommandError(f"Nothing imported: {exc}") from exc
        except PermissionDenied as exc:
            raise CommandError(f"Nothing imported: {user} may not nominate.") from exc
        except ValidationError as exc:
            raise CommandError(f"Nothing imported: {' '.join(exc.messages)}") from exc
        write_import_report(self, file, result, errors)
