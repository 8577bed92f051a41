"""The users of the load test (benchmarks/bench_load.py), for Locust.

Not a bench itself (its name does not start with ``bench_``): ``bench_load`` runs
``python -m locust -f benchmarks/load_locustfile.py --headless …`` against a server it started
on 127.0.0.1. The plan (JSON at BENCH_LOAD_PLAN, written by ``bench_load prepare``) holds, per
role, one signed-in session per simulated user and the cases that user may open. Think time
between two pages is BENCH_LOAD_WAIT seconds ("min,max"; default "1,3").

Each page is checked: 200 and no redirect (an expired or foreign session would be sent to the
sign-in page and otherwise counted as a success); anything else is an error.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from pathlib import Path

from locust import HttpUser, between, task

PLAN = json.loads(Path(os.environ["BENCH_LOAD_PLAN"]).read_text())
_low, _, _high = os.environ.get("BENCH_LOAD_WAIT", "1,3").partition(",")
WAIT = between(float(_low), float(_high or _low))
_SLOTS = {role: itertools.count() for role in PLAN["roles"]}


class _Page(HttpUser):
    abstract = True
    wait_time = WAIT
    role = ""

    def on_start(self) -> None:
        self.cases: list[int] = []
        if self.role:
            slots = PLAN["roles"][self.role]
            slot = slots[next(_SLOTS[self.role]) % len(slots)]
            self.client.cookies.set(PLAN["cookie"], slot["session"])
            self.cases = slot["cases"]

    def page(self, url: str, name: str) -> None:
        with self.client.get(
            url, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                where = response.headers.get("Location", "")
                response.failure(f"{response.status_code} {where}".strip())

    def case_page(self) -> None:
        self.page(f"/cases/{random.choice(self.cases)}/", "case page")  # noqa: S311


class SocialWorker(_Page):
    """Opens the case list, a case of their own and their home page (the work queue)."""

    weight = 14
    role = "social_worker"

    @task(3)
    def case_list(self) -> None:
        self.page("/cases/", "case list")

    @task(4)
    def case(self) -> None:
        self.case_page()

    @task(2)
    def home(self) -> None:
        self.page("/", "home")


class Supervisor(_Page):
    """The case list filtered to overdue cases, the whole list, a case page, home."""

    weight = 6
    role = "supervisor"

    @task(3)
    def overdue(self) -> None:
        self.page("/cases/?overdue=1", "case list (overdue)")

    @task(1)
    def case_list(self) -> None:
        self.page("/cases/", "case list")

    @task(3)
    def case(self) -> None:
        self.case_page()

    @task(1)
    def home(self) -> None:
        self.page("/", "home")


class Coordinator(_Page):
    """The district's monitoring dashboard and the case list."""

    weight = 3
    role = "coordinator"

    @task(2)
    def dashboard(self) -> None:
        self.page("/monitoring/", "monitoring (district)")

    @task(1)
    def case_list(self) -> None:
        self.page("/cases/", "case list")


class DataOfficer(_Page):
    """The registry import list."""

    weight = 2
    role = "data_officer"

    @task
    def imports(self) -> None:
        self.page("/registry/imports/", "registry imports")


class NationalAnalyst(_Page):
    """The national monitoring dashboard."""

    weight = 2
    role = "national_analyst"

    @task
    def dashboard(self) -> None:
        self.page("/monitoring/", "monitoring (national)")


class Public(_Page):
    """Someone opening the public complaint form (not signed in)."""

    weight = 5

    @task
    def complaint_form(self) -> None:
        self.page("/pengaduan/", "public complaint form")
