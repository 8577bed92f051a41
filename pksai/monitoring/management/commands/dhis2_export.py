import json
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from pksai.accounts.commands import command_user
from pksai.monitoring.dhis2 import Dhis2Error, dhis2_export_download, dhis2_push


class Command(BaseCommand):
    help = (
        "Build the DHIS2 data value set (JSON) of an area and period from the dashboard's "
        "measures, suppressed for publication; write it to --out or standard output, or "
        "--push it to PKSAI_DHIS2_URL/api/dataValueSets and record DHIS2's import summary "
        "(decision 0036, docs/dhis2.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--area", required=True, help="Area code, e.g. 73.71.")
        parser.add_argument("--period", required=True, help="A month 2026-03 or quarter 2026-Q1.")
        parser.add_argument(
            "--level",
            choices=["below", "self"],
            default="below",
            help="Values per area one level down (default) or for the area itself.",
        )
        parser.add_argument("--user", required=True, help="Export as this user (scope, audit).")
        parser.add_argument(
            "--format",
            dest="fmt",
            choices=["json", "adx"],
            default="json",
            help="JSON (default) or ADX XML (needs PKSAI_DHIS2_DATA_SET); --push sends JSON.",
        )
        parser.add_argument("--out", help="Write the set here instead of standard output.")
        parser.add_argument("--push", action="store_true", help="POST it to the configured DHIS2.")

    def handle(self, *args, area, period, level, user, fmt="json", out=None, push=False, **options):
        by = command_user(user)
        try:
            built, body = dhis2_export_download(
                user=by, area=area, period=period, level=level, fmt="json" if push else fmt
            )
        except PermissionDenied as exc:
            raise CommandError(f"{user} may not read the dashboard.") from exc
        except Http404 as exc:
            raise CommandError(f"No area {area!r} in {user}'s scope.") from exc
        except Dhis2Error as exc:
            raise CommandError(str(exc)) from exc
        summary = built.summary()
        self.stderr.write(json.dumps(summary, ensure_ascii=False))
        if push:
            try:
                record = dhis2_push(by=by, built=built)
            except Dhis2Error as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                f"DHIS2 answered {record.http_status or '-'} {record.status}: imported "
                f"{record.imported}, updated {record.updated}, ignored {record.ignored}, "
                f"conflicts {len(record.conflicts)}{'; ' + record.error if record.error else ''}"
            )
            for conflict in record.conflicts:
                self.stdout.write(
                    f"  conflict {conflict.get('object', '')}: {conflict.get('value', '')}"
                )
            if record.error or record.status == "ERROR":
                raise CommandError(f"Push {record.pk} failed.")
            return
        if out:
            Path(out).write_bytes(body)
            self.stdout.write(f"{len(built.data_values)} values written to {out}")
        else:
            self.stdout.write(body.decode("utf-8"))
