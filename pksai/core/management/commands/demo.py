from django.core.management import call_command
from django.core.management.base import BaseCommand

from pksai.accounts.demo import DEMO_PASSWORD, demo_accounts
from pksai.accounts.models import User
from pksai.areas.models import Area


class Command(BaseCommand):
    help = "Load demo data for the five pilot sites (users per role; more as modules arrive)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if the database has users."
        )

    def handle(self, *args, if_empty: bool = False, **options):
        if if_empty and User.objects.exists():
            self.stdout.write("The database already has users; demo data not loaded.")
            return
        if not Area.objects.exists():
            call_command("load_areas", stdout=self.stdout)
        users = demo_accounts()
        self.stdout.write(self.style.SUCCESS(f"Demo users (password: {DEMO_PASSWORD}):"))
        for username, role, scope in users:
            self.stdout.write(f"  {username:<34} {role:<20} {scope}")
