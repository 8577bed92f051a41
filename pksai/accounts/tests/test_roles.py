import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from pksai.accounts.roles import ROLES, sync_roles
from pksai.accounts.tests.factories import make_user


def test_every_role_is_a_group_with_its_permissions(db):
    sync_roles()
    for role in ROLES:
        group = Group.objects.get(name=role.slug)
        perms = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert perms == set(role.permissions)
    assert len(ROLES) == 13


def test_who_handles_consent_requests_and_breaches(db):
    """The consent ledger for case staff, legal grounds for supervisors and coordinators,
    requests from data subjects and their export for the data protection officer only."""
    holders = {
        p: {r.slug for r in ROLES if p in r.permissions}
        for p in (
            "privacy.add_consent",
            "privacy.add_legalground",
            "privacy.change_subjectrequest",
            "privacy.export_subjectrequest",
            "privacy.change_breach",
            "privacy.add_breach",
        )
    }
    assert holders["privacy.add_consent"] == {
        "coordinator",
        "supervisor",
        "psychologist",
        "social_worker",
    }
    assert holders["privacy.add_legalground"] == {"coordinator", "supervisor"}
    assert holders["privacy.change_subjectrequest"] == {"data_protection_officer"}
    assert holders["privacy.export_subjectrequest"] == {"data_protection_officer"}
    assert holders["privacy.change_breach"] == {"data_protection_officer"}
    assert holders["privacy.add_breach"] == {"coordinator", "data_protection_officer"}


def test_only_auditors_and_administrators_read_the_audit_trail(db):
    readers = {r.slug for r in ROLES if "audit.view_auditevent" in r.permissions}
    assert readers == {"auditor", "administrator"}


def test_national_only_role_needs_national_scope(pilot_areas):
    with pytest.raises(ValidationError):
        make_user(roles=["national_analyst"], scope=["73.71"])
    assert make_user(roles=["national_analyst"], national=True).is_national


def test_user_needs_a_scope_and_known_areas(pilot_areas):
    with pytest.raises(ValidationError):
        make_user(scope=[])
    with pytest.raises(ValidationError):
        make_user(scope=["99.99"])
