"""The page shell: the header's links per role, the current section, the skip link, the
favicon and the "Menu" button every page carries."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import translation

from pksai.accounts.tests.factories import make_user
from pksai.core.navigation import navigation


def labels(links) -> list[str]:
    return [link.label for link in links]


def nav_for(user, path: str = "/"):
    with translation.override("en"):
        return navigation(user=user, path=path)


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (
            "social_worker",
            ["Home", "Cases", "Field app", "Referrals", "Record a complaint", "Service providers"],
            ["Complaints", "Payments", "Imports", "Monitoring", "Referrals to us"],
        ),
        (
            "supervisor",
            ["Cases", "Referrals", "Complaints", "Monitoring", "Service reports"],
            ["Record a complaint", "Payments", "Programs", "Imports", "Field app"],
        ),
        (
            "coordinator",
            ["Cases", "Complaints", "Monitoring"],
            ["Payments", "Imports", "Field app"],
        ),
        ("psychologist", ["Cases", "Field app"], ["Payments", "Monitoring"]),
        (
            "program_officer",
            ["Programs", "Payments", "Complaints", "Monitoring"],
            ["Cases", "Referrals", "Imports"],
        ),
        ("data_officer", ["Imports", "Possible matches"], ["Cases", "Monitoring", "Payments"]),
        ("focal_person", ["Home", "Referrals to us"], ["Referrals", "Cases", "Areas", "Field app"]),
        ("complaints_officer", ["Complaints", "Monitoring"], ["Cases", "Record a complaint"]),
        ("auditor", ["Home", "Areas"], ["Cases", "Monitoring", "Audit trail"]),
    ],
)
def test_each_role_sees_its_own_main_links(pilot_areas, role, shown, hidden):
    national = role == "auditor"  # a national-only role
    main = labels(nav_for(make_user(roles=[role], scope=["73.71"], national=national)).main)
    assert main[0] == "Home"
    assert set(shown) <= set(main), main
    assert not set(hidden) & set(main), main


def test_account_links_are_apart_audit_for_auditors_administration_for_staff(pilot_areas):
    auditor = nav_for(make_user(roles=["auditor"], national=True))
    assert labels(auditor.account) == [
        "Password",
        "Second factor",
        "My messages",
        "Audit trail",
        "Data retention",
        "API",
    ]
    worker = nav_for(make_user(roles=["social_worker"]))
    assert labels(worker.account) == ["Password", "Second factor", "My messages", "API"]
    staff = nav_for(make_user(roles=["administrator"], national=True))
    assert labels(staff.account) == [
        "Password",
        "Second factor",
        "My messages",
        "Audit trail",
        "Data retention",
        "Webhooks",
        "Administration",
        "API",
    ]


def test_signed_out_only_the_public_complaint_form():
    nav = nav_for(AnonymousUser())
    assert labels(nav.main) == ["Make a complaint"] and nav.account == []


@pytest.mark.parametrize(
    ("path", "label", "current"),
    [
        ("/", "Home", "page"),
        ("/cases/", "Cases", "page"),
        ("/cases/12/", "Cases", "true"),
        ("/referrals/3/", "Referrals", "true"),
        ("/referrals/reports/", "Service reports", "page"),  # the longer prefix wins
        ("/providers/7/", "Service providers", "true"),
    ],
)
def test_the_current_section_is_marked(pilot_areas, path, label, current):
    nav = nav_for(make_user(roles=["coordinator"]), path)
    marked = [(link.label, link.current) for link in nav.main + nav.account if link.current]
    assert marked == [(label, current)]


def test_home_is_current_only_on_itself(pilot_areas):
    nav = nav_for(make_user(roles=["coordinator"]), "/areas/73/")
    assert [link.label for link in nav.main if link.current] == ["Areas"]
    nav = nav_for(make_user(roles=["coordinator"]), "/unknown/")
    assert not [link for link in nav.main if link.current]


def test_every_page_has_skip_link_first_favicon_menu_button_and_main_target(client, pilot_areas):
    client.force_login(make_user(roles=["social_worker"], first_name="Ani", last_name="Wijaya"))
    client.post("/i18n/setlang/", {"language": "en"})
    page = client.get("/cases/").content.decode()
    body = page.split("<body", 1)[1]
    first_focusable = re.search(r"<(a|button|input|select|textarea)\b[^>]*>", body).group(0)
    assert 'href="#main"' in first_focusable and 'class="skip-link"' in first_focusable
    assert '<main class="container" id="main"' in page
    assert re.search(
        r'<link rel="icon" href="[^"]*pksai/favicon\.svg" type="image/svg\+xml">', page
    )
    toggle = re.search(r"<button[^>]*data-menu-toggle[^>]*>", page).group(0)
    assert 'aria-controls="site-menu"' in toggle and 'aria-expanded="false"' in toggle
    assert " hidden" in toggle  # shown by menu.js only: without JavaScript the links are listed
    assert 'id="site-menu"' in page and "pksai/js/menu.js" in page
    assert re.search(r'<a href="/cases/" aria-current="page">Cases</a>', page)
    assert page.count("aria-current=") == 2  # the section and the active language
    assert (
        "<strong>Ani Wijaya</strong> <span>Social worker / facilitator · Kota Makassar</span>"
        in page
    )
    assert "Kota Kota" not in page


def test_signed_out_pages_have_the_shell_without_a_user(client, pilot_areas):
    page = client.get("/accounts/login/").content.decode()
    assert 'class="skip-link"' in page and 'id="main"' in page
    assert 'class="who"' not in page and "accounts/logout" not in page
    assert 'href="/pengaduan/"' in page
