"""The `pksai` console command: Django's management commands with PKSAI's settings.

`pksai migrate`, `pksai load-areas`, `pksai demo`, ... Dashes and underscores are
interchangeable in command names, so `pksai load-areas` runs `load_areas`.

Django's system checks import the whole URL configuration (every view, the API, the admin)
and take seconds; they protect the commands that serve requests or change the schema, so only
those run them (`pksai check` runs them on demand). Every other command starts as if given
``--skip-checks``.
"""

import os
import sys

# Commands that run the system checks before they start (decision 0015).
CHECKED_COMMANDS = frozenset({"check", "serve", "runserver", "migrate", "makemigrations", "test"})


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    # The command name (and the one after `help`) may be written with dashes.
    for i in (1, 2) if argv[1:2] == ["help"] else (1,):
        if len(argv) > i and not argv[i].startswith("-"):
            argv[i] = argv[i].replace("-", "_")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pksai.settings")
    from django.core.management import ManagementUtility

    class Utility(ManagementUtility):
        def fetch_command(self, subcommand):
            command = super().fetch_command(subcommand)
            if (
                self.argv[1:2] == [subcommand]
                and subcommand not in CHECKED_COMMANDS
                and command.requires_system_checks
                and "--skip-checks" not in self.argv
            ):
                # Read by execute() right after this call: run_from_argv(self.argv).
                self.argv = [*self.argv[:2], "--skip-checks", *self.argv[2:]]
            return command

    Utility(argv).execute()


if __name__ == "__main__":
    main()
