from django.core.management.base import BaseCommand

from pksai.accounts.roles import sync_roles


class Command(BaseCommand):
    help = "Make every role group hold exactly its default permissions (also runs after migrate)."

    def handle(self, *args, **options):
        for slug, count in sync_roles().items():
            self.stdout.write(f"{slug:<20} {count} permissions")
