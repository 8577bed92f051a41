from django.core.management.base import BaseCommand

from pksai.field.cleanup import uploads_cleanup


class Command(BaseCommand):
    help = (
        "Remove incomplete field-app uploads untouched for PKSAI_FIELD_UPLOAD_HOURS (72) and "
        "their stored pieces. `pksai scheduler` does this every round."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=None, help="override the age")

    def handle(self, *args, hours: int | None = None, **options):
        removed = uploads_cleanup(hours=hours)
        self.stdout.write(f"{removed} incomplete upload(s) removed.")
