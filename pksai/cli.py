"""The `pksai` console command: Django's management commands with PKSAI's settings.

`pksai migrate`, `pksai load-areas`, `pksai demo`, ... Dashes and underscores are
interchangeable in command names, so `pksai load-areas` runs `load_areas`.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    # The command name (and the one after `help`) may be written with dashes.
    for i in (1, 2) if argv[1:2] == ["help"] else (1,):
        if len(argv) > i and not argv[i].startswith("-"):
            argv[i] = argv[i].replace("-", "_")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pksai.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
