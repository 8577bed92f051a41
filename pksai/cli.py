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
# Commands that change the schema: they connect as the owner of the tables when DATABASE_OWNER
# is set (decision 0004); every other command connects as DATABASE_URL's application role.
OWNER_COMMANDS = frozenset({"migrate", "restore"})


def _load_settings_as_owner() -> None:
    """Load the settings with the owner's credentials for the default database. The switch
    lives only while they load, so no process this one starts inherits it."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    before = os.environ.get("PKSAI_DB_CONNECT_AS_OWNER")
    os.environ["PKSAI_DB_CONNECT_AS_OWNER"] = "1"
    try:
        settings.DATABASES  # noqa: B018  (loads the settings module now)
    except ImproperlyConfigured:
        pass  # reported by the command utility as usual
    finally:
        if before is None:
            del os.environ["PKSAI_DB_CONNECT_AS_OWNER"]
        else:
            os.environ["PKSAI_DB_CONNECT_AS_OWNER"] = before


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    # The command name (and the one after `help`) may be written with dashes.
    for i in (1, 2) if argv[1:2] == ["help"] else (1,):
        if len(argv) > i and not argv[i].startswith("-"):
            argv[i] = argv[i].replace("-", "_")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pksai.settings")
    if argv[1:2] and argv[1] in OWNER_COMMANDS:
        _load_settings_as_owner()
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
