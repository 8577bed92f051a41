from datetime import date, datetime, time

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils import timezone

from pksai.accounts.commands import command_user
from pksai.primero.services import PrimeroError, case_import, cases_import_since


class Command(BaseCommand):
    help = (
        "Import a Primero case (--id) or every Primero case changed since a date (--since) "
        "into PKSAI; a case imported before is updated, never duplicated (decision 0038)."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--id", dest="primero_id", help="The Primero case id.")
        which.add_argument("--since", help="YYYY-MM-DD: cases changed since that day.")
        parser.add_argument("--user", required=True, help="Import as this user (scope, audit).")

    def handle(self, *args, user, primero_id=None, since=None, **options):
        by = command_user(user)
        try:
            if primero_id:
                results, failed = [case_import(by=by, primero_id=primero_id)], []
            else:
                day = date.fromisoformat(since)
                start = timezone.make_aware(datetime.combine(day, time.min))
                batch = cases_import_since(by=by, since=start)
                results, failed = batch.imported, batch.failed
        except ValueError as exc:
            raise CommandError(f"--since is YYYY-MM-DD: {exc}") from exc
        except Http404 as exc:
            raise CommandError(f"The linked case is not in {user}'s scope.") from exc
        except PermissionDenied as exc:
            raise CommandError(f"{user} may not import cases from Primero.") from exc
        except (PrimeroError, ValidationError) as exc:
            raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from exc
        for result in results:
            self.stdout.write(
                f"{result.transfer.primero_id}\t{result.case.number}\t"
                f"{'created' if result.created else 'updated'}"
            )
        for pid, why in failed:
            self.stderr.write(f"{pid}\tfailed\t{why}")
        if failed and not results:
            raise CommandError("No case imported.")
