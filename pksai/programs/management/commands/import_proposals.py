from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pksai.accounts.models import Organisation, User
from pksai.programs.models import Program
from pksai.programs.proposals import proposals_import
from pksai.registry.importer import ExtractError


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
        by = User.objects.filter(username=user, is_active=True).first()
        if by is None:
            raise CommandError(f"No active user {user!r}.")
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
        summary = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in result.summary().items())
        self.stdout.write(self.style.SUCCESS(f"{Path(file).name}: {summary}."))
        if not result.rejected:
            return
        if errors:
            Path(errors).write_text(result.errors.write_csv(), encoding="utf-8")
            self.stdout.write(f"Rejected cells (with their reasons): {errors}")
        else:
            self.stdout.write("Rejected cells (row, column, value, reason):")
            for e in result.errors.iter_rows(named=True):
                self.stdout.write(f"  {e['row']}\t{e['column']}\t{e['value'] or ''}\t{e['reason']}")
