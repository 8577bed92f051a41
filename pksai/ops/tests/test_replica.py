"""Reports read from the replica (DATABASE_REPLICA_URL), everything else and every write from
the primary. The "replica" is a second database filled by copying the primary, after which the
primary receives more complaints: the report pages show the replica's numbers, the complaint
list the primary's, and the download's audit row lands in the primary only."""

import io
import sqlite3
import subprocess
from datetime import timedelta

import polars as pl
import pytest
from django.db import connection, connections
from django.utils import timezone

from pksai.accounts.tests.factories import make_user
from pksai.audit.models import AuditEvent
from pksai.core.replica import read_database, reads_from_replica
from pksai.core.tests.processes import grant_app_role_in, owner_login
from pksai.grievances import reports, services
from pksai.grievances.models import Complaint
from pksai.grievances.services import ComplaintInput
from pksai.ops.backup import _pg_env
from pksai.ops.tests.helpers import second_database

pytestmark = pytest.mark.django_db(transaction=True)


def complain(by, n: int) -> None:
    for _ in range(n):
        services.complaint_create(
            by=by,
            data=ComplaintInput(
                category="mistargeting",
                description="Tetangga saya kaya tetapi menerima bantuan setiap bulan.",
                area_code="73.71.01.1001",
            ),
            channel="phone",
        )


def copy_primary_into(database: dict) -> None:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(database["NAME"])
        connection.connection.backup(target)
        target.close()
        return
    args, env = _pg_env(connection.settings_dict)
    # restored by the owner of the new database (with two roles, the application role may
    # not create tables), then granted to the application role as `pksai restore` does
    target_args, target_env = _pg_env(
        {**connection.settings_dict, **owner_login(), "NAME": database["NAME"]}
    )
    dump = subprocess.run(  # noqa: S603
        ["pg_dump", *args, "--format=custom"],  # noqa: S607
        env=env,
        capture_output=True,
        check=True,  # noqa: S607
    )
    subprocess.run(  # noqa: S603
        ["pg_restore", *target_args, "--no-owner", "--exit-on-error"],  # noqa: S607
        input=dump.stdout,
        env=target_env,
        check=True,
        capture_output=True,
    )
    grant_app_role_in(database["NAME"])


@pytest.fixture
def replica(pilot_areas, tmp_path):
    people = {
        "inspector": make_user("insp", roles=["complaints_officer"], scope=["73.71"]),
        "analyst": make_user("analyst", roles=["national_analyst"], national=True),
    }
    complain(people["inspector"], 2)
    with second_database(tmp_path, "replica") as database:
        copy_primary_into(database)
        settings_dict = {
            **connections.settings["default"],
            "NAME": database["NAME"],
            "TEST": {"MIRROR": "default"},
        }
        connections.settings["replica"] = settings_dict
        # connect now: the test case only lets aliases known at its start connect later
        connections["replica"].connect()
        try:
            complain(people["inspector"], 3)  # after the copy: in the primary only
            yield people
        finally:
            replica_connection = connections["replica"]
            replica_connection.close()
            if hasattr(replica_connection, "close_pool"):
                replica_connection.close_pool()
            del connections["replica"]
            del connections.settings["replica"]


def test_report_pages_read_the_replica_and_write_the_primary(client, replica):
    today = timezone.localdate()
    period = f"date_from={today - timedelta(days=30)}&date_to={today}"
    client.force_login(replica["analyst"])
    response = client.get(f"/complaints/reports/export/?report=volume&format=csv&{period}")
    assert response.status_code == 200
    frame = pl.read_csv(io.BytesIO(response.content))
    assert frame["received"].to_list()[-1] == 2  # the replica's count
    # the download's audit row is written to the primary, not the replica
    assert AuditEvent.objects.using("default").filter(action="export").count() == 1
    assert AuditEvent.objects.using("replica").filter(action="export").count() == 0

    page = client.get(f"/complaints/reports/?{period}")
    assert page.status_code == 200

    # a page that is not a report reads the primary: the complaint list shows a complaint
    # made after the copy
    newest = Complaint.objects.using("default").order_by("-pk").first()
    assert not Complaint.objects.using("replica").filter(pk=newest.pk).exists()
    client.force_login(replica["inspector"])
    listing = client.get("/complaints/")
    assert listing.status_code == 200 and newest.code in listing.text


def test_the_router_outside_requests(replica):
    filters = reports.Filters(
        date_from=timezone.localdate() - timedelta(days=30), date_to=timezone.localdate()
    )
    analyst = replica["analyst"]
    assert read_database() == "default"
    assert reports.volume(user=analyst, filters=filters).total["received"] == 5
    with reads_from_replica():
        assert read_database() == "replica"
        assert reports.volume(user=analyst, filters=filters).total["received"] == 2
        complaint = Complaint.objects.order_by("pk").first()
        assert complaint._state.db == "replica"
        Complaint.objects.filter(pk=complaint.pk).update(priority="high")  # a write: primary
    assert Complaint.objects.using("default").get(pk=complaint.pk).priority == "high"
    assert Complaint.objects.using("replica").get(pk=complaint.pk).priority != "high"
