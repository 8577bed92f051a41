from django.core.management.base import BaseCommand, CommandError

from pksai.accounts.models import ApiToken, User
from pksai.accounts.services import api_token_issue, api_token_revoke


class Command(BaseCommand):
    help = "Issue an API token for a user (printed once), or revoke one with --revoke PREFIX."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="integration", help="What the token is for.")
        parser.add_argument(
            "--revoke", metavar="PREFIX", help="Revoke the user's token(s) with this prefix."
        )

    def handle(self, *args, username: str, name: str, revoke: str | None, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if revoke:
            tokens = ApiToken.objects.filter(user=user, prefix=revoke, revoked_at__isnull=True)
            if not tokens:
                raise CommandError(f"No active token {revoke!r} for {username}.")
            for token in tokens:
                api_token_revoke(token=token, by=None)
            self.stdout.write(f"Revoked {len(tokens)} token(s).")
            return
        _token, raw = api_token_issue(user=user, name=name, by=None)
        self.stdout.write(raw)
