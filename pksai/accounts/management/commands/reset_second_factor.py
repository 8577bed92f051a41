from django.core.management.base import BaseCommand, CommandError

from pksai.accounts.models import User
from pksai.accounts.second_factor import second_factor_reset


class Command(BaseCommand):
    help = (
        "Remove a user's second factors (authenticator app, security keys, recovery codes) "
        "after a lost phone or key; they enrol again at the next sign-in. Audited."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="Why (recorded in the audit trail).")

    def handle(self, *args, username: str, reason: str, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if not reason.strip():
            raise CommandError("Give the reason (--reason).")
        removed = second_factor_reset(user=user, by=None, reason=reason)
        self.stdout.write(f"Removed {removed} second-factor device(s) of {username}.")
