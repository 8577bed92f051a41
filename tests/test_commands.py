"""Every documented `pksai` command (README, "The `pksai` command") run through the real console
entry point on a tiny database, asserting what it did: the rows it wrote, the files it made,
what it printed — not only that it exited 0.

Most run in-process through ``pksai.cli.main`` (what the installed `pksai` script calls), so
they share the test database and its transaction. ``migrate``, ``sync-roles``, ``score-file``
and ``serve`` also run as the installed console script in a subprocess, on a fresh database
that the script migrates itself (a subprocess cannot see the test database: SQLite's is in
memory, PostgreSQL's rows sit in the test's open transaction).
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import closing
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import polars as pl
import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from pksai.accounts.models import ApiToken, Organisation
from pksai.accounts.roles import ROLES
from pksai.accounts.tests.factories import make_user
from pksai.areas.models import Area, Boundary
from pksai.cases.tests.conftest import team  # noqa: F401  (the case-work team fixture)
from pksai.cli import main
from pksai.core.tests import local_server
from pksai.core.tests.processes import descendants, free_port, live_processes, owner_login
from pksai.monitoring.tests.test_views import monitoring_cases  # noqa: F401  (cases by month)
from pksai.programs.models import Program
from pksai.vulnerability.services import DEFAULT_RULES

# The console script installed beside this interpreter (.venv/bin/pksai).
CONSOLE_SCRIPT = Path(sys.executable).with_name("pksai")

# Each documented command → the test(s) below that run it. A test keeps this list and
# README's table in step, so a newly documented command needs a test here.
TESTED = {
    "migrate": ["test_migrate", "test_migrate_console_script_builds_a_fresh_database"],
    "load-areas": ["test_load_areas"],
    "load-boundaries": ["test_load_boundaries"],
    "demo": ["test_demo_on_an_empty_database"],
    "import-registry": ["test_import_registry", "test_import_registry_with_a_shipped_layout"],
    "synth-registry": ["test_synth_registry"],
    "score": ["test_score_and_rules"],
    "score-file": [
        "test_score_file",
        "test_score_file_console_script_needs_no_database",
        "test_import_registry_with_a_shipped_layout",
    ],
    "rules": ["test_score_and_rules"],
    "vulnerability-estimates": ["test_vulnerability_estimates"],
    "case-alerts": ["test_case_alerts"],
    "import-providers": ["test_import_providers"],
    "program-rules": ["test_program_rules"],
    "import-proposals": ["test_import_proposals"],
    "import-spending": ["test_import_spending_and_report"],
    "import-targets": ["test_import_targets"],
    "import-dhis2-mapping": ["test_dhis2_mapping_and_export"],
    "dhis2-export": ["test_dhis2_mapping_and_export", "test_dhis2_export_push"],
    "primero-export": ["test_primero_export_and_import"],
    "primero-import": ["test_primero_export_and_import"],
    "dci-crvs-check": ["test_dci_crvs_check"],
    "report": ["test_import_spending_and_report", "test_report_monthly_and_quarterly"],
    "import-population": ["test_import_population"],
    "sync-roles": ["test_sync_roles", "test_sync_roles_console_script"],
    "issue-token": ["test_issue_token"],
    "reset-second-factor": ["test_reset_second_factor"],
    "serve": ["test_serve_answers_http_and_sigterm_stops_every_process"],
    "db_worker": ["test_db_worker_runs_queued_tasks"],
    "db-roles": ["test_db_roles_prints_the_sql", "test_db_roles_sets_up_two_roles"],
    "field-cleanup": ["test_field_cleanup"],
    "worker": ["test_worker_runs_queued_tasks_and_reports_a_heartbeat"],
    "rotate-keys": ["test_rotate_keys"],
    "scheduler": ["test_scheduler_once_alerts_overdue_cases"],
    "retention": ["test_retention"],
}


# --- running a command -------------------------------------------------------------------


@dataclass
class Ran:
    code: int
    out: str
    err: str


@pytest.fixture
def pksai(capsys, monkeypatch):
    """``pksai(*argv, code=0)``: run ``pksai ARGV`` in-process through the console entry point
    and return its exit code and output; fails the test if the exit code is not ``code``."""
    # A command run from the command line closes every connection when it ends (the process
    # exits next); here that would drop the test's transaction on PostgreSQL.
    monkeypatch.setattr(connections, "close_all", lambda: None)

    def run(*argv: object, code: int = 0) -> Ran:
        capsys.readouterr()
        try:
            main(["pksai", *map(str, argv)])
            exit_code = 0
        except SystemExit as exc:
            exit_code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        shown = " ".join(map(str, argv))
        assert exit_code == code, f"pksai {shown} exited {exit_code}:\n{err or out}"
        return Ran(exit_code, out, err)

    return run


def console(*argv: str, url: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """The installed console script in a subprocess, on the database at ``url``."""
    return subprocess.run(  # noqa: S603
        [str(CONSOLE_SCRIPT), *argv],
        env={**os.environ, "DATABASE_URL": url},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def sql(url: str, query: str, params: tuple = ()) -> list[tuple]:
    """A query on the subprocesses' database (committed)."""
    if url.startswith("sqlite"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            rows = db.execute(query, params).fetchall()
            db.commit()
            return rows
    import psycopg

    with psycopg.connect(url) as db:
        cursor = db.execute(query.replace("?", "%s"), params)
        return cursor.fetchall() if cursor.description else []


def _postgres_admin():
    """Creates and drops the databases beside the test database: the owner role when the
    suite runs as the application role (which may not create databases)."""
    import psycopg

    s, login = connection.settings_dict, owner_login()
    return psycopg.connect(
        dbname="postgres",
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        user=login["USER"] or None,
        password=login["PASSWORD"] or None,
        autocommit=True,
    )


@pytest.fixture(scope="module")
def cli_db(django_db_setup, tmp_path_factory):
    """A fresh, empty database migrated by the console script (`pksai migrate`); yields its
    URL and the migrate run. PostgreSQL: a database beside the test database, dropped after."""
    if connection.vendor == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'pksai.sqlite3'}"
        name = None
    else:
        s = connection.settings_dict
        name = f"{s['NAME']}_cli"[:63]
        with _postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        auth = quote(s["USER"] or "", safe="")
        if s["PASSWORD"]:
            auth += ":" + quote(s["PASSWORD"], safe="")
        url = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"
    migrated = console("migrate", "--no-input", url=url)
    yield url, migrated
    if name:
        with _postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- tiny data -----------------------------------------------------------------------------

# A registry extract in the exchange format (docs/registry-format.md): two households in
# Bontorannu (73.71.01.1001), three children among five people.
EXTRACT = (
    "household_id,village_code,floor_type,meals_per_day,person_id,name,sex,birth_date,"
    "relationship,school_participation\n"
    "H1,7371011001,earth,1,1,Daeng Baso,M,1980-03-12,head,completed\n"
    "H1,7371011001,earth,1,2,Nur Aisyah,F,2014-07-05,child,never\n"
    "H1,7371011001,earth,1,3,Ical,M,2019-01-10,child,\n"
    "H2,73.71.01.1001,cement,3,1,Ibu Ros,F,1985-05-05,head,completed\n"
    "H2,73.71.01.1001,cement,3,2,Andi,M,2012-01-30,child,attending\n"
)
CHILDREN = 3


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def children_scored(ruleset) -> int:
    """People with a risk level under ``ruleset`` (only the children should have one)."""
    return ruleset.scores.exclude(risk_level="").count()


@pytest.fixture
def registry(pksai, pilot_areas, tmp_path):
    """The extract imported with `pksai import-registry`."""
    pksai("import-registry", write(tmp_path / "extract.csv", EXTRACT), "--source", "DTKS-TEST")


def test_every_documented_command_has_a_test():
    readme = (settings.BASE_DIR / "README.md").read_text(encoding="utf-8")
    table = readme.split("## The `pksai` command", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `pksai ([a-z0-9_-]+)", table, flags=re.MULTILINE))
    assert documented == set(TESTED)
    defined = {name for name, value in globals().items() if callable(value)}
    assert {t for tests in TESTED.values() for t in tests} <= defined


# --- database and reference data --------------------------------------------------------


@pytest.mark.django_db
def test_migrate(pksai):
    assert pksai("migrate", "--check").code == 0  # nothing unapplied
    assert "No migrations to apply" in pksai("migrate", "--no-input").out


def test_migrate_console_script_builds_a_fresh_database(cli_db):
    url, migrated = cli_db
    assert migrated.returncode == 0, migrated.stderr
    assert "Applying accounts.0001_initial... OK" in migrated.stdout
    applied = set(sql(url, "SELECT app, name FROM django_migrations"))
    assert set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations) <= applied
    # the data migrations ran, and migrate gave every role its group
    programs = f"SELECT code FROM {Program._meta.db_table}"  # noqa: S608  (a model's table)
    assert ("pksa",) in sql(url, programs)
    groups = {name for (name,) in sql(url, "SELECT name FROM auth_group")}
    assert {role.slug for role in ROLES} <= groups
    if settings.PKSAI_DB_OWNER:  # two roles: migrate connected as the owner and granted
        owners = "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
        assert sql(url, owners) == [(settings.PKSAI_DB_OWNER,)]
        rights = (
            "SELECT has_table_privilege(current_user, 'cases_case', 'UPDATE'), "
            "has_table_privilege(current_user, 'audit_auditevent', 'INSERT'), "
            "has_table_privilege(current_user, 'audit_auditevent', 'UPDATE'), "
            "has_table_privilege(current_user, 'audit_auditevent', 'TRUNCATE'), current_user"
        )
        assert sql(url, rights) == [(True, True, False, False, settings.PKSAI_DB_APP_ROLE)]


@pytest.mark.django_db
def test_load_areas(pksai):
    out = pksai("load-areas").out
    by_level = {level: Area.objects.filter(level=level).count() for level in Area.Level.values}
    assert by_level[Area.Level.PROVINCE] == 38 and by_level[Area.Level.REGENCY] == 514
    assert by_level[Area.Level.DISTRICT] == 7_285 and by_level[Area.Level.VILLAGE] == 83_762
    assert "83,762" in out and "91,599" in out  # what it loaded, and the total read
    assert Area.objects.get(code="73.71").name == "Kota Makassar"

    again = pksai("load-areas", "--if-empty").out
    assert "nothing to do" in again.lower() and "91,599" not in again
    assert Area.objects.count() == sum(by_level.values())


def test_load_boundaries(pksai, pilot_areas, tmp_path):
    ring = [[119.40, -5.15], [119.42, -5.15], [119.42, -5.13], [119.40, -5.13], [119.40, -5.15]]
    features = [
        {"type": "Feature", "properties": {"code": code}, "geometry": geometry}
        for code, geometry in (
            ("73.71.01", {"type": "Polygon", "coordinates": [ring]}),
            ("73.71.99", {"type": "Polygon", "coordinates": [ring]}),
            ("73.06.01", {"type": "LineString", "coordinates": ring}),
        )
    ]
    path = write(
        tmp_path / "outlines.geojson",
        json.dumps({"type": "FeatureCollection", "features": features}),
    )
    ran = pksai("load-boundaries", path, "--source", "test shapes", "--licence", "CC0 1.0")
    assert "read 3, created 1, updated 0, unchanged 0, rejected 2" in ran.out
    assert "73.71.99: unknown code" in ran.err and "73.06.01: bad geometry" in ran.err
    stored = Boundary.objects.get(area_id="73.71.01")
    assert (stored.source, stored.licence, stored.points) == ("test shapes", "CC0 1.0", 5)
    again = pksai("load-boundaries", tmp_path, "--source", "test shapes", "--licence", "CC0 1.0")
    assert "created 0, updated 0, unchanged 1" in again.out
    assert Boundary.objects.count() == 1
    assert (
        "No such file"
        in pksai(
            "load-boundaries", tmp_path / "none.geojson", "--source", "s", "--licence", "l", code=1
        ).err
    )


@pytest.mark.django_db
def test_sync_roles(pksai):
    coordinator = Group.objects.get(name="coordinator")
    wanted = coordinator.permissions.count()
    assert wanted > 0
    coordinator.permissions.clear()
    Group.objects.filter(name="auditor").delete()

    out = pksai("sync-roles").out
    assert coordinator.permissions.count() == wanted
    assert Group.objects.get(name="auditor").permissions.exists()
    assert re.search(rf"^coordinator\s+{wanted} permissions$", out, flags=re.MULTILINE)
    assert len(out.splitlines()) == len(ROLES)


def test_sync_roles_console_script(cli_db):
    url, _ = cli_db
    ((group,),) = sql(url, "SELECT id FROM auth_group WHERE name = ?", ("supervisor",))
    sql(url, "DELETE FROM auth_group_permissions WHERE group_id = ?", (group,))

    ran = console("sync-roles", url=url)
    assert ran.returncode == 0, ran.stderr
    (role,) = [r for r in ROLES if r.slug == "supervisor"]
    count = "SELECT count(*) FROM auth_group_permissions WHERE group_id = ?"
    assert sql(url, count, (group,)) == [(len(role.permissions),)]
    assert "supervisor" in ran.stdout and f"{len(role.permissions)} permissions" in ran.stdout


# --- database roles (decision 0004) ------------------------------------------------------


def test_db_roles_prints_the_sql(pksai):
    out = pksai(
        "db-roles", "--print", "--owner", "o_pksai", "--app", "a_pksai", "--database", "d"
    ).out
    assert 'ALTER DATABASE "d" OWNER TO "o_pksai";' in out
    assert 'REASSIGN OWNED BY "a_pksai" TO "o_pksai";' in out
    assert (
        'ALTER DEFAULT PRIVILEGES FOR ROLE "o_pksai" GRANT SELECT, INSERT, UPDATE, DELETE ON '
        'TABLES TO "a_pksai";'
    ) in out
    assert (
        "REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON public.audit_auditevent "
        'FROM PUBLIC, "a_pksai";'
    ) in out
    assert 'GRANT SELECT, INSERT ON public.audit_auditevent TO "a_pksai";' in out
    assert "NOSUPERUSER" in out and "PASSWORD" not in out
    same = pksai("db-roles", "--print", "--owner", "x", "--app", "x", "--database", "d", code=1)
    assert "must be two roles" in same.err
    if connection.vendor == "sqlite":
        alone = pksai("db-roles", code=1)
        assert "On SQLite there are no roles" in alone.err


def _admin_url() -> str | None:
    """A superuser on the test server: DATABASE_ADMIN_URL (.ci/run sets it), or the test
    connection itself when it is one (one role, e.g. postgres)."""
    if url := os.environ.get("DATABASE_ADMIN_URL"):
        return url
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            return None
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"], safe="")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"


@pytest.mark.django_db
def test_db_roles_sets_up_two_roles(pksai):
    """A one-role installation (the application's role owns the database and its tables)
    becomes two: the owner owns everything, the application role may change rows, only add to
    and read the audit table, and gets the same rights on tables the owner creates later."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no roles (the command refuses: test_db_roles_prints_the_sql)")
    admin_url = _admin_url()
    if not admin_url:
        pytest.skip("needs a superuser: set DATABASE_ADMIN_URL (.ci/run does)")
    import dj_database_url
    import psycopg

    base = connection.settings_dict["NAME"]
    owner, app, database = f"{base}_rown"[:63], f"{base}_rapp"[:63], f"{base}_roles"[:63]
    a = dj_database_url.parse(admin_url)
    server = {
        "host": a["HOST"] or None,
        "port": a["PORT"] or None,
        "user": a["USER"] or None,
        "password": a["PASSWORD"] or None,
    }

    def admin(dbname: str = "postgres"):
        return psycopg.connect(dbname=dbname, autocommit=True, **server)

    def cleanup() -> None:
        with admin() as db:
            db.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            db.execute(f'DROP ROLE IF EXISTS "{owner}"')
            db.execute(f'DROP ROLE IF EXISTS "{app}"')

    cleanup()
    try:
        with admin() as db:  # today's installation: one role owns everything
            db.execute(f'CREATE ROLE "{app}" LOGIN')
            db.execute(f'CREATE DATABASE "{database}" OWNER "{app}"')
        with admin(database) as db:
            db.execute(f'SET ROLE "{app}"')
            db.execute(
                "CREATE TABLE audit_auditevent (id bigint GENERATED BY DEFAULT AS IDENTITY "
                "PRIMARY KEY, action text)"
            )
            db.execute(
                "CREATE TABLE cases_case (id bigint GENERATED BY DEFAULT AS IDENTITY "
                "PRIMARY KEY, stage text)"
            )
            db.execute("INSERT INTO audit_auditevent (action) VALUES ('view')")

        argv = ["--owner", owner, "--app", app, "--database", database, "--admin-url", admin_url]
        out = pksai("db-roles", *argv).out
        assert f"Roles created: {owner}." in out
        assert f"4 tables and sequences moved from {app} to {owner}." in out  # 2 + 2
        assert (
            f"{app} on audit_auditevent: may SELECT, INSERT; "
            "may not UPDATE, DELETE, TRUNCATE, TRIGGER."
        ) in out
        again = pksai("db-roles", *argv).out  # idempotent
        assert "Roles created: none (both existed)." in again and "moved" not in again

        with admin(database) as db:
            owners = db.execute(
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
            assert owners == [(owner,)]
            assert db.execute(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [database]
            ).fetchone() == (owner,)
            assert db.execute(
                "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = %s",
                [app],
            ).fetchone() == (False, False, False)
            db.execute(f'SET ROLE "{owner}"')  # a later migration adds a table
            db.execute("CREATE TABLE later (id bigint GENERATED BY DEFAULT AS IDENTITY, x int)")
            db.execute("RESET ROLE")
            db.execute(f'SET ROLE "{app}"')
            db.execute("INSERT INTO audit_auditevent (action) VALUES ('export')")
            assert db.execute("SELECT count(*) FROM audit_auditevent").fetchone() == (2,)
            db.execute("INSERT INTO cases_case (stage) VALUES ('intake')")
            db.execute("UPDATE cases_case SET stage = 'assessment'")
            db.execute("DELETE FROM cases_case")
            db.execute("INSERT INTO later (x) VALUES (1)")  # the default privileges
            for refused in (
                "TRUNCATE audit_auditevent",
                "UPDATE audit_auditevent SET action = 'x'",
                "DELETE FROM audit_auditevent",
                "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL",
                "DROP TABLE audit_auditevent",
                "CREATE TABLE mine (id int)",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege), db.transaction():
                    db.execute(refused)
            assert db.execute("SELECT count(*) FROM audit_auditevent").fetchone() == (2,)
    finally:
        cleanup()


# --- demo --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_on_an_empty_database(pksai, settings, tmp_path):
    from pksai.accounts.models import User
    from pksai.cases.models import Case
    from pksai.grievances.models import Complaint
    from pksai.monitoring.models import BudgetLine
    from pksai.payments.models import PaymentCycle
    from pksai.programs.models import Beneficiary
    from pksai.referrals.models import Provider, Referral
    from pksai.registry.models import Household
    from pksai.vulnerability.models import Score

    assert not Area.objects.exists() and not User.objects.exists()

    # with DEBUG off (a server) the demo and its published password are refused unless forced
    settings.DEBUG = False
    refused = pksai("demo", "--households", 60, code=1)
    assert "--force" in refused.err and "DEBUG=1" in refused.err
    assert not User.objects.exists()

    settings.DEBUG = True  # `make run` loads it with DEBUG=1
    out = pksai("demo", "--households", 60).out
    assert Area.objects.filter(level=Area.Level.VILLAGE).count() == 83_762  # loaded first
    assert Household.objects.count() == 60
    assert Score.objects.exists()
    assert User.objects.filter(username="gowa.coordinator").exists()
    assert User.objects.get(username="national.auditor").is_national
    assert Case.objects.values("stage").distinct().count() > 3  # cases in many stages
    assert Provider.objects.exists() and Referral.objects.exists()
    assert Beneficiary.objects.exists() and PaymentCycle.objects.exists()
    assert Complaint.objects.exists() and BudgetLine.objects.exists()
    assert "gowa.coordinator" in out
    # decision 0029: the shipped outlines (provinces, the demo provinces' regencies) are loaded
    assert "Area outlines: read 127, created 127" in out
    assert Boundary.objects.filter(area_id="73.06").exists()  # Kabupaten Gowa

    users = User.objects.count()
    settings.DEBUG = False  # --if-empty on a database with users does nothing, even on a server
    again = pksai("demo", "--if-empty").out
    assert "gowa.coordinator" not in again
    assert User.objects.count() == users and Household.objects.count() == 60


# --- registry and vulnerability ----------------------------------------------------------


@pytest.mark.django_db
def test_synth_registry(pksai, pilot_areas, tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    out = pksai(
        "synth-registry", "--regencies", "7371", "--households", 6, "--seed", 3, "--out", first
    ).out
    frame = pl.read_csv(first, infer_schema=False)
    assert frame["household_id"].n_unique() == 6
    assert frame["village_code"].str.replace_all(r"\.", "").str.starts_with("7371").all()
    assert f"{frame.height:,} rows" in out
    pksai("synth-registry", "--regencies", "73.71", "--households", 6, "--seed", 3, "--out", second)
    assert first.read_bytes() == second.read_bytes()  # same seed, same file

    bad = pksai(
        "synth-registry", "--regencies", "7371", "--households", 6, "--out", "x.txt", code=1
    )
    assert ".csv" in bad.err and not Path("x.txt").exists()
    missing = pksai(
        "synth-registry", "--regencies", "3372", "--households", 6, "--out", first, code=1
    )
    assert "33.72" in missing.err


@pytest.mark.django_db
def test_import_registry(pksai, pilot_areas, tmp_path):
    from pksai.registry.models import Household, Person

    extract = write(tmp_path / "extract.csv", EXTRACT)
    pksai("import-registry", extract, "--source", "DTKS-TEST")
    assert Household.objects.count() == 2 and Person.objects.count() == 5
    child = Person.objects.get(name="Nur Aisyah")
    assert (child.village_id, child.sex, child.birth_date) == (
        "73.71.01.1001",
        "F",
        date(2014, 7, 5),
    )

    pksai("import-registry", extract, "--source", "DTKS-TEST")  # re-import changes nothing
    assert Person.objects.count() == 5
    assert Person.objects.get(pk=child.pk).name == "Nur Aisyah"

    missing = pksai("import-registry", tmp_path / "none.csv", "--source", "DTKS-TEST", code=1)
    assert "none.csv" in missing.err
    assert Person.objects.count() == 5


@pytest.mark.django_db
def test_score_and_rules(pksai, registry, tmp_path):
    from pksai.vulnerability.models import RuleSet, Score

    scored = pksai("score").out
    (v1,) = RuleSet.objects.filter(purpose="vulnerability")
    assert (v1.version, v1.status) == (1, RuleSet.Status.ACTIVE)
    assert children_scored(v1) == CHILDREN
    assert "PKSAI default" in scored

    listed = pksai("rules", "list").out
    assert re.search(r"^v1\s+active\s", listed, flags=re.MULTILINE)

    text = DEFAULT_RULES.read_text(encoding="utf-8").replace(
        "name: PKSAI default 2026", "name: Command test rules"
    )
    pksai("rules", "upload", write(tmp_path / "rules.yaml", text))
    v2 = RuleSet.objects.get(purpose="vulnerability", version=2)
    assert (v2.name, v2.status) == ("Command test rules", RuleSet.Status.DRAFT)
    bad = pksai("rules", "upload", write(tmp_path / "bad.yaml", "name: x\n"), code=1)
    assert "criteria" in bad.err  # what the file lacks
    assert RuleSet.objects.filter(purpose="vulnerability").count() == 2

    preview = pksai("rules", "preview", 2).out
    assert "73.71" in preview or "Kota Makassar" in preview
    assert not Score.objects.filter(ruleset=v2).exists()  # a preview writes nothing

    # score with a version that is not (yet) active
    pksai("score", "--ruleset-version", 2)
    assert children_scored(v2) == CHILDREN
    unknown = pksai("score", "--ruleset-version", 9, code=1)
    assert re.search(r"\b9\b", unknown.err)
    assert not RuleSet.objects.filter(version=9).exists()

    pksai("rules", "activate", 2)
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == (RuleSet.Status.RETIRED, RuleSet.Status.ACTIVE)
    assert re.search(r"^v2\s+active\s", pksai("rules", "list").out, flags=re.MULTILINE)
    pksai("rules", "activate", code=1)  # needs a version


@pytest.mark.django_db
def test_vulnerability_estimates(pksai, registry, tmp_path):
    pksai("score")
    frame = pl.read_csv(
        io.StringIO(pksai("vulnerability-estimates", "--level", "regency", "--format", "csv").out)
    )
    assert frame.columns == ["area_code", "area_name", "risk", "girls", "boys", "total"]
    assert set(frame["area_code"].cast(pl.String)) == {"73.71"}
    assert set(frame["risk"]) <= {"high", "medium", "low"}  # children only
    assert frame["total"].sum() == CHILDREN and frame["girls"].sum() == 1

    out = tmp_path / "estimates.xlsx"
    pksai("vulnerability-estimates", "--level", "village", "--format", "xlsx", "--out", out)
    sheet = pl.read_excel(out)
    assert set(sheet["area_code"]) == {"73.71.01.1001"} and sheet["total"].sum() == CHILDREN
    assert "--out" in pksai("vulnerability-estimates", "--format", "xlsx", code=1).err


def test_score_file_console_script_needs_no_database(tmp_path):
    """Run as the installed script, with a database URL that cannot be opened."""
    extract = write(tmp_path / "extract.csv", EXTRACT)
    out = tmp_path / "scores.parquet"
    ran = console(
        "score-file", str(extract), "--out", str(out), url="sqlite:////nonexistent/dir/no.sqlite3"
    )
    assert ran.returncode == 0, ran.stderr
    scores = pl.read_parquet(out)
    assert {"household_id", "person_id", "risk_level", "criteria_count"} <= set(scores.columns)
    # the children (the rules' population) each get a risk level
    assert scores.filter(pl.col("risk_level").is_not_null()).height == CHILDREN
    assert str(out) in ran.stdout


# An official DTKS extract: its own headers and codes (docs/registry-editions.md).
DTKS_EXTRACT = (
    "IDBDT,IDARTBDT,KDPROP,KDKAB,KDKEC,KDDESA,Nama,JnsKel,TglLahir,NIK,Hub_KRT,"
    "Partisipasi_sekolah,Jenis_cacat,Ada_pkh\n"
    "7371010001001,737101000100101,73,71,01,1001,Daeng Baso,1,12-03-1980,,1,2,00,1\n"
    "7371010001001,737101000100102,73,71,01,1001,Nur Aisyah,2,05-07-2014,,3,0,00,1\n"
    "7371010001001,737101000100103,73,71,01,1001,Ical,1,10-01-2019,,3,,,1\n"
    "7371010001001,737101000100104,73,71,01,1001,Wa Ode,2,01-01-1990,,7,,,4\n"
)


@pytest.mark.django_db
def test_import_registry_with_a_shipped_layout(pksai, pilot_areas, tmp_path):
    from pksai.registry.models import Person

    extract = write(tmp_path / "dtks.csv", DTKS_EXTRACT)
    ran = pksai("import-registry", extract, "--source", "DTKS-2026-03", "--layout", "dtks-2020")
    assert "rejected 0" in ran.out and "dtks-2020" in ran.out
    child = Person.objects.get(name="Nur Aisyah")
    assert (child.sex, child.relationship, child.school_participation, child.village_id) == (
        "F",
        "child",
        "never",
        "73.71.01.1001",
    )
    assert Person.objects.get(name="Wa Ode").other_programs == ""  # Ada_pkh 4: Tidak
    # recognised without --layout; an unknown layout is refused
    assert "dtks-2020" in pksai("import-registry", extract, "--source", "DTKS-2026-03").out
    assert Person.objects.count() == 4
    bad = pksai("import-registry", extract, "--source", "DTKS", "--layout", "dtks-1999", code=1)
    assert "dtks-1999" in bad.err
    # score-file reads the same extract with the same translation
    out = tmp_path / "scores.parquet"
    pksai("score-file", extract, "--out", out)
    scores = pl.read_parquet(out).sort("person_id")
    assert scores["person_id"].to_list()[1] == "737101000100102"
    assert [level is None for level in scores["risk_level"]] == [True, False, False, True]


def test_score_file(pksai, tmp_path):
    out = tmp_path / "scores.parquet"
    pksai("score-file", write(tmp_path / "extract.csv", EXTRACT), "--out", out)
    scores = pl.read_parquet(out).sort("household_id", "person_id")
    # the children (the rules' population) get a risk level, the two adults none
    assert [level is None for level in scores["risk_level"]] == [True, False, False, True, False]
    rules = write(tmp_path / "r.yaml", "name: broken\n")
    broken = pksai("score-file", tmp_path / "extract.csv", "--out", out, "--rules", rules, code=1)
    assert "criteria" in broken.err  # what the rule file lacks
    missing = pksai("score-file", tmp_path / "none.csv", "--out", out, code=1)
    assert "none.csv" in missing.err


# --- cases, referrals, programs, finance ---------------------------------------------------


@pytest.mark.django_db
def test_case_alerts(pksai, team, settings, tmp_path):  # noqa: F811
    from pksai.cases.models import Alert, Case
    from pksai.cases.tests.factories import register
    from pksai.grievances import services as grievances
    from pksai.grievances.models import Complaint, Level

    case = register(team)
    complaint = grievances.complaint_submit_public(
        grievances.ComplaintInput(
            category="mistargeting",
            description="Tetangga saya kaya tetapi menerima bantuan setiap bulan.",
            area_code="73.71.01",
        ),
        sender="10.0.0.1",
    )
    Alert.objects.all().delete()
    quiet = pksai("case-alerts").out
    assert re.search(r"\b0\b.*\b0\b.*\b0\b", quiet, flags=re.DOTALL) and not Alert.objects.exists()

    past = timezone.now() - timedelta(hours=1)
    Case.objects.filter(pk=case.pk).update(stage_due_at=past)
    Complaint.objects.filter(pk=complaint.pk).update(due_at=past)
    out = pksai("case-alerts").out
    assert set(Alert.objects.values_list("user__username", flat=True)) == {"sw", "spv"}
    assert Complaint.objects.get(pk=complaint.pk).level == Level.PROVINCE
    assert re.match(r"1\b", out)  # one case newly overdue
    pksai("case-alerts")  # once per due date
    assert Alert.objects.count() == 2


PROVIDERS = (
    "name,sector,area_code,address,phone,email,services,catchment,contact_person,"
    "opening_hours,active\n"
    "Puskesmas Mariso,health_centre,73.71.01,,,,health_check,,,,\n"
    "Nowhere,hospital,99.99,,,,,,,,\n"
)


@pytest.mark.django_db
def test_import_providers(pksai, pilot_areas, tmp_path):
    from pksai.referrals.models import Provider

    errors = tmp_path / "rejected.csv"
    pksai("import-providers", write(tmp_path / "p.csv", PROVIDERS), "--errors", errors)
    provider = Provider.objects.get()
    assert provider.organisation.name == "Puskesmas Mariso"
    assert provider.organisation.area_id == "73.71.01"
    assert "99.99" in errors.read_text(encoding="utf-8")
    pksai("import-providers", tmp_path / "p.csv", "--errors", errors)
    assert Provider.objects.count() == 1
    assert "none.csv" in pksai("import-providers", tmp_path / "none.csv", code=1).err


@pytest.mark.django_db
def test_program_rules(pksai, tmp_path):
    from pksai.vulnerability.models import RuleSet

    listed = pksai("program-rules", "list", "--program", "jspaca").out
    assert re.search(r"^v1\s+active\s.*JSPACA", listed, flags=re.MULTILINE)

    shipped = settings.BASE_DIR / "pksai" / "programs" / "rules" / "jspaca.yaml"
    text = shipped.read_text(encoding="utf-8").replace(
        "name: JSPACA default 2026", "name: JSPACA command test"
    )
    pksai("program-rules", "upload", write(tmp_path / "j.yaml", text), "--program", "jspaca")
    draft = RuleSet.objects.get(purpose="program:jspaca", version=2)
    assert (draft.name, draft.status) == ("JSPACA command test", RuleSet.Status.DRAFT)
    # a file for another program is refused
    pksai("program-rules", "upload", tmp_path / "j.yaml", "--program", "jslu", code=1)
    assert not RuleSet.objects.filter(purpose="program:jslu", version=2).exists()

    pksai("program-rules", "activate", 2, "--program", "jspaca")
    statuses = dict(
        RuleSet.objects.filter(purpose="program:jspaca").values_list("version", "status")
    )
    assert statuses == {1: RuleSet.Status.RETIRED, 2: RuleSet.Status.ACTIVE}
    assert "nope" in pksai("program-rules", "list", "--program", "nope", code=1).err


@pytest.mark.django_db
def test_import_proposals(pksai, pilot_areas, tmp_path):
    from pksai.programs.models import Nomination
    from pksai.programs.tests.factories import make_person

    make_user("po", roles=["program_officer"], scope=["73.71"])
    lksa = Organisation.objects.create(
        name="LKSA Harapan Bangsa", kind=Organisation.Kind.LKSA, area_id="73.71"
    )
    ani = make_person("Ani Lestari", nik="7371010101150001", birth=date(2015, 5, 1), sex="F")
    proposals = write(
        tmp_path / "proposals.csv",
        "nik,person_id,name,dependency,assistive_device_needed,bedridden,fixed_income,"
        "in_institution,notes\n"
        "7371010101150001,,Ani Lestari,total,,,,,\n"
        "7371019999999999,,Nobody,,,,,,\n",
    )
    args = ("--program", "pksa", "--year", 2026, "--partner", lksa.pk, "--user", "po")
    out = pksai("import-proposals", proposals, *args).out
    nomination = Nomination.objects.get()
    assert (nomination.person, nomination.year, nomination.program.code) == (ani, 2026, "pksa")
    assert "3\tnik\t7371019999999999" in out  # the rejected row: row, column, value, reason
    pksai("import-proposals", proposals, *args)
    assert Nomination.objects.count() == 1
    unknown_user = pksai("import-proposals", proposals, *args[:-1], "nobody", code=1)
    assert "nobody" in unknown_user.err
    assert Nomination.objects.count() == 1


BN = 1_000_000_000
SPENDING = (
    "program,year,level,category,budget,realised,jan,feb,mar,apr,may,jun,jul,aug,sep,oct,nov,"
    "dec,beneficiaries,civil_servants\n"
    f"pksa,2009,central,benefits,{180 * BN},{169 * BN},,,,,,,,,,,,,169306,69\n"
    f"pksa,2009,central,salaries,{3 * BN},{29 * BN // 10},,,,,,,,,,,,,,\n"
    f"pksa,2009,central,administration,{35 * BN},{311 * BN // 10},,,,,,,,,,,,,,\n"
    f"jslu,2009,central,benefits,100,60,{','.join(['10'] * 6 + ['0'] * 6)},10,\n"
)


@pytest.mark.django_db
def test_import_spending_and_report(pksai, pilot_areas, tmp_path):
    from pksai.monitoring.models import BudgetLine

    make_user("finance", roles=["program_officer"], national=True)
    lines = write(tmp_path / "spending.csv", SPENDING)
    pksai("import-spending", lines, "--user", "finance")
    assert BudgetLine.objects.filter(year=2009).count() == 4
    pksai("import-spending", lines, "--user", "finance")  # a re-run changes nothing
    assert BudgetLine.objects.count() == 4
    assert "nobody" in pksai("import-spending", lines, "--user", "nobody", code=1).err

    efficiency = json.loads(pksai("report", "efficiency", "--year", 2009, "--program", "pksa").out)
    (pksa,) = efficiency
    assert pksa["unit_cost"] == 1_199_012  # 203 bn ÷ 169,306 beneficiaries (finance tests)
    assert pksa["admin_overhead_ratio"] == "16.7"

    years = json.loads(
        pksai(
            "report", "efficiency-years", "--year", 2009, "--from-year", 2008, "--program", "pksa"
        ).out
    )
    rows = {row["indicator"]: row for row in years}
    assert rows["unit_cost"]["2009"] == 1_199_012 and rows["unit_cost"]["2008"] is None
    assert rows["of_which:administration"]["2009"] == 31_100_000_000
    assert "needs --program" in pksai("report", "efficiency-years", "--year", 2009, code=1).err

    execution = json.loads(pksai("report", "execution", "--year", 2009).out)
    jslu = {row["level"]: row["ratio"] for row in execution if row["program"] == "jslu"}
    assert jslu["central"] == "60.0"

    months = pksai(
        "report", "execution-by-month", "--year", 2009, "--program", "jslu", "--format", "csv"
    ).out
    frame = pl.read_csv(io.StringIO(months))
    assert frame.height == 12 and frame["cumulative"].max() == 60
    assert "nope" in pksai("report", "execution", "--year", 2009, "--program", "nope", code=1).err


@pytest.mark.django_db
def test_report_monthly_and_quarterly(pksai, monitoring_cases, tmp_path, monkeypatch):  # noqa: F811
    """The handover report as the system: one PDF or XLSX for an explicit area and period,
    named from them by default, internal or --publication, Indonesian unless --language en."""
    from pksai.audit.models import AuditEvent
    from pksai.core.tests.pdf_text import pdf_text
    from pksai.core.tests.xlsx_cells import beside, find, read_cells

    year = timezone.localdate().year
    monkeypatch.chdir(tmp_path)
    ran = pksai("report", "monthly", "--area", "73.06", "--period", f"{year}-01")
    default = tmp_path / f"laporan-bulanan-73.06-{year}-01-internal.pdf"
    assert default.name in ran.out and default.exists()
    text = pdf_text(default.read_bytes())
    assert "Kabupaten Gowa" in text and "Halaman 1 dari" in text and "system" in text
    published = tmp_path / "gowa.xlsx"
    pksai(
        "report",
        "monthly",
        "--area",
        "7306",
        "--period",
        f"{year}-01",
        "--publication",
        "--output",
        published,
        "--language",
        "en",
    )
    summary = read_cells(published.read_bytes())["Summary"]
    reported = find(summary, "Cases reported")
    assert beside(summary, reported, 6).value == "≤4"  # 2 cases in Gowa in January: hidden
    quarter = tmp_path / "q1.pdf"
    pksai(
        "report",
        "quarterly",
        "--area",
        "73.71",
        "--period",
        f"{year}-Q1",
        "--output",
        quarter,
        "--language",
        "en",
    )
    assert f"Quarter 1 {year}" in pdf_text(quarter.read_bytes())
    rows = AuditEvent.objects.filter(object_type="monitoring.report.monthly").order_by("pk")
    assert [(r.actor_username, r.detail["edition"]) for r in rows] == [
        ("system", "internal"),
        ("system", "publication"),
        ("system", "internal"),
    ]
    assert "--period" in pksai("report", "monthly", "--area", "73.71", code=1).err
    assert (
        "YYYY-Qn"
        in pksai("report", "quarterly", "--area", "73.71", "--period", f"{year}-01", code=1).err
    )
    assert (
        "No area"
        in pksai("report", "monthly", "--area", "99.99", "--period", "2026-01", code=1).err
    )
    assert (
        "pdf or xlsx"
        in pksai(
            "report", "monthly", "--period", "2026-01", "--output", tmp_path / "x.doc", code=1
        ).err
    )
    assert "needs --year" in pksai("report", "execution", code=1).err


@pytest.mark.django_db
def test_import_targets(pksai, pilot_areas, tmp_path):
    from pksai.areas.tests.factories import make_areas
    from pksai.monitoring.models import IndicatorTarget

    pilot = Path(settings.BASE_DIR) / "pksai" / "monitoring" / "data" / "pilot_baselines_2016.csv"
    make_user("planner", roles=["program_officer"], national=True)
    ran = pksai("import-targets", pilot, "--user", "planner")
    # Klaten and Tulungagung are not in this database: their rows are refused, named
    assert "created 3" in ran.out and "rejected 2" in ran.out
    assert "\t33.10\t" in ran.out and "\t35.04\t" in ran.out
    makassar = IndicatorTarget.objects.get(indicator__code="cases_responded_count", area="73.71")
    assert (makassar.year, makassar.baseline, makassar.target) == (2016, 60, None)
    make_areas(
        [("33.10", "Kabupaten Klaten"), ("35", "Jawa Timur"), ("35.04", "Kabupaten Tulungagung")]
    )
    ran = pksai("import-targets", pilot, "--user", "planner")
    assert "created 2" in ran.out and "unchanged 3" in ran.out and "rejected 0" in ran.out
    bad = write(tmp_path / "bad.csv", "indicator,area,year,target\nnope,73.71,2026,5\n")
    ran = pksai("import-targets", bad, "--user", "planner")
    assert "rejected 1" in ran.out and "kode indikator tidak dikenal" in ran.out
    assert "nobody" in pksai("import-targets", pilot, "--user", "nobody", code=1).err


@pytest.mark.django_db
def test_dhis2_mapping_and_export(pksai, pilot_areas, tmp_path, settings):
    from pksai.monitoring.tests.test_views import CASES, THIS_YEAR

    admin = make_user("mapper", roles=[], national=True)
    admin.is_superuser = True
    admin.save()
    make_user("coord", roles=["coordinator"], scope=["73.71"])
    mapping = write(
        tmp_path / "mapping.csv",
        "kind,code,part,uid\n"
        "indicator,cases_reported,numerator,CaseRepDE01\n"
        "orgunit,73.71.01,,MarisoOU001\n"
        "orgunit,73.72,,Nowhere0001\n",
    )
    ran = pksai("import-dhis2-mapping", mapping, "--user", "mapper")
    assert "indicators 1, org units 1, rejected 1" in ran.out and "\t73.72\t" in ran.out
    assert "coord" in pksai("import-dhis2-mapping", mapping, "--user", "coord", code=1).err
    _make_cases(CASES)
    ran = pksai("dhis2-export", "--area", "73.71", "--period", f"{THIS_YEAR}-Q1", "--user", "coord")
    values = json.loads(ran.out)["dataValues"]
    assert values == [
        {
            "dataElement": "CaseRepDE01",
            "period": f"{THIS_YEAR}Q1",
            "orgUnit": "MarisoOU001",
            "value": "7",
        }
    ]
    assert '"unmapped_indicators"' in ran.err
    settings.PKSAI_DHIS2_DATA_SET = "PksaiDSet01"
    adx = pksai(
        "dhis2-export",
        "--area",
        "73.71",
        "--period",
        f"{THIS_YEAR}-Q1",
        "--user",
        "coord",
        "--format",
        "adx",
    ).out
    assert f'period="{THIS_YEAR}-01-01/P3M"' in adx and 'value="7"' in adx
    out = tmp_path / "set.json"
    pksai(
        "dhis2-export",
        "--area",
        "7371",
        "--period",
        f"{THIS_YEAR}-01",
        "--user",
        "coord",
        "--out",
        out,
    )
    assert json.loads(out.read_text())["dataValues"] == []  # January: 4, a small count
    assert (
        "scope"
        in pksai(
            "dhis2-export", "--area", "73.06", "--period", "2026-01", "--user", "coord", code=1
        ).err
    )
    assert (
        "triwulan"  # "a month (2026-03) or a quarter (2026-Q1)", in the command's Indonesian
        in pksai(
            "dhis2-export", "--area", "73.71", "--period", "2026", "--user", "coord", code=1
        ).err
    )


def test_dci_crvs_check(pksai, pilot_areas, tmp_path, settings):
    """Asks a local DCI CRVS registry (it verifies our signature) and records the answer."""
    from pksai.cases.tests.factories import make_child
    from pksai.dci.models import BirthRegistration
    from pksai.dci.tests.helpers import CrvsRegistry, new_key, write_private_key

    key = new_key()
    settings.PKSAI_DCI_PRIVATE_KEY_FILE = write_private_key(key, tmp_path / "dci.pem")
    settings.PKSAI_DCI_SENDER_ID = "pksai"
    child = make_child("Siti", nik="7371014505140001", birth=date(2014, 5, 5))
    elsewhere = make_child("Lain", nik="7371014505140002")
    make_user("sw", roles=["social_worker"], scope=["73.71"])
    make_user("gw", roles=["social_worker"], scope=["73.06"])
    assert "PKSAI_DCI_CRVS_URL" in pksai("dci-crvs-check", "--person", child.pk, code=1).err
    registry = CrvsRegistry(caller_public_key=key.public_key()).start()
    try:
        settings.PKSAI_DCI_CRVS_URL = registry.url
        settings.PKSAI_DCI_CRVS_RECEIVER_ID = registry.receiver_id
        registry.births["7371014505140001"] = {
            "uin": "7371014505140001",
            "brn": "AL-7371-0001",
            "name": "Siti",
            "birth_date": "2014-05-05",
            "registered": "2014-07-01",
        }
        ran = pksai("dci-crvs-check", "--person", child.pk, "--user", "sw")
        assert "found; NIK verified yes; certificate AL-7371-0001; registered 2014-07-01" in ran.out
        assert registry.signature_valid == [True]
        child.refresh_from_db()
        assert child.birth_certificate is True
        ran = pksai("dci-crvs-check", "--person", elsewhere.pk)
        assert "not_found; NIK verified no" in ran.out
        refused = pksai("dci-crvs-check", "--person", child.pk, "--user", "gw", code=1).err
        assert str(child.pk) in refused and "gw" in refused
        assert BirthRegistration.objects.filter(person=child).count() == 1  # not asked
        registry.mode = "error"
        assert "err.sender_id.invalid" in pksai("dci-crvs-check", "--person", child.pk, code=1).err
        assert BirthRegistration.objects.get(person=child, outcome="error").error
    finally:
        registry.stop()


def _make_cases(rows):
    from datetime import UTC, datetime

    from pksai.cases.models import Case
    from pksai.cases.tests.factories import make_child

    owner = make_user("owner", roles=["social_worker"], scope=["73.71"])
    child = make_child()
    made = Case.objects.bulk_create(
        [
            Case(
                number=f"M-{i}",
                regency_id=regency,
                area_id=district,
                child=child,
                channel="phone",
                summary="-",
                stage="assessment",
                response="at_risk",
                owner=owner,
                created_by=owner,
            )
            for i, (regency, district, _y, _m, _t) in enumerate(rows)
        ]
    )
    for case, (_r, _d, year, month, _t) in zip(made, rows, strict=True):
        Case.objects.filter(pk=case.pk).update(created_at=datetime(year, month, 10, 2, tzinfo=UTC))


@pytest.mark.django_db
def test_dhis2_export_push(pksai, pilot_areas, settings):
    from pksai.monitoring.models import Dhis2Mapping, Dhis2OrgUnit, Dhis2Push, Indicator
    from pksai.monitoring.tests.test_dhis2 import FakeDhis2
    from pksai.monitoring.tests.test_views import CASES, THIS_YEAR

    make_user("coord", roles=["coordinator"], scope=["73.71"])
    Dhis2Mapping.objects.create(
        indicator=Indicator.objects.get(code="cases_reported"), data_element="CaseRepDE01"
    )
    Dhis2OrgUnit.objects.create(area_id="73.71.01", org_unit="MarisoOU001")
    _make_cases(CASES)
    args = ("dhis2-export", "--area", "73.71", "--period", f"{THIS_YEAR}-Q1", "--user", "coord")
    settings.PKSAI_DHIS2_URL = ""
    assert "PKSAI_DHIS2_URL" in pksai(*args, "--push", code=1).err
    server = local_server.serve(FakeDhis2)
    try:
        settings.PKSAI_DHIS2_URL = f"http://127.0.0.1:{server.server_address[1]}"
        settings.PKSAI_DHIS2_TOKEN, settings.PKSAI_DHIS2_USERNAME = "d2pat_goodtoken", ""
        ran = pksai(*args, "--push")
        assert "DHIS2 answered 200 SUCCESS: imported 1" in ran.out
        settings.PKSAI_DHIS2_TOKEN = "d2pat_wrong"
        ran = pksai(*args, "--push", code=1)
        assert "401" in ran.out and "failed" in ran.err
    finally:
        local_server.stop(server)
    assert list(Dhis2Push.objects.order_by("pk").values_list("http_status", "imported")) == [
        (200, 1),
        (401, 0),
    ]


def test_primero_export_and_import(pksai, team, settings):  # noqa: F811
    from pksai.cases.models import Case
    from pksai.primero.models import CaseLink, Transfer
    from pksai.primero.tests import fake_primero
    from pksai.primero.tests.factories import full_case

    case = full_case(team)
    settings.PKSAI_PRIMERO_URL = ""
    assert (
        "PKSAI_PRIMERO_URL"
        in pksai("primero-export", "--case", case.pk, "--user", "spv", code=1).err
    )
    with fake_primero.configured(settings) as store:
        ran = pksai("primero-export", "--case", case.pk, "--user", "spv")
        link = CaseLink.objects.get(case=case)
        assert ran.out.split("\t")[:4] == [case.number, link.primero_id, link.short_id, "created"]
        assert "scope" in pksai("primero-export", "--case", case.pk, "--user", "gw", code=1).err
        assert (
            "may not"
            in pksai("primero-import", "--id", link.primero_id, "--user", "sw", code=1).err
        )
        cases = Case.objects.count()
        ran = pksai("primero-import", "--id", link.primero_id, "--user", "spv")
        assert ran.out.strip() == f"{link.primero_id}\t{case.number}\tupdated"
        ran = pksai("primero-import", "--since", "2020-01-01", "--user", "spv")
        assert ran.out.strip() == f"{link.primero_id}\t{case.number}\tupdated"
        assert Case.objects.count() == cases
        store.fail[("GET", f"/api/v2/cases/{link.primero_id}")] = 500
        assert (
            "HTTP 500"
            in pksai("primero-import", "--id", link.primero_id, "--user", "spv", code=1).err
        )
    assert list(Transfer.objects.order_by("pk").values_list("direction", flat=True)) == [
        "export",
        "import",
        "import",
    ]


def test_import_population(pksai, pilot_areas, tmp_path):
    from pksai.monitoring.models import EligiblePopulation

    make_user("finance", roles=["program_officer"], national=True)
    make_user("gowa.finance", roles=["program_officer"], scope=["73.06"])
    estimates = write(
        tmp_path / "population.csv",
        "program,year,area,eligible,source\n"
        "jslu,2026,73.71,1200,Susenas\n"
        "jslu,2026,7306,800,\n"
        "jslu,2026,73.06.01,5,\n",  # another area level: rejected
    )
    errors = tmp_path / "errors.csv"
    ran = pksai("import-population", estimates, "--user", "finance", "--errors", errors)
    assert "accepted 2" in ran.out and "rejected 1" in ran.out
    assert "tingkat wilayah yang sama" in errors.read_text()  # "one area level", in Indonesian
    assert dict(EligiblePopulation.objects.values_list("area_id", "eligible")) == {
        "73.71": 1200,
        "73.06": 800,
    }
    assert "unchanged 2" in pksai("import-population", estimates, "--user", "finance").out
    # a regional officer: Makassar is outside Gowa's scope
    ran = pksai("import-population", estimates, "--user", "gowa.finance")
    assert "di luar wilayah Anda" in ran.out  # "outside your area"
    assert "nobody" in pksai("import-population", estimates, "--user", "nobody", code=1).err


@pytest.mark.django_db
def test_issue_token(pksai, pilot_areas, client):
    make_user("integration", roles=["coordinator"], scope=["73.71"])
    raw = pksai("issue-token", "integration", "--name", "dashboard").out.strip()
    token = ApiToken.objects.get()
    assert (token.name, token.user.username, token.revoked_at) == ("dashboard", "integration", None)
    assert raw.startswith("pksai_") and token.prefix in raw
    assert raw not in str(ApiToken.objects.values_list().get())  # only a hash is stored
    bearer = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/areas/?code=7371", headers=bearer).status_code == 200

    pksai("issue-token", "integration", "--revoke", token.prefix)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get("/api/v1/areas/?code=7371", headers=bearer).status_code == 401


@pytest.mark.django_db
def test_reset_second_factor(pksai, pilot_areas):
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from pksai.accounts.second_factor import recovery_codes_issue
    from pksai.audit.models import AuditEvent

    user = make_user("lost.phone", roles=["coordinator"], scope=["73.71"])
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    recovery_codes_issue(user=user, first=True)
    pksai("reset-second-factor", "nobody", "--reason", "x", code=1)
    ran = pksai("reset-second-factor", "lost.phone", "--reason", "phone stolen")
    assert "Removed 2 second-factor device(s) of lost.phone" in ran.out
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    event = AuditEvent.objects.get(action="mfa_reset")
    assert event.object_id == str(user.pk) and event.detail["reason"] == "phone stolen"
    assert event.actor_username == "pksai (command line)"
    assert "nobody" in pksai("issue-token", "nobody", code=1).err


def test_rotate_keys(pksai, team):  # noqa: F811  (the fixture)
    """A new field key and a new hash key put first: the command re-seals every value and
    re-hashes every NIK, says how many, and a second run finds nothing left to do."""
    from django.test import override_settings

    from pksai.cases.models import Note
    from pksai.cases.tests.factories import make_child, register
    from pksai.core import crypto
    from pksai.registry.models import Person
    from pksai.registry.selectors import nik_q

    case = register(team, child=make_child(nik="7371014505140001"), reporter_phone="0812-1")
    Note.objects.create(case=case, text="catatan rahasia", by=team["worker"])
    key = pksai("rotate-keys", "--new-key").out.strip()
    assert len(crypto.parse_keys(key, name="printed")) == 1
    new_field, new_hash = (
        crypto.parse_keys(key, name="f"),
        crypto.parse_keys(crypto.new_key(), name="h"),
    )
    keys = {
        "PKSAI_FIELD_KEYS": new_field + tuple(settings.PKSAI_FIELD_KEYS),
        "PKSAI_NIK_HASH_KEYS": new_hash + tuple(settings.PKSAI_NIK_HASH_KEYS),
    }
    with override_settings(**keys):
        out = pksai("rotate-keys").out
        # commands speak the system's language (Bahasa Indonesia)
        assert "registry.person.nik: 1 dienkripsi ulang, 1 hash diubah" in out
        assert "cases.case.reporter_phone: 1 dienkripsi ulang" in out
        assert "cases.note.text: 1 dienkripsi ulang" in out
        again = pksai("rotate-keys").out
        assert "Selesai: 0 nilai dienkripsi ulang, 0 hash NIK diubah" in again
    with override_settings(PKSAI_FIELD_KEYS=new_field, PKSAI_NIK_HASH_KEYS=new_hash):
        child = Person.objects.get(nik_q("7371014505140001"))
        assert child.nik == "7371014505140001"
        assert Note.objects.get(case=case).text == "catatan rahasia"


# --- background work and the server ------------------------------------------------------


@pytest.fixture
def keep_signal_handlers():
    """db_worker installs its own SIGINT/SIGTERM handlers; give pytest its own back."""
    kept = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for number, handler in kept.items():
        signal.signal(number, handler)


@pytest.mark.django_db(transaction=True)
def test_db_worker_runs_queued_tasks(pksai, settings, registry, keep_signal_handlers):
    from django_tasks_db.models import DBTaskResult

    from pksai.vulnerability.services import ruleset_create
    from pksai.vulnerability.tasks import rescore_all

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    text = DEFAULT_RULES.read_text(encoding="utf-8").replace("PKSAI default 2026", "Worker")
    ruleset = ruleset_create(text=text)
    rescore_all.enqueue(ruleset.pk)
    queued = DBTaskResult.objects.get()
    assert queued.status == "READY" and not ruleset.scores.exists()

    pksai("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0.1")
    queued.refresh_from_db()
    assert queued.status == "SUCCESSFUL"
    assert queued.return_value["version"] == ruleset.version
    assert children_scored(ruleset) == CHILDREN


@pytest.mark.django_db(transaction=True)
def test_worker_runs_queued_tasks_and_reports_a_heartbeat(
    pksai, settings, registry, keep_signal_handlers, monkeypatch
):
    from django_tasks_db.models import DBTaskResult

    from pksai.core import heartbeat
    from pksai.core.models import Heartbeat
    from pksai.vulnerability.services import ruleset_ensure_default
    from pksai.vulnerability.tasks import rescore_all

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # The first beat comes before any task; no later one may race the task for the
    # in-memory SQLite test database (its table locks do not wait).
    settings.WORKER_HEARTBEAT_SECONDS = 3600
    beats = []
    recorded = heartbeat.heartbeat_record
    monkeypatch.setattr(
        heartbeat, "heartbeat_record", lambda **kw: beats.append(kw["kind"]) or recorded(**kw)
    )
    rescore_all.enqueue(ruleset_ensure_default().pk)
    pksai("worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0.1")
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert beats and beats[0] == Heartbeat.Kind.WORKER
    assert not Heartbeat.objects.exists()  # a clean stop removes the row


@pytest.mark.django_db(transaction=True)
def test_scheduler_once_alerts_overdue_cases(pksai, team, keep_signal_handlers):  # noqa: F811
    from pksai.cases.models import Alert, Case
    from pksai.cases.tests.factories import register
    from pksai.retention.models import RetentionRun

    case = register(team)
    Alert.objects.all().delete()
    Case.objects.filter(pk=case.pk).update(stage_due_at=timezone.now() - timedelta(hours=1))
    out = pksai("scheduler", "--once").out
    assert re.search(r"^1 case\(s\)", out, flags=re.MULTILINE), out
    assert set(Alert.objects.values_list("user__username", flat=True)) == {"sw", "spv"}
    # the day's retention run is queued once (run at once by the tests' task backend)
    assert "Retention run queued." in out
    assert RetentionRun.objects.filter(trigger="scheduler").count() == 1
    again = pksai("scheduler", "--once").out  # once per due date
    assert Alert.objects.count() == 2
    assert "Retention run queued." not in again
    assert RetentionRun.objects.count() == 1


def test_retention(pksai, pilot_areas):
    """`pksai retention --dry-run` counts what is due; `pksai retention` anonymises it
    (a complaint resolved three years ago: past the 24 months of the shipped schedule),
    records the run; a second run finds nothing."""
    from pksai.grievances import services as grievances
    from pksai.grievances.models import Complaint
    from pksai.retention.models import RetentionRun

    complaint = grievances.complaint_submit_public(
        grievances.ComplaintInput(
            category="mistargeting",
            description="Pak Darto menerima bantuan padahal kaya.",
            area_code="73.71.01",
            name="Ibu Sari",
            phone="081299990000",
        ),
        sender="10.0.0.9",
    )
    long_ago = timezone.now() - timedelta(days=3 * 365)
    Complaint.objects.filter(pk=complaint.pk).update(status="resolved", resolved_at=long_ago)
    dry = pksai("retention", "--dry-run").out
    assert re.search(r"^complaint_resolved: 1 due", dry, flags=re.MULTILINE), dry
    assert "nothing was changed" in dry and not RetentionRun.objects.exists()
    out = pksai("retention").out
    assert re.search(r"^complaint_resolved: 1 anonymised", out, flags=re.MULTILINE), out
    complaint.refresh_from_db()
    assert (complaint.complainant_name, complaint.complainant_phone) == ("", "")
    assert "Darto" not in complaint.description
    again = pksai("retention").out
    assert "0 record(s) anonymised" in again
    assert RetentionRun.objects.count() == 2


def test_serve_answers_http_and_sigterm_stops_every_process(cli_db, tmp_path):
    """`pksai serve 127.0.0.1:PORT` as the console script: it answers HTTP there, starts the
    background work beside the web server, and SIGTERM stops it and every process it started
    within 10 s."""
    url, _ = cli_db
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603
            [str(CONSOLE_SCRIPT), "serve", f"127.0.0.1:{port}"],
            env={**os.environ, "DATABASE_URL": url},
            cwd=settings.BASE_DIR,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started: set[int] = set()
    try:
        status, page = 0, ""
        deadline = time.monotonic() + 120
        while not status and time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(  # noqa: S310
                    f"http://127.0.0.1:{port}/accounts/login/", timeout=5
                ) as response:
                    status, page = response.status, response.read().decode()
            except urllib.error.HTTPError as exc:
                status = exc.code
            except OSError:
                time.sleep(0.5)
        assert status == 200, log.read_text(errors="replace")
        assert "csrfmiddlewaretoken" in page and 'name="password"' in page

        time.sleep(2)  # let the processes it starts beside the web server come up
        started = descendants(process.pid)
        assert len(started) >= 2, "the web server and the background work run beside it"

        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("serve still runs 10 s after SIGTERM")
        deadline = time.monotonic() + 10
        while (left := started & set(live_processes())) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not left, f"still running 10 s after SIGTERM: {left}"
    finally:
        # whatever is left of the processes this test started
        for pid in (started | descendants(process.pid)) & set(live_processes()):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if process.poll() is None:
            process.kill()
            process.wait()


def test_field_cleanup(pksai, team, settings, tmp_path):  # noqa: F811
    """`pksai field-cleanup` removes incomplete field-app uploads older than the setting, with
    their stored pieces, and keeps fresh ones."""
    from pksai.cases.tests.factories import make_child, register
    from pksai.field import services as field
    from pksai.field.models import FieldUpload

    settings.ATTACHMENT_ROOT = str(tmp_path / "attachments")
    case = register(team, child=make_child("Budi"))

    def upload():
        made, _ = field.upload_start(
            by=team["worker"],
            case=case,
            client_id=uuid.uuid4(),
            kind="document",
            title="",
            filename="a.pdf",
            content_type="application/pdf",
            size=10,
            sha256="a" * 64,
        )
        return field.upload_append(upload=made, by=team["worker"], offset=0, data=b"%PDF-")

    old, fresh = upload(), upload()
    FieldUpload.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=4))
    assert "1 incomplete upload(s) removed." in pksai("field-cleanup").out
    assert list(FieldUpload.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert field._pieces(old) == [] and field._pieces(fresh)
    assert "0 incomplete" in pksai("field-cleanup", "--hours", "1").out
