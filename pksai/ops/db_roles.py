"""Two PostgreSQL roles, so that nothing the application does can erase the audit trail
(decision 0004, docs/operations.md "Database roles").

- The **owner** (``DATABASE_OWNER``) owns the database, its schema and every table. Only
  `pksai migrate` and `pksai restore` connect as it.
- The **application role** (the user of ``DATABASE_URL``) logs in, is no superuser and owns
  nothing: it may SELECT, INSERT, UPDATE and DELETE rows of the ordinary tables, use their
  sequences, only INSERT and SELECT rows of ``audit_auditevent`` and only read
  ``django_migrations``. Not being the owner, it cannot TRUNCATE, ALTER (disable the
  append-only trigger), DROP or replace the trigger's function, and it cannot create tables.

``grant_statements`` is what the owner itself may run, and runs after every migration
(``grant_after_migrate``) and restore, so tables added later get the same grants (the default
privileges do that too) and the audit table never keeps more than INSERT and SELECT.
``admin_statements`` needs a superuser (or a role with CREATEROLE that is a member of both):
it creates or corrects the roles, hands the database and whatever the application role owned
to the owner. `pksai db-roles` runs both, or prints them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

AUDIT_TABLE = "audit_auditevent"
MIGRATIONS_TABLE = "django_migrations"
SCHEMA = "public"
TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
# Everything but reading and appending, on the audit table (UPDATE/DELETE are also refused by
# its trigger; TRUNCATE, REFERENCES and TRIGGER only by not having them).
AUDIT_REVOKED = "UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER"


class RoleError(Exception):
    """The roles asked for cannot be set up as asked (same name twice, a superuser as the
    application role, ...)."""


def ident(name: str) -> str:
    """``name`` quoted as an SQL identifier."""
    if not name or "\x00" in name:
        raise RoleError(f"not a role or database name: {name!r}")
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """``text`` quoted as an SQL string literal (standard_conforming_strings is on since 9.1)."""
    if "\x00" in text:
        raise RoleError("a NUL byte cannot be part of a password")
    return "'" + text.replace("'", "''") + "'"


def check_names(*, owner: str, app: str) -> None:
    if not owner or not app:
        raise RoleError("both the owner role and the application role must be named")
    if owner == app:
        raise RoleError(
            f"the owner and the application role are both {owner!r}: they must be two roles"
        )


def grant_statements(*, owner: str, app: str) -> list[str]:
    """What the owner grants the application role in the current database. Idempotent; the
    audit and migration tables may not exist yet (a database before its first migration)."""
    check_names(owner=owner, app=app)
    o, a = ident(owner), ident(app)
    restrict = (
        "DO $pksai$ BEGIN\n"
        f"  IF to_regclass('{SCHEMA}.{AUDIT_TABLE}') IS NOT NULL THEN\n"
        f"    REVOKE {AUDIT_REVOKED} ON {SCHEMA}.{AUDIT_TABLE} FROM PUBLIC, {a};\n"
        f"    GRANT SELECT, INSERT ON {SCHEMA}.{AUDIT_TABLE} TO {a};\n"
        "  END IF;\n"
        f"  IF to_regclass('{SCHEMA}.{MIGRATIONS_TABLE}') IS NOT NULL THEN\n"
        f"    REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {SCHEMA}.{MIGRATIONS_TABLE} "
        f"FROM PUBLIC, {a};\n"
        f"    GRANT SELECT ON {SCHEMA}.{MIGRATIONS_TABLE} TO {a};\n"
        "  END IF;\n"
        "END $pksai$"
    )
    return [
        f"GRANT USAGE ON SCHEMA {SCHEMA} TO {a}",
        f"GRANT {TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA {SCHEMA} TO {a}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {SCHEMA} TO {a}",
        # Tables and sequences the owner creates later (the next migrations) get the same.
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} GRANT {TABLE_PRIVILEGES} ON TABLES TO {a}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} GRANT USAGE, SELECT ON SEQUENCES TO {a}",
        restrict,
    ]


def role_statements(
    *,
    owner: str,
    app: str,
    owner_password: str = "",
    app_password: str = "",
    owner_createdb: bool = False,
) -> list[str]:
    """Create the two roles when missing and make the application role what it must be.
    Cluster-wide; needs a superuser. The owner's other attributes are left alone."""
    check_names(owner=owner, app=app)
    o, a = ident(owner), ident(app)
    statements = []
    for name in (owner, app):
        statements.append(
            "DO $pksai$ BEGIN\n"
            f"  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {literal(name)}) THEN\n"
            f"    CREATE ROLE {ident(name)} LOGIN;\n"
            "  END IF;\n"
            "END $pksai$"
        )
    statements.append(f"ALTER ROLE {o} LOGIN" + (" CREATEDB" if owner_createdb else ""))
    statements.append(
        f"ALTER ROLE {a} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
    )
    # A member of the owner role would act with the owner's rights: never.
    statements.append(
        "DO $pksai$ BEGIN\n"
        f"  IF pg_has_role({literal(app)}, {literal(owner)}, 'MEMBER') THEN\n"
        f"    REVOKE {o} FROM {a};\n"
        "  END IF;\n"
        "END $pksai$"
    )
    if owner_password:
        statements.append(f"ALTER ROLE {o} PASSWORD {literal(owner_password)}")
    if app_password:
        statements.append(f"ALTER ROLE {a} PASSWORD {literal(app_password)}")
    return statements


def admin_statements(*, database: str, owner: str, app: str) -> list[str]:
    """In the application's database, as a superuser: the owner owns the database, the schema
    and everything the application role owned (an installation that used one role so far);
    the application role may connect and make temporary tables, and create nothing else."""
    check_names(owner=owner, app=app)
    o, a, d = ident(owner), ident(app), ident(database)
    return [
        f"ALTER DATABASE {d} OWNER TO {o}",
        f"ALTER SCHEMA {SCHEMA} OWNER TO {o}",
        f"REASSIGN OWNED BY {a} TO {o}",
        f"REVOKE CREATE ON SCHEMA {SCHEMA} FROM PUBLIC, {a}",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {d} TO {a}",
    ]


def script(*, database: str, owner: str, app: str, owner_createdb: bool = False) -> str:
    """The whole set-up as one psql script (passwords left out: set them with \\password)."""
    parts = [
        "-- PKSAI database roles (pksai db-roles --print). Run as a superuser with psql.",
        f"-- Owner: {owner}; application role: {app}; database: {database}.",
        "-- 1. The roles (cluster-wide).",
        *(s + ";" for s in role_statements(owner=owner, app=app, owner_createdb=owner_createdb)),
        "-- 2. The database (create it first if it does not exist:",
        f"--    CREATE DATABASE {ident(database)} OWNER {ident(owner)};), then connect to it.",
        f"\\connect {ident(database)}",
        *(s + ";" for s in admin_statements(database=database, owner=owner, app=app)),
        "-- 3. What the owner grants the application role (pksai migrate repeats this).",
        *(s + ";" for s in grant_statements(owner=owner, app=app)),
    ]
    return "\n".join(parts) + "\n"


def execute_all(cursor: Any, statements: Iterable[str]) -> None:
    for statement in statements:
        cursor.execute(statement)


@dataclass
class Applied:
    created_roles: list[str] = field(default_factory=list)
    created_database: bool = False
    reassigned: int = 0
    # What the application role may do on the audit table, read back from the database.
    audit_rights: dict[str, dict[str, bool]] = field(default_factory=dict)


AUDIT_CHECKED = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER")


def apply(
    *,
    admin: dict[str, Any],
    database: str,
    owner: str,
    app: str,
    owner_password: str = "",
    app_password: str = "",
    owner_createdb: bool = False,
) -> Applied:
    """Set up the roles and the database as a superuser. ``admin``: psycopg connection
    arguments (host, port, user, password; dbname is the maintenance database)."""
    import psycopg

    check_names(owner=owner, app=app)
    result = Applied()
    server = {k: v for k, v in admin.items() if k != "dbname"}
    with psycopg.connect(dbname=admin.get("dbname") or "postgres", autocommit=True, **server) as c:
        row = c.execute(
            "SELECT rolsuper, current_user FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        if not row or not row[0]:
            raise RoleError("connect as a superuser (e.g. postgres) to set up the roles")
        if row[1] in (owner, app):
            raise RoleError(
                f"{row[1]} is the superuser this connects as: the owner and the application "
                "role must be two other roles"
            )
        existing = {
            name
            for (name,) in c.execute(
                "SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", [[owner, app]]
            )
        }
        result.created_roles = [name for name in (owner, app) if name not in existing]
        execute_all(
            c,
            role_statements(
                owner=owner,
                app=app,
                owner_password=owner_password,
                app_password=app_password,
                owner_createdb=owner_createdb,
            ),
        )
        if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
            c.execute(f"CREATE DATABASE {ident(database)} OWNER {ident(owner)}")
            result.created_database = True
    with psycopg.connect(dbname=database, autocommit=True, **server) as c:
        owned = c.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = "
            "(SELECT oid FROM pg_roles WHERE rolname = %s) "
            "AND relnamespace = %s::regnamespace AND relkind IN ('r', 'p', 'S', 'v', 'm')",
            [app, SCHEMA],
        ).fetchone()
        result.reassigned = owned[0]
        with c.transaction():
            execute_all(c, admin_statements(database=database, owner=owner, app=app))
            execute_all(c, grant_statements(owner=owner, app=app))
        if c.execute("SELECT to_regclass(%s)", [f"{SCHEMA}.{AUDIT_TABLE}"]).fetchone()[0]:
            result.audit_rights[AUDIT_TABLE] = {
                right: c.execute(
                    "SELECT has_table_privilege(%s, %s, %s)",
                    [app, f"{SCHEMA}.{AUDIT_TABLE}", right],
                ).fetchone()[0]
                for right in AUDIT_CHECKED
            }
        owns = c.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = "
            "(SELECT oid FROM pg_roles WHERE rolname = %s)",
            [app],
        ).fetchone()[0]
        if owns:
            raise RoleError(f"{app} still owns {owns} relations in {database}")
    return result


def grant_app_role(connection: Any) -> bool:
    """As the owner, on a Django ``connection``: give the application role its grants (after
    a migration or a restore). Does nothing — and says so — without two roles, off
    PostgreSQL, or when the connection is not the owner's (the application role's own
    post_migrate, e.g. when the test runner empties tables)."""
    from django.conf import settings

    owner, app = settings.PKSAI_DB_OWNER, settings.PKSAI_DB_APP_ROLE
    if connection.vendor != "postgresql" or not owner or not app:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        if cursor.fetchone()[0] != owner:
            return False
        execute_all(cursor, grant_statements(owner=owner, app=app))
    return True


def grant_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate: every `pksai migrate` run as the owner re-asserts the grants."""
    from django.db import connections

    grant_app_role(connections[using])
