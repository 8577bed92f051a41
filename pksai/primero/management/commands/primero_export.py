from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from pksai.accounts.commands import command_user
from pksai.primero.services import PrimeroError, case_export


class Command(BaseCommand):
    help = (
        "Send a case (child, assessments, plan actions, referrals) to the Primero v2 server "
        "of PKSAI_PRIMERO_URL: a new Primero case, or an update of the linked one "
        "(decision 0038, docs/primero-mapping.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--case", required=True, type=int, help="The case's id.")
        parser.add_argument("--user", required=True, help="Send as this user (scope, audit).")

    def handle(self, *args, case, user, **options):
        by = command_user(user)
        try:
            result = case_export(by=by, case_pk=case)
        except Http404 as exc:
            raise CommandError(f"No case {case} in {user}'s scope.") from exc
        except PermissionDenied as exc:
            raise CommandError(f"{user} may not send cases to Primero.") from exc
        except (PrimeroError, ValidationError) as exc:
            raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from exc
        link = result.case.primero
        self.stdout.write(
            f"{result.case.number}\t{link.primero_id}\t{link.short_id}\t"
            f"{'created' if result.created else 'updated'}\t"
            f"mapping {result.transfer.mapping_version}"
        )
