import os

import dj_database_url
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pksai.ops import db_roles


class Command(BaseCommand):
    help = (
        "Create or correct the two PostgreSQL roles (decision 0004): the owner of the "
        "database and its tables, which `pksai migrate` uses, and the application role of "
        "DATABASE_URL, which may change rows but only add to and read the audit trail. "
        "Idempotent; needs a superuser connection (--admin-url), or --print the SQL."
    )
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("--owner", help="owner role (default: DATABASE_OWNER)")
        parser.add_argument("--app", help="application role (default: DATABASE_URL's user)")
        parser.add_argument("--database", help="database (default: DATABASE_URL's database)")
        parser.add_argument(
            "--admin-url",
            default=os.environ.get("DATABASE_ADMIN_URL", ""),
            help="a superuser on the same server, e.g. postgres://postgres@127.0.0.1:5432 "
            "(default: DATABASE_ADMIN_URL; its database name is not used)",
        )
        parser.add_argument(
            "--owner-createdb",
            action="store_true",
            help="let the owner create databases (test runs: pytest creates its test "
            "databases as the owner)",
        )
        parser.add_argument(
            "--print",
            action="store_true",
            dest="print_sql",
            help="print the SQL for psql instead of running it (passwords left out)",
        )

    def handle(self, *args, owner=None, app=None, database=None, admin_url="", **options):
        default = settings.DATABASES["default"]
        postgres = default["ENGINE"] == "django.db.backends.postgresql"
        owner = owner or settings.PKSAI_DB_OWNER
        app = app or settings.PKSAI_DB_APP_ROLE or (default["USER"] if postgres else "")
        database = database or (default["NAME"] if postgres else "")
        if not (owner and app and database):
            raise CommandError(
                "Name the owner, the application role and the database (--owner, --app, "
                "--database, or DATABASE_OWNER and a PostgreSQL DATABASE_URL). On SQLite there "
                "are no roles: see docs/operations.md for what SQLite cannot guarantee."
            )
        try:
            db_roles.check_names(owner=owner, app=app)
            if options["print_sql"]:
                self.stdout.write(
                    db_roles.script(
                        database=database,
                        owner=owner,
                        app=app,
                        owner_createdb=options["owner_createdb"],
                    ),
                    ending="",
                )
                return
            if not admin_url:
                raise CommandError(
                    "Give a superuser connection: --admin-url postgres://postgres@HOST:5432 "
                    "(or DATABASE_ADMIN_URL), or --print the SQL for a DBA."
                )
            admin = dj_database_url.parse(admin_url)
            if admin["ENGINE"] != "django.db.backends.postgresql":
                raise CommandError("--admin-url must be a PostgreSQL URL")
            applied = db_roles.apply(
                admin={
                    "host": admin["HOST"] or None,
                    "port": admin["PORT"] or None,
                    "user": admin["USER"] or None,
                    "password": admin["PASSWORD"] or None,
                },
                database=database,
                owner=owner,
                app=app,
                # The passwords the settings will connect with, for the configured roles.
                owner_password=(
                    settings.PKSAI_DB_OWNER_PASSWORD if owner == settings.PKSAI_DB_OWNER else ""
                ),
                app_password=(default["PASSWORD"] if postgres and app == default["USER"] else ""),
                owner_createdb=options["owner_createdb"],
            )
        except db_roles.RoleError as error:
            raise CommandError(str(error)) from error
        created = ", ".join(applied.created_roles) or "none (both existed)"
        self.stdout.write(f"Roles created: {created}.")
        if applied.created_database:
            self.stdout.write(f"Database {database} created, owned by {owner}.")
        if applied.reassigned:
            self.stdout.write(
                f"{applied.reassigned} tables and sequences moved from {app} to {owner}."
            )
        self.stdout.write(f"{database} and its tables belong to {owner}.")
        for table, rights in applied.audit_rights.items():
            allowed = ", ".join(r for r, ok in rights.items() if ok) or "nothing"
            refused = ", ".join(r for r, ok in rights.items() if not ok) or "nothing"
            self.stdout.write(f"{app} on {table}: may {allowed}; may not {refused}.")
        self.stdout.write(
            self.style.SUCCESS(f"{app} logs in, is no superuser and owns nothing in {database}.")
        )
