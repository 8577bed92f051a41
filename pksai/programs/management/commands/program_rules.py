from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from pksai.programs.models import Program
from pksai.programs.rules import parse_program_rules
from pksai.programs.services import program_rules
from pksai.vulnerability.models import RuleSet
from pksai.vulnerability.services import ruleset_activate, ruleset_create


class Command(BaseCommand):
    help = (
        "A program's selection rules (docs/program-rules.md): "
        "list | upload FILE | activate VERSION, with --program CODE."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "upload", "activate"])
        parser.add_argument("target", nargs="?", help="FILE for upload, VERSION for activate.")
        parser.add_argument("--program", required=True, help="e.g. jspaca, jslu, pksa")

    def handle(self, *args, action: str, target: str | None, program: str, **options):
        found = Program.objects.filter(code=program, parent=None).first()
        if found is None:
            raise CommandError(f"No program {program!r}.")
        purpose = found.rules_purpose
        if action == "list":
            program_rules(found)  # the shipped default, if none yet
            for rs in RuleSet.objects.filter(purpose=purpose).order_by("version"):
                self.stdout.write(
                    f"v{rs.version:<4} {rs.status:<8} {rs.created_at:%Y-%m-%d} {rs.name}"
                )
            return
        if not target:
            raise CommandError(f"{action} needs a {'FILE' if action == 'upload' else 'VERSION'}")
        if action == "upload":
            try:
                text = Path(target).read_text(encoding="utf-8")
                if parse_program_rules(text).program != program:
                    raise CommandError(f"The file's `program:` is not {program}.")
                rs = ruleset_create(text=text, purpose=purpose, parse=parse_program_rules)
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
            except ValueError as exc:  # RuleError
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"Stored as draft v{rs.version}; activate it to use it in rounds.")
            return
        rs = RuleSet.objects.filter(purpose=purpose, version=int(target)).first()
        if rs is None:
            raise CommandError(f"No version {target} of {program}'s rules.")
        ruleset_activate(ruleset=rs)
        self.stdout.write(f"v{rs.version} is now active for {program}'s next rounds.")
