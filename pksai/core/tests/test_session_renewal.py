"""A signed-in session lasts SESSION_COOKIE_AGE from the last activity, renewed at most every
PKSAI_SESSION_RENEW_SECONDS: pages in between write nothing to the session table (Django's
save-on-every-request cost a write and a commit per page)."""

import time

from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pksai.accounts.tests.factories import make_user


def _session_writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if "django_session" in q["sql"]
        and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    ]


def test_the_session_is_renewed_at_most_every_few_minutes(client, pilot_areas, settings):
    settings.PKSAI_SESSION_RENEW_SECONDS = 300
    client.force_login(make_user("sw", roles=["social_worker"], scope=["73.71"]))
    client.get("/")  # the first page stamps the session
    key = client.session.session_key
    first_expiry = Session.objects.get(session_key=key).expire_date

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    assert not _session_writes(queries)  # within the interval: nothing written
    assert Session.objects.get(session_key=key).expire_date == first_expiry

    # the interval has passed (the stamp is moved back instead of waiting)
    session = client.session
    session["_renewed"] = int(time.time()) - 301
    session.save()
    before = Session.objects.get(session_key=key).expire_date
    time.sleep(1)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    assert _session_writes(queries)  # renewed: a later expiry
    assert Session.objects.get(session_key=key).expire_date > before


def test_an_anonymous_visit_writes_no_session(client, pilot_areas):
    with CaptureQueriesContext(connection) as queries:
        client.get("/pengaduan/")
    assert not _session_writes(queries)
