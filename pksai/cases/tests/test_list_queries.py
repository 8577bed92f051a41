"""The case list costs the same few queries whatever the page holds (no N+1): concerns are
prefetched, the child and owner joined, masking computed from loaded columns."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pksai.cases.models import Case
from pksai.cases.tests.factories import make_child, register


def login(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en"})


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("supervisor", "/cases/"),  # restricted rows masked
        ("worker", "/cases/"),  # restricted rows left out
        ("coordinator", "/cases/?concern=neglect&stage=triage&area=73.71.01"),
        ("supervisor", "/cases/?q=Anak&overdue=&response="),
    ],
)
def test_list_page_runs_a_constant_number_of_queries(client, team, role, url):
    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            concerns = ["neglect", "out_of_school"] if i % 2 else ["neglect"]
            if i % 7 == 0:
                concerns = ["neglect", "sexual_violence"]  # restricted
            register(team, child=make_child(f"Anak {i}"), concerns=concerns)

    login(client, team[role])
    add(5, 0)
    five = count_queries(client, url)
    add(45, 5)
    fifty = count_queries(client, url)
    assert Case.objects.count() == 50
    assert five == fifty, (five, fifty)
    # the page, its filters, the intake-queue count, the header's roles and place
    assert fifty <= 18


def test_list_shows_50_rows_per_page_with_concerns(client, team):
    for i in range(51):
        register(team, child=make_child(f"Anak {i}"), concerns=["neglect", "out_of_school"])
    login(client, team["coordinator"])
    first = client.get("/cases/")
    assert len(first.context["page"].object_list) == 50
    assert "Page 1 of 2" in first.text and "out of school" in first.text
    second = client.get("/cases/?page=2")
    assert len(second.context["page"].object_list) == 1
